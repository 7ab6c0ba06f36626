"""The fixed cast of the suite.

- `patient` (Helen, America/Denver) with an active once-daily course, and her user `patient_user`;
- `nurse` and `physician` on her care team;
- `other_patient` (Rosa, Europe/Madrid) with her own course, cared for by `other_nurse` and
  `other_physician`, who should have no access to Helen's data, and vice versa;
- `admin`, a superuser.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tracker import clock, queue
from tracker.models import CourseStatus, Patient, Photo, PhotoStatus, Role, TreatmentCourse, User
from tracker.services import courses, people

PASSWORD = "correct-horse-battery-staple"
PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 answer with this status, naming `field` in its errors when one is given."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert field in body["errors"], body
    return body


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    """Forget this run's cached keys (login throttles); never another run's, which share Redis."""
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture
def _audit_truncate_allowed(request: Any, django_db_setup: Any, django_db_blocker: Any) -> Any:
    """A transactional test (real threads, live server, worker processes) empties the tables with
    TRUNCATE afterwards, which the audit table's append-only trigger refuses: lift that one
    trigger for the flush of such a test only, and put it back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames))
    if not transactional:
        yield
        return

    def truncate_trigger(state: str) -> None:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE tracker_auditevent {state} TRIGGER "
                           "tracker_auditevent_no_truncate")

    truncate_trigger("DISABLE")
    yield
    truncate_trigger("ENABLE")


@pytest.fixture
def _django_db_helper(_audit_truncate_allowed: None, _django_db_helper: Any) -> Any:
    return _django_db_helper


@dataclass
class Cast:
    admin: User
    physician: User
    nurse: User
    other_physician: User
    other_nurse: User
    patient_user: User
    patient: Patient
    course: TreatmentCourse
    other_patient_user: User
    other_patient: Patient
    other_course: TreatmentCourse

    def user(self, name: str) -> User:
        return getattr(self, name)


def make_staff(username: str, role: str) -> User:
    return people.staff_create(username=username, password=PASSWORD, role=role,
                               display_name=username.title())


def make_patient(*, name: str, username: str, tz: str, team: list[User]) -> tuple[Patient, User]:
    patient, code = people.patient_create(created_by=team[0], display_name=name, birth_year=1946,
                                          timezone_name=tz, language="en")
    for member in team[1:]:
        people.care_team_add(patient=patient, staff_id=member.pk, added_by=team[0])
    user = people.patient_activate(activation_code=code, username=username, password=PASSWORD)
    patient.refresh_from_db()
    return patient, user


def make_caregiver(patient: Patient, *, username: str, invited_by: User | None = None,
                   name: str = "Clara Mercer") -> User:
    """An active caregiver of the patient (invited by the patient herself unless told)."""
    inviter = invited_by or patient.user
    assert inviter is not None
    _, code = people.caregiver_invite(patient=patient, display_name=name, relationship="daughter",
                                      invited_by=inviter)
    return people.patient_activate(activation_code=code, username=username, password=PASSWORD)


def retire_courses(patient: Patient) -> None:
    """Stop the patient's courses in force, as if long ago, for a test that prescribes her a
    course of its own (a patient has one course in force at a time)."""
    TreatmentCourse.objects.filter(patient=patient, status__in=courses.IN_FORCE).update(
        status=CourseStatus.STOPPED)


def make_course(patient: Patient, physician: User, *, days_ago: int = 30, per_day: int = 1,
                alongside: bool = False) -> TreatmentCourse:
    """A course prescribed as the physician would: one in force replaces the one before it
    (stopped). `alongside` stores it next to those in force instead, as data from before that
    rule may hold, for the rules that must still treat each course on its own."""
    data = {
        "medication": "Sodium thiosulfate", "concentration_percent": 10,
        "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
        "applications_per_day": per_day,
        "start_date": clock.today_in(patient.timezone) - dt.timedelta(days=days_ago),
        "end_date": None, "instructions": "Once daily in the evening.",
    }
    if alongside:
        return TreatmentCourse.objects.create(patient=patient, prescribed_by=physician, **data)
    previous = (TreatmentCourse.objects.filter(patient=patient, status__in=courses.IN_FORCE)
                .order_by("status", "-start_date").first())  # the active one, if there is one
    course, _ = courses.course_create(patient=patient, prescribed_by=physician, data=data,
                                      previous=previous,
                                      previous_status=CourseStatus.STOPPED if previous else None)
    return course


def make_photo(course: TreatmentCourse, by: User, *, hours_ago: float = 1,
               status: str = PhotoStatus.READY, voided: bool = False) -> Photo:
    """A photo row as the worker leaves it (its files do not matter where this is used)."""
    taken_at = timezone.now() - dt.timedelta(hours=hours_ago)
    return Photo.objects.create(
        course=course, patient_id=course.patient_id, recorded_by=by, taken_at=taken_at,
        local_date=clock.local_date(taken_at, course.patient.timezone), status=status,
        upload_format="JPEG", upload_bytes=1000,
        **({"width": 1200, "height": 900, "sha256": "a" * 64, "image_name": "x/full.jpg",
            "thumbnail_name": "x/thumbnail.jpg"} if status == PhotoStatus.READY else {}),
        entered_in_error_at=timezone.now() if voided else None,
        entered_in_error_by=by if voided else None,
    )


@pytest.fixture
def cast(db: Any) -> Cast:
    admin = User.objects.create_superuser("admin", None, PASSWORD)
    physician = make_staff("physician", Role.PHYSICIAN)
    nurse = make_staff("nurse", Role.NURSE)
    other_physician = make_staff("other_physician", Role.PHYSICIAN)
    other_nurse = make_staff("other_nurse", Role.NURSE)
    patient, patient_user = make_patient(name="Helen Mercer", username="helen",
                                         tz="America/Denver", team=[physician, nurse])
    other_patient, other_user = make_patient(name="Rosa Ortega", username="rosa",
                                             tz="Europe/Madrid",
                                             team=[other_physician, other_nurse])
    return Cast(
        admin=admin, physician=physician, nurse=nurse, other_physician=other_physician,
        other_nurse=other_nurse, patient_user=patient_user, patient=patient,
        course=make_course(patient, physician), other_patient_user=other_user,
        other_patient=other_patient, other_course=make_course(other_patient, other_physician),
    )


@pytest.fixture
def api() -> Any:
    """api(user) -> an APIClient signed in as that user (None: anonymous)."""

    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def tasks_sent(monkeypatch: pytest.MonkeyPatch) -> defaultdict[str, list[list[str]]]:
    """The args of every task published, by task name, recorded instead of sent to a broker."""
    sent: defaultdict[str, list[list[str]]] = defaultdict(list)
    monkeypatch.setattr(queue, "publish", lambda task, *args: sent[task].append(list(args)))
    return sent


@pytest.fixture
def renders_sent(tasks_sent: defaultdict[str, list[list[str]]]) -> list[list[str]]:
    """The args of every render_report published."""
    return tasks_sent[queue.RENDER_REPORT]


@pytest.fixture
def photos_sent(tasks_sent: defaultdict[str, list[list[str]]]) -> list[list[str]]:
    """The args of every process_photo published."""
    return tasks_sent[queue.PROCESS_PHOTO]
