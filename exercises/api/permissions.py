"""Who may write library content over the API (the services check the rest)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from users.models import User


class IsLibraryWriter(BasePermission):
    """Clinicians and admins (staff); patients get 403, anonymous callers 401."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_staff
