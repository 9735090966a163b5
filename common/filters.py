"""Strict django-filter bases for the domain's FilterSets: typed parameters cannot be blank.

Found by the contract fuzzer (tests/contract, docs/testing.md): the schema promised a type
and the API accepted something else.

- ``FilterSet``: a query parameter sent blank (``?patient=``) was taken as not sent. A
  blank id, date, number or choice is now a 400 naming the parameter; free text (``q``),
  slugs and ``ordering`` may still be blank (the empty string is a valid value of their
  documented type).
- ``IsoDateTimeFilter``: a date-time with an offset beyond PostgreSQL's +-15:59 (Python
  takes up to +-23:59) reached the database as it was and failed there (a 500).

Domain code (selectors, app ``filters.py``) imports these; nothing here knows of HTTP or
of the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.fields import IsoDateTimeField

if TYPE_CHECKING:
    from django import forms

BLANK_PARAMETER = "Give a value, or leave the parameter out."


class FilterSet(django_filters.FilterSet):  # type: ignore[misc]  # no stubs
    """A FilterSet whose typed parameters (ids, dates, numbers, choices) cannot be blank."""

    # Filters whose value is documented as a plain string: blank is a valid value.
    BLANK_ALLOWED: ClassVar[tuple[type, ...]] = (
        django_filters.CharFilter,  # free text: blank matches everything
        django_filters.ModelChoiceFilter,  # slugs
        django_filters.OrderingFilter,  # blank: the default order
    )

    def get_form_class(self) -> type[forms.Form]:
        form_class = super().get_form_class()
        strict = [
            name
            for name, filter_ in self.filters.items()
            if not isinstance(filter_, self.BLANK_ALLOWED)
        ]

        def clean(form: forms.Form) -> dict[str, Any] | None:
            cleaned: dict[str, Any] | None = form_class.clean(form)
            for name in strict:
                raw = form.data.get(name)
                if isinstance(raw, str) and not raw.strip():
                    form.add_error(
                        name, DjangoValidationError(BLANK_PARAMETER, code="blank")
                    )
            return cleaned

        return type(form_class.__name__, (form_class,), {"clean": clean})


class UtcIsoDateTimeField(IsoDateTimeField):  # type: ignore[misc]  # no stubs
    """An ISO 8601 date-time converted to UTC; one that UTC cannot hold is invalid."""

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed: dt.datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 is in year 10000 in UTC
            raise DjangoValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]  # no stubs
    """django-filter's ISO 8601 filter, with the value in UTC before it reaches the database."""

    field_class = UtcIsoDateTimeField
