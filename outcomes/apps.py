from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """Outcomes: alerts, outcome measures (PROMs) and reminders, above ``sessions``."""

    name = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # Receivers of the sessions app's domain events (sessions never imports us).
        from outcomes import receivers

        receivers.connect()
