"""Questionnaire definitions, answer checking and scores (pure functions)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from outcomes import scoring
from outcomes.instruments import shipped_documents

DOCS = {doc["name"]: doc for doc in shipped_documents()}


def answer(link, **value):
    return {"linkId": link, "answer": [value]}


@pytest.mark.parametrize("name", ["nprs", "psfs", "groc"])
def test_shipped_instruments_are_valid_and_cite_their_sources(name):
    doc = DOCS[name]

    scoring.definition_check(doc["item"], doc["scoring"])
    assert doc["scoring"]["mcid_source"]
    assert "free to use" in doc["copyright"].lower()


def test_nprs_scores_the_rating():
    doc = DOCS["nprs"]
    values = scoring.answers_read(doc["item"], [answer("pain", valueInteger=6)])

    assert scoring.score(doc["item"], doc["scoring"], values) == 6.0


def test_psfs_scores_the_mean_of_the_rated_activities():
    doc = DOCS["psfs"]
    values = scoring.answers_read(
        doc["item"],
        [
            answer("activity-1", valueString="Walking 30 minutes"),
            answer("rating-1", valueInteger=3),
            answer("activity-2", valueString="Lifting my child"),
            answer("rating-2", valueInteger=6),
        ],
    )

    assert scoring.score(doc["item"], doc["scoring"], values) == 4.5


def test_groc_scores_the_chosen_option():
    doc = DOCS["groc"]
    values = scoring.answers_read(
        doc["item"], [answer("change", valueCoding={"code": "-4"})]
    )

    assert scoring.score(doc["item"], doc["scoring"], values) == -4.0


@pytest.mark.parametrize(
    ("items", "path", "code"),
    [
        ([answer("pain", valueInteger=11)], "item.0.answer.0", "out_of_range"),
        ([answer("pain", valueInteger=-1)], "item.0.answer.0", "out_of_range"),
        ([answer("pain", valueString="6")], "item.0.answer.0", "invalid_answer"),
        ([answer("pain", valueInteger=True)], "item.0.answer.0", "invalid_answer"),
        ([answer("pain", valueInteger=5.5)], "item.0.answer.0", "invalid_answer"),
        ([answer("mood", valueInteger=5)], "item.0.linkId", "unknown_link"),
        (
            [answer("pain", valueInteger=5), answer("pain", valueInteger=6)],
            "item.1.linkId",
            "repeated_link",
        ),
        ([{"linkId": "pain", "answer": []}], "item.0.answer", "one_answer"),
        ([], "item.pain", "required"),
    ],
)
def test_bad_answers_are_refused_with_their_path(items, path, code):
    doc = DOCS["nprs"]

    with pytest.raises(ValidationError) as caught:
        scoring.answers_read(doc["item"], items)

    [(field, [error])] = caught.value.error_dict.items()
    assert (field, error.code) == (path, code)


def test_an_unknown_choice_is_refused():
    doc = DOCS["groc"]

    with pytest.raises(ValidationError):
        scoring.answers_read(doc["item"], [answer("change", valueCoding={"code": "9"})])


@pytest.mark.parametrize(
    ("kind", "higher", "baseline", "latest", "expected"),
    [
        ("status", False, 7, 4, (-3, True, False)),  # pain down 3: better
        ("status", False, 4, 6, (2, True, True)),  # pain up 2: worse, at the MCID
        ("status", False, 4, 5, (1, False, False)),
        ("status", True, 6, 3, (-3, True, True)),  # function down 3: worse
        ("status", False, None, 5, (None, False, False)),  # no baseline yet
        ("change", True, None, -3, (-3, True, True)),  # "somewhat worse"
        ("change", True, None, 2, (2, False, False)),
    ],
)
def test_change_against_the_mcid(kind, higher, baseline, latest, expected):
    rule = {
        "kind": kind,
        "higher_is_better": higher,
        "mcid": 2 if kind == "status" else 3,
    }

    assert scoring.change_assessed(rule, baseline, latest) == expected


@pytest.mark.parametrize(
    ("items", "rule", "field"),
    [
        ([], DOCS["nprs"]["scoring"], "item"),
        ([{"linkId": "x", "type": "date"}], DOCS["nprs"]["scoring"], "item.0.type"),
        (
            DOCS["nprs"]["item"],
            {**DOCS["nprs"]["scoring"], "mcid": None},
            "scoring.mcid",
        ),
        (
            DOCS["nprs"]["item"],
            {**DOCS["nprs"]["scoring"], "mcid_source": ""},
            "scoring.mcid_source",
        ),
        (
            DOCS["nprs"]["item"],
            {**DOCS["nprs"]["scoring"], "items": ["nope"]},
            "scoring.items",
        ),
        (
            DOCS["nprs"]["item"],
            {**DOCS["nprs"]["scoring"], "method": "median"},
            "scoring.method",
        ),
    ],
)
def test_bad_definitions_are_refused(items, rule, field):
    with pytest.raises(ValidationError) as caught:
        scoring.definition_check(items, rule)

    assert field in caught.value.error_dict
