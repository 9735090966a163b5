"""The sync counter moves off the user table: PatientSyncState, one row per patient.

Carries every patient's current ``users_user.sync_revision`` (rows only for patients
who have written: no row reads as 0); users.0003 then drops the column.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_counters(apps, schema_editor):
    User = apps.get_model("users", "User")
    PatientSyncState = apps.get_model("training_sessions", "PatientSyncState")
    counters = User.objects.filter(sync_revision__gt=0).values_list("pk", "sync_revision")
    PatientSyncState.objects.bulk_create(
        [PatientSyncState(patient_id=pk, revision=revision) for pk, revision in counters],
        batch_size=1000,
    )


def restore_counters(apps, schema_editor):
    User = apps.get_model("users", "User")
    PatientSyncState = apps.get_model("training_sessions", "PatientSyncState")
    for state in PatientSyncState.objects.all().iterator():
        User.objects.filter(pk=state.patient_id).update(sync_revision=state.revision)


class Migration(migrations.Migration):
    dependencies = [
        ("training_sessions", "0003_clinicians_care_permissions"),
        ("users", "0002_care_and_access_log"),
    ]

    operations = [
        migrations.CreateModel(
            name="PatientSyncState",
            fields=[
                (
                    "patient",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="sync_state",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revision",
                    models.PositiveBigIntegerField(
                        default=0,
                        help_text=(
                            "Last change number of this patient's session logs "
                            "(the sync cursor)."
                        ),
                    ),
                ),
            ],
            options={"verbose_name": "patient sync state"},
        ),
        migrations.RunPython(carry_counters, restore_counters),
    ]
