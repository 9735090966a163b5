"""Admin changelists accept only the filters they declare: no lookup oracle.

Django's ``ModelAdmin.lookup_allowed()`` lets any lookup on a model's own fields through
the query string, whatever ``list_filter`` declares: on the patient admin,
``?password__regex=^pbkdf2_sha256\\$1`` answered "1 patient" or "0 patients", enough to
read a password hash one character at a time, and ``?email__regex=`` did the same for
emails. ``DeclaredLookupsOnly`` allows a query-string lookup only when it is what a
declared ``list_filter`` (or ``date_hierarchy``) itself sends: the filter's field path,
optionally the related object's primary key, and a plain comparison. Anything else
(``password__*``, ``email__regex``, a path across relations nobody declared) is
refused by Django with a 400 (``DisallowedModelAdminLookup``). Search (``?q=``) goes
through ``search_fields`` and is not a lookup.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.contrib.admin.options import BaseModelAdmin, IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# The lookups Django's own list filters send (exact/isnull for choices, booleans and
# relations; ranges for dates; in for multiple choices) and date_hierarchy's parts.
COMPARISONS = frozenset({"exact", "iexact", "in", "isnull", "gt", "gte", "lt", "lte"})
DATE_PARTS = frozenset({"year", "month", "day"})


def declared_filters(
    model_admin: BaseModelAdmin[Any], request: HttpRequest | None
) -> tuple[set[str], set[str]]:
    """Field paths of the declared list filters, and the parameters of the declared
    SimpleListFilter classes (which filter the queryset themselves, by their own rule)."""
    paths: set[str] = set()
    parameters: set[str] = set()
    get_filters = getattr(model_admin, "get_list_filter", None)
    declared = get_filters(request) if get_filters else ()
    for entry in declared:
        if isinstance(entry, str):
            paths.add(entry)
        elif isinstance(entry, tuple | list) and entry and isinstance(entry[0], str):
            paths.add(entry[0])
        elif isinstance(getattr(entry, "parameter_name", None), str):
            parameters.add(entry.parameter_name)
    return paths, parameters


def lookup_is_declared(
    lookup: str, paths: set[str], *, date_hierarchy: str | None = None
) -> bool:
    """Whether ``lookup`` is a declared path, its pk or id, and one plain comparison."""
    parts = lookup.split(LOOKUP_SEP)
    for path in paths:
        base = path.split(LOOKUP_SEP)
        if parts[: len(base)] != base:
            continue
        rest = parts[len(base) :]
        if rest and rest[0] in ("id", "pk"):
            rest = rest[1:]
        if not rest or (len(rest) == 1 and rest[0] in COMPARISONS):
            return True
    if date_hierarchy:
        base = date_hierarchy.split(LOOKUP_SEP)
        rest = parts[len(base) :]
        if parts[: len(base)] == base and len(rest) == 1 and rest[0] in DATE_PARTS:
            return True
    return False


class DeclaredLookupsOnly:
    """ModelAdmin mixin: only the declared list filters' lookups pass the query string,
    and date filters read hand-typed dates without crashing (AwareDateFieldListFilter).
    """

    def get_list_filter(self, request: HttpRequest) -> Any:
        declared = super().get_list_filter(request)  # type: ignore[misc]
        return [_aware_dates(self, entry) for entry in declared]

    def lookup_allowed(
        self, lookup: str, value: Any, request: HttpRequest | None = None
    ) -> bool:
        paths, parameters = declared_filters(self, request)  # type: ignore[arg-type]
        if lookup in parameters:
            return True
        return lookup_is_declared(
            lookup, paths, date_hierarchy=getattr(self, "date_hierarchy", None)
        )


def declared_lookups_everywhere(site: admin.AdminSite) -> None:
    """Give every registered ModelAdmin the rule, third-party ones included.

    Called once the admin modules are loaded (UsersConfig.ready), so an admin added
    later, here or by a library (django-axes, the token blacklist), is covered without
    anyone remembering the mixin.
    """
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, DeclaredLookupsOnly):
            continue
        cls = type(model_admin)
        hardened = type(
            cls.__name__, (DeclaredLookupsOnly, cls), {"__module__": cls.__module__}
        )
        site.unregister(model)
        site.register(model, hardened)


def _aware(value: Any) -> Any:
    """A date or datetime typed into the query string, made aware in the current zone.

    DateFieldListFilter's own links send aware datetimes; a hand-typed
    ``?created_at__gte=2026-01-01`` is naive, and Django compares a naive value with a
    DateTimeField only with a RuntimeWarning (an error under the test settings, a 500).
    Anything that is neither is refused (IncorrectLookupParameters: Django answers with
    the unfiltered list and ``?e=1``, never a 500).
    """
    text = str(value).strip()
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            if day is None:
                raise IncorrectLookupParameters(f"Not a date: {text[:40]!r}")
            parsed = dt.datetime.combine(day, dt.time())
    except ValueError as exc:  # well-formed but impossible (2026-02-31)
        raise IncorrectLookupParameters(str(exc)) from exc
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed.isoformat()


def _aware_dates(model_admin: Any, entry: Any) -> Any:
    """A list_filter entry, with Django's date filter replaced by the aware one."""
    if isinstance(entry, str):
        try:
            field = get_fields_from_path(model_admin.model, entry)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return entry
        if isinstance(field, models.DateField):
            return (entry, AwareDateFieldListFilter)
        return entry
    if (
        isinstance(entry, tuple | list)
        and len(entry) == 2
        and entry[1] is DateFieldListFilter
    ):
        return (entry[0], AwareDateFieldListFilter)
    return entry


class AwareDateFieldListFilter(DateFieldListFilter):
    """DateFieldListFilter that reads hand-typed naive dates in the current time zone."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        for key, value in list(self.used_parameters.items()):
            if key.endswith(("__gte", "__lt")):
                values = value if isinstance(value, list) else [value]
                self.used_parameters[key] = [_aware(item) for item in values]
        return super().queryset(request, queryset)
