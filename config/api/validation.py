"""Request-body validation DRF leaves lenient: JSON types; every broken field in one answer.

Found by the contract fuzzer (tests/contract, docs/testing.md): the schema promised a
type and the API accepted something else.

- ``StrictTypesMixin`` (serializers): DRF coerces JSON values into the field's type, so
  ``{"name": 0}`` stored the string "0", ``{"id": 5}`` became the UUID
  ``00000000-0000-0000-0000-000000000005``, ``"3"`` passed as an integer and ``1`` or
  ``"yes"`` as a boolean. A body value whose JSON type is not the documented one is now
  a 400 naming the field, before any coercion.
- ``fields_read`` and ``invalid_body`` (views): when a body is invalid, the fields that
  could be read are still checked against the service's rules (``<service>_errors``),
  so one 400 lists the type errors and the rule errors together.

The strict query-parameter pieces (``FilterSet``, ``IsoDateTimeFilter``) are domain code
and live in ``common/filters.py``; they are re-exported here until every caller imports
them from there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import relations, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import SkipField
from rest_framework.serializers import as_serializer_error

from common.filters import BLANK_PARAMETER, FilterSet, IsoDateTimeFilter

__all__ = [
    "BLANK_PARAMETER",  # re-exported from common.filters
    "FilterSet",  # re-exported from common.filters
    "IsoDateTimeFilter",  # re-exported from common.filters
    "StrictTypesMixin",
    "fields_read",
    "invalid_body",
    "json_type_errors",
    "json_type_name",
    "json_types_valid",
]

WRONG_TYPE = "Must be a JSON {expected}, not {got}."

_JSON_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: bool is an int subclass
    (int, "number"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def json_type_name(value: Any) -> str:
    """The JSON type of a parsed JSON value ("null", "boolean", "number", ...)."""
    if value is None:
        return "null"
    for python_type, name in _JSON_NAMES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pk_is_integer(field: relations.PrimaryKeyRelatedField[Any]) -> bool:
    # The stubs type RelatedField.queryset as a manager descriptor, not a QuerySet.
    queryset = field.queryset  # type: ignore[arg-type]
    if queryset is None:
        return False
    pk = queryset.model._meta.pk
    return isinstance(pk, models.AutoField | models.IntegerField)


def _leaf_type(field: serializers.Field[Any, Any, Any, Any]) -> tuple[str, Any] | None:
    """(JSON type name, predicate) a leaf field's value must satisfy; None: not checked."""
    if isinstance(field, serializers.BooleanField):
        return "boolean", lambda value: isinstance(value, bool)
    if isinstance(field, serializers.IntegerField):
        return "integer", _is_int
    if isinstance(field, serializers.FloatField):
        return "number", _is_number
    if isinstance(field, serializers.MultipleChoiceField):
        return None  # an array of choices: not used by this API's inputs
    if isinstance(field, serializers.ChoiceField):
        if all(isinstance(key, str) for key in field.choices):
            return "string", lambda value: isinstance(value, str)
        return None
    if isinstance(field, relations.PrimaryKeyRelatedField):
        if _pk_is_integer(field):
            return "integer", _is_int
        return "string", lambda value: isinstance(value, str)
    string_fields = (
        serializers.CharField,  # Email, Slug, Regex, URL, IPAddress fields too
        serializers.UUIDField,
        serializers.DateTimeField,
        serializers.DateField,
        serializers.TimeField,
        serializers.DurationField,
        relations.SlugRelatedField,
    )
    if isinstance(field, string_fields):
        return "string", lambda value: isinstance(value, str)
    # DecimalField (documented as a string or a number), JSONField... take any type.
    return None


# The check of each field, cached on the field instance (a serializer's fields are its
# own copies, built once per request): ("list", child), ("object", [(name, child)]) or
# ("leaf", _leaf_type's (JSON type name, predicate) or None).
_RULE = "_json_type_rule"


def _rule(field: serializers.Field[Any, Any, Any, Any]) -> tuple[str, Any]:
    rule: tuple[str, Any] | None = field.__dict__.get(_RULE)
    if rule is None:
        if isinstance(field, serializers.ListSerializer | serializers.ListField):
            rule = ("list", field.child)
        elif isinstance(field, serializers.Serializer):
            children = [
                (name, child)
                for name, child in field.fields.items()
                if not child.read_only
            ]
            rule = ("object", children)
        else:
            rule = ("leaf", _leaf_type(field))
        field.__dict__[_RULE] = rule
    return rule


def json_types_valid(field: serializers.Field[Any, Any, Any, Any], value: Any) -> bool:
    """Whether ``json_type_errors`` would find nothing: the same walk, no paths built
    (a valid upload of 50 values is checked in a fraction of the time)."""
    if value is None:
        return True
    kind, detail = _rule(field)
    if kind == "leaf":
        return detail is None or bool(detail[1](value))
    if kind == "list":
        if detail is None or not isinstance(value, list):
            return True
        return all(json_types_valid(detail, item) for item in value)
    if not isinstance(value, Mapping):
        return True
    return all(
        json_types_valid(child, value[name]) for name, child in detail if name in value
    )


def json_type_errors(
    field: serializers.Field[Any, Any, Any, Any], value: Any, path: str
) -> dict[str, Any]:
    """Errors, keyed by dotted path, for values of ``field`` whose JSON type is wrong."""
    if value is None:
        return {}  # allow_null is the field's own business
    errors: dict[str, Any] = {}
    kind, detail = _rule(field)
    if kind == "list":
        if isinstance(value, list) and detail is not None:
            for index, item in enumerate(value):
                errors.update(json_type_errors(detail, item, f"{path}.{index}"))
        return errors  # anything else: the field's own "not a list" error
    if kind == "object":
        if isinstance(value, Mapping):
            for name, child in detail:
                if name in value:
                    prefix = f"{path}.{name}" if path else name
                    errors.update(json_type_errors(child, value[name], prefix))
        return errors  # anything else: the serializer's own "expected a dict" error
    if detail is not None and not detail[1](value):
        message = WRONG_TYPE.format(expected=detail[0], got=json_type_name(value))
        errors[path] = [ErrorDetail(message, code="invalid_type")]
    return errors


class StrictTypesMixin:
    """For the serializer a view validates the request body with: JSON types are checked
    (nested serializers and lists included) before DRF's fields coerce the values.
    """

    def to_internal_value(self, data: Any) -> Any:
        assert isinstance(self, serializers.Serializer)
        if not json_types_valid(self, data):
            raise serializers.ValidationError(json_type_errors(self, data, ""))
        return super().to_internal_value(data)  # type: ignore[misc]


def _has_errors(errors: Mapping[str, Any], name: str) -> bool:
    return any(key == name or key.startswith(f"{name}.") for key in errors)


def fields_read(
    serializer: serializers.Serializer[Any],
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """After a failed ``is_valid()``: each field checked alone, so none hides another.

    DRF reports no field error when the JSON types are wrong (``StrictTypesMixin`` stops
    first), so every field without a type error is validated here on its own (the field,
    then the serializer's ``validate_<field>``). Returns ``(values, errors, unread)``:
    the values that passed, keyed as ``validated_data`` would be (by ``source``); every
    error, keyed by field name or dotted path; and the ``source`` of each field that
    could not be read. A service checks its rules on ``values`` and skips those that
    need an unread field, so one answer lists every broken field.
    """
    errors: dict[str, Any] = dict(serializer.errors)
    values: dict[str, Any] = {}
    unread: set[str] = set()
    data = serializer.initial_data
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        source = field.source or name  # bound fields always have one
        if not isinstance(data, Mapping) or _has_errors(errors, name):
            unread.add(source)
            continue
        try:
            value = field.run_validation(field.get_value(data))
            check = getattr(serializer, f"validate_{name}", None)
            if check is not None:
                value = check(value)
        except serializers.ValidationError as exc:
            errors[name] = exc.detail
            unread.add(source)
        except SkipField:
            continue
        else:
            values[source] = value
    return values, errors, unread


def invalid_body(
    errors: Mapping[str, Any],
    rules: Mapping[str, Sequence[DjangoValidationError | str]],
) -> serializers.ValidationError:
    """The 400 for a body: the serializer's errors, then the service's broken rules (by
    field path) on fields the serializer did not already reject."""
    merged = dict(errors)
    if rules:
        for key, detail in as_serializer_error(
            DjangoValidationError(dict(rules))
        ).items():
            merged.setdefault(key, detail)
    return serializers.ValidationError(merged)
