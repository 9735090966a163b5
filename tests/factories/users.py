import factory
from django.contrib.auth.models import Group

from users.models import CLINICIANS_GROUP, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    timezone = "UTC"
    role = User.Role.PATIENT
    password = factory.django.Password(PASSWORD)

    class Meta:
        model = User
        skip_postgeneration_save = True


class PatientFactory(UserFactory):
    email = factory.Sequence(lambda n: f"patient{n}@example.com")


class ClinicianFactory(UserFactory):
    """A staff member in the Clinicians group (created by a migration)."""

    email = factory.Sequence(lambda n: f"clinician{n}@example.com")
    role = User.Role.CLINICIAN
    is_staff = True

    @factory.post_generation
    def clinicians_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=CLINICIANS_GROUP))


class AdminFactory(UserFactory):
    email = factory.Sequence(lambda n: f"admin{n}@example.com")
    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True
