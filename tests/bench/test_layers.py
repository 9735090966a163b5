"""``python -m bench.layers``: each middleware layer's cost, measured in one process."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from bench import layers

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["127.0.0.1"])
def test_every_layer_is_measured_out_of_the_stack_in_turn():
    medians = layers.measure(size=300, rounds=2, batch=3)

    expected = {layers.WHOLE, layers.NONE} | {
        f"without {layer}" for layer in settings.MIDDLEWARE
    }
    assert set(medians) == expected
    assert all(value > 0 for value in medians.values())
    lines = layers.report(medians).splitlines()
    assert len(lines) == len(expected) + 1
    assert any(
        line.startswith(layers.WHOLE) and line.endswith("+0.0") for line in lines
    )


@override_settings(ROOT_URLCONF="config.urls", ALLOWED_HOSTS=["127.0.0.1"])
def test_a_ceiling_that_does_not_answer_200_stops_the_measurement():
    with pytest.raises(RuntimeError, match="404"):
        layers.measure(size=300, rounds=1, batch=2)
