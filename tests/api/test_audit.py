"""The audit trail: one append-only event per object (or, for a list, per patient shown) of every
request, allowed, denied or rejected; readable by the administrator and the patient's physician;
and no patient data in the application's logs or in error answers to other users."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any, NamedTuple

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models, transaction
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from tests.api.test_access_matrix import ENDPOINTS, World, build_world, snapshot, url_for, user_for
from tracker.admin import AuditEventAdmin
from tracker.models import AuditEvent

CLIENT_IP = "203.0.113.9"


@pytest.fixture
def world(cast: Any, api: Any) -> World:
    """Helen's and Rosa's worlds, as in the access matrix."""
    return build_world(cast, api)


def _send(client: Any, method: str, url: str, body: Any = None, *, request_id: str = "",
          ip: str = CLIENT_IP, **extra: Any) -> Any:
    if body is not None:
        extra |= {"data": body if isinstance(body, str) else json.dumps(body),
                  "content_type": "application/json"}
    if request_id:
        extra["HTTP_X_REQUEST_ID"] = request_id
    return client.generic(method, url, REMOTE_ADDR=ip, **extra)


def _events_of(request_id: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(request_id=request_id))


def _rid() -> str:
    return f"test-{uuid.uuid4().hex[:16]}"


# --- One request, its events ------------------------------------------------------------------------
class Expect(NamedTuple):
    role: str  # who sends the request (see tests/api/test_access_matrix.py for every other role)
    status: int
    outcome: str
    action: str
    object_type: str
    object: str  # "", "new" (the id the answer carries), "actor", or an object of Helen's world
    patients: tuple[str | None, ...]  # one event per entry; "new" = the patient just created


OK, REJECTED = "allowed", "rejected"

AUDITED: dict[str, Expect | None] = {
    "staff-list": Expect("admin", 200, OK, "list", "user", "", (None,)),
    "staff-create": Expect("admin", 201, OK, "create", "user", "new", (None,)),
    "staff-patch": Expect("admin", 200, OK, "update", "user", "newcomer", (None,)),
    # The caller's own account; for a patient it carries her name, so it is on her trail.
    "me": Expect("patient", 200, OK, "read", "user", "actor", ("patient",)),
    "auth-logout": Expect("nurse", 204, OK, "logout", "user", "actor", (None,)),
    # A list leaves one event per patient whose rows it shows.
    "patient-list": Expect("physician", 200, OK, "list", "patient", "", ("patient", "pending")),
    "patient-overview": Expect("nurse", 200, OK, "list", "patient", "", ("patient", "pending")),
    "patient-detail": Expect("patient", 200, OK, "read", "patient", "patient", ("patient",)),
    "patient-create": Expect("nurse", 201, OK, "create", "patient", "new", ("new",)),
    "patient-patch": Expect("nurse", 200, OK, "update", "patient", "patient", ("patient",)),
    "patient-care-team": Expect("physician", 201, OK, "care_team_add", "patient", "patient",
                                ("patient",)),
    "patient-activation-code": Expect("nurse", 201, OK, "activation_code_issue", "patient",
                                      "pending", ("pending",)),
    "patient-activation-code-activated": Expect("physician", 409, REJECTED, "activation_code_issue",
                                                "patient", "patient", ("patient",)),
    "course-list": Expect("patient", 200, OK, "list", "course", "", ("patient",)),
    "course-list-of-patient": Expect("nurse", 200, OK, "list", "course", "", ("patient",)),
    "course-detail": Expect("nurse", 200, OK, "read", "course", "course", ("patient",)),
    "course-create": Expect("physician", 201, OK, "create", "course", "new", ("patient",)),
    "course-patch": Expect("physician", 200, OK, "update", "course", "course", ("patient",)),
    "course-adherence": Expect("patient", 200, OK, "adherence", "course", "course", ("patient",)),
    "course-timeline": Expect("nurse", 200, OK, "timeline", "course", "course", ("patient",)),
    "course-history": Expect("physician", 200, OK, "history", "course", "course", ("patient",)),
    "audit-event-list": Expect("physician", 200, OK, "list", "audit_event", "", (None,)),
    "audit-event-list-of-patient": Expect("admin", 200, OK, "list", "audit_event", "", ("patient",)),
}
for _kind, _role in [("application", "patient"), ("symptom", "nurse"), ("debridement", "physician")]:
    AUDITED |= {
        f"{_kind}-list": Expect(_role, 200, OK, "list", _kind, "", ("patient",)),
        f"{_kind}-list-of-course": Expect(_role, 200, OK, "list", _kind, "", ("patient",)),
        f"{_kind}-detail": Expect(_role, 200, OK, "read", _kind, _kind, ("patient",)),
        f"{_kind}-create": Expect(_role, 201, OK, "create", _kind, "new", ("patient",)),
        f"{_kind}-patch": Expect(_role, 200, OK, "update", _kind, _kind, ("patient",)),
        f"{_kind}-entered-in-error": Expect(_role, 200, OK, "entered_in_error", _kind, _kind,
                                            ("patient",)),
        f"{_kind}-history": Expect(_role, 200, OK, "history", _kind, _kind, ("patient",)),
    }


AUDITED |= {
    "photo-detail": Expect("nurse", 200, OK, "read", "photo", "photo", ("patient",)),
    "photo-patch": Expect("patient", 200, OK, "update", "photo", "photo", ("patient",)),
    "photo-entered-in-error": Expect("nurse", 200, OK, "entered_in_error", "photo", "photo",
                                     ("patient",)),
    "photo-history": Expect("physician", 200, OK, "history", "photo", "photo", ("patient",)),
}
AUDITED |= {
    "patient-caregivers": Expect("patient", 200, OK, "caregivers_list", "patient", "patient",
                                 ("patient",)),
    "patient-caregiver-invite": Expect("nurse", 201, OK, "caregiver_invite", "caregiver", "new",
                                       ("patient",)),
    "caregiver-detail": Expect("physician", 200, OK, "read", "caregiver", "caregiver", ("patient",)),
    "caregiver-delete": Expect("patient", 204, OK, "caregiver_revoke", "caregiver", "caregiver",
                               ("patient",)),
    "course-reminders": Expect("caregiver", 200, OK, "reminders_read", "course", "course",
                               ("patient",)),
    "course-reminders-put": Expect("caregiver", 200, OK, "reminders_update", "course", "course",
                                   ("patient",)),
    "course-reminder-deliveries": Expect("nurse", 200, OK, "reminder_deliveries_list", "course",
                                         "course", ("patient",)),
    # The key is the server's, not anyone's data.
    "push-public-key": Expect("nurse", 200, OK, "read", "push_key", "", (None,)),
    # A patient's (or her caregiver's) own devices are on her trail.
    "push-subscription-list": Expect("patient", 200, OK, "list", "push_subscription", "",
                                     ("patient",)),
    "push-subscription-create": Expect("caregiver", 201, OK, "create", "push_subscription", "new",
                                       ("patient",)),
    "push-subscription-delete": Expect("patient", 204, OK, "delete", "push_subscription",
                                       "subscription", ("patient",)),
}


def test_every_endpoint_of_the_access_matrix_has_its_audit_expectation() -> None:
    assert set(AUDITED) == set(ENDPOINTS)


def _ref(token: str | None, world: World, response: Any, actor: Any) -> str | None:
    if token is None:
        return None
    if token == "":
        return ""
    if token == "new":
        return response.json()["id"]
    if token == "actor":
        return str(actor.pk)
    if token == "newcomer":
        return str(world.newcomer.pk)
    return str(getattr(world.helen, token).pk)


@pytest.mark.parametrize("name", list(AUDITED))
def test_each_endpoint_leaves_exactly_the_expected_audit_events(world: World, api: Any, name: str
                                                                 ) -> None:
    endpoint, expect = ENDPOINTS[name], AUDITED[name]
    role = expect.role if expect else "patient"
    actor = user_for(world, role)
    body = endpoint.body(world, world.helen) if endpoint.body else None
    before, rid = AuditEvent.objects.count(), _rid()

    response = _send(api(actor), endpoint.method, url_for(endpoint.url, world, world.helen), body,
                     request_id=rid)

    assert response["X-Request-ID"] == rid
    if expect is None:
        assert response.status_code == 200
        assert AuditEvent.objects.count() == before
        return
    assert response.status_code == expect.status, response.content
    events = _events_of(rid)
    assert AuditEvent.objects.count() == before + len(events)  # nothing without this request id
    object_id = _ref(expect.object, world, response, actor)
    patient_ids = sorted(str(p) for p in (_ref(t, world, response, actor) for t in expect.patients)
                         if p is not None)
    assert sorted(str(e.patient_id) for e in events if e.patient_id) == patient_ids
    assert len(events) == len(expect.patients)
    for event in events:
        assert (event.actor_id, event.actor_username, event.role) == (actor.pk, actor.username, role)
        assert (event.action, event.outcome, event.status_code) == (expect.action, expect.outcome,
                                                                    expect.status)
        assert (event.object_type, event.object_id) == (expect.object_type, object_id)
        assert (event.ip, event.method, event.path) == (CLIENT_IP, endpoint.method,
                                                        response.request["PATH_INFO"])
        assert event.at is not None


# --- Denied, anonymous and rejected requests ----------------------------------------------------
@pytest.mark.parametrize(("url", "object_type", "object"), [
    ("/api/v1/patients/{patient}/", "patient", "patient"),
    ("/api/v1/courses/{course}/", "course", "course"),
    ("/api/v1/courses/{course}/adherence/", "course", "course"),
    ("/api/v1/applications/{application}/", "application", "application"),
    ("/api/v1/symptoms/{symptom}/history/", "symptom", "symptom"),
    ("/api/v1/debridements/{debridement}/", "debridement", "debridement"),
])
@pytest.mark.parametrize("role", ["other_nurse", "other_patient"])
def test_a_denied_read_of_a_foreign_object_records_whose_data_it_was(
        world: World, api: Any, url: str, object_type: str, object: str, role: str) -> None:
    rid = _rid()
    actor = user_for(world, role)
    response = _send(api(actor), "GET", url_for(url, world, world.helen), request_id=rid)
    assert response.status_code == 404
    assert str(world.helen.patient.pk) not in response.content.decode()
    [event] = _events_of(rid)
    assert (event.actor_id, event.role, event.outcome, event.status_code) == (
        actor.pk, role.removeprefix("other_"), "denied", 404)
    assert (event.object_type, event.object_id) == (object_type, str(getattr(world.helen, object).pk))
    # Kept for the patient's physician to see who tried; never shown to the one who tried.
    assert event.patient_id == world.helen.patient.pk


@pytest.mark.parametrize(("role", "method", "url", "body", "status", "object"), [
    ("nurse", "PATCH", "/api/v1/courses/{course}/", {"instructions": "x"}, 403, "course"),
    ("patient", "POST", "/api/v1/debridements/{debridement}/entered-in-error/", {"reason": "x"},
     403, "debridement"),
    ("other_nurse", "PATCH", "/api/v1/applications/{application}/", {"notes": "x"}, 404,
     "application"),
])
def test_a_denied_write_is_recorded_and_changes_nothing(world: World, api: Any, role: str,
                                                        method: str, url: str, body: dict[str, Any],
                                                        status: int, object: str) -> None:
    rid, before = _rid(), snapshot()
    response = _send(api(user_for(world, role)), method, url_for(url, world, world.helen), body,
                     request_id=rid)
    assert response.status_code == status
    assert snapshot() == before
    [event] = _events_of(rid)
    assert (event.outcome, event.method, event.object_id, event.patient_id) == (
        "denied", method, str(getattr(world.helen, object).pk), world.helen.patient.pk)


@pytest.mark.parametrize(("method", "url", "body", "object_type", "object"), [
    ("GET", "/api/v1/patients/{patient}/", None, "patient", "patient"),
    ("GET", "/api/v1/courses/", None, "course", ""),
    ("POST", "/api/v1/applications/", {"course": "x"}, "application", ""),
    ("POST", "/api/v1/auth/logout/", None, "user", ""),
])
def test_an_anonymous_request_is_recorded_without_an_actor(world: World, api: Any, method: str,
                                                           url: str, body: Any, object_type: str,
                                                           object: str) -> None:
    rid = _rid()
    response = _send(api(None), method, url_for(url, world, world.helen), body, request_id=rid)
    assert response.status_code == 401
    [event] = _events_of(rid)
    assert (event.actor_id, event.actor_username, event.role) == (None, "", "")
    assert (event.outcome, event.status_code, event.method, event.ip) == ("denied", 401, method,
                                                                          CLIENT_IP)
    assert event.object_type == object_type
    assert event.object_id == (str(getattr(world.helen, object).pk) if object else "")
    assert event.patient_id is None  # nothing is looked up for a caller who is nobody


def _symptom(world: World, **changes: Any) -> dict[str, Any]:
    return {"course": str(world.helen.course.pk), "recorded_at": timezone.now().isoformat(),
            "pain": 3, "itch": 2, "notes": "Stinging at night."} | changes


@pytest.mark.parametrize(("method", "url", "body", "field", "object", "patient"), [
    # Refused by the serializer: the course is not even read.
    ("POST", "/api/v1/symptoms/", lambda w: _symptom(w, pain=11), "pain", "", False),
    # Refused by the service, once the course (and so the patient) is known.
    ("POST", "/api/v1/symptoms/",
     lambda w: _symptom(w, recorded_at=(timezone.now() + dt.timedelta(hours=2)).isoformat()),
     "recorded_at", "", True),
    ("PATCH", "/api/v1/applications/{application}/", lambda w: {"status": "sometimes"}, "status",
     "application", True),
    ("PATCH", "/api/v1/symptoms/{symptom}/", lambda w: {"pain": -1, "notes": "Better."}, "pain",
     "symptom", True),
    ("POST", "/api/v1/applications/", lambda w: '{"course": ', "body", "", False),
])
def test_a_rejected_write_stores_nothing_but_its_audit_event(world: World, api: Any, method: str,
                                                             url: str, body: Any, field: str,
                                                             object: str, patient: bool) -> None:
    rid, before, events_before = _rid(), snapshot(), AuditEvent.objects.count()
    response = _send(api(world.cast.patient_user), method, url_for(url, world, world.helen),
                     body(world), request_id=rid)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert snapshot() == before
    assert AuditEvent.objects.count() == events_before + 1
    [event] = _events_of(rid)
    assert (event.outcome, event.status_code, event.actor_id) == ("rejected", 400,
                                                                  world.cast.patient_user.pk)
    assert event.object_id == (str(getattr(world.helen, object).pk) if object else "")
    assert event.patient_id == (world.helen.patient.pk if patient else None)


# --- Request ids and addresses ----------------------------------------------------------------------
@pytest.mark.parametrize("given", ["", "short", "has spaces in it", "x" * 65, "<script>alert</script>"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_fresh_one(cast: Any, api: Any,
                                                                      given: str) -> None:
    response = api(cast.nurse).get(f"/api/v1/courses/{cast.course.pk}/", HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    generated = response["X-Request-ID"]
    assert generated != given and len(generated) == 32
    [event] = _events_of(generated)
    assert event.object_id == str(cast.course.pk)


def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(cast: Any, api: Any) -> None:
    client, url = api(cast.nurse), f"/api/v1/courses/{cast.course.pk}/"
    spoofed = client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4")
    with override_settings(TEND_TRUSTED_PROXY_COUNT=1):
        proxied = client.get(url, REMOTE_ADDR="10.0.0.2",
                             HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.4")
    assert _events_of(spoofed["X-Request-ID"])[0].ip == "10.0.0.2"
    assert _events_of(proxied["X-Request-ID"])[0].ip == "198.51.100.4"


# --- Append-only ------------------------------------------------------------------------------------
@pytest.fixture
def event(cast: Any, api: Any) -> AuditEvent:
    response = api(cast.nurse).get(f"/api/v1/courses/{cast.course.pk}/")
    [found] = _events_of(response["X-Request-ID"])
    return found


def _unchanged(event: AuditEvent) -> None:
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.outcome, stored.actor_id) == ("read", "allowed", event.actor_id)


@pytest.mark.parametrize("attempt", [
    pytest.param(lambda e: (setattr(e, "action", "nothing"), e.save()), id="save"),
    pytest.param(lambda e: e.delete(), id="delete"),
    pytest.param(lambda e: AuditEvent.objects.filter(pk=e.pk).update(action="nothing"),
                 id="queryset-update"),
    pytest.param(lambda e: AuditEvent.objects.filter(pk=e.pk).delete(), id="queryset-delete"),
    pytest.param(lambda e: AuditEvent.objects.all().delete(), id="delete-all"),
    pytest.param(lambda e: AuditEvent.objects.bulk_update([e], ["action"]), id="bulk-update"),
])
def test_the_model_refuses_to_change_or_delete_an_event(event: AuditEvent, attempt: Any) -> None:
    with pytest.raises(PermissionError, match="append-only"), transaction.atomic():
        attempt(event)
    _unchanged(event)


_SQL = {
    "update": "UPDATE tracker_auditevent SET action = 'nothing' WHERE id = %s",
    "delete": "DELETE FROM tracker_auditevent WHERE id = %s",
    "truncate": "TRUNCATE tracker_auditevent",
}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger under test is PostgreSQL's")
@pytest.mark.parametrize("statement", list(_SQL))
def test_the_database_refuses_raw_sql_that_rewrites_the_trail(event: AuditEvent, statement: str
                                                              ) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_SQL[statement], [] if statement == "truncate" else [event.pk])
    _unchanged(event)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger under test is PostgreSQL's")
def test_the_database_refuses_an_update_that_bypasses_the_model(event: AuditEvent) -> None:
    plain = models.QuerySet(model=AuditEvent)  # no append-only manager in the way
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=event.pk).update(action="nothing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=event.pk).delete()
    _unchanged(event)


def test_the_admin_grants_no_add_change_or_delete_permission(cast: Any, event: AuditEvent) -> None:
    model_admin = admin_site._registry[AuditEvent]
    assert isinstance(model_admin, AuditEventAdmin)
    request = RequestFactory().get("/admin/")
    request.user = cast.admin
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/admin/tracker/auditevent/add/"),
    ("POST", "/admin/tracker/auditevent/add/"),
    ("POST", "/admin/tracker/auditevent/{id}/change/"),
    ("POST", "/admin/tracker/auditevent/{id}/delete/"),
])
def test_the_admin_pages_refuse_to_add_change_or_delete(cast: Any, event: AuditEvent, method: str,
                                                        path: str) -> None:
    client = Client()
    client.force_login(cast.admin)
    before = AuditEvent.objects.count()
    data = {"action": "nothing", "outcome": "allowed", "post": "yes"}
    response = client.generic(method, path.format(id=event.pk),
                              data="&".join(f"{k}={v}" for k, v in data.items()),
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before
    _unchanged(event)
    # The trail itself stays readable in the admin.
    assert client.get(f"/admin/tracker/auditevent/{event.pk}/change/").status_code == 200


# --- Reading the trail --------------------------------------------------------------------------
@pytest.fixture
def trail(cast: Any, api: Any) -> Any:
    """A few events on each patient: reads by the team, a denied try by a stranger."""
    api(cast.nurse).get(f"/api/v1/courses/{cast.course.pk}/")
    api(cast.patient_user).get(f"/api/v1/patients/{cast.patient.pk}/")
    api(cast.other_nurse).get(f"/api/v1/courses/{cast.course.pk}/")  # 404, kept on Helen's trail
    api(cast.other_nurse).get(f"/api/v1/courses/{cast.other_course.pk}/")
    return cast


@pytest.mark.parametrize(("role", "patient", "sees"), [
    ("admin", "patient", True),
    ("admin", "other_patient", True),
    ("physician", "patient", True),
    ("other_physician", "other_patient", True),
    ("other_physician", "patient", False),
    ("physician", "other_patient", False),
])
def test_the_trail_of_a_patient_is_read_by_the_admin_and_the_physician_on_the_team(
        trail: Any, api: Any, role: str, patient: str, sees: bool) -> None:
    patient_id = getattr(trail, patient).pk
    stored = AuditEvent.objects.filter(patient_id=patient_id).count()
    response = api(trail.user(role)).get(f"/api/v1/audit-events/?patient={patient_id}")
    assert response.status_code == 200
    results = response.json()["results"]
    assert stored > 0
    if not sees:
        assert results == []
        return
    assert len(results) == stored
    assert {row["patient"] for row in results} == {str(patient_id)}
    assert {"at", "actor", "action", "object_type", "object_id", "patient", "ip",
            "outcome"} <= set(results[0])


def test_the_physician_sees_who_was_denied_their_patients_data(trail: Any, api: Any) -> None:
    response = api(trail.physician).get(f"/api/v1/audit-events/?patient={trail.patient.pk}")
    denied = [row for row in response.json()["results"] if row["outcome"] == "denied"]
    assert [(row["actor"], row["object_id"]) for row in denied] == [
        (str(trail.other_nurse.pk), str(trail.course.pk))]


def test_a_physician_off_the_team_finds_none_of_helens_events_in_the_whole_trail(trail: Any,
                                                                                  api: Any) -> None:
    response = api(trail.other_physician).get("/api/v1/audit-events/?page_size=200")
    patients = {row["patient"] for row in response.json()["results"]}
    assert patients == {str(trail.other_patient.pk)}


@pytest.mark.parametrize("role", ["nurse", "patient_user", "other_nurse", "other_patient_user"])
def test_nurses_and_patients_may_not_read_the_trail(trail: Any, api: Any, role: str) -> None:
    rid = _rid()
    response = api(trail.user(role)).get(f"/api/v1/audit-events/?patient={trail.patient.pk}",
                                         HTTP_X_REQUEST_ID=rid)
    assert response.status_code == 403
    assert "results" not in response.json()
    [event] = _events_of(rid)
    assert (event.outcome, event.object_type) == ("denied", "audit_event")


def test_an_anonymous_caller_may_not_read_the_trail(trail: Any, api: Any) -> None:
    assert api(None).get(f"/api/v1/audit-events/?patient={trail.patient.pk}").status_code == 401


# --- No patient data in logs or in other users' error answers -----------------------------------
NOTES = "Burning under the dressing since Tuesday"


def test_no_patient_data_reaches_the_logs_or_another_users_error_answers(
        cast: Any, api: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_ = [cast.patient.display_name, "Mercer", NOTES, "Ada Newcomb"]
    helen, stranger = api(cast.patient_user), api(cast.other_physician)
    made = helen.post("/api/v1/applications/", {
        "course": str(cast.course.pk), "applied_at": timezone.now().isoformat(),
        "status": "applied", "notes": NOTES}, format="json")
    assert made.status_code == 201
    application = made.json()["id"]
    answers = [
        # Helen's own requests: a rejected one echoes field names, never the notes.
        helen.post("/api/v1/symptoms/", _symptom_for(cast, pain=12, notes=NOTES), format="json"),
        helen.patch(f"/api/v1/applications/{application}/", {"notes": NOTES + " and Wednesday",
                                                             "status": "maybe"}, format="json"),
        api(cast.nurse).post("/api/v1/patients/", {"display_name": "Ada Newcomb", "birth_year": 1800,
                                                  "timezone": "Mars/Olympus", "language": "en"},
                             format="json"),
    ]
    foreign = [
        stranger.get(f"/api/v1/patients/{cast.patient.pk}/"),
        stranger.get(f"/api/v1/applications/{application}/"),
        stranger.get(f"/api/v1/applications/{application}/history/"),
        stranger.patch(f"/api/v1/applications/{application}/", {"notes": "x"}, format="json"),
        stranger.get(f"/api/v1/courses/{cast.course.pk}/timeline/"),
        stranger.post("/api/v1/applications/", {"course": str(cast.course.pk),
                                                "applied_at": timezone.now().isoformat(),
                                                "status": "applied"}, format="json"),
        stranger.post("/api/v1/courses/", {"patient": str(cast.patient.pk)}, format="json"),
        api(cast.other_patient_user).get(f"/api/v1/audit-events/?patient={cast.patient.pk}"),
    ]
    assert [r.status_code for r in answers] == [400, 400, 400]
    assert [r.status_code for r in foreign] == [404, 404, 404, 404, 404, 400, 400, 403]
    for response in answers + foreign:
        assert response["Content-Type"] == "application/problem+json"
        assert not [s for s in secrets_ if s in response.content.decode()]
    for response in foreign:  # nor even Helen's id: nothing says her chart exists
        assert str(cast.patient.pk) not in response.content.decode()

    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "Not Found" in logged and "Bad Request" in logged  # the log was captured
    assert not [s for s in secrets_ if s in logged]


def _symptom_for(cast: Any, **changes: Any) -> dict[str, Any]:
    return {"course": str(cast.course.pk), "recorded_at": timezone.now().isoformat(),
            "pain": 3, "itch": 2} | changes


def test_a_server_error_answers_another_user_without_patient_data(cast: Any, api: Any,
                                                                   monkeypatch: Any) -> None:
    from api.views.courses import CourseViewSet

    def broken(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"could not render the course of {cast.patient.display_name}")

    monkeypatch.setattr(CourseViewSet, "adherence", broken)
    client = api(cast.nurse)
    client.raise_request_exception = False
    response = client.get(f"/api/v1/courses/{cast.course.pk}/adherence/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert cast.patient.display_name not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    crash = AuditEvent.objects.get(path=f"/api/v1/courses/{cast.course.pk}/adherence/")
    assert (crash.outcome, crash.status_code, crash.actor_id) == ("error", 500, cast.nurse.pk)


# --- Writes outside the access matrix -----------------------------------------------------------
def _ready_photo(cast: Any, status: str = "ready") -> Any:
    from tracker import clock
    from tracker.models import Photo

    at = timezone.now() - dt.timedelta(hours=2)
    return Photo.objects.create(
        course=cast.course, patient=cast.patient, recorded_by=cast.patient_user, taken_at=at,
        local_date=clock.local_date(at, cast.patient.timezone), status=status,
        upload_format="JPEG", upload_bytes=1000,
        **({"failure_reason": "Worker died.", "upload_name": default_storage.save(
            f"uploads/{uuid.uuid4().hex}", ContentFile(b"raw"))} if status == "failed" else {}))


@pytest.mark.parametrize("write", ["review", "acknowledge", "upload", "retry"])
def test_each_write_on_photos_and_alerts_leaves_one_event_on_the_patients_trail(
        cast: Any, api: Any, django_capture_on_commit_callbacks: Any, write: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import images
    from tracker.services.alerts import alert_raise

    rid = _rid()
    if write == "review":
        photo = _ready_photo(cast)
        who, method, url, object_type, object_id, action = (
            cast.nurse, "post", f"/api/v1/photos/{photo.pk}/reviews/", "photo", str(photo.pk),
            "review_create")
        kwargs: dict[str, Any] = {"data": {"length_cm": "2.0", "width_cm": "1.5", "exudate": "light",
                                           "tissue_type": "granulation"}, "format": "json"}
    elif write == "acknowledge":
        alert = alert_raise(course=cast.course, kind="missed_days", severity="medium", detail="x")
        who, method, url, object_type, object_id, action = (
            cast.physician, "post", f"/api/v1/alerts/{alert.pk}/acknowledge/", "alert",
            str(alert.pk), "acknowledge")
        kwargs = {}
    elif write == "upload":
        who, method, url, object_type, object_id, action = (
            cast.patient_user, "post", "/api/v1/photos/", "photo", None, "create")
        kwargs = {"data": {"course": str(cast.course.pk), "taken_at": timezone.now().isoformat(),
                           "image": SimpleUploadedFile("w.jpg", images.phone_jpeg(400, 300),
                                                       content_type="image/jpeg")},
                  "format": "multipart"}
    else:
        photo = _ready_photo(cast, status="failed")
        who, method, url, object_type, object_id, action = (
            cast.nurse, "post", f"/api/v1/photos/{photo.pk}/retry/", "photo", str(photo.pk), "retry")
        kwargs = {}

    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(api(who), method)(url, HTTP_X_REQUEST_ID=rid, REMOTE_ADDR=CLIENT_IP,
                                             **kwargs)
    assert response.status_code < 300, response.content
    event, = _events_of(rid)
    assert (event.action, event.outcome, event.object_type) == (action, OK, object_type)
    assert event.object_id == (object_id or response.json()["id"])
    assert (event.patient_id, event.actor_id) == (cast.patient.pk, who.pk)
