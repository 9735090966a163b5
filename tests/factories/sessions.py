import datetime as dt
import uuid

import factory
from django.utils import timezone

from sessions.models import Plan, PlanItem, Session, SessionExercise, SessionSet
from tests.factories.exercises import ExerciseFactory, RoutineFactory
from tests.factories.users import ClinicianFactory, PatientFactory
from users.models import CareRelationship


class CareRelationshipFactory(factory.django.DjangoModelFactory):
    clinician = factory.SubFactory(ClinicianFactory)
    patient = factory.SubFactory(PatientFactory)

    class Meta:
        model = CareRelationship


class PlanFactory(factory.django.DjangoModelFactory):
    patient = factory.SubFactory(PatientFactory)
    prescribed_by = factory.SubFactory(ClinicianFactory)
    routine = factory.SubFactory(RoutineFactory)
    title = factory.LazyAttribute(lambda o: o.routine.title if o.routine else "Plan")
    start_date = dt.date(2026, 1, 5)
    days_of_week = [1, 3, 5]

    class Meta:
        model = Plan


class PlanItemFactory(factory.django.DjangoModelFactory):
    plan = factory.SubFactory(PlanFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    sets = 3
    reps = 10
    order = factory.Sequence(lambda n: n)

    class Meta:
        model = PlanItem


class SessionFactory(factory.django.DjangoModelFactory):
    """A stored session; revision comes from a sequence (use the services for real uploads)."""

    id = factory.LazyFunction(uuid.uuid4)
    patient = factory.SubFactory(PatientFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))
    ended_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(minutes=20))
    pain_before = 4
    pain_after = 2
    effort = 5
    upload_hash = factory.Sequence(lambda n: f"{n:064x}")
    revision = factory.Sequence(lambda n: n + 1)

    class Meta:
        model = Session


class SessionExerciseFactory(factory.django.DjangoModelFactory):
    session = factory.SubFactory(SessionFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    order = factory.Sequence(lambda n: n)

    class Meta:
        model = SessionExercise


class SessionSetFactory(factory.django.DjangoModelFactory):
    session_exercise = factory.SubFactory(SessionExerciseFactory)
    reps = 10
    order = factory.Sequence(lambda n: n)

    class Meta:
        model = SessionSet
