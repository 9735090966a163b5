"""Let the "Clinicians" group open the review queue (pending revisions) in the admin.

View only: revisions are proposed by editing published content and approved or
rejected with the buttons of their page, which call exercises.revisions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Clinicians"
CODENAMES = ["view_contentrevision"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now.
    app_config = apps.get_app_config("exercises")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="exercises", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="exercises", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0006_content_revisions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
