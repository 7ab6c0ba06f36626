"""The OpenAPI schema a client generates from (api/schema.py), and the 404 of any other address
under /api."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.base import AuditedMixin, TendViewSet
from api.schema import ERROR_DESCRIPTIONS, RESOURCES
from tests.conftest import PROBLEM, assert_problem

METHODS = ("get", "post", "put", "patch", "delete")
# The first lines of Tend's base classes' docstrings: about its internals, never an operation.
INTERNAL_DOCS = [(cls.__doc__ or "").strip().splitlines()[0] for cls in (TendViewSet, AuditedMixin)]


@pytest.fixture(scope="module")
def openapi(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)  # type: ignore[no-any-return]


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation)
            for path, item in openapi["paths"].items()
            for method, operation in item.items() if method in METHODS]


# --- tags, summaries, descriptions ----------------------------------------------------------------
def test_every_operation_has_one_tag_and_it_is_a_resource(openapi):
    declared = [tag["name"] for tag in openapi["tags"]]
    assert set(declared) == set(RESOURCES)
    for method, path, operation in operations(openapi):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in declared, (method, path)


@pytest.mark.parametrize(("method", "path", "tag"), [
    ("GET", "/api/v1/applications/", "applications"),
    ("POST", "/api/v1/applications/{id}/entered-in-error/", "applications"),
    ("GET", "/api/v1/symptoms/{id}/history/", "symptoms"),
    ("POST", "/api/v1/photos/{id}/reviews/", "reviews"),
    ("GET", "/api/v1/photos/{id}/image/", "photos"),
    ("POST", "/api/v1/courses/{id}/reports/", "reports"),
    ("GET", "/api/v1/courses/{id}/adherence/", "courses"),
    ("POST", "/api/v1/patients/{id}/care-team/", "patients"),
    ("GET", "/api/v1/review-queue/", "review-queue"),
    ("GET", "/api/v1/audit-events/", "audit-events"),
    ("POST", "/api/v1/auth/token/", "auth"),
    ("GET", "/api/v1/me/", "me"),
    ("GET", "/api/v1/staff/", "staff"),
    ("POST", "/api/v1/alerts/{id}/acknowledge/", "alerts"),
])
def test_the_tag_comes_from_the_path(openapi, method, path, tag):
    assert openapi["paths"][path][method.lower()]["tags"] == [tag]


@pytest.mark.parametrize(("method", "path", "summary"), [
    ("GET", "/api/v1/applications/", "List applications"),
    ("POST", "/api/v1/applications/", "Create an application"),
    ("GET", "/api/v1/applications/{id}/", "Get an application"),
    ("PATCH", "/api/v1/applications/{id}/", "Update an application"),
    ("POST", "/api/v1/applications/{id}/entered-in-error/", "Mark an application entered in error"),
    ("GET", "/api/v1/symptoms/{id}/history/", "List the earlier versions of a symptom entry"),
    ("POST", "/api/v1/photos/", "Upload a photo"),
    ("POST", "/api/v1/alerts/{id}/acknowledge/", "Acknowledge an alert"),
    ("POST", "/api/v1/auth/token/", "Sign in for a bearer token"),
    ("GET", "/api/v1/me/", "Get the signed-in user"),
])
def test_summaries_say_what_the_operation_does(openapi, method, path, summary):
    assert openapi["paths"][path][method.lower()]["summary"] == summary


def test_every_operation_has_a_summary_and_none_shows_a_base_class_docstring(openapi):
    summaries = set()
    for method, path, operation in operations(openapi):
        summary = operation.get("summary", "")
        assert summary and len(summary) <= 80, (method, path, summary)
        summaries.add((path.split("/")[3], summary))
        text = summary + operation.get("description", "")
        for internal in INTERNAL_DOCS:
            assert internal not in text, (method, path)
    assert len(summaries) == len(operations(openapi))  # no two operations alike in one tag


def test_a_handler_docstring_is_the_description(openapi):
    operation = openapi["paths"]["/api/v1/photos/{id}/image/"]["get"]
    assert operation["description"].startswith("The full image (long side at most 4096 px)")


# --- problem details, declared ----------------------------------------------------------------------
def test_the_problem_component_is_rfc_9457(openapi):
    problem = openapi["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}
    assert problem["properties"]["status"]["type"] == "integer"
    assert problem["properties"]["errors"]["additionalProperties"]["items"] == {"type": "string"}


def test_every_error_answer_is_a_problem(openapi):
    for method, path, operation in operations(openapi):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {
                    PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path)
                assert response["description"] == ERROR_DESCRIPTIONS[int(status)]


def declared(openapi: dict[str, Any], method: str, path: str) -> set[int]:
    return {int(code) for code in openapi["paths"][path][method.lower()]["responses"]}


@pytest.mark.parametrize(("method", "path", "statuses"), [
    # a list: sign-in, the role, bad filters, a page past the last
    ("GET", "/api/v1/applications/", {200, 400, 401, 403, 404}),
    # a create with a client id: the retry (200) and the conflict (409); body errors
    ("POST", "/api/v1/applications/", {200, 201, 400, 401, 403, 409, 413, 415}),
    ("GET", "/api/v1/applications/{id}/", {200, 401, 403, 404}),
    ("POST", "/api/v1/applications/{id}/entered-in-error/",
     {200, 400, 401, 403, 404, 409, 413, 415}),
    ("POST", "/api/v1/photos/", {200, 202, 400, 401, 403, 409, 413, 415}),
    # bytes that may not be made yet
    ("GET", "/api/v1/photos/{id}/image/", {200, 401, 403, 404, 409}),
    ("GET", "/api/v1/reports/{id}/pdf/", {200, 401, 403, 404, 409}),
    ("POST", "/api/v1/courses/{id}/reports/", {200, 202, 400, 401, 403, 404, 409, 413, 415}),
    # public: no 401/403 from a role, but sign-in failures and throttling
    ("POST", "/api/v1/auth/token/", {200, 400, 401, 413, 415, 429}),
    ("POST", "/api/v1/auth/session/", {200, 400, 401, 403, 413, 415, 429}),
    ("POST", "/api/v1/auth/activate/", {201, 400, 413, 415, 429}),
    ("GET", "/api/v1/auth/csrf/", {204}),
])
def test_each_operation_declares_the_errors_it_can_answer(openapi, method, path, statuses):
    assert declared(openapi, method, path) == statuses


def test_throttling_declares_retry_after(openapi):
    response = openapi["paths"]["/api/v1/auth/token/"]["post"]["responses"]["429"]
    assert response["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_bytes_are_declared_with_their_media_type(openapi):
    image = openapi["paths"]["/api/v1/photos/{id}/image/"]["get"]["responses"]["200"]
    assert image["content"] == {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}
    pdf = openapi["paths"]["/api/v1/reports/{id}/pdf/"]["get"]["responses"]["200"]
    assert set(pdf["content"]) == {"application/pdf"}


def test_record_writes_document_the_input_they_read(openapi):
    schemas = openapi["components"]["schemas"]
    create = openapi["paths"]["/api/v1/applications/"]["post"]["requestBody"]["content"]
    created = schemas[create["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert {"id", "course", "applied_at", "status"} <= set(created["properties"])
    patch = openapi["paths"]["/api/v1/applications/{id}/"]["patch"]["requestBody"]["content"]
    patched = schemas[patch["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert "course" not in patched["properties"] and "id" not in patched["properties"]
    assert not patched.get("required")


def test_a_list_on_one_object_offers_no_filters_it_ignores(openapi):
    names = {p["name"] for p in openapi["paths"]["/api/v1/photos/{id}/history/"]["get"]["parameters"]}
    assert names == {"id", "page", "page_size"}


# --- any other address under /api -----------------------------------------------------------------
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api"), ("get", "/api/"), ("get", "/api/v1"), ("get", "/api/v1/"),
    ("get", "/api/v1/nope/"), ("get", "/api/v1/nope"), ("post", "/api/v1/nope/"),
    ("delete", "/api/"), ("get", "/api/v1/courses/x/y/z/"), ("get", "/api/nope/deeper/still"),
])
def test_an_unknown_api_address_is_a_problem_404_in_debug_too(db, settings, debug, method, path):
    settings.DEBUG = debug
    assert_problem(getattr(Client(), method)(path), 404)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/me", "/api/schema", "/api/docs",
                                  "/api/v1/patients/1b0b3a64-4c84-4f0e-9f39-2f3b8e9d1a11"])
def test_a_known_address_without_its_slash_still_redirects(db, settings, debug, path):
    settings.DEBUG = debug
    response = Client().get(path, {"page": "2"})
    assert response.status_code == 301
    assert response["Location"] == f"{path}/?page=2"


def test_a_post_without_its_slash_still_redirects_outside_debug(db):
    response = Client().post("/api/v1/auth/token", {})
    assert response.status_code == 301 and response["Location"] == "/api/v1/auth/token/"


def test_the_app_still_answers_at_the_root(db):
    assert Client().get("/").status_code == 200
