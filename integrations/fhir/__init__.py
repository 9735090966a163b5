"""A read-only FHIR R4 API at /fhir/r4/: mappings of what Rehabit stores (docs/fhir.md)."""
