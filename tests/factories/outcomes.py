import factory

from outcomes.models import Alert, AlertKind
from tests.factories.users import PatientFactory


class AlertFactory(factory.django.DjangoModelFactory):
    """An open alert (pain flare) with its own cause key."""

    patient = factory.SubFactory(PatientFactory)
    kind = AlertKind.PAIN_FLARE
    key = factory.Sequence(lambda n: f"pain_flare:test-{n}")
    message = "Pain flare: 3/10 before the session, 8/10 after."
    evidence = factory.LazyFunction(lambda: {"pain_before": 3, "pain_after": 8})

    class Meta:
        model = Alert


def shipped(name: str):
    """A shipped questionnaire (nprs, psfs, groc), loaded if a test flushed it."""
    from outcomes.instruments import shipped_documents
    from outcomes.services.proms import questionnaire_load

    document = next(doc for doc in shipped_documents() if doc["name"] == name)
    return questionnaire_load(document=document)[0]


def answered(patient, questionnaire, *, assignment=None, value: int = 4):
    """A stored answer to a one-item questionnaire (NPRS), through the service."""
    import uuid

    from django.utils import timezone

    from outcomes.services.proms import questionnaire_response_submit

    return questionnaire_response_submit(
        patient=patient,
        data={
            "id": uuid.uuid4(),
            "questionnaire": questionnaire.pk,
            "assignment": assignment.pk if assignment else None,
            "authored": timezone.now(),
            "item": [{"linkId": "pain", "answer": [{"valueInteger": value}]}],
        },
    )[0]
