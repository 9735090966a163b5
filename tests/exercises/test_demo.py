from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Max

from common.models import Status
from exercises import demo_content
from exercises.models import (
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    Muscle,
    Routine,
    RoutineItem,
)
from exercises.services import content_archive
from tests.factories import MuscleFactory
from users import demo as logins_demo
from users.models import CLINICIANS_GROUP, User

pytestmark = pytest.mark.django_db

ROUTINE = "glute-activation-lower-back"


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def database_state() -> dict[str, tuple[int, object]]:
    """Row count and latest ``updated_at`` of every table, historical ones included."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        queryset = model._default_manager.all()
        field_names = {f.name for f in model._meta.concrete_fields}
        latest = (
            queryset.aggregate(latest=Max("updated_at"))["latest"]
            if "updated_at" in field_names
            else None
        )
        state[model._meta.label] = (queryset.count(), latest)
    return state


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def test_demo_routine_has_three_items_in_order_with_their_dosage(debug):
    load_demo()

    routine = Routine.objects.get(slug=ROUTINE)
    items = [
        (i.exercise.slug, i.sets, i.reps, i.steps, i.direction, i.per_side, i.load)
        for i in routine.items.select_related("exercise")
    ]
    # The article's dose exactly; no band strength (the notes give none) and no
    # placement in load (it is a setup step).
    assert items == [
        ("banded-squat", 3, 10, None, "none", False, ""),
        ("lateral-band-walk", 3, None, 5, "sideways", True, ""),
        ("forward-backward-band-walk", 3, None, 5, "forward_backward", True, ""),
    ]
    assert not routine.items.exclude(band="").exists()
    assert routine.status == Status.PUBLISHED
    assert routine.title == "Glute activation for lower back pain"
    assert list(routine.conditions.values_list("slug", flat=True)) == [
        "lower-back-pain"
    ]
    assert "warm-up right before walking, running or hiking" in routine.when_to_use
    assert all(item.note for item in routine.items.all())


def test_demo_loads_four_published_beginner_exercises_with_band_and_condition(debug):
    load_demo()

    exercises = Exercise.objects.order_by("slug")
    assert [e.slug for e in exercises] == [
        "banded-squat",
        "forward-backward-band-walk",
        "lateral-band-walk",
        "lateral-band-walk-short-steps",
    ]
    for exercise in exercises:
        assert exercise.status == Status.PUBLISHED
        assert exercise.difficulty == Exercise.Difficulty.BEGINNER
        assert exercise.summary
        assert list(exercise.equipment.values_list("slug", flat=True)) == [
            "resistance-band-loop"
        ]
        assert list(exercise.conditions.values_list("slug", flat=True)) == [
            "lower-back-pain"
        ]
        assert "gluteus-medius" in exercise.primary_muscles.values_list(
            "slug", flat=True
        )


def test_lateral_band_walk_has_setup_steps_cues_and_default_dosage(debug):
    load_demo()

    walk = Exercise.objects.get(slug="lateral-band-walk")
    kinds = list(walk.instructions.values_list("kind", flat=True))
    kind = ExerciseInstruction.Kind
    assert kinds == [kind.SETUP] * 2 + [kind.STEP] * 2 + [kind.CUE] * 3
    steps = walk.instructions.filter(kind=kind.STEP).values_list("text", flat=True)
    assert "right" in steps[0]
    assert "left" in steps[1]
    assert (walk.sets, walk.steps, walk.reps, walk.per_side) == (3, 5, None, True)
    assert walk.laterality == Exercise.Laterality.BILATERAL
    assert list(walk.primary_muscles.values_list("slug", flat=True)) == [
        "gluteus-medius"
    ]
    assert Muscle.objects.get(slug="gluteus-medius").body_region == "hips"


def test_lateral_band_walk_links_to_its_short_step_regression_with_a_note(debug):
    load_demo()

    link = ExerciseLink.objects.get(
        exercise__slug="lateral-band-walk", kind=ExerciseLink.Kind.REGRESSION
    )
    assert link.target.slug == "lateral-band-walk-short-steps"
    assert link.target.status == Status.PUBLISHED
    assert link.note == (
        "If you cannot keep your trunk from leaning, make the steps smaller."
    )


def test_demo_content_is_written_by_the_clinician_and_published_by_the_reviewer(
    debug,
):
    load_demo()

    clinician = User.objects.get(email="clinician@rehabit.dev")
    reviewer = User.objects.get(email="reviewer@rehabit.dev")
    for content in [*Exercise.objects.all(), *Routine.objects.all()]:
        assert content.author == clinician
        assert content.submitted_by == clinician
        assert content.reviewed_by == reviewer
        assert content.published_at is not None
        latest = content.history.latest("history_id")
        assert (latest.history_change_reason, latest.history_user) == (
            "Published",
            reviewer,
        )


def test_demo_history_snapshot_has_the_exercise_muscles(debug):
    load_demo()

    published = Exercise.objects.get(slug="banded-squat").history.latest("history_id")
    muscles = published.primary_muscles.values_list("muscle__slug", flat=True)
    assert set(muscles) == {"gluteus-maximus", "gluteus-medius"}


def test_second_load_changes_no_row_history_or_timestamp(debug):
    load_demo()
    before = database_state()

    output = load_demo()

    assert database_state() == before
    assert "nothing changed" in output


def test_second_load_only_reads_a_few_rows(debug, django_assert_max_num_queries):
    load_demo()

    # users, muscles, equipment, conditions, exercises, routines: one SELECT each,
    # plus the savepoint pair of the load's transaction; then the demo patient
    # (sessions.demo): one SELECT finds them with their sessions; their outcomes
    # (outcomes.demo): one SELECT finds their questionnaire assignments.
    with django_assert_max_num_queries(10):
        load_demo()


def test_load_without_debug_loads_content_but_creates_no_logins(settings):
    settings.DEBUG = False

    output = load_demo()

    emails = [user.email for user in logins_demo.DEMO_USERS]
    assert not User.objects.filter(email__in=emails).exists()
    assert "DEBUG is off" in output
    assert "rehabit-admin" not in output
    routine = Routine.objects.get(slug=ROUTINE)
    assert routine.status == Status.PUBLISHED
    assert routine.author is None
    assert Exercise.objects.filter(status=Status.PUBLISHED).count() == 4


def test_load_with_debug_creates_the_three_logins_and_prints_them(debug):
    output = load_demo()

    admin = User.objects.get(email="admin@rehabit.dev")
    assert (admin.is_superuser, admin.is_staff, admin.role) == (True, True, "admin")
    clinicians = Group.objects.get(name=CLINICIANS_GROUP)
    for email in ("clinician@rehabit.dev", "reviewer@rehabit.dev"):
        user = User.objects.get(email=email)
        assert (user.is_staff, user.is_superuser, user.role) == (
            True,
            False,
            "clinician",
        )
        assert list(user.groups.all()) == [clinicians]
    for login in logins_demo.DEMO_USERS:
        assert User.objects.get(email=login.email).check_password(login.password)
        assert login.email in output
        assert login.password in output
    assert "http://127.0.0.1:8000/admin/" in output
    assert "http://127.0.0.1:8000/api/docs/" in output


def test_no_logins_option_skips_accounts_even_with_debug(debug):
    output = load_demo("--no-logins")

    assert not User.objects.exists()
    assert "--no-logins" in output
    assert Routine.objects.filter(slug=ROUTINE, status=Status.PUBLISHED).exists()


def test_default_load_keeps_local_edits_to_demo_content(debug):
    load_demo()
    squat = Exercise.objects.get(slug="banded-squat")
    squat.name = "Banded squat (edited)"
    squat.save()

    load_demo()

    squat.refresh_from_db()
    assert squat.name == "Banded squat (edited)"


def test_reset_restores_edited_demo_content_and_then_changes_nothing(debug):
    load_demo()
    reviewer = User.objects.get(email="reviewer@rehabit.dev")
    squat = Exercise.objects.get(slug="banded-squat")
    squat.name = "Edited"
    squat.save()
    squat.instructions.first().delete()
    squat.primary_muscles.clear()
    content_archive(content=squat, user=reviewer)
    RoutineItem.objects.filter(exercise=squat).update(sets=5)
    ExerciseLink.objects.all().delete()
    admin = User.objects.get(email="admin@rehabit.dev")
    admin.set_password("changed")
    admin.save()

    output = load_demo("--reset")

    squat.refresh_from_db()
    assert squat.name == "Banded squat"
    assert squat.status == Status.PUBLISHED
    assert squat.instructions.count() == 7
    assert set(squat.primary_muscles.values_list("slug", flat=True)) == {
        "gluteus-maximus",
        "gluteus-medius",
    }
    assert RoutineItem.objects.get(exercise=squat).sets == 3
    assert ExerciseLink.objects.count() == 2
    admin.refresh_from_db()
    assert admin.check_password("rehabit-admin")
    assert "restored" in output

    before = database_state()
    load_demo("--reset")
    assert database_state() == before


def test_demo_reuses_a_muscle_the_importer_created_with_the_same_slug(debug):
    MuscleFactory(name="Hamstrings", slug="hamstrings", body_region="legs")

    load_demo()

    assert Muscle.objects.filter(slug="hamstrings").count() == 1
    assert Muscle.objects.count() == 4


def test_demo_exercises_carry_the_notes_rationale_in_education(debug):
    load_demo()

    slugs = [e.slug for e in demo_content.EXERCISES]
    for exercise in Exercise.objects.filter(slug__in=slugs):
        assert "lower back muscles" in exercise.education
        assert "back muscles should not be doing it" in exercise.education


def test_only_the_notes_regression_is_unmarked(debug):
    """The notes give the short-step regression; anything else is the clinician's."""
    load_demo()

    links = {
        (link.exercise.slug, link.kind): link.note
        for link in ExerciseLink.objects.select_related("exercise")
    }
    assert links[("lateral-band-walk", "regression")].startswith(
        "If you cannot keep your trunk from leaning"
    )
    assert links[("lateral-band-walk-short-steps", "progression")].startswith(
        "Clinician's note:"
    )
