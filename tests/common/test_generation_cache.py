"""The generation cache shared by the catalog, patient and account caches (common/cache.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.template.response import SimpleTemplateResponse

from common.cache import cached_response, generation_bump

pytestmark = pytest.mark.django_db  # generation_bump also acts on commit

TOKEN = "test:generation:token"
ENTRY = "test:generation:entry"


def _render(body: bytes, during=None):
    """A response rendered later (as DRF's are), running ``during`` when it renders."""

    class Later(SimpleTemplateResponse):
        def __init__(self) -> None:
            super().__init__(template=None)

        @property
        def rendered_content(self) -> bytes:
            if during is not None:
                during()
            return body

    return lambda: Later()


def _answer(render) -> HttpResponse:
    response = cached_response(render, token_keys=[TOKEN], entry_key=ENTRY, timeout=60)
    if hasattr(response, "render"):
        response.render()
    return response


def test_an_answer_is_stored_and_served_until_its_token_changes():
    cache.delete_many([TOKEN, ENTRY])
    assert _answer(_render(b"first")).content == b"first"
    assert _answer(_render(b"not rendered")).content == b"first"  # a hit

    generation_bump(TOKEN)

    assert _answer(_render(b"second")).content == b"second"


def test_an_answer_made_while_a_write_happened_is_not_left_behind():
    """The write replaced the token while the answer was being made (from rows as they
    were): the answer is stored, seen stale, and taken back."""
    cache.delete_many([TOKEN, ENTRY])

    assert (
        _answer(_render(b"old rows", during=lambda: generation_bump(TOKEN))).content
        == b"old rows"
    )

    assert cache.get(ENTRY) is None
    assert _answer(_render(b"new rows")).content == b"new rows"


def test_an_answer_made_while_the_keys_were_removed_is_not_left_behind():
    """An erasure removed the keys while the answer was being made."""
    cache.delete_many([TOKEN, ENTRY])

    _answer(_render(b"erased person", during=lambda: cache.delete_many([TOKEN, ENTRY])))

    assert cache.get(ENTRY) is None
