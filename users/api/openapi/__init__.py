"""OpenAPI documentation of the accounts API, one module per group of endpoints."""
