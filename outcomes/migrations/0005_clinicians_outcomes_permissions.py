"""Let the "Clinicians" group see their patients' alerts and answers in the admin.

Alerts: view and change (acknowledge, resolve, note); answers and questionnaires: view
only; their own alert settings: view, add and change. Which rows a clinician sees is
scoped in outcomes/admin/.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Clinicians"
CODENAMES = [
    "view_alert",
    "change_alert",
    "view_questionnaire",
    "view_questionnaireresponse",
    "view_clinicianalertsettings",
    "add_clinicianalertsettings",
    "change_clinicianalertsettings",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now.
    app_config = apps.get_app_config("outcomes")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="outcomes", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="outcomes", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0004_calendar_feed"),
        ("training_sessions", "0003_clinicians_care_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
