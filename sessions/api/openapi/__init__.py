"""OpenAPI documentation of the sessions API, next to (not inside) the views."""
