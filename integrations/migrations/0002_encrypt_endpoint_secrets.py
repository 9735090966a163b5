"""Endpoint secrets encrypted at rest: ``secret`` (plain text) becomes ``encrypted_secret``.

Existing rows are encrypted with the keys configured when the migration runs
(integrations/webhooks/crypto.py); going back decrypts them into ``secret`` again.
"""

from django.db import migrations, models


def encrypt_existing(apps, schema_editor):
    from integrations.webhooks.crypto import secret_encrypt

    Endpoint = apps.get_model("integrations", "WebhookEndpoint")
    for endpoint in Endpoint.objects.exclude(secret="").only("pk", "secret"):
        Endpoint.objects.filter(pk=endpoint.pk).update(
            encrypted_secret=secret_encrypt(endpoint.secret)
        )


def decrypt_existing(apps, schema_editor):
    from integrations.webhooks.crypto import secret_decrypt

    Endpoint = apps.get_model("integrations", "WebhookEndpoint")
    for endpoint in Endpoint.objects.exclude(encrypted_secret="").only(
        "pk", "encrypted_secret"
    ):
        Endpoint.objects.filter(pk=endpoint.pk).update(
            secret=secret_decrypt(endpoint.encrypted_secret)
        )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="encrypted_secret",
            field=models.TextField(
                default="",
                editable=False,
                help_text="The signing secret, encrypted (Fernet token).",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
        migrations.AlterField(
            model_name="webhookattempt",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("in_flight", "In flight"),
                    ("success", "Success (2xx)"),
                    ("http_error", "HTTP error"),
                    ("network_error", "Network error or timeout"),
                    ("refused", "Refused (address not allowed)"),
                    ("interrupted", "Interrupted (worker stopped)"),
                    ("secret_error", "Not sent: the secret's key is missing"),
                ],
                default="in_flight",
                max_length=16,
            ),
        ),
    ]
