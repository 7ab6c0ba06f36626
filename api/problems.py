"""RFC 9457 problem details for every error: DRF's, the services', and Django's own 4xx/5xx."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.errors import Conflict
from tracker.imaging import ImageRejected
from tracker.services.auth import Throttled as LoginThrottled

PROBLEM_CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


def problem(status_code: int, detail: str, *, errors: dict[str, list[str]] | None = None,
            type_: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_ or "about:blank",
        "title": _TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status_code: int, detail: str, **kwargs: Any) -> JsonResponse:
    """For plain Django views and middleware, outside DRF."""
    headers = kwargs.pop("headers", None)
    return JsonResponse(problem(status_code, detail, **kwargs), status=status_code,
                        content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": ["message"]}, nested fields dotted."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "body" if key in ("non_field_errors", "__all__") and not prefix else str(key)
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "body": [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "body": [str(detail)]}


def _summary(errors: dict[str, list[str]]) -> str:
    names = ", ".join(sorted(errors))
    return f"Check these fields: {names}."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, DjangoValidationError):
        errors = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict") else {"body": [str(m) for m in exc.messages]}
        )
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, Conflict):
        body = problem(409, exc.detail)
        if exc.field:
            body["errors"] = {exc.field: [exc.detail]}
        return Response(body, status=409, content_type=PROBLEM_CONTENT_TYPE)
    elif isinstance(exc, ImageRejected):
        return Response(problem(exc.status, exc.message, errors={"image": [exc.message]}),
                        status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    elif isinstance(exc, LoginThrottled):
        exc = exceptions.Throttled(wait=exc.retry_after)
    elif isinstance(exc, RequestDataTooBig):
        return Response(problem(413, "The request body is too large."), status=413,
                        content_type=PROBLEM_CONTENT_TYPE)
    elif isinstance(exc, TooManyFieldsSent | SuspiciousOperation):
        exc = exceptions.ParseError("The request could not be read.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.Throttled) and (wait := getattr(exc, "wait", None)) is not None:
        headers["Retry-After"] = str(int(wait))
    code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body = problem(code, _summary(errors), errors=errors)
    elif isinstance(exc, exceptions.ParseError):
        body = problem(code, str(exc.detail), errors={"body": [str(exc.detail)]})
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = problem(code, str(detail))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    request = context.get("request")
    if request is not None:
        # Problem details are JSON whatever the view renders otherwise (YAML, HTML, image bytes).
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    for name, value in headers.items():
        response[name] = value
    return response


# --- Django's own error views (URLs outside DRF, CSRF failures on plain views, crashes) -------
def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(404, "There is nothing at this address.")


def server_error(request: HttpRequest) -> JsonResponse:
    # Never a traceback, never patient data: the request id in the header ties it to the logs.
    return problem_response(500, "Something went wrong on our side. It has been logged.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(400, "The request could not be read.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(403, "Not allowed.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return problem_response(403, "CSRF check failed: send the X-CSRFToken header from the "
                                 "csrftoken cookie (GET /api/v1/auth/csrf/ sets it).")


__all__ = ["PROBLEM_CONTENT_TYPE", "exception_handler", "problem", "problem_response", "status"]
