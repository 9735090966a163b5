"""Who may call the outcomes endpoints (scoping to their patients is the selectors' job)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission

from users.models import User

if TYPE_CHECKING:
    from rest_framework.request import Request


class IsCareTeam(BasePermission):
    """Clinicians and admins (superusers); patients get 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and (user.is_superuser or user.is_clinician)


class IsClinician(BasePermission):
    """Clinicians only (settings of their own, e.g. the alert digest)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_clinician


class IsPatient(BasePermission):
    """Patients only (their own outcome measures and reminders)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.role == User.Role.PATIENT


def signed_in_user(request: Request) -> User:
    """The caller's account, for views that require a login (401 if there is none)."""
    if not isinstance(request.user, User):
        raise NotAuthenticated
    return request.user
