"""Reads of a patient's data with the access-log entry each one needs.

Every read of a patient's data by someone else (a clinician, an admin) is recorded in
the patient's access log, one entry per patient per request; the patient's own reads
are not. The API's views call these rather than the selectors and the log separately.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sessions.models import Plan, Session
from sessions.progress import Progress, progress_get
from sessions.selectors.logs import sessions_represent
from users.models import User
from users.selectors import patient_get_for
from users.services import access_log_record, access_log_record_many

PATIENT_REQUIRED = "Name the patient: clinicians and admins must pass ?patient=<id>."


def sessions_read(
    *, reader: User, sessions: Sequence[Session], action: str, path: str
) -> list[dict[str, Any]]:
    """The sessions' representation (sessions_represent), their reads logged (one INSERT)."""
    access_log_record_many(
        actor=reader,
        patient_ids=[session.patient_id for session in sessions],
        action=action,
        path=path,
    )
    return sessions_represent(sessions)


def plans_read(*, reader: User, plans: Sequence[Plan], action: str, path: str) -> None:
    """Log ``reader``'s read of these plans: one entry per patient, in one INSERT."""
    access_log_record_many(
        actor=reader,
        patient_ids=[plan.patient_id for plan in plans],
        action=action,
        path=path,
    )


def progress_read(
    *,
    reader: User,
    patient_id: Any,
    date_from: dt.date | None,
    date_to: dt.date | None,
    path: str,
) -> Progress:
    """A patient's progress as ``reader`` may read it, the read logged.

    Patients read their own (another id: Http404). Clinicians and admins must name a
    patient (ValidationError on ``patient``) in their care (Http404 otherwise); anyone
    else gets PermissionDenied.
    """
    if reader.is_superuser or reader.is_clinician:
        if patient_id is None:
            raise ValidationError({"patient": [PATIENT_REQUIRED]})
        patient = patient_get_for(user=reader, patient_id=patient_id)
        if patient is None:
            raise Http404
    elif reader.is_patient:
        if patient_id is not None and patient_id != reader.pk:
            raise Http404
        patient = reader
    else:
        raise PermissionDenied
    progress = progress_get(patient=patient, date_from=date_from, date_to=date_to)
    access_log_record(
        actor=reader, patient=patient, action="progress.retrieve", path=path
    )
    return progress
