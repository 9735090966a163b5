"""The email-login User and its manager."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from tests.factories import UserFactory
from users.models import CLINICIANS_GROUP, User

pytestmark = pytest.mark.django_db


def test_create_user_lowercases_the_email_and_hashes_the_password():
    user = User.objects.create_user("Jane.Doe@Example.COM", password="s3cret-pass!")

    assert user.email == "jane.doe@example.com"
    assert user.check_password("s3cret-pass!")
    assert user.password != "s3cret-pass!"
    assert user.is_staff is False
    assert user.is_superuser is False
    assert user.role == User.Role.PATIENT
    assert user.timezone == "UTC"


def test_create_user_requires_an_email():
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", password="s3cret-pass!")


def test_create_user_rejects_an_unknown_timezone():
    with pytest.raises(ValidationError) as excinfo:
        User.objects.create_user("tz@example.com", timezone="Mars/Olympus_Mons")

    assert "timezone" in excinfo.value.message_dict
    assert not User.objects.filter(email="tz@example.com").exists()


def test_full_clean_rejects_an_unknown_timezone_and_accepts_iana_names():
    user = UserFactory.build(timezone="Not/AZone")

    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert excinfo.value.error_dict["timezone"][0].code == "invalid_timezone"

    user.timezone = "Europe/Paris"
    user.full_clean(exclude=["password"])  # no error


def test_create_user_rejects_an_email_taken_in_another_case():
    User.objects.create_user("taken@example.com")

    with pytest.raises(ValidationError) as excinfo:
        User.objects.create_user("TAKEN@example.com")

    assert "email" in excinfo.value.message_dict


def test_create_superuser_sets_the_admin_flags_and_role():
    user = User.objects.create_superuser("Boss@Example.com", password="s3cret-pass!")

    assert user.email == "boss@example.com"
    assert user.is_staff is True
    assert user.is_superuser is True
    assert user.role == User.Role.ADMIN


def test_str_prefers_the_name_then_the_email():
    assert str(UserFactory.build(name="Ada", email="ada@example.com")) == "Ada"
    assert str(UserFactory.build(name="", email="ada@example.com")) == "ada@example.com"


def test_the_user_has_no_username_or_split_name():
    field_names = {field.name for field in User._meta.get_fields()}

    assert {"username", "first_name", "last_name"}.isdisjoint(field_names)
    assert User.USERNAME_FIELD == "email"


def test_the_clinicians_group_grants_no_user_or_auth_permissions():
    group = Group.objects.get(name=CLINICIANS_GROUP)

    app_labels = set(
        group.permissions.values_list("content_type__app_label", flat=True)
    )

    # The library, and the care side (patients, plans, session logs, alerts and
    # answers) scoped in the admin.
    assert app_labels == {"exercises", "training_sessions", "outcomes"}
    assert group.permissions.filter(codename="publish_exercise").exists()


def test_a_clinician_cannot_manage_users_or_groups(clinician):
    for perm in ("add", "change", "delete", "view"):
        assert not clinician.has_perm(f"users.{perm}_user")
        assert not clinician.has_perm(f"auth.{perm}_group")
        assert not clinician.has_perm(f"auth.{perm}_permission")
    assert clinician.has_perm("exercises.change_exercise")
