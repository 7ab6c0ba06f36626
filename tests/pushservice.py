"""A push service for tests: a real HTTP server on 127.0.0.1 that checks what a browser's push
service would, and decrypts what it receives as the browser would.

    with FakePushService() as service:
        settings.TEND_PUSH_SERVICES = [service.origin]
        subscription = service.new_subscription()
        push.send(**subscription.send_args(), payload={...})
        [message] = service.received
        assert message.problems == [] and message.payload == {...}

Each subscription answers 201 unless told otherwise (`subscription.answer(410)`). What arrives is
recorded with its VAPID claims (the ES256 signature checked against the `k=` key) and its payload
(decrypted with the subscription's private key and auth secret); whatever a real service would
refuse is listed in `problems`, and answered 400 (undecryptable) or 403 (bad VAPID).

`FakeDNS` points names at addresses, and `record_connections` lists every socket connect, for the
tests that must show what was (or was not) reached.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import http.server
import ipaddress
import json
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import http_ece  # type: ignore[import-untyped]
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from tracker import push

MAX_BODY = 8192  # a push service takes 4096 bytes of encrypted payload; anything larger is refused


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Subscription:
    """What a browser's PushSubscription holds: the endpoint and keys it shares, and the private
    key and auth secret it keeps to decrypt."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def to_json(self) -> dict[str, Any]:
        """As PushSubscription.toJSON() gives it to the PWA."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def send_args(self) -> dict[str, str]:
        """The keyword arguments of tracker.push.send that name this subscription."""
        return {"endpoint": self.endpoint, "p256dh": self.p256dh, "auth": self.auth}

    def answer(self, status: int, *, retry_after: str | int | None = None,
               headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        """Answer this status from now on (after `delay` seconds), with these headers."""
        self.status = status
        self.headers = dict(headers or {})
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)
        self.delay = delay


@dataclass
class Received:
    """One request as the push service saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    subscription: Subscription | None
    status: int  # what the service answered
    claims: dict[str, Any] | None = None  # the VAPID JWT's claims, once its signature is checked
    public_key: str | None = None  # the `k=` of the Authorization header
    payload: Any = None  # the decrypted body, parsed as JSON
    problems: list[str] = field(default_factory=list)


class FakePushService:
    """A push service on 127.0.0.1, in a thread. With `tls_host`, it speaks HTTPS with a
    certificate for that name, signed by a CA of its own whose PEM is at `ca_file`; `origin` then
    names that host, which FakeDNS must point at 127.0.0.1."""

    def __init__(self, *, tls_host: str | None = None) -> None:
        self.tls_host = tls_host
        self.received: list[Received] = []
        self.server_names: list[str | None] = []  # the SNI of each TLS handshake
        self.ca_file: Path | None = None
        self._subscriptions: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Running --------------------------------------------------------------------------------
    def __enter__(self) -> FakePushService:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        if self.tls_host:
            self._server.socket = self._tls_context().wrap_socket(self._server.socket,
                                                                  server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def port(self) -> int:
        assert self._server is not None, "start the service first: with FakePushService() as ..."
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        if self.tls_host:
            return f"https://{self.tls_host}:{self.port}"
        return f"http://127.0.0.1:{self.port}"

    # --- Subscriptions --------------------------------------------------------------------------
    def new_subscription(self, *, status: int = 201) -> Subscription:
        """A subscription as a browser would make one, with its endpoint on this service."""
        token = secrets.token_urlsafe(24)
        subscription = Subscription(endpoint=f"{self.origin}/push/{token}",
                                    private_key=ec.generate_private_key(ec.SECP256R1()),
                                    auth_secret=secrets.token_bytes(16), status=status)
        with self._lock:
            self._subscriptions[f"/push/{token}"] = subscription
        return subscription

    def received_for(self, subscription: Subscription) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.subscription is subscription]

    # --- What a push service checks -------------------------------------------------------------
    def _receive(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Received:
        with self._lock:
            subscription = self._subscriptions.get(path)
        received = Received(method=method, path=path, headers=headers, body=body,
                            subscription=subscription, status=404)
        if subscription is None:
            received.problems.append("no such subscription")
        elif method != "POST":
            received.status = 405
            received.problems.append(f"{method}, not POST")
        else:
            scheme = "https" if self.tls_host else "http"
            self._check_vapid(received, f"{scheme}://{headers.get('host', '')}")
            self._check_headers(received)
            self._decrypt(received, subscription)
            vapid_problem = received.claims is None or any("VAPID" in p for p in received.problems)
            received.status = (403 if vapid_problem else 400 if received.problems
                               else subscription.status)
        with self._lock:
            self.received.append(received)
        return received

    def _check_vapid(self, received: Received, audience: str) -> None:
        scheme, _, params = received.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            received.problems.append("VAPID: no `Authorization: vapid t=...,k=...` header")
            return
        parts = dict(item.strip().split("=", 1) for item in params.split(",") if "=" in item)
        token, key = parts.get("t", ""), parts.get("k", "")
        received.public_key = key
        try:
            claims = verify_jwt(token, key)
        except (InvalidSignature, ValueError) as exc:
            received.problems.append(f"VAPID: the token does not verify against k ({exc!r})")
            return
        received.claims = claims
        now = time.time()
        try:
            expected_key = push.vapid_public_key()
        except push.PushNotConfigured:
            expected_key = None
        if key != expected_key:
            received.problems.append("VAPID: k is not the server's public key")
        if claims.get("aud") != audience:
            received.problems.append(f"VAPID: aud {claims.get('aud')!r} is not {audience!r}")
        exp = claims.get("exp")
        if not isinstance(exp, int) or not now < exp <= now + 24 * 3600:
            received.problems.append(f"VAPID: exp {exp!r} is not within the next 24 hours")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            received.problems.append(f"VAPID: sub {sub!r} is not a mailto: or https: URL")

    @staticmethod
    def _check_headers(received: Received) -> None:
        headers = received.headers
        if not headers.get("ttl", "").isdigit():
            received.problems.append(f"TTL {headers.get('ttl')!r} is not a number of seconds")
        if headers.get("content-encoding") != "aes128gcm":
            received.problems.append(f"Content-Encoding {headers.get('content-encoding')!r}")
        if headers.get("urgency", "normal") not in ("very-low", "low", "normal", "high"):
            received.problems.append(f"Urgency {headers.get('urgency')!r}")

    @staticmethod
    def _decrypt(received: Received, subscription: Subscription) -> None:
        try:
            plaintext = http_ece.decrypt(received.body, private_key=subscription.private_key,
                                         auth_secret=subscription.auth_secret, version="aes128gcm")
            received.payload = json.loads(plaintext)
        except (http_ece.ECEException, InvalidSignature, ValueError, TypeError,
                binascii.Error) as exc:
            received.problems.append(f"the payload does not decrypt ({exc!r})")

    # --- TLS ------------------------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        assert self.tls_host is not None
        self._folder = Path(tempfile.mkdtemp(prefix="tend-push-"))
        ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake push CA")])
        now = dt.datetime.now(dt.UTC)
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False,
                                           encipher_only=False, decipher_only=False), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
        leaf = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.tls_host)]))
                .issuer_name(ca_name).public_key(leaf_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(self.tls_host)]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_file = self._folder / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        chain, key_file = self._folder / "leaf.pem", self._folder / "leaf.key"
        chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM,
                                                    serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key_file)

        def note_server_name(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
            self.server_names.append(name)

        context.sni_callback = note_server_name
        return context


def verify_jwt(token: str, public_key: str) -> dict[str, Any]:
    """The claims of an ES256 JWT whose signature verifies against this base64url P-256 point."""
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg {header.get('alg')!r}, not ES256")
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise ValueError("an ES256 signature is 64 bytes, r then s")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public_key))
    der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
    key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims: dict[str, Any] = json.loads(b64url_decode(claims_b64))
    return claims


def _handler_for(service: FakePushService) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            received = service._receive(self.command, self.path, headers, body)
            subscription = received.subscription
            if subscription is not None and subscription.delay:
                time.sleep(subscription.delay)
            self.send_response(received.status)
            for name, value in (subscription.headers if subscription else {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET = do_PUT = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the test reads `received`

    return Handler


# --- Reaching the service -------------------------------------------------------------------------

AddressInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


class FakeDNS:
    """socket.getaddrinfo answering for the names it was given (a list of addresses, or a function
    of how many times the name was asked before); any other name goes to the real resolver.
    `lookups` lists every name asked about."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: dict[str, list[str] | Callable[[int], list[str]]] = {}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,
                        flags: int = 0) -> list[AddressInfo]:
            name = host.decode() if isinstance(host, bytes) else str(host)
            self.lookups.append(name)
            if name not in self.names:
                return real(host, port, family, type, proto, flags)
            answer = self.names[name]
            addresses = answer(self.lookups.count(name) - 1) if callable(answer) else answer
            result: list[AddressInfo] = []
            for address in addresses:
                ip = ipaddress.ip_address(address)
                if ip.version == 6:
                    result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0)))
                else:
                    result.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port))))
            return result

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def point(self, name: str, *addresses: str) -> None:
        self.names[name] = list(addresses)

    def answer(self, name: str, answers: Callable[[int], list[str]]) -> None:
        self.names[name] = answers

    def asked(self, name: str) -> int:
        return self.lookups.count(name)


def record_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Every address a Python socket connects to from now on (the connection still happens)."""
    connections: list[tuple[Any, ...]] = []
    real = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        connections.append(tuple(address) if isinstance(address, tuple) else (address,))
        real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return connections
