"""Schemathesis over the schema Tend serves, in process: every operation, as the physician and as
the patient, answers no 5xx, only the statuses and content types the schema declares, and bodies
that match the schema declared for them.

The app is Django's real WSGI handler on the suite's PostgreSQL test database, inside the test's
transaction (what a run stores is rolled back with it; each request has its own savepoint, so a
crashed one cannot spoil the next). Every other case uses real ids of the signed-in user's world
(a course, her records, a ready photo, a rendered report, an open alert) in its path, body and
query, so that operations are exercised past their 404 and 400 too. Generation is derandomized
and small: the same cases on every run, the whole file in about a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PASSWORD, Cast
from tests.images import phone_jpeg
from tracker.models import AlertKind
from tracker.services import alerts, photos, records, reports
from tracker.services.auth import token_issue

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROLES = ["physician", "patient_user"]
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261129,
    # Fuzzing only (positive and negative cases): the coverage phase's hundreds of boundary cases
    # per operation would take this file past ten minutes.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})
# 500s found here in code this file does not own, by operation: until each is fixed, a 500 of that
# operation is a warning (pytest lists it), not a failure. Remove an entry once it is fixed.
# Server errors schemathesis has found and that are not fixed yet, by operation: reported as
# warnings, not failures. Empty: none is known.
KNOWN_SERVER_ERRORS: dict[str, str] = {}


class KnownServerError(UserWarning):
    pass


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def _requests_share_the_test_transaction() -> Iterator[None]:
    """Django's WSGI handler closes the database connection after each request, which would end
    the test's transaction; Django's test client unhooks the same two signals."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(cast: Cast, tasks_sent: Any) -> dict[str, str]:
    """Real rows of Helen's course, by the path segment or field that names them."""
    now = timezone.now()
    application, _ = records.record_create(
        kind=records.APPLICATION, recorded_by=cast.patient_user, course=cast.course,
        data={"applied_at": now - dt.timedelta(hours=3), "status": "applied"})
    symptom, _ = records.record_create(
        kind=records.SYMPTOM, recorded_by=cast.patient_user, course=cast.course,
        data={"recorded_at": now - dt.timedelta(hours=2), "pain": 4, "itch": 2,
              "drainage": "none", "fever": False, "redness_spreading": False})
    debridement, _ = records.record_create(
        kind=records.DEBRIDEMENT, recorded_by=cast.physician, course=cast.course,
        data={"performed_at": now - dt.timedelta(days=1), "method": "sharp",
              "nodules_removed": 2, "specimen_sent": False})
    photo, _ = photos.photo_upload(course=cast.course, uploaded_by=cast.patient_user,
                                   data=phone_jpeg(640, 480), taken_at=now - dt.timedelta(hours=1))
    photos.photo_process(photo_id=photo.pk)
    report, _ = reports.report_request(course=cast.course, requested_by=cast.physician)
    reports.report_render(report_id=report.pk)
    alert = alerts.alert_raise(course=cast.course, kind=AlertKind.PAIN_RISE, severity="high",
                               detail="Pain rose by 4 points over the 7-day mean.")
    assert alert is not None
    return {
        # path ids, by collection
        "courses": str(cast.course.pk), "patients": str(cast.patient.pk),
        "applications": str(application.pk), "symptoms": str(symptom.pk),
        "debridements": str(debridement.pk), "photos": str(photo.pk), "reports": str(report.pk),
        "alerts": str(alert.pk), "staff": str(cast.nurse.pk),
        # body and query fields
        "course": str(cast.course.pk), "patient": str(cast.patient.pk),
        "staff_id": str(cast.other_nurse.pk), "username": cast.patient_user.username,
        "password": PASSWORD,
    }


@pytest.fixture
def api_schema(role: str, world: dict[str, str], _requests_share_the_test_transaction: None) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


def _use_real_ids(case: Any, world: dict[str, str]) -> None:
    if "id" in (case.path_parameters or {}):
        collection = case.operation.path.removeprefix("/api/v1/").split("/")[0]
        if collection in world:
            case.path_parameters["id"] = world[collection]
    for values in (case.query, case.body):
        if isinstance(values, dict):
            for name in values.keys() & {"course", "patient", "staff_id", "username", "password"}:
                values[name] = world[name]


schema = schemathesis.pytest.from_fixture("api_schema")
_turns = itertools.count()


@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@schema.parametrize()
def test_every_operation_answers_as_the_schema_says(case: Any, role: str, cast: Cast,
                                                    world: dict[str, str]) -> None:
    if next(_turns) % 2:
        _use_real_ids(case, world)
    # A fresh token each case: a case may sign out (POST /auth/logout/ revokes its token).
    _, token = token_issue(user=cast.user(role))
    with transaction.atomic():
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        known = KNOWN_SERVER_ERRORS.get(case.operation.label)
        if known and response.status_code >= 500:
            warnings.warn(f"{case.operation.label} as {role}: {known}", KnownServerError,
                          stacklevel=1)
            transaction.set_rollback(True)  # the failed query aborted this savepoint
            return
        case.validate_response(response, checks=CHECKS)
