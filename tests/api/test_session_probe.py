"""GET /api/v1/auth/session/: who the session cookie signs in, always a 200, so that the PWA asks
at start without an error in the console. Nobody (no cookie, signed out, the session over) is
`{"user": null}`; a bearer token is not a session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.test_auth import SESSION_URL, bearer, browser, session_for, session_login, token_login
from tests.conftest import PASSWORD
from tracker.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def user_answer(user: User) -> dict[str, Any]:
    """The shape of the sign-in's `user`, for this user."""
    profile = getattr(user, "patient_profile", None)
    return {"id": str(user.pk), "username": user.username, "role": user.role,
            "display_name": user.display_name, "patient_id": str(profile.pk) if profile else None,
            "language": profile.language if profile else None}


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def probe(client: APIClient) -> dict[str, Any]:
    response = client.get(SESSION_URL)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def test_nobody_signed_in_is_a_200_with_a_null_user(cast: Any) -> None:
    assert probe(APIClient()) == {"user": None}
    assert probe(browser()) == {"user": None}  # a CSRF cookie, no session


def test_a_patients_session_answers_her_as_the_sign_in_did(cast: Any) -> None:
    client = browser()
    signed_in = session_login(client, "helen").json()
    answer = probe(client)
    assert answer == signed_in == {"user": user_answer(cast.patient_user)}
    assert answer["user"]["patient_id"] == str(cast.patient.pk)
    assert answer["user"]["language"] == "en"


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_a_staff_session_answers_the_staff_member(cast: Any, who: str) -> None:
    answer = probe(session_for(who))
    assert answer == {"user": user_answer(cast.user(who))}
    assert answer["user"]["role"] == who and answer["user"]["patient_id"] is None


def test_a_bearer_token_is_not_a_session_and_a_bad_one_is_no_error(cast: Any) -> None:
    raw = token_login("nurse").json()["token"]
    assert probe(bearer(raw)) == {"user": None}
    assert probe(bearer("not-a-token")) == {"user": None}
    # With a session cookie too, the answer is the session's user, whatever the header says.
    client = session_for("physician")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert probe(client)["user"]["username"] == "physician"


def test_a_session_ended_by_the_idle_limit_or_by_signing_out_answers_nobody(
        cast: Any, frozen: Any) -> None:
    idle = session_for("nurse")
    assert probe(idle)["user"]["username"] == "nurse"
    frozen.shift(dt.timedelta(minutes=31))  # a staff session ends after 30 minutes idle
    assert probe(idle) == {"user": None}
    assert probe(idle) == {"user": None}  # and stays ended

    signed_out = session_for("helen")
    assert signed_out.delete(SESSION_URL, HTTP_X_CSRFTOKEN=signed_out.cookies["csrftoken"].value
                             ).status_code == 204
    assert probe(signed_out) == {"user": None}


def test_a_patient_session_ended_after_30_days_answers_nobody(cast: Any, frozen: Any) -> None:
    client = session_for("helen")
    frozen.shift(dt.timedelta(days=30, minutes=1))
    assert probe(client) == {"user": None}


def test_asking_is_never_throttled_nor_counted_as_a_failed_sign_in(cast: Any) -> None:
    ip = {"REMOTE_ADDR": "198.51.100.4"}
    client = APIClient()
    for _ in range(30):
        response = client.get(SESSION_URL, **ip)
        assert response.status_code == 200
    # Five failed sign-ins from one address are throttled (test_auth.py): thirty probes are not
    # failures, so the right password from that address still signs in.
    assert token_login("nurse", PASSWORD, **ip).status_code == 200


def test_it_is_audited_as_an_allowed_read_never_as_denied(cast: Any) -> None:
    before = AuditEvent.objects.count()
    probe(APIClient())
    probe(session_for("helen"))
    events = list(AuditEvent.objects.order_by("at")[before:].values(
        "method", "path", "outcome", "status_code", "actor_username", "patient_id"))
    probes = [event for event in events if event["method"] == "GET" and event["path"] == SESSION_URL]
    assert [event["outcome"] for event in probes] == ["allowed", "allowed"]
    assert [event["status_code"] for event in probes] == [200, 200]
    # Helen's answer carries her name: it is on her trail, as me/ is.
    assert probes[1]["actor_username"] == "helen" and probes[1]["patient_id"] == cast.patient.pk
    assert not AuditEvent.objects.filter(path=SESSION_URL, outcome="denied").exists()


def test_the_schema_declares_it_with_a_nullable_user_and_no_error_answer(cast: Any) -> None:
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/auth/session/"]["get"]
    assert set(operation["responses"]) == {"200"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    state = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert state["required"] == ["user"] and state["properties"]["user"]["nullable"] is True
