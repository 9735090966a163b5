"""The caller of an API view, typed: the one place that narrows ``request.user``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.exceptions import NotAuthenticated

from users.models import User

if TYPE_CHECKING:
    from rest_framework.request import Request


def signed_in_user(request: Request) -> User:
    """The caller's account, for views that require a login (401 if there is none)."""
    if not isinstance(request.user, User):
        raise NotAuthenticated
    return request.user
