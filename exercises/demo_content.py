"""The demo content, as data: the lower-back glute activation routine, its exercises and
their taxonomies. It restates ../shared/content/glute-activation-lower-back.md in the
project's own words; exercises.demo loads it (``manage.py load_demo``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.models import Direction
from exercises.models import Exercise, ExerciseInstruction, ExerciseLink, RoutineItem

# ---------------------------------------------------------------------------
# Taxonomies
# ---------------------------------------------------------------------------
GLUTEUS_MEDIUS = "gluteus-medius"
GLUTEUS_MAXIMUS = "gluteus-maximus"
LOWER_BACK = "lower-back"
HAMSTRINGS = "hamstrings"
BAND = "resistance-band-loop"
LOWER_BACK_PAIN = "lower-back-pain"

MUSCLES: tuple[dict[str, str], ...] = (
    {"slug": GLUTEUS_MEDIUS, "name": "Gluteus medius", "body_region": "hips"},
    {"slug": GLUTEUS_MAXIMUS, "name": "Gluteus maximus", "body_region": "hips"},
    # The next two are the muscles the routine relieves, not its targets.
    {"slug": LOWER_BACK, "name": "Lower back (erector spinae)", "body_region": "back"},
    {"slug": HAMSTRINGS, "name": "Hamstrings", "body_region": "legs"},
)
EQUIPMENT: tuple[dict[str, str], ...] = (
    {
        "slug": BAND,
        "name": "Resistance band (loop)",
        "description": "An elastic band closed into a loop. The demo routine wears it "
        "around both shins.",
    },
)
CONDITIONS: tuple[dict[str, str], ...] = (
    {
        "slug": LOWER_BACK_PAIN,
        "name": "Lower back pain",
        "description": "Pain in the lower back. It may feel sore, sharp, or like a dull "
        "ache, and it can vary over time; whatever its kind, it deserves attention. "
        "When the glutes are weak or tight and do too little, the lower back muscles "
        "often make up for them.",
    },
)


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------
# The notes' rationale, in the education field (what the app tells the patient why).
WHY_GLUTES = (
    "When your glutes do too little, because they are weak or tight, the muscles of "
    "your lower back make up for them. Gluteus medius, on the outside of your hip, "
    "keeps your pelvis from dropping each time you stand on one leg as you walk; when "
    "it is weak, the lower back muscles on the other side work harder. Let your glutes "
    "do the work: your back muscles should not be doing it."
)
WHY_BAND = "Pressing outward against the band is what gets gluteus medius working."
WHY_FORWARD_BACK = (
    "It builds glute strength so that your lower back does not have to make up for "
    "your glutes."
)
BAND_ON_SHINS = "Put the loop band around both shins."


@dataclass(frozen=True)
class DemoExercise:
    slug: str
    name: str
    summary: str
    setup: tuple[str, ...]
    steps: tuple[str, ...]
    cues: tuple[str, ...]
    primary: tuple[str, ...]
    dosage: dict[str, Any]
    secondary: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    equipment: tuple[str, ...] = (BAND,)
    conditions: tuple[str, ...] = (LOWER_BACK_PAIN,)
    difficulty: str = Exercise.Difficulty.BEGINNER
    laterality: str = Exercise.Laterality.BILATERAL
    education: str = WHY_GLUTES

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "education": self.education,
            "aliases": "\n".join(self.aliases),
            "difficulty": self.difficulty,
            "laterality": self.laterality,
            **DOSAGE_DEFAULTS,
            **self.dosage,
        }

    def instructions(self) -> list[tuple[str, str]]:
        kind = ExerciseInstruction.Kind
        return [
            *((kind.SETUP, text) for text in self.setup),
            *((kind.STEP, text) for text in self.steps),
            *((kind.CUE, text) for text in self.cues),
        ]


# Every dosage field, so that a reset also clears values that are not in the content.
DOSAGE_DEFAULTS: dict[str, Any] = {
    "sets": 1,
    "reps": None,
    "steps": None,
    "seconds": None,
    "per_side": False,
    "direction": Direction.NONE,
    "hold_seconds": None,
    "rest_seconds": None,
    "load": "",
    "band": "",
    "tempo": "",
}
# The notes give no band strength: the library leaves it empty (the clinician chooses
# it in each plan) and keeps ``load`` empty (the band's placement is a setup step).
THREE_BY_TEN = {"sets": 3, "reps": 10}
# One set: 5 steps to the right, then 5 to the left.
THREE_BY_FIVE_SIDEWAYS = {
    "sets": 3,
    "steps": 5,
    "direction": Direction.SIDEWAYS,
    "per_side": True,
}
# One set: 5 steps forward, then 5 back.
THREE_BY_FIVE_FORWARD_BACK = {
    "sets": 3,
    "steps": 5,
    "direction": Direction.FORWARD_BACKWARD,
    "per_side": True,
}

SQUAT = "banded-squat"
LATERAL_WALK = "lateral-band-walk"
LATERAL_WALK_SHORT = "lateral-band-walk-short-steps"
FORWARD_BACK_WALK = "forward-backward-band-walk"

EXERCISES: tuple[DemoExercise, ...] = (
    DemoExercise(
        slug=SQUAT,
        name="Banded squat",
        aliases=("Squat with a loop band",),
        summary="A squat with a loop band around both shins. Pressing the knees "
        "outward against the band brings gluteus medius in alongside gluteus maximus.",
        setup=(
            BAND_ON_SHINS,
            "Place your feet slightly wider apart than your hips, so that the band is "
            "already taut.",
        ),
        steps=(
            "Bend at the knees to lower yourself, with your weight in your heels.",
            "Press down through your heels to rise back to standing.",
            "At the top, squeeze your glutes.",
        ),
        cues=(
            "Keep the band taut from the first repetition to the last.",
            "Keep your knees pressing out: do not let them fall in toward each other.",
        ),
        primary=(GLUTEUS_MAXIMUS, GLUTEUS_MEDIUS),
        dosage=THREE_BY_TEN,
        education=f"{WHY_GLUTES} {WHY_BAND}",
    ),
    DemoExercise(
        slug=LATERAL_WALK,
        name="Lateral band walk",
        aliases=("Side steps", "Banded side steps"),
        summary="Side steps against a loop band, in a half squat. It works gluteus "
        "medius, the outer hip muscle that keeps the pelvis level while you stand "
        "on one leg.",
        setup=(
            f"{BAND_ON_SHINS} Stand with your feet hip width apart.",
            "Sit back onto your heels into a half squat.",
        ),
        steps=(
            "Moving sideways, take five steps to the right.",
            "Then take five steps sideways to the left.",
        ),
        cues=(
            "Stay upright: your trunk should not lean to either side.",
            "Keep your feet parallel.",
            "Let the heel lead as each foot steps out.",
        ),
        primary=(GLUTEUS_MEDIUS,),
        secondary=(GLUTEUS_MAXIMUS,),
        dosage=THREE_BY_FIVE_SIDEWAYS,
    ),
    DemoExercise(
        slug=LATERAL_WALK_SHORT,
        name="Lateral band walk, short steps",
        summary="The lateral band walk with smaller side steps (less range of motion), "
        "for when full-size steps make your trunk lean.",
        setup=(
            f"{BAND_ON_SHINS} Stand with your feet hip width apart.",
            "Sit back onto your heels into a half squat.",
        ),
        steps=(
            "Moving sideways, take five small steps to the right.",
            "Then take five small steps sideways to the left.",
        ),
        cues=(
            "Make each step only as wide as you can without your trunk leaning.",
            "Keep your feet parallel.",
        ),
        primary=(GLUTEUS_MEDIUS,),
        secondary=(GLUTEUS_MAXIMUS,),
        dosage=THREE_BY_FIVE_SIDEWAYS,
    ),
    DemoExercise(
        slug=FORWARD_BACK_WALK,
        name="Forward and backward band walk",
        aliases=("Front steps",),
        summary="Walking forward, then backward, against a loop band. It builds glute "
        "strength so that the lower back does not have to make up for the glutes.",
        setup=(f"{BAND_ON_SHINS} Stand with your feet hip width apart.",),
        steps=(
            "Take five steps forward.",
            "Take five steps backward, reaching far back with each foot.",
        ),
        cues=(
            "Keep each knee lined up over its foot.",
            "Keep your legs parallel.",
            "Reach well back with the foot on every backward step.",
        ),
        primary=(GLUTEUS_MEDIUS,),
        secondary=(GLUTEUS_MAXIMUS,),
        dosage=THREE_BY_FIVE_FORWARD_BACK,
        education=f"{WHY_GLUTES} {WHY_FORWARD_BACK}",
    ),
)


@dataclass(frozen=True)
class DemoLink:
    source: str
    target: str
    kind: str
    note: str


LINKS: tuple[DemoLink, ...] = (
    DemoLink(
        LATERAL_WALK,
        LATERAL_WALK_SHORT,
        ExerciseLink.Kind.REGRESSION,
        "If you cannot keep your trunk from leaning, make the steps smaller.",
    ),
    DemoLink(
        LATERAL_WALK_SHORT,
        LATERAL_WALK,
        ExerciseLink.Kind.PROGRESSION,
        # Not in the notes (they give only the regression): marked as the clinician's.
        "Clinician's note: once your trunk stays upright, go back to full-size steps.",
    ),
)


# ---------------------------------------------------------------------------
# Routines
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoItem:
    exercise: str
    dosage: dict[str, Any]
    note: str = ""
    block: str = RoutineItem.Block.MAIN


@dataclass(frozen=True)
class DemoRoutine:
    slug: str
    title: str
    summary: str
    goal: str
    when_to_use: str
    conditions: tuple[str, ...]
    items: tuple[DemoItem, ...]

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "goal": self.goal,
            "when_to_use": self.when_to_use,
        }


ROUTINES: tuple[DemoRoutine, ...] = (
    DemoRoutine(
        slug="glute-activation-lower-back",
        title="Glute activation for lower back pain",
        summary="Three exercises with a loop band around the shins that switch the "
        "glutes on, so that the lower back muscles stop compensating for them.",
        goal="Get gluteus medius and gluteus maximus to do their share of steadying the "
        "pelvis, instead of leaving that work to the lower back.",
        when_to_use="On its own, or as a warm-up right before walking, running or "
        "hiking.",
        conditions=(LOWER_BACK_PAIN,),
        items=(
            DemoItem(
                SQUAT,
                THREE_BY_TEN,
                "Press the knees out against the band for the whole set.",
            ),
            DemoItem(
                LATERAL_WALK,
                THREE_BY_FIVE_SIDEWAYS,
                "One set: 5 steps to the right, then 5 to the left. If your trunk "
                "leans, take smaller steps.",
            ),
            DemoItem(
                FORWARD_BACK_WALK,
                THREE_BY_FIVE_FORWARD_BACK,
                "One set: 5 steps forward, then 5 back.",
            ),
        ),
    ),
)
