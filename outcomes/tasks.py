"""Background work of the outcomes app (Celery; eager in unit tests and without a broker).

Every task is idempotent: alerts are unique per cause and digests per clinician and
day, so a retry, a redelivery or a second beat tick changes nothing twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from django.db import DatabaseError

from outcomes.services.alerts import (
    alerts_response_rules_run,
    alerts_session_rules_run,
    alerts_time_rules_run,
)
from outcomes.services.digests import alert_digests_send

RETRY: dict[str, Any] = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def alerts_session_rules(session_id: str) -> int:
    """Run the upload rules on one session (queued after its commit); new alerts count."""
    return len(alerts_session_rules_run(session_id=uuid.UUID(session_id)))


@shared_task(**RETRY)
def alerts_response_rules(response_id: str) -> int:
    """Run the outcome-measure rule on stored answers (queued after their commit)."""
    return len(alerts_response_rules_run(response_id=uuid.UUID(response_id)))


@shared_task(**RETRY)
def alerts_time_rules_run_task() -> int:
    """Run the periodic rules (inactivity); new alerts count."""
    return len(alerts_time_rules_run())


@shared_task(**RETRY)
def alert_digests_send_task() -> int:
    """Send the due daily digests; how many were sent."""
    return len(alert_digests_send())
