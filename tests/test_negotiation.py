"""Content negotiation remembered per (renderers, Accept, format): config/api/negotiation.py."""

from __future__ import annotations

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.api import negotiation
from config.api.negotiation import ContentNegotiation

pytestmark = pytest.mark.django_db

EXERCISES = "/api/v1/exercises/"


@pytest.fixture
def memo(monkeypatch) -> dict:
    fresh: dict = {}
    monkeypatch.setattr(negotiation, "_memo", fresh)
    return fresh


def choice(accept: str | None, path: str = "/x") -> tuple[str, str] | str:
    """(renderer class, media type) for a request, as each negotiator chooses."""
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    results = []
    for negotiator in (ContentNegotiation(), DefaultContentNegotiation()):
        request = Request(APIRequestFactory().get(path, **headers))
        renderers = [JSONRenderer(), BrowsableAPIRenderer()]
        try:
            renderer, media_type = negotiator.select_renderer(request, renderers)
            results.append((type(renderer).__name__, media_type))
        except Exception as error:
            results.append(type(error).__name__)
    assert results[0] == results[1], (accept, path, results)
    return results[0]


@pytest.mark.parametrize(
    ("accept", "path"),
    [
        (None, "/x"),
        ("*/*", "/x"),
        ("", "/x"),
        ("application/json", "/x"),
        ("application/json; indent=4", "/x"),
        ("text/html", "/x"),
        ("text/html,application/json;q=0.9", "/x"),
        ("image/png", "/x"),
        (None, "/x?format=api"),
        (None, "/x?format=json"),
        (None, "/x?format=xml"),
    ],
)
def test_the_choice_is_drfs_first_and_when_remembered(memo, accept, path):
    first = choice(accept, path)
    again = choice(accept, path)  # from the memo when it was a choice

    assert again == first
    if isinstance(first, tuple):
        assert len(memo) == 1
    else:  # a 406 or a 404: never remembered
        assert memo == {}


def test_the_memo_is_bounded(memo, monkeypatch):
    monkeypatch.setattr(negotiation, "MEMO_SIZE", 3)
    for n in range(10):
        assert choice(f"application/json; v={n}")[0] == "JSONRenderer"

    assert len(memo) == 3
    # A header past the bound is still negotiated, as DRF would.
    assert choice("application/json; v=9") == ("JSONRenderer", "application/json; v=9")


def test_an_unacceptable_read_is_406_every_time(api_client):
    for _ in range(2):
        response = api_client.get(EXERCISES, HTTP_ACCEPT="image/png")
        assert response.status_code == 406
    assert api_client.get(EXERCISES, HTTP_ACCEPT="application/json").status_code == 200
