"""Import the Free Exercise DB (public domain) into the library as draft exercises.

Two phases, so that a malformed file writes nothing:
    ``free_exercise_db_read(path)``      parse and validate every record (ImportFileError;
                                         exercises.import_source, re-exported here);
    ``free_exercise_db_import(...)``     write them in one transaction, idempotent by
                                         (source_name, source_id); muscles and equipment
                                         come from exercises.import_taxonomies.

Rules (documented for clinicians in the command's help):
- New records become drafts with source attribution and one history record
  "Imported from Free Exercise DB".
- A record already imported is updated only while the exercise is still the importer's
  draft. Once it was submitted, published or archived it is skipped ("already reviewed"),
  and a draft whose last recorded edit was made by someone else (e.g. in the admin) is
  skipped too ("edited since the import"): the import never overwrites curated content.
- Valid records that cannot be used (no instructions, duplicate id, unknown muscle...) are
  skipped with a reason; the report groups them by reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Subquery
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from exercises.cache import catalog_changed
from exercises.import_source import (
    SOURCE_LICENCE,
    SOURCE_NAME,
    ImportFileError,
    SourceRecord,
    alt_text,
    exercise_fields,
    free_exercise_db_read,
    free_exercise_db_validate,
    source_key,
)
from exercises.import_taxonomies import (
    MUSCLE_REGIONS,
    NO_EQUIPMENT,
    TaxonomyCache,
)
from exercises.models import (
    Equipment,
    Exercise,
    ExerciseInstruction,
    ExerciseMedia,
    Muscle,
    Status,
)

if TYPE_CHECKING:
    from users.models import User

# Phase 1 (exercises.import_source), importable from here as before.
__all__ = [
    "SOURCE_LICENCE",
    "SOURCE_NAME",
    "ImportFileError",
    "ImportReport",
    "SourceRecord",
    "free_exercise_db_import",
    "free_exercise_db_read",
    "free_exercise_db_validate",
]

MEDIA_CREDIT = "Free Exercise DB"
IMPORTED_REASON = "Imported from Free Exercise DB"
UPDATED_REASON = "Updated from Free Exercise DB"
# The import may rewrite a draft only while its last history record is one of these.
IMPORT_REASONS = (IMPORTED_REASON, UPDATED_REASON)

# A CharField always has a max_length; the stubs type it as optional.
MAX_INSTRUCTION = cast(int, ExerciseInstruction._meta.get_field("text").max_length)
MAX_URL = cast(int, ExerciseMedia._meta.get_field("url").max_length)
BATCH_SIZE = 500
MEDIA_KEYS = ("kind", "url", "alt_text", "credit", "licence")

SKIP_DUPLICATE = "duplicate id in the file (the first record with this id was used)"
SKIP_NO_INSTRUCTIONS = "no instructions"
SKIP_INSTRUCTION_TOO_LONG = f"an instruction longer than {MAX_INSTRUCTION} characters"
SKIP_UNKNOWN_MUSCLE = "unknown muscle {name!r}"
SKIP_INVALID = "invalid values ({fields})"
SKIP_IMAGE_URL_TOO_LONG = f"an image URL longer than {MAX_URL} characters"
SKIP_REVIEWED = "already reviewed (submitted, published or archived; not overwritten)"
SKIP_EDITED = "draft edited since the import (not overwritten)"


@dataclass
class ImportReport:
    """What an import did, by source id; ``skipped`` maps a reason to the ids it covers."""

    total: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    images_linked: int = 0
    images_not_linked: int = 0
    muscles_created: list[str] = field(default_factory=list)
    equipment_created: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def skipped_count(self) -> int:
        return sum(len(ids) for ids in self.skipped.values())


ProgressCallback = Callable[[int, int], None]


# ---------------------------------------------------------------------------
# Phase 2: write
# ---------------------------------------------------------------------------
def free_exercise_db_import(
    *,
    records: Sequence[SourceRecord],
    author: User | None = None,
    image_base_url: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Create or update draft exercises from validated records, in one transaction.

    ``dry_run`` does all the work and rolls it back, so the report is exact.
    """
    with transaction.atomic():
        importer = _Importer(author=author, image_base_url=image_base_url)
        report = importer.run(records, progress=progress)
        report.dry_run = dry_run
        # Bulk writes send no signals: the catalog cache is told here.
        catalog_changed()
        if dry_run:
            transaction.set_rollback(True)
    return report


@dataclass
class _Planned:
    """What the library should hold for one record."""

    links: dict[str, set[int]]  # m2m field name -> target ids
    instructions: list[str]
    media: list[dict[str, str]] | None  # None: leave media alone (no image base URL)


class _Importer:
    """Holds the in-memory caches (taxonomies, slugs, existing exercises) of one import."""

    def __init__(self, *, author: User | None, image_base_url: str | None) -> None:
        self.author = author
        self.image_base_url = image_base_url.rstrip("/") if image_base_url else None
        self.report = ImportReport()
        self.muscles = TaxonomyCache(Muscle)
        self.equipment = TaxonomyCache(Equipment)
        self.slugs: set[str] = set(Exercise.objects.values_list("slug", flat=True))
        self.existing = self._load_existing()
        self.new: list[Exercise] = []
        self.new_links: list[tuple[Exercise, _Planned]] = []
        self.new_instructions: list[ExerciseInstruction] = []
        self.new_media: list[ExerciseMedia] = []
        self.changed: list[Exercise] = []

    @staticmethod
    def _load_existing() -> dict[str, Exercise]:
        history = Exercise.history.model.objects.filter(id=OuterRef("pk"))
        queryset = (
            Exercise.objects.filter(source_name=SOURCE_NAME)
            .annotate(
                has_history=Exists(history),
                last_reason=Subquery(
                    history.order_by("-history_date", "-history_id").values(
                        "history_change_reason"
                    )[:1]
                ),
            )
            .prefetch_related(
                "instructions",
                "media",
                "primary_muscles",
                "secondary_muscles",
                "equipment",
            )
        )
        return {exercise.source_id: exercise for exercise in queryset}

    def run(
        self, records: Sequence[SourceRecord], *, progress: ProgressCallback | None
    ) -> ImportReport:
        report = self.report
        report.total = len(records)
        seen: set[str] = set()
        for done, record in enumerate(records, start=1):
            if record.id in seen:
                report.skipped[SKIP_DUPLICATE].append(record.id)
            else:
                seen.add(record.id)
                self._import_one(record)
            if progress and (done % 100 == 0 or done == len(records)):
                progress(done, len(records))
        self._write()
        return report

    # -- one record ---------------------------------------------------------
    def _import_one(self, record: SourceRecord) -> None:
        reason = self._unusable(record)
        existing = self.existing.get(record.id)
        if reason is None and existing is not None:
            reason = self._protected(existing)
        if reason is None:
            reason = (
                self._create(record)
                if existing is None
                else self._update(existing, record)
            )
        if reason is not None:
            self.report.skipped[reason].append(record.id)
        elif self.image_base_url is None:
            self.report.images_not_linked += len(record.images)
        else:
            self.report.images_linked += len(record.images)

    def _unusable(self, record: SourceRecord) -> str | None:
        if not record.instructions:
            return SKIP_NO_INSTRUCTIONS
        if any(len(text) > MAX_INSTRUCTION for text in record.instructions):
            return SKIP_INSTRUCTION_TOO_LONG
        for name in (*record.primary_muscles, *record.secondary_muscles):
            if source_key(name) not in MUSCLE_REGIONS:
                return SKIP_UNKNOWN_MUSCLE.format(name=name)
        if self.image_base_url and any(
            len(self._image_url(path)) > MAX_URL for path in record.images
        ):
            return SKIP_IMAGE_URL_TOO_LONG
        return None

    @staticmethod
    def _protected(exercise: Exercise) -> str | None:
        if exercise.status != Status.DRAFT:
            return SKIP_REVIEWED
        last_reason = exercise.last_reason  # type: ignore[attr-defined]
        if exercise.has_history and last_reason not in IMPORT_REASONS:  # type: ignore[attr-defined]
            return SKIP_EDITED
        return None

    def _create(self, record: SourceRecord) -> str | None:
        exercise = Exercise(
            slug=self._unique_slug(record),
            source_name=SOURCE_NAME,
            source_id=record.id,
            laterality=Exercise.Laterality.BILATERAL,
            author=self.author,
            **exercise_fields(record),
        )
        invalid = _invalid_fields(exercise)
        if invalid:
            self.slugs.discard(exercise.slug)
            return invalid
        planned = self._plan(record)
        self.new.append(exercise)
        self.new_links.append((exercise, planned))
        self._add_instructions(exercise, planned)
        self._add_media(exercise, planned)
        self.report.created.append(record.id)
        return None

    def _update(self, exercise: Exercise, record: SourceRecord) -> str | None:
        fields = exercise_fields(record)
        old_values = {name: getattr(exercise, name) for name in fields}
        changed_fields = [
            name for name, value in fields.items() if old_values[name] != value
        ]
        for name in changed_fields:
            setattr(exercise, name, fields[name])
        invalid = _invalid_fields(exercise)
        if invalid:
            for name, value in old_values.items():
                setattr(exercise, name, value)
            return invalid

        planned = self._plan(record)
        # All prefetched: these comparisons run no query.
        link_changes = {
            name: ids
            for name, ids in planned.links.items()
            if {obj.pk for obj in getattr(exercise, name).all()} != ids
        }
        old_instructions = list(exercise.instructions.all())
        instructions_changed = [(i.kind, i.text) for i in old_instructions] != [
            (ExerciseInstruction.Kind.STEP, text) for text in planned.instructions
        ]
        old_media = list(exercise.media.all())
        media_changed = (
            planned.media is not None
            and [
                {key: getattr(media, key) for key in MEDIA_KEYS} for media in old_media
            ]
            != planned.media
        )
        if not (
            changed_fields or link_changes or instructions_changed or media_changed
        ):
            self.report.unchanged.append(record.id)
            return None

        # Save and relink without history; _write() adds one complete record.
        exercise.skip_history_when_saving = True  # type: ignore[attr-defined]
        try:
            exercise.save(update_fields=[*changed_fields, "updated_at"])
            for name, ids in link_changes.items():
                getattr(exercise, name).set(ids)
        finally:
            del exercise.skip_history_when_saving  # type: ignore[attr-defined]
        if instructions_changed:
            _delete_with_history(old_instructions, user=self.author)
            self._add_instructions(exercise, planned)
        if media_changed:
            _delete_with_history(old_media, user=self.author)
            self._add_media(exercise, planned)
        self.changed.append(exercise)
        self.report.updated.append(record.id)
        return None

    def _plan(self, record: SourceRecord) -> _Planned:
        """Resolve taxonomies (creating missing rows), instructions and media."""
        primary = {self.muscles.get(name).pk for name in record.primary_muscles}
        # A muscle listed as both primary and secondary counts as primary only.
        secondary = {self.muscles.get(name).pk for name in record.secondary_muscles}
        equipment: set[int] = set()
        if record.equipment and source_key(record.equipment) not in NO_EQUIPMENT:
            equipment.add(self.equipment.get(record.equipment).pk)
        media = None
        if self.image_base_url is not None:
            media = [
                {
                    "kind": ExerciseMedia.Kind.IMAGE,
                    "url": self._image_url(path),
                    "alt_text": alt_text(record.name, position, len(record.images)),
                    "credit": MEDIA_CREDIT,
                    "licence": SOURCE_LICENCE,
                }
                for position, path in enumerate(record.images, start=1)
            ]
        return _Planned(
            links={
                "primary_muscles": primary,
                "secondary_muscles": secondary - primary,
                "equipment": equipment,
            },
            instructions=list(record.instructions),
            media=media,
        )

    def _image_url(self, path: str) -> str:
        return f"{self.image_base_url}/{quote(path.lstrip('/'))}"

    def _add_instructions(self, exercise: Exercise, planned: _Planned) -> None:
        self.new_instructions.extend(
            ExerciseInstruction(
                exercise=exercise,
                kind=ExerciseInstruction.Kind.STEP,
                text=text,
                order=order,
            )
            for order, text in enumerate(planned.instructions)
        )

    def _add_media(self, exercise: Exercise, planned: _Planned) -> None:
        for order, values in enumerate(planned.media or []):
            self.new_media.append(
                ExerciseMedia(exercise=exercise, order=order, **values)
            )

    def _unique_slug(self, record: SourceRecord) -> str:
        max_length = Exercise._meta.get_field("slug").max_length or 120
        base = (slugify(record.name) or slugify(record.id))[:max_length].strip("-")
        slug, suffix = base, 2
        while slug in self.slugs:
            tail = f"-{suffix}"
            slug = f"{base[: max_length - len(tail)]}{tail}"
            suffix += 1
        self.slugs.add(slug)
        return slug

    # -- writes ---------------------------------------------------------------
    def _write(self) -> None:
        Exercise.objects.bulk_create(self.new, batch_size=BATCH_SIZE)
        # Link the new exercises directly through the m2m tables: no m2m_changed
        # signals, so no history record per link (one record per exercise follows).
        for name in ("primary_muscles", "secondary_muscles", "equipment"):
            m2m_field = Exercise._meta.get_field(name)
            through = m2m_field.remote_field.through  # type: ignore[union-attr]
            target = f"{m2m_field.m2m_reverse_field_name()}_id"  # type: ignore[union-attr]
            through.objects.bulk_create(
                [
                    through(exercise_id=exercise.pk, **{target: target_id})
                    for exercise, planned in self.new_links
                    for target_id in sorted(planned.links[name])
                ],
                batch_size=BATCH_SIZE,
            )
        for model, objects in (
            (ExerciseInstruction, self.new_instructions),
            (ExerciseMedia, self.new_media),
        ):
            if objects:
                bulk_create_with_history(
                    objects,
                    model,
                    batch_size=BATCH_SIZE,
                    default_user=self.author,
                    default_change_reason=IMPORTED_REASON,
                )
        exercise_history_record(
            self.new, update=False, reason=IMPORTED_REASON, user=self.author
        )
        exercise_history_record(
            self.changed, update=True, reason=UPDATED_REASON, user=self.author
        )
        self.report.muscles_created = self.muscles.created
        self.report.equipment_created = self.equipment.created


def _invalid_fields(exercise: Exercise) -> str | None:
    """Field-level validation without queries (uniqueness is handled by the importer)."""
    try:
        exercise.full_clean(
            exclude=["author", "submitted_by", "reviewed_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        return SKIP_INVALID.format(fields=", ".join(sorted(exc.message_dict)))
    return None


def _delete_with_history(objects: Iterable[Model], *, user: User | None) -> None:
    for obj in objects:
        obj._change_reason = UPDATED_REASON  # type: ignore[attr-defined]
        obj._history_user = user  # type: ignore[attr-defined]
        obj.delete()


def exercise_history_record(
    exercises: Sequence[Exercise], *, update: bool, reason: str, user: User | None
) -> None:
    """Write one history record per exercise, with its current muscles and equipment.

    simple-history would otherwise add a record for the save and one per m2m change; the
    m2m snapshot rows mirror what its own ``create_historical_record_m2ms`` writes.
    """
    if not exercises:
        return
    manager = Exercise.history
    records = manager.bulk_history_create(
        list(exercises),
        batch_size=BATCH_SIZE,
        update=update,
        default_user=user,
        default_change_reason=reason,
    )
    record_by_exercise = {record.id: record for record in records}
    ids = list(record_by_exercise)
    for name in ("primary_muscles", "secondary_muscles", "equipment", "conditions"):
        m2m_field = Exercise._meta.get_field(name)
        through = m2m_field.remote_field.through  # type: ignore[union-attr]
        target = f"{m2m_field.m2m_reverse_field_name()}_id"  # type: ignore[union-attr]
        snapshot_model = getattr(manager.model, name).model
        rows: list[Model] = []
        for start in range(0, len(ids), BATCH_SIZE):
            links = through.objects.filter(
                exercise_id__in=ids[start : start + BATCH_SIZE]
            ).values_list("pk", "exercise_id", target)
            rows.extend(
                snapshot_model(
                    history=record_by_exercise[exercise_id],
                    id=pk,
                    exercise_id=exercise_id,
                    **{target: target_id},
                )
                for pk, exercise_id, target_id in links
            )
        snapshot_model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
