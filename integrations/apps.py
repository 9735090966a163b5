from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """FHIR R4 reads and signed webhooks: a layer above sessions and users.

    Nothing below imports this app; it subscribes to their domain events here.
    """

    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from integrations.webhooks import receivers

        receivers.connect()
