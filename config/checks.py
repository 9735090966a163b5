"""System checks for Django's middlewares that the project installs as subclasses.

Django's deployment checks security.W001 (SecurityMiddleware), security.W002
(XFrameOptionsMiddleware) and security.W003 (CsrfViewMiddleware) look for Django's
exact dotted paths in MIDDLEWARE; the project installs cheaper subclasses of them
(``config.middleware``, docs/performance.md), which those checks cannot see. They are
silenced (SILENCED_SYSTEM_CHECKS) and replaced by this check, which accepts Django's
class or a subclass of it and says the same otherwise.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.checks.security import base as security_base
from django.core.checks.security import csrf as security_csrf
from django.utils.module_loading import import_string

# Django's check id -> (the middleware it asks for, Django's warning).
REPLACED: dict[str, tuple[str, checks.Warning]] = {
    "security.W001": (
        "django.middleware.security.SecurityMiddleware",
        security_base.W001,
    ),
    "security.W002": (
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        security_base.W002,
    ),
    "security.W003": (
        "django.middleware.csrf.CsrfViewMiddleware",
        security_csrf.W003,
    ),
}


def replaced_id(check_id: str) -> str:
    """The id this check reports under for one of Django's (``config.W001``...)."""
    return "config." + check_id.split(".", 1)[1]


@checks.register(checks.Tags.security, deploy=True)
def check_security_middleware_subclasses(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    installed = [import_string(path) for path in settings.MIDDLEWARE]
    messages: list[checks.CheckMessage] = []
    for check_id, (path, warning) in REPLACED.items():
        wanted = import_string(path)
        if not any(
            isinstance(middleware, type) and issubclass(middleware, wanted)
            for middleware in installed
        ):
            messages.append(
                checks.Warning(warning.msg, hint=warning.hint, id=replaced_id(check_id))
            )
    return messages
