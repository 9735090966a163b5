"""Background work of the users app: invitation emails, registration notices."""

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


EXISTS_SUBJECT = "Someone tried to create a Rehabit account with your email"
EXISTS_BODY = (
    "Someone (perhaps you) tried to create a Rehabit account with this email address, "
    "which already has one. No new account was made and nothing was changed.\n\n"
    "If it was you: log in to the app with your email and password instead. If you "
    "forgot your password, ask your clinic.\n"
    "If it was not you, you can ignore this message.\n"
)
EXISTS_INVITE = (
    "\nYou were given an invitation code: after logging in, enter it under "
    "Profile > Invitations.\n"
)


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def account_exists_email_send(*, email: str, with_invite: bool = False) -> bool:
    """Tell the owner of ``email`` that a registration was tried with it (the public
    answer does not say so: users.registration). False if the account is gone."""
    from users.models import User

    if not User.objects.filter(email__iexact=email, is_active=True).exists():
        return False
    body = EXISTS_BODY + (EXISTS_INVITE if with_invite else "")
    send_mail(EXISTS_SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [email])
    return True
