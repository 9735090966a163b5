"""Admin for accounts. Only administrators see it: the Clinicians group has no users or
auth permissions (see exercises/migrations/0003_clinicians_group.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm

from users.models import User

EMAIL_TAKEN = "A user with this email address already exists."


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
class UserAdmin(DjangoUserAdmin):
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
