"""Outcome measures (PROMs): questionnaires shaped like FHIR R4 ``Questionnaire``, their
assignment to a plan with a schedule, and answers shaped like ``QuestionnaireResponse``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Questionnaire(models.Model):
    """An instrument: canonical URL + version, FHIR-like items and a scoring rule.

    ``items``: ``[{linkId, text, type, required, answerOption?, minValue?, maxValue?}]``
    with ``type`` one of integer, decimal, string, choice (answer options carry a
    ``valueCoding`` and a ``score``). ``scoring``: how the score is computed
    (``method`` sum or mean over ``items``), its range, whether higher is better, the
    minimal clinically important difference (``mcid``) and its source (``mcid_source``);
    ``kind`` "status" (compared with the baseline) or "change" (the answer already is a
    change, e.g. a global rating of change). docs/outcomes.md has the full format.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.CharField(
        max_length=255, help_text="Canonical URL (FHIR Questionnaire.url)."
    )
    version = models.CharField(max_length=32)
    name = models.SlugField(max_length=64, help_text="Machine name, e.g. nprs.")
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    description = models.TextField(blank=True)
    copyright = models.TextField(
        blank=True, help_text="Licence and the sources of the instrument and its MCID."
    )
    items = models.JSONField(default=list)
    scoring = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["url", "version"], name="questionnaire_unique_canonical"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}"


class QuestionnaireAssignment(models.Model):
    """A questionnaire to answer on a plan: a baseline, then every ``every_weeks`` weeks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        "training_sessions.Plan",
        on_delete=models.CASCADE,
        related_name="questionnaire_assignments",
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="assignments"
    )
    start_date = models.DateField(help_text="The baseline is due from this date.")
    every_weeks = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="Follow-ups every N weeks after the baseline; empty: baseline only.",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "questionnaire"], name="assignment_once_per_plan"
            )
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} on {self.plan_id}"


class QuestionnaireResponse(models.Model):
    """A patient's completed answers; the id comes from the client (idempotent upload)."""

    id = models.UUIDField(primary_key=True, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="questionnaire_responses",
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    assignment = models.ForeignKey(
        QuestionnaireAssignment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
    )
    authored = models.DateTimeField(help_text="When the patient answered.")
    items = models.JSONField(
        help_text="FHIR QuestionnaireResponse.item: [{linkId, answer: [{value[x]}]}]."
    )
    score = models.FloatField(help_text="Computed on the server (scoring rule).")
    upload_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-authored"]
        indexes = [models.Index(fields=["patient", "questionnaire", "authored"])]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} by {self.patient_id} at {self.authored}"

    @property
    def fhir_status(self) -> str:
        """FHIR QuestionnaireResponse.status: only completed answers are stored."""
        return "completed"
