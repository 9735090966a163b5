from django.apps import AppConfig


class TrainingSessionsConfig(AppConfig):
    # django.contrib.sessions already owns the label "sessions".
    name = "sessions"
    label = "training_sessions"
    verbose_name = "Patients and plans"  # the admin's breadcrumbs: named for people
