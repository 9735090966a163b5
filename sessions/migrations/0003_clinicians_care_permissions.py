"""Let the "Clinicians" group follow their patients in the admin.

Patients (the proxy page), plans and their items (prescribe, adjust dosage, pause and
end: view, add and change, never delete), and session logs (view only: logs are the
patient's words). Still nothing on user accounts or groups; which patients and plans a
clinician sees is scoped in sessions/admin.py.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Clinicians"
CODENAMES = [
    "view_patient",
    "view_plan",
    "add_plan",
    "change_plan",
    "view_planitem",
    "change_planitem",
    "view_session",
    "view_sessionexercise",
    "view_sessionset",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now.
    app_config = apps.get_app_config("training_sessions")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    perms = Permission.objects.filter(
        content_type__app_label="training_sessions", codename__in=CODENAMES
    )
    group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="training_sessions", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("training_sessions", "0002_patient_proxy"),
        ("exercises", "0003_clinicians_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
