"""Load the shipped instruments (outcomes/instruments): NPRS, PSFS, Global Rating of Change."""

from django.db import migrations


def load(apps, schema_editor):
    from outcomes.instruments import shipped_documents

    Questionnaire = apps.get_model("outcomes", "Questionnaire")
    for document in shipped_documents():
        Questionnaire.objects.get_or_create(
            url=document["url"],
            version=document["version"],
            defaults={
                "name": document["name"],
                "title": document["title"],
                "status": document["status"],
                "description": document["description"],
                "copyright": document["copyright"],
                "items": document["item"],
                "scoring": document["scoring"],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0002_proms")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
