"""Permissions of the accounts API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission

if TYPE_CHECKING:
    from rest_framework.request import Request


class IsClinicianOrAdmin(BasePermission):
    """Clinicians and admins (superusers) only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and (user.is_superuser or getattr(user, "is_clinician", False))
        )
