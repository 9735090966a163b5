"""The orjson renderer writes DRF's bytes (ETags hash the body: they must not change)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict

from config.api.renderers import JSONRenderer

NOW = dt.datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=dt.UTC)

VALUES = [
    {"a": 1, "b": [1, 2.5, None, True, False], "c": "é ✓ 😀"},
    {"notes": "line\u2028separator\u2029paragraph"},
    {"when": NOW, "day": NOW.date(), "time": NOW.time(), "took": dt.timedelta(hours=1)},
    {"local": timezone.localtime(NOW), "naive": NOW.replace(tzinfo=None)},
    {"id": uuid.UUID(int=7), "amount": Decimal("1.50"), "lazy": gettext_lazy("Hello")},
    {1: "int key", "set": {3}, "tuple": (1, 2), "nested": {"deep": [[[{}]]]}},
    ReturnDict({"x": 1}, serializer=None),
    [0.1, 1 / 3, 1e15, 123456789.125, -0.0],
    {"big": 2**70},
    "",
    [],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_bytes_are_drfs(value):
    assert JSONRenderer().render(value) == DRFJSONRenderer().render(value)


def test_an_indent_asked_for_is_drfs_too():
    media_type = "application/json; indent=4"

    ours = JSONRenderer().render({"a": [1]}, media_type)

    assert ours == DRFJSONRenderer().render({"a": [1]}, media_type)
    assert b"\n    " in ours


def test_the_api_answers_through_it(client, db):
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == [
        "config.api.renderers.JSONRenderer"
    ]
    response = client.get("/api/v1/exercises/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert type(response.accepted_renderer) is JSONRenderer
