"""The OpenAPI schema builds, validates without warnings, and documents every operation."""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator

from config.api.exceptions import PROBLEM_CONTENT_TYPE
from config.api.schema import NO_NUL_PATTERN

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
LIBRARY_TAGS = {"library", "routines"}


@pytest.fixture(scope="module")
def schema():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(generated)
    return generated


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def library_operations(schema):
    for path, method, operation in operations(schema):
        if LIBRARY_TAGS & set(operation.get("tags", [])):
            yield path, method, operation


def referenced_components(schema, node, found=None):
    """Names of the components ``node`` refers to, directly or through other components."""
    found = set() if found is None else found
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found:
                found.add(name)
                referenced_components(
                    schema, schema["components"]["schemas"][name], found
                )
        for value in node.values():
            referenced_components(schema, value, found)
    elif isinstance(node, list):
        for value in node:
            referenced_components(schema, value, found)
    return found


def test_schema_validates_with_no_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    # --fail-on-warn raises SchemaGenerationError on any warning or error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert yaml.safe_load(out.read_text())["openapi"].startswith("3.")


def test_library_operations_are_documented(schema):
    paths = set(schema["paths"])

    assert {
        "/api/v1/exercises/",
        "/api/v1/exercises/{id}/",
        "/api/v1/muscles/",
        "/api/v1/equipment/",
        "/api/v1/conditions/",
        "/api/v1/routines/",
        "/api/v1/routines/{id}/",
    } <= paths


def test_every_operation_has_summary_tags_examples_and_a_4xx(schema):
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), where
        assert operation.get("tags"), where
        assert any(code.startswith("4") for code in operation["responses"]), where
        success = [
            response
            for code, response in operation["responses"].items()
            if code.startswith("2") and "content" in response
        ]
        for response in success:
            media = next(iter(response["content"].values()))
            assert media.get("examples"), where
        body = operation.get("requestBody")
        if body:
            assert any(media.get("examples") for media in body["content"].values()), (
                where
            )


def test_error_responses_are_problem_documents(schema):
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")):
                where = f"{method.upper()} {path} {code}"
                content = response["content"]
                assert list(content) == [PROBLEM_CONTENT_TYPE], where
                ref = content[PROBLEM_CONTENT_TYPE]["schema"]["$ref"]
                assert ref == "#/components/schemas/Problem", where


def test_every_operation_documents_the_503_and_its_retry_after(schema):
    """Any request may meet an unreachable database (config.api.exceptions)."""
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        unavailable = operation["responses"]["503"]
        assert "Retry-After" in unavailable["headers"], where
        example = next(iter(unavailable["content"][PROBLEM_CONTENT_TYPE]["examples"]))
        assert example, where


def test_library_reads_document_conditional_get_and_throttling(schema):
    for path, _method, operation in library_operations(schema):
        where = f"GET {path}"
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        responses = operation["responses"]
        assert "If-None-Match" in headers, where
        assert "304" in responses, where
        assert "ETag" in responses["200"]["headers"], where
        assert "Retry-After" in responses["429"]["headers"], where


def test_library_operations_are_public_and_tagged(schema):
    tags = {
        "/api/v1/exercises/": "library",
        "/api/v1/muscles/": "library",
        "/api/v1/routines/": "routines",
        "/api/v1/routines/{id}/": "routines",
    }
    for path, tag in tags.items():
        operation = schema["paths"][path]["get"]
        assert operation["tags"] == [tag]
        assert {} in operation["security"], path  # no login needed


def test_list_filters_are_documented(schema):
    params = {
        p["name"]: p for p in schema["paths"]["/api/v1/exercises/"]["get"]["parameters"]
    }

    assert {
        "q",
        "muscle",
        "equipment",
        "condition",
        "difficulty",
        "laterality",
        "updated_since",
        "status",
        "ordering",
        "limit",
        "offset",
    } <= set(params)
    assert params["difficulty"]["schema"]["enum"] == [
        "advanced",
        "beginner",
        "intermediate",
    ]
    # A slug (a string that never holds NUL), not the model's integer key.
    assert params["muscle"]["schema"] == {"type": "string", "pattern": NO_NUL_PATTERN}
    assert params["updated_since"]["schema"]["format"] == "date-time"
    assert all(p.get("description") for p in params.values())


def test_every_library_field_has_a_description(schema):
    names = referenced_components(
        schema, [op for _, _, op in library_operations(schema)]
    )
    assert {"ExerciseDetail", "RoutineItem", "Problem", "Muscle"} <= names
    for name in names:
        component = schema["components"]["schemas"][name]
        if name.startswith("Paginated") or "enum" in component:
            continue
        for field, prop in component.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_public(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_self_hosted_assets(client, path):
    page = client.get(path).content.decode()

    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn.jsdelivr.net" not in page
    assert "unpkg.com" not in page


def _one_ofs(node):
    if isinstance(node, dict):
        if isinstance(node.get("oneOf"), list):
            yield node["oneOf"]
        for value in node.values():
            yield from _one_ofs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _one_ofs(value)


def test_no_one_of_lets_a_value_match_two_branches(schema):
    """A value matching two branches of a ``oneOf`` is invalid: "" matched both the
    no-NUL string and the empty string of every blank-allowed text field, so the schema
    called "" invalid where the API accepts it (a contract-fuzzer finding)."""
    probes = ["", "text", 0, None, True]
    doubles = []
    for branches in _one_ofs(schema):
        for probe in probes:
            matching = [
                branch
                for branch in branches
                if "$ref" not in branch and Draft202012Validator(branch).is_valid(probe)
            ]
            if len(matching) > 1:
                doubles.append((probe, branches))
    assert doubles == []
