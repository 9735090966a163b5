import factory

from common.models import Status
from exercises.models import (
    Condition,
    Equipment,
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    ExerciseMedia,
    Muscle,
    Routine,
    RoutineItem,
)


class MuscleFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Muscle {n}")
    slug = factory.Sequence(lambda n: f"muscle-{n}")
    body_region = Muscle.BodyRegion.HIPS

    class Meta:
        model = Muscle


class EquipmentFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Equipment {n}")
    slug = factory.Sequence(lambda n: f"equipment-{n}")

    class Meta:
        model = Equipment


class ConditionFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Condition {n}")
    slug = factory.Sequence(lambda n: f"condition-{n}")

    class Meta:
        model = Condition


class ExerciseFactory(factory.django.DjangoModelFactory):
    """A published exercise (pass status=Status.DRAFT for a draft)."""

    slug = factory.Sequence(lambda n: f"exercise-{n}")
    name = factory.Sequence(lambda n: f"Exercise {n}")
    summary = "An exercise."
    status = Status.PUBLISHED
    sets = 3
    reps = 10

    class Meta:
        model = Exercise


class ExerciseInstructionFactory(factory.django.DjangoModelFactory):
    exercise = factory.SubFactory(ExerciseFactory)
    kind = ExerciseInstruction.Kind.STEP
    text = factory.Sequence(lambda n: f"Step {n}.")
    order = factory.Sequence(lambda n: n)

    class Meta:
        model = ExerciseInstruction


class ExerciseMediaFactory(factory.django.DjangoModelFactory):
    exercise = factory.SubFactory(ExerciseFactory)
    url = factory.Sequence(lambda n: f"https://media.example.com/{n}.jpg")
    alt_text = "A person doing the exercise."
    order = factory.Sequence(lambda n: n)

    class Meta:
        model = ExerciseMedia


class ExerciseLinkFactory(factory.django.DjangoModelFactory):
    exercise = factory.SubFactory(ExerciseFactory)
    target = factory.SubFactory(ExerciseFactory)
    kind = ExerciseLink.Kind.REGRESSION

    class Meta:
        model = ExerciseLink


class RoutineFactory(factory.django.DjangoModelFactory):
    """A published routine (pass status=Status.DRAFT for a draft)."""

    slug = factory.Sequence(lambda n: f"routine-{n}")
    title = factory.Sequence(lambda n: f"Routine {n}")
    status = Status.PUBLISHED

    class Meta:
        model = Routine


class RoutineItemFactory(factory.django.DjangoModelFactory):
    routine = factory.SubFactory(RoutineFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    sets = 3
    reps = 10
    order = factory.Sequence(lambda n: n)

    class Meta:
        model = RoutineItem
