"""Questionnaire definitions checked and answers scored: pure functions, no queries.

A definition is FHIR-like (docs/outcomes.md): ``items`` with ``linkId``, ``type``
(integer, decimal, string, choice), ``required``, ``minValue``/``maxValue`` and, for
choices, ``answerOption`` entries with a ``valueCoding.code`` and a numeric ``score``;
``scoring`` names the scored items, the method (sum or mean), the range, the direction
and the MCID with its source. Errors are ``ValidationError`` keyed by dotted paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError

ITEM_TYPES = {"integer", "decimal", "string", "choice"}
VALUE_KEYS = {
    "integer": "valueInteger",
    "decimal": "valueDecimal",
    "string": "valueString",
    "choice": "valueCoding",
}
METHODS = {"sum", "mean"}
KINDS = {"status", "change"}
MAX_STRING = 500

UNKNOWN_LINK = "This linkId is not an item of the questionnaire."
REPEATED_LINK = "Answer each item once."
ONE_ANSWER = "Give exactly one answer."
WRONG_VALUE = "Answer this {type} item with {key}."
OUT_OF_RANGE = "Must be between {low} and {high}."
UNKNOWN_OPTION = "Not one of the item's answer options."
REQUIRED = "This item must be answered."
NOTHING_TO_SCORE = "None of the scored items was answered."
STRING_TOO_LONG = f"At most {MAX_STRING} characters."


def _error(path: str, message: str, code: str) -> ValidationError:
    return ValidationError({path: [ValidationError(message, code=code)]})


def definition_check(items: Any, scoring: Any) -> None:
    """Raise ValidationError unless ``items`` and ``scoring`` form a usable definition."""
    errors: dict[str, list[ValidationError]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(ValidationError(message, code="invalid"))

    if not isinstance(items, list) or not items:
        add("item", "A non-empty list of items is required.")
        items = []
    links: dict[str, Mapping[str, Any]] = {}
    for index, item in enumerate(items):
        path = f"item.{index}"
        if not isinstance(item, Mapping):
            add(path, "Each item is an object.")
            continue
        link, kind = item.get("linkId"), item.get("type")
        if not isinstance(link, str) or not link or link in links:
            add(f"{path}.linkId", "A unique, non-empty linkId is required.")
        if kind not in ITEM_TYPES:
            add(f"{path}.type", f"One of {sorted(ITEM_TYPES)}.")
        if not isinstance(item.get("text", ""), str):
            add(f"{path}.text", "Text is a string.")
        if kind == "choice":
            options = item.get("answerOption")
            if (
                not isinstance(options, list)
                or not options
                or not all(
                    isinstance(option, Mapping)
                    and isinstance(option.get("valueCoding", {}).get("code"), str)
                    and isinstance(option.get("score"), int | float)
                    for option in options
                )
            ):
                add(
                    f"{path}.answerOption",
                    "Choices need options with valueCoding.code and a numeric score.",
                )
        if isinstance(link, str):
            links[link] = item
    if not isinstance(scoring, Mapping):
        add("scoring", "A scoring object is required.")
        scoring = {}
    if scoring.get("method") not in METHODS:
        add("scoring.method", f"One of {sorted(METHODS)}.")
    if scoring.get("kind", "status") not in KINDS:
        add("scoring.kind", f"One of {sorted(KINDS)}.")
    scored = scoring.get("items")
    if not isinstance(scored, list) or not scored:
        add("scoring.items", "List the linkIds that are scored.")
    else:
        for link in scored:
            if links.get(link, {}).get("type") not in {"integer", "decimal", "choice"}:
                add("scoring.items", f"{link!r} is not a numeric or choice item.")
    for key in ("min", "max", "mcid"):
        if not isinstance(scoring.get(key), int | float):
            add(f"scoring.{key}", "A number is required.")
    if not isinstance(scoring.get("higher_is_better"), bool):
        add("scoring.higher_is_better", "true or false.")
    if not isinstance(scoring.get("mcid_source"), str) or not scoring.get(
        "mcid_source"
    ):
        add("scoring.mcid_source", "Cite where the MCID comes from.")
    if errors:
        raise ValidationError(errors)


def _value(item: Mapping[str, Any], answer: Any, path: str) -> Any:
    """The answer's value checked against the item (type, range, options)."""
    kind = item["type"]
    key = VALUE_KEYS[kind]
    if not isinstance(answer, Mapping) or set(answer) != {key}:
        raise _error(path, WRONG_VALUE.format(type=kind, key=key), "invalid_answer")
    value = answer[key]
    if kind == "choice":
        code = value.get("code") if isinstance(value, Mapping) else None
        codes = {option["valueCoding"]["code"] for option in item["answerOption"]}
        if code not in codes:
            raise _error(path, UNKNOWN_OPTION, "unknown_option")
        return code
    if kind == "string":
        if not isinstance(value, str):
            raise _error(path, WRONG_VALUE.format(type=kind, key=key), "invalid_answer")
        if len(value) > MAX_STRING or "\x00" in value:
            raise _error(path, STRING_TOO_LONG, "max_length")
        return value
    numeric = isinstance(value, int) and not isinstance(value, bool)
    if kind == "decimal":
        numeric = numeric or isinstance(value, float)
    if not numeric:
        raise _error(path, WRONG_VALUE.format(type=kind, key=key), "invalid_answer")
    low, high = item.get("minValue"), item.get("maxValue")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _error(path, OUT_OF_RANGE.format(low=low, high=high), "out_of_range")
    return value


def answers_read(
    definition: Sequence[Mapping[str, Any]], response_items: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """linkId -> checked value of a QuestionnaireResponse.item list (one answer each)."""
    items = {item["linkId"]: item for item in definition}
    values: dict[str, Any] = {}
    for index, entry in enumerate(response_items):
        path = f"item.{index}"
        link = str(entry.get("linkId"))
        if link not in items:
            raise _error(f"{path}.linkId", UNKNOWN_LINK, "unknown_link")
        if link in values:
            raise _error(f"{path}.linkId", REPEATED_LINK, "repeated_link")
        answers = entry.get("answer")
        if not isinstance(answers, list) or len(answers) != 1:
            raise _error(f"{path}.answer", ONE_ANSWER, "one_answer")
        values[link] = _value(items[link], answers[0], f"{path}.answer.0")
    for item in definition:
        if item.get("required") and item["linkId"] not in values:
            raise _error(f"item.{item['linkId']}", REQUIRED, "required")
    return values


def score(
    definition: Sequence[Mapping[str, Any]],
    scoring: Mapping[str, Any],
    values: Mapping[str, Any],
) -> float:
    """The score of checked answers: sum or mean of the scored items answered."""
    items = {item["linkId"]: item for item in definition}
    numbers: list[float] = []
    for link in scoring["items"]:
        if link not in values:
            continue
        item = items[link]
        if item["type"] == "choice":
            option = next(
                o
                for o in item["answerOption"]
                if o["valueCoding"]["code"] == values[link]
            )
            numbers.append(float(option["score"]))
        else:
            numbers.append(float(values[link]))
    if not numbers:
        raise _error("item", NOTHING_TO_SCORE, "nothing_to_score")
    total = sum(numbers)
    return round(total / len(numbers) if scoring["method"] == "mean" else total, 2)


def change_assessed(
    scoring: Mapping[str, Any], baseline: float | None, latest: float
) -> tuple[float | None, bool, bool]:
    """(change, important, worse) of a latest score against the baseline.

    A "status" measure compares with the baseline (no baseline: no change); a "change"
    measure (a global rating of change) is its own change. Important: the change
    reaches the MCID in either direction; worse: it does so in the bad direction.
    """
    if scoring.get("kind", "status") == "change":
        change = latest
    elif baseline is None:
        return None, False, False
    else:
        change = round(latest - baseline, 2)
    mcid = float(scoring["mcid"])
    important = abs(change) >= mcid
    bad = change < 0 if scoring["higher_is_better"] else change > 0
    return change, important, important and bad
