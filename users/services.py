"""Writes about people: care relationships and the patient-data access log."""

from __future__ import annotations

from users.models import CareRelationship, PatientAccessLog, User


def care_link(*, clinician: User, patient: User) -> CareRelationship:
    """Put ``patient`` in ``clinician``'s care (idempotent); ValidationError on wrong roles."""
    link = CareRelationship(clinician=clinician, patient=patient)
    link.full_clean(validate_unique=False, validate_constraints=False)
    link, _ = CareRelationship.objects.get_or_create(
        clinician=clinician, patient=patient
    )
    return link


def access_log_record(*, actor: User, patient: User, action: str, path: str) -> None:
    """Record that ``actor`` read ``patient``'s data, unless the patient is reading their own."""
    if actor.pk == patient.pk:
        return
    PatientAccessLog.objects.create(
        actor=actor, patient=patient, action=action, path=path[:500]
    )
