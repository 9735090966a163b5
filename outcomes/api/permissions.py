"""Who may call the outcomes endpoints (scoping to their patients is the selectors' job)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission

from users.models import User

if TYPE_CHECKING:
    from rest_framework.request import Request


class IsCareTeam(BasePermission):
    """Clinicians and admins (superusers); patients get 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and (
                user.is_superuser or getattr(user, "role", None) == User.Role.CLINICIAN
            )
        )


class IsClinician(BasePermission):
    """Clinicians only (settings of their own, e.g. the alert digest)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user.is_authenticated and getattr(user, "role", None) == User.Role.CLINICIAN
        )


class IsPatient(BasePermission):
    """Patients only (their own outcome measures)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user.is_authenticated and getattr(user, "role", None) == User.Role.PATIENT
        )
