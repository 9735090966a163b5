"""What one patient may upload in 24 hours: a bound on how far one account can grow
(issue 10, finding 6). Checked by ``session_upload`` under the patient's lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from sessions.models import Session

UPLOAD_QUOTA_EXCEEDED = (
    "You uploaded {sessions} sessions and {sets} sets in the last 24 hours; the limit is "
    "{max_sessions} sessions and {max_sets} sets. Keep the session on the device and "
    "upload it again after Retry-After seconds."
)
QUOTA_WINDOW = dt.timedelta(hours=24)


class SessionQuotaExceeded(Exception):
    """The patient uploaded as much as one account may in 24 hours (map to 429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def upload_quota_check(
    *, patient_id: Any, exercises: Sequence[Mapping[str, Any]]
) -> None:
    """SessionQuotaExceeded if this upload would pass the patient's 24-hour limits.

    One statement: the sessions stored in the last 24 hours (tombstones count: deleting
    does not give room back) and their sets. Runs under the patient's lock, so two
    concurrent uploads cannot both take the last place.
    """
    since = timezone.now() - QUOTA_WINDOW
    stored = Session.objects.filter(patient_id=patient_id, created_at__gte=since)
    usage = stored.aggregate(
        sessions=Count("id", distinct=True),
        sets=Count("exercises__sets"),
        oldest=Min("created_at"),
    )
    new_sets = sum(len(exercise.get("sets", [])) for exercise in exercises)
    max_sessions = settings.SESSION_UPLOAD_DAILY_MAX_SESSIONS
    max_sets = settings.SESSION_UPLOAD_DAILY_MAX_SETS
    if usage["sessions"] + 1 <= max_sessions and usage["sets"] + new_sets <= max_sets:
        return
    oldest = usage["oldest"] or timezone.now()
    wait = (oldest + QUOTA_WINDOW - timezone.now()).total_seconds()
    message = UPLOAD_QUOTA_EXCEEDED.format(
        sessions=usage["sessions"],
        sets=usage["sets"],
        max_sessions=max_sessions,
        max_sets=max_sets,
    )
    raise SessionQuotaExceeded(message, retry_after=max(1, int(wait) + 1))
