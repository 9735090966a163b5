import json
import time
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from common.models import Status
from exercises.importers import IMPORTED_REASON, SOURCE_LICENCE, SOURCE_NAME
from exercises.management.commands.import_exercises import DEFAULT_PATH
from exercises.models import (
    Equipment,
    Exercise,
    ExerciseInstruction,
    ExerciseMedia,
    Muscle,
)
from exercises.services import content_publish, content_submit
from tests.factories import ExerciseFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "free-exercise-db-sample.json"
SKIPS = DATA / "free-exercise-db-skips.json"
FULL = DEFAULT_PATH  # the copy shipped in data/free-exercise-db/
SAMPLE_IDS = {
    "3_4_Sit-Up",
    "Monster_Walk",
    "Squats_-_With_Bands",
    "Adductor_Groin",
    "Alternating_Renegade_Row",
}


def run_import(*args: object) -> str:
    out = StringIO()
    call_command("import_exercises", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every table, historical and m2m tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def sample_records() -> list[dict]:
    return json.loads(SAMPLE.read_text())


def write_records(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records))
    return path


def test_import_creates_drafts_with_source_attribution():
    run_import(SAMPLE)

    exercises = Exercise.objects.all()
    assert {e.source_id for e in exercises} == SAMPLE_IDS
    for exercise in exercises:
        assert exercise.status == Status.DRAFT
        assert exercise.source_name == SOURCE_NAME == "Free Exercise DB"
        assert exercise.source_licence == SOURCE_LICENCE == "Unlicense (public domain)"
        assert exercise.laterality == Exercise.Laterality.BILATERAL
        assert exercise.author is None


def test_import_maps_muscles_equipment_level_and_instructions():
    run_import(SAMPLE)

    squat = Exercise.objects.get(source_id="Squats_-_With_Bands")
    assert squat.name == "Squats - With Bands"
    assert squat.slug == "squats-with-bands"
    assert squat.difficulty == Exercise.Difficulty.BEGINNER
    assert squat.summary == "Strength exercise (compound, push)."
    assert list(squat.primary_muscles.values_list("slug", "body_region")) == [
        ("quadriceps", "legs")
    ]
    assert set(squat.secondary_muscles.values_list("slug", "body_region")) == {
        ("calves", "legs"),
        ("glutes", "hips"),
        ("hamstrings", "legs"),
        ("lower-back", "back"),
    }
    assert list(squat.equipment.values_list("name", flat=True)) == ["Resistance band"]
    source = next(r for r in sample_records() if r["id"] == "Squats_-_With_Bands")
    instructions = squat.instructions.all()
    assert [i.text for i in instructions] == source["instructions"]
    assert {i.kind for i in instructions} == {ExerciseInstruction.Kind.STEP}
    assert [i.order for i in instructions] == list(range(len(source["instructions"])))

    row = Exercise.objects.get(source_id="Alternating_Renegade_Row")
    assert row.difficulty == Exercise.Difficulty.ADVANCED  # "expert"
    stretch = Exercise.objects.get(source_id="Adductor_Groin")
    assert stretch.difficulty == Exercise.Difficulty.INTERMEDIATE
    assert not stretch.equipment.exists()  # equipment null
    sit_up = Exercise.objects.get(source_id="3_4_Sit-Up")
    assert not sit_up.equipment.exists()  # "body only"
    assert sit_up.primary_muscles.get().body_region == Muscle.BodyRegion.CORE


def test_import_history_has_one_imported_record_with_the_muscles(clinician):
    run_import(SAMPLE, "--author", clinician.email)

    walk = Exercise.objects.get(source_id="Monster_Walk")
    assert walk.author == clinician
    record = walk.history.get()
    assert record.history_type == "+"
    assert record.history_change_reason == IMPORTED_REASON
    assert record.history_user == clinician
    muscles = record.primary_muscles.values_list("muscle__slug", flat=True)
    assert list(muscles) == ["abductors"]
    assert list(record.equipment.values_list("equipment__slug", flat=True)) == [
        "resistance-band"
    ]
    instruction_reasons = ExerciseInstruction.history.filter(
        exercise_id=walk.pk
    ).values_list("history_change_reason", flat=True)
    assert set(instruction_reasons) == {IMPORTED_REASON}


def test_import_reports_progress_and_counts():
    output = run_import(SAMPLE)

    assert "5/5 records processed" in output
    assert "Created:   5" in output
    assert "Skipped:   0" in output
    assert "Images:    10 skipped (pass --image-base-url to link them)" in output


def test_rerun_of_the_same_file_writes_nothing():
    run_import(SAMPLE)
    before = row_counts()
    stamps = dict(Exercise.objects.values_list("source_id", "updated_at"))

    output = run_import(SAMPLE)

    assert row_counts() == before
    assert dict(Exercise.objects.values_list("source_id", "updated_at")) == stamps
    assert "Created:   0" in output
    assert "Unchanged: 5" in output


def test_rerun_updates_a_changed_record_instead_of_duplicating_it(tmp_path):
    run_import(SAMPLE)
    walk = Exercise.objects.get(source_id="Monster_Walk")
    records = sample_records()
    changed = next(r for r in records if r["id"] == "Monster_Walk")
    changed["name"] = "Monster Walk (banded)"
    changed["level"] = "intermediate"
    changed["instructions"] = ["Step forward and out.", "Repeat on the other side."]
    changed["secondaryMuscles"] = ["glutes"]

    output = run_import(write_records(tmp_path / "changed.json", records))

    assert Exercise.objects.count() == 5
    walk.refresh_from_db()
    assert walk.name == "Monster Walk (banded)"
    assert walk.slug == "monster-walk"  # the slug stays stable
    assert walk.difficulty == Exercise.Difficulty.INTERMEDIATE
    assert list(walk.instructions.values_list("text", flat=True)) == [
        "Step forward and out.",
        "Repeat on the other side.",
    ]
    assert list(walk.secondary_muscles.values_list("slug", flat=True)) == ["glutes"]
    reasons = list(
        walk.history.order_by("history_id").values_list(
            "history_change_reason", flat=True
        )
    )
    assert reasons == [IMPORTED_REASON, "Updated from Free Exercise DB"]
    assert "Updated:   1" in output
    assert "Unchanged: 4" in output


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("malformed-not-json.json", "is not valid JSON"),
        ("malformed-not-a-list.json", "must hold a JSON list of exercise records"),
        ("malformed-missing-id.json", "record 1: missing key 'id'"),
        (
            "malformed-bad-level.json",
            "record 1 (id 'Monster_Walk'): 'level' must be a string, not a number",
        ),
    ],
)
def test_malformed_file_is_rejected_without_writing_anything(filename, message):
    run_import(SAMPLE)  # existing content must stay exactly as it is
    before = row_counts()

    with pytest.raises(CommandError, match="nothing was imported") as error:
        run_import(DATA / filename)

    assert message in str(error.value)
    assert row_counts() == before


def test_malformed_file_error_lists_every_bad_record(tmp_path):
    records = sample_records()
    records[0]["name"] = 5
    records[2]["level"] = "pro"
    records[3]["instructions"] = "Stretch."
    path = write_records(tmp_path / "bad.json", records)

    with pytest.raises(CommandError) as error:
        run_import(path)

    message = str(error.value)
    assert (
        "record 0 (id '3_4_Sit-Up'): 'name' must be a string, not a number" in message
    )
    assert (
        "record 2 (id 'Squats_-_With_Bands'): 'level' must be one of beginner, "
        "intermediate, expert, not 'pro'"
    ) in message
    assert "record 3 (id 'Adductor_Groin'): 'instructions' must be a list" in message
    assert not Exercise.objects.exists()
    assert not Muscle.objects.exists()


def test_missing_file_is_rejected():
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(DATA / "no-such-file.json")


def test_unusable_records_are_skipped_and_reported_with_reasons():
    output = run_import(SKIPS)

    assert set(Exercise.objects.values_list("source_id", flat=True)) == {
        "Monster_Walk",
        "Hip_Lift_with_Band",
    }
    assert Exercise.objects.get(source_id="Monster_Walk").name == "Monster Walk"
    assert "Created:   2" in output
    assert "Skipped:   3" in output
    assert "  - no instructions: 1 (Iron_Cross)" in output
    assert "  - unknown muscle 'obliques': 1 (Band_Hip_Adductions)" in output
    assert "  - duplicate id in the file" in output
    assert ": 1 (Monster_Walk)" in output
    # A skipped record creates none of its taxonomy rows.
    assert not Muscle.objects.filter(slug="obliques").exists()


def test_image_base_url_links_the_images_as_media():
    output = run_import(SAMPLE, "--image-base-url", "https://cdn.example.com/fedb/")

    walk = Exercise.objects.get(source_id="Monster_Walk")
    media = list(walk.media.all())
    assert [m.url for m in media] == [
        "https://cdn.example.com/fedb/Monster_Walk/0.jpg",
        "https://cdn.example.com/fedb/Monster_Walk/1.jpg",
    ]
    assert all(m.kind == ExerciseMedia.Kind.IMAGE for m in media)
    assert all(m.alt_text.startswith("Monster Walk") for m in media)
    assert {(m.credit, m.licence) for m in media} == {
        ("Free Exercise DB", "Unlicense (public domain)")
    }
    assert ExerciseMedia.objects.count() == 10
    assert "Images:    10 linked" in output

    before = row_counts()
    run_import(SAMPLE, "--image-base-url", "https://cdn.example.com/fedb")
    assert row_counts() == before


def test_without_image_base_url_no_media_is_created():
    run_import(SAMPLE)

    assert not ExerciseMedia.objects.exists()


def test_invalid_image_base_url_is_rejected():
    with pytest.raises(CommandError, match="not an http"):
        run_import(SAMPLE, "--image-base-url", "not a url")


def test_published_exercise_is_not_overwritten(tmp_path, clinician, other_clinician):
    run_import(SAMPLE)
    walk = Exercise.objects.get(source_id="Monster_Walk")
    content_submit(content=walk, user=clinician)
    content_publish(content=walk, user=other_clinician)
    records = sample_records()
    next(r for r in records if r["id"] == "Monster_Walk")["name"] = "Overwritten"

    output = run_import(write_records(tmp_path / "changed.json", records))

    walk.refresh_from_db()
    assert walk.name == "Monster Walk"
    assert walk.status == Status.PUBLISHED
    assert "already reviewed" in output
    assert ": 1 (Monster_Walk)" in output


def test_draft_edited_after_the_import_is_not_overwritten(tmp_path):
    run_import(SAMPLE)
    walk = Exercise.objects.get(source_id="Monster_Walk")
    walk.summary = "Curated by a clinician."
    walk.save()  # like an admin edit: a history record without the import reason
    records = sample_records()
    next(r for r in records if r["id"] == "Monster_Walk")["name"] = "Overwritten"

    output = run_import(write_records(tmp_path / "changed.json", records))

    walk.refresh_from_db()
    assert (walk.name, walk.summary) == ("Monster Walk", "Curated by a clinician.")
    assert "draft edited since the import (not overwritten): 1 (Monster_Walk)" in output


def test_slug_taken_by_another_exercise_gets_a_suffix():
    ExerciseFactory(slug="monster-walk", name="Our own monster walk")

    run_import(SAMPLE)

    assert Exercise.objects.get(source_id="Monster_Walk").slug == "monster-walk-2"
    assert Exercise.objects.get(slug="monster-walk").source_id == ""


def test_unknown_author_is_rejected():
    with pytest.raises(CommandError, match="no user with email"):
        run_import(SAMPLE, "--author", "nobody@example.com")
    assert not Exercise.objects.exists()


def test_dry_run_reports_but_writes_nothing():
    output = run_import(SAMPLE, "--dry-run")

    assert "Created:   5" in output
    assert "Dry run: nothing was written." in output
    assert not Exercise.objects.exists()
    assert not Muscle.objects.exists()
    assert not Equipment.objects.exists()


def test_full_free_exercise_db_imports_every_usable_record_quickly():
    started = time.monotonic()
    output = run_import()  # no path: the copy shipped in data/free-exercise-db/
    seconds = time.monotonic() - started

    assert f"Read 873 valid records from {FULL}." in output

    total = len(json.loads(FULL.read_text()))
    assert total == 873
    # Five source records have no instructions; they are skipped, not half-imported.
    assert Exercise.objects.filter(source_name=SOURCE_NAME).count() == 868
    assert "Skipped:   5" in output
    assert Exercise.history.count() == 868
    assert seconds < 30, f"full import took {seconds:.1f} s"

    before = row_counts()
    run_import(FULL)
    assert row_counts() == before
