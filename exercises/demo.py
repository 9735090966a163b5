"""Demo content loader: the lower-back glute activation routine (exercises.demo_content),
with the development logins (users.demo).

``manage.py load_demo`` (run by ``make run`` on every start) calls ``demo_load``, then
the demo patient's loader (sessions.demo). Loading is idempotent:

- by default only what is missing is created (matched by slug or email). Rows that exist
  are left exactly as they are, so a developer's edits in the admin survive a restart and
  a second load writes nothing at all (no rows, no history, no ``updated_at``);
- ``reset=True`` also brings existing demo rows back to the reference content, saving
  only the fields, links and child rows that differ.

New content goes through the workflow like a clinician's: authored and submitted by the
demo clinician, reviewed and published by the demo reviewer. Without those accounts
(DEBUG off) it is published directly, with no people recorded.

To extend: add the data to exercises.demo_content and a ``_load_<thing>`` method to
``_DemoLoader``, then list it in ``_DemoLoader.steps``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from common.demo import DemoReport, assign
from common.models import Reviewable, Status
from exercises import services
from exercises.cache import catalog_changed
from exercises.demo_content import (
    CONDITIONS,
    DOSAGE_DEFAULTS,
    EQUIPMENT,
    EXERCISES,
    LINKS,
    MUSCLES,
    ROUTINES,
    DemoExercise,
    DemoLink,
    DemoRoutine,
)
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
from users.demo import CLINICIAN, REVIEWER, demo_logins_load

if TYPE_CHECKING:
    from users.models import User

__all__ = ["ROUTINES", "DemoReport", "demo_load"]

CREATED_REASON = "Demo content loaded"
RESTORED_REASON = "Demo content restored"
PUBLISHED_REASON = "Published (demo content)"


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
        self.users = demo_logins_load(
            report=self.report, logins=self.logins, reset=self.reset
        )

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
        existing: list[Any] = list(model._default_manager.filter(lookup))  # Muscle, ...
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
            elif self.reset and (changed := assign(obj, row)):
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
            for row in wanted:
                row.full_clean(exclude=["exercise", "target"], validate_unique=False)
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
        content: Exercise | Routine,
        *,
        links: Mapping[str, Sequence[models.Model]],
        children: list[models.Model],
    ) -> None:
        """Create a draft with its m2m links and child rows, then publish it."""
        content.author = self.author
        content._change_reason = CREATED_REASON  # type: ignore[union-attr]
        content._history_user = self.author  # type: ignore[union-attr]
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
        content: Exercise | Routine,
        *,
        fields: dict[str, Any],
        links: Mapping[str, Sequence[models.Model]],
        children: list[models.Model],
        current: list[models.Model],
        key: Callable[[Any], tuple[Any, ...]],
    ) -> None:
        """Bring existing content back to the reference, saving only what differs."""
        changed = assign(content, fields)
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
            content._change_reason = RESTORED_REASON  # type: ignore[union-attr]
            content._history_user = self.author  # type: ignore[union-attr]
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
    objects: Sequence[models.Model], *, reason: str, user: User | None
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
