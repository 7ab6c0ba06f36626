"""Bad input: every field validated, each refusal a problem-details answer naming the field, nothing
stored, and no junk anywhere ever gets a 5xx."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import PROBLEM, assert_problem
from tests.images import phone_jpeg
from tracker.models import (
    ActivationCode,
    Application,
    AuditEvent,
    CareTeamMembership,
    CoursePause,
    Debridement,
    Patient,
    RecordVersion,
    SymptomEntry,
    TreatmentCourse,
    User,
)
from tracker.services import photos, records, reports

STORED = (Application, SymptomEntry, Debridement, TreatmentCourse, CoursePause, Patient, User,
          CareTeamMembership, ActivationCode, RecordVersion)


def stored_rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in STORED}



def ago(**kwargs: float) -> str:
    return (timezone.now() - dt.timedelta(**kwargs)).isoformat()


# --- The valid body of each create, and who sends it -----------------------------------------------
def valid_body(kind: str, cast: Any) -> dict[str, Any]:
    course = str(cast.course.pk)
    return {
        "application": {"course": course, "applied_at": ago(hours=1), "status": "applied",
                        "notes": "Evening dose"},
        "symptom": {"course": course, "recorded_at": ago(hours=1), "pain": 3, "itch": 2,
                    "drainage": "none", "fever": False, "redness_spreading": False},
        "debridement": {"course": course, "performed_at": ago(hours=1), "method": "sharp",
                        "nodules_removed": 2, "specimen_sent": False},
        "patient": {"display_name": "Ana Ruiz", "birth_year": 1950, "timezone": "America/Denver",
                    "language": "es"},
        "staff": {"username": "new.nurse", "password": "a-long-Unusual-passphrase-42",
                  "role": "nurse", "display_name": "New Nurse"},
        "course": {"patient": str(cast.patient.pk), "medication": "Sodium thiosulfate",
                   "concentration_percent": 10, "vehicle": "Oil-in-water emulsion",
                   "body_site": "Left lateral thigh", "applications_per_day": 1,
                   "start_date": timezone.now().date().isoformat(), "instructions": "",
                   "previous_course": {"id": course, "status": "completed"}},
    }[kind]


CREATE = {
    "application": ("/api/v1/applications/", "patient_user"),
    "symptom": ("/api/v1/symptoms/", "patient_user"),
    "debridement": ("/api/v1/debridements/", "nurse"),
    "patient": ("/api/v1/patients/", "nurse"),
    "staff": ("/api/v1/staff/", "admin"),
    "course": ("/api/v1/courses/", "physician"),
}


@pytest.mark.parametrize("kind", list(CREATE))
def test_the_valid_body_of_each_create_is_stored(cast, api, kind):
    """The control for every refusal below: one field changed is what makes them fail."""
    path, who = CREATE[kind]
    response = api(cast.user(who)).post(path, valid_body(kind, cast), format="json")
    assert response.status_code == 201, response.content


BAD_FIELDS = [
    *[(kind, field, value)
      for kind in ("symptom",) for field in ("pain", "itch")
      for value in (-1, 11, 3.5, "7", True, [], {"value": 3}, 10**20)],
    ("application", "status", "maybe"),
    ("application", "status", "APPLIED"),
    ("application", "status", ""),
    ("symptom", "drainage", "bloody"),
    ("symptom", "drainage", None),
    ("symptom", "fever", "yes"),
    ("symptom", "fever", 1),
    ("symptom", "redness_spreading", None),
    ("debridement", "method", "laser"),
    ("debridement", "method", "Sharp"),
    ("debridement", "nodules_removed", -1),
    ("debridement", "nodules_removed", "2"),
    ("debridement", "specimen_sent", "false"),
    ("patient", "language", "fr"),
    ("patient", "language", "EN"),
    ("patient", "timezone", "Mars/Olympus"),
    ("patient", "timezone", ""),
    ("patient", "timezone", "UTC+3"),
    ("patient", "timezone", "../../etc/passwd"),
    ("patient", "birth_year", 1800),
    ("patient", "birth_year", "1950"),
    ("patient", "display_name", ""),
    ("patient", "display_name", "x" * 121),
    ("staff", "role", "admin"),
    ("staff", "role", "patient"),
    ("staff", "role", "surgeon"),
    ("staff", "password", "short"),
    ("staff", "username", "no spaces allowed"),
    ("course", "applications_per_day", 0),
    ("course", "applications_per_day", 7),
    ("course", "concentration_percent", 0),
    ("course", "concentration_percent", 101),
    ("course", "concentration_percent", "ten"),
    ("course", "start_date", "2026-02-30"),
    ("course", "start_date", "yesterday"),
    ("course", "patient", "not-a-uuid"),
    ("course", "patient", 42),
    *[(kind, "id", value) for kind in ("application", "symptom", "debridement", "course")
      for value in ("not-a-uuid", "12", "", ["a"])],
    *[(kind, "notes", "x" * 2001) for kind in ("application", "symptom", "debridement")],
    *[(kind, time_field, value)
      for kind, time_field in (("application", "applied_at"), ("symptom", "recorded_at"),
                               ("debridement", "performed_at"))
      for value in ("2026-01-15T20:15:00", "2026-01-15", "tonight", "", None, 1700000000)],
]


@pytest.mark.parametrize(("kind", "field", "value"), BAD_FIELDS)
def test_a_bad_field_value_is_refused_by_name_and_nothing_is_stored(cast, api, kind, field, value):
    path, who = CREATE[kind]
    before = stored_rows()
    response = api(cast.user(who)).post(path, {**valid_body(kind, cast), field: value},
                                        format="json")
    assert_problem(response, 400, field)
    assert stored_rows() == before


@pytest.mark.parametrize(("kind", "field"), [(kind, field) for kind, fields in {
    "application": ("course", "applied_at", "status"),
    "symptom": ("course", "recorded_at"),  # pain and itch may be left unanswered (null)
    "debridement": ("course", "performed_at", "method"),
    "patient": ("display_name", "birth_year", "timezone", "language"),
    "staff": ("username", "password", "role", "display_name"),
    "course": ("patient", "medication", "concentration_percent", "vehicle", "body_site",
               "applications_per_day", "start_date"),
}.items() for field in fields])
def test_a_missing_required_field_is_named(cast, api, kind, field):
    path, who = CREATE[kind]
    body = valid_body(kind, cast)
    del body[field]
    before = stored_rows()
    assert_problem(api(cast.user(who)).post(path, body, format="json"), 400, field)
    assert stored_rows() == before


@pytest.mark.parametrize(("path", "who", "body", "field"), [
    ("/api/v1/courses/{course}/", "physician", {"status": "archived"}, "status"),
    ("/api/v1/courses/{course}/", "physician", {"status": "PAUSED"}, "status"),
    ("/api/v1/courses/{course}/", "physician", {"end_date": "2000-01-01"}, "end_date"),
    ("/api/v1/courses/{course}/", "physician", {"medication": "Something else"}, "medication"),
    ("/api/v1/courses/{course}/", "physician", {"patient": "{other_patient}"}, "patient"),
    ("/api/v1/patients/{patient}/", "physician", {"timezone": "Mars/Olympus"}, "timezone"),
    ("/api/v1/patients/{patient}/", "physician", {"timezone": ""}, "timezone"),
    ("/api/v1/patients/{patient}/", "physician", {"language": "de"}, "language"),
    ("/api/v1/patients/{patient}/care-team/", "physician", {"staff_id": "nope"}, "staff_id"),
    ("/api/v1/patients/{patient}/care-team/", "physician", {"staff_id": "{patient_user}"},
     "staff_id"),
    ("/api/v1/staff/{nurse}/", "admin", {"is_active": "no"}, "is_active"),
    ("/api/v1/staff/{nurse}/", "admin", {"role": "admin"}, "role"),
    ("/api/v1/courses/{course}/adherence/?start=2026-13-01", "physician", None, "start"),
])
def test_bad_values_in_changes_are_refused_by_name(cast, api, path, who, body, field):
    ids = {"course": cast.course.pk, "patient": cast.patient.pk, "nurse": cast.nurse.pk,
           "other_patient": cast.other_patient.pk, "patient_user": cast.patient_user.pk}
    client = api(cast.user(who))
    before = stored_rows()
    if body is None:
        response = client.get(path.format(**ids))
    else:
        body = {key: value.format(**ids) for key, value in body.items()}
        method = client.post if path.endswith("care-team/") else client.patch
        response = method(path.format(**ids), body, format="json")
    assert_problem(response, 400, field)
    assert stored_rows() == before


# --- Times -----------------------------------------------------------------------------------------
TIME_FIELDS = {"application": "applied_at", "symptom": "recorded_at", "debridement": "performed_at"}


@pytest.mark.parametrize("kind", list(TIME_FIELDS))
def test_a_time_more_than_ten_minutes_ahead_is_refused_and_ten_minutes_is_not(cast, api, kind):
    path, who = CREATE[kind]
    field = TIME_FIELDS[kind]
    client = api(cast.user(who))
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        before = stored_rows()
        ahead = now + dt.timedelta(minutes=10, seconds=1)
        refused = client.post(path, {**valid_body(kind, cast), field: ahead.isoformat()},
                              format="json")
        assert_problem(refused, 400, field)
        assert stored_rows() == before
        # The same instant written with the patient's offset is just as far ahead.
        denver = ahead.astimezone(dt.timezone(dt.timedelta(hours=-7)))
        assert_problem(client.post(path, {**valid_body(kind, cast), field: denver.isoformat()},
                                   format="json"), 400, field)
        edge = (now + dt.timedelta(minutes=10)).isoformat()
        accepted = client.post(path, {**valid_body(kind, cast), field: edge}, format="json")
        assert accepted.status_code == 201, accepted.content


@pytest.mark.parametrize("kind", ["application", "symptom"])
def test_a_time_before_the_course_started_is_refused(cast, api, kind):
    path, who = CREATE[kind]
    field = TIME_FIELDS[kind]
    before = stored_rows()
    response = api(cast.user(who)).post(path, {**valid_body(kind, cast), field: ago(days=60)},
                                        format="json")
    assert_problem(response, 400, field)
    assert stored_rows() == before


# --- The course a record is for ------------------------------------------------------------------
@pytest.mark.parametrize("status", ["paused", "stopped", "completed"])
@pytest.mark.parametrize("kind", list(TIME_FIELDS))
def test_a_record_for_a_course_that_is_not_active_is_refused(cast, api, kind, status):
    changed = api(cast.physician).patch(f"/api/v1/courses/{cast.course.pk}/", {"status": status},
                                        format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["status"] == status
    path, who = CREATE[kind]
    before = stored_rows()
    body = assert_problem(api(cast.user(who)).post(path, valid_body(kind, cast), format="json"),
                          400, "course")
    assert status in " ".join(body["errors"]["course"])
    assert stored_rows() == before


@pytest.mark.parametrize("kind", list(TIME_FIELDS))
def test_a_record_for_another_patients_course_looks_like_an_unknown_course(cast, api, kind):
    path, who = CREATE[kind]
    client = api(cast.user(who))
    before = stored_rows()
    foreign = client.post(path, {**valid_body(kind, cast), "course": str(cast.other_course.pk)},
                          format="json")
    unknown = client.post(path, {**valid_body(kind, cast), "course": str(uuid.uuid4())},
                          format="json")
    foreign_body = assert_problem(foreign, 400, "course")
    assert foreign_body == assert_problem(unknown, 400, "course")
    assert str(cast.other_course.pk) not in foreign.content.decode()
    assert stored_rows() == before


def test_a_course_for_a_patient_the_physician_does_not_care_for_looks_like_an_unknown_patient(
        cast, api):
    client = api(cast.physician)
    before = stored_rows()
    foreign = client.post("/api/v1/courses/", {**valid_body("course", cast),
                                               "patient": str(cast.other_patient.pk)}, format="json")
    unknown = client.post("/api/v1/courses/", {**valid_body("course", cast),
                                               "patient": str(uuid.uuid4())}, format="json")
    assert assert_problem(foreign, 400, "patient") == assert_problem(unknown, 400, "patient")
    assert stored_rows() == before


# --- The body itself --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(CREATE))
@pytest.mark.parametrize("raw", ['{"course": ', "{'single': 'quotes'}", '{"a": 1} trailing'])
def test_malformed_json_is_refused(cast, api, kind, raw):
    path, who = CREATE[kind]
    before = stored_rows()
    response = api(cast.user(who)).generic("POST", path, raw.encode(), "application/json")
    assert_problem(response, 400, "body")
    assert stored_rows() == before


@pytest.mark.parametrize("kind", list(CREATE))
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data"])
def test_a_body_that_is_not_json_is_unsupported_media(cast, api, kind, content_type):
    path, who = CREATE[kind]
    before = stored_rows()
    if content_type == "multipart/form-data":
        flat = {k: v for k, v in valid_body(kind, cast).items() if not isinstance(v, dict)}
        response = api(cast.user(who)).post(path, flat, format="multipart")
    else:
        raw = "&".join(f"{k}={v}" for k, v in valid_body(kind, cast).items())
        response = api(cast.user(who)).generic("POST", path, raw.encode(), content_type)
    assert_problem(response, 415)
    assert stored_rows() == before


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_body_over_the_json_cap_is_too_large(cast, api, kind):
    path, who = CREATE[kind]
    body = {**valid_body(kind, cast), "notes": "x" * settings.TEND_MAX_JSON_BYTES}
    before = stored_rows()
    response = api(cast.user(who)).post(path, body, format="json")
    assert_problem(response, 413)
    assert stored_rows() == before


def test_a_long_field_under_the_cap_is_a_field_error_not_a_413(cast, api):
    body = {**valid_body("application", cast), "notes": "x" * (settings.TEND_MAX_JSON_BYTES // 2)}
    before = stored_rows()
    assert_problem(api(cast.patient_user).post("/api/v1/applications/", body, format="json"),
                   400, "notes")
    assert stored_rows() == before


@pytest.mark.parametrize("kind", list(CREATE))
@pytest.mark.parametrize("raw", ['[{"course": "x"}]', '"x"', "42", "null"])
def test_a_body_that_is_not_an_object_is_refused(cast, api, kind, raw):
    path, who = CREATE[kind]
    before = stored_rows()
    response = api(cast.user(who)).generic("POST", path, raw.encode(), "application/json")
    assert_problem(response, 400, "body")
    assert stored_rows() == before


@pytest.mark.parametrize(("kind", "field"), [
    (kind, field) for kind in CREATE
    for field in ("patient", "recorded_by", "created_at", "entered_in_error_at", "favourite_colour")
    if (kind, field) != ("course", "patient")
])
def test_an_unknown_or_read_only_field_is_refused_by_name(cast, api, kind, field):
    path, who = CREATE[kind]
    body = valid_body(kind, cast)
    before = stored_rows()
    response = api(cast.user(who)).post(path, {**body, field: "x"}, format="json")
    assert_problem(response, 400, field)
    assert stored_rows() == before


@pytest.mark.parametrize(("raw", "field"), [
    (b'{"course": "%s", "applied_at": "2026-01-01T00:00:00Z", "status": "applied", '
     b'"notes": "\\ud800"}', "body"),  # valid JSON, not Unicode: no database can store it
    (("[" * 50_000 + "]" * 50_000).encode(), "body"),  # deeper than the parser can recurse
    (b'{"course": "%s", "applied_at": "0001-01-01T00:00:00+14:00", "status": "applied"}',
     "applied_at"),  # a time before year 1 in UTC
    (b'{"course": "%s", "applied_at": "9999-12-31T23:59:59-14:00", "status": "applied"}',
     "applied_at"),  # a time after year 9999 in UTC
])
def test_json_that_would_crash_a_view_is_a_400(cast, api, raw, field):
    before = stored_rows()
    body = raw.replace(b"%s", str(cast.course.pk).encode())
    response = api(cast.patient_user).generic("POST", "/api/v1/applications/", body,
                                               "application/json")
    assert_problem(response, 400, field)
    assert stored_rows() == before


@pytest.mark.parametrize("junk", ["%00", "x" * 200, "%F0%9F%98%80" * 30])
def test_junk_in_the_address_is_a_404_and_still_audited(cast, api, junk):
    before = AuditEvent.objects.count()
    response = api(cast.physician).get(f"/api/v1/courses/{junk}/")
    assert_problem(response, 404)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-at").first()
    assert event.outcome == "denied" and "\x00" not in event.object_id + event.path


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_an_unknown_format_is_a_404_in_problem_details_even_where_the_page_is_not_json(api, path):
    assert_problem(api().get(path, {"format": "xml"}), 404)


# --- Django's own 404 and 405 -----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/nope", "/api/v1/", "/api/v1/courses/x/y/z/"])
def test_an_unknown_address_answers_problem_details(cast, api, path):
    assert_problem(api(cast.physician).get(path), 404)
    assert_problem(api().get(path), 404)


@pytest.fixture
def application(cast: Any) -> Application:
    record, _ = records.record_create(
        kind=records.APPLICATION, recorded_by=cast.patient_user, course=cast.course,
        data={"applied_at": timezone.now() - dt.timedelta(hours=2), "status": "applied"})
    return record  # type: ignore[return-value]


@pytest.mark.parametrize(("method", "path", "who"), [
    ("DELETE", "/api/v1/applications/{application}/", "patient_user"),
    ("PUT", "/api/v1/applications/{application}/", "patient_user"),
    ("PUT", "/api/v1/courses/{course}/", "physician"),
    ("DELETE", "/api/v1/courses/{course}/", "physician"),
    ("DELETE", "/api/v1/patients/{patient}/", "physician"),
    ("GET", "/api/v1/auth/token/", "physician"),
    ("PUT", "/api/v1/me/", "physician"),
    ("POST", "/api/v1/audit-events/", "admin"),
    ("POST", "/healthz", "physician"),
])
def test_a_method_the_address_does_not_take_answers_405_problem_details(cast, api, application,
                                                                        method, path, who):
    path = path.format(application=application.pk, course=cast.course.pk, patient=cast.patient.pk)
    before = stored_rows()
    response = api(cast.user(who)).generic(method, path, b"{}", "application/json")
    assert_problem(response, 405)
    assert response["Allow"]
    assert method not in response["Allow"]
    assert stored_rows() == before
    assert Application.objects.filter(pk=application.pk).exists()


# --- Junk everywhere: never a 5xx ----------------------------------------------------------------
def _deep(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


# Each kind of junk once: every request costs a few database round trips, and there are many.
RAW_JUNK = [
    b"{}", b"[]", b'"x"', b"null", b"-1e999", b"", b"{bad json", b"\xff\xfe\x00",
    b'{"x": "\\ud800"}', b'{"\\u0000": 1}',
    ("[" * 100_000 + "]" * 100_000).encode(), _deep(20_000).encode(),
    json.dumps({"notes": "x" * 200_000}).encode(), json.dumps([{"a": 1}] * 1000).encode(),
]
# Every field of the endpoint gets the same wrong value at once.
WRONG_VALUES: list[Any] = [
    None, True, -1, 1.5, 10**40, "", "x" * 5000, "\x00", "\ud800", [], {"a": {"b": [None]}},
    "not-a-uuid", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31",
    "2026-02-30",
]
JUNK_QUERIES: list[dict[str, str]] = [
    {name: value for name in ("page", "page_size", "course", "patient", "status", "start", "end",
                              "since", "until", "actor", "ordering")}
    for value in ("x", "-1", "99999999999999999999999", "\x00", "0001-01-01",
                  "0001-01-01T00:00:00+14:00", "x" * 3000)
] + [{"start": "0001-01-01", "end": "0001-01-02"}, {"start": "9999-12-31"},
     {"start": "2026-01-10", "end": "2026-01-01"}, {"page": "999999"}, {"format": "xml"}]

JUNK_IDS = ["not-a-uuid", "%00", "x" * 200, str(uuid.uuid4())]

# Who sends junk to an address: a user allowed there, so that the junk gets past the role check.
SENDER_BY_PREFIX = {
    "api/v1/staff/": "admin", "api/v1/audit-events/": "admin",
    "api/v1/applications/": "patient_user", "api/v1/symptoms/": "patient_user",
    "api/v1/auth/": "patient_user", "api/v1/me/": "patient_user",
    "api/v1/debridements/": "nurse", "api/v1/photos/": "nurse", "api/v1/review-queue/": "nurse",
    "api/v1/alerts/": "nurse", "api/v1/patients/": "physician",
}


def _route(prefix: str, pattern: Any) -> str:
    text = str(pattern.pattern).lstrip("^").rstrip("$")
    return prefix + re.sub(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>",
                           lambda m: "{%s}" % (m.group(1) or m.group(2)), text)


def every_endpoint() -> list[tuple[str, str, Any]]:
    """(method, route, view class or None) for every address Tend answers, admin aside."""
    found: list[tuple[str, str, Any]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, _route(prefix, pattern))
                continue
            route = _route(prefix, pattern)
            if route.startswith("admin/"):
                continue
            callback = pattern.callback
            view = getattr(callback, "cls", None)
            if getattr(callback, "actions", None):
                methods = list(callback.actions)
            elif view is not None:
                methods = [m for m in view.http_method_names
                           if m not in ("head", "options") and hasattr(view, m)]
            else:
                methods = ["get"]
            found.extend((method.upper(), "/" + route, view) for method in methods)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found), key=lambda e: (e[1], e[0]))


ENDPOINTS = every_endpoint()


def test_the_sweep_reaches_every_contract_endpoint():
    routes = {(method, route) for method, route, _ in ENDPOINTS}
    for expected in [("POST", "/api/v1/auth/token/"), ("GET", "/api/v1/me/"),
                     ("POST", "/api/v1/applications/"), ("PATCH", "/api/v1/courses/{pk}/"),
                     ("POST", "/api/v1/symptoms/{pk}/entered-in-error/"),
                     ("GET", "/api/v1/courses/{pk}/adherence/"), ("GET", "/healthz"),
                     ("GET", "/api/v1/audit-events/"), ("POST", "/api/v1/patients/{pk}/care-team/")]:
        assert expected in routes
    assert not any(method == "DELETE" and "applications" in route for method, route in routes)


@pytest.fixture(scope="module")
def request_fields(django_db_setup: None, django_db_blocker: Any) -> dict[tuple[str, str], Any]:
    """(method, route) -> the names of the fields its request body takes, from the schema."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    components = schema["components"]["schemas"]
    fields: dict[tuple[str, str], Any] = {}
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            names: set[str] = set()
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                names |= set(components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            fields[(method.upper(), route.replace("{id}", "{pk}"))] = (
                tuple(sorted(names)), "multipart/form-data" in content)
    return fields


@pytest.fixture
def seen(cast: Any) -> dict[type, str]:
    """One object of each kind the junk senders may see, by model."""
    made: dict[type, str] = {
        TreatmentCourse: str(cast.course.pk), Patient: str(cast.patient.pk),
        User: str(cast.nurse.pk),
    }
    for kind, recorder, data in (
        (records.APPLICATION, cast.patient_user,
         {"applied_at": timezone.now() - dt.timedelta(hours=3), "status": "applied"}),
        (records.SYMPTOM, cast.patient_user,
         {"recorded_at": timezone.now() - dt.timedelta(hours=3), "pain": 4, "itch": 3,
          "fever": True}),
        (records.DEBRIDEMENT, cast.nurse,
         {"performed_at": timezone.now() - dt.timedelta(hours=3), "method": "sharp"}),
    ):
        record, _ = records.record_create(kind=kind, recorded_by=recorder, course=cast.course,
                                          data=data)
        made[kind.model] = str(record.pk)
    photo, _ = photos.photo_upload(course=cast.course, uploaded_by=cast.nurse,
                                   data=phone_jpeg(64, 48), taken_at=timezone.now())
    report, _ = reports.report_request(course=cast.course, requested_by=cast.physician)
    return {**made, type(photo): str(photo.pk), type(report): str(report.pk)}


def _object_id(view: Any, seen: dict[type, str]) -> str:
    model = getattr(view, "model", None)
    if model is None and view is not None and getattr(view, "queryset", None) is not None:
        model = view.queryset.model
    if model is None and view is not None and "Staff" in view.__name__:
        model = User
    if model in seen:
        return seen[model]
    obj = model.objects.order_by("pk").first() if model is not None else None
    return str(obj.pk) if obj is not None else str(uuid.uuid4())


def _bodies(fields: tuple[str, ...]) -> list[bytes]:
    bodies = list(RAW_JUNK)
    for value in WRONG_VALUES:
        bodies.append(json.dumps({name: value for name in fields or ("x",)}).encode())
    return bodies


def _send(client: Any, method: str, path: str, what: str, problems: dict[str, str], **kwargs: Any
          ) -> None:
    """One request in its own savepoint, so that a broken one cannot spoil the next."""
    try:
        with transaction.atomic():
            response = client.generic(method, path, **kwargs)
    except Exception as exc:  # noqa: BLE001  (collected: the test reports every kind of crash)
        problems.setdefault(f"{type(exc).__name__}: {str(exc)[:160]}", what)
        return
    status = response.status_code
    if status >= 500:
        problems.setdefault(f"status {status}", what)
    elif status >= 400:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
        if response["Content-Type"] != PROBLEM or body.get("status") != status or not {
                "type", "title", "detail"} <= set(body):
            problems.setdefault(f"{status} without problem details", what)


def _multipart_bodies(fields: tuple[str, ...]) -> list[dict[str, Any]]:
    def junk_file() -> SimpleUploadedFile:
        return SimpleUploadedFile("junk.jpg", b"\xff\xd8\xff not really a jpeg", "image/jpeg")

    bodies: list[dict[str, Any]] = [{}]
    for value in ("", "x", "-1", "not-a-uuid", "0001-01-01T00:00:00+14:00", "x" * 5000, "\x00"):
        bodies.append({name: junk_file() if name == "image" else value for name in fields})
    return bodies


@pytest.mark.parametrize(("method", "path", "view"), ENDPOINTS,
                         ids=[f"{method} {path}" for method, path, _ in ENDPOINTS])
def test_junk_to_every_endpoint_never_gets_a_server_error(cast, api, seen, request_fields,
                                                          method, path, view):
    who = next((user for prefix, user in SENDER_BY_PREFIX.items() if path.startswith("/" + prefix)),
               "physician")
    client = api(cast.user(who))
    fields, multipart = request_fields.get((method, path), ((), False))
    problems: dict[str, str] = {}  # what went wrong -> the first request it went wrong for
    address = path.format(pk=_object_id(view, seen))
    if method == "GET":
        # Outside the API (schema, docs, health) only a few: the schema takes a second to build.
        for query in JUNK_QUERIES if path.startswith("/api/v1/") else JUNK_QUERIES[-3:]:
            _send(client, "GET", f"{address}?{urlencode(query)}", f"GET {address} {query}"[:200],
                  problems)
    else:
        for body in _bodies(fields):
            _send(client, method, address, f"{method} {address} {body[:80]!r}", problems,
                  data=body, content_type="application/json")
            client.force_authenticate(cast.user(who))  # signing out must not end the sweep
        for content_type in ("text/plain", "multipart/form-data; boundary=x"):
            _send(client, method, address, f"{method} {address} as {content_type}", problems,
                  data=b"a=1&b=%00", content_type=content_type)
        if multipart:
            for form in _multipart_bodies(fields):
                _send(client, method, address, f"{method} {address} multipart {list(form)}",
                      problems, data=encode_multipart(BOUNDARY, form),
                      content_type=MULTIPART_CONTENT)
    # Junk in the address: the body does not matter there.
    if "{pk}" in path:
        for junk in JUNK_IDS:
            junk_address = path.format(pk=junk)
            _send(client, method, junk_address, f"{method} {junk_address}", problems,
                  data=b"{}", content_type="application/json")
    assert not problems, "\n".join(f"{problem}\n    first seen on: {what}"
                                    for problem, what in problems.items())
