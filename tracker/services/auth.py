"""Signing in: credentials, throttling, bearer tokens and how long a sign-in lasts."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils import timezone

from tracker import access
from tracker.models import ApiToken, User


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int | None  # None: no idle limit
    max_seconds: int


def session_policy(user: User) -> SessionPolicy:
    """Staff: 30 min idle, 12 h in all. A patient (or her caregiver) on her own phone: 30 days,
    no idle limit."""
    if access.is_patient_side(user):
        return SessionPolicy(idle_seconds=None, max_seconds=settings.TEND_PATIENT_MAX_SECONDS)
    return SessionPolicy(
        idle_seconds=settings.TEND_STAFF_IDLE_SECONDS, max_seconds=settings.TEND_STAFF_MAX_SECONDS
    )


def sign_in_expired(user: User, *, started_at: float, last_seen_at: float, now: float) -> bool:
    policy = session_policy(user)
    if now - started_at > policy.max_seconds:
        return True
    return policy.idle_seconds is not None and now - last_seen_at > policy.idle_seconds


# --- Throttling -----------------------------------------------------------------------------------
class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def _throttle_keys(username: str, ip: str | None, scope: str = "login") -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    keys = [f"{scope}-failures:user:{name}"] if username else []
    if ip:
        keys.append(f"{scope}-failures:ip:{ip}")
    return keys


def _recent(key: str, now: float) -> list[float]:
    window = settings.TEND_LOGIN_WINDOW_SECONDS
    return [t for t in (cache.get(key) or []) if now - t < window]


def login_check_throttle(*, username: str, ip: str | None, scope: str = "login") -> None:
    """Refuse a 6th attempt within 15 minutes after 5 failures, for a username or an address."""
    now = time.time()
    limit = settings.TEND_LOGIN_MAX_FAILURES
    window = settings.TEND_LOGIN_WINDOW_SECONDS
    waits = []
    for key in _throttle_keys(username, ip, scope):
        failures = _recent(key, now)
        if len(failures) >= limit:
            waits.append(failures[-limit] + window - now)
    if waits:
        raise Throttled(max(1, math.ceil(max(waits))))


def login_record_failure(*, username: str, ip: str | None, scope: str = "login") -> None:
    now = time.time()
    for key in _throttle_keys(username, ip, scope):
        failures = _recent(key, now)[-(settings.TEND_LOGIN_MAX_FAILURES * 2):]
        cache.set(key, [*failures, now], timeout=settings.TEND_LOGIN_WINDOW_SECONDS)


def login_verify(*, username: str, password: str, ip: str | None) -> User | None:
    """The user for these credentials, or None. Unknown users and wrong passwords look alike."""
    login_check_throttle(username=username, ip=ip)
    user = authenticate(username=username, password=password)
    if user is None:
        login_record_failure(username=username, ip=ip)
        return None
    cache.delete(_throttle_keys(username, None)[0])
    return user


# --- Bearer tokens --------------------------------------------------------------------------------
def _hash_token(raw: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 cannot be reversed by guessing.
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user: User) -> tuple[ApiToken, str]:
    raw = "tend_" + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user, key_hash=_hash_token(raw), created_at=now, last_used_at=now,
        expires_at=now + dt.timedelta(seconds=session_policy(user).max_seconds),
    )
    return token, raw


def token_expires_at(token: ApiToken) -> dt.datetime:
    """The earlier of the absolute end and the idle end."""
    policy = session_policy(token.user)
    if policy.idle_seconds is None:
        return token.expires_at
    return min(token.expires_at, token.last_used_at + dt.timedelta(seconds=policy.idle_seconds))


# Recording each use costs a write; once a minute is precise enough for a 30-minute idle limit.
_TOUCH_EVERY = dt.timedelta(seconds=60)


def token_authenticate(raw: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if now >= token_expires_at(token):
        return None
    if now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def credentials_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete tokens past their absolute end or revoked a day ago. Returns how many."""
    now = now or timezone.now()
    deleted, _ = ApiToken.objects.filter(expires_at__lt=now).delete()
    revoked, _ = ApiToken.objects.filter(revoked_at__lt=now - dt.timedelta(days=1)).delete()
    idle, _ = (
        ApiToken.objects.exclude(user__role__in=access.PATIENT_SIDE)
        .filter(last_used_at__lt=now - dt.timedelta(seconds=settings.TEND_STAFF_IDLE_SECONDS))
        .delete()
    )
    return deleted + revoked + idle
