"""Background work of the users app: invitation emails."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from users.models import Invitation

SUBJECT = "{clinician} invites you to Rehabit"
BODY = (
    "{clinician} has invited you to follow your exercise plan with Rehabit.\n\n"
    "Your invitation code: {code}\n\n"
    "Enter it when you create your account in the app (or, if you already have "
    "one, under Profile > Invitations). It can be used once and expires on "
    "{expires}.\n"
)
NOTE = "\nA note from {clinician}:\n{note}\n"


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def invitation_email_send(*, invitation_id: int, code: str) -> bool:
    """Email the invitation's code to its address; False when it is no longer pending.

    Idempotent enough for a redelivery: an invitation already used, revoked or gone is
    not mailed again (a second copy of a pending one is harmless).
    """
    invitation = (
        Invitation.objects.select_related("clinician")
        .filter(pk=invitation_id, redeemed_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    clinician = invitation.clinician.get_full_name() or invitation.clinician.email
    body = BODY.format(
        clinician=clinician,
        code=code,
        expires=invitation.expires_at.date().isoformat(),
    )
    if invitation.note:
        body += NOTE.format(clinician=clinician, note=invitation.note)
    send_mail(
        SUBJECT.format(clinician=clinician),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [invitation.email],
    )
    return True
