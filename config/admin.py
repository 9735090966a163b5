"""The Django admin as the product's back office: branded, with sections named for people.

Django lists one section per app, under the app's name ("Axes", "Token Blacklist",
"Training sessions", "Users"). Clinicians think in patients and the library: the index
and the sidebar group the models into ``SECTIONS`` instead, in that order, and give
third-party models plain names (``MODEL_NAMES``). Models of apps not listed keep a
section of their own, after these. Each section lists only what the user may see, so a
clinician never sees the sign-in security section.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

# (section title, models by "app_label.model_name", in display order).
SECTIONS: list[tuple[str, list[str]]] = [
    (
        "Patients and care teams",
        [
            "training_sessions.patient",
            "outcomes.alert",
            "training_sessions.plan",
            "training_sessions.session",
            "outcomes.questionnaireresponse",
            "users.carerelationship",
            "users.patientaccesslog",
            "outcomes.clinicianalertsettings",
        ],
    ),
    (
        "Exercise library",
        [
            "exercises.exercise",
            "exercises.routine",
            "exercises.muscle",
            "exercises.equipment",
            "exercises.condition",
            "outcomes.questionnaire",
        ],
    ),
    ("Staff and accounts", ["users.user", "auth.group"]),
    (
        "Sign-in security",
        [
            "axes.accessattempt",
            "axes.accessfailurelog",
            "axes.accesslog",
            "token_blacklist.outstandingtoken",
            "token_blacklist.blacklistedtoken",
        ],
    ),
    ("Integrations", ["integrations.webhookendpoint", "integrations.webhookmessage"]),
]
MODEL_NAMES = {
    "training_sessions.session": "Session logs",
    "users.patientaccesslog": "Who read patients' data",
    "outcomes.questionnaireresponse": "Questionnaire answers",
    "outcomes.questionnaire": "Outcome questionnaires",
    "outcomes.clinicianalertsettings": "My alert digest",
    "users.user": "Accounts",
    "auth.group": "Staff groups",
    "axes.accessattempt": "Failed sign-ins (lockouts)",
    "axes.accessfailurelog": "Failed sign-ins (history)",
    "axes.accesslog": "Sign-ins",
    "token_blacklist.outstandingtoken": "App logins (refresh tokens)",
    "token_blacklist.blacklistedtoken": "Logged-out app logins",
}


def _key(model: dict[str, Any]) -> str:
    return model["model"]._meta.label_lower


class RehabitAdminSite(admin.AdminSite):
    site_header = "Rehabit"
    site_title = "Rehabit"
    index_title = "Patients, plans and the exercise library"
    # The front page: a clinician's dashboard above the sections (outcomes/admin).
    index_template = "admin/rehabit/index.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        # Imported here: the site is built before the apps' models are ready.
        from outcomes.admin.dashboard import dashboard_context

        context = {**(extra_context or {}), "dashboard": dashboard_context(request)}
        return super().index(request, context)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The index and sidebar by SECTIONS; an app's own page keeps Django's list."""
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            for model in app["models"]:
                model["name"] = MODEL_NAMES.get(_key(model), model["name"])
        if app_label is not None:
            return app_list
        models = {_key(m): (app, m) for app in app_list for m in app["models"]}
        sections = []
        for title, keys in SECTIONS:
            listed = [models.pop(key) for key in keys if key in models]
            if listed:
                first_app, first_model = listed[0]
                sections.append(
                    {
                        **first_app,
                        "name": title,
                        # The caption links to the first list: one section has no app page.
                        "app_url": first_model["admin_url"] or first_app["app_url"],
                        "models": [model for _, model in listed],
                    }
                )
        rest = {id(app): app for app, _ in models.values()}
        for app in rest.values():
            app["models"] = [m for m in app["models"] if _key(m) in models]
        return sections + list(rest.values())
