from tests.factories.exercises import (
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
from tests.factories.sessions import (
    CareRelationshipFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from tests.factories.users import (
    AdminFactory,
    ClinicianFactory,
    PatientFactory,
    UserFactory,
)

__all__ = [
    "AdminFactory",
    "CareRelationshipFactory",
    "ClinicianFactory",
    "ConditionFactory",
    "EquipmentFactory",
    "ExerciseFactory",
    "ExerciseInstructionFactory",
    "ExerciseLinkFactory",
    "ExerciseMediaFactory",
    "MuscleFactory",
    "PatientFactory",
    "PlanFactory",
    "PlanItemFactory",
    "RoutineFactory",
    "RoutineItemFactory",
    "SessionExerciseFactory",
    "SessionFactory",
    "SessionSetFactory",
    "UserFactory",
]
