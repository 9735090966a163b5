"""The review workflow (exercises.services): every transition and every refusal."""

import pytest

from common.models import Status
from exercises import services
from exercises.services import (
    NO_PUBLISH_PERMISSION,
    OWN_SUBMISSION,
    ROUTINE_HAS_UNPUBLISHED,
    WorkflowError,
    can_review,
    content_archive,
    content_publish,
    content_reject,
    content_restore,
    content_submit,
)
from tests.factories import (
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    RoutineFactory,
    RoutineItemFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CONTENT_FACTORIES = [
    pytest.param(ExerciseFactory, id="exercise"),
    pytest.param(RoutineFactory, id="routine"),
]


def _in_review(factory, submitter):
    content = factory(status=Status.DRAFT)
    return content_submit(content=content, user=submitter)


def _latest_history(content):
    return content.history.order_by("-history_date", "-history_id").first()


# ---------------------------------------------------------------------------
# submit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("factory", CONTENT_FACTORIES)
def test_submit_sends_draft_to_review_and_records_submitter(factory, clinician):
    content = factory(status=Status.DRAFT)

    content_submit(content=content, user=clinician)

    content.refresh_from_db()
    assert content.status == Status.IN_REVIEW
    assert content.submitted_by == clinician
    assert content.submitted_at is not None
    assert content.reviewed_by is None
    assert _latest_history(content).history_change_reason == "Submitted for review"


def test_submit_clears_the_previous_review(clinician, other_clinician):
    exercise = _in_review(ExerciseFactory, clinician)
    content_reject(content=exercise, user=other_clinician)

    content_submit(content=exercise, user=clinician)

    exercise.refresh_from_db()
    assert exercise.status == Status.IN_REVIEW
    assert exercise.reviewed_by is None
    assert exercise.reviewed_at is None


@pytest.mark.parametrize(
    "status", [Status.IN_REVIEW, Status.PUBLISHED, Status.ARCHIVED]
)
def test_submit_refuses_content_that_is_not_a_draft(status, clinician):
    exercise = ExerciseFactory(status=status)

    with pytest.raises(WorkflowError, match="Only draft content can be submitted"):
        content_submit(content=exercise, user=clinician)

    exercise.refresh_from_db()
    assert exercise.status == status
    assert exercise.submitted_by is None


# ---------------------------------------------------------------------------
# publish
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED])
def test_publish_refuses_a_routine_naming_an_unpublished_exercise(
    status, clinician, other_clinician
):
    routine = _in_review(RoutineFactory, clinician)
    RoutineItemFactory(
        routine=routine, exercise=ExerciseFactory(status=Status.PUBLISHED)
    )
    unpublished = ExerciseFactory(status=status, name="Private bridge")
    RoutineItemFactory(routine=routine, exercise=unpublished)

    with pytest.raises(WorkflowError) as excinfo:
        content_publish(content=routine, user=other_clinician)

    assert str(excinfo.value) == ROUTINE_HAS_UNPUBLISHED.format(names="Private bridge")
    routine.refresh_from_db()
    assert routine.status == Status.IN_REVIEW
    # Once the exercise is published, the routine can be.
    unpublished.status = Status.PUBLISHED
    unpublished.save()
    content_publish(content=routine, user=other_clinician)
    assert routine.status == Status.PUBLISHED


@pytest.mark.parametrize("factory", CONTENT_FACTORIES)
def test_publish_by_another_clinician_records_reviewer_and_date(
    factory, clinician, other_clinician
):
    content = _in_review(factory, clinician)

    content_publish(content=content, user=other_clinician)

    content.refresh_from_db()
    assert content.status == Status.PUBLISHED
    assert content.reviewed_by == other_clinician
    assert content.reviewed_at is not None
    assert content.published_at == content.reviewed_at
    assert content.submitted_by == clinician
    assert _latest_history(content).history_change_reason == "Published"


@pytest.mark.parametrize("factory", CONTENT_FACTORIES)
def test_publish_refuses_the_submitters_own_submission(factory, clinician):
    content = _in_review(factory, clinician)

    with pytest.raises(WorkflowError) as excinfo:
        content_publish(content=content, user=clinician)

    assert str(excinfo.value) == OWN_SUBMISSION
    content.refresh_from_db()
    assert content.status == Status.IN_REVIEW
    assert content.reviewed_by is None
    assert content.published_at is None


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(PatientFactory, id="patient"),
        pytest.param(lambda: UserFactory(is_staff=True), id="staff-outside-group"),
    ],
)
def test_publish_refuses_a_user_without_the_publish_permission(make_user, clinician):
    exercise = _in_review(ExerciseFactory, clinician)

    with pytest.raises(WorkflowError) as excinfo:
        content_publish(content=exercise, user=make_user())

    assert str(excinfo.value) == NO_PUBLISH_PERMISSION
    exercise.refresh_from_db()
    assert exercise.status == Status.IN_REVIEW


def test_superuser_may_publish_their_own_submission(admin_user):
    exercise = _in_review(ExerciseFactory, admin_user)

    content_publish(content=exercise, user=admin_user)

    exercise.refresh_from_db()
    assert exercise.status == Status.PUBLISHED
    assert exercise.submitted_by == admin_user
    assert exercise.reviewed_by == admin_user


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PUBLISHED, Status.ARCHIVED])
def test_publish_refuses_content_that_is_not_in_review(status, other_clinician):
    exercise = ExerciseFactory(status=status)

    with pytest.raises(WorkflowError, match="Only in review content can be published"):
        content_publish(content=exercise, user=other_clinician)

    exercise.refresh_from_db()
    assert exercise.status == status


# ---------------------------------------------------------------------------
# reject
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("factory", CONTENT_FACTORIES)
def test_reject_sends_content_back_to_draft_and_records_reviewer(
    factory, clinician, other_clinician
):
    content = _in_review(factory, clinician)

    content_reject(content=content, user=other_clinician)

    content.refresh_from_db()
    assert content.status == Status.DRAFT
    assert content.reviewed_by == other_clinician
    assert content.reviewed_at is not None
    assert content.published_at is None
    assert _latest_history(content).history_change_reason == "Changes requested"


def test_reject_refuses_the_submitters_own_submission(clinician):
    exercise = _in_review(ExerciseFactory, clinician)

    with pytest.raises(WorkflowError) as excinfo:
        content_reject(content=exercise, user=clinician)

    assert str(excinfo.value) == OWN_SUBMISSION
    exercise.refresh_from_db()
    assert exercise.status == Status.IN_REVIEW


def test_reject_refuses_a_user_without_the_publish_permission(clinician, patient):
    exercise = _in_review(ExerciseFactory, clinician)

    with pytest.raises(WorkflowError) as excinfo:
        content_reject(content=exercise, user=patient)

    assert str(excinfo.value) == NO_PUBLISH_PERMISSION
    exercise.refresh_from_db()
    assert exercise.status == Status.IN_REVIEW


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PUBLISHED, Status.ARCHIVED])
def test_reject_refuses_content_that_is_not_in_review(status, other_clinician):
    exercise = ExerciseFactory(status=status)

    with pytest.raises(WorkflowError, match="Only in review content can be sent back"):
        content_reject(content=exercise, user=other_clinician)

    exercise.refresh_from_db()
    assert exercise.status == status


# ---------------------------------------------------------------------------
# archive
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("factory", CONTENT_FACTORIES)
def test_archive_withdraws_published_content(factory, clinician):
    content = factory(status=Status.PUBLISHED)

    content_archive(content=content, user=clinician)

    content.refresh_from_db()
    assert content.status == Status.ARCHIVED
    assert _latest_history(content).history_change_reason == "Archived"


def test_archive_refuses_a_user_without_the_publish_permission(patient):
    exercise = ExerciseFactory(status=Status.PUBLISHED)

    with pytest.raises(WorkflowError) as excinfo:
        content_archive(content=exercise, user=patient)

    assert str(excinfo.value) == NO_PUBLISH_PERMISSION
    exercise.refresh_from_db()
    assert exercise.status == Status.PUBLISHED


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED])
def test_archive_refuses_content_that_is_not_published(status, clinician):
    exercise = ExerciseFactory(status=status)

    with pytest.raises(WorkflowError, match="Only published content can be archived"):
        content_archive(content=exercise, user=clinician)

    exercise.refresh_from_db()
    assert exercise.status == status


# ---------------------------------------------------------------------------
# restore
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("factory", CONTENT_FACTORIES)
def test_restore_brings_archived_content_back_as_a_draft(
    factory, clinician, other_clinician
):
    content = _in_review(factory, clinician)
    content_publish(content=content, user=other_clinician)
    content_archive(content=content, user=other_clinician)

    content_restore(content=content, user=clinician)

    content.refresh_from_db()
    assert content.status == Status.DRAFT
    assert content.published_at is None
    assert _latest_history(content).history_change_reason == "Restored to draft"


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED])
def test_restore_refuses_content_that_is_not_archived(status, clinician):
    exercise = ExerciseFactory(status=status)

    with pytest.raises(WorkflowError, match="Only archived content can be restored"):
        content_restore(content=exercise, user=clinician)

    exercise.refresh_from_db()
    assert exercise.status == status


# ---------------------------------------------------------------------------
# can_review and history
# ---------------------------------------------------------------------------
def test_can_review_allows_another_clinician_and_superusers_only(
    clinician, other_clinician, admin_user, patient
):
    exercise = _in_review(ExerciseFactory, clinician)
    own_admin_submission = _in_review(ExerciseFactory, admin_user)

    assert can_review(content=exercise, user=other_clinician) is True
    assert can_review(content=exercise, user=admin_user) is True
    assert can_review(content=own_admin_submission, user=admin_user) is True
    assert can_review(content=exercise, user=clinician) is False
    assert can_review(content=exercise, user=patient) is False


def test_each_transition_adds_one_history_record_with_its_reason(
    clinician, other_clinician
):
    exercise = ExerciseFactory(status=Status.DRAFT)
    steps = [
        (services.content_submit, clinician),
        (services.content_reject, other_clinician),
        (services.content_submit, clinician),
        (services.content_publish, other_clinician),
        (services.content_archive, other_clinician),
        (services.content_restore, clinician),
    ]

    for service, user in steps:
        service(content=exercise, user=user)

    reasons = list(
        exercise.history.order_by("history_date", "history_id").values_list(
            "history_change_reason", "status"
        )
    )
    assert reasons == [
        (None, Status.DRAFT),  # created by the factory
        ("Submitted for review", Status.IN_REVIEW),
        ("Changes requested", Status.DRAFT),
        ("Submitted for review", Status.IN_REVIEW),
        ("Published", Status.PUBLISHED),
        ("Archived", Status.ARCHIVED),
        ("Restored to draft", Status.DRAFT),
    ]


def test_a_clinician_in_the_group_has_the_publish_permissions():
    clinician = ClinicianFactory()

    assert clinician.has_perm("exercises.publish_exercise")
    assert clinician.has_perm("exercises.publish_routine")
