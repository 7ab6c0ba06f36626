"""Caregivers: invited with a one-time code, scoped to one patient, visible on what they record,
revoked at once.

The access matrix (test_access_matrix.py) checks every endpoint for the caregiver role, own and
foreign patient; this file follows one caregiver's life through the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, assert_problem, make_caregiver
from tracker.models import ActivationCode, ApiToken, Caregiver, CaregiverStatus, Role, User

pytestmark = pytest.mark.django_db


def _invite(api: Any, by: User, patient_id: Any, **body: Any) -> Any:
    return api(by).post(f"/api/v1/patients/{patient_id}/caregivers/",
                        {"display_name": "Clara Mercer", "relationship": "daughter", **body},
                        format="json")


def _activate(code: str, username: str = "clara") -> Any:
    return APIClient().post("/api/v1/auth/activate/", {
        "activation_code": code, "username": username, "password": PASSWORD}, format="json")


def _sign_in(username: str = "clara") -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username,
                                                        "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_patient_invites_her_daughter_who_signs_in_as_a_caregiver(cast: Any, api: Any) -> None:
    response = _invite(api, cast.patient_user, cast.patient.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "invited" and body["relationship"] == "daughter"
    code = body["activation_code"]

    # Listed for her, without the code.
    listed = api(cast.patient_user).get(f"/api/v1/patients/{cast.patient.pk}/caregivers/").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert "activation_code" not in listed["results"][0]

    activated = _activate(code)
    assert activated.status_code == 201, activated.content
    me = _bearer(_sign_in()).get("/api/v1/me/").json()
    assert me["role"] == "caregiver"
    assert me["patient_id"] == str(cast.patient.pk)
    assert Caregiver.objects.get(pk=body["id"]).status == CaregiverStatus.ACTIVE
    # A code works once.
    assert_problem(_activate(code, username="clara2"), 400, "activation_code")


def test_what_a_caregiver_records_names_her(cast: Any, api: Any) -> None:
    clara = make_caregiver(cast.patient, username="clara")
    client = api(clara)
    response = client.post("/api/v1/applications/", {
        "course": str(cast.course.pk), "applied_at": timezone.now().isoformat(),
        "status": "applied"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["recorded_by"] == {"id": str(clara.pk), "display_name": "Clara Mercer",
                                              "role": "caregiver"}
    # Her patient and her team read the same name on it.
    for reader in (cast.patient_user, cast.nurse):
        row = api(reader).get(f"/api/v1/applications/{response.json()['id']}/").json()
        assert row["recorded_by"]["role"] == "caregiver"
    own = api(cast.patient_user).get(f"/api/v1/applications/?course={cast.course.pk}").json()
    by_id = {row["id"]: row["recorded_by"] for row in own["results"]}
    assert by_id[response.json()["id"]]["display_name"] == "Clara Mercer"


def test_a_caregiver_sees_her_patient_only(cast: Any, api: Any) -> None:
    clara = make_caregiver(cast.patient, username="clara")
    client = api(clara)
    assert client.get(f"/api/v1/courses/{cast.course.pk}/adherence/").status_code == 200
    # Another patient's adherence, timeline and record: as if they did not exist.
    for url in (f"/api/v1/courses/{cast.other_course.pk}/adherence/",
                f"/api/v1/courses/{cast.other_course.pk}/timeline/",
                f"/api/v1/patients/{cast.other_patient.pk}/"):
        assert_problem(client.get(url), 404)
    patients = client.get("/api/v1/patients/").json()["results"]
    assert [row["id"] for row in patients] == [str(cast.patient.pk)]
    # Staff lists, alerts, the review queue and the audit trail are not hers.
    for url in ("/api/v1/staff/", "/api/v1/alerts/", "/api/v1/review-queue/",
                "/api/v1/audit-events/"):
        assert_problem(client.get(url), 403)


def test_a_nurse_off_the_team_cannot_invite(cast: Any, api: Any) -> None:
    response = _invite(api, cast.other_nurse, cast.patient.pk)
    assert_problem(response, 404)
    assert not Caregiver.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"display_name": ""}, "display_name"),
    ({"display_name": "x" * 121}, "display_name"),
    ({"relationship": "r" * 61}, "relationship"),
    ({"status": "active"}, "status"),
])
def test_a_bad_invitation_is_refused_naming_the_field(cast: Any, api: Any, body: dict[str, Any],
                                                       field: str) -> None:
    assert_problem(_invite(api, cast.nurse, cast.patient.pk, **body), 400, field)
    assert not Caregiver.objects.exists()
    assert not ActivationCode.objects.filter(caregiver__isnull=False).exists()


def test_a_caregiver_cannot_invite_or_remove_caregivers(cast: Any, api: Any) -> None:
    clara = make_caregiver(cast.patient, username="clara")
    assert_problem(_invite(api, clara, cast.patient.pk), 403)
    other = make_caregiver(cast.patient, username="luis", name="Luis Ortega")
    assert_problem(api(clara).delete(f"/api/v1/caregivers/{other.caregiver_profile.pk}/"), 403)
    assert Caregiver.objects.filter(status=CaregiverStatus.ACTIVE).count() == 2


def test_at_most_five_caregivers_stand(cast: Any, api: Any) -> None:
    for i in range(5):
        assert _invite(api, cast.nurse, cast.patient.pk, display_name=f"Helper {i}").status_code == 201
    assert_problem(_invite(api, cast.nurse, cast.patient.pk), 409)
    assert Caregiver.objects.count() == 5


def test_revoking_ends_her_tokens_and_sessions_at_once(cast: Any, api: Any) -> None:
    clara = make_caregiver(cast.patient, username="clara")
    token = _sign_in()
    session = APIClient()
    assert session.login(username="clara", password=PASSWORD)
    assert _bearer(token).get("/api/v1/me/").status_code == 200
    assert session.get("/api/v1/me/").status_code == 200
    recorded = api(clara).post("/api/v1/symptoms/", {
        "course": str(cast.course.pk), "recorded_at": timezone.now().isoformat(), "pain": 2},
        format="json").json()

    caregiver = clara.caregiver_profile
    response = api(cast.patient_user).delete(f"/api/v1/caregivers/{caregiver.pk}/")
    assert response.status_code == 204

    assert_problem(_bearer(token).get("/api/v1/me/"), 401)
    assert session.get("/api/v1/me/").status_code in (401, 403)
    assert_problem(APIClient().post("/api/v1/auth/token/", {"username": "clara",
                                                           "password": PASSWORD}, format="json"),
                   401)
    caregiver.refresh_from_db()
    assert caregiver.status == CaregiverStatus.REVOKED and caregiver.revoked_at is not None
    assert not ApiToken.objects.filter(user=clara, revoked_at__isnull=True).exists()
    # What she recorded stays, under her name.
    row = api(cast.nurse).get(f"/api/v1/symptoms/{recorded['id']}/").json()
    assert row["recorded_by"]["display_name"] == "Clara Mercer"
    # Revoking twice changes nothing.
    assert api(cast.patient_user).delete(f"/api/v1/caregivers/{caregiver.pk}/").status_code == 204


def test_an_unused_invitation_dies_with_its_revocation(cast: Any, api: Any) -> None:
    body = _invite(api, cast.nurse, cast.patient.pk).json()
    assert api(cast.nurse).delete(f"/api/v1/caregivers/{body['id']}/").status_code == 204
    assert_problem(_activate(body["activation_code"]), 400, "activation_code")
    assert not User.objects.filter(role=Role.CAREGIVER).exists()


def test_an_expired_invitation_is_refused(cast: Any, api: Any) -> None:
    body = _invite(api, cast.nurse, cast.patient.pk).json()
    ActivationCode.objects.filter(caregiver_id=body["id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_problem(_activate(body["activation_code"]), 400, "activation_code")


def test_a_caregiver_of_a_foreign_patient_is_hidden(cast: Any, api: Any) -> None:
    luis = make_caregiver(cast.other_patient, username="luis", name="Luis Ortega")
    caregiver_id = luis.caregiver_profile.pk
    for user in (cast.patient_user, cast.nurse, cast.physician, cast.admin):
        assert_problem(api(user).get(f"/api/v1/caregivers/{caregiver_id}/"), 404)
        assert_problem(api(user).delete(f"/api/v1/caregivers/{caregiver_id}/"), 404)
    assert Caregiver.objects.get(pk=caregiver_id).status == CaregiverStatus.ACTIVE
