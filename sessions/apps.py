from django.apps import AppConfig


class TrainingSessionsConfig(AppConfig):
    # django.contrib.sessions already owns the label "sessions".
    name = "sessions"
    label = "training_sessions"
    verbose_name = "Patients and plans"  # the admin's breadcrumbs: named for people

    def ready(self) -> None:
        # A patient's cached answers go stale on this app's writes (sessions/cache.py).
        from sessions.cache import connect_signals

        connect_signals()
