"""The public catalog response cache (exercises/cache.py): hits, invalidation, bypasses."""

import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.models import Status
from exercises.cache import TOKEN_KEY, catalog_changed
from exercises.importers import free_exercise_db_import, free_exercise_db_read
from exercises.models import Exercise, Muscle
from exercises.services import content_archive, content_publish
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    ConditionFactory,
    EquipmentFactory,
    ExerciseFactory,
    ExerciseInstructionFactory,
    MuscleFactory,
    RoutineFactory,
    RoutineItemFactory,
)

pytestmark = pytest.mark.django_db

EXERCISES = "/api/v1/exercises/"
ROUTINES = "/api/v1/routines/"
SAMPLE = Path(__file__).resolve().parent.parent / "data/free-exercise-db-sample.json"


@pytest.fixture
def from_cache(django_assert_num_queries):
    """The block's requests run no SQL at all (catalog reads are outside ATOMIC_REQUESTS)."""

    @contextmanager
    def check(requests=1):
        with django_assert_num_queries(0):
            yield

    return check


@contextmanager
def from_database():
    """The block reads the catalog from the database (a cache miss or a bypass)."""
    with CaptureQueriesContext(connection) as ctx:
        yield
    assert any(q["sql"].lstrip().startswith("SELECT") for q in ctx.captured_queries)


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def catalog():
    """A published exercise and routine, plus taxonomy rows nothing uses yet (creating
    them later would itself invalidate the cache and hide what a test looks at)."""
    muscle = MuscleFactory(name="Gluteus medius")
    band = EquipmentFactory(name="Loop band")
    exercise = ExerciseFactory(name="Banded squat")
    exercise.primary_muscles.add(muscle)
    exercise.equipment.add(band)
    exercise.conditions.add(ConditionFactory(name="Lower back pain"))
    instruction = ExerciseInstructionFactory(exercise=exercise, text="Feet apart.")
    routine = RoutineFactory(title="Glute routine")
    item = RoutineItemFactory(
        routine=routine, exercise=ExerciseFactory(name="Side step")
    )
    return SimpleNamespace(
        exercise=exercise,
        instruction=instruction,
        muscle=muscle,
        routine=routine,
        item=item,
        in_review=ExerciseFactory(name="Fresh lunge", status=Status.IN_REVIEW),
        muscle2=MuscleFactory(name="Piriformis"),
        equipment2=EquipmentFactory(name="Foam roller"),
        condition2=ConditionFactory(name="Hip pain"),
    )


URLS = {
    "exercise list": lambda c: EXERCISES,
    "exercise detail": lambda c: f"{EXERCISES}{c.exercise.pk}/",
    "routine list": lambda c: ROUTINES,
    "routine detail": lambda c: f"{ROUTINES}{c.routine.pk}/",
    "muscle list": lambda c: "/api/v1/muscles/",
    "equipment list": lambda c: "/api/v1/equipment/",
    "condition list": lambda c: "/api/v1/conditions/",
}


# --- Hits ---
@pytest.mark.parametrize("target", URLS)
def test_second_anonymous_read_is_served_without_sql(
    api_client, catalog, from_cache, target
):
    url = URLS[target](catalog)
    first = api_client.get(url)
    with from_cache():
        second = api_client.get(url)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"] == "application/json"


def test_patients_share_the_anonymous_entry(api_client, patient, catalog, from_cache):
    first = api_client.get(EXERCISES)
    with from_cache():
        second = client_for(patient).get(EXERCISES)

    assert second.content == first.content


def test_if_none_match_on_a_cached_answer_is_304_without_sql(
    api_client, catalog, from_cache
):
    etag = api_client.get(EXERCISES)["ETag"]
    with from_cache():
        response = api_client.get(EXERCISES, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


# --- Invalidation through the ORM write paths (signals) and the workflow services ---
def _rename_exercise(c):
    c.exercise.name = "Banded squat (wide)"
    c.exercise.save()


def _save_instruction(c):
    c.instruction.text = "Brace first."
    c.instruction.save()


def _rename_muscle(c):
    c.muscle.name = "Gluteus minimus"
    c.muscle.save()


def _publish(c):
    content_publish(content=c.in_review, user=AdminFactory())


def _archive(c):
    content_archive(content=c.exercise, user=AdminFactory())


# case: (write, url, marker, whether the marker is in the next read)
WRITES = {
    "exercise saved": (_rename_exercise, "exercise detail", "(wide)", True),
    "instruction saved": (_save_instruction, "exercise detail", "Brace first.", True),
    "routine item deleted": (
        lambda c: c.item.delete(),
        "routine detail",
        "Side step",
        False,
    ),
    "m2m add": (
        lambda c: c.exercise.primary_muscles.add(c.muscle2),
        "exercise list",
        "Piriformis",
        True,
    ),
    "m2m set": (
        lambda c: c.exercise.equipment.set([c.equipment2]),
        "exercise list",
        "Loop band",
        False,
    ),
    "routine m2m add": (
        lambda c: c.routine.conditions.add(c.condition2),
        "routine detail",
        "Hip pain",
        True,
    ),
    "muscle saved (nested copy)": (_rename_muscle, "exercise detail", "minimus", True),
    "muscle saved (taxonomy)": (_rename_muscle, "muscle list", "minimus", True),
    "published": (_publish, "exercise list", "Fresh lunge", True),
    "archived": (_archive, "exercise list", "Banded squat", False),
}


@pytest.mark.parametrize("case", WRITES)
def test_catalog_write_makes_the_next_read_show_it(api_client, catalog, case):
    write, target, marker, present = WRITES[case]
    url = URLS[target](catalog)
    before = api_client.get(url)  # cached
    write(catalog)
    after = api_client.get(url)

    assert (marker in before.content.decode()) is not present
    assert after.status_code == 200
    assert (marker in after.content.decode()) is present
    assert after["ETag"] != before["ETag"]


def test_token_is_replaced_again_when_the_write_commits(
    api_client, catalog, django_capture_on_commit_callbacks
):
    api_client.get(EXERCISES)
    token = cache.get(TOKEN_KEY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _rename_exercise(catalog)
        at_write = cache.get(TOKEN_KEY)
        # A read between the write and its commit caches an entry under at_write.
        api_client.get(EXERCISES)

    assert callbacks
    assert token != at_write
    assert cache.get(TOKEN_KEY) not in (None, token, at_write)
    with from_database():
        api_client.get(EXERCISES)


@pytest.mark.parametrize("stale", ["token replaced", "token evicted"])
def test_entry_from_an_old_generation_misses_and_is_cached_again(
    api_client, catalog, from_cache, stale
):
    first = api_client.get(EXERCISES)
    if stale == "token replaced":
        catalog_changed()  # no database change at all
    else:
        cache.delete(TOKEN_KEY)
    with from_database():
        second = api_client.get(EXERCISES)
    with from_cache():
        third = api_client.get(EXERCISES)

    assert second.content == third.content == first.content


def test_import_replaces_the_token_even_without_signalled_writes(api_client):
    records = free_exercise_db_read(SAMPLE)
    muscles = api_client.get("/api/v1/muscles/")  # cached, empty
    free_exercise_db_import(records=records)
    imported = api_client.get("/api/v1/muscles/")
    token = cache.get(TOKEN_KEY)
    # A rerun changes nothing, so no signal fires: the importer's own call does it.
    rerun = free_exercise_db_import(records=records)

    assert muscles.json()["count"] == 0
    assert "Abdominals" in [m["name"] for m in imported.json()["results"]]
    assert rerun.created == rerun.updated == []
    assert cache.get(TOKEN_KEY) not in (None, token)


# --- Bypasses: staff, errors, the setting ---
@pytest.mark.parametrize("user_fixture", ["clinician", "admin_user"])
def test_staff_neither_read_nor_fill_the_cache(
    request, api_client, from_cache, user_fixture
):
    staff = client_for(request.getfixturevalue(user_fixture))
    ExerciseFactory(name="Published squat")
    ExerciseFactory(name="Draft lunge", status=Status.DRAFT)

    staff_first = staff.get(EXERCISES)
    with from_database():
        anonymous = api_client.get(EXERCISES)  # the staff read stored nothing
    # bulk_create sends no signal: the token stays and the anonymous entry is current.
    quiet = ExerciseFactory.build(name="Quiet draft", status=Status.DRAFT)
    Exercise.objects.bulk_create([quiet])
    with from_database():
        staff_again = staff.get(EXERCISES)
    with from_cache():
        api_client.get(EXERCISES)

    assert names(staff_first) == ["Draft lunge", "Published squat"]
    assert names(anonymous) == ["Published squat"]
    assert names(staff_again) == ["Draft lunge", "Published squat", "Quiet draft"]


def test_staff_draft_detail_is_not_served_to_anonymous(api_client, clinician):
    draft = ExerciseFactory(status=Status.DRAFT)
    url = f"{EXERCISES}{draft.pk}/"

    assert client_for(clinician).get(url).status_code == 200
    assert api_client.get(url).status_code == 404


def test_bad_filter_400_is_not_cached(api_client):
    # A cached answer would come back as a 200 (entries only hold the body).
    first = api_client.get(EXERCISES, {"difficulty": "nope"})
    second = api_client.get(EXERCISES, {"difficulty": "nope"})
    unknown = api_client.get(EXERCISES, {"muscle": "piriformis"})
    # bulk_create: no signal, the token stays, so only a missing entry lets this pass.
    Muscle.objects.bulk_create([MuscleFactory.build(slug="piriformis")])
    known = api_client.get(EXERCISES, {"muscle": "piriformis"})

    assert first.status_code == second.status_code == 400
    assert second.content == first.content
    assert unknown.status_code == 400
    assert known.status_code == 200


def test_unknown_exercise_404_is_not_cached(api_client):
    exercise_id = uuid.uuid4()
    url = f"{EXERCISES}{exercise_id}/"
    missing = [api_client.get(url), api_client.get(url)]
    Exercise.objects.bulk_create([ExerciseFactory.build(id=exercise_id, name="Late")])
    found = api_client.get(url)

    assert [r.status_code for r in missing] == [404, 404]
    assert found.status_code == 200
    assert found.json()["name"] == "Late"


def test_zero_seconds_turns_the_cache_off(api_client, catalog, settings):
    settings.CATALOG_CACHE_SECONDS = 0
    first = api_client.get(EXERCISES)
    with from_database():
        second = api_client.get(EXERCISES)

    assert second.content == first.content


# --- Keys: scheme, host and query string ---
def test_entries_are_keyed_by_query_string(api_client, catalog, from_cache):
    everything = api_client.get(EXERCISES)
    one = api_client.get(EXERCISES, {"limit": 1})
    with from_cache():
        one_again = api_client.get(EXERCISES, {"limit": 1})

    assert len(everything.json()["results"]) == 2
    assert len(one.json()["results"]) == 1
    assert one_again.content == one.content


def test_known_filters_are_cached_unknown_parameters_are_not(
    api_client, catalog, from_cache
):
    params = {"ordering": "-name", "limit": 5, "offset": 0, "q": ""}
    first = api_client.get(EXERCISES, params)
    with from_cache():
        again = api_client.get(EXERCISES, params)
    assert again.content == first.content

    # The API ignores unknown parameters; caching each variant would let anyone fill
    # Redis with copies of one answer, so those are answered from the database.
    for _ in range(2):
        with from_database():
            response = api_client.get(EXERCISES, {**params, "utm_source": "x"})
        assert response.json()["results"] == first.json()["results"]
    with from_database():
        api_client.get(f"{EXERCISES}{catalog.exercise.pk}/", {"utm_source": "x"})


VARIANTS = [
    ({}, "http://testserver/"),
    ({"HTTP_HOST": "localhost"}, "http://localhost/"),
    ({"secure": True}, "https://testserver/"),
]


def test_entries_are_keyed_by_scheme_and_host(api_client, catalog, from_cache):
    first = [api_client.get(EXERCISES, **kwargs) for kwargs, _ in VARIANTS]
    with from_cache(requests=len(VARIANTS)):
        again = [api_client.get(EXERCISES, **kwargs) for kwargs, _ in VARIANTS]

    assert {response.status_code for response in (*first, *again)} == {200}
    for (_, origin), response, cached in zip(VARIANTS, first, again, strict=True):
        urls = [row["url"] for row in response.json()["results"]]
        assert urls
        assert all(url.startswith(f"{origin}api/v1/") for url in urls)
        assert cached.content == response.content
