"""Models of the outcomes app, one module per family."""

from outcomes.models.alerts import (
    UNRESOLVED,
    Alert,
    AlertDigest,
    AlertKind,
    AlertStatus,
    ClinicianAlertSettings,
)

__all__ = [
    "UNRESOLVED",
    "Alert",
    "AlertDigest",
    "AlertKind",
    "AlertStatus",
    "ClinicianAlertSettings",
]
