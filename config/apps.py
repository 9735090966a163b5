"""The admin app with the project's site (config.admin.RehabitAdminSite) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class RehabitAdminConfig(AdminConfig):
    default_site = "config.admin.RehabitAdminSite"

    def ready(self) -> None:
        super().ready()
        # Registers the project's system checks (config/checks.py).
        import config.checks  # noqa: F401
