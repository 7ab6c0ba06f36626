"""Web Push through the API: the public key, a user's own subscriptions, reminder times.

Every refusal here is made at validation: nothing is stored and no request leaves the server
(socket connections are refused outright for the whole module, so a test would fail if one did).
"""

from __future__ import annotations

import base64
import secrets
import socket
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import assert_problem, make_caregiver
from tracker import clock
from tracker.models import PushDelivery, PushSubscription, ReminderTime

pytestmark = pytest.mark.django_db


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _p256dh() -> str:
    return _b64url(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


AUTH = _b64url(secrets.token_bytes(16))
GOOD_ENDPOINT = "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91b"


@pytest.fixture(autouse=True)
def _no_outgoing_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a connection was attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _subscribe(client: Any, endpoint: str = GOOD_ENDPOINT, **keys: Any) -> Any:
    body = {"endpoint": endpoint, "keys": {"p256dh": _p256dh(), "auth": AUTH} | keys,
            "expirationTime": None}
    return client.post("/api/v1/push/subscriptions/", body, format="json")


def test_the_public_key_is_an_uncompressed_p256_point(cast: Any, api: Any) -> None:
    body = api(cast.patient_user).get("/api/v1/push/public-key/").json()
    raw = base64.urlsafe_b64decode(body["public_key"] + "=" * (-len(body["public_key"]) % 4))
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def test_a_subscription_is_saved_once_and_its_keys_updated(cast: Any, api: Any) -> None:
    client = api(cast.patient_user)
    first = _subscribe(client)
    assert first.status_code == 201, first.content
    assert first.json()["endpoint"] == GOOD_ENDPOINT
    again = _subscribe(client)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert PushSubscription.objects.count() == 1
    listed = client.get("/api/v1/push/subscriptions/").json()
    assert [row["id"] for row in listed["results"]] == [first.json()["id"]]
    # Her nurse's list is her nurse's own.
    assert api(cast.nurse).get("/api/v1/push/subscriptions/").json()["results"] == []


def test_a_subscription_is_deleted_by_its_owner_only(cast: Any, api: Any) -> None:
    subscription_id = _subscribe(api(cast.patient_user)).json()["id"]
    clara = make_caregiver(cast.patient, username="clara")
    for other in (cast.nurse, clara, cast.other_patient_user):
        assert_problem(api(other).delete(f"/api/v1/push/subscriptions/{subscription_id}/"), 404)
    assert api(cast.patient_user).delete(
        f"/api/v1/push/subscriptions/{subscription_id}/").status_code == 204
    assert not PushSubscription.objects.exists()
    assert_problem(api(cast.patient_user).delete("/api/v1/push/subscriptions/not-a-uuid/"), 404)


@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/x",                 # not https
    "https://127.0.0.1/push/x",                             # loopback
    "https://[::1]/push/x",
    "https://169.254.169.254/latest/meta-data/",            # link-local (cloud metadata)
    "https://10.0.0.7/push/x",                              # private
    "https://192.168.1.20/push/x",
    "https://2130706433/push/x",                            # 127.0.0.1, written as a number
    "https://push.evil.invalid/x",                          # a host outside the list
    "https://fcm.googleapis.com.evil.invalid/x",
    "https://user:pw@fcm.googleapis.com/fcm/send/x",        # userinfo
    "https://fcm.googleapis.com:8443/fcm/send/x",           # an odd port
    "ftp://fcm.googleapis.com/x",
    "not a url",
    "",
])
def test_an_endpoint_off_the_allowed_push_services_is_refused(cast: Any, api: Any,
                                                              endpoint: str) -> None:
    assert_problem(_subscribe(api(cast.patient_user), endpoint), 400, "endpoint")
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(("keys", "field"), [
    ({"p256dh": "not base64url!"}, "keys.p256dh"),
    ({"p256dh": _b64url(b"\x04" + b"\x01" * 64)}, "keys.p256dh"),   # not a point on the curve
    ({"p256dh": _b64url(secrets.token_bytes(33))}, "keys.p256dh"),
    ({"auth": _b64url(secrets.token_bytes(15))}, "keys.auth"),
    ({"auth": "***"}, "keys.auth"),
])
def test_keys_that_are_not_a_browsers_are_refused(cast: Any, api: Any, keys: dict[str, str],
                                                  field: str) -> None:
    assert_problem(_subscribe(api(cast.patient_user), **keys), 400, field)
    assert not PushSubscription.objects.exists()


def test_a_body_without_keys_is_refused(cast: Any, api: Any) -> None:
    response = api(cast.patient_user).post("/api/v1/push/subscriptions/",
                                           {"endpoint": GOOD_ENDPOINT}, format="json")
    assert_problem(response, 400, "keys")


def test_a_test_message_needs_a_device(cast: Any, api: Any) -> None:
    assert_problem(api(cast.patient_user).post("/api/v1/push/subscriptions/test/"), 400,
                   "subscription")
    assert not PushDelivery.objects.exists()


def test_a_test_message_is_queued_for_each_own_device(cast: Any, api: Any, tasks_sent: Any) -> None:
    client = api(cast.patient_user)
    _subscribe(client)
    _subscribe(client, GOOD_ENDPOINT + "-tablet")
    response = client.post("/api/v1/push/subscriptions/test/")
    assert response.status_code == 202, response.content
    assert len(response.json()) == 2
    assert PushDelivery.objects.filter(kind="test", user=cast.patient_user).count() == 2


# --- Reminder times ---------------------------------------------------------------------------------
def _reminders(client: Any, course: Any, **body: Any) -> Any:
    return client.put(f"/api/v1/courses/{course.pk}/reminders/", body, format="json")


def test_reminders_start_off_and_are_set_in_her_zone(cast: Any, api: Any) -> None:
    client = api(cast.patient_user)
    url = f"/api/v1/courses/{cast.course.pk}/reminders/"
    assert client.get(url).json() == {"enabled": False, "times": [],
                                      "timezone": "America/Denver"}
    response = _reminders(client, cast.course, enabled=True, times=["20:00", "08:30"])
    assert response.status_code == 200, response.content
    assert response.json() == {"enabled": True, "times": ["08:30", "20:00"],
                               "timezone": "America/Denver"}
    assert client.get(url).json()["times"] == ["08:30", "20:00"]
    # Her caregiver and her nurse change them too.
    clara = make_caregiver(cast.patient, username="clara")
    assert _reminders(api(clara), cast.course, enabled=True, times=["19:00"]).status_code == 200
    assert _reminders(api(cast.nurse), cast.course, enabled=False, times=[]).json() == {
        "enabled": False, "times": [], "timezone": "America/Denver"}


@pytest.mark.parametrize(("body", "field"), [
    ({"enabled": True, "times": ["08:00", "12:00", "16:00", "20:00", "22:00"]}, "times"),
    ({"enabled": True, "times": ["25:00"]}, "times.0"),
    ({"enabled": True, "times": ["20:60"]}, "times.0"),
    ({"enabled": True, "times": ["8pm"]}, "times.0"),
    ({"enabled": True, "times": [2000]}, "times.0"),
    ({"enabled": True, "times": ["20:00", "20:00"]}, "times"),
    ({"enabled": True, "times": []}, "times"),
    ({"enabled": "yes", "times": ["20:00"]}, "enabled"),
    ({"times": ["20:00"]}, "enabled"),
    ({"enabled": True, "times": ["20:00"], "timezone": "UTC"}, "timezone"),
])
def test_bad_reminder_times_are_refused_and_nothing_changes(cast: Any, api: Any,
                                                            body: dict[str, Any], field: str) -> None:
    client = api(cast.patient_user)
    assert _reminders(client, cast.course, enabled=True, times=["07:00"]).status_code == 200
    assert_problem(_reminders(client, cast.course, **body), 400, field)
    assert list(ReminderTime.objects.values_list("at", flat=True)) == [
        ReminderTime.objects.get().at]
    assert client.get(f"/api/v1/courses/{cast.course.pk}/reminders/").json()["times"] == ["07:00"]


def test_reminders_of_a_foreign_course_are_hidden(cast: Any, api: Any) -> None:
    clara = make_caregiver(cast.patient, username="clara")
    for user in (clara, cast.patient_user, cast.nurse):
        assert_problem(_reminders(api(user), cast.other_course, enabled=True, times=["20:00"]), 404)
        assert_problem(api(user).get(f"/api/v1/courses/{cast.other_course.pk}/reminders/"
                                     "deliveries/"), 404)
    assert not ReminderTime.objects.exists()


def test_pausing_stops_her_reminders_and_resuming_brings_them_back(cast: Any, api: Any) -> None:
    assert _reminders(api(cast.patient_user), cast.course, enabled=True,
                      times=["20:00"]).status_code == 200
    assert ReminderTime.objects.get().next_due_at is not None
    url = f"/api/v1/courses/{cast.course.pk}/"
    assert api(cast.physician).patch(url, {"status": "paused"}, format="json").status_code == 200
    assert ReminderTime.objects.get().next_due_at is None
    assert api(cast.physician).patch(url, {"status": "active"}, format="json").status_code == 200
    assert ReminderTime.objects.get().next_due_at is not None


def test_a_move_to_another_zone_keeps_her_wall_clock_time(cast: Any, api: Any) -> None:
    assert _reminders(api(cast.patient_user), cast.course, enabled=True,
                      times=["20:00"]).status_code == 200
    before = ReminderTime.objects.get().next_due_at
    response = api(cast.nurse).patch(f"/api/v1/patients/{cast.patient.pk}/",
                                     {"timezone": "America/New_York"}, format="json")
    assert response.status_code == 200
    after = ReminderTime.objects.get().next_due_at
    assert after is not None and before is not None
    # 20:00 in New York comes two hours before 20:00 in Denver (on the same local day or the next).
    assert (before - after).total_seconds() % 86400 == 2 * 3600
    assert after.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "20:00"


def test_a_new_prescription_keeps_her_reminders(cast: Any, api: Any) -> None:
    assert _reminders(api(cast.patient_user), cast.course, enabled=True,
                      times=["08:00", "20:00"]).status_code == 200
    body = {"patient": str(cast.patient.pk), "medication": "Sodium thiosulfate",
            "concentration_percent": "10", "vehicle": "Oil-in-water emulsion",
            "body_site": "Left lateral thigh", "applications_per_day": 1,
            "start_date": clock.today_in(cast.patient.timezone).isoformat(),
            "previous_course": {"id": str(cast.course.pk), "status": "completed"}}
    response = api(cast.physician).post("/api/v1/courses/", body, format="json")
    assert response.status_code == 201, response.content
    new = api(cast.patient_user).get(f"/api/v1/courses/{response.json()['id']}/reminders/").json()
    assert new == {"enabled": True, "times": ["08:00", "20:00"], "timezone": "America/Denver"}
    old = ReminderTime.objects.filter(course=cast.course)
    assert all(row.next_due_at is None for row in old)  # the completed course reminds no more
