from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    verbose_name = "Exercise library"

    def ready(self) -> None:
        from exercises.cache import connect_signals

        connect_signals()
