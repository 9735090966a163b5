"""The clinicians' daily email digest of open alerts, and its per-clinician setting.

The digest is off until a clinician turns it on. It is sent once a day, from
``OUTCOMES_DIGEST_HOUR`` in the clinician's time zone, when they have unresolved alerts;
the ``AlertDigest`` row of the day is written in the same transaction as the email is
handed to the mail backend, so a rerun (or a retry after a failed send) never sends
the same day's digest twice.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from outcomes.models import AlertDigest, ClinicianAlertSettings
from outcomes.selectors.alerts import digest_alerts
from users.models import User
from users.services import access_log_record_many

__all__ = [
    "DIGEST_SUBJECT",
    "alert_digest_send",
    "alert_digests_send",
    "alert_settings_get",
    "alert_settings_update",
]

DIGEST_SUBJECT = "Rehabit: {count} alert{plural} need your attention"
DIGEST_PATH = "email:alert-digest"


def alert_settings_get(*, clinician: User) -> ClinicianAlertSettings:
    """The clinician's alert settings (the defaults, unsaved, if they never changed them)."""
    found = ClinicianAlertSettings.objects.filter(clinician=clinician).first()
    return found or ClinicianAlertSettings(clinician=clinician)


def alert_settings_update(
    *, clinician: User, daily_digest: bool
) -> ClinicianAlertSettings:
    """Turn the daily digest on or off for ``clinician``."""
    found, _ = ClinicianAlertSettings.objects.update_or_create(
        clinician=clinician, defaults={"daily_digest": daily_digest}
    )
    return found


def alert_digest_send(*, clinician: User, day: dt.date) -> AlertDigest | None:
    """Email ``clinician`` their unresolved alerts for ``day``; None if nothing to send.

    Returns None too when the day's digest was already sent. Each patient named in the
    email is recorded in their access log (the email shows their data).
    """
    alerts = digest_alerts(clinician=clinician)
    if not alerts:
        return None
    with transaction.atomic():
        digest, created = AlertDigest.objects.get_or_create(
            clinician=clinician, day=day, defaults={"alert_count": len(alerts)}
        )
        if not created:
            return None
        body = render_to_string(
            "outcomes/email/alert_digest.txt",
            {"clinician": clinician, "alerts": alerts, "day": day},
        )
        subject = DIGEST_SUBJECT.format(
            count=len(alerts), plural="" if len(alerts) == 1 else "s"
        )
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [clinician.email])
        access_log_record_many(
            actor=clinician,
            patient_ids=[alert.patient_id for alert in alerts],
            action="alerts.digest",
            path=DIGEST_PATH,
        )
    return digest


def alert_digests_send(*, now: dt.datetime | None = None) -> list[AlertDigest]:
    """Send the day's digest to every opted-in clinician whose local hour has come."""
    now = now or timezone.now()
    clinicians = User.objects.filter(
        role=User.Role.CLINICIAN,
        is_active=True,
        alert_settings__daily_digest=True,
    ).order_by("pk")
    sent = []
    for clinician in clinicians:
        local = now.astimezone(zoneinfo.ZoneInfo(clinician.timezone))
        if local.hour < settings.OUTCOMES_DIGEST_HOUR:
            continue
        digest = alert_digest_send(clinician=clinician, day=local.date())
        if digest is not None:
            sent.append(digest)
    return sent
