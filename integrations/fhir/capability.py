"""The CapabilityStatement: exactly the types, interactions and parameters served."""

from __future__ import annotations

from typing import Any

from integrations.fhir.mapping import FHIR_VERSION
from integrations.fhir.resources import RESOURCE_TYPES

RELEASED = "2026-12-01"
SECURITY = (
    "Bearer access tokens from POST /api/v1/auth/token/ (the REST API's JWTs), with "
    "the REST API's rules: a patient reads their own resources, a clinician those of "
    "the patients in their care, an administrator everyone's. SMART on FHIR scopes "
    "map onto these roles (docs/fhir.md); every read of a patient's data by someone "
    "else is in the access log."
)
PAGING_PARAMS = [
    {"name": "_count", "type": "number", "documentation": "Page size, 0-100 (20)."},
    {"name": "_offset", "type": "number", "documentation": "Paging (Bundle links)."},
]


def capability_statement(*, base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "Rehabit",
        "kind": "instance",
        "software": {"name": "Rehabit"},
        "implementation": {
            "description": "Rehabit FHIR R4 API (read-only)",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": SECURITY,
                },
                "resource": [
                    {
                        "type": name,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "versioning": "no-version",
                        "readHistory": False,
                        "updateCreate": False,
                        "searchParam": [
                            {"name": param, "type": kind, "documentation": doc}
                            for param, (kind, doc) in resource.params.items()
                        ]
                        + PAGING_PARAMS,
                    }
                    for name, resource in RESOURCE_TYPES.items()
                ],
            }
        ],
    }
