"""Public registration that does not tell whether an email has an account (issue 10,
finding 8).

``auth/register/`` answers ``201`` with an account-shaped body in both cases: a new
email creates the patient; an email that already has an account creates nothing, and
its owner gets an email saying someone tried to register with it (log in instead;
redeem an invitation code from the app). The stand-in account in the answer has a
fresh random id and the values sent; the password is hashed all the same, so the two
answers take about as long. The app logs in next either way (``auth/token/``): the
owner who typed their own password is in, anyone else gets the same ``401`` as any
wrong password.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction

from users.models import User
from users.services import email_normalize, user_register, user_register_errors


@dataclass(frozen=True)
class Registration:
    """What ``auth/register/`` shows: an account, and whether it is in care."""

    account: User
    in_care: bool


def registration_submit(
    *,
    email: str,
    password: str,
    name: str,
    timezone: str = "UTC",
    invite_code: str | None = None,
) -> Registration:
    """Register a patient, answering alike whether or not ``email`` has an account.

    ValidationError for what is wrong with the fields themselves (weak password,
    unknown time zone, a bad ``invite_code``: users.invitations), never for a taken
    email.
    """
    errors = user_register_errors(
        email=email,
        password=password,
        name=name,
        timezone=timezone,
        check_email_free=False,
    )
    if errors:
        raise ValidationError(errors)
    if invite_code is not None:
        from users.invitations import invitation_check

        invitation_check(code=invite_code)
    if not User.objects.filter(email__iexact=email_normalize(email)).exists():
        try:
            user = user_register(
                email=email,
                password=password,
                name=name,
                timezone=timezone,
                invite_code=invite_code,
            )
            return Registration(account=user, in_care=invite_code is not None)
        except ValidationError as exc:
            # Lost the race to a simultaneous registration of the same address.
            taken = getattr(exc, "error_dict", {}).get("email", [])
            if not any(error.code == "email_taken" for error in taken):
                raise
    return _already_registered(
        email=email, password=password, name=name, timezone=timezone, invite=invite_code
    )


def _already_registered(
    *, email: str, password: str, name: str, timezone: str, invite: str | None
) -> Registration:
    from users.tasks import account_exists_email_send

    # The same hashing work as creating the account: the two answers take alike.
    stand_in = User(
        email=email_normalize(email),
        name=name,
        timezone=timezone,
        role=User.Role.PATIENT,
        password=make_password(password),
    )
    address = stand_in.email
    transaction.on_commit(
        lambda: account_exists_email_send.delay(
            email=address, with_invite=invite is not None
        )
    )
    return Registration(account=stand_in, in_care=invite is not None)
