"""What the caller may read through FHIR, with the same rules as the REST API.

A patient reads themself, their plans, sessions and answers, and the clinicians who care
for them or prescribed their plans (not their alerts: those are the care team's, as in
the REST API); a clinician reads the patients in their care (and
themself); an administrator reads every patient. Anything else does not exist.
"""

from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest

from outcomes.models import Alert, QuestionnaireResponse
from outcomes.selectors.alerts import alert_visible
from outcomes.selectors.proms import response_visible
from sessions.models import Plan, PlanItem, Session, SessionExercise
from sessions.selectors.plans import plan_visible
from users.models import User
from users.selectors import patient_list


def fhir_patients(*, user: User) -> QuerySet[User]:
    """The patients ``user`` may read: themself (a patient), theirs, or all (admins)."""
    if user.is_superuser or user.is_clinician:
        return patient_list(user=user)
    return User.objects.filter(pk=user.pk, is_active=True, role=User.Role.PATIENT)


def fhir_practitioners(*, user: User) -> QuerySet[User]:
    """Clinicians ``user`` may read: themself, their patients' carers and prescribers."""
    clinicians = User.objects.filter(role=User.Role.CLINICIAN, is_active=True)
    if user.is_superuser:
        return clinicians
    patients = fhir_patients(user=user)
    return clinicians.filter(
        Q(pk=user.pk)
        | Q(care_patients__patient__in=patients)
        | Q(prescribed_plans__patient__in=patients)
    ).distinct()


def fhir_plans(*, user: User) -> QuerySet[Plan]:
    """Plans with their items (exercise joined): 2 queries for any page."""
    items = PlanItem.objects.select_related("exercise").order_by("order", "id")
    return plan_visible(user=user).prefetch_related(Prefetch("items", queryset=items))


def fhir_plan_items(*, user: User) -> QuerySet[PlanItem]:
    """Prescribed exercises with their plan and exercise joined: 1 query for any page."""
    return PlanItem.objects.filter(plan__in=plan_visible(user=user)).select_related(
        "plan", "exercise"
    )


def fhir_sessions(*, user: User, deleted: bool = False) -> QuerySet[Session]:
    """Live sessions (tombstones with ``deleted``) of the patients ``user`` may read."""
    return Session.objects.filter(
        patient__in=fhir_patients(user=user), deleted_at__isnull=not deleted
    )


def with_exercises_done(queryset: QuerySet[Session]) -> QuerySet[Session]:
    """Annotate ``exercises_done`` (exercises logged as done) in the same query."""
    return queryset.annotate(
        exercises_done=Count(
            "exercises", filter=Q(exercises__status=SessionExercise.Status.DONE)
        )
    )


def fhir_questionnaire_responses(*, user: User) -> QuerySet[QuestionnaireResponse]:
    """Answers ``user`` may read (outcomes' rule), questionnaire and assignment joined."""
    return response_visible(user=user).select_related("questionnaire", "assignment")


def fhir_alerts(*, user: User) -> QuerySet[Alert]:
    """Alerts ``user`` may read (outcomes' rule: the care team's), with ``last_updated``.

    An alert has no update time of its own: it changes when raised, acknowledged or
    resolved, so ``last_updated`` is the latest of the three (for ``_lastUpdated``).
    """
    created = F("created_at")
    return alert_visible(user=user).annotate(
        last_updated=Greatest(
            created,
            Coalesce("acknowledged_at", created),
            Coalesce("resolved_at", created),
        )
    )
