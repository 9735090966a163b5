"""Create the "Clinicians" group: staff who curate the library but do not manage users."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Clinicians"
MODELS = [
    "muscle",
    "equipment",
    "condition",
    "exercise",
    "exerciseinstruction",
    "exercisemedia",
    "exerciselink",
    "routine",
    "routineitem",
]
EXTRA = ["publish_exercise", "publish_routine"]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now.
    app_config = apps.get_app_config("exercises")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete", "view")]
    codenames += EXTRA
    perms = Permission.objects.filter(content_type__app_label="exercises", codename__in=codenames)
    group.permissions.add(*perms)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
