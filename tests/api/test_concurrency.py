"""Idempotent creates hold under concurrent duplicates: the database's unique key decides, not a
check-then-insert. Real threads, each with its own connection to PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from tracker import clock
from tracker.models import Application, SymptomEntry, TreatmentCourse, User

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def fire_in_parallel(user: User, path: str, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """POST each body from its own thread, all released at once. Returns (status, json) per body."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, Any] | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def run(index: int, body: dict[str, Any]) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=30)
            response = client.post(path, body, format="json")
            results[index] = (response.status_code, response.json())
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def test_the_suite_runs_this_against_postgresql():
    assert connection.vendor == "postgresql"


def _application(course: TreatmentCourse, record_id: str, minutes_ago: int = 5) -> dict[str, Any]:
    return {"id": record_id, "course": str(course.pk), "status": "applied",
            "applied_at": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat()}


def _symptom(course: TreatmentCourse, record_id: str, pain: int = 4) -> dict[str, Any]:
    return {"id": record_id, "course": str(course.pk), "pain": pain, "itch": 2,
            "recorded_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat()}


def _course(cast: Any, record_id: str, body_site: str = "Left lateral thigh") -> dict[str, Any]:
    return {"id": record_id, "patient": str(cast.patient.pk), "medication": "Sodium thiosulfate",
            "concentration_percent": 10, "vehicle": "Oil-in-water emulsion", "body_site": body_site,
            "applications_per_day": 1, "instructions": "Once daily.",
            "start_date": clock.today_in(cast.patient.timezone).isoformat()}


# (path, who posts, model, a body for an id, a body for the same id with other content)
CASES: dict[str, tuple[str, str, type, Callable[..., dict[str, Any]], Callable[..., dict[str, Any]]]] = {
    "application": (
        "/api/v1/applications/", "patient_user", Application,
        lambda cast, rid: _application(cast.course, rid),
        lambda cast, rid, n: _application(cast.course, rid, minutes_ago=10 + n),
    ),
    "symptom": (
        "/api/v1/symptoms/", "patient_user", SymptomEntry,
        lambda cast, rid: _symptom(cast.course, rid),
        lambda cast, rid, n: _symptom(cast.course, rid, pain=n % 10),
    ),
    "course": (
        "/api/v1/courses/", "physician", TreatmentCourse,
        lambda cast, rid: _course(cast, rid),
        lambda cast, rid, n: _course(cast, rid, body_site=f"Site {n}"),
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_parallel_duplicates_store_one_row_and_answer_one_201(cast, kind):
    path, who, model, same, _ = CASES[kind]
    record_id = str(uuid.uuid4())
    before = model.objects.count()
    body = same(cast, record_id)

    results = fire_in_parallel(cast.user(who), path, [body] * THREADS)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (THREADS - 1) + [201], results
    assert {payload["id"] for _, payload in results} == {record_id}
    assert model.objects.count() == before + 1
    assert model.objects.filter(pk=record_id).count() == 1


@pytest.mark.parametrize("kind", list(CASES))
def test_parallel_reuse_of_an_id_with_other_content_is_a_conflict(cast, kind):
    path, who, model, same, other = CASES[kind]
    record_id = str(uuid.uuid4())
    first = fire_in_parallel(cast.user(who), path, [same(cast, record_id)])
    assert first[0][0] == 201, first
    stored = model.objects.get(pk=record_id)
    before = model.objects.count()

    results = fire_in_parallel(cast.user(who), path,
                               [other(cast, record_id, n) for n in range(THREADS)])

    assert [status for status, _ in results] == [409] * THREADS, results
    for _, payload in results:
        assert payload["status"] == 409
        assert "id" in payload["errors"]
    assert model.objects.count() == before
    after = model.objects.get(pk=record_id)
    assert (after.client_fingerprint, after.version) == (stored.client_fingerprint, stored.version)


@pytest.mark.parametrize("kind", list(CASES))
def test_parallel_first_writes_with_one_id_and_different_content_store_exactly_one(cast, kind):
    """Nobody has the id yet: one request wins the insert, every other one is told 409."""
    path, who, model, _, other = CASES[kind]
    record_id = str(uuid.uuid4())
    before = model.objects.count()

    results = fire_in_parallel(cast.user(who), path,
                               [other(cast, record_id, n) for n in range(THREADS)])

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert model.objects.count() == before + 1
    winner = next(payload for status, payload in results if status == 201)
    assert winner["id"] == record_id

