"""GET /healthz: is the database reachable, is the broker reachable."""

from __future__ import annotations

from typing import Any, cast

from django.db import connection
from django.http import HttpRequest, JsonResponse

from api.problems import problem_response
from config.celery import app as celery_app


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001  (any failure means "down"; the reason goes to the log)
        return "down"
    return "ok"


def _broker() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            if conn.transport.driver_type == "redis":
                cast(Any, conn.default_channel).client.ping()  # kombu's Redis channel has a client
    except Exception:  # noqa: BLE001
        return "down"
    return "ok"


def healthz(request: HttpRequest) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        # Problem details, like every other 405 (Django's require_GET answers an empty HTML page).
        return problem_response(405, f'Method "{request.method}" not allowed.',
                                headers={"Allow": "GET, HEAD"})
    checks = {"database": _database(), "broker": _broker()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
