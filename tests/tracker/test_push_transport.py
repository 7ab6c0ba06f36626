"""Web Push transport (tracker/push.py): the VAPID key pair, which endpoints may be named, and one
message sent, encrypted and signed, to a push service that checks it (tests/pushservice.py).

Every refusal also shows that nothing left the server: the service received nothing, no socket
connected, and (where the refusal comes first) no name was even looked up.
"""

from __future__ import annotations

import base64
import email.utils
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core import checks as django_checks

from tests.pushservice import FakeDNS, FakePushService, b64url, record_connections
from tracker import checks, push
from tracker.errors import ValidationError

BASE_DIR = Path(__file__).resolve().parents[2]
SUBJECT = "mailto:care@tend.invalid"
DEFAULT_SERVICES = [
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://*.push.apple.com",
    "https://*.notify.windows.com",
]
REMINDER = {"type": "reminder", "title": "Time for your cream", "body": "Tap to log it.", "url": "/",
            "course": "6b0f1c1e-7d0e-4c56-9d43-3f7a1f0e2a10"}


def pem(key: Any) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


@pytest.fixture
def vapid(settings: Any) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.TEND_VAPID_PRIVATE_KEY = pem(key)
    settings.TEND_VAPID_SUBJECT = SUBJECT
    return key


@pytest.fixture
def service(settings: Any, vapid: ec.EllipticCurvePrivateKey) -> Iterator[FakePushService]:
    with FakePushService() as fake:
        settings.TEND_PUSH_SERVICES = [fake.origin]
        yield fake


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    return record_connections(monkeypatch)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    return FakeDNS(monkeypatch)


# --- A message sent ---------------------------------------------------------------------------------


def test_a_message_arrives_encrypted_and_signed(service: FakePushService) -> None:
    subscription = service.new_subscription()
    before = time.time()

    response = push.send(**subscription.send_args(), payload=REMINDER)

    assert response == push.PushResponse(201, None)
    assert response.ok and not response.gone and not response.retryable
    [received] = service.received
    assert received.problems == []
    assert received.payload == REMINDER
    assert REMINDER["title"].encode() not in received.body  # the push service cannot read it
    assert received.method == "POST" and received.path == subscription.endpoint.removeprefix(service.origin)
    assert received.public_key == push.vapid_public_key()
    assert received.claims is not None
    assert received.claims["aud"] == service.origin and received.claims["sub"] == SUBJECT
    assert before < received.claims["exp"] <= before + 24 * 3600
    assert received.headers["authorization"].startswith("vapid t=")
    assert received.headers["ttl"] == "86400"
    assert received.headers["urgency"] == "normal"
    assert received.headers["content-encoding"] == "aes128gcm"
    assert received.headers["host"] == service.origin.removeprefix("http://")


def test_ttl_and_urgency_are_sent_as_given(service: FakePushService) -> None:
    subscription = service.new_subscription()
    push.send(**subscription.send_args(), payload={"type": "alert"}, ttl=600, urgency="high")
    [received] = service.received
    assert received.problems == []
    assert (received.headers["ttl"], received.headers["urgency"]) == ("600", "high")


def test_each_message_is_encrypted_afresh(service: FakePushService) -> None:
    subscription = service.new_subscription()
    push.send(**subscription.send_args(), payload=REMINDER)
    push.send(**subscription.send_args(), payload=REMINDER)
    first, second = service.received
    assert first.payload == second.payload == REMINDER
    assert first.body != second.body  # a new salt and sender key each time


def test_a_non_ascii_payload_round_trips(service: FakePushService) -> None:
    subscription = service.new_subscription()
    payload = {"type": "reminder", "title": "Hora de su crema", "body": "Tóquelo para anotarlo."}
    push.send(**subscription.send_args(), payload=payload)
    assert service.received[0].payload == payload


def _http_date(seconds_from_now: int) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(("status", "retry_after", "outcome", "seconds"), [
    (201, None, "ok", None),
    (202, None, "ok", None),
    (404, None, "gone", None),
    (410, None, "gone", None),
    (429, "120", "retryable", 120),
    (500, None, "retryable", None),
    (503, "http-date", "retryable", 90),
    (503, "soon", "retryable", None),                           # no number, no date: unknown
    (400, None, None, None),
    (413, None, None, None),
])
def test_each_answer_is_mapped(service: FakePushService, status: int, retry_after: str | None,
                               outcome: str | None, seconds: int | None) -> None:
    subscription = service.new_subscription()
    subscription.answer(status, retry_after=_http_date(90) if retry_after == "http-date" else retry_after)

    response = push.send(**subscription.send_args(), payload=REMINDER)

    assert response.status_code == status
    assert {name for name in ("ok", "gone", "retryable") if getattr(response, name)} == (
        {outcome} if outcome else set())
    if seconds is None:
        assert response.retry_after is None
    else:
        assert response.retry_after is not None and seconds - 2 <= response.retry_after <= seconds
    assert len(service.received_for(subscription)) == 1


def test_a_redirect_is_not_followed(service: FakePushService) -> None:
    subscription, elsewhere = service.new_subscription(), service.new_subscription()
    subscription.answer(307, headers={"Location": elsewhere.endpoint})

    response = push.send(**subscription.send_args(), payload=REMINDER)

    assert response.status_code == 307 and not (response.ok or response.gone or response.retryable)
    assert service.received_for(elsewhere) == []
    assert len(service.received) == 1


def test_a_service_that_does_not_answer_in_time_is_a_transport_error(service: FakePushService) -> None:
    subscription = service.new_subscription()
    subscription.answer(201, delay=2)
    started = time.monotonic()
    with pytest.raises(push.PushTransportError) as raised:
        push.send(**subscription.send_args(), payload=REMINDER, timeout=0.3)
    assert raised.value.retryable
    assert time.monotonic() - started < 1.5


def test_a_service_that_is_down_is_a_transport_error(settings: Any, vapid: Any) -> None:
    with FakePushService() as fake:
        subscription = fake.new_subscription()
    settings.TEND_PUSH_SERVICES = [fake.origin]  # named, but nobody listens there any more
    with pytest.raises(push.PushTransportError):
        push.send(**subscription.send_args(), payload=REMINDER)


def test_a_name_that_does_not_resolve_is_a_transport_error(settings: Any, vapid: Any,
                                                            connections: list[Any]) -> None:
    settings.TEND_PUSH_SERVICES = ["https://*.push.tend.invalid"]
    with FakePushService() as fake:
        keys = fake.new_subscription().send_args()
    keys["endpoint"] = "https://nowhere.push.tend.invalid/push/x"  # .invalid never resolves
    with pytest.raises(push.PushTransportError):
        push.send(**keys, payload=REMINDER)
    assert connections == []


def test_a_payload_over_3_kb_is_refused_before_anything_is_sent(service: FakePushService,
                                                                connections: list[Any]) -> None:
    subscription = service.new_subscription()
    with pytest.raises(ValueError, match="3072"):
        push.send(**subscription.send_args(), payload={"body": "x" * 3100})
    push.send(**subscription.send_args(), payload={"body": "x" * 3000})  # just under: it goes
    assert len(service.received) == 1 and service.received[0].problems == []
    assert len(connections) == 1


@pytest.mark.parametrize("options", [{"ttl": -1}, {"urgency": "urgent"}])
def test_a_bad_ttl_or_urgency_is_refused(service: FakePushService, options: dict[str, Any]) -> None:
    subscription = service.new_subscription()
    with pytest.raises(ValueError):
        push.send(**subscription.send_args(), payload=REMINDER, **options)
    assert service.received == []


# --- The VAPID key pair -----------------------------------------------------------------------------


def test_the_public_key_is_the_uncompressed_point_in_base64url(vapid: ec.EllipticCurvePrivateKey) -> None:
    public = push.vapid_public_key()
    assert "=" not in public and len(public) == 87
    assert base64.urlsafe_b64decode(public + "=") == public_point(vapid)
    assert push.vapid_key().private_numbers() == vapid.private_numbers()
    assert push.push_configured()


def test_a_new_key_in_the_settings_is_used_at_once(settings: Any, vapid: Any) -> None:
    first = push.vapid_public_key()
    other = ec.generate_private_key(ec.SECP256R1())
    settings.TEND_VAPID_PRIVATE_KEY = pem(other)
    assert push.vapid_public_key() == b64url(public_point(other)) != first


def test_a_key_flattened_onto_one_line_is_read(settings: Any) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.TEND_VAPID_PRIVATE_KEY = pem(key).replace("\n", "\\n")
    assert push.vapid_public_key() == b64url(public_point(key))


def _isolated_env(data_dir: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DJANGO_", "TEND_", "DATABASE_URL", "REDIS_URL", "CELERY_"))}
    return env | {"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1",
                  "TEND_DATA_DIR": str(data_dir)}


def test_in_debug_a_key_is_made_once_kept_private_and_reused(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    settings.TEND_VAPID_PRIVATE_KEY = ""
    settings.TEND_VAPID_SUBJECT = SUBJECT

    public = push.vapid_public_key()

    path = tmp_path / "vapid_private.pem"
    stored = path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"BEGIN PRIVATE KEY" in stored
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vapid_private.pem"]  # no temporary left
    assert push.push_configured()
    push.clear_cache()  # as a new process would start
    assert push.vapid_public_key() == public
    assert path.read_bytes() == stored
    # Another process (the worker, the next `make run`) finds the same key.
    script = "import django; django.setup(); from tracker import push; print(push.vapid_public_key())"
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=_isolated_env(tmp_path),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == public
    assert path.read_bytes() == stored


def test_in_debug_a_key_already_kept_is_used(settings: Any, tmp_path: Path) -> None:
    kept = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "vapid_private.pem").write_text(pem(kept))
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    settings.TEND_VAPID_PRIVATE_KEY = ""
    assert push.vapid_public_key() == b64url(public_point(kept))
    assert (tmp_path / "vapid_private.pem").read_text() == pem(kept)


def test_in_debug_two_processes_making_the_key_at_once_keep_the_first(
        settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # This process saw no key, made one, and another process stored its own in the meantime.
    first = ec.generate_private_key(ec.SECP256R1())
    real_link = os.link

    def link_after_the_other(source: Any, target: Any) -> None:
        Path(target).write_text(pem(first))
        real_link(source, target)

    monkeypatch.setattr(os, "link", link_after_the_other)
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    settings.TEND_VAPID_PRIVATE_KEY = ""
    assert push.vapid_public_key() == b64url(public_point(first))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vapid_private.pem"]


def test_with_debug_off_and_no_key_push_is_off(settings: Any, tmp_path: Path,
                                               connections: list[Any]) -> None:
    settings.DEBUG = False
    settings.DATA_DIR = tmp_path
    settings.TEND_VAPID_PRIVATE_KEY = ""
    settings.TEND_VAPID_SUBJECT = SUBJECT
    with FakePushService() as fake:
        settings.TEND_PUSH_SERVICES = [fake.origin]
        subscription = fake.new_subscription()
        for read in (push.vapid_key, push.vapid_public_key):
            with pytest.raises(push.PushNotConfigured):
                read()
        assert not push.push_configured()
        with pytest.raises(push.PushNotConfigured):
            push.send(**subscription.send_args(), payload=REMINDER)
        assert fake.received == []
    assert connections == []
    assert list(tmp_path.iterdir()) == []  # nothing generated


@pytest.mark.parametrize("subject", ["", "care@tend.invalid", "http://tend.example.org"])
def test_without_a_proper_subject_push_is_off(settings: Any, vapid: Any, subject: str) -> None:
    settings.TEND_VAPID_SUBJECT = subject
    with pytest.raises(push.PushNotConfigured):
        push.vapid_subject()
    assert not push.push_configured()


def test_an_https_subject_is_taken(settings: Any, vapid: Any) -> None:
    settings.TEND_VAPID_SUBJECT = "https://tend.example.org/contact"
    assert push.vapid_subject() == "https://tend.example.org/contact"


@pytest.mark.parametrize("make", [
    lambda: "not a key",
    lambda: pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    lambda: pem(ec.generate_private_key(ec.SECP384R1())),
], ids=["garbage", "rsa", "p-384"])
def test_a_key_that_is_not_p256_is_refused(settings: Any, make: Any) -> None:
    settings.TEND_VAPID_PRIVATE_KEY = make()
    settings.TEND_VAPID_SUBJECT = SUBJECT
    with pytest.raises(push.PushNotConfigured):
        push.vapid_key()
    assert not push.push_configured()


# --- Which endpoints may be named -------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH",
    "https://FCM.GoogleAPIs.com/fcm/send/x",                   # host names ignore case
    "https://fcm.googleapis.com:443/fcm/send/x",               # the default port, written out
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
    "https://web.push.apple.com/QGuQyavXutnMH",
    "https://a.b.push.apple.com/x",                            # one or more labels under *.
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
])
def test_the_browsers_push_services_are_accepted(settings: Any, endpoint: str) -> None:
    settings.TEND_PUSH_SERVICES = DEFAULT_SERVICES
    assert push.validate_endpoint(endpoint) == endpoint


@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/x",                    # not https
    "https://127.0.0.1/x",                                     # loopback
    "https://169.254.169.254/latest/meta-data/",               # link-local: cloud metadata
    "https://10.0.0.1/x",                                      # private
    "https://192.168.1.20/x",
    "https://[::1]/x",
    "https://[fe80::1]/x",
    "https://[::ffff:127.0.0.1]/x",                            # IPv4-mapped loopback
    "https://2130706433/x",                                    # 127.0.0.1 as one number
    "https://0x7f.1/x",                                        # 127.0.0.1 in hex, shortened
    "https://0177.0.0.1/x",                                    # in octal
    "https://127.1/x",
    "https://8.8.8.8/x",                                       # public, but no push service's name
    "https://user@fcm.googleapis.com/x",                       # userinfo
    "https://user:pw@fcm.googleapis.com/x",
    "https://fcm.googleapis.com:8443/x",                       # an odd port
    "https://fcm.googleapis.com:0/x",
    "https://fcm.googleapis.com:99999/x",
    "https://push.evil.invalid/x",                             # a host outside the list
    "https://fcm.googleapis.com.evil.invalid/x",
    "https://push.apple.com/x",                                # *. needs a label before it
    "https://evilpush.apple.com/x",
    "https://fcm.googleapis.com./x",                           # a trailing dot
    "https://fcm%2egoogleapis.com/x",
    "https://fcm.googleapis.com\\@evil.invalid/x",
    "https://fcm.googleapis.com/x#fragment",
    "https://fcm.googleapis.com/x y",
    "https://[not-ipv6]/x",
    "https://fcm.googleapis.com/" + "x" * 2048,                 # longer than 2048
    "ftp://fcm.googleapis.com/x",
    "//fcm.googleapis.com/x",
    "fcm.googleapis.com/x",
    "not a url",
    "",
])
def test_an_endpoint_off_the_push_services_is_refused_and_never_reached(
        settings: Any, vapid: Any, dns: FakeDNS, connections: list[Any], endpoint: str) -> None:
    settings.TEND_PUSH_SERVICES = DEFAULT_SERVICES
    with pytest.raises(ValidationError) as refused:
        push.validate_endpoint(endpoint)
    assert list(refused.value.error_dict) == ["endpoint"]

    with FakePushService() as fake:
        keys = fake.new_subscription().send_args()
    with pytest.raises(push.PushRefused):
        push.send(**keys | {"endpoint": endpoint}, payload=REMINDER)
    assert dns.lookups == [] and connections == []


def test_the_test_service_is_allowed_only_where_its_origin_is_named_exactly(
        settings: Any, service: FakePushService) -> None:
    subscription = service.new_subscription()
    port = service.port
    for services in (DEFAULT_SERVICES, ["http://127.0.0.1"], [f"https://127.0.0.1:{port}"],
                     [f"http://127.0.0.1:{port + 1}"], [f"http://localhost:{port}"]):
        settings.TEND_PUSH_SERVICES = services
        with pytest.raises(ValidationError):
            push.validate_endpoint(subscription.endpoint)
        with pytest.raises(push.PushRefused):
            push.send(**subscription.send_args(), payload=REMINDER)
    assert service.received == []

    settings.TEND_PUSH_SERVICES = [*DEFAULT_SERVICES, service.origin]
    assert push.validate_endpoint(subscription.endpoint) == subscription.endpoint
    assert push.send(**subscription.send_args(), payload=REMINDER).ok


def test_an_entry_that_is_not_an_origin_allows_nothing(settings: Any) -> None:
    settings.TEND_PUSH_SERVICES = ["fcm.googleapis.com", "https://fcm.googleapis.com/fcm/send"]
    with pytest.raises(ValidationError):
        push.validate_endpoint("https://fcm.googleapis.com/fcm/send/x")


def test_an_exact_ipv6_origin_matches_however_the_address_is_written(settings: Any) -> None:
    settings.TEND_PUSH_SERVICES = ["http://[::1]:8080"]
    assert push.validate_endpoint("http://[::1]:8080/push/x")
    assert push.validate_endpoint("http://[0:0::1]:8080/push/x")
    with pytest.raises(ValidationError):
        push.validate_endpoint("http://[::1]:8081/push/x")


@pytest.mark.parametrize("addresses", [
    ["10.0.0.5"],
    ["127.0.0.1"],
    ["169.254.169.254"],
    ["100.64.0.1"],                                            # carrier-grade NAT
    ["0.0.0.0"],  # noqa: S104  (an address a name resolves to, never bound)
    ["224.0.0.251"],                                           # multicast
    ["::1"],
    ["fd00::1"],
    ["::ffff:10.0.0.5"],
    ["64:ff9b::a00:5"],                                        # NAT64 of 10.0.0.5
    ["ff02::1"],
    ["93.184.215.14", "10.0.0.5"],                             # one bad address is enough
])
def test_a_pattern_name_that_resolves_to_a_private_address_is_refused_at_send(
        settings: Any, vapid: Any, dns: FakeDNS, connections: list[Any], addresses: list[str]) -> None:
    settings.TEND_PUSH_SERVICES = ["https://*.push.tend.invalid"]
    endpoint = "https://rebind.push.tend.invalid/push/x"
    dns.point("rebind.push.tend.invalid", *addresses)
    assert push.validate_endpoint(endpoint) == endpoint  # the name alone is allowed
    with FakePushService() as fake:
        keys = fake.new_subscription().send_args()

    with pytest.raises(push.PushRefused):
        push.send(**keys | {"endpoint": endpoint}, payload=REMINDER)

    assert dns.lookups == ["rebind.push.tend.invalid"]
    assert connections == []


def test_the_address_checked_is_the_address_connected_to(settings: Any, service: FakePushService,
                                                         dns: FakeDNS, connections: list[Any]) -> None:
    # The name answers the fake's address once, then an address that would be refused: the
    # connection goes where the first answer said, and the name is asked only once.
    dns.answer("push.tend.invalid", lambda asked: ["127.0.0.1"] if asked == 0 else ["10.255.255.1"])
    origin = f"http://push.tend.invalid:{service.port}"
    settings.TEND_PUSH_SERVICES = [origin]  # named exactly, so its loopback address is allowed
    subscription = service.new_subscription()
    endpoint = subscription.endpoint.replace(service.origin, origin)

    response = push.send(**subscription.send_args() | {"endpoint": endpoint}, payload=REMINDER)

    assert response.ok
    [received] = service.received
    assert received.problems == [] and received.payload == REMINDER
    assert received.headers["host"] == f"push.tend.invalid:{service.port}"
    assert received.claims is not None and received.claims["aud"] == origin
    assert dns.asked("push.tend.invalid") == 1
    assert connections == [("127.0.0.1", service.port)]


def test_https_verifies_the_certificate_of_the_name_on_the_pinned_address(
        settings: Any, vapid: Any, dns: FakeDNS, connections: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    with FakePushService(tls_host="push.tend.invalid") as fake:
        assert fake.ca_file is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_file))  # trust the fake's CA alone
        dns.point("push.tend.invalid", "127.0.0.1")
        settings.TEND_PUSH_SERVICES = [fake.origin]
        subscription = fake.new_subscription()

        assert push.send(**subscription.send_args(), payload=REMINDER).ok

        [received] = fake.received
        assert received.problems == [] and received.payload == REMINDER
        assert received.claims is not None and received.claims["aud"] == fake.origin
        assert fake.server_names == ["push.tend.invalid"]  # SNI names the host, not the address
        assert connections == [("127.0.0.1", fake.port)]


@pytest.mark.parametrize(("host", "trusted"), [("other.tend.invalid", True),
                                               ("push.tend.invalid", False)],
                         ids=["certificate-for-another-name", "unknown-authority"])
def test_https_refuses_a_certificate_it_cannot_trust(settings: Any, vapid: Any, dns: FakeDNS,
                                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     host: str, trusted: bool) -> None:
    with FakePushService(tls_host="push.tend.invalid") as fake:
        assert fake.ca_file is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_file if trusted else tmp_path / "none.pem"))
        dns.point(host, "127.0.0.1")
        origin = f"https://{host}:{fake.port}"
        settings.TEND_PUSH_SERVICES = [origin]
        subscription = fake.new_subscription()
        endpoint = subscription.endpoint.replace(fake.origin, origin)

        with pytest.raises(push.PushTransportError):
            push.send(**subscription.send_args() | {"endpoint": endpoint}, payload=REMINDER)

        assert fake.received == []


# --- A subscription's keys --------------------------------------------------------------------------


def test_a_browsers_keys_are_accepted_with_or_without_padding() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    p256dh, auth = b64url(public_point(key)), b64url(secrets.token_bytes(16))
    push.validate_keys(p256dh, auth)
    push.validate_keys(p256dh + "=", auth + "==")


def _off_curve_point() -> bytes:
    point = bytearray(public_point(ec.generate_private_key(ec.SECP256R1())))
    point[-1] ^= 1  # y no longer fits x
    return bytes(point)


def _standard_base64_point() -> str:
    """A point whose standard base64 holds + or /, which base64url does not."""
    while True:
        encoded = base64.b64encode(public_point(ec.generate_private_key(ec.SECP256R1()))).decode()
        if "+" in encoded or "/" in encoded:
            return encoded


AUTH = b64url(secrets.token_bytes(16))
P256DH = b64url(public_point(ec.generate_private_key(ec.SECP256R1())))


@pytest.mark.parametrize(("p256dh", "auth", "fields"), [
    ("not base64url!", AUTH, ["keys.p256dh"]),
    (_standard_base64_point(), AUTH, ["keys.p256dh"]),
    ("", AUTH, ["keys.p256dh"]),
    (b64url(_off_curve_point()), AUTH, ["keys.p256dh"]),
    (b64url(b"\x04" + bytes(64)), AUTH, ["keys.p256dh"]),
    (b64url(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)), AUTH, ["keys.p256dh"]),
    (b64url(secrets.token_bytes(65)), AUTH, ["keys.p256dh"]),
    (P256DH, b64url(secrets.token_bytes(15)), ["keys.auth"]),
    (P256DH, b64url(secrets.token_bytes(17)), ["keys.auth"]),
    (P256DH, "***", ["keys.auth"]),
    (P256DH, "", ["keys.auth"]),
    ("x", "y", ["keys.p256dh", "keys.auth"]),
], ids=["not-base64url", "standard-base64", "empty", "off-curve", "zeros", "compressed",
        "random-65", "auth-15", "auth-17", "auth-not-base64url", "auth-empty", "both"])
def test_keys_that_are_not_a_browsers_are_refused(p256dh: str, auth: str, fields: list[str]) -> None:
    with pytest.raises(ValidationError) as refused:
        push.validate_keys(p256dh, auth)
    assert sorted(refused.value.error_dict) == sorted(fields)


def test_a_message_to_bad_keys_is_refused_before_sending(service: FakePushService,
                                                         connections: list[Any]) -> None:
    subscription = service.new_subscription()
    with pytest.raises(push.PushRefused):
        push.send(**subscription.send_args() | {"auth": b64url(secrets.token_bytes(15))},
                  payload=REMINDER)
    assert service.received == [] and connections == []


# --- The system checks ------------------------------------------------------------------------------


def _tend_messages() -> list[django_checks.CheckMessage]:
    return [message for message in django_checks.run_checks(include_deployment_checks=True)
            if str(message.id).startswith("tend.")]


def test_deploy_check_says_push_is_off_as_information_only(settings: Any) -> None:
    settings.DEBUG = False
    settings.TEND_VAPID_PRIVATE_KEY = ""
    settings.TEND_VAPID_SUBJECT = ""
    [message] = _tend_messages()
    assert message.id == "tend.I001" and message.level == django_checks.INFO
    assert message.level < django_checks.WARNING
    assert "Web Push is off" in message.msg
    assert checks.web_push_off() == [message]
    assert [m.id for m in django_checks.run_checks() if str(m.id).startswith("tend.")] == []


def test_checks_are_quiet_when_push_is_set_up(settings: Any, vapid: Any) -> None:
    settings.DEBUG = False
    settings.TEND_PUSH_SERVICES = DEFAULT_SERVICES
    assert _tend_messages() == []


def test_checks_are_quiet_in_debug(settings: Any) -> None:
    settings.DEBUG = True
    settings.TEND_VAPID_PRIVATE_KEY = ""
    assert _tend_messages() == []


def test_checks_name_each_bad_setting(settings: Any) -> None:
    settings.TEND_VAPID_PRIVATE_KEY = pem(ec.generate_private_key(ec.SECP384R1()))
    settings.TEND_VAPID_SUBJECT = "care@tend.invalid"
    settings.TEND_PUSH_SERVICES = ["https://fcm.googleapis.com", "fcm.googleapis.com",
                                   "https://push.example.org/path"]
    messages = _tend_messages()
    assert [m.id for m in messages] == ["tend.E001", "tend.E002", "tend.E003", "tend.E003"]
    assert all(m.level == django_checks.ERROR for m in messages)
