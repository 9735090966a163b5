"""Read and check a Free Exercise DB file (phase 1 of the import; no database access).

``free_exercise_db_read(path)`` parses and validates every record, raising
ImportFileError naming every problem, so that a malformed file writes nothing; the
functions at the end say what a record means in the library (fields, summary, alt
text). exercises.importers writes the records (phase 2).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from exercises.models import Exercise

SOURCE_NAME = "Free Exercise DB"
SOURCE_LICENCE = "Unlicense (public domain)"

LEVELS = {
    "beginner": Exercise.Difficulty.BEGINNER,
    "intermediate": Exercise.Difficulty.INTERMEDIATE,
    "expert": Exercise.Difficulty.ADVANCED,
}

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
# A CharField always has a max_length; the stubs type it as optional.
MAX_SOURCE_ID = cast(int, Exercise._meta.get_field("source_id").max_length)

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


def source_key(source_value: str) -> str:
    """Normalise a source taxonomy value: "Lower  Back " -> "lower back"."""
    return " ".join(source_value.lower().split())


def exercise_fields(record: SourceRecord) -> dict[str, Any]:
    """The exercise fields an import sets (and updates on a rerun)."""
    return {
        "name": record.name,
        "summary": record_summary(record),
        "difficulty": LEVELS[record.level],
        "source_licence": SOURCE_LICENCE,
    }


def record_summary(record: SourceRecord) -> str:
    """E.g. "Strength exercise (compound, push)." from category, mechanic and force."""
    kind = " ".join(record.category.split()).capitalize() or "An"
    details = [value for value in (record.mechanic, record.force) if value]
    summary = f"{kind} exercise" + (f" ({', '.join(details)})" if details else "") + "."
    if source_key(record.equipment or "") == "other":
        summary += " Uses equipment that the source does not name."
    return summary


def alt_text(name: str, position: int, count: int) -> str:
    if count == 1:
        return f"{name}: a person doing the exercise."
    return f"{name}: position {position} of {count}."
