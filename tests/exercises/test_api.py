"""The public library API: shapes, filters, pagination, conditional GET and query budgets."""

from datetime import UTC, datetime

import pytest

from common.models import Status
from exercises.models import Exercise, ExerciseInstruction, ExerciseLink
from tests.factories import (
    ConditionFactory,
    EquipmentFactory,
    ExerciseFactory,
    ExerciseInstructionFactory,
    ExerciseLinkFactory,
    ExerciseMediaFactory,
    MuscleFactory,
    RoutineFactory,
    RoutineItemFactory,
)

pytestmark = pytest.mark.django_db

EXERCISES = "/api/v1/exercises/"
ROUTINES = "/api/v1/routines/"
SUMMARY_KEYS = {
    "id",
    "slug",
    "name",
    "aliases",
    "summary",
    "difficulty",
    "laterality",
    "primary_muscles",
    "equipment",
    "conditions",
    "status",
    "private",
    "updated_at",
    "url",
}
DETAIL_KEYS = SUMMARY_KEYS | {
    "secondary_muscles",
    "instructions",
    "contraindications",
    "education",
    "default_dosage",
    "media",
    "regressions",
    "progressions",
    "alternatives",
    "source",
    "published_at",
    "created_at",
}
DOSAGE_KEYS = {
    "sets",
    "reps",
    "steps",
    "seconds",
    "per_side",
    "direction",
    "hold_seconds",
    "rest_seconds",
    "load",
    "band",
    "tempo",
}
ROUTINE_SUMMARY_KEYS = {
    "id",
    "slug",
    "title",
    "summary",
    "goal",
    "when_to_use",
    "conditions",
    "estimated_duration_seconds",
    "status",
    "private",
    "published_at",
    "updated_at",
    "url",
}


def exercise_url(exercise):
    return f"{EXERCISES}{exercise.pk}/"


def routine_url(routine):
    return f"{ROUTINES}{routine.pk}/"


@pytest.fixture
def side_steps():
    """The lateral band walk, fully curated (pinned values)."""
    glute_med = MuscleFactory(name="Gluteus medius", slug="gluteus-medius")
    glute_max = MuscleFactory(name="Gluteus maximus", slug="gluteus-maximus")
    band = EquipmentFactory(name="Loop band", slug="loop-band")
    back = ConditionFactory(name="Lower back pain", slug="lower-back-pain")
    exercise = ExerciseFactory(
        slug="lateral-band-walk",
        name="Lateral band walk",
        aliases="Side steps\n\n  Monster walk  \n",
        summary="Side steps against a band.",
        laterality=Exercise.Laterality.ALTERNATING,
        contraindications="Acute hip pain.",
        sets=3,
        reps=None,
        steps=5,
        per_side=True,
        load="light loop band",
    )
    exercise.primary_muscles.add(glute_med)
    exercise.secondary_muscles.add(glute_max)
    exercise.equipment.add(band)
    exercise.conditions.add(back)
    ExerciseInstructionFactory(
        exercise=exercise,
        kind=ExerciseInstruction.Kind.CUE,
        text="Trunk upright.",
        order=3,
    )
    ExerciseInstructionFactory(
        exercise=exercise,
        kind=ExerciseInstruction.Kind.SETUP,
        text="Band on shins.",
        order=1,
    )
    ExerciseInstructionFactory(exercise=exercise, text="Five steps right.", order=2)
    ExerciseMediaFactory(
        exercise=exercise,
        url="https://media.example.com/side.jpg",
        alt_text="Side steps.",
        credit="Rehabit",
        licence="CC BY 4.0",
    )
    smaller = ExerciseFactory(slug="small-side-steps", name="Small side steps")
    ExerciseLinkFactory(
        exercise=exercise,
        target=smaller,
        kind=ExerciseLink.Kind.REGRESSION,
        note="If the trunk leans.",
    )
    harder = ExerciseFactory(slug="monster-walk", name="Monster walk")
    ExerciseLinkFactory(
        exercise=exercise, target=harder, kind=ExerciseLink.Kind.PROGRESSION
    )
    return exercise


# ---------------------------------------------------------------------------
# Exercises: shapes
# ---------------------------------------------------------------------------
def test_exercise_list_items_are_summaries(api_client, side_steps):
    response = api_client.get(EXERCISES, {"q": "lateral"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["previous"] is None
    item = body["results"][0]
    assert set(item) == SUMMARY_KEYS
    assert item["id"] == str(side_steps.pk)
    assert item["aliases"] == ["Side steps", "Monster walk"]
    assert item["laterality"] == "alternating"
    assert item["primary_muscles"] == [
        {
            "id": side_steps.primary_muscles.get().pk,
            "slug": "gluteus-medius",
            "name": "Gluteus medius",
            "body_region": "hips",
        }
    ]
    assert item["equipment"] == [
        {"id": side_steps.equipment.get().pk, "slug": "loop-band", "name": "Loop band"}
    ]
    assert [c["slug"] for c in item["conditions"]] == ["lower-back-pain"]
    assert item["status"] == "published"
    assert item["url"] == f"http://testserver{exercise_url(side_steps)}"


def test_exercise_detail_has_everything(api_client, side_steps):
    response = api_client.get(exercise_url(side_steps))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_KEYS
    assert body["instructions"] == [
        {"kind": "setup", "text": "Band on shins.", "order": 1},
        {"kind": "step", "text": "Five steps right.", "order": 2},
        {"kind": "cue", "text": "Trunk upright.", "order": 3},
    ]
    assert [m["slug"] for m in body["secondary_muscles"]] == ["gluteus-maximus"]
    assert body["contraindications"] == "Acute hip pain."
    assert body["default_dosage"] == {
        "sets": 3,
        "reps": None,
        "steps": 5,
        "seconds": None,
        "per_side": True,
        "direction": "per_side",
        "hold_seconds": None,
        "rest_seconds": None,
        "load": "light loop band",
        "band": "",
        "tempo": "",
    }
    assert body["media"] == [
        {
            "kind": "image",
            "url": "https://media.example.com/side.jpg",
            "alt_text": "Side steps.",
            "credit": "Rehabit",
            "licence": "CC BY 4.0",
        }
    ]
    smaller = Exercise.objects.get(slug="small-side-steps")
    assert body["regressions"] == [
        {
            "exercise": {
                "id": str(smaller.pk),
                "slug": "small-side-steps",
                "name": "Small side steps",
            },
            "note": "If the trunk leans.",
        }
    ]
    assert [link["exercise"]["slug"] for link in body["progressions"]] == [
        "monster-walk"
    ]
    assert body["alternatives"] == []
    assert body["source"] is None


def test_exercise_detail_default_dosage_is_null_without_an_amount(api_client):
    exercise = ExerciseFactory(reps=None, steps=None, seconds=None)

    body = api_client.get(exercise_url(exercise)).json()

    assert body["default_dosage"] is None


def test_exercise_detail_source_names_the_import(api_client):
    exercise = ExerciseFactory(
        source_name="Free Exercise DB",
        source_id="Band_Squat",
        source_licence="Unlicense",
    )

    body = api_client.get(exercise_url(exercise)).json()

    assert body["source"] == {
        "name": "Free Exercise DB",
        "id": "Band_Squat",
        "licence": "Unlicense",
    }


def test_exercise_detail_hides_links_to_drafts_from_the_public(
    api_client, clinician_client
):
    exercise = ExerciseFactory()
    draft = ExerciseFactory(status=Status.DRAFT)
    ExerciseLinkFactory(
        exercise=exercise, target=draft, kind=ExerciseLink.Kind.ALTERNATIVE
    )

    public = api_client.get(exercise_url(exercise)).json()
    staff = clinician_client.get(exercise_url(exercise)).json()

    assert public["alternatives"] == []
    assert [a["exercise"]["id"] for a in staff["alternatives"]] == [str(draft.pk)]


# ---------------------------------------------------------------------------
# Exercises: filters, ordering, pagination
# ---------------------------------------------------------------------------
def test_exercise_list_filters_combine(api_client, side_steps):
    other = ExerciseFactory(
        name="Banded squat", laterality=Exercise.Laterality.BILATERAL
    )
    other.equipment.add(side_steps.equipment.get())

    def slugs(params):
        response = api_client.get(EXERCISES, params)
        assert response.status_code == 200, response.json()
        return [e["slug"] for e in response.json()["results"]]

    assert slugs({"equipment": "loop-band"}) == [other.slug, "lateral-band-walk"]
    assert slugs({"equipment": "loop-band", "laterality": "alternating"}) == [
        "lateral-band-walk"
    ]
    assert slugs({"muscle": "gluteus-maximus"}) == ["lateral-band-walk"]
    assert slugs({"condition": "lower-back-pain", "difficulty": "advanced"}) == []
    assert slugs({"q": "monster"}) == ["lateral-band-walk", "monster-walk"]


def test_exercise_list_updated_since_for_incremental_sync(api_client):
    old = ExerciseFactory(name="Old")
    new = ExerciseFactory(name="New")
    Exercise.objects.filter(pk=old.pk).update(
        updated_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    Exercise.objects.filter(pk=new.pk).update(
        updated_at=datetime(2025, 6, 1, tzinfo=UTC)
    )

    response = api_client.get(EXERCISES, {"updated_since": "2025-03-01T00:00:00Z"})

    assert [e["name"] for e in response.json()["results"]] == ["New"]


def test_exercise_list_ordering(api_client):
    ExerciseFactory(name="B")
    ExerciseFactory(name="A")
    ExerciseFactory(name="C")

    default = api_client.get(EXERCISES).json()["results"]
    descending = api_client.get(EXERCISES, {"ordering": "-name"}).json()["results"]

    assert [e["name"] for e in default] == ["A", "B", "C"]
    assert [e["name"] for e in descending] == ["C", "B", "A"]


def test_exercise_list_paginates_with_default_and_capped_limit(api_client):
    ExerciseFactory.create_batch(105)

    default = api_client.get(EXERCISES).json()
    capped = api_client.get(EXERCISES, {"limit": 500}).json()
    last = api_client.get(EXERCISES, {"limit": 100, "offset": 100}).json()

    assert default["count"] == 105
    assert len(default["results"]) == 20
    assert default["next"] == "http://testserver/api/v1/exercises/?limit=20&offset=20"
    assert len(capped["results"]) == 100
    assert len(last["results"]) == 5
    assert last["next"] is None


def test_staff_list_shows_drafts_and_may_narrow_by_status(clinician_client, api_client):
    ExerciseFactory(name="Published")
    ExerciseFactory(name="Draft", status=Status.DRAFT)

    everything = clinician_client.get(EXERCISES).json()["results"]
    drafts = clinician_client.get(EXERCISES, {"status": "draft"}).json()["results"]
    public_drafts = api_client.get(EXERCISES, {"status": "draft"}).json()

    assert [e["name"] for e in everything] == ["Draft", "Published"]
    assert [(e["name"], e["status"]) for e in drafts] == [("Draft", "draft")]
    assert public_drafts["count"] == 0


# ---------------------------------------------------------------------------
# Conditional GET (ConditionalGetMiddleware)
# ---------------------------------------------------------------------------
def test_exercise_detail_etag_gives_304_until_the_exercise_changes(api_client):
    exercise = ExerciseFactory(name="Banded squat")
    url = exercise_url(exercise)

    first = api_client.get(url)
    etag = first.headers["ETag"]
    unchanged = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    exercise.name = "Banded squat (wide)"
    exercise.save()
    changed = api_client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert first.status_code == 200
    assert etag.startswith('"')
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["ETag"] == etag
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json()["name"] == "Banded squat (wide)"


@pytest.mark.parametrize("path", ["exercises/", "routines/"])
def test_content_varies_on_credentials_for_shared_caches(api_client, path):
    # Staff see drafts at the same URL, so a cache must not serve their copy to others.
    response = api_client.get(f"/api/v1/{path}")

    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Authorization", "Cookie"} <= vary


@pytest.mark.parametrize("url", [EXERCISES, ROUTINES, "/api/v1/muscles/"])
def test_lists_answer_if_none_match_with_304(api_client, url):
    ExerciseFactory()
    RoutineFactory()
    MuscleFactory()

    etag = api_client.get(url).headers["ETag"]
    response = api_client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""


def test_routine_detail_etag_changes_when_an_item_changes(api_client):
    item = RoutineItemFactory(reps=10)
    url = routine_url(item.routine)

    etag = api_client.get(url).headers["ETag"]
    item.reps = 12
    item.save()  # as the admin does: the cached answer is dropped (exercises/cache.py)
    response = api_client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["items"][0]["reps"] == 12


# ---------------------------------------------------------------------------
# Routines
# ---------------------------------------------------------------------------
@pytest.fixture
def glute_routine():
    """The demo routine: squat 3x10, side steps and front steps 3x5 per side."""
    band = EquipmentFactory(name="Loop band", slug="loop-band")
    back = ConditionFactory(name="Lower back pain", slug="lower-back-pain")
    routine = RoutineFactory(
        slug="glute-activation",
        title="Glute activation",
        summary="Three banded exercises.",
        goal="Switch the glutes on.",
        when_to_use="Before walks, runs or hikes.",
    )
    routine.conditions.add(back)
    exercises = []
    for slug, laterality in [
        ("banded-squat", "bilateral"),
        ("lateral-band-walk", "alternating"),
        ("front-band-walk", "alternating"),
    ]:
        exercise = ExerciseFactory(
            slug=slug, name=slug.replace("-", " "), laterality=laterality
        )
        exercise.equipment.add(band)
        exercises.append(exercise)
    # Created out of order: the API follows `order`.
    RoutineItemFactory(
        routine=routine,
        exercise=exercises[2],
        order=3,
        reps=None,
        steps=5,
        per_side=True,
    )
    RoutineItemFactory(
        routine=routine, exercise=exercises[0], order=1, reps=10, load="light band"
    )
    RoutineItemFactory(
        routine=routine,
        exercise=exercises[1],
        order=2,
        reps=None,
        steps=5,
        per_side=True,
        note="Smaller steps if the trunk leans.",
    )
    return routine


def test_routine_list_items_are_summaries_with_a_derived_duration(
    api_client, glute_routine
):
    response = api_client.get(ROUTINES)

    assert response.status_code == 200
    item = response.json()["results"][0]
    assert set(item) == ROUTINE_SUMMARY_KEYS
    assert item["slug"] == "glute-activation"
    assert item["when_to_use"] == "Before walks, runs or hikes."
    assert [c["slug"] for c in item["conditions"]] == ["lower-back-pain"]
    # squat 3 x 10 reps x 3 s + 2 rests x 30 s = 150;
    # each walk 3 x (5 steps x 2 s x 2 sides) + 60 = 120
    assert item["estimated_duration_seconds"] == 150 + 120 + 120
    assert item["url"] == f"http://testserver{routine_url(glute_routine)}"


def test_routine_detail_expands_items_in_order(api_client, glute_routine):
    response = api_client.get(routine_url(glute_routine))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ROUTINE_SUMMARY_KEYS | {"items", "created_at"}
    items = body["items"]
    assert [i["exercise"]["slug"] for i in items] == [
        "banded-squat",
        "lateral-band-walk",
        "front-band-walk",
    ]
    squat, side = items[0], items[1]
    assert set(squat) == DOSAGE_KEYS | {
        "id",
        "block",
        "exercise",
        "note",
        "estimated_seconds",
    }
    assert {k: squat[k] for k in DOSAGE_KEYS} == {
        "sets": 3,
        "reps": 10,
        "steps": None,
        "seconds": None,
        "per_side": False,
        "direction": "none",
        "hold_seconds": None,
        "rest_seconds": None,
        "load": "light band",
        "band": "",
        "tempo": "",
    }
    assert squat["block"] == "main"
    assert squat["estimated_seconds"] == 150
    assert set(squat["exercise"]) == {"id", "slug", "name", "laterality", "equipment"}
    assert squat["exercise"]["equipment"][0]["slug"] == "loop-band"
    assert (side["steps"], side["per_side"], side["note"]) == (
        5,
        True,
        "Smaller steps if the trunk leans.",
    )
    assert body["estimated_duration_seconds"] == sum(
        i["estimated_seconds"] for i in items
    )


def test_published_routine_still_lists_an_archived_exercise(api_client, glute_routine):
    Exercise.objects.filter(slug="lateral-band-walk").update(status=Status.ARCHIVED)

    body = api_client.get(routine_url(glute_routine)).json()

    assert [i["exercise"]["slug"] for i in body["items"]][1] == "lateral-band-walk"


def test_routine_list_filters(api_client, glute_routine):
    RoutineFactory(slug="neck", title="Neck mobility")

    def slugs(params):
        return [r["slug"] for r in api_client.get(ROUTINES, params).json()["results"]]

    assert slugs({}) == ["glute-activation", "neck"]
    assert slugs({"equipment": "loop-band"}) == ["glute-activation"]
    assert slugs({"condition": "lower-back-pain"}) == ["glute-activation"]
    assert slugs({"q": "neck"}) == ["neck"]


# ---------------------------------------------------------------------------
# Taxonomies
# ---------------------------------------------------------------------------
def test_taxonomy_lists(api_client):
    MuscleFactory(name="Gluteus medius", slug="gluteus-medius", body_region="hips")
    EquipmentFactory(name="Loop band", slug="loop-band", description="A closed band.")
    ConditionFactory(name="Lower back pain", slug="lower-back-pain")

    muscles = api_client.get("/api/v1/muscles/").json()
    equipment = api_client.get("/api/v1/equipment/").json()
    conditions = api_client.get("/api/v1/conditions/", {"q": "back"}).json()

    assert muscles["count"] == 1
    assert set(muscles["results"][0]) == {"id", "slug", "name", "body_region"}
    assert muscles["results"][0]["body_region"] == "hips"
    assert equipment["results"][0]["description"] == "A closed band."
    assert set(equipment["results"][0]) == {"id", "slug", "name", "description"}
    assert [c["slug"] for c in conditions["results"]] == ["lower-back-pain"]


def test_muscles_filter_by_body_region(api_client):
    MuscleFactory(slug="gluteus-medius", body_region="hips")
    MuscleFactory(slug="erector-spinae", body_region="back")

    response = api_client.get("/api/v1/muscles/", {"body_region": "back"})

    assert [m["slug"] for m in response.json()["results"]] == ["erector-spinae"]


# ---------------------------------------------------------------------------
# Query budgets: the count does not grow with rows
# ---------------------------------------------------------------------------
def related_exercise(n):
    """A published exercise with n of every related row (muscles, steps, media, links)."""
    exercise = ExerciseFactory()
    exercise.primary_muscles.add(*MuscleFactory.create_batch(n))
    exercise.secondary_muscles.add(*MuscleFactory.create_batch(n))
    exercise.equipment.add(*EquipmentFactory.create_batch(n))
    exercise.conditions.add(*ConditionFactory.create_batch(n))
    ExerciseInstructionFactory.create_batch(n, exercise=exercise)
    ExerciseMediaFactory.create_batch(n, exercise=exercise)
    for target in ExerciseFactory.create_batch(n):
        ExerciseLinkFactory(exercise=exercise, target=target)
    return exercise


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize("client_fixture", ["api_client", "clinician_client"])
def test_exercise_list_query_count_is_fixed(
    request, django_assert_num_queries, rows, client_fixture
):
    client = request.getfixturevalue(client_fixture)
    for exercise in ExerciseFactory.create_batch(rows):
        exercise.primary_muscles.add(*MuscleFactory.create_batch(2))
        exercise.equipment.add(*EquipmentFactory.create_batch(2))
        exercise.conditions.add(*ConditionFactory.create_batch(2))

    # COUNT, page, primary muscles, equipment, conditions (catalog reads run outside
    # ATOMIC_REQUESTS: no SAVEPOINT / RELEASE). The first read: the cache is empty.
    with django_assert_num_queries(5):
        response = client.get(EXERCISES)

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize("client_fixture", ["api_client", "clinician_client"])
def test_exercise_detail_query_count_is_fixed(
    request, django_assert_num_queries, rows, client_fixture
):
    client = request.getfixturevalue(client_fixture)
    exercise = related_exercise(rows)

    # Exercise, primary muscles, secondary muscles, equipment, conditions, instructions,
    # media, links joined to their targets.
    with django_assert_num_queries(8):
        response = client.get(exercise_url(exercise))

    assert len(response.json()["instructions"]) == rows
    assert len(response.json()["regressions"]) == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_routine_list_query_count_is_fixed(api_client, django_assert_num_queries, rows):
    for routine in RoutineFactory.create_batch(rows):
        routine.conditions.add(ConditionFactory())
        RoutineItemFactory.create_batch(3, routine=routine)

    # COUNT, page, conditions, items (for the duration).
    with django_assert_num_queries(4):
        response = api_client.get(ROUTINES)

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_routine_detail_query_count_is_fixed(
    api_client, django_assert_num_queries, rows
):
    routine = RoutineFactory()
    routine.conditions.add(*ConditionFactory.create_batch(rows))
    for item in RoutineItemFactory.create_batch(rows, routine=routine):
        item.exercise.equipment.add(EquipmentFactory())

    # Routine, conditions, items joined to their exercises, the exercises' equipment.
    with django_assert_num_queries(4):
        response = api_client.get(routine_url(routine))

    assert len(response.json()["items"]) == rows


@pytest.mark.parametrize("rows", [2, 20])
@pytest.mark.parametrize(
    ("url", "factory"),
    [
        ("/api/v1/muscles/", MuscleFactory),
        ("/api/v1/equipment/", EquipmentFactory),
        ("/api/v1/conditions/", ConditionFactory),
    ],
)
def test_taxonomy_list_query_count_is_fixed(
    api_client, django_assert_num_queries, rows, url, factory
):
    factory.create_batch(rows)

    # COUNT, page.
    with django_assert_num_queries(2):
        response = api_client.get(url)

    assert len(response.json()["results"]) == rows
