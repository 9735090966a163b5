"""Pieces shared by the apps' demo loaders (``manage.py load_demo``): the report of a
load, the shape of a development login, and "set what differs"."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass(frozen=True)
class DemoUser:
    """A development login (DEBUG only; its password is public)."""

    key: str
    email: str
    password: str
    name: str
    role: str
    superuser: bool = False
    clinician: bool = False  # staff in the Clinicians group
    timezone: str | None = None  # None: the account's default


@dataclass
class DemoReport:
    """What a load did: rows created and restored per kind, and the logins available."""

    created: Counter[str] = field(default_factory=Counter)
    restored: Counter[str] = field(default_factory=Counter)
    logins: list[DemoUser] = field(default_factory=list)
    logins_note: str = ""

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.restored)


def assign(obj: models.Model, values: dict[str, Any]) -> list[str]:
    """Set the values that differ; return the names of the changed fields."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed
