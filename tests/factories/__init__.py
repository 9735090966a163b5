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
from tests.factories.users import (
    AdminFactory,
    ClinicianFactory,
    PatientFactory,
    UserFactory,
)

__all__ = [
    "AdminFactory",
    "ClinicianFactory",
    "ConditionFactory",
    "EquipmentFactory",
    "ExerciseFactory",
    "ExerciseInstructionFactory",
    "ExerciseLinkFactory",
    "ExerciseMediaFactory",
    "MuscleFactory",
    "PatientFactory",
    "RoutineFactory",
    "RoutineItemFactory",
    "UserFactory",
]
