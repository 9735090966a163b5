"""Permissions of the accounts API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission

from users.models import User

if TYPE_CHECKING:
    from rest_framework.request import Request


class IsClinicianOrAdmin(BasePermission):
    """Clinicians and admins (superusers) only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and (user.is_superuser or user.is_clinician)
