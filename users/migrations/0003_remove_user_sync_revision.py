"""The sync counter lives in training_sessions.PatientSyncState (values carried there)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_care_and_access_log"),
        ("training_sessions", "0004_patient_sync_state"),
    ]

    operations = [
        migrations.RemoveField(model_name="user", name="sync_revision"),
    ]
