"""Signing in for real: bearer tokens, session cookies with CSRF, throttling, activation, `me`.

Nothing here uses force_authenticate: every client signs in through the API as a user would.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, assert_problem
from tracker.models import ActivationCode, ApiToken, Patient, Role, User
from tracker.services import people

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
CSRF_URL = "/api/v1/auth/csrf/"
SESSION_URL = "/api/v1/auth/session/"
ACTIVATE_URL = "/api/v1/auth/activate/"
ME_URL = "/api/v1/me/"
NEW_PASSWORD = "lavender-teapot-on-the-porch"


# --- Helpers --------------------------------------------------------------------------------------
def token_login(username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json",
                            **extra)


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def signed_in(username: str, password: str = PASSWORD) -> APIClient:
    response = token_login(username, password)
    assert response.status_code == 200, response.content
    return bearer(response.json()["token"])


def csrf(client: APIClient) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def browser() -> APIClient:
    """A client that, like the PWA, must fetch the CSRF cookie and send it back as a header."""
    client = APIClient(enforce_csrf_checks=True)
    response = client.get(CSRF_URL)
    assert response.status_code == 204
    assert client.cookies["csrftoken"].value
    return client


def session_login(client: APIClient, username: str, password: str = PASSWORD) -> Any:
    return client.post(SESSION_URL, {"username": username, "password": password}, format="json",
                       **csrf(client))


def session_for(username: str) -> APIClient:
    client = browser()
    response = session_login(client, username)
    assert response.status_code == 200, response.content
    return client



@pytest.fixture
def frozen() -> Iterator[Any]:
    """The clock stopped at a whole second now; shift it with .shift(timedelta)."""
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def as_z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- Bearer tokens --------------------------------------------------------------------------------
def test_a_token_login_returns_the_token_its_expiry_and_the_user(cast, frozen):
    response = token_login("physician")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expires_at", "user"}
    assert body["expires_at"] == as_z(timezone.now() + dt.timedelta(hours=12))
    assert body["user"]["id"] == str(cast.physician.pk)
    assert body["user"]["username"] == "physician"
    assert body["user"]["role"] == "physician"
    assert body["user"]["patient_id"] is None
    me = bearer(body["token"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["id"] == str(cast.physician.pk)


def test_a_patient_token_lasts_thirty_days(cast, frozen):
    body = token_login("helen").json()
    assert body["expires_at"] == as_z(timezone.now() + dt.timedelta(days=30))
    assert body["user"]["patient_id"] == str(cast.patient.pk)


def test_the_token_is_stored_only_as_a_hash(cast):
    raw = token_login("nurse").json()["token"]
    rows = list(ApiToken.objects.values())
    assert len(rows) == 1
    assert all(raw not in str(value) for row in rows for value in row.values())
    assert rows[0]["user_id"] == cast.nurse.pk
    # The raw token still works: what is stored identifies it without being it.
    assert bearer(raw).get(ME_URL).status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(cast):
    wrong = token_login("physician", "not-the-password")
    unknown = token_login("no-such-person", "not-the-password")
    wrong_body = assert_problem(wrong, 401)
    assert wrong_body == assert_problem(unknown, 401)
    assert wrong["WWW-Authenticate"] == unknown["WWW-Authenticate"]
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("header", [
    "Bearer junk",
    "Bearer",
    "Bearer two parts",
    "Bearer tend_" + "A" * 43,
    "bearer junk",
])
def test_a_bad_bearer_token_is_refused_with_401(cast, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME_URL)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_at_all_is_401(cast):
    assert_problem(APIClient().get(ME_URL), 401)


def test_logout_revokes_the_token(cast):
    raw = token_login("physician").json()["token"]
    other = signed_in("physician")
    client = bearer(raw)
    response = client.post(LOGOUT_URL)
    assert response.status_code == 204
    assert_problem(client.get(ME_URL), 401)
    assert_problem(client.post(LOGOUT_URL), 401)
    # Only that token: the same user's other sign-in goes on.
    assert other.get(ME_URL).status_code == 200


def _deactivate_through_the_api(cast: Any, user: User) -> None:
    admin = signed_in("admin")
    response = admin.patch(f"/api/v1/staff/{user.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False


def _deactivate_with_the_service(cast: Any, user: User) -> None:
    people.user_deactivate(user=user)


@pytest.mark.parametrize(("who", "deactivate"), [
    ("physician", _deactivate_through_the_api),
    ("nurse", _deactivate_through_the_api),
    ("nurse", _deactivate_with_the_service),
    ("patient_user", _deactivate_with_the_service),
])
def test_deactivating_a_user_ends_their_tokens_and_sessions(cast, who, deactivate):
    user = cast.user(who)
    token_client = signed_in(user.username)
    session_client = session_for(user.username)
    assert token_client.get(ME_URL).status_code == 200
    assert session_client.get(ME_URL).status_code == 200

    deactivate(cast, user)

    assert_problem(token_client.get(ME_URL), 401)
    assert_problem(session_client.get(ME_URL), 401)
    assert_problem(token_login(user.username), 401)
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_a_reactivated_user_does_not_get_the_old_sign_ins_back(cast):
    token_client = signed_in("nurse")
    session_client = session_for("nurse")
    _deactivate_through_the_api(cast, cast.nurse)
    admin = signed_in("admin")
    again = admin.patch(f"/api/v1/staff/{cast.nurse.pk}/", {"is_active": True}, format="json")
    assert again.status_code == 200 and again.json()["is_active"] is True
    assert_problem(token_client.get(ME_URL), 401)
    assert_problem(session_client.get(ME_URL), 401)
    assert token_login("nurse").status_code == 200


def test_a_staff_token_ends_after_30_minutes_idle(cast, frozen):
    client = signed_in("nurse")
    frozen.shift(dt.timedelta(minutes=29))
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(minutes=29))  # 58 minutes old, but used 29 minutes ago
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(minutes=30, seconds=1))
    assert_problem(client.get(ME_URL), 401)


def test_a_staff_token_ends_after_12_hours_even_in_use(cast, frozen):
    client = signed_in("physician")
    for _ in range(35):  # every 20 minutes: 11 h 40 min
        frozen.shift(dt.timedelta(minutes=20))
        assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(minutes=19))
    assert client.get(ME_URL).status_code == 200  # 11 h 59 min
    frozen.shift(dt.timedelta(minutes=2))
    assert_problem(client.get(ME_URL), 401)


def test_a_patient_token_has_no_idle_limit_and_ends_after_30_days(cast, frozen):
    client = signed_in("helen")
    frozen.shift(dt.timedelta(days=29, hours=23))
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(hours=1, minutes=1))
    assert_problem(client.get(ME_URL), 401)


# --- Session cookie with CSRF ---------------------------------------------------------------------
def test_the_csrf_endpoint_sets_the_cookie(cast):
    client = APIClient(enforce_csrf_checks=True)
    response = client.get(CSRF_URL)
    assert response.status_code == 204
    assert re.fullmatch(r"[A-Za-z0-9]{32,64}", client.cookies["csrftoken"].value)


@pytest.mark.parametrize("token", [None, "wrong-token-" + "x" * 20])
def test_a_session_login_without_the_csrf_header_is_403(cast, token):
    client = browser()
    extra = {} if token is None else {"HTTP_X_CSRFTOKEN": token}
    response = client.post(SESSION_URL, {"username": "nurse", "password": PASSWORD}, format="json",
                           **extra)
    body = assert_problem(response, 403)
    assert "CSRF" in body["detail"]
    assert "sessionid" not in response.cookies
    assert Session.objects.count() == 0
    assert_problem(client.get(ME_URL), 401)


def test_a_session_login_with_the_csrf_header_signs_in(cast):
    client = browser()
    response = session_login(client, "helen")
    assert response.status_code == 200, response.content
    assert response.json()["user"] == {
        "id": str(cast.patient_user.pk), "username": "helen", "role": "patient",
        "display_name": cast.patient_user.display_name, "patient_id": str(cast.patient.pk),
        "language": "en",
    }
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert Session.objects.filter(session_key=cookie.value).exists()
    assert client.get(ME_URL).json()["id"] == str(cast.patient_user.pk)


def test_a_session_login_with_bad_credentials_is_401(cast):
    client = browser()
    assert_problem(session_login(client, "nurse", "nope-nope-nope"), 401)
    assert Session.objects.count() == 0


def test_the_session_key_rotates_at_login(cast):
    client = browser()
    before = client.session  # an anonymous session that exists before signing in
    before["draft"] = "kept?"
    before.save()
    old_key = client.cookies["sessionid"].value
    response = session_login(client, "nurse")
    assert response.status_code == 200, response.content
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    # Someone who planted the old key has nothing.
    planted = APIClient()
    planted.cookies["sessionid"] = old_key
    assert_problem(planted.get(ME_URL), 401)
    assert client.get(ME_URL).status_code == 200


def test_signing_in_again_rotates_the_key_again(cast):
    client = session_for("nurse")
    first = client.cookies["sessionid"].value
    assert session_login(client, "physician").status_code == 200
    assert client.cookies["sessionid"].value != first
    assert client.get(ME_URL).json()["username"] == "physician"


def test_an_unsafe_request_on_a_session_needs_the_csrf_header(cast):
    client = session_for("nurse")
    response = client.post(LOGOUT_URL)
    assert_problem(response, 403)
    assert client.get(ME_URL).status_code == 200


def test_delete_session_ends_it(cast):
    client = session_for("nurse")
    key = client.cookies["sessionid"].value
    assert_problem(client.delete(SESSION_URL), 403)  # no CSRF header: nothing ends
    assert client.get(ME_URL).status_code == 200
    response = client.delete(SESSION_URL, **csrf(client))
    assert response.status_code == 204
    assert not Session.objects.filter(session_key=key).exists()
    assert_problem(client.get(ME_URL), 401)
    # The old cookie, replayed, is dead too.
    replay = APIClient()
    replay.cookies["sessionid"] = key
    assert_problem(replay.get(ME_URL), 401)


def test_logout_ends_a_session_too(cast):
    client = session_for("physician")
    assert client.post(LOGOUT_URL, **csrf(client)).status_code == 204
    assert_problem(client.get(ME_URL), 401)


def test_a_staff_session_ends_after_30_minutes_idle(cast, frozen):
    client = session_for("nurse")
    frozen.shift(dt.timedelta(minutes=29))
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(minutes=29))
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(minutes=30, seconds=1))
    assert_problem(client.get(ME_URL), 401)


def test_a_staff_session_idle_from_the_moment_of_login_ends_too(cast, frozen):
    client = session_for("physician")
    frozen.shift(dt.timedelta(minutes=31))
    assert_problem(client.get(ME_URL), 401)


def test_a_staff_session_ends_after_12_hours_even_in_use(cast, frozen):
    client = session_for("physician")
    for _ in range(35):
        frozen.shift(dt.timedelta(minutes=20))
        assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(minutes=19))
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(minutes=2))
    assert_problem(client.get(ME_URL), 401)


def test_a_patient_session_survives_two_hours_idle(cast, frozen):
    client = session_for("helen")
    frozen.shift(dt.timedelta(hours=2))
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(days=3))
    assert client.get(ME_URL).status_code == 200


def test_a_patient_session_ends_after_30_days(cast, frozen):
    client = session_for("helen")
    frozen.shift(dt.timedelta(days=29, hours=23))
    assert client.get(ME_URL).status_code == 200
    frozen.shift(dt.timedelta(hours=1, minutes=1))
    assert_problem(client.get(ME_URL), 401)


# --- Throttling -----------------------------------------------------------------------------------
def assert_throttled(response: Any, *, at_most: int = 15 * 60) -> int:
    assert_problem(response, 429)
    wait = int(response["Retry-After"])
    assert 1 <= wait <= at_most
    return wait


@pytest.mark.parametrize("username", ["physician", "no-such-person"])
def test_five_failures_for_a_username_throttle_the_sixth_attempt(cast, frozen, username):
    for n in range(5):  # each from a different address: only the username links them
        response = token_login(username, "wrong-password", REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert_problem(response, 401)
    right = token_login(username, PASSWORD, REMOTE_ADDR="10.0.1.1")
    assert assert_throttled(right) == 15 * 60
    assert ApiToken.objects.count() == 0
    # Another username from that address is not held back.
    assert token_login("nurse", REMOTE_ADDR="10.0.1.1").status_code == 200


def test_known_and_unknown_usernames_are_throttled_alike(cast, frozen):
    answers = {}
    for username in ("physician", "no-such-person"):
        for n in range(5):
            token_login(username, "wrong-password", REMOTE_ADDR=f"10.0.{len(answers)}.{n + 1}")
        answers[username] = token_login(username, "wrong-password", REMOTE_ADDR="10.0.9.9")
    known, unknown = answers["physician"], answers["no-such-person"]
    assert assert_problem(known, 429) == assert_problem(unknown, 429)
    assert known["Retry-After"] == unknown["Retry-After"]


def test_five_failures_from_one_address_throttle_it_across_usernames(cast, frozen):
    for username in ("physician", "nurse", "helen", "no-such-person", "admin"):
        assert_problem(token_login(username, "wrong-password", REMOTE_ADDR="192.0.2.7"), 401)
    assert_throttled(token_login("other_nurse", PASSWORD, REMOTE_ADDR="192.0.2.7"))
    assert not ApiToken.objects.exists()
    # The same user from elsewhere: the username had only one failure.
    assert token_login("other_nurse", PASSWORD, REMOTE_ADDR="192.0.2.8").status_code == 200


def test_the_throttle_lifts_after_the_window(cast, frozen):
    for n in range(5):
        token_login("nurse", "wrong-password", REMOTE_ADDR=f"10.1.0.{n + 1}")
    frozen.shift(dt.timedelta(minutes=10))
    assert assert_throttled(token_login("nurse", REMOTE_ADDR="10.1.1.1")) == 5 * 60
    frozen.shift(dt.timedelta(minutes=5, seconds=1))
    response = token_login("nurse", REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 200, response.content


def test_the_session_login_shares_the_throttle(cast, frozen):
    for n in range(5):
        token_login("nurse", "wrong-password", REMOTE_ADDR=f"10.2.0.{n + 1}")
    client = browser()
    response = client.post(SESSION_URL, {"username": "nurse", "password": PASSWORD}, format="json",
                           REMOTE_ADDR="10.2.1.1", **csrf(client))
    assert_throttled(response)
    assert Session.objects.count() == 0


# --- Activation -----------------------------------------------------------------------------------
def register_patient(client: APIClient, **overrides: Any) -> dict[str, Any]:
    body = {"display_name": "Ada Quinn", "birth_year": 1944, "timezone": "America/Chicago",
            "language": "en", **overrides}
    response = client.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def activate(code: str, username: str = "ada", password: str = NEW_PASSWORD, **extra: Any) -> Any:
    return APIClient().post(ACTIVATE_URL, {"activation_code": code, "username": username,
                                           "password": password}, format="json", **extra)


def test_an_activation_code_lets_the_patient_choose_a_login(cast):
    created = register_patient(signed_in("nurse"))
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", created["activation_code"])
    assert created["activated"] is False
    response = activate(created["activation_code"])
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "patient"
    assert response.json()["patient_id"] == created["id"]
    login = token_login("ada", NEW_PASSWORD)
    assert login.status_code == 200, login.content
    assert login.json()["user"]["patient_id"] == created["id"]
    patient = Patient.objects.get(pk=created["id"])
    assert patient.user is not None and patient.user.username == "ada"
    assert patient.user.role == Role.PATIENT and not patient.user.is_superuser


def test_a_code_is_typed_forgivingly(cast):
    code = register_patient(signed_in("nurse"))["activation_code"]
    response = activate(code.replace("-", "").lower())
    assert response.status_code == 201, response.content


def test_an_activation_code_works_once(cast):
    code = register_patient(signed_in("physician"))["activation_code"]
    assert activate(code).status_code == 201
    again = activate(code, username="ada-again")
    body = assert_problem(again, 400)
    assert "activation_code" in body["errors"]
    assert not User.objects.filter(username="ada-again").exists()


@pytest.mark.parametrize(("age", "works"), [
    (dt.timedelta(days=13, hours=23, minutes=59), True),
    (dt.timedelta(days=14, minutes=1), False),
])
def test_an_activation_code_expires_after_14_days(cast, frozen, age, works):
    created = register_patient(signed_in("nurse"))
    frozen.shift(age)
    response = activate(created["activation_code"])
    if works:
        assert response.status_code == 201, response.content
    else:
        assert "activation_code" in assert_problem(response, 400)["errors"]
        assert Patient.objects.get(pk=created["id"]).user is None
        assert not User.objects.filter(username="ada").exists()


def test_activation_codes_are_stored_only_as_hashes(cast):
    code = register_patient(signed_in("nurse"))["activation_code"]
    rows = list(ActivationCode.objects.values())
    assert rows
    for clear in (code, code.replace("-", ""), code.lower()):
        assert all(clear not in str(value) for row in rows for value in row.values())


@pytest.mark.parametrize("password", ["short-1", "12345678901234", "qwertyuiop", "ada-quinn-2"])
def test_activation_refuses_a_weak_password(cast, password):
    code = register_patient(signed_in("nurse"))["activation_code"]
    response = activate(code, username="ada-quinn", password=password)
    assert "password" in assert_problem(response, 400)["errors"]
    assert not User.objects.filter(username="ada-quinn").exists()
    # The code is not spent by a refused attempt.
    assert activate(code).status_code == 201


@pytest.mark.parametrize("username", ["physician", "HELEN", "admin"])
def test_activation_refuses_a_taken_username(cast, username):
    created = register_patient(signed_in("nurse"))
    users = User.objects.count()
    response = activate(created["activation_code"], username=username)
    assert "username" in assert_problem(response, 400)["errors"]
    assert User.objects.count() == users
    assert Patient.objects.get(pk=created["id"]).user is None


def test_wrong_activation_codes_are_throttled(cast, frozen):
    code = register_patient(signed_in("nurse"))["activation_code"]
    for n in range(5):
        response = activate(f"WRNG-CODE-{n:04d}".replace("0", "A"), username=f"guess{n}")
        assert "activation_code" in assert_problem(response, 400)["errors"]
    assert_throttled(activate(code))
    assert not User.objects.filter(username="ada").exists()
    # From another address, the right code still works.
    assert activate(code, REMOTE_ADDR="198.51.100.4").status_code == 201


# --- Who am I ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "role"), [
    ("admin", "admin"),
    ("physician", "physician"),
    ("nurse", "nurse"),
    ("patient_user", "patient"),
])
def test_me_answers_who_is_signed_in(cast, who, role):
    user = cast.user(who)
    for client in (signed_in(user.username), session_for(user.username)):
        response = client.get(ME_URL)
        assert response.status_code == 200
        assert response.json() == {
            "id": str(user.pk), "username": user.username, "role": role,
            "display_name": user.display_name,
            "patient_id": str(cast.patient.pk) if role == "patient" else None,
            "language": cast.patient.language if role == "patient" else None,
        }


def test_a_superuser_made_by_createsuperuser_is_an_admin(cast, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "quiet-harbor-lantern-91")
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.org",
                 verbosity=0)
    root = User.objects.get(username="root")
    assert root.role == Role.ADMIN and root.is_superuser
    client = signed_in("root", "quiet-harbor-lantern-91")
    assert client.get(ME_URL).json()["role"] == "admin"
    created = client.post("/api/v1/staff/", {"username": "new-nurse", "password": NEW_PASSWORD,
                                             "role": "nurse", "display_name": "New Nurse"},
                          format="json")
    assert created.status_code == 201, created.content

