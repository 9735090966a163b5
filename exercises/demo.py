"""Demo content: the lower-back glute activation routine, and the development logins.

``manage.py load_demo`` (run by ``make run`` on every start) calls ``demo_load``. The
content restates ../shared/content/glute-activation-lower-back.md in the project's own
words. Loading is idempotent:

- by default only what is missing is created (matched by slug or email). Rows that exist
  are left exactly as they are, so a developer's edits in the admin survive a restart and
  a second load writes nothing at all (no rows, no history, no ``updated_at``);
- ``reset=True`` also brings existing demo rows back to the reference content, saving
  only the fields, links and child rows that differ.

New content goes through the workflow like a clinician's: authored and submitted by the
demo clinician, reviewed and published by the demo reviewer. Without those accounts
(DEBUG off) it is published directly, with no people recorded.

To extend (a demo patient, plans, session logs in later issues): add the data below and
a ``_load_<thing>`` method to ``_DemoLoader``, then list it in ``_DemoLoader.steps``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from common.models import Reviewable, Status
from exercises import services
from exercises.cache import catalog_changed
from exercises.models import (
    Condition,
    Equipment,
    Exercise,
    ExerciseInstruction,
    ExerciseLink,
    Muscle,
    Routine,
    RoutineItem,
)
from users.models import CLINICIANS_GROUP

if TYPE_CHECKING:
    from users.models import User

CREATED_REASON = "Demo content loaded"
RESTORED_REASON = "Demo content restored"
PUBLISHED_REASON = "Published (demo content)"
NOT_DEBUG = "Development logins are not created: DEBUG is off."
LOGINS_DISABLED = "Development logins were not requested (--no-logins)."


# ---------------------------------------------------------------------------
# Development logins (DEBUG only; these passwords are public)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoUser:
    key: str
    email: str
    password: str
    name: str
    role: str
    superuser: bool = False
    clinician: bool = False


ADMIN = DemoUser(
    "admin", "admin@rehabit.dev", "rehabit-admin", "Demo Admin", "admin", True
)
CLINICIAN = DemoUser(
    "clinician",
    "clinician@rehabit.dev",
    "rehabit-clinician",
    "Demo Clinician",
    "clinician",
    clinician=True,
)
REVIEWER = DemoUser(
    "reviewer",
    "reviewer@rehabit.dev",
    "rehabit-reviewer",
    "Demo Reviewer",
    "clinician",
    clinician=True,
)
DEMO_USERS = (ADMIN, CLINICIAN, REVIEWER)


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
LOAD = "loop resistance band around both shins"
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

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
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
    "hold_seconds": None,
    "rest_seconds": None,
    "load": "",
    "tempo": "",
}
THREE_BY_TEN = {"sets": 3, "reps": 10, "load": LOAD}
# per_side: 5 steps in each direction (right then left, or forward then back).
THREE_BY_FIVE_EACH_WAY = {"sets": 3, "steps": 5, "per_side": True, "load": LOAD}

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
            "Keep your feet parallel, toes pointing forward.",
            "Let the heel lead as each foot steps out.",
        ),
        primary=(GLUTEUS_MEDIUS,),
        secondary=(GLUTEUS_MAXIMUS,),
        dosage=THREE_BY_FIVE_EACH_WAY,
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
            "Keep your feet parallel, toes pointing forward.",
        ),
        primary=(GLUTEUS_MEDIUS,),
        secondary=(GLUTEUS_MAXIMUS,),
        dosage=THREE_BY_FIVE_EACH_WAY,
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
        dosage=THREE_BY_FIVE_EACH_WAY,
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
        "Once your trunk stays upright, go back to full-size steps.",
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
                THREE_BY_FIVE_EACH_WAY,
                "One set: 5 steps to the right, then 5 to the left. If your trunk "
                "leans, take smaller steps.",
            ),
            DemoItem(
                FORWARD_BACK_WALK,
                THREE_BY_FIVE_EACH_WAY,
                "One set: 5 steps forward, then 5 back.",
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Loader
# ---------------------------------------------------------------------------
@dataclass
class DemoReport:
    """What a load did: rows created and restored per kind, and the logins available."""

    created: Counter[str] = field(default_factory=Counter)
    restored: Counter[str] = field(default_factory=Counter)
    logins: list[DemoUser] = field(default_factory=list)
    logins_note: str = ""

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.restored)


def demo_load(*, logins: bool = True, reset: bool = False) -> DemoReport:
    """Create the missing demo content (and, when DEBUG, logins); reset restores changes."""
    with transaction.atomic():
        loader = _DemoLoader(logins=logins, reset=reset)
        for step in loader.steps:
            step()
        # Bulk writes send no signals: the catalog cache is told here.
        catalog_changed()
    return loader.report


class _DemoLoader:
    """One load: each step creates (or, on reset, restores) one kind of demo row."""

    def __init__(self, *, logins: bool, reset: bool) -> None:
        self.logins = logins
        self.reset = reset
        self.report = DemoReport()
        self.users: dict[str, User] = {}
        self.muscles: dict[str, Muscle] = {}
        self.equipment: dict[str, Equipment] = {}
        self.conditions: dict[str, Condition] = {}
        self.exercises: dict[str, Exercise] = {}
        # Slugs of the content created by this load.
        self.created_slugs: set[str] = set()
        self.steps: Sequence[Callable[[], None]] = (
            self._load_users,
            self._load_taxonomies,
            self._load_exercises,
            self._load_links,
            self._load_routines,
        )

    # -- people ---------------------------------------------------------------
    def _load_users(self) -> None:
        user_model = get_user_model()
        emails = [demo.email for demo in DEMO_USERS]
        existing = {
            user.email: user for user in user_model.objects.filter(email__in=emails)
        }
        create = self.logins and settings.DEBUG
        if not self.logins:
            self.report.logins_note = LOGINS_DISABLED
        elif not settings.DEBUG:
            self.report.logins_note = NOT_DEBUG
        for demo in DEMO_USERS:
            user = existing.get(demo.email)
            if user is None and create:
                user = self._create_user(demo)
            elif user is not None and create and self.reset:
                self._restore_user(user, demo)
            if user is not None:
                self.users[demo.key] = user
                if create:
                    self.report.logins.append(demo)

    def _create_user(self, demo: DemoUser) -> User:
        manager = get_user_model().objects
        extra = {"name": demo.name, "role": demo.role}
        if demo.superuser:
            user = manager.create_superuser(demo.email, demo.password, **extra)
        else:
            user = manager.create_user(
                demo.email, demo.password, is_staff=demo.clinician, **extra
            )
        if demo.clinician:
            group = Group.objects.filter(name=CLINICIANS_GROUP).first()
            if group is not None:
                user.groups.add(group)
        self.report.created["users"] += 1
        return user

    def _restore_user(self, user: User, demo: DemoUser) -> None:
        wanted = {
            "name": demo.name,
            "role": demo.role,
            "is_active": True,
            "is_staff": demo.superuser or demo.clinician,
            "is_superuser": demo.superuser,
        }
        changed = _assign(user, wanted)
        if not user.check_password(demo.password):
            user.set_password(demo.password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
        group = Group.objects.filter(name=CLINICIANS_GROUP).first()
        in_group = group is not None and user.groups.filter(pk=group.pk).exists()
        if demo.clinician and group is not None and not in_group:
            user.groups.add(group)
            changed.append("groups")
        if changed:
            self.report.restored["users"] += 1

    @property
    def author(self) -> User | None:
        return self.users.get(CLINICIAN.key)

    @property
    def reviewer(self) -> User | None:
        return self.users.get(REVIEWER.key)

    # -- taxonomies -------------------------------------------------------------
    def _load_taxonomies(self) -> None:
        for model, rows, cache in (
            (Muscle, MUSCLES, self.muscles),
            (Equipment, EQUIPMENT, self.equipment),
            (Condition, CONDITIONS, self.conditions),
        ):
            cache.update(self._sync_taxonomy(model, rows))

    def _sync_taxonomy(
        self, model: type[models.Model], rows: Sequence[dict[str, str]]
    ) -> dict[str, Any]:
        label = str(model._meta.verbose_name_plural)
        # Match by slug, or by name: the importer may have created "Hamstrings" already.
        lookup = Q(slug__in=[row["slug"] for row in rows]) | Q(
            name__in=[row["name"] for row in rows]
        )
        existing = list(model._default_manager.filter(lookup))
        found: dict[str, Any] = {}
        for row in rows:
            obj = next((o for o in existing if o.slug == row["slug"]), None) or next(
                (o for o in existing if o.name.lower() == row["name"].lower()), None
            )
            if obj is None:
                obj = model(**row)
                obj.full_clean()
                obj.save()
                self.report.created[label] += 1
            elif self.reset and (changed := _assign(obj, row)):
                obj.full_clean()
                obj.save(update_fields=changed)
                self.report.restored[label] += 1
            found[row["slug"]] = obj
        return found

    # -- exercises --------------------------------------------------------------
    def _load_exercises(self) -> None:
        existing = Exercise.objects.in_bulk(
            [demo.slug for demo in EXERCISES], field_name="slug"
        )
        for demo in EXERCISES:
            exercise = existing.get(demo.slug)
            if exercise is None:
                exercise = Exercise(slug=demo.slug, **demo.fields())
                self._create_content(
                    exercise,
                    links=self._exercise_links(demo),
                    children=_instructions(exercise, demo),
                )
            elif self.reset:
                self._restore_content(
                    exercise,
                    fields=demo.fields(),
                    links=self._exercise_links(demo),
                    children=_instructions(exercise, demo),
                    current=list(exercise.instructions.all()),
                    key=_instruction_key,
                )
            self.exercises[demo.slug] = exercise

    def _exercise_links(self, demo: DemoExercise) -> dict[str, list[models.Model]]:
        return {
            "primary_muscles": [self.muscles[slug] for slug in demo.primary],
            "secondary_muscles": [self.muscles[slug] for slug in demo.secondary],
            "equipment": [self.equipment[slug] for slug in demo.equipment],
            "conditions": [self.conditions[slug] for slug in demo.conditions],
        }

    def _load_links(self) -> None:
        """Regression/progression links of the exercises created now (all on reset)."""
        by_source: dict[str, list[DemoLink]] = {}
        for link in LINKS:
            by_source.setdefault(link.source, []).append(link)
        for source_slug, links in by_source.items():
            created = source_slug in self.created_slugs
            if not (created or self.reset):
                continue
            source = self.exercises[source_slug]
            wanted = [
                ExerciseLink(
                    exercise=source,
                    target=self.exercises[link.target],
                    kind=link.kind,
                    note=link.note,
                    order=order,
                )
                for order, link in enumerate(links)
            ]
            current = [] if created else list(source.links.all())
            if [_link_key(o) for o in current] == [_link_key(o) for o in wanted]:
                continue
            reason = CREATED_REASON if created else RESTORED_REASON
            _delete_with_history(current, reason=reason, user=self.author)
            for link in wanted:
                link.full_clean(exclude=["exercise", "target"], validate_unique=False)
            _create_with_history(wanted, reason=reason, user=self.author)
            counter = self.report.created if created else self.report.restored
            counter["exercise links"] += len(wanted)

    # -- routines ---------------------------------------------------------------
    def _load_routines(self) -> None:
        existing = Routine.objects.in_bulk(
            [demo.slug for demo in ROUTINES], field_name="slug"
        )
        for demo in ROUTINES:
            routine = existing.get(demo.slug)
            links = {"conditions": [self.conditions[s] for s in demo.conditions]}
            if routine is None:
                routine = Routine(slug=demo.slug, **demo.fields())
                self._create_content(
                    routine, links=links, children=self._items(routine, demo)
                )
            elif self.reset:
                self._restore_content(
                    routine,
                    fields=demo.fields(),
                    links=links,
                    children=self._items(routine, demo),
                    current=list(routine.items.all()),
                    key=_item_key,
                )

    def _items(self, routine: Routine, demo: DemoRoutine) -> list[models.Model]:
        return [
            RoutineItem(
                routine=routine,
                exercise=self.exercises[item.exercise],
                block=item.block,
                note=item.note,
                order=order,
                **{**DOSAGE_DEFAULTS, **item.dosage},
            )
            for order, item in enumerate(demo.items)
        ]

    # -- shared: reviewable content ---------------------------------------------
    def _create_content(
        self,
        content: Reviewable,
        *,
        links: dict[str, list[models.Model]],
        children: list[models.Model],
    ) -> None:
        """Create a draft with its m2m links and child rows, then publish it."""
        content.author = self.author
        content._change_reason = CREATED_REASON  # type: ignore[attr-defined]
        content._history_user = self.author  # type: ignore[attr-defined]
        content.full_clean()
        content.save()
        with _no_history(content):
            for name, objects in links.items():
                getattr(content, name).set(objects)
        _validate_children(children)
        _create_with_history(children, reason=CREATED_REASON, user=self.author)
        # The workflow saves record the complete snapshot, m2m links included.
        self._publish(content)
        self.created_slugs.add(content.slug)
        self.report.created[str(content._meta.verbose_name_plural)] += 1

    def _restore_content(
        self,
        content: Reviewable,
        *,
        fields: dict[str, Any],
        links: dict[str, list[models.Model]],
        children: list[models.Model],
        current: list[models.Model],
        key: Callable[[Any], tuple[Any, ...]],
    ) -> None:
        """Bring existing content back to the reference, saving only what differs."""
        changed = _assign(content, fields)
        link_changes = {
            name: objects
            for name, objects in links.items()
            if set(getattr(content, name).values_list("pk", flat=True))
            != {obj.pk for obj in objects}
        }
        children_changed = [key(c) for c in current] != [key(c) for c in children]
        restored = bool(changed or link_changes or children_changed)
        if restored:
            content.full_clean()
            with _no_history(content):
                for name, objects in link_changes.items():
                    getattr(content, name).set(objects)
            if children_changed:
                _validate_children(children)
                _delete_with_history(current, reason=RESTORED_REASON, user=self.author)
                _create_with_history(children, reason=RESTORED_REASON, user=self.author)
            # One history record with the final fields and links.
            content._change_reason = RESTORED_REASON  # type: ignore[attr-defined]
            content._history_user = self.author  # type: ignore[attr-defined]
            content.save(update_fields=[*changed, "updated_at"])
        if content.status != Status.PUBLISHED:
            self._publish(content)
            restored = True
        if restored:
            self.report.restored[str(content._meta.verbose_name_plural)] += 1

    def _publish(self, content: Reviewable) -> None:
        """Walk content to published: via the workflow services when both people exist."""
        author, reviewer = self.author, self.reviewer
        if author is not None and reviewer is not None:
            if content.status == Status.ARCHIVED:
                services.content_restore(content=content, user=author)
            if content.status == Status.DRAFT:
                content._history_user = author  # type: ignore[attr-defined]
                services.content_submit(content=content, user=author)
            if services.can_review(content=content, user=reviewer):
                content._history_user = reviewer  # type: ignore[attr-defined]
                services.content_publish(content=content, user=reviewer)
                return
        # No demo people (DEBUG off), or a reviewer who lost the permission.
        now = timezone.now()
        content.status = Status.PUBLISHED
        content.submitted_by = content.submitted_by or author
        content.submitted_at = content.submitted_at or now
        content.reviewed_by = reviewer
        content.reviewed_at = now
        content.published_at = now
        content._change_reason = PUBLISHED_REASON  # type: ignore[attr-defined]
        content._history_user = reviewer  # type: ignore[attr-defined]
        content.save()


def _instructions(exercise: Exercise, demo: DemoExercise) -> list[models.Model]:
    return [
        ExerciseInstruction(exercise=exercise, kind=kind, text=text, order=order)
        for order, (kind, text) in enumerate(demo.instructions())
    ]


def _instruction_key(instruction: ExerciseInstruction) -> tuple[Any, ...]:
    return (instruction.kind, instruction.text, instruction.order)


def _link_key(link: ExerciseLink) -> tuple[Any, ...]:
    return (link.target_id, link.kind, link.note, link.order)


def _item_key(item: RoutineItem) -> tuple[Any, ...]:
    return (
        item.exercise_id,
        item.order,
        item.block,
        item.note,
        *(getattr(item, name) for name in DOSAGE_DEFAULTS),
    )


def _assign(obj: models.Model, values: dict[str, Any]) -> list[str]:
    """Set the values that differ; return the names of the changed fields."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _validate_children(children: Sequence[models.Model]) -> None:
    # The parent is validated on its own; excluding the FKs avoids a query per child.
    for child in children:
        child.full_clean(exclude=["exercise", "routine"], validate_unique=False)


@contextmanager
def _no_history(obj: models.Model) -> Iterator[None]:
    """Changes to ``obj``'s m2m links inside record no history of their own."""
    obj.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del obj.skip_history_when_saving  # type: ignore[attr-defined]


def _create_with_history(
    objects: list[models.Model], *, reason: str, user: User | None
) -> None:
    if objects:
        bulk_create_with_history(
            objects,
            type(objects[0]),
            default_user=user,
            default_change_reason=reason,
        )


def _delete_with_history(
    objects: Iterable[models.Model], *, reason: str, user: User | None
) -> None:
    for obj in objects:
        obj._change_reason = reason  # type: ignore[attr-defined]
        obj._history_user = user  # type: ignore[attr-defined]
        obj.delete()
