"""The library's muscles and equipment for the names a Free Exercise DB file uses
(phase 2 of the import, exercises.importers)."""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify

from exercises.import_source import source_key
from exercises.models import Equipment, Muscle

MUSCLE_REGIONS = {
    "abdominals": Muscle.BodyRegion.CORE,
    "abductors": Muscle.BodyRegion.LEGS,
    "adductors": Muscle.BodyRegion.LEGS,
    "biceps": Muscle.BodyRegion.ARMS,
    "calves": Muscle.BodyRegion.LEGS,
    "chest": Muscle.BodyRegion.CHEST,
    "forearms": Muscle.BodyRegion.ARMS,
    "glutes": Muscle.BodyRegion.HIPS,
    "hamstrings": Muscle.BodyRegion.LEGS,
    "lats": Muscle.BodyRegion.BACK,
    "lower back": Muscle.BodyRegion.BACK,
    "middle back": Muscle.BodyRegion.BACK,
    "neck": Muscle.BodyRegion.NECK,
    "quadriceps": Muscle.BodyRegion.LEGS,
    "shoulders": Muscle.BodyRegion.SHOULDERS,
    "traps": Muscle.BodyRegion.BACK,
    "triceps": Muscle.BodyRegion.ARMS,
}
# Source equipment -> library name; values not listed are capitalised as they are.
EQUIPMENT_NAMES = {
    "bands": "Resistance band",
    "e-z curl bar": "EZ curl bar",
    "foam roll": "Foam roller",
    "kettlebells": "Kettlebell",
}
# "other" names no equipment, so it becomes a sentence of the summary instead of a row.
NO_EQUIPMENT = {"body only", "other"}


class TaxonomyCache:
    """Taxonomy rows by slug and by lower-case name; creates missing ones on first use."""

    def __init__(self, model: type[Muscle] | type[Equipment]) -> None:
        self.model = model
        self.rows: dict[str, Any] = {}
        self.created: list[str] = []
        for row in model.objects.all():
            self.rows[row.slug] = row
            self.rows[row.name.lower()] = row

    def get(self, source_name: str) -> Any:
        key = source_key(source_name)
        if self.model is Muscle:
            name = key.capitalize()
            extra: dict[str, Any] = {"body_region": MUSCLE_REGIONS[key]}
        else:
            name = EQUIPMENT_NAMES.get(key, key.capitalize())
            extra = {}
        slug = slugify(name)
        for lookup in (slug, name.lower(), slugify(key), key):
            if lookup in self.rows:
                return self.rows[lookup]
        row = self.model.objects.create(name=name, slug=slug, **extra)
        self.rows[slug] = self.rows[name.lower()] = row
        self.created.append(name)
        return row
