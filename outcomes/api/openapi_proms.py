"""OpenAPI documentation of the outcome-measure endpoints."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)

from config.api.schema import (
    problem_example,
    problem_response,
    problem_responses,
)
from outcomes.api.serializers import (
    AssignmentCreateSerializer,
    AssignmentSerializer,
    DueQuestionnaireSerializer,
    QuestionnaireResponseCreateSerializer,
    QuestionnaireResponseQuerySerializer,
    QuestionnaireResponseSerializer,
    QuestionnaireSerializer,
)
from outcomes.services.proms import CONFLICT_OTHER_BODY

QUESTIONNAIRE_ID = "3f0c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a090"
ASSIGNMENT_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
PLAN_ID = "2e4c6a8b-1d3f-4a5b-9c7d-0e1f2a3b4c5d"
RESPONSE_ID = "6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e"
NPRS = {
    "id": QUESTIONNAIRE_ID,
    "url": "urn:rehabit:questionnaire:nprs",
    "version": "1.0.0",
    "name": "nprs",
    "title": "Numeric Pain Rating Scale (NPRS)",
    "description": "An 11-point (0-10) numeric rating of pain intensity. Lower is better.",
    "copyright": "Public domain; free to use. MCID of 2 points: Farrar et al. 2001.",
    "item": [
        {
            "linkId": "pain",
            "text": "On average over the last 24 hours, how much pain have you had?",
            "type": "integer",
            "required": True,
            "minValue": 0,
            "maxValue": 10,
        }
    ],
    "scoring": {
        "kind": "status",
        "method": "sum",
        "items": ["pain"],
        "min": 0,
        "max": 10,
        "higher_is_better": False,
        "mcid": 2,
        "mcid_source": "Farrar et al. 2001 (Pain 94:149-158): a change of 2 points.",
    },
}
ANSWERS = {
    "id": RESPONSE_ID,
    "questionnaire": QUESTIONNAIRE_ID,
    "assignment": ASSIGNMENT_ID,
    "authored": "2026-11-30T07:45:00Z",
    "item": [{"linkId": "pain", "answer": [{"valueInteger": 6}]}],
}
STORED = {
    "id": RESPONSE_ID,
    "patient": "5b2a7e0c-8f7d-4c1e-b3a9-2d6e1f0a9c33",
    "questionnaire": QUESTIONNAIRE_ID,
    "questionnaire_canonical": "urn:rehabit:questionnaire:nprs|1.0.0",
    "assignment": ASSIGNMENT_ID,
    "status": "completed",
    "authored": "2026-11-30T07:45:00Z",
    "item": ANSWERS["item"],
    "score": 6.0,
}
ASSIGNMENT = {
    "id": ASSIGNMENT_ID,
    "plan": PLAN_ID,
    "questionnaire": QUESTIONNAIRE_ID,
    "start_date": "2026-11-02",
    "every_weeks": 4,
    "assigned_by": "7a0e1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c",
}
RESPONSES_ACCESS = (
    "Patients read their own answers; clinicians those of the patients in their care "
    "(`?patient=`), admins everyone's. Every answer read by someone else is recorded "
    "in the patient's access log."
)
ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Answers id.")


def _ok(name: str, value: object, code: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[code])


QUESTIONNAIRE_SCHEMA = extend_schema_view(
    list=extend_schema(
        summary="List questionnaires",
        description=(
            "The active outcome measures (shaped like FHIR Questionnaire), with their "
            "scoring rule and MCID source. Shipped: NPRS, PSFS, Global Rating of "
            "Change; clinics load others with `manage.py load_questionnaires`. Any "
            "signed-in user."
        ),
        tags=["questionnaires"],
        responses={
            200: QuestionnaireSerializer(many=True),
            **problem_responses(400, 401),
        },
        examples=[_ok("NPRS", NPRS)],
    ),
)

DUE_SCHEMA = extend_schema_view(
    get=extend_schema(
        summary="Questionnaires due now",
        description=(
            "What to ask the signed-in patient now: each assignment on an active plan "
            "whose current occurrence (the baseline from its start date, then every "
            "N weeks) has no answers yet, with the questionnaire to render. Dates are "
            "in the patient's time zone. Patients only (others get 403)."
        ),
        tags=["questionnaires"],
        responses={
            200: DueQuestionnaireSerializer(many=True),
            **problem_responses(401, 403),
        },
        examples=[
            _ok(
                "Baseline due",
                [
                    {
                        "assignment": ASSIGNMENT_ID,
                        "plan": PLAN_ID,
                        "due_date": "2026-11-02",
                        "occurrence": 0,
                        "questionnaire": NPRS,
                    }
                ],
            )
        ],
    ),
)

RESPONSE_CONFLICT = problem_response(
    409,
    "The id is taken by other answers (or another patient's).",
    problem_example(
        "Other answers",
        409,
        "conflict",
        CONFLICT_OTHER_BODY,
        instance="/api/v1/questionnaire-responses/",
    ),
)
RESPONSE_SCHEMA = extend_schema_view(
    list=extend_schema(
        summary="List answers to questionnaires",
        description="Newest first, paginated with `limit` and `offset`. "
        + RESPONSES_ACCESS,
        tags=["questionnaires"],
        parameters=[QuestionnaireResponseQuerySerializer],
        responses={
            200: QuestionnaireResponseSerializer(many=True),
            **problem_responses(400, 401),
        },
        examples=[_ok("NPRS answered", STORED)],
    ),
    retrieve=extend_schema(
        summary="Read answers",
        description="One set of answers; others' answer 404. " + RESPONSES_ACCESS,
        tags=["questionnaires"],
        parameters=[ID],
        responses={
            200: QuestionnaireResponseSerializer,
            **problem_responses(401, 404),
        },
        examples=[_ok("NPRS answered", STORED)],
    ),
    create=extend_schema(
        summary="Answer a questionnaire",
        description=(
            "Upload a patient's answers (shaped like FHIR QuestionnaireResponse) with "
            "an id generated by the app. Idempotent like session uploads: a retry with "
            "the same id and body answers 200 with the stored answers, never a "
            "duplicate; the same id with another body is a 409. Answers are checked "
            "against the questionnaire (types, ranges, options, required items) and "
            "scored on the server. A score worse than the baseline by the instrument's "
            "MCID raises an alert for the care team. Patients only (others get 403)."
        ),
        tags=["questionnaires"],
        request=QuestionnaireResponseCreateSerializer,
        responses={
            200: QuestionnaireResponseSerializer,
            201: QuestionnaireResponseSerializer,
            **problem_responses(400, 401, 403, s409=RESPONSE_CONFLICT),
        },
        examples=[
            OpenApiExample("NPRS answers", value=ANSWERS, request_only=True),
            _ok("Stored", STORED, "201"),
            _ok("Retry", STORED),
        ],
    ),
)

ASSIGNMENT_SCHEMA = extend_schema_view(
    create=extend_schema(
        summary="Assign a questionnaire to a plan",
        description=(
            "A clinician (or admin) asks a patient to answer a questionnaire on one of "
            "their active plans: the baseline is due from `start_date` (the plan's "
            "start by default), then every `every_weeks` weeks (null: baseline only). "
            "A plan outside your care is as unknown as a missing one (400 on `plan`). "
            "Patients get 403."
        ),
        tags=["questionnaires"],
        request=AssignmentCreateSerializer,
        responses={
            201: AssignmentSerializer,
            **problem_responses(400, 401, 403),
        },
        examples=[
            OpenApiExample(
                "NPRS every 4 weeks",
                value={
                    "plan": PLAN_ID,
                    "questionnaire": QUESTIONNAIRE_ID,
                    "every_weeks": 4,
                },
                request_only=True,
            ),
            _ok("Assigned", ASSIGNMENT, "201"),
        ],
    ),
)
