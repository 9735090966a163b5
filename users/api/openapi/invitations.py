"""OpenAPI documentation of ``invitations/`` and ``me/invitations/redeem/``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from config.api.schema import (
    THROTTLE_PARAMETERS,
    problem_example,
    problem_response,
    problem_responses,
)
from users.api.invitation_serializers import (
    InvitationCreatedSerializer,
    InvitationCreateSerializer,
    InvitationRedeemSerializer,
    InvitationSerializer,
)
from users.api.openapi.auth import (
    EXAMPLE_ACCOUNT,
    invite_code_examples,
    throttled_response,
)
from users.api.serializers import (
    AccountSerializer,
)
from users.invitations import ALREADY_CLOSED, ONLY_PATIENTS_REDEEM

TAGS = ["invitations"]
LIST = "/api/v1/invitations/"
REDEEM = "/api/v1/me/invitations/redeem/"

EXAMPLE_INVITATION = {
    "id": 17,
    "email": "ana@example.com",
    "note": "Welcome! Your first exercises are ready.",
    "status": "pending",
    "created_at": "2026-11-02T09:00:00Z",
    "expires_at": "2026-11-16T09:00:00Z",
    "redeemed_at": None,
    "redeemed_by": None,
    "revoked_at": None,
}


ACCESS = (
    "Clinicians (their own invitations) and admins (everyone's); patients get 403. "
)

invitation_schema = extend_schema_view(
    list=extend_schema(
        operation_id="invitations_list",
        tags=TAGS,
        summary="List my invitations",
        description=ACCESS
        + "Newest first, with each one's status (pending, redeemed, revoked or expired). "
        "The codes are not shown again. Paginated with `limit` and `offset`.",
        responses={200: InvitationSerializer, **problem_responses(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Invitations",
                value=EXAMPLE_INVITATION,
                response_only=True,
                status_codes=["200"],
            )
        ],
    ),
    create=extend_schema(
        operation_id="invitations_create",
        tags=TAGS,
        summary="Invite a patient",
        description=ACCESS
        + "Sends the invitation by email (Django's email backend, after the answer is "
        "committed) and answers its single-use `code` (10 characters, shown once: only "
        "a hash is stored). The code expires after 14 days. The patient gives it at "
        "`auth/register/` (`invite_code`) or, with an account already, at "
        "`me/invitations/redeem/`; either puts them in your care. Throttled (scope "
        "`invitations`).",
        request=InvitationCreateSerializer,
        responses={
            201: InvitationCreatedSerializer,
            **problem_responses(400, 401, 403),
            **throttled_response(LIST),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Invite",
                value={
                    "email": "ana@example.com",
                    "note": "Welcome! Your first exercises are ready.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Sent",
                value={**EXAMPLE_INVITATION, "code": "7KQ2M-X9PDA"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    ),
    revoke=extend_schema(
        operation_id="invitations_revoke",
        tags=TAGS,
        summary="Revoke an invitation",
        description=ACCESS + "Withdraws a pending invitation: its code stops working "
        "(`invite_code_revoked`). One that was used, revoked or has expired is a 400; "
        "someone else's is a 404. Throttled (scope `invitations`).",
        request=None,
        responses={
            200: InvitationSerializer,
            **problem_responses(
                401,
                403,
                404,
                s400=problem_response(
                    400,
                    "The invitation is no longer pending.",
                    problem_example(
                        "Not pending",
                        400,
                        "invalid",
                        ALREADY_CLOSED,
                        instance=f"{LIST}17/revoke/",
                        errors=[
                            {
                                "field": "non_field_errors",
                                "code": "invitation_closed",
                                "message": ALREADY_CLOSED,
                            }
                        ],
                    ),
                ),
            ),
            **throttled_response(f"{LIST}17/revoke/"),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample(
                "Revoked",
                value={
                    **EXAMPLE_INVITATION,
                    "status": "revoked",
                    "revoked_at": "2026-11-03T10:00:00Z",
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    ),
)

redeem_schema = extend_schema_view(
    post=extend_schema(
        operation_id="me_invitations_redeem",
        tags=["me", *TAGS],
        summary="Use an invitation code",
        description=(
            "For a patient who already has an account: the code's clinician takes you "
            "into their care (your plans from them follow). Each code works once and "
            "for 14 days; a wrong, used, expired or withdrawn code is a 400 with its "
            "own `code`. Clinicians and admins get 403. Tightly throttled (scope "
            "`invite_redeem`): codes cannot be guessed."
        ),
        request=InvitationRedeemSerializer,
        responses={
            200: AccountSerializer,
            **problem_responses(
                401,
                s400=problem_response(
                    400,
                    "The code is wrong, used, expired or withdrawn.",
                    *invite_code_examples(REDEEM),
                ),
                s403=problem_response(
                    403,
                    "Not a patient account.",
                    problem_example(
                        "Not a patient", 403, "permission_denied", ONLY_PATIENTS_REDEEM
                    ),
                ),
            ),
            **throttled_response(REDEEM),
        },
        parameters=THROTTLE_PARAMETERS,
        examples=[
            OpenApiExample("Redeem", value={"code": "7KQ2M-X9PDA"}, request_only=True),
            OpenApiExample(
                "In care",
                value={**EXAMPLE_ACCOUNT, "in_care": True},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
)
