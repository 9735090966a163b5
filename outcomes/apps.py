from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """Outcomes: alerts, outcome measures (PROMs) and reminders, above ``sessions``."""

    name = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # Receivers of the sessions app's domain events (sessions never imports us).
        from outcomes import cache, receivers
        from outcomes.selectors import export

        receivers.connect()
        # The clinicians' cached alert lists, made stale by the writes they show.
        cache.connect_signals()
        # Alerts, questionnaire answers and assignments, the calendar feed's existence:
        # sections of the patient's data export, which sessions composes.
        export.register()
