"""What one patient may upload in 24 hours: a bound on how far one account can grow
(issue 10, finding 6). Read by ``session_upload`` in the statement that takes the
patient's lock, and checked there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Min

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


def usage_subqueries(*, patient_id: Any, now: dt.datetime) -> tuple[str, list[Any]]:
    """Two scalar subqueries, for the patient lock's RETURNING: (sessions, sets) stored
    by the patient in the 24 hours before ``now`` (tombstones count: deleting does not
    give room back). Read in the lock's own statement, so an upload pays no statement
    for its limits, and under the lock, so two concurrent uploads cannot both take the
    last place.

    Both read only the sessions of the window (the index on patient and created_at),
    and the sets from each session's ``set_count`` (kept by the services that write
    sets): the statement costs the same for a patient with years of history.
    """
    sessions = Session._meta.db_table
    since = connection.ops.adapt_datetimefield_value(now - QUOTA_WINDOW)
    key = Session._meta.get_field("patient").get_db_prep_value(patient_id, connection)
    window = f'FROM "{sessions}" WHERE "patient_id" = %s AND "created_at" >= %s'
    sql = f'(SELECT COUNT(*) {window}), (SELECT COALESCE(SUM("set_count"), 0) {window})'
    return sql, [key, since, key, since]


def set_count(exercises: Sequence[Mapping[str, Any]]) -> int:
    """The sets of an upload's or an edit's ``exercises`` (Session.set_count)."""
    return sum(len(exercise.get("sets", [])) for exercise in exercises)


def upload_quota_check(
    *,
    patient_id: Any,
    new_sets: int,
    stored_sessions: int,
    stored_sets: int,
    now: dt.datetime,
) -> None:
    """SessionQuotaExceeded if this upload (``new_sets`` sets, ``set_count``) would pass
    the patient's 24-hour limits.

    ``stored_sessions`` and ``stored_sets`` are what ``usage_subqueries`` read under the
    lock. No statement unless the upload is refused (then one, for Retry-After: when
    the oldest upload of the window leaves it).
    """
    max_sessions = settings.SESSION_UPLOAD_DAILY_MAX_SESSIONS
    max_sets = settings.SESSION_UPLOAD_DAILY_MAX_SETS
    if stored_sessions + 1 <= max_sessions and stored_sets + new_sets <= max_sets:
        return
    oldest = Session.objects.filter(
        patient_id=patient_id, created_at__gte=now - QUOTA_WINDOW
    ).aggregate(oldest=Min("created_at"))["oldest"]
    wait = ((oldest or now) + QUOTA_WINDOW - now).total_seconds()
    message = UPLOAD_QUOTA_EXCEEDED.format(
        sessions=stored_sessions,
        sets=stored_sets,
        max_sessions=max_sessions,
        max_sets=max_sets,
    )
    raise SessionQuotaExceeded(message, retry_after=max(1, int(wait) + 1))
