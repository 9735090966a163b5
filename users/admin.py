"""Admin for accounts, care teams and the patient-data access log.

Only administrators see it: the Clinicians group has no users or auth permissions (see
exercises/migrations/0003_clinicians_group.py and
sessions/migrations/0003_clinicians_care_permissions.py).

Admins link clinicians to patients under "Care relationships" (the autocompletes offer
only clinicians, or only patients; CareRelationship.clean() checks the roles). A user's
page shows their care team with links there, read-only, so the user form stays one form.

The access log is read-only for everyone, superusers included: it is evidence, so
nobody adds, edits or deletes entries here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin import DateFieldListFilter, RelatedOnlyFieldListFilter
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyAdminMixin, user_label
from users.admin_reads import PatientReadsLogged, log_patient_reads
from users.models import CareRelationship, PatientAccessLog, User

EMAIL_TAKEN = "A user with this email address already exists."
ERASED = "(erased account)"
# The autocomplete of a care relationship's side offers only accounts of that role.
CARE_FIELD_ROLES = {"clinician": User.Role.CLINICIAN, "patient": User.Role.PATIENT}


def _clean_email(form: forms.ModelForm) -> str:
    """Emails are stored lowercased (as UserManager does) and unique whatever the case."""
    email = form.cleaned_data["email"].strip().lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(EMAIL_TAKEN, code="unique")
    return email


class UserCreationForm(AdminUserCreationForm):
    """The add form: an email address and a password (or none, to set one later)."""

    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self) -> str:
        return _clean_email(self)


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "name",
            "timezone",
            "role",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )

    def clean_email(self) -> str:
        return _clean_email(self)


@admin.register(User)
class UserAdmin(PatientReadsLogged, DjangoUserAdmin):
    log_resource = "users"
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "timezone", "role")}),
        (
            "Permissions",
            {
                "description": (
                    'Clinicians are staff in the "Clinicians" group: they curate the '
                    "library but cannot manage users or groups."
                ),
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "name", "role", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "name")
    ordering = ("email",)
    filter_horizontal = ("groups", "user_permissions")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.role in CARE_FIELD_ROLES.values():
            # Read-only here (the user form stays one form); edited on its own page.
            fieldsets = (*fieldsets, ("Care team", {"fields": ("care_team",)}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "care_team")

    @admin.display(description="care team")
    def care_team(self, obj: User) -> str:
        """A patient's clinicians or a clinician's patients, with links to change them."""
        is_patient = obj.is_patient
        mine, other = (
            ("patient", "clinician") if is_patient else ("clinician", "patient")
        )
        links = (
            CareRelationship.objects.filter(**{mine: obj})
            .select_related(other)
            .order_by(f"{other}__email")
        )
        people = format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            (
                (
                    reverse("admin:users_carerelationship_change", args=[link.pk]),
                    user_label(getattr(link, other), ERASED),
                )
                for link in links
            ),
        )
        changelist = reverse("admin:users_carerelationship_changelist")
        add = reverse("admin:users_carerelationship_add")
        query = urlencode({mine: str(obj.pk)})
        return format_html(
            '<ul>{}</ul><a href="{}?{}">list</a> · <a href="{}?{}">add a {}</a>',
            people or format_html("<li>{}</li>", "nobody yet"),
            changelist,
            urlencode({f"{mine}__id__exact": str(obj.pk)}),
            add,
            query,
            other,
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        # Autocomplete for a care relationship: only clinicians, or only patients.
        if request.GET.get("model_name") == CareRelationship._meta.model_name:
            role = CARE_FIELD_ROLES.get(request.GET.get("field_name", ""))
            if role is not None:
                queryset = queryset.filter(role=role, is_active=True)
            if role == User.Role.PATIENT:
                # The autocomplete shows these patients' names and emails: a read.
                shown = queryset.values_list("pk", flat=True)[: self.list_per_page]
                log_patient_reads(request, list(shown), "admin.users.autocomplete")
        return queryset, may_have_duplicates

    def patients_of(self, obj: User) -> list[Any]:
        return [obj.pk] if obj.is_patient else []


@admin.register(CareRelationship)
class CareRelationshipAdmin(PatientReadsLogged, admin.ModelAdmin[CareRelationship]):
    log_resource = "care"
    list_display = ("clinician", "patient", "created_at")
    list_select_related = ("clinician", "patient")
    list_filter = (
        ("clinician", RelatedOnlyFieldListFilter),
        ("patient", RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "clinician__email",
        "clinician__name",
        "patient__email",
        "patient__name",
    )
    search_help_text = "Search by the clinician's or the patient's name or email."
    autocomplete_fields = ("clinician", "patient")
    fields = ("clinician", "patient", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("clinician__email", "patient__email")

    def patients_of(self, obj: CareRelationship) -> list[Any]:
        return [obj.patient_id]


@admin.register(PatientAccessLog)
class PatientAccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PatientAccessLog]):
    """Who read which patient's data, when, and what: readable, never editable."""

    list_display = ("created_at", "actor_display", "patient_display", "action", "path")
    list_select_related = ("actor", "patient")
    list_filter = (
        ("actor", RelatedOnlyFieldListFilter),
        ("patient", RelatedOnlyFieldListFilter),
        ("created_at", DateFieldListFilter),
        "action",
    )
    date_hierarchy = "created_at"
    search_fields = ("actor__email", "patient__email", "action", "path")
    search_help_text = "Search by reader or patient email, action or path."
    fields = ("created_at", "actor_display", "patient_display", "action", "path")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="reader", ordering="actor__email")
    def actor_display(self, obj: PatientAccessLog) -> str:
        return user_label(obj.actor, ERASED)

    @admin.display(description="patient", ordering="patient__email")
    def patient_display(self, obj: PatientAccessLog) -> str:
        return user_label(obj.patient, ERASED)
