"""Demo outcomes: the demo patient's NPRS and PSFS, baseline and follow-up, and an alert.

``manage.py load_demo`` calls ``demo_outcomes_load`` after the demo patient
(sessions.demo), so the demo shows the loop at once: pain (NPRS) improved past its
MCID, while the patient's own activities (PSFS) got harder by its MCID, which raises an
open alert for the clinician on ``alerts/`` and ``patients/``. Written the way the app
writes it (``assignment_create``, ``questionnaire_response_submit``, then the rule).
The session log (sessions.demo) is left as it is. Only with DEBUG and the demo logins;
added once (one query finds the demo patient's assignments on later loads).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.conf import settings
from django.db import transaction

from common.demo import DemoReport
from outcomes.instruments import shipped_documents
from outcomes.models import QuestionnaireAssignment
from outcomes.services.alerts import alerts_response_rules_run
from outcomes.services.proms import (
    assignment_create,
    questionnaire_load,
    questionnaire_response_submit,
)
from sessions.demo import PATIENT
from sessions.models import Plan
from users.demo import CLINICIAN
from users.models import User

PSFS_BASELINE = [
    ("activity-1", {"valueString": "Walking the dog for 30 minutes"}),
    ("rating-1", {"valueInteger": 5}),
    ("activity-2", {"valueString": "Lifting my toddler"}),
    ("rating-2", {"valueInteger": 6}),
]
PSFS_FOLLOW_UP = [
    ("activity-1", {"valueString": "Walking the dog for 30 minutes"}),
    ("rating-1", {"valueInteger": 3}),
    ("activity-2", {"valueString": "Lifting my toddler"}),
    ("rating-2", {"valueInteger": 4}),
]


def demo_outcomes_load(*, report: DemoReport, logins: bool) -> None:
    """Add the demo patient's outcome data once (DEBUG and logins only)."""
    if not (logins and settings.DEBUG):
        return
    if QuestionnaireAssignment.objects.filter(
        plan__patient__email=PATIENT.email
    ).exists():
        return
    patient = User.objects.filter(email=PATIENT.email).first()
    clinician = User.objects.filter(email=CLINICIAN.email).first()
    plan = (
        Plan.objects.filter(patient=patient, status=Plan.Status.ACTIVE)
        .prefetch_related("items")
        .order_by("start_date")
        .first()
    )
    if patient is None or clinician is None or plan is None:
        return
    with transaction.atomic():
        _load(report, patient, clinician, plan)


def _load(report: DemoReport, patient: User, clinician: User, plan: Plan) -> None:
    instruments = {}
    for document in shipped_documents():
        instruments[document["name"]], _ = questionnaire_load(document=document)
    zone = zoneinfo.ZoneInfo(patient.timezone)
    start = dt.datetime.combine(plan.start_date, dt.time(8, 30), zone)
    latest = dt.datetime.now(zone) - dt.timedelta(hours=1)
    nprs = assignment_create(
        by=clinician,
        plan_id=plan.pk,
        questionnaire_id=instruments["nprs"].pk,
        every_weeks=2,
    )
    psfs = assignment_create(
        by=clinician,
        plan_id=plan.pk,
        questionnaire_id=instruments["psfs"].pk,
        every_weeks=4,
    )
    report.created["questionnaire assignments"] += 2
    answers: list[tuple[QuestionnaireAssignment, int, list[tuple[str, Any]]]] = [
        (nprs, 0, [("pain", {"valueInteger": 6})]),
        (nprs, 2, [("pain", {"valueInteger": 3})]),
        (psfs, 0, PSFS_BASELINE),
        (psfs, 4, PSFS_FOLLOW_UP),
    ]
    alerts = 0
    for assignment, weeks, items in answers:
        response, _ = questionnaire_response_submit(
            patient=patient,
            data={
                "id": uuid.uuid4(),
                "questionnaire": assignment.questionnaire_id,
                "assignment": assignment.pk,
                "authored": min(start + dt.timedelta(weeks=weeks), latest),
                "item": [
                    {"linkId": link, "answer": [answer]} for link, answer in items
                ],
            },
        )
        report.created["questionnaire responses"] += 1
        # Run the rule now rather than after the commit: the demo must not depend on
        # a worker (the answers also queued it; alerts are unique per cause).
        alerts += len(alerts_response_rules_run(response_id=response.pk))
    report.created["alerts"] += alerts
