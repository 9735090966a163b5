"""Admin pieces shared by the apps' admins (this package registers no model).

- ``user_label``: a user as plain text ("Name <email>"), for pages whose readers may
  not open user pages.
- ``ReadOnlyAdminMixin``: no add, change or delete (evidence and patients' words).
- ``HistoryAdmin``: django-simple-history's admin with the changes of each record in
  one query per many-to-many field, readable values, and "changed by" as plain text
  for those who may not open user pages.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import ModelChange, ModelDelta
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_m2m_reverse_field_name

from common.models import Direction

if TYPE_CHECKING:
    from users.models import User

EMPTY = "-"  # as the admin shows empty values


def user_label(user: User | None, empty: str = EMPTY) -> str:
    """ "Name <email>", or the email alone when the user has no name."""
    if user is None:
        return empty
    return f"{user.name} <{user.email}>" if user.name else user.email


def staff_user(request: HttpRequest) -> User:
    """The signed-in account of an admin request (the admin site lets no one else in)."""
    user = request.user
    if not isinstance(user, get_user_model()):
        raise PermissionDenied
    return user


class DosageForm(forms.ModelForm[Any]):
    """A dosage's form showing ``direction`` (per side, sideways, forward and backward,
    or none) instead of the ``per_side`` flag kept for older clients: ``per_side``
    follows the direction chosen (else ``Dosage.sync_direction`` would let a stored
    ``per_side`` bring a cleared direction back)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "direction" in cleaned and "per_side" not in self.fields:
            self.instance.per_side = cleaned["direction"] != Direction.NONE
        return cleaned


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes here, superusers included (views stay open)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ChangesContextHelper(HistoricalRecordContextHelper):  # type: ignore[misc]
    """Shows choice labels, names and local dates in the history "Changes" column."""

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if field.many_to_many:
            return super().prepare_delta_change_value(change, value)
        if value is None or value == "":
            return EMPTY
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return value


class HistoryAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """The history page of an edited model: who changed what, efficiently."""

    # Bookkeeping that changes on every save: not worth a line in "Changes".
    history_diff_exclude: ClassVar[frozenset[str]] = frozenset(
        {"created_at", "updated_at"}
    )

    def history_view(
        self,
        request: HttpRequest,
        object_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self.history_opened(request, object_id)
        extra_context = dict(extra_context or {})
        user_opts = get_user_model()._meta
        if not request.user.has_perm(
            f"{user_opts.app_label}.view_{user_opts.model_name}"
        ):
            # "Changed by" links to the user's admin page; clinicians may not open it,
            # so an unresolvable URL name makes the template show the name only.
            extra_context["admin_user_view"] = ""
        response: HttpResponse = super().history_view(request, object_id, extra_context)
        return response

    def history_opened(self, request: HttpRequest, object_id: str) -> None:
        """Called before a history page renders (e.g. to check scope, or log the read)."""

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return _ChangesContextHelper(self.model, historical_record)

    def set_history_delta_changes(
        self,
        request: HttpRequest,
        historical_records: Iterable[Any],
        foreign_keys_are_objs: bool = True,
    ) -> None:
        """Set ``history_delta_changes`` on each record of the page but the oldest.

        Replaces simple-history's per-record ``diff_against`` (two queries per
        many-to-many field per record, and blind to non-editable fields such as
        ``status``) with one query per many-to-many field for the whole page.
        """
        records = list(historical_records)
        if len(records) < 2:
            return
        history_model = type(records[0])
        pk_name = self.model._meta.pk.name
        fields = [
            field
            for field in history_model.tracked_fields
            if field.name not in self.history_diff_exclude and field.name != pk_name
        ]
        m2m_fields = sorted(history_model._history_m2m_fields, key=lambda f: f.name)
        m2m_values = _m2m_snapshots(history_model, m2m_fields, records)
        # Records come newest first: each is diffed against the one before it in time.
        for newer, older in itertools.pairwise(records):
            changes = []
            for field in fields:
                old = getattr(older, field.attname)
                new = getattr(newer, field.attname)
                if old == new:
                    continue
                if field.is_relation:
                    old = _related_or_id(older, field, old)
                    new = _related_or_id(newer, field, new)
                changes.append(ModelChange(field.name, old, new))
            for field in m2m_fields:
                target = get_m2m_reverse_field_name(field)
                old_rows = m2m_values[field.name].get(older.history_id, [])
                new_rows = m2m_values[field.name].get(newer.history_id, [])
                if {pk for pk, _ in old_rows} != {pk for pk, _ in new_rows}:
                    changes.append(
                        ModelChange(
                            field.name,
                            [{target: label} for _, label in old_rows],
                            [{target: label} for _, label in new_rows],
                        )
                    )
            helper = self.get_historical_record_context_helper(request, newer)
            delta = ModelDelta(changes, [c.field for c in changes], older, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)


def _related_or_id(record: Any, field: models.Field[Any, Any], raw: Any) -> Any:
    """The related object of a history FK (one query unless selected), or a note
    when it has since been deleted."""
    if raw is None:
        return None
    try:
        related = getattr(record, field.name)
    except ObjectDoesNotExist:
        related = None
    return related if related is not None else f"deleted ({raw})"


def _m2m_snapshots(
    history_model: type[models.Model],
    m2m_fields: list[models.ManyToManyField[Any, Any]],
    records: list[Any],
) -> dict[str, dict[int, list[tuple[Any, str]]]]:
    """For each tracked many-to-many field, the (pk, label) pairs each record saw,
    sorted by label; one query per field."""
    history_ids = [record.history_id for record in records]
    snapshots: dict[str, dict[int, list[tuple[Any, str]]]] = {}
    for field in m2m_fields:
        m2m_model = getattr(history_model, field.name).model
        target = get_m2m_reverse_field_name(field)
        rows = m2m_model.objects.filter(history_id__in=history_ids).select_related(
            target
        )
        by_record: dict[int, list[tuple[Any, str]]] = defaultdict(list)
        for row in rows:
            target_id = getattr(row, f"{target}_id")
            related = getattr(row, target)
            label = str(related) if related is not None else f"deleted ({target_id})"
            by_record[row.history_id].append((target_id, label))
        for pairs in by_record.values():
            pairs.sort(key=lambda pair: pair[1])
        snapshots[field.name] = by_record
    return snapshots
