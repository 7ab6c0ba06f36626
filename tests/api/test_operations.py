"""Operations: the health probe, the OpenAPI document and its browsable page."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import OperationalError
from django.test import Client

from api.views import health
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


class _BrokenConnection:
    """Stands in for django.db.connection when the database cannot be reached."""

    def cursor(self) -> None:
        raise OperationalError("connection refused")


@pytest.fixture
def broker_down(monkeypatch):
    for key in ("broker_url", "broker_write_url"):
        monkeypatch.setitem(celery_app.conf, key, CLOSED_PORT_BROKER)


@pytest.fixture
def database_down(monkeypatch):
    monkeypatch.setattr(health, "connection", _BrokenConnection())


def test_healthz_answers_ok_for_the_database_and_the_broker_without_signing_in(api):
    response = api().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_names_the_broker_when_it_is_unreachable(api, broker_down):
    response = api().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


def test_healthz_names_the_database_when_it_fails(api, database_down):
    response = api().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "down", "broker": "ok"}


def test_healthz_names_both_when_both_are_down(api, database_down, broker_down):
    response = api().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "down", "broker": "down"}


def test_healthz_takes_only_get(api):
    response = api().post("/healthz")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405
    assert "GET" in response["Allow"]


CONTRACT_PATHS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/auth/logout/": {"post"},
    "/api/v1/auth/csrf/": {"get"},
    "/api/v1/auth/session/": {"post", "delete"},
    "/api/v1/auth/activate/": {"post"},
    "/api/v1/me/": {"get"},
    "/api/v1/staff/": {"post"},
    "/api/v1/patients/": {"get", "post"},
    "/api/v1/patients/{id}/": {"get"},
    "/api/v1/patients/{id}/care-team/": {"post"},
    "/api/v1/courses/": {"get", "post"},
    "/api/v1/courses/{id}/": {"get", "patch"},
    "/api/v1/courses/{id}/adherence/": {"get"},
    "/api/v1/courses/{id}/timeline/": {"get"},
    **{
        path: methods
        for kind in ("applications", "symptoms", "debridements")
        for path, methods in {
            f"/api/v1/{kind}/": {"get", "post"},
            f"/api/v1/{kind}/{{id}}/": {"get", "patch"},
            f"/api/v1/{kind}/{{id}}/entered-in-error/": {"post"},
        }.items()
    },
    "/api/v1/audit-events/": {"get"},
}


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_an_openapi_3_document(api):
    response = api().get("/api/schema/")
    assert response.status_code == 200
    assert response.content.decode().startswith("openapi: 3.")


@pytest.mark.parametrize("path", sorted(CONTRACT_PATHS))
def test_the_schema_lists_each_contract_path_with_its_methods(openapi, path):
    assert openapi["openapi"].startswith("3.")
    assert path in openapi["paths"], sorted(openapi["paths"])
    assert CONTRACT_PATHS[path] <= set(openapi["paths"][path])


# A PUT replaces a whole resource; the only one is a course's reminder settings (the contract's).
PUT_PATHS = {"/api/v1/courses/{id}/reminders/"}


def test_the_schema_offers_no_delete_on_records_and_put_only_on_reminders(openapi):
    for path, operations in openapi["paths"].items():
        assert ("put" in operations) == (path in PUT_PATHS), path
        if any(kind in path for kind in ("applications", "symptoms", "debridements", "courses")):
            assert "delete" not in operations, path


def test_the_schema_documents_bearer_tokens(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer",
                                     "description": schemes["bearerAuth"]["description"]}


def test_the_docs_page_loads_its_assets_from_this_server(api):
    response = api().get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "/api/schema/" in page
    for cdn in ("unpkg", "jsdelivr", "cdnjs", "googleapis", "cloudflare"):
        assert cdn not in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")) is not None, asset
