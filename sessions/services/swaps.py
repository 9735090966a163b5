"""Swaps in a session log: a plan item done as one of its exercise's linked exercises.

A session exercise that names a plan item may perform another exercise than the item's
when the library links the item's exercise to it as a regression, progression or
alternative (``ExerciseLink``, one-way: the link must start at the item's exercise). The
stored entry keeps the link kind in ``substitution``. A client may send the kind (it is
then checked) or leave it out (it is then taken from the link; when several kinds link
the same two exercises, the first of regression, progression, alternative).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from exercises.models import ExerciseLink
from sessions.models import SessionExercise

__all__ = [
    "PLAN_ITEM_MISMATCH",
    "SUBSTITUTION_NOT_A_SWAP",
    "SUBSTITUTION_NOT_LINKED",
    "SUBSTITUTION_WITHOUT_PLAN_ITEM",
    "SwapLinks",
    "swap_links",
]

PLAN_ITEM_MISMATCH = (
    "This exercise is neither the plan item's exercise nor linked to it as a "
    "regression, progression or alternative."
)
SUBSTITUTION_NOT_LINKED = (
    "The library does not link the plan item's exercise to this one with this kind."
)
SUBSTITUTION_NOT_A_SWAP = (
    "This is the plan item's own exercise: leave substitution empty."
)
SUBSTITUTION_WITHOUT_PLAN_ITEM = "A substitution needs the plan item it replaces."

# Preference when one pair of exercises is linked with several kinds.
KIND_ORDER = (
    SessionExercise.Substitution.REGRESSION,
    SessionExercise.Substitution.PROGRESSION,
    SessionExercise.Substitution.ALTERNATIVE,
)


@dataclass(frozen=True)
class SwapLinks:
    """The link kinds between (item exercise, performed exercise) pairs, loaded at once."""

    kinds: dict[tuple[uuid.UUID, uuid.UUID], frozenset[str]]

    def targets(self) -> set[uuid.UUID]:
        """Exercises reachable by a swap (usable in the log even if not published)."""
        return {target for (_, target), kinds in self.kinds.items() if kinds}

    def resolve(
        self, *, item_exercise: uuid.UUID, exercise: uuid.UUID, given: str
    ) -> str:
        """The substitution to store for an entry of ``item_exercise``'s plan item.

        ``given`` is the client's value ("" when not sent). Raises ValidationError
        (messages above, codes ``plan_item_mismatch``, ``substitution_not_linked``,
        ``substitution_not_a_swap``), not keyed: the caller adds the field path.
        """
        if exercise == item_exercise:
            if given:
                raise ValidationError(
                    SUBSTITUTION_NOT_A_SWAP, code="substitution_not_a_swap"
                )
            return ""
        kinds = self.kinds.get((item_exercise, exercise), frozenset())
        if not kinds:
            raise ValidationError(PLAN_ITEM_MISMATCH, code="plan_item_mismatch")
        if given:
            if given not in kinds:
                raise ValidationError(
                    SUBSTITUTION_NOT_LINKED, code="substitution_not_linked"
                )
            return given
        return next(kind for kind in KIND_ORDER if kind in kinds)


def swap_links(pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> SwapLinks:
    """Load the link kinds of the given (item exercise, performed exercise) pairs.

    One query when any pair names two different exercises, none otherwise.
    """
    wanted = {(source, target) for source, target in pairs if source != target}
    kinds: dict[tuple[uuid.UUID, uuid.UUID], set[str]] = defaultdict(set)
    if wanted:
        condition = Q()
        for source, target in wanted:
            condition |= Q(exercise_id=source, target_id=target)
        rows = ExerciseLink.objects.filter(condition).values_list(
            "exercise_id", "target_id", "kind"
        )
        for source, target, kind in rows:
            kinds[(source, target)].add(kind)
    return SwapLinks(kinds={pair: frozenset(found) for pair, found in kinds.items()})
