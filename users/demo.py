"""Development logins of ``manage.py load_demo``: an admin and two clinicians (the demo
patient is sessions.demo's). Created only when DEBUG is on; these passwords are public.

By default only missing accounts are created (matched by email); ``reset`` brings
existing ones back (password, name, role, flags, the Clinicians group).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group

from common.demo import DemoReport, DemoUser, assign
from users.models import CLINICIANS_GROUP, User

NOT_DEBUG = "Development logins are not created: DEBUG is off."
LOGINS_DISABLED = "Development logins were not requested (--no-logins)."

ADMIN = DemoUser(
    "admin", "admin@rehabit.dev", "rehabit-admin", "Demo Admin", "admin", True
)
CLINICIAN = DemoUser(
    "clinician",
    "clinician@rehabit.dev",
    "rehabit-clinician",
    "Demo Clinician",
    "clinician",
    clinician=True,
)
REVIEWER = DemoUser(
    "reviewer",
    "reviewer@rehabit.dev",
    "rehabit-reviewer",
    "Demo Reviewer",
    "clinician",
    clinician=True,
)
DEMO_USERS = (ADMIN, CLINICIAN, REVIEWER)


def demo_logins_load(
    *, report: DemoReport, logins: bool, reset: bool
) -> dict[str, User]:
    """The staff logins by key: created if missing (DEBUG and ``logins`` only), restored
    on ``reset``; existing ones are returned even when none may be created."""
    existing = {
        user.email: user
        for user in User.objects.filter(email__in=[demo.email for demo in DEMO_USERS])
    }
    create = logins and settings.DEBUG
    if not logins:
        report.logins_note = LOGINS_DISABLED
    elif not settings.DEBUG:
        report.logins_note = NOT_DEBUG
    users: dict[str, User] = {}
    for demo in DEMO_USERS:
        user = existing.get(demo.email)
        if create:
            user = demo_user_sync(demo, user=user, reset=reset, report=report)
            report.logins.append(demo)
        if user is not None:
            users[demo.key] = user
    return users


def demo_user_sync(
    demo: DemoUser, *, user: User | None, reset: bool, report: DemoReport
) -> User:
    """Create ``demo``'s account if ``user`` is None, or bring ``user`` back to it on
    ``reset``; counted in ``report`` as "users"."""
    if user is None:
        user = _create(demo)
        report.created["users"] += 1
    elif reset and _restore(user, demo):
        report.restored["users"] += 1
    return user


def _wanted(demo: DemoUser) -> dict[str, object]:
    wanted: dict[str, object] = {
        "name": demo.name,
        "role": demo.role,
        "is_active": True,
        "is_staff": demo.superuser or demo.clinician,
        "is_superuser": demo.superuser,
    }
    if demo.timezone is not None:
        wanted["timezone"] = demo.timezone
    return wanted


def _create(demo: DemoUser) -> User:
    extra = {k: v for k, v in _wanted(demo).items() if k != "is_active"}
    user: User
    if demo.superuser:
        extra.pop("is_staff")
        extra.pop("is_superuser")
        user = User.objects.create_superuser(demo.email, demo.password, **extra)
    else:
        user = User.objects.create_user(demo.email, demo.password, **extra)
    if demo.clinician:
        group = Group.objects.filter(name=CLINICIANS_GROUP).first()
        if group is not None:
            user.groups.add(group)
    return user


def _restore(user: User, demo: DemoUser) -> bool:
    """Whether anything of ``user`` had to be brought back to ``demo``."""
    changed = assign(user, _wanted(demo))
    if not user.check_password(demo.password):
        user.set_password(demo.password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    if demo.clinician:
        group = Group.objects.filter(name=CLINICIANS_GROUP).first()
        if group is not None and not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            changed.append("groups")
    return bool(changed)
