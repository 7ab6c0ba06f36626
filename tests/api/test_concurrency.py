"""Idempotent creates hold under concurrent duplicates: the database's unique key decides, not a
check-then-insert. Real threads, each with its own connection to PostgreSQL. Every create that
takes a client-chosen id is here: records, courses, photos, reviews and reports
(tracker/idempotency.py serves them all)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import make_photo
from tests.images import phone_jpeg
from tracker import clock
from tracker.models import Application, Photo, Report, Review, SymptomEntry, TreatmentCourse, User

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def fire_in_parallel(user: User, path: str, bodies: list[dict[str, Any]], *, fmt: str = "json"
                     ) -> list[tuple[int, Any]]:
    """POST each body from its own thread, all released at once. Returns (status, json) per body."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, Any] | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def run(index: int, body: dict[str, Any]) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait(timeout=30)
            if fmt == "multipart":  # a file object of its own for each request
                body = {**body, "image": SimpleUploadedFile("wound.jpg", body["image"],
                                                            content_type="image/jpeg")}
            response = client.post(path, body, format=fmt)
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
            "start_date": clock.today_in(cast.patient.timezone).isoformat(),
            "previous_course": {"id": str(cast.course.pk), "status": "completed"}}


def _photo(course: TreatmentCourse, record_id: str, note: str = "") -> dict[str, Any]:
    return {"id": record_id, "course": str(course.pk), "note": note, "image": _JPEG,
            "taken_at": _TAKEN_AT.isoformat()}


def _review(record_id: str, length: str = "2.0") -> dict[str, Any]:
    return {"id": record_id, "length_cm": length, "width_cm": "1.5", "exudate": "light",
            "tissue_type": "granulation"}


def _report(cast: Any, record_id: str, days: int = 7) -> dict[str, Any]:
    end = clock.today_in(cast.patient.timezone) - dt.timedelta(days=1)
    return {"id": record_id, "period_start": (end - dt.timedelta(days=days - 1)).isoformat(),
            "period_end": end.isoformat()}


_JPEG = phone_jpeg(320, 240)
_TAKEN_AT = timezone.now() - dt.timedelta(hours=2)


@dataclass(frozen=True)
class Case:
    path: Callable[[Any], str]
    who: str
    model: type
    same: Callable[[Any, str], dict[str, Any]]  # a body for an id
    other: Callable[[Any, str, int], dict[str, Any]]  # the same id with other content
    created: int = 201
    fmt: str = "json"


def _reviewed_photo_path(cast: Any) -> str:
    photo = Photo.objects.filter(course=cast.course, status="ready").first()
    photo = photo or make_photo(cast.course, cast.patient_user)
    return f"/api/v1/photos/{photo.pk}/reviews/"


CASES: dict[str, Case] = {
    "application": Case(lambda cast: "/api/v1/applications/", "patient_user", Application,
                        lambda cast, rid: _application(cast.course, rid),
                        lambda cast, rid, n: _application(cast.course, rid, minutes_ago=10 + n)),
    "symptom": Case(lambda cast: "/api/v1/symptoms/", "patient_user", SymptomEntry,
                    lambda cast, rid: _symptom(cast.course, rid),
                    lambda cast, rid, n: _symptom(cast.course, rid, pain=n % 10)),
    "course": Case(lambda cast: "/api/v1/courses/", "physician", TreatmentCourse,
                   lambda cast, rid: _course(cast, rid),
                   lambda cast, rid, n: _course(cast, rid, body_site=f"Site {n}")),
    "photo": Case(lambda cast: "/api/v1/photos/", "patient_user", Photo,
                  lambda cast, rid: _photo(cast.course, rid),
                  lambda cast, rid, n: _photo(cast.course, rid, note=f"Note {n}"),
                  created=202, fmt="multipart"),
    "review": Case(_reviewed_photo_path, "nurse", Review,
                   lambda cast, rid: _review(rid),
                   lambda cast, rid, n: _review(rid, length=f"{n + 3}.0")),
    "report": Case(lambda cast: f"/api/v1/courses/{cast.course.pk}/reports/", "physician", Report,
                   lambda cast, rid: _report(cast, rid),
                   lambda cast, rid, n: _report(cast, rid, days=n + 8), created=202),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_parallel_duplicates_store_one_row_and_answer_one_201(cast, kind):
    case = CASES[kind]
    path, model, record_id = case.path(cast), case.model, str(uuid.uuid4())
    before = model.objects.count()
    body = case.same(cast, record_id)

    results = fire_in_parallel(cast.user(case.who), path, [body] * THREADS, fmt=case.fmt)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (THREADS - 1) + [case.created], results
    assert {payload["id"] for _, payload in results} == {record_id}
    assert model.objects.count() == before + 1
    assert model.objects.filter(pk=record_id).count() == 1


@pytest.mark.parametrize("kind", list(CASES))
def test_parallel_reuse_of_an_id_with_other_content_is_a_conflict(cast, kind):
    case = CASES[kind]
    path, model, record_id = case.path(cast), case.model, str(uuid.uuid4())
    first = fire_in_parallel(cast.user(case.who), path, [case.same(cast, record_id)], fmt=case.fmt)
    assert first[0][0] == case.created, first
    stored = model.objects.get(pk=record_id)
    before = model.objects.count()

    results = fire_in_parallel(cast.user(case.who), path,
                               [case.other(cast, record_id, n) for n in range(THREADS)], fmt=case.fmt)

    assert [status for status, _ in results] == [409] * THREADS, results
    for _, payload in results:
        assert payload["status"] == 409
        assert "id" in payload["errors"]
    assert model.objects.count() == before
    after = model.objects.get(pk=record_id)
    assert after.client_fingerprint == stored.client_fingerprint
    assert getattr(after, "version", None) == getattr(stored, "version", None)


@pytest.mark.parametrize("kind", list(CASES))
def test_parallel_first_writes_with_one_id_and_different_content_store_exactly_one(cast, kind):
    """Nobody has the id yet: one request wins the insert, every other one is told 409."""
    case = CASES[kind]
    path, model, record_id = case.path(cast), case.model, str(uuid.uuid4())
    before = model.objects.count()

    results = fire_in_parallel(cast.user(case.who), path,
                               [case.other(cast, record_id, n) for n in range(THREADS)], fmt=case.fmt)

    statuses = sorted(status for status, _ in results)
    assert statuses == sorted([case.created] + [409] * (THREADS - 1)), results
    assert model.objects.count() == before + 1
    winner = next(payload for status, payload in results if status == case.created)
    assert winner["id"] == record_id

