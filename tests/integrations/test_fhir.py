"""FHIR R4 reads and searches: valid resources, mappings, paging, errors, access log."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.fhir.capability import capability_statement
from integrations.fhir.mapping import instant
from tests.factories import AdminFactory
from tests.integrations.fhir_world import FHIR, FHIR_JSON, bearer, validate
from users.models import PatientAccessLog

pytestmark = pytest.mark.django_db

PAIN = "http://loinc.org|72514-3"


def get(client: Any, path: str, **params: Any) -> Any:
    return client.get(f"{FHIR}/{path}", params)


def outcome(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == FHIR_JSON
    body = validate(response.json())
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    return body["issue"][0]["diagnostics"]


def test_metadata_lists_exactly_what_is_served(client):
    response = client.get(f"{FHIR}/metadata")

    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    statement = validate(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    served = {
        r["type"]: {p["name"] for p in r["searchParam"]}
        for r in statement["rest"][0]["resource"]
    }
    paging = {"_count", "_offset"}
    assert served == {
        "Patient": paging,
        "Practitioner": paging,
        "CarePlan": paging | {"patient", "_lastUpdated"},
        "ServiceRequest": paging | {"patient", "_lastUpdated"},
        "Observation": paging | {"patient", "_lastUpdated", "code"},
        "QuestionnaireResponse": paging | {"patient", "_lastUpdated"},
        "Flag": paging | {"patient", "_lastUpdated"},
    }
    for resource in statement["rest"][0]["resource"]:
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
    assert statement == capability_statement(base_url="http://testserver/fhir/r4")


def test_every_resource_read_validates_and_carries_the_rest_ids(fw):
    client = bearer(fw.clinician)
    session = fw.sessions[0]
    reads = {
        f"Patient/{fw.patient.pk}": "Patient",
        f"Practitioner/{fw.clinician.pk}": "Practitioner",
        f"CarePlan/{fw.plan.pk}": "CarePlan",
        f"ServiceRequest/{fw.items[0].pk}": "ServiceRequest",
        f"Observation/{session.pk}": "Observation",
        f"Observation/{session.pk}-pain-before": "Observation",
        f"Observation/{session.pk}-pain-after": "Observation",
        f"QuestionnaireResponse/{fw.responses[0].pk}": "QuestionnaireResponse",
        f"Flag/{fw.alerts[0].pk}": "Flag",
    }
    for path, kind in reads.items():
        response = get(client, path)
        assert response.status_code == 200, (path, response.content)
        assert response["Content-Type"] == FHIR_JSON
        resource = validate(response.json())
        assert resource["resourceType"] == kind
        assert f"{kind}/{resource['id']}" == path


def test_the_care_plan_has_an_activity_per_item_scheduled_as_timing(fw):
    plan = get(bearer(fw.patient), f"CarePlan/{fw.plan.pk}").json()

    assert plan["status"] == "active"
    assert plan["intent"] == "plan"
    assert plan["subject"] == {"reference": f"Patient/{fw.patient.pk}"}
    assert plan["author"] == {"reference": f"Practitioner/{fw.clinician.pk}"}
    assert plan["description"] == "Go slow."
    assert len(plan["activity"]) == 2
    detail = plan["activity"][0]["detail"]
    assert detail["kind"] == "ServiceRequest"
    assert detail["code"]["text"] == fw.items[0].exercise.name
    assert detail["scheduledTiming"]["repeat"] == {
        "boundsPeriod": {"start": fw.plan.start_date.isoformat()},
        "frequency": 1,
        "period": 1,
        "periodUnit": "d",
        "dayOfWeek": ["tue", "thu"],
    }
    assert detail["description"].startswith("3 sets of 10 reps per side; hold 2 s")


def test_a_service_request_carries_the_dosage(fw):
    second = get(bearer(fw.patient), f"ServiceRequest/{fw.items[1].pk}").json()

    assert second["basedOn"] == [{"reference": f"CarePlan/{fw.plan.pk}"}]
    assert second["quantityQuantity"]["value"] == 2
    assert second["patientInstruction"].startswith("2 sets of 30 s")
    assert "light band" in second["patientInstruction"]
    assert second["occurrenceTiming"]["repeat"]["dayOfWeek"] == ["tue", "thu"]
    assert second["code"]["coding"][0]["code"] == "229065009"


def test_pain_scores_are_loinc_observations_at_the_sessions_times(fw):
    session = fw.sessions[0]
    client = bearer(fw.patient)
    before = get(client, f"Observation/{session.pk}-pain-before").json()
    after = get(client, f"Observation/{session.pk}-pain-after").json()
    whole = get(client, f"Observation/{session.pk}").json()

    assert before["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "72514-3",
        "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    }
    assert before["valueQuantity"]["value"] == session.pain_before
    assert before["effectiveDateTime"] == session.started_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert after["effectiveDateTime"] == session.ended_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert whole["code"]["coding"][0]["code"] == "73985-4"
    assert whole["hasMember"] == [
        {"reference": f"Observation/{session.pk}-pain-before"},
        {"reference": f"Observation/{session.pk}-pain-after"},
    ]
    components = {c["code"]["coding"][0]["code"]: c for c in whole["component"]}
    assert components["55411-3"]["valueQuantity"]["value"] == 20.0
    assert components["exercises-done"]["valueInteger"] == 1
    assert whole["note"] == [{"text": "Felt fine."}]


def test_search_pages_through_a_searchset_bundle(fw):
    client = bearer(fw.clinician)
    seen: list[str] = []
    url: str | None = f"{FHIR}/Observation?patient=Patient/{fw.patient.pk}&_count=4"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        bundle = validate(response.json())
        assert bundle["type"] == "searchset"
        assert bundle["total"] == 9  # 3 sessions x (session, pain before, pain after)
        assert len(bundle["entry"]) <= 4
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        url = links.get("next")
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 9
    assert fw.tombstone.pk not in {s[:36] for s in seen}
    assert "previous" in links


def test_observations_filter_by_code(fw):
    client = bearer(fw.patient)
    for code, expected in (
        (PAIN, 6),
        ("72514-3", 6),
        ("http://loinc.org|73985-4", 3),
        (f"{PAIN},http://loinc.org|73985-4", 9),
        ("http://snomed.info/sct|72514-3", 0),
    ):
        bundle = get(client, "Observation", code=code).json()
        assert bundle["total"] == expected, code


def test_last_updated_filters_and_bad_dates_are_a_400(fw):
    client = bearer(fw.patient)
    assert get(client, "CarePlan", _lastUpdated="ge2999-01-01").json()["total"] == 0
    assert get(client, "CarePlan", _lastUpdated="le2999-01-01").json()["total"] == 1
    stamp = fw.plan.updated_at.isoformat()
    assert get(client, "CarePlan", _lastUpdated=f"eq{stamp[:10]}").json()["total"] == 1
    both = client.get(
        f"{FHIR}/Observation?_lastUpdated=gt2000-01-01&_lastUpdated=lt2000-01-02"
    )
    assert both.json()["total"] == 0
    for bad in ("yesterday", "ge2026-13-01", "2026-03-02T10:00:00", "xx2026-01-01"):
        outcome(get(client, "Observation", _lastUpdated=bad), 400, "invalid")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"_count": "many"}, "_count must be an integer"),
        ({"_count": "-1"}, "_count must be an integer"),
        ({"_offset": "9999999"}, "_offset must be an integer"),
        ({"patient": "not-an-id"}, "patient must be a Patient id"),
    ],
)
def test_bad_search_parameters_are_an_operation_outcome(fw, params, message):
    assert message in outcome(
        get(bearer(fw.patient), "Observation", **params), 400, "invalid"
    )


def test_unknown_parameters_are_ignored_unless_strict(fw):
    client = bearer(fw.patient)
    lenient = get(client, "CarePlan", colour="blue").json()
    assert lenient["total"] == 1
    assert "colour" not in lenient["link"][0]["url"]
    strict = client.get(f"{FHIR}/CarePlan?colour=blue", HTTP_PREFER="handling=strict")
    outcome(strict, 400, "invalid")


def test_errors_are_operation_outcomes(fw, client):
    session = fw.tombstone
    patient = bearer(fw.patient)
    assert "deleted" in outcome(
        get(patient, f"Observation/{session.pk}"), 410, "deleted"
    )
    outcome(get(patient, "Encounter"), 404, "not-found")
    outcome(get(patient, "Encounter/1"), 404, "not-found")
    outcome(get(patient, "Patient/1/_history"), 404, "not-found")
    outcome(
        get(patient, f"Observation/{fw.sessions[0].pk}-pain-during"), 404, "not-found"
    )
    outcome(get(patient, "ServiceRequest/abc"), 404, "not-found")
    outcome(patient.post(f"{FHIR}/Patient", {}), 405, "not-supported")
    outcome(get(patient, "Patient", _format="xml"), 406, "not-supported")
    anonymous = get(client, f"Patient/{fw.patient.pk}")
    outcome(anonymous, 401, "login")
    assert anonymous["WWW-Authenticate"].startswith("Bearer")


def test_json_formats_are_accepted(fw):
    client = bearer(fw.patient)
    assert get(client, "Patient", _format="json").status_code == 200
    plain = client.get(f"{FHIR}/Patient", HTTP_ACCEPT="application/json")
    assert plain.status_code == 200
    assert plain["Content-Type"] == "application/json"


def test_reads_of_a_patients_data_by_others_are_in_the_access_log(fw):
    get(bearer(fw.patient), f"Patient/{fw.patient.pk}")
    get(bearer(fw.patient), "Observation")
    assert PatientAccessLog.objects.count() == 0  # their own data

    clinician = bearer(fw.clinician)
    get(clinician, f"CarePlan/{fw.plan.pk}")
    get(clinician, "Observation", _count=5)
    get(clinician, f"Practitioner/{fw.clinician.pk}")  # not a patient's data
    rows = list(
        PatientAccessLog.objects.order_by("created_at", "id").values_list(
            "actor_id", "patient_id", "action"
        )
    )
    assert rows == [
        (fw.clinician.pk, fw.patient.pk, "fhir.CarePlan.read"),
        (fw.clinician.pk, fw.patient.pk, "fhir.Observation.search"),
    ]


def test_an_admin_sees_every_patient(fw):
    bundle = get(bearer(AdminFactory()), "Patient").json()
    ids = {entry["resource"]["id"] for entry in bundle["entry"]}
    assert ids == {str(fw.patient.pk), str(fw.other_patient.pk)}


def test_fhir_reads_are_throttled(fw, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "fhir": "2/min"},
    }
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client = bearer(fw.patient)
        assert get(client, "Patient").status_code == 200
        assert get(client, "Patient").status_code == 200
        refused = get(client, "Patient")
        outcome(refused, 429, "throttled")
        assert int(refused["Retry-After"]) > 0
    finally:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": rates,
        }
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


SCORE = "https://rehabit.dev/fhir/StructureDefinition/questionnaire-score"


def test_a_questionnaire_response_carries_the_canonical_answers_and_score(fw):
    nprs, groc = fw.responses
    client = bearer(fw.patient)
    pain = get(client, f"QuestionnaireResponse/{nprs.pk}").json()
    change = get(client, f"QuestionnaireResponse/{groc.pk}").json()

    assert pain["questionnaire"] == "urn:rehabit:questionnaire:nprs|1.0.0"
    assert pain["status"] == "completed"
    assert (
        pain["subject"] == pain["author"] == {"reference": f"Patient/{fw.patient.pk}"}
    )
    assert pain["authored"] == nprs.authored.isoformat().replace("+00:00", "Z")
    assert pain["item"][0]["linkId"] == "pain"
    assert pain["item"][0]["answer"] == [{"valueInteger": 4}]
    assert pain["item"][0]["text"]  # the question, from the Questionnaire
    assert pain["extension"] == [{"url": SCORE, "valueDecimal": 4.0}]
    # A choice is answered with the option's coding (code and display).
    assert change["item"][0]["answer"] == [
        {"valueCoding": {"code": "3", "display": "Somewhat better"}}
    ]
    assert change["extension"][0]["valueDecimal"] == 3.0


def test_an_answer_on_an_assignment_is_based_on_its_care_plan(fw):
    from outcomes.services.proms import assignment_create
    from tests.factories.outcomes import shipped

    assignment = assignment_create(
        by=fw.clinician,
        plan_id=fw.plan.pk,
        questionnaire_id=shipped("nprs").pk,
        every_weeks=None,
    )
    fw.responses[0].assignment = assignment
    fw.responses[0].save(update_fields=["assignment"])

    one = get(bearer(fw.clinician), f"QuestionnaireResponse/{fw.responses[0].pk}")
    assert validate(one.json())["basedOn"] == [{"reference": f"CarePlan/{fw.plan.pk}"}]
    other = get(bearer(fw.clinician), f"QuestionnaireResponse/{fw.responses[1].pk}")
    assert "basedOn" not in other.json()


def test_a_flag_is_active_until_its_alert_is_resolved(fw):
    open_alert, resolved = fw.alerts
    client = bearer(fw.clinician)
    active = get(client, f"Flag/{open_alert.pk}").json()
    inactive = get(client, f"Flag/{resolved.pk}").json()

    assert active["status"] == "active"
    assert active["code"]["coding"][0]["code"] == "pain_flare"
    assert active["code"]["text"] == open_alert.message
    assert active["subject"] == {"reference": f"Patient/{fw.patient.pk}"}
    assert active["period"] == {"start": instant(open_alert.created_at)}
    assert active["category"][0]["coding"][0]["code"] == "clinical"
    assert active["author"] == {"display": "Rehabit alert rules"}
    assert inactive["status"] == "inactive"
    assert inactive["period"]["end"] == instant(resolved.resolved_at)
    assert inactive["meta"]["lastUpdated"] == instant(resolved.resolved_at)

    # Acknowledging keeps it active and moves its last update.
    from outcomes.services.alerts import alert_acknowledge

    alert_acknowledge(alert=open_alert, by=fw.clinician, note="Seen.")
    seen = get(client, f"Flag/{open_alert.pk}").json()
    assert seen["status"] == "active"
    assert seen["meta"]["lastUpdated"] >= active["meta"]["lastUpdated"]


def test_flags_are_the_care_teams_a_patient_finds_none(fw):
    patient = bearer(fw.patient)
    outcome(get(patient, f"Flag/{fw.alerts[0].pk}"), 404, "not-found")
    assert get(patient, "Flag").json()["total"] == 0
    assert get(patient, "QuestionnaireResponse").json()["total"] == 2


@pytest.mark.parametrize("name", ["QuestionnaireResponse", "Flag"])
def test_outcome_searches_page_and_filter_by_patient_and_last_update(fw, name):
    admin = bearer(AdminFactory())
    everyone = get(admin, name).json()
    assert everyone["total"] == 3  # the world's patient's two, the other patient's one
    mine = get(admin, name, patient=f"Patient/{fw.patient.pk}", _count=1).json()
    assert mine["total"] == 2
    first = mine["entry"][0]["resource"]["id"]
    second = admin.get(next(x["url"] for x in mine["link"] if x["relation"] == "next"))
    assert [e["resource"]["id"] for e in validate(second.json())["entry"]] != [first]
    assert get(admin, name, _lastUpdated="ge2999-01-01").json()["total"] == 0
    assert get(admin, name, _lastUpdated="le2999-01-01").json()["total"] == 3
    outcome(get(admin, name, _lastUpdated="yesterday"), 400, "invalid")


def test_outcome_reads_by_others_are_in_the_access_log(fw):
    clinician = bearer(fw.clinician)
    get(clinician, f"QuestionnaireResponse/{fw.responses[0].pk}")
    get(clinician, "Flag")
    get(bearer(fw.patient), "QuestionnaireResponse")  # their own: not logged
    rows = list(
        PatientAccessLog.objects.order_by("created_at", "id").values_list(
            "actor_id", "patient_id", "action"
        )
    )
    assert rows == [
        (fw.clinician.pk, fw.patient.pk, "fhir.QuestionnaireResponse.read"),
        (fw.clinician.pk, fw.patient.pk, "fhir.Flag.search"),
    ]
