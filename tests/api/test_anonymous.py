"""Without credentials, every route of the API but signing in answers 401, and reads nothing."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from api import urls as api_urls
from tracker.models import AuditEvent

PUBLIC = ("auth/",)  # signing in, activating, the CSRF cookie: tested in test_auth.py
UNKNOWN = "5b1b1e3e-8f0c-4f3b-9a8e-2f6f4b7c9d10"  # the same in every worker: the same tests


def routes() -> list[tuple[str, str]]:
    """(method, path) for every route and method of the API, ids filled with an unknown one."""
    found = []
    for pattern in [*api_urls.router.urls,
                    *(p for p in api_urls.urlpatterns if getattr(p, "callback", None))]:
        route = re.sub(r"\(\?P<\w+>[^)]*\)", UNKNOWN, str(pattern.pattern)).strip("^$")
        if route.startswith(PUBLIC):
            continue
        actions = getattr(pattern.callback, "actions", None)
        if actions is None:
            view = pattern.callback.view_class
            methods = [m for m in ("get", "post", "patch", "delete") if hasattr(view, m)]
        else:
            methods = list(actions)
        found += [(method.upper(), f"/api/v1/{route}") for method in methods]
    return sorted(set(found))


def test_the_list_of_routes_is_complete_enough_to_mean_something() -> None:
    paths = {path.split("/")[3] for _, path in routes()}
    assert {"patients", "courses", "applications", "photos", "review-queue", "alerts", "reports",
            "audit-events", "staff", "me"} <= paths
    assert len(routes()) > 40


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), routes(), ids=lambda value: value.replace(UNKNOWN, "{id}"))
def test_an_anonymous_request_is_unauthorized(method: str, path: str) -> None:
    response = APIClient().generic(method, path, data="{}", content_type="application/json")
    assert response.status_code == 401, (method, path, response.status_code)
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AuditEvent.objects.exclude(outcome="denied").exists()
