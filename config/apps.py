"""The admin app with the project's site (config.admin.RehabitAdminSite) as ``admin.site``,
and the project-wide receivers of the apps' signals (``config`` wires the apps)."""

from typing import Any

from django.contrib.admin.apps import AdminConfig


def _on_patient_erasing(sender: Any, *, patient: Any, **_: Any) -> None:
    from config.api.throttling import throttle_histories_forget

    throttle_histories_forget(patient.pk)


class RehabitAdminConfig(AdminConfig):
    default_site = "config.admin.RehabitAdminSite"

    def ready(self) -> None:
        super().ready()
        from sessions.signals import patient_erasing

        # The API's rate-limit histories keyed by the patient's account go too.
        patient_erasing.connect(
            _on_patient_erasing, dispatch_uid="config.throttle_histories_forget"
        )
        # Registers the project's system checks (config/checks.py).
        import config.checks  # noqa: F401
