"""Web Push: the VAPID key pair, which endpoints a subscription may name, and sending one message.

A push endpoint is a URL the browser hands us, so it is an address an attacker chooses. The server
only ever talks to the push services that TEND_PUSH_SERVICES names, checks each address the name
resolves to, and connects to the address it checked, never to a second lookup of the name.

Payloads are encrypted as RFC 8291 `aes128gcm` with http-ece (pywebpush's own encoder, without the
two HTTP clients pywebpush would import) and signed with an RFC 8292 VAPID token (py-vapid).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import ipaddress
import json
import os
import re
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import http_ece  # type: ignore[import-untyped]
import urllib3
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from py_vapid import jwt as vapid_jwt  # type: ignore[import-untyped]

from tracker.errors import ValidationError, field_error

__all__ = [
    "MAX_ENDPOINT_LENGTH",
    "MAX_PAYLOAD_BYTES",
    "PushError",
    "PushNotConfigured",
    "PushRefused",
    "PushResponse",
    "PushService",
    "PushTransportError",
    "clear_cache",
    "parse_private_key",
    "parse_service",
    "push_configured",
    "send",
    "validate_endpoint",
    "validate_keys",
    "vapid_key",
    "vapid_public_key",
    "vapid_subject",
]

MAX_ENDPOINT_LENGTH = 2048
# A push service takes 4096 bytes of encrypted record; 3 KB of JSON leaves room for its overhead.
MAX_PAYLOAD_BYTES = 3072
# RFC 8292 lets a token live 24 hours; half of that leaves room for a fast clock on either side.
TOKEN_LIFETIME_SECONDS = 12 * 3600
URGENCIES = ("very-low", "low", "normal", "high")
DEBUG_KEY_FILE = "vapid_private.pem"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# A last label that is a number makes the whole host an IPv4 address to a browser ("0x7f.1",
# "2130706433", "0177.0.0.1" are all 127.0.0.1), whatever the labels before it.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# Ranges that Python 3.11's is_global still calls global but that are no public push service.
# 2001::/23 holds Teredo and 2002::/16 is 6to4: tunnels to an IPv4 address of anyone's choosing.
_NOT_PUBLIC = [ipaddress.ip_network(net) for net in ("192.0.0.0/24", "2001::/23", "2002::/16")]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class PushError(Exception):
    """Anything that stops a message from being sent."""


class PushNotConfigured(PushError):
    """No VAPID key or subject: Web Push is off (debug off and none set), or the setting is bad."""


class PushRefused(PushError):
    """The subscription names an address the server will not send to."""


class PushTransportError(PushError):
    """The push service could not be reached or did not answer in time; worth trying again."""

    retryable = True


@dataclass(frozen=True)
class PushResponse:
    """What the push service answered. `retry_after` is in seconds, when it said."""

    status_code: int
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """The subscription no longer exists: forget it."""
        return self.status_code in (404, 410)

    @property
    def retryable(self) -> bool:
        return self.status_code == 429 or 500 <= self.status_code < 600


# --- The VAPID key pair and subject ---------------------------------------------------------------


def parse_private_key(pem: str, *, source: str = "TEND_VAPID_PRIVATE_KEY") -> ec.EllipticCurvePrivateKey:
    """The P-256 private key in this PEM; PushNotConfigured naming `source` if it is not one.
    A PEM flattened onto one line with literal `\\n`s (as some environment files keep it) is read too.
    """
    try:
        key = serialization.load_pem_private_key(pem.replace("\\n", "\n").encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise PushNotConfigured(f"{source} is not an unencrypted private key in PEM") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PushNotConfigured(f"{source} is not a P-256 (prime256v1) key")
    return key


@functools.cache
def _private_key() -> ec.EllipticCurvePrivateKey:
    if settings.TEND_VAPID_PRIVATE_KEY:
        return parse_private_key(settings.TEND_VAPID_PRIVATE_KEY)
    if not settings.DEBUG:
        raise PushNotConfigured("Web Push is off: TEND_VAPID_PRIVATE_KEY is not set")
    return _debug_key(Path(settings.DATA_DIR) / DEBUG_KEY_FILE)


def _debug_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """A development machine keeps one generated key, so subscriptions survive restarts.

    1. Write a new key to a private temporary file beside the target (mkstemp makes it 0600).
    2. Hard-link it to the target: the link fails if another process got there first, so every
       process ends up reading the same key, and none ever reads a half-written file.
    3. Read the target.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(pem)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made the key first: use its key
        finally:
            os.unlink(temporary)
    return parse_private_key(path.read_text(), source=str(path))


@functools.cache
def _public_key() -> str:
    point = _private_key().public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64url(point)


def vapid_key() -> ec.EllipticCurvePrivateKey:
    """The server's VAPID private key: TEND_VAPID_PRIVATE_KEY; in debug without one, a key made once
    and kept in DATA_DIR; otherwise PushNotConfigured."""
    return _private_key()


def vapid_public_key() -> str:
    """The application server key the PWA gives pushManager.subscribe(): base64url (no padding) of
    the uncompressed P-256 point, 65 bytes."""
    return _public_key()


def vapid_subject() -> str:
    """Whom a push service may contact about our messages (RFC 8292 `sub`)."""
    subject: str = settings.TEND_VAPID_SUBJECT
    if not subject:
        raise PushNotConfigured("Web Push is off: TEND_VAPID_SUBJECT is not set")
    if not subject.startswith(("mailto:", "https:")):
        raise PushNotConfigured("TEND_VAPID_SUBJECT must start with mailto: or https:")
    return subject


def push_configured() -> bool:
    try:
        vapid_key()
        vapid_subject()
    except PushNotConfigured:
        return False
    return True


def clear_cache() -> None:
    """Forget the key read or made earlier in this process (the settings say which key to use)."""
    _private_key.cache_clear()
    _public_key.cache_clear()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("TEND_VAPID_PRIVATE_KEY", "DEBUG", "DATA_DIR"):
        clear_cache()


# --- Which endpoints a subscription may name ------------------------------------------------------


@dataclass(frozen=True)
class PushService:
    """One entry of TEND_PUSH_SERVICES. `host` starts with "*." for a pattern."""

    scheme: str
    host: str
    port: int

    @property
    def is_pattern(self) -> bool:
        return self.host.startswith("*.")


@dataclass(frozen=True)
class _Target:
    """Where an accepted endpoint points. `named` when a service entry names this origin exactly."""

    scheme: str
    host: str
    port: int
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None  # the host, if an IP literal
    path: str
    named: bool

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = self.port == _DEFAULT_PORTS[self.scheme]
        return f"{self.scheme}://{host}" if default else f"{self.scheme}://{host}:{self.port}"


def _canonical_host(host: str) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address | None]:
    """The host in lower case, or the standard form of an IP address (IPv6 without brackets)."""
    host = host.lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host, None
    return address.compressed, address


def _looks_like_ip(host: str) -> bool:
    return ":" in host or _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]) is not None


def parse_service(entry: str) -> PushService:
    """One TEND_PUSH_SERVICES entry: an origin (`scheme://host[:port]`), `*.` allowed at the start
    of the host. ValueError when it is not one."""
    parts = urlsplit(entry.strip())
    host = parts.hostname or ""
    if (parts.scheme not in _DEFAULT_PORTS or not host or parts.username is not None
            or parts.password is not None or parts.path not in ("", "/") or parts.query
            or parts.fragment):
        raise ValueError(f"{entry!r} is not an origin such as https://fcm.googleapis.com")
    port = parts.port  # raises ValueError on a bad port
    port = _DEFAULT_PORTS[parts.scheme] if port is None else port
    name = host[2:] if host.startswith("*.") else host
    if not (_HOST_NAME.fullmatch(name.lower()) or _looks_like_ip(name)):
        raise ValueError(f"{entry!r} does not name a host")
    canonical, _ = _canonical_host(name)
    return PushService(parts.scheme, f"*.{canonical}" if host.startswith("*.") else canonical, port)


def _services() -> list[PushService]:
    services = []
    for entry in settings.TEND_PUSH_SERVICES:
        try:
            services.append(parse_service(entry))
        except ValueError:
            continue  # the system check (tend.E003) reports it; it allows nothing
    return services


def _target(url: str) -> _Target:
    """Where the endpoint points, if TEND_PUSH_SERVICES allows it; ValidationError otherwise.

    1. A plain absolute URL: printable ASCII, no userinfo, no fragment, at most 2048 characters.
    2. An entry naming its scheme, host and port exactly allows it, whatever the address.
    3. Otherwise it must be https on port 443 with a host name (no IP literal, however written)
       that equals a plain entry or lies one or more labels under a `*.` pattern.
    """
    if not isinstance(url, str) or not url:
        raise field_error("endpoint", "Enter the push subscription's endpoint URL.")
    if len(url) > MAX_ENDPOINT_LENGTH:
        raise field_error("endpoint", f"A push endpoint has at most {MAX_ENDPOINT_LENGTH} characters.")
    if any(not "!" <= char <= "~" for char in url) or "\\" in url:
        raise field_error("endpoint", "A push endpoint is a URL without spaces or other characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # brackets around something that is no IPv6 address, a port out of range
        raise field_error("endpoint", "This push endpoint is not a valid URL.") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.fragment:
        raise field_error("endpoint", "A push endpoint is an https:// URL of a push service.")
    if "@" in parts.netloc:
        raise field_error("endpoint", "A push endpoint carries no user name or password.")
    raw_host = parts.hostname
    if not (_HOST_NAME.fullmatch(raw_host) or _looks_like_ip(raw_host)):
        raise field_error("endpoint", "This push endpoint does not name a host.")
    host, address = _canonical_host(raw_host)
    port = _DEFAULT_PORTS[parts.scheme] if port is None else port
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    services = _services()
    if PushService(parts.scheme, host, port) in services:
        return _Target(parts.scheme, host, port, address, path, named=True)
    if parts.scheme != "https":
        raise field_error("endpoint", "A push endpoint must use https.")
    if port != _DEFAULT_PORTS["https"]:
        raise field_error("endpoint", "A push endpoint uses the standard https port.")
    if _looks_like_ip(host):
        raise field_error("endpoint", "A push endpoint names its push service, not an IP address.")
    for service in services:
        if service.scheme == "https" and service.port == port and service.is_pattern:
            if host.endswith(service.host[1:]):  # ".push.apple.com": at least one label before it
                return _Target(parts.scheme, host, port, None, path, named=False)
    raise field_error("endpoint", "This push endpoint is not on a push service we send to.")


def validate_endpoint(url: str) -> str:
    """The endpoint, if TEND_PUSH_SERVICES allows its origin; ValidationError naming `endpoint`."""
    _target(url)
    return url


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(value: str) -> bytes | None:
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
        return None
    unpadded = value.rstrip("=")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        return None


def validate_keys(p256dh: str, auth: str) -> None:
    """A subscription's keys: `p256dh` an uncompressed P-256 point (65 bytes) and `auth` a 16-byte
    secret, both base64url (padding optional). ValidationError naming `keys.p256dh` / `keys.auth`."""
    errors: dict[str, list[str]] = {}
    point = _b64url_decode(p256dh)
    valid_point = point is not None and len(point) == 65 and point[0] == 4
    if valid_point:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), cast(bytes, point))
        except ValueError:
            valid_point = False
    if not valid_point:
        errors["keys.p256dh"] = ["Enter the subscription's p256dh key: base64url of an uncompressed "
                                 "P-256 point (65 bytes)."]
    secret = _b64url_decode(auth)
    if secret is None or len(secret) != 16:
        errors["keys.auth"] = ["Enter the subscription's auth secret: base64url of 16 bytes."]
    if errors:
        raise ValidationError(errors)


# --- Sending --------------------------------------------------------------------------------------


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the public internet: not loopback, link-local, private, shared,
    reserved, multicast or unspecified, nor an IPv6 form of such an IPv4 address (mapped, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not _is_public(embedded):
            return False
    return (address.is_global and not address.is_multicast
            and not any(address in network for network in _NOT_PUBLIC
                        if network.version == address.version))


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        records = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise PushTransportError(f"Cannot resolve the push service {host}: {exc}") from exc
    addresses = []
    for family, _type, _proto, _name, sockaddr in records:
        if family in (socket.AF_INET, socket.AF_INET6):
            addresses.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
    if not addresses:
        raise PushTransportError(f"The push service {host} has no address")
    return addresses


def _retry_after(value: str | None) -> int | None:
    """Seconds to wait, from a Retry-After of seconds or of an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0, int(when.timestamp() - time.time()))


def _authorization(origin: str) -> str:
    claims = {"aud": origin, "exp": int(time.time()) + TOKEN_LIFETIME_SECONDS, "sub": vapid_subject()}
    token = cast(str, vapid_jwt.sign(claims, vapid_key()))
    return f"vapid t={token},k={vapid_public_key()}"


def _encrypt(plaintext: bytes, *, p256dh: str, auth: str) -> bytes:
    """RFC 8291: a new sender key per message, agreed with the browser's key and auth secret."""
    return cast(bytes, http_ece.encrypt(
        plaintext, private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=_b64url_decode(p256dh), auth_secret=_b64url_decode(auth), version="aes128gcm"))


def send(*, endpoint: str, p256dh: str, auth: str, payload: dict[str, Any], ttl: int = 86400,
         urgency: str = "normal", timeout: float = 10) -> PushResponse:
    """Send one encrypted message to a subscription and say what its push service answered.

    1. Check the arguments, the endpoint against TEND_PUSH_SERVICES and the keys (PushRefused),
       and that a VAPID key and subject exist (PushNotConfigured).
    2. Resolve the host once; refuse (PushRefused) if any address is not public, unless an entry
       names this origin exactly.
    3. Connect to the first address, with the host name for TLS (SNI and the certificate check)
       and in the Host header, so a second answer from DNS can never move the connection.
    4. POST once: no redirect followed, no retry. Unreachable or too slow: PushTransportError.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"A push payload has at most {MAX_PAYLOAD_BYTES} bytes, not {len(body)}")
    if ttl < 0:
        raise ValueError("ttl is a number of seconds, at least 0")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency is one of {', '.join(URGENCIES)}")
    try:
        target = _target(endpoint)
        validate_keys(p256dh, auth)
    except ValidationError as exc:
        raise PushRefused("; ".join(exc.messages)) from None
    authorization = _authorization(target.origin)

    addresses = [target.address] if target.address else _resolve(target.host, target.port)
    if not target.named and not all(_is_public(address) for address in addresses):
        raise PushRefused(f"The push service {target.host} resolves to an address that is not public")
    address = addresses[0]

    headers = {
        "Host": target.origin.split("://", 1)[1],
        "Authorization": authorization,
        "TTL": str(ttl),
        "Urgency": urgency,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "User-Agent": "Tend",
    }
    pool: urllib3.HTTPConnectionPool
    options: dict[str, Any] = {"timeout": urllib3.Timeout(total=timeout), "retries": False,
                               "maxsize": 1}
    if target.scheme == "https":
        if target.address is None:
            options.update(server_hostname=target.host, assert_hostname=target.host)
        pool = urllib3.HTTPSConnectionPool(address.compressed, target.port, cert_reqs="CERT_REQUIRED",
                                           **options)
    else:
        pool = urllib3.HTTPConnectionPool(address.compressed, target.port, **options)
    try:
        response = pool.urlopen("POST", target.path, body=_encrypt(body, p256dh=p256dh, auth=auth),
                                headers=headers, redirect=False, retries=False,
                                assert_same_host=False, preload_content=False)
        response.close()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise PushTransportError(f"The push service {target.host} did not answer: {exc}") from exc
    finally:
        pool.close()
    return PushResponse(response.status, _retry_after(response.headers.get("Retry-After")))
