"""The hash of an upload that recognises a retry (sessions.services.logs.session_upload)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import models

__all__ = ["LATER_DEFAULTS", "upload_hash"]


def _canonical(value: Any) -> Any:
    """JSON-ready form where equal values have one spelling (UUIDs, datetimes in UTC)."""
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, uuid.UUID | dt.date):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    return value


# Upload fields added after the first release, with their defaults (exercise, set).
LATER_DEFAULTS: tuple[dict[str, Any], dict[str, Any]] = (
    {"substitution": None, "difficulty": None, "rpe": None},
    {"band": None},
)


def _drop_defaults(
    entry: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        key: value
        for key, value in entry.items()
        if not (key in defaults and value == defaults[key])
    }


def _without_later_defaults(data: Mapping[str, Any]) -> Mapping[str, Any]:
    if "exercises" not in data:
        return data
    exercise_defaults, set_defaults = LATER_DEFAULTS
    exercises = []
    for entry in data["exercises"]:
        stripped = _drop_defaults(entry, exercise_defaults)
        if "sets" in entry:
            stripped["sets"] = [
                _drop_defaults(item, set_defaults) for item in entry["sets"]
            ]
        exercises.append(stripped)
    return {**data, "exercises": exercises}


def upload_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the validated upload in canonical JSON (sorted keys, UTC datetimes).

    The input is the serializer's validated data, defaults filled in, so a retry that
    spells the same body differently (key order, whitespace, ``+02:00`` vs ``Z``,
    an omitted optional field vs its default) hashes the same. Fields added to the
    upload later (LATER_DEFAULTS) are left out while at their default, so a retry
    across a server upgrade still matches the stored hash.
    """
    text = json.dumps(
        _canonical(_without_later_defaults(data)),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
