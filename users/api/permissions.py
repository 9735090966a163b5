"""Permissions of the accounts API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission

from users.models import User

if TYPE_CHECKING:
    from rest_framework.request import Request


class IsClinicianOrAdmin(BasePermission):
    """Clinicians and admins (superusers) only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and (user.is_superuser or user.is_clinician)


def signed_in_user(request: Request) -> User:
    """The caller's account, for views that require a login (401 if there is none)."""
    if not isinstance(request.user, User):
        raise NotAuthenticated
    return request.user
