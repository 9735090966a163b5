"""Import the Free Exercise DB (public domain) into the library as draft exercises.

Two phases, so that a malformed file writes nothing:
    ``free_exercise_db_read(path)``      parse and validate every record (ImportFileError);
    ``free_exercise_db_import(...)``     write them in one transaction, idempotent by
                                         (source_name, source_id).

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

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Subquery
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from exercises.cache import catalog_changed
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

SOURCE_NAME = "Free Exercise DB"
SOURCE_LICENCE = "Unlicense (public domain)"
MEDIA_CREDIT = "Free Exercise DB"
IMPORTED_REASON = "Imported from Free Exercise DB"
UPDATED_REASON = "Updated from Free Exercise DB"
# The import may rewrite a draft only while its last history record is one of these.
IMPORT_REASONS = (IMPORTED_REASON, UPDATED_REASON)

LEVELS = {
    "beginner": Exercise.Difficulty.BEGINNER,
    "intermediate": Exercise.Difficulty.INTERMEDIATE,
    "expert": Exercise.Difficulty.ADVANCED,
}
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

ID_PATTERN = re.compile(r"^[0-9a-zA-Z_-]+$")
REQUIRED_KEYS = (
    "id",
    "name",
    "level",
    "mechanic",
    "equipment",
    "primaryMuscles",
    "secondaryMuscles",
    "instructions",
    "category",
    "images",
)
STRING_KEYS = ("id", "name", "level", "category")
NULLABLE_STRING_KEYS = ("force", "mechanic", "equipment")
STRING_LIST_KEYS = ("primaryMuscles", "secondaryMuscles", "instructions", "images")
MAX_PROBLEMS_SHOWN = 20
MAX_SOURCE_ID = Exercise._meta.get_field("source_id").max_length
MAX_INSTRUCTION = ExerciseInstruction._meta.get_field("text").max_length
MAX_URL = ExerciseMedia._meta.get_field("url").max_length
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

MALFORMED = "{path} is malformed; nothing was imported.\n{problems}"
NOT_JSON = "{path} is not valid JSON ({msg} at line {line}, column {column}); nothing was imported."
NOT_DECODABLE = "{path} cannot be decoded ({reason}); nothing was imported."
NOT_A_LIST = "{path} must hold a JSON list of exercise records, not {kind}; nothing was imported."
NOT_READABLE = "Cannot read {path}: {reason}."


class ImportFileError(Exception):
    """The file cannot be imported at all (unreadable, not JSON, or a malformed record)."""


@dataclass(frozen=True)
class SourceRecord:
    """One validated Free Exercise DB record (``index`` is its position in the file)."""

    index: int
    id: str
    name: str
    level: str
    force: str | None
    mechanic: str | None
    equipment: str | None
    category: str
    primary_muscles: tuple[str, ...]
    secondary_muscles: tuple[str, ...]
    instructions: tuple[str, ...]
    images: tuple[str, ...]


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
# Phase 1: read and validate (no database access)
# ---------------------------------------------------------------------------
def free_exercise_db_read(path: str | Path) -> list[SourceRecord]:
    """Parse and validate the whole file; raise ImportFileError naming every problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ImportFileError(
            NOT_READABLE.format(path=path, reason="it is not UTF-8 text")
        ) from None
    except OSError as exc:
        raise ImportFileError(
            NOT_READABLE.format(path=path, reason=exc.strerror or exc)
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            NOT_JSON.format(path=path, msg=exc.msg, line=exc.lineno, column=exc.colno)
        ) from None
    except (
        ValueError,
        RecursionError,
    ) as exc:  # e.g. an absurdly long number or nesting
        raise ImportFileError(NOT_DECODABLE.format(path=path, reason=exc)) from None
    return free_exercise_db_validate(data, path=str(path))


def free_exercise_db_validate(
    data: Any, *, path: str = "The file"
) -> list[SourceRecord]:
    """Check every record's shape (keys, types, level); raise ImportFileError listing problems."""
    if not isinstance(data, list):
        raise ImportFileError(NOT_A_LIST.format(path=path, kind=_json_type(data)))
    problems: list[str] = []
    records: list[SourceRecord] = []
    for index, raw in enumerate(data):
        record_problems = _record_problems(raw)
        if record_problems:
            where = _describe(index, raw)
            problems.extend(f"{where}: {problem}" for problem in record_problems)
        else:
            records.append(_to_record(index, raw))
    if problems:
        shown = [f"  - {problem}" for problem in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(
                f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems"
            )
        raise ImportFileError(MALFORMED.format(path=path, problems="\n".join(shown)))
    return records


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _describe(index: int, raw: Any) -> str:
    record_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(record_id, str) and record_id:
        return f"record {index} (id {record_id!r})"
    return f"record {index}"


def _record_problems(raw: Any) -> list[str]:
    if not isinstance(raw, dict):
        return [f"must be an object, not {_json_type(raw)}"]
    problems = [f"missing key {key!r}" for key in REQUIRED_KEYS if key not in raw]
    for key in STRING_KEYS:
        if key in raw and not isinstance(raw[key], str):
            problems.append(f"{key!r} must be a string, not {_json_type(raw[key])}")
    for key in NULLABLE_STRING_KEYS:
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append(
                f"{key!r} must be a string or null, not {_json_type(raw[key])}"
            )
    for key in STRING_LIST_KEYS:
        value = raw.get(key)
        if key not in raw:
            continue
        if not isinstance(value, list):
            problems.append(
                f"{key!r} must be a list of strings, not {_json_type(value)}"
            )
        elif not all(isinstance(item, str) for item in value):
            problems.append(f"{key!r} must contain only strings")
    record_id, name, level = raw.get("id"), raw.get("name"), raw.get("level")
    if isinstance(record_id, str) and not ID_PATTERN.fullmatch(record_id):
        problems.append(
            f"'id' {record_id!r} may only hold letters, digits, '_' and '-'"
        )
    if isinstance(record_id, str) and len(record_id) > MAX_SOURCE_ID:
        problems.append(f"'id' is longer than {MAX_SOURCE_ID} characters")
    if isinstance(name, str) and not name.strip():
        problems.append("'name' is empty")
    if isinstance(level, str) and level not in LEVELS:
        allowed = ", ".join(LEVELS)
        problems.append(f"'level' must be one of {allowed}, not {level!r}")
    return problems


def _to_record(index: int, raw: dict[str, Any]) -> SourceRecord:
    return SourceRecord(
        index=index,
        id=raw["id"],
        name=" ".join(raw["name"].split()),
        level=raw["level"],
        force=raw.get("force"),
        mechanic=raw["mechanic"],
        equipment=raw["equipment"],
        category=raw["category"],
        primary_muscles=tuple(raw["primaryMuscles"]),
        secondary_muscles=tuple(raw["secondaryMuscles"]),
        instructions=tuple(
            text.strip() for text in raw["instructions"] if text.strip()
        ),
        images=tuple(raw["images"]),
    )


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
        self.muscles = _TaxonomyCache(Muscle)
        self.equipment = _TaxonomyCache(Equipment)
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
            if existing is None:
                reason = self._create(record)
            else:
                reason = self._update(existing, record)
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
            if _key(name) not in MUSCLE_REGIONS:
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
            **_fields(record),
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
        fields = _fields(record)
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
        if record.equipment and _key(record.equipment) not in NO_EQUIPMENT:
            equipment.add(self.equipment.get(record.equipment).pk)
        media = None
        if self.image_base_url is not None:
            media = [
                {
                    "kind": ExerciseMedia.Kind.IMAGE,
                    "url": self._image_url(path),
                    "alt_text": _alt_text(record.name, position, len(record.images)),
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


class _TaxonomyCache:
    """Taxonomy rows by slug and by lower-case name; creates missing ones on first use."""

    def __init__(self, model: type[Muscle] | type[Equipment]) -> None:
        self.model = model
        self.rows: dict[str, Any] = {}
        self.created: list[str] = []
        for row in model.objects.all():
            self.rows[row.slug] = row
            self.rows[row.name.lower()] = row

    def get(self, source_name: str) -> Any:
        key = _key(source_name)
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


def _key(source_value: str) -> str:
    """Normalise a source taxonomy value: "Lower  Back " -> "lower back"."""
    return " ".join(source_value.lower().split())


def _fields(record: SourceRecord) -> dict[str, Any]:
    """The exercise fields an import sets (and updates on a rerun)."""
    return {
        "name": record.name,
        "summary": _summary(record),
        "difficulty": LEVELS[record.level],
        "source_licence": SOURCE_LICENCE,
    }


def _summary(record: SourceRecord) -> str:
    """E.g. "Strength exercise (compound, push)." from category, mechanic and force."""
    kind = " ".join(record.category.split()).capitalize() or "An"
    details = [value for value in (record.mechanic, record.force) if value]
    summary = f"{kind} exercise" + (f" ({', '.join(details)})" if details else "") + "."
    if _key(record.equipment or "") == "other":
        summary += " Uses equipment that the source does not name."
    return summary


def _alt_text(name: str, position: int, count: int) -> str:
    if count == 1:
        return f"{name}: a person doing the exercise."
    return f"{name}: position {position} of {count}."


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
