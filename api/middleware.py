"""Request ids, body size caps, and how long a signed-in session lasts."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from api.problems import problem_response
from tracker.services.auth import sign_in_expired

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

Handler = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """Every request gets an id (the client's X-Request-ID if well-formed) echoed in the answer."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class BodySizeLimitMiddleware:
    """Refuse an oversized body from its declared length, before reading a byte of it.

    DRF's JSON parser reads the whole stream regardless of DATA_UPLOAD_MAX_MEMORY_SIZE, so the cap
    is here: JSON bodies are small, a multipart photo upload may reach the upload cap plus its form.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(400, "Content-Length is not a number.")
        multipart = (request.content_type or "").startswith("multipart/")
        limit = (settings.TEND_MAX_UPLOAD_BYTES + 64 * 1024 if multipart
                 else settings.TEND_MAX_JSON_BYTES)
        if length > limit:
            return problem_response(413, f"The request body is larger than {limit} bytes.")
        return self.get_response(request)


class SessionPolicyMiddleware:
    """End a session cookie sign-in after the role's idle or total time (staff 30 min / 12 h)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get("tend_signed_in_at", now)
            seen = request.session.get("tend_last_seen_at", now)
            if sign_in_expired(user, started_at=started, last_seen_at=seen, now=now):
                logout(request)
            elif now - seen > 30 or "tend_signed_in_at" not in request.session:
                request.session["tend_signed_in_at"] = started
                request.session["tend_last_seen_at"] = now
        return self.get_response(request)
