"""Staff, patients, care teams and activation codes, through the API with real bearer tokens.

Also two rules that hold for every endpoint: writable fields are an explicit list, and every list is
paginated with its page size capped.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, assert_problem
from tracker import clock
from tracker.models import (
    ActivationCode,
    Application,
    AuditEvent,
    CareTeamMembership,
    Debridement,
    Patient,
    RecordVersion,
    Role,
    SymptomEntry,
    TreatmentCourse,
    User,
)
from tracker.services import people, records

NEW_PASSWORD = "lavender-teapot-on-the-porch"
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


# --- Helpers --------------------------------------------------------------------------------------
@pytest.fixture
def client_for(cast: Any) -> Callable[[str], APIClient]:
    """client_for("nurse") -> an APIClient signed in with a bearer token from POST /auth/token/."""

    def make(who: str) -> APIClient:
        username = cast.user(who).username
        response = APIClient().post("/api/v1/auth/token/", {"username": username,
                                                             "password": PASSWORD}, format="json")
        assert response.status_code == 200, response.content
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
        return client

    return make



_TRACKED = (User, Patient, CareTeamMembership, ActivationCode, TreatmentCourse, Application,
            SymptomEntry, Debridement, RecordVersion)


def stored() -> dict[str, list[dict[str, Any]]]:
    """Every row that a people or records request could change."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in _TRACKED}


def staff_body(**overrides: Any) -> dict[str, Any]:
    return {"username": "new.nurse", "password": NEW_PASSWORD, "role": "nurse",
            "display_name": "Noor Nasser, RN", **overrides}


def patient_body(**overrides: Any) -> dict[str, Any]:
    return {"display_name": "Ada Quinn", "birth_year": 1944, "timezone": "America/Chicago",
            "language": "es", **overrides}


def activate(code: str, username: str = "ada") -> Any:
    return APIClient().post("/api/v1/auth/activate/", {"activation_code": code, "username": username,
                                                       "password": NEW_PASSWORD}, format="json")


# --- Staff ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_an_admin_creates_staff(cast, client_for, role):
    response = client_for("admin").post("/api/v1/staff/", staff_body(role=role), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="new.nurse")
    assert body == {"id": str(user.pk), "username": "new.nurse", "role": role,
                    "display_name": "Noor Nasser, RN", "email": "", "is_active": True}
    assert user.role == role and not user.is_superuser and not user.is_staff
    assert user.password != NEW_PASSWORD and user.check_password(NEW_PASSWORD)
    login = APIClient().post("/api/v1/auth/token/", {"username": "new.nurse",
                                                     "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200
    assert login.json()["user"]["role"] == role


def test_staff_have_an_email_for_alert_notices(cast, client_for):
    admin = client_for("admin")
    created = admin.post("/api/v1/staff/", staff_body(email="noor@clinic.example.org"),
                         format="json")
    assert created.status_code == 201, created.content
    assert created.json()["email"] == "noor@clinic.example.org"
    changed = admin.patch(f"/api/v1/staff/{created.json()['id']}/", {"email": "n.nasser@clinic.example.org"},
                          format="json")
    assert changed.json()["email"] == "n.nasser@clinic.example.org"
    assert_problem(admin.patch(f"/api/v1/staff/{created.json()['id']}/", {"email": "not an address"},
                               format="json"), 400, "email")
    assert User.objects.get(pk=created.json()["id"]).email == "n.nasser@clinic.example.org"
    assert_problem(admin.post("/api/v1/staff/", staff_body(username="other", email="x@"),
                              format="json"), 400, "email")


@pytest.mark.parametrize("who", ["physician", "nurse", "patient_user"])
def test_only_an_admin_creates_staff(cast, client_for, who):
    before = User.objects.count()
    response = client_for(who).post("/api/v1/staff/", staff_body(), format="json")
    assert_problem(response, 403)
    assert User.objects.count() == before


def test_anonymous_staff_creation_is_401(cast):
    assert_problem(APIClient().post("/api/v1/staff/", staff_body(), format="json"), 401)
    assert not User.objects.filter(username="new.nurse").exists()


@pytest.mark.parametrize("password", [
    "short-1",  # under 10 characters
    "12345678901234",  # all digits
    "qwertyuiop",  # a common password
    "new.nurse.2",  # too like the username
])
def test_staff_passwords_go_through_the_validators(cast, client_for, password):
    before = User.objects.count()
    response = client_for("admin").post("/api/v1/staff/", staff_body(password=password), format="json")
    assert_problem(response, 400, "password")
    assert User.objects.count() == before


@pytest.mark.parametrize("role", ["admin", "patient", "surgeon", "", None])
def test_staff_role_must_be_nurse_or_physician(cast, client_for, role):
    before = User.objects.count()
    response = client_for("admin").post("/api/v1/staff/", staff_body(role=role), format="json")
    assert_problem(response, 400, "role")
    assert User.objects.count() == before


@pytest.mark.parametrize("username", ["nurse", "NURSE", "helen", "admin"])
def test_a_taken_username_is_refused(cast, client_for, username):
    before = stored()["User"]
    response = client_for("admin").post("/api/v1/staff/", staff_body(username=username),
                                        format="json")
    assert_problem(response, 400, "username")
    assert stored()["User"] == before


@pytest.mark.parametrize("username", ["has space", "semi;colon", "x" * 151, ""])
def test_a_malformed_username_is_refused(cast, client_for, username):
    before = User.objects.count()
    response = client_for("admin").post("/api/v1/staff/", staff_body(username=username),
                                        format="json")
    assert_problem(response, 400, "username")
    assert User.objects.count() == before


def test_the_admin_sees_the_whole_staff_directory(cast, client_for):
    people.user_deactivate(user=cast.other_nurse)
    response = client_for("admin").get("/api/v1/staff/")
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["results"]}
    assert set(rows) == {"nurse", "other_nurse", "other_physician", "physician"}
    assert rows["other_nurse"]["is_active"] is False
    assert rows["physician"] == {"id": str(cast.physician.pk), "username": "physician",
                                 "role": "physician", "display_name": "Physician",
                                 "email": "", "is_active": True}


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_staff_see_the_active_staff_directory(cast, client_for, who):
    people.user_deactivate(user=cast.other_nurse)
    response = client_for(who).get("/api/v1/staff/")
    assert response.status_code == 200
    names = [row["username"] for row in response.json()["results"]]
    assert names == ["nurse", "other_physician", "physician"]


def test_a_patient_may_not_read_the_staff_directory(cast, client_for):
    response = client_for("patient_user").get("/api/v1/staff/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("who", "status"), [
    ("nurse", 403), ("physician", 403),  # they read the directory, they do not manage it
    ("patient_user", 403),  # the directory is for staff
])
def test_only_an_admin_changes_staff(cast, client_for, who, status):
    before = stored()
    response = client_for(who).patch(f"/api/v1/staff/{cast.other_nurse.pk}/", {"is_active": False},
                                     format="json")
    assert_problem(response, status)
    assert stored() == before


# --- Patients -------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_staff_register_a_patient_and_join_the_care_team(cast, client_for, who):
    creator = cast.user(who)
    client = client_for(who)
    response = client.post("/api/v1/patients/", patient_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert (patient.display_name, patient.birth_year, patient.timezone, patient.language) == (
        "Ada Quinn", 1944, "America/Chicago", "es")
    assert patient.user is None and patient.created_by == creator
    assert body["care_team"] == [{"id": str(creator.pk), "display_name": creator.display_name,
                                  "role": who}]
    assert body["activated"] is False
    assert CODE.fullmatch(body["activation_code"])
    # The code is in that one answer only.
    detail = client.get(f"/api/v1/patients/{patient.pk}/")
    assert detail.status_code == 200
    assert "activation_code" not in detail.json()
    listed = client.get("/api/v1/patients/").json()["results"]
    assert all("activation_code" not in row for row in listed)
    assert body["activation_code"] not in detail.content.decode()
    # And only the creator's team sees the new patient.
    other = client_for("other_nurse").get(f"/api/v1/patients/{patient.pk}/")
    assert_problem(other, 404)


@pytest.mark.parametrize("who", ["admin", "patient_user"])
def test_only_nurses_and_physicians_register_patients(cast, client_for, who):
    before = stored()
    assert_problem(client_for(who).post("/api/v1/patients/", patient_body(), format="json"), 403)
    assert stored() == before


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", "America/Denverr"),
    ("timezone", "america/denver"),
    ("timezone", "+02:00"),
    ("timezone", ""),
    ("timezone", None),
    ("language", "fr"),
    ("language", "EN"),
    ("language", ""),
    ("birth_year", 1899),
    ("birth_year", 2027),
    ("birth_year", "1946"),
    ("birth_year", 1946.5),
    ("birth_year", True),
    ("birth_year", None),
    ("display_name", ""),
    ("display_name", "x" * 121),
])
def test_bad_patient_fields_are_refused_by_name(cast, client_for, field, value):
    before = stored()
    with time_machine.travel(dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC), tick=False):
        response = client_for("nurse").post("/api/v1/patients/", patient_body(**{field: value}),
                                            format="json")
    assert_problem(response, 400, field)
    assert stored() == before


@pytest.mark.parametrize("field", ["timezone", "language", "birth_year", "display_name"])
def test_missing_patient_fields_are_refused_by_name(cast, client_for, field):
    body = patient_body()
    del body[field]
    before = stored()
    assert_problem(client_for("physician").post("/api/v1/patients/", body, format="json"), 400, field)
    assert stored() == before


def test_a_patient_sees_only_themself(cast, client_for):
    client = client_for("patient_user")
    listed = client.get("/api/v1/patients/").json()
    assert [row["id"] for row in listed["results"]] == [str(cast.patient.pk)]
    assert client.get(f"/api/v1/patients/{cast.patient.pk}/").json()["activated"] is True
    assert_problem(client.get(f"/api/v1/patients/{cast.other_patient.pk}/"), 404)


# --- Care team ------------------------------------------------------------------------------------
def care_team_url(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.pk}/care-team/"


def test_a_physician_on_the_team_adds_a_member(cast, client_for):
    response = client_for("physician").post(care_team_url(cast.patient),
                                            {"staff_id": str(cast.other_nurse.pk)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"id": str(cast.other_nurse.pk), "display_name": "Other_Nurse",
                               "role": "nurse"}
    membership = CareTeamMembership.objects.get(patient=cast.patient, staff=cast.other_nurse)
    assert membership.added_by == cast.physician
    # The new member now sees the patient.
    seen = client_for("other_nurse").get(f"/api/v1/patients/{cast.patient.pk}/")
    assert seen.status_code == 200
    assert str(cast.other_nurse.pk) in {row["id"] for row in seen.json()["care_team"]}


@pytest.mark.parametrize(("who", "status"), [
    ("nurse", 403),  # on the team, but only a physician adds members
    ("patient_user", 403),  # sees herself, may not change her team
    ("other_physician", 404),  # not on the team: the patient does not exist for them
    ("admin", 404),  # administrators see no clinical record
])
def test_others_may_not_add_to_the_care_team(cast, client_for, who, status):
    before = stored()
    response = client_for(who).post(care_team_url(cast.patient),
                                    {"staff_id": str(cast.other_nurse.pk)}, format="json")
    assert_problem(response, status)
    assert stored() == before


def test_adding_a_member_twice_is_a_conflict(cast, client_for):
    before = stored()
    response = client_for("physician").post(care_team_url(cast.patient),
                                            {"staff_id": str(cast.nurse.pk)}, format="json")
    assert_problem(response, 409)
    assert stored() == before


@pytest.mark.parametrize("staff_id", [
    lambda c: str(uuid.uuid4()),  # nobody
    lambda c: str(c.other_patient_user.pk),  # a patient
    lambda c: str(c.admin.pk),  # an administrator is not care staff
    lambda c: "not-a-uuid",
    lambda c: None,
])
def test_the_staff_id_must_name_an_active_nurse_or_physician(cast, client_for, staff_id):
    before = stored()
    response = client_for("physician").post(care_team_url(cast.patient),
                                            {"staff_id": staff_id(cast)}, format="json")
    assert_problem(response, 400, "staff_id")
    assert stored() == before


def test_a_deactivated_staff_member_cannot_join_a_team(cast, client_for):
    people.user_deactivate(user=cast.other_nurse)
    response = client_for("physician").post(care_team_url(cast.patient),
                                            {"staff_id": str(cast.other_nurse.pk)}, format="json")
    assert_problem(response, 400, "staff_id")
    assert not CareTeamMembership.objects.filter(staff=cast.other_nurse, patient=cast.patient).exists()


# --- New activation code --------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_a_lost_code_is_replaced_and_the_old_one_stops_working(cast, client_for, who):
    client = client_for(who)
    created = client.post("/api/v1/patients/", patient_body(), format="json").json()
    response = client.post(f"/api/v1/patients/{created['id']}/activation-code/")
    assert response.status_code == 201, response.content
    new_code = response.json()["activation_code"]
    assert CODE.fullmatch(new_code) and new_code != created["activation_code"]
    assert_problem(activate(created["activation_code"]), 400, "activation_code")
    assert activate(new_code).status_code == 201
    assert Patient.objects.get(pk=created["id"]).user.username == "ada"


def test_an_activated_patient_gets_no_new_code(cast, client_for):
    before = stored()
    response = client_for("nurse").post(f"/api/v1/patients/{cast.patient.pk}/activation-code/")
    assert_problem(response, 409)
    assert stored() == before


@pytest.mark.parametrize(("who", "status"), [
    ("other_nurse", 404), ("admin", 404), ("other_patient_user", 404),
])
def test_only_the_care_team_issues_a_new_code(cast, client_for, who, status):
    patient, _ = people.patient_create(created_by=cast.nurse, display_name="Ada Quinn",
                                       birth_year=1944, timezone_name="UTC", language="en")
    before = stored()
    response = client_for(who).post(f"/api/v1/patients/{patient.pk}/activation-code/")
    assert_problem(response, status)
    assert stored() == before


# --- Writable fields are an explicit list ---------------------------------------------------------
def _application(c: Any) -> Application:
    record, _ = records.record_create(kind=records.APPLICATION, recorded_by=c.patient_user,
                                      course=c.course, data={
                                          "applied_at": timezone.now() - dt.timedelta(hours=1),
                                          "status": "applied"})
    return record  # type: ignore[return-value]


def _now() -> str:
    return timezone.now().isoformat()


def _course_body(c: Any) -> dict[str, Any]:
    return {"patient": str(c.patient.pk), "medication": "Sodium thiosulfate",
            "concentration_percent": "10.00", "vehicle": "Oil-in-water emulsion",
            "body_site": "Right calf", "applications_per_day": 1,
            "start_date": clock.today_in(c.patient.timezone).isoformat(), "instructions": "",
            "previous_course": {"id": str(c.course.pk), "status": "completed"}}


# (who, method, path(cast, application), valid body(cast), forbidden field, its value(cast))
WRITES: dict[str, tuple[str, str, Callable[..., str], Callable[[Any], dict[str, Any]], str,
                        Callable[[Any], Any]]] = {
    "staff create is_superuser": (
        "admin", "post", lambda c, a: "/api/v1/staff/", lambda c: staff_body(),
        "is_superuser", lambda c: True),
    "staff create is_staff": (
        "admin", "post", lambda c, a: "/api/v1/staff/", lambda c: staff_body(),
        "is_staff", lambda c: True),
    "staff create id": (
        "admin", "post", lambda c, a: "/api/v1/staff/", lambda c: staff_body(),
        "id", lambda c: str(uuid.uuid4())),
    "staff update role": (
        "admin", "patch", lambda c, a: f"/api/v1/staff/{c.nurse.pk}/",
        lambda c: {"display_name": "Renamed"}, "role", lambda c: "physician"),
    "staff update is_superuser": (
        "admin", "patch", lambda c, a: f"/api/v1/staff/{c.nurse.pk}/",
        lambda c: {"display_name": "Renamed"}, "is_superuser", lambda c: True),
    "staff update username": (
        "admin", "patch", lambda c, a: f"/api/v1/staff/{c.nurse.pk}/",
        lambda c: {"display_name": "Renamed"}, "username", lambda c: "nurse2"),
    "staff update password": (
        "admin", "patch", lambda c, a: f"/api/v1/staff/{c.nurse.pk}/",
        lambda c: {"display_name": "Renamed"}, "password", lambda c: NEW_PASSWORD),
    "patient create created_at": (
        "nurse", "post", lambda c, a: "/api/v1/patients/", lambda c: patient_body(),
        "created_at", lambda c: "2020-01-01T00:00:00Z"),
    "patient create created_by": (
        "nurse", "post", lambda c, a: "/api/v1/patients/", lambda c: patient_body(),
        "created_by", lambda c: str(c.other_nurse.pk)),
    "patient create user": (
        "nurse", "post", lambda c, a: "/api/v1/patients/", lambda c: patient_body(),
        "user", lambda c: str(c.other_patient_user.pk)),
    "patient create care_team": (
        "nurse", "post", lambda c, a: "/api/v1/patients/", lambda c: patient_body(),
        "care_team", lambda c: [str(c.other_nurse.pk)]),
    "patient create role": (
        "nurse", "post", lambda c, a: "/api/v1/patients/", lambda c: patient_body(),
        "role", lambda c: "admin"),
    "patient update created_at": (
        "physician", "patch", lambda c, a: f"/api/v1/patients/{c.patient.pk}/",
        lambda c: {"language": "es"}, "created_at", lambda c: "2020-01-01T00:00:00Z"),
    "patient update user": (
        "physician", "patch", lambda c, a: f"/api/v1/patients/{c.patient.pk}/",
        lambda c: {"language": "es"}, "user", lambda c: str(c.other_patient_user.pk)),
    "course create prescribed_by": (
        "physician", "post", lambda c, a: "/api/v1/courses/", _course_body,
        "prescribed_by", lambda c: str(c.other_physician.pk)),
    "course create status": (
        "physician", "post", lambda c, a: "/api/v1/courses/", _course_body,
        "status", lambda c: "completed"),
    "course create created_at": (
        "physician", "post", lambda c, a: "/api/v1/courses/", _course_body,
        "created_at", lambda c: "2020-01-01T00:00:00Z"),
    "course update patient": (
        "physician", "patch", lambda c, a: f"/api/v1/courses/{c.course.pk}/",
        lambda c: {"instructions": "Twice a week."}, "patient", lambda c: str(c.other_patient.pk)),
    "course update version": (
        "physician", "patch", lambda c, a: f"/api/v1/courses/{c.course.pk}/",
        lambda c: {"instructions": "Twice a week."}, "version", lambda c: 9),
    "application create patient": (
        "patient_user", "post", lambda c, a: "/api/v1/applications/",
        lambda c: {"course": str(c.course.pk), "applied_at": _now(), "status": "applied"},
        "patient", lambda c: str(c.other_patient.pk)),
    "application create recorded_by": (
        "patient_user", "post", lambda c, a: "/api/v1/applications/",
        lambda c: {"course": str(c.course.pk), "applied_at": _now(), "status": "applied"},
        "recorded_by", lambda c: str(c.nurse.pk)),
    "application create created_at": (
        "patient_user", "post", lambda c, a: "/api/v1/applications/",
        lambda c: {"course": str(c.course.pk), "applied_at": _now(), "status": "applied"},
        "created_at", lambda c: "2020-01-01T00:00:00Z"),
    "application create local_date": (
        "patient_user", "post", lambda c, a: "/api/v1/applications/",
        lambda c: {"course": str(c.course.pk), "applied_at": _now(), "status": "applied"},
        "local_date", lambda c: "2020-01-01"),
    "application create entered_in_error_at": (
        "patient_user", "post", lambda c, a: "/api/v1/applications/",
        lambda c: {"course": str(c.course.pk), "applied_at": _now(), "status": "applied"},
        "entered_in_error_at", lambda c: _now()),
    "application update recorded_by": (
        "patient_user", "patch", lambda c, a: f"/api/v1/applications/{a.pk}/",
        lambda c: {"notes": "Thin layer."}, "recorded_by", lambda c: str(c.nurse.pk)),
    "application update patient": (
        "patient_user", "patch", lambda c, a: f"/api/v1/applications/{a.pk}/",
        lambda c: {"notes": "Thin layer."}, "patient", lambda c: str(c.other_patient.pk)),
    "application update course": (
        "patient_user", "patch", lambda c, a: f"/api/v1/applications/{a.pk}/",
        lambda c: {"notes": "Thin layer."}, "course", lambda c: str(c.other_course.pk)),
    "application update updated_at": (
        "patient_user", "patch", lambda c, a: f"/api/v1/applications/{a.pk}/",
        lambda c: {"notes": "Thin layer."}, "updated_at", lambda c: "2020-01-01T00:00:00Z"),
    "symptom create recorded_by": (
        "patient_user", "post", lambda c, a: "/api/v1/symptoms/",
        lambda c: {"course": str(c.course.pk), "recorded_at": _now(), "pain": 3, "itch": 2},
        "recorded_by", lambda c: str(c.physician.pk)),
    "debridement create recorded_by": (
        "nurse", "post", lambda c, a: "/api/v1/debridements/",
        lambda c: {"course": str(c.course.pk), "performed_at": _now(), "method": "sharp"},
        "recorded_by", lambda c: str(c.physician.pk)),
    "debridement create version": (
        "nurse", "post", lambda c, a: "/api/v1/debridements/",
        lambda c: {"course": str(c.course.pk), "performed_at": _now(), "method": "sharp"},
        "version", lambda c: 5),
}


@pytest.mark.parametrize("case", list(WRITES))
def test_a_field_the_client_does_not_own_is_refused_by_name(cast, client_for, case):
    who, method, path, body, field, value = WRITES[case]
    application = _application(cast)
    client = client_for(who)
    url = path(cast, application)
    before = stored()
    response = getattr(client, method)(url, {**body(cast), field: value(cast)}, format="json")
    body_ = assert_problem(response, 400, field)
    assert list(body_["errors"]) == [field]
    assert stored() == before
    # The same request without the field goes through: it was refused for that field alone.
    accepted = getattr(client, method)(url, body(cast), format="json")
    assert accepted.status_code in (200, 201), accepted.content


@pytest.mark.parametrize("field", ["role", "is_superuser", "patient", "is_staff"])
def test_activation_takes_only_code_username_and_password(cast, client_for, field):
    code = client_for("nurse").post("/api/v1/patients/", patient_body(), format="json").json()[
        "activation_code"]
    before = stored()
    response = APIClient().post("/api/v1/auth/activate/", {
        "activation_code": code, "username": "ada", "password": NEW_PASSWORD,
        field: "admin" if field == "role" else True}, format="json")
    assert_problem(response, 400, field)
    assert stored() == before
    user = User.objects.get(pk=activate(code).json()["id"])
    assert user.role == Role.PATIENT and not user.is_superuser and not user.is_staff


# --- Pagination -----------------------------------------------------------------------------------
def _fill_staff(c: Any, n: int) -> None:
    User.objects.bulk_create([User(username=f"filler{i:03d}", role=Role.NURSE) for i in range(n)])


def _fill_patients(c: Any, n: int) -> None:
    patients = Patient.objects.bulk_create([
        Patient(display_name=f"P{i}", birth_year=1950, timezone="UTC", created_by=c.physician)
        for i in range(n)])
    CareTeamMembership.objects.bulk_create([
        CareTeamMembership(patient=p, staff=c.physician, added_by=c.physician) for p in patients])


def _fill_courses(c: Any, n: int) -> None:
    TreatmentCourse.objects.bulk_create([
        TreatmentCourse(patient=c.patient, medication="Sodium thiosulfate", concentration_percent=10,
                        vehicle="Emulsion", body_site="Thigh", applications_per_day=1,
                        start_date=c.course.start_date, prescribed_by=c.physician)
        for _ in range(n)])


def _record_rows(c: Any, n: int) -> list[dict[str, Any]]:
    start = timezone.now() - dt.timedelta(days=5)
    return [{"course": c.course, "patient": c.patient, "recorded_by": c.patient_user,
             "local_date": clock.local_date(start + dt.timedelta(minutes=i), c.patient.timezone),
             "at": start + dt.timedelta(minutes=i)} for i in range(n)]


def _fill_applications(c: Any, n: int) -> None:
    Application.objects.bulk_create([
        Application(applied_at=row.pop("at"), status="applied", **row) for row in _record_rows(c, n)])


def _fill_symptoms(c: Any, n: int) -> None:
    SymptomEntry.objects.bulk_create([
        SymptomEntry(recorded_at=row.pop("at"), pain=2, itch=1, **row) for row in _record_rows(c, n)])


def _fill_debridements(c: Any, n: int) -> None:
    Debridement.objects.bulk_create([
        Debridement(performed_at=row.pop("at"), method="sharp", **row) for row in _record_rows(c, n)])


def _fill_audit(c: Any, n: int) -> None:
    AuditEvent.objects.bulk_create([
        AuditEvent(action="read", outcome="allowed", patient=c.patient, object_type="patient",
                   object_id=str(c.patient.pk)) for _ in range(n)])


LISTS = {
    "staff": ("admin", lambda c: "/api/v1/staff/", _fill_staff),
    "patients": ("physician", lambda c: "/api/v1/patients/", _fill_patients),
    "courses": ("physician", lambda c: "/api/v1/courses/", _fill_courses),
    "applications": ("patient_user", lambda c: "/api/v1/applications/", _fill_applications),
    "symptoms": ("nurse", lambda c: "/api/v1/symptoms/", _fill_symptoms),
    "debridements": ("physician", lambda c: "/api/v1/debridements/", _fill_debridements),
    "timeline": ("patient_user", lambda c: f"/api/v1/courses/{c.course.pk}/timeline/",
                 _fill_applications),
    "audit events": ("admin", lambda c: "/api/v1/audit-events/", _fill_audit),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_is_paginated_and_the_page_size_is_capped(cast, client_for, name):
    who, url, fill = LISTS[name]
    fill(cast, 230)
    client = client_for(who)
    default = client.get(url(cast))
    assert default.status_code == 200, default.content
    body = default.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] >= 230
    assert len(body["results"]) == 50
    assert body["previous"] is None and body["next"]
    capped = client.get(url(cast), {"page_size": 1000}).json()
    assert len(capped["results"]) == 200
    assert capped["next"]
    small = client.get(url(cast), {"page_size": 7, "page": 2}).json()
    assert len(small["results"]) == 7
    assert small["previous"]
    # Pages do not overlap.
    first = client.get(url(cast), {"page_size": 7}).json()["results"]
    assert not {row["id"] for row in first} & {row["id"] for row in small["results"]}


@pytest.mark.parametrize("page", ["0", "999", "abc"])
def test_a_page_past_the_end_is_404(cast, client_for, page):
    response = client_for("physician").get("/api/v1/patients/", {"page": page})
    assert_problem(response, 404)
