"""Plans API: prescriptions of routines to patients (`plans/`).

Querysets come from sessions.selectors.plans, scoped to the caller, so other people's
plans answer 404. Writes go through sessions.services.plans. Every read by someone
other than the patient (a clinician, an admin) is recorded in the patient access log,
one entry per patient per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from config.api.schema import (
    CONDITIONAL_GET_PARAMETERS,
    NOT_MODIFIED,
    SelectorFilterBackend,
    problem_example,
    problem_response,
    problem_responses,
)
from config.api.validation import StrictTypesMixin
from exercises.models import Exercise, ExerciseInstruction, ExerciseMedia, RoutineItem
from exercises.selectors import routine_visible
from sessions.models import Plan
from sessions.selectors.plans import PlanFilterSet, plan_get, plan_list
from sessions.services.plans import (
    NOT_YOUR_PATIENT,
    ONE_AMOUNT,
    ROUTINE_NOT_PUBLISHED,
    plan_prescribe,
    plan_update,
)
from users.models import User
from users.selectors import patient_get_for
from users.services import access_log_record_many

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request

PLANS = ["plans"]
DUPLICATE_IDS = "Each item may be listed once."


def is_care_staff(user: Any) -> bool:
    """Clinicians and admins: the people who prescribe."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or getattr(user, "role", None) == User.Role.CLINICIAN)
    )


class IsPrescriberForWrites(BasePermission):
    """Anyone signed in reads (the queryset is scoped); only clinicians and admins write.

    The object check runs after the scoped lookup, so a patient gets 404 for someone
    else's plan and 403 for their own.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS or view.action != "create":
            return True
        return is_care_staff(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or is_care_staff(request.user)


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
class PlanExerciseInstructionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ExerciseInstruction.Kind.choices,
        help_text="setup, step, cue (form cue), safety (safety note) or breathing.",
    )
    text = serializers.CharField(help_text="The instruction.")
    order = serializers.IntegerField(
        help_text="Position (the list is already in order)."
    )


class PlanExerciseMediaSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ExerciseMedia.Kind.choices, help_text="image or video."
    )
    url = serializers.URLField(
        help_text="Where the image or video is hosted (cache it for offline use)."
    )
    alt_text = serializers.CharField(help_text="Description for screen readers.")
    credit = serializers.CharField(help_text="Who made it; may be empty.")
    licence = serializers.CharField(help_text="Its licence; may be empty.")


class PlanEquipmentSerializer(serializers.Serializer):
    slug = serializers.SlugField(help_text="Stable identifier of the equipment.")
    name = serializers.CharField(help_text="Display name, e.g. Loop resistance band.")


class PlanExerciseSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Exercise id (use it in session logs).")
    slug = serializers.SlugField(help_text="Stable human-readable identifier.")
    name = serializers.CharField(help_text="Display name.")
    summary = serializers.CharField(help_text="What it is for; may be empty.")
    laterality = serializers.ChoiceField(
        choices=Exercise.Laterality.choices,
        help_text="bilateral, unilateral (one side at a time) or alternating.",
    )
    difficulty = serializers.ChoiceField(
        choices=Exercise.Difficulty.choices,
        help_text="beginner, intermediate or advanced.",
    )
    instructions = PlanExerciseInstructionSerializer(
        many=True,
        help_text="Setup, steps, form cues, safety notes and breathing, in order.",
    )
    media = PlanExerciseMediaSerializer(
        many=True, help_text="Images and videos, in order."
    )
    equipment = PlanEquipmentSerializer(many=True, help_text="Equipment it needs.")


class PlanItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        help_text="Plan item id (use it in session logs and adjustments)."
    )
    order = serializers.IntegerField(
        help_text="Position in the plan (the list is already in order)."
    )
    block = serializers.ChoiceField(
        choices=RoutineItem.Block.choices, help_text="warm_up, main or cool_down."
    )
    note = serializers.CharField(
        help_text="The clinician's note for this patient; may be empty."
    )
    sets = serializers.IntegerField(help_text="Number of sets.")
    reps = serializers.IntegerField(
        allow_null=True, help_text="Repetitions per set, or null."
    )
    steps = serializers.IntegerField(
        allow_null=True, help_text="Steps per set, or null."
    )
    seconds = serializers.IntegerField(
        allow_null=True, help_text="Seconds of work per set, or null."
    )
    per_side = serializers.BooleanField(help_text="The amount is done on each side.")
    hold_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Hold at the end position per rep, in seconds, or null.",
    )
    rest_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Rest between sets in seconds; null means the default (30 s).",
    )
    load = serializers.CharField(
        help_text='Band or load, e.g. "light loop band"; may be empty.'
    )
    tempo = serializers.CharField(help_text='Tempo, e.g. "2-1-2"; may be empty.')
    estimated_seconds = serializers.IntegerField(
        help_text="Estimated time for this item, rests included (derived from the dosage)."
    )
    exercise = PlanExerciseSerializer(
        help_text="The exercise, expanded enough to do it offline."
    )


class PlanPrescriberSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The clinician's user id.")
    name = serializers.CharField(help_text="The clinician's name.")


# Reads prescribed_by and items: plan_list / plan_get select and prefetch them.
class PlanSerializer(serializers.Serializer):
    """A plan: its schedule and its own copy of the items, exercises expanded for offline use."""

    id = serializers.UUIDField(help_text="Plan id.")
    patient = serializers.UUIDField(
        source="patient_id", help_text="The patient's user id."
    )
    prescribed_by = PlanPrescriberSerializer(
        allow_null=True,
        help_text="Who prescribed it; null if that account was removed.",
    )
    routine = serializers.UUIDField(
        source="routine_id",
        allow_null=True,
        help_text="The routine template the items were copied from; null if it was deleted.",
    )
    title = serializers.CharField(help_text="Title shown to the patient.")
    status = serializers.ChoiceField(
        choices=Plan.Status.choices, help_text="active, paused or ended."
    )
    start_date = serializers.DateField(
        help_text="First day of the plan (the patient's local date)."
    )
    end_date = serializers.DateField(
        allow_null=True, help_text="Last day, or null if open-ended."
    )
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="ISO weekdays it is scheduled on (1 = Monday ... 7 = Sunday); empty when times_per_week is used.",
    )
    times_per_week = serializers.IntegerField(
        allow_null=True,
        help_text="Sessions per week on any days; null when days_of_week is used.",
    )
    note = serializers.CharField(
        help_text="The clinician's note to the patient; may be empty."
    )
    created_at = serializers.DateTimeField(help_text="When it was prescribed.")
    updated_at = serializers.DateTimeField(help_text="Last change of the plan itself.")
    items = PlanItemSerializer(
        many=True, help_text="The prescribed exercises, in order."
    )


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------
class PlanDosageInputSerializer(serializers.Serializer):
    """Dosage tweaks; every field optional. An amount (reps, steps, seconds) replaces the others."""

    sets = serializers.IntegerField(
        min_value=1, max_value=100, required=False, help_text="Number of sets (1-100)."
    )
    reps = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Repetitions per set (1-100); replaces steps/seconds.",
    )
    steps = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Steps per set (1-100); replaces reps/seconds.",
    )
    seconds = serializers.IntegerField(
        min_value=1,
        max_value=3600,
        required=False,
        help_text="Seconds of work per set (1-3600); replaces reps/steps.",
    )
    per_side = serializers.BooleanField(
        required=False, help_text="The amount is done on each side."
    )
    hold_seconds = serializers.IntegerField(
        min_value=1,
        max_value=3600,
        allow_null=True,
        required=False,
        help_text="Hold per rep in seconds (1-3600), or null for none.",
    )
    rest_seconds = serializers.IntegerField(
        min_value=0,
        max_value=3600,
        allow_null=True,
        required=False,
        help_text="Rest between sets in seconds (0-3600), or null for the default.",
    )
    load = serializers.CharField(
        max_length=100, allow_blank=True, required=False, help_text="Band or load."
    )
    tempo = serializers.CharField(
        max_length=20, allow_blank=True, required=False, help_text="Tempo, e.g. 2-1-2."
    )
    note = serializers.CharField(
        max_length=500,
        allow_blank=True,
        required=False,
        help_text="Note for the patient.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        amounts = [f for f in ("reps", "steps", "seconds") if f in attrs]
        if len(amounts) > 1:
            raise serializers.ValidationError({amounts[1]: [ONE_AMOUNT]})
        return attrs


class PlanItemOverrideSerializer(PlanDosageInputSerializer):
    routine_item = serializers.IntegerField(
        help_text="Id of the routine item to tweak (from `routines/{id}/` items)."
    )


class PlanItemAdjustmentSerializer(PlanDosageInputSerializer):
    id = serializers.IntegerField(help_text="Id of the plan item to adjust.")


def _validate_days(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise serializers.ValidationError("Each weekday may be listed once.")
    return sorted(value)


class PlanCreateSerializer(StrictTypesMixin, serializers.Serializer):
    patient = serializers.UUIDField(help_text="User id of one of your patients.")
    routine = serializers.UUIDField(
        help_text="Id of a published routine; its items are copied."
    )
    title = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="Title shown to the patient; defaults to the routine's title.",
    )
    start_date = serializers.DateField(
        help_text="First day (the patient's local date)."
    )
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="Last day; omit for open-ended."
    )
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        required=False,
        max_length=7,
        help_text="ISO weekdays (1 = Monday ... 7 = Sunday), each once. Give this or times_per_week.",
    )
    times_per_week = serializers.IntegerField(
        min_value=1,
        max_value=21,
        required=False,
        allow_null=True,
        help_text="Sessions per week (1-21) on any days. Give this or days_of_week.",
    )
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Note to the patient.",
    )
    items = PlanItemOverrideSerializer(
        many=True,
        required=False,
        max_length=100,
        help_text="Optional dosage tweaks of the copied items, by routine item id; items not listed are copied as they are.",
    )

    def validate_days_of_week(self, value: list[int]) -> list[int]:
        return _validate_days(value)

    def validate_patient(self, value: Any) -> User:
        # Unknown, inactive, not a patient, or someone else's: one answer for all.
        patient = patient_get_for(user=self.context["request"].user, patient_id=value)
        if patient is None:
            raise serializers.ValidationError(NOT_YOUR_PATIENT)
        return patient

    def validate_routine(self, value: Any) -> Any:
        routine = (
            routine_visible(user=self.context["request"].user).filter(pk=value).first()
        )
        if routine is None or not routine.is_published:
            raise serializers.ValidationError(ROUTINE_NOT_PUBLISHED)
        return routine

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [entry["routine_item"] for entry in value]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(DUPLICATE_IDS)
        return value


class PlanUpdateSerializer(StrictTypesMixin, serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Plan.Status.choices,
        required=False,
        help_text="active <-> paused; either -> ended (final: an ended plan cannot change).",
    )
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="Last day, or null for open-ended."
    )
    days_of_week = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        required=False,
        max_length=7,
        help_text="ISO weekdays, each once; replaces times_per_week.",
    )
    times_per_week = serializers.IntegerField(
        min_value=1,
        max_value=21,
        required=False,
        allow_null=True,
        help_text="Sessions per week (1-21); replaces days_of_week.",
    )
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Note to the patient.",
    )
    items = PlanItemAdjustmentSerializer(
        many=True,
        required=False,
        max_length=100,
        help_text="Dosage tweaks of this plan's items, by plan item id (the routine template is never changed).",
    )

    def validate_days_of_week(self, value: list[int]) -> list[int]:
        return _validate_days(value)

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [entry["id"] for entry in value]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(DUPLICATE_IDS)
        return value


# ---------------------------------------------------------------------------
# Schema examples
# ---------------------------------------------------------------------------
PLAN_EXAMPLE = {
    "id": "7d1f6c1e-3b0f-4d8e-9a55-0c3f2b9e4a11",
    "patient": "5b2a7e0c-8f7d-4c1e-b3a9-2d6e1f0a9c33",
    "prescribed_by": {
        "id": "0e9c1b2a-6d4f-4a8b-9c7e-1f2d3a4b5c66",
        "name": "Dr. Jo Kim",
    },
    "routine": "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e77",
    "title": "Glute activation for lower back pain",
    "status": "active",
    "start_date": "2026-11-23",
    "end_date": None,
    "days_of_week": [1, 3, 5],
    "times_per_week": None,
    "note": "Before your walks. Stop if the pain goes above 5.",
    "created_at": "2026-11-20T09:15:00Z",
    "updated_at": "2026-11-20T09:15:00Z",
    "items": [
        {
            "id": 41,
            "order": 1,
            "block": "main",
            "note": "Keep the knees over the toes.",
            "sets": 2,
            "reps": None,
            "steps": 10,
            "seconds": None,
            "per_side": True,
            "hold_seconds": None,
            "rest_seconds": 30,
            "load": "light loop band",
            "tempo": "",
            "estimated_seconds": 110,
            "exercise": {
                "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c55",
                "slug": "lateral-band-walk",
                "name": "Lateral band walk",
                "summary": "Side steps against a loop band to wake up the gluteus medius.",
                "laterality": "alternating",
                "difficulty": "beginner",
                "instructions": [
                    {
                        "kind": "setup",
                        "text": "Put the band just above the knees.",
                        "order": 1,
                    },
                    {
                        "kind": "step",
                        "text": "Step sideways, keeping tension on the band.",
                        "order": 2,
                    },
                    {"kind": "cue", "text": "Keep the trunk upright.", "order": 3},
                ],
                "media": [
                    {
                        "kind": "image",
                        "url": "https://media.example.com/lateral-band-walk.jpg",
                        "alt_text": "A person side-stepping with a band above the knees.",
                        "credit": "Rehabit",
                        "licence": "CC BY 4.0",
                    }
                ],
                "equipment": [{"slug": "loop-band", "name": "Loop resistance band"}],
            },
        }
    ],
}

CREATE_REQUEST = {
    "patient": PLAN_EXAMPLE["patient"],
    "routine": PLAN_EXAMPLE["routine"],
    "start_date": "2026-11-23",
    "days_of_week": [1, 3, 5],
    "note": "Before your walks. Stop if the pain goes above 5.",
    "items": [{"routine_item": 12, "steps": 10, "load": "light loop band"}],
}

UPDATE_REQUEST = {"items": [{"id": 41, "sets": 3, "note": "Add a set: you are ready."}]}
PAUSE_REQUEST = {"status": "paused", "note": "Paused while the knee settles."}


CREATE_400 = problem_response(
    400,
    "Invalid input, a patient outside your care, an unpublished routine or a bad schedule.",
    problem_example(
        "Not your patient",
        400,
        "invalid",
        NOT_YOUR_PATIENT,
        instance="/api/v1/plans/",
        errors=[{"field": "patient", "code": "invalid", "message": NOT_YOUR_PATIENT}],
    ),
    problem_example(
        "Two schedules",
        400,
        "invalid",
        "Give either days_of_week or times_per_week, not both.",
        instance="/api/v1/plans/",
        errors=[
            {
                "field": "times_per_week",
                "code": "invalid",
                "message": "Give either days_of_week or times_per_week, not both.",
            }
        ],
    ),
)
UPDATE_400 = problem_response(
    400,
    "Invalid input, a forbidden status change (an ended plan is final) or an item not in this plan.",
    problem_example(
        "Ended plan",
        400,
        "invalid",
        "This plan has ended and can no longer be changed.",
        instance="/api/v1/plans/",
        errors=[
            {
                "field": "status",
                "code": "invalid",
                "message": "This plan has ended and can no longer be changed.",
            }
        ],
    ),
    problem_example(
        "Unknown item",
        400,
        "invalid",
        "Not an item of this plan.",
        instance="/api/v1/plans/",
        errors=[
            {
                "field": "items.0.id",
                "code": "invalid",
                "message": "Not an item of this plan.",
            }
        ],
    ),
)

SCOPE = (
    "Patients see their own plans; clinicians the plans of the patients in their care; "
    "admins every plan. Anything else answers 404. Reads by anyone but the patient are "
    "recorded in the patient's access log."
)


@extend_schema_view(
    list=extend_schema(
        summary="List plans",
        description=(
            "Plans newest start first, each with its items and their exercises expanded "
            "(instructions, media, equipment) so the app can work offline. Filters: "
            "`patient` (a patient id) and `status`. Paginated with `limit` and `offset`. "
            + SCOPE
        ),
        tags=PLANS,
        parameters=CONDITIONAL_GET_PARAMETERS,
        responses={
            200: PlanSerializer,
            304: NOT_MODIFIED,
            **problem_responses(400, 401),
        },
        examples=[
            OpenApiExample(
                "Plans", value=PLAN_EXAMPLE, response_only=True, status_codes=["200"]
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Read a plan",
        description="One plan with its items and exercises expanded. " + SCOPE,
        tags=PLANS,
        parameters=CONDITIONAL_GET_PARAMETERS,
        responses={
            200: PlanSerializer,
            304: NOT_MODIFIED,
            **problem_responses(401, 404),
        },
        examples=[
            OpenApiExample(
                "A plan", value=PLAN_EXAMPLE, response_only=True, status_codes=["200"]
            )
        ],
    ),
    create=extend_schema(
        summary="Prescribe a routine",
        description=(
            "Clinicians (for patients in their care) and admins prescribe a published "
            "routine with a schedule: `start_date`, optional `end_date`, and either "
            "`days_of_week` or `times_per_week`. The routine's items are copied into the "
            "plan (exercise, block, dosage, note, order), optionally with dosage tweaks "
            "in `items`; later edits of the routine never change the plan. A patient id "
            "that is unknown or not yours answers 400 on `patient` (the same message "
            "either way). Patients get 403."
        ),
        tags=PLANS,
        request=PlanCreateSerializer,
        responses={201: PlanSerializer, **problem_responses(401, 403, s400=CREATE_400)},
        examples=[
            OpenApiExample("Prescription", value=CREATE_REQUEST, request_only=True),
            OpenApiExample(
                "Created plan",
                value=PLAN_EXAMPLE,
                response_only=True,
                status_codes=["201"],
            ),
        ],
    ),
    partial_update=extend_schema(
        summary="Adjust, pause, resume or end a plan",
        description=(
            "Clinicians of the patient and admins change the status (active <-> "
            "paused, either -> ended; an ended plan is final), the end date, the "
            "schedule (sending `days_of_week` clears `times_per_week` and vice versa), "
            "the note, and the dosage of this plan's own items (`items`, by plan item "
            "id; an amount such as `reps` replaces `steps`/`seconds`). The routine "
            "template and other patients' plans are never touched; every change is kept "
            "in the plan's history. The patient gets 403 on their own plan; other plans "
            "answer 404."
        ),
        tags=PLANS,
        request=PlanUpdateSerializer,
        responses={
            200: PlanSerializer,
            **problem_responses(401, 403, 404, s400=UPDATE_400),
        },
        examples=[
            OpenApiExample("Dosage tweak", value=UPDATE_REQUEST, request_only=True),
            OpenApiExample("Pause", value=PAUSE_REQUEST, request_only=True),
            OpenApiExample(
                "Adjusted plan",
                value=PLAN_EXAMPLE,
                response_only=True,
                status_codes=["200"],
            ),
        ],
    ),
)
class PlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Plans: scoped reads for patients and their clinicians; writes for clinicians/admins."""

    queryset = Plan.objects.none()
    serializer_class = PlanSerializer
    permission_classes = [IsAuthenticated, IsPrescriberForWrites]
    filter_backends = [SelectorFilterBackend]
    filterset_class = PlanFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self) -> Plan:
        plan = plan_get(user=self.request.user, plan_id=self.kwargs["pk"])
        if plan is None:
            raise NotFound
        self.check_object_permissions(self.request, plan)
        return plan

    def _log(self, plans: list[Plan], action: str) -> None:
        access_log_record_many(
            actor=self.request.user,
            patient_ids=[plan.patient_id for plan in plans],
            action=f"plans.{action}",
            path=self.request.path,
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        plans = list(page) if page is not None else list(self.get_queryset())
        self._log(plans, "list")
        data = PlanSerializer(plans, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        self._log([plan], "retrieve")
        return Response(PlanSerializer(plan).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PlanCreateSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        plan = plan_prescribe(prescriber=request.user, **data)
        fresh = plan_get(user=request.user, plan_id=plan.pk)
        return Response(PlanSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self.get_object()
        serializer = PlanUpdateSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        items = changes.pop("items", [])
        plan_update(plan=plan, actor=request.user, changes=changes, items=items)
        fresh = plan_get(user=request.user, plan_id=plan.pk)
        return Response(PlanSerializer(fresh).data)
