"""Every list and detail endpoint runs a fixed number of queries, whatever its page holds (issue 6,
point 4).

Each endpoint is called with a real bearer token (so the token lookup counts) by the user who would
call it, once over data that puts 1 row on the page and once over data that puts 50 there; both runs
must cost exactly the number of queries in QUERIES, the audit INSERT included. For a detail, the
"rows" are what hangs off the object (a patient's care team, a photo's reviews, the days of an
adherence period) or what lies around it (the course's other records, versions, alerts, reports).

Where the queries go, for a typical list: 1 token (with its user), 1 COUNT for the paginator, 1 the
page, 1 per prefetch (care teams, reviews), 1 the audit INSERT (one row per patient shown).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from api import urls as api_urls
from tracker import clock
from tracker.models import (
    Alert,
    AlertSeverity,
    Application,
    ApplicationStatus,
    AuditEvent,
    Caregiver,
    CareTeamMembership,
    CoursePause,
    CourseRecord,
    Debridement,
    DebridementMethod,
    Patient,
    Photo,
    PhotoStatus,
    PushDelivery,
    PushKind,
    PushSubscription,
    RecordVersion,
    ReminderOccurrence,
    ReminderOutcome,
    ReminderTime,
    Report,
    ReportStatus,
    Review,
    Role,
    SymptomEntry,
    TreatmentCourse,
    User,
)
from tracker.services import auth as auth_service

pytestmark = pytest.mark.django_db

# Queries per request, the same at 1 row and at 50. Every request starts with the token's lookup (the
# token and its user, one query) and ends with the audit INSERT (one statement, whatever the number
# of events); "count" is the paginator's COUNT, "object" the scoped lookup of the object in the URL.
QUERIES: dict[str, int] = {
    # lists                                  token, ..., audit
    "staff": 4,                              # count, page
    "patients": 5,                           # count, page, care teams
    "patients/overview": 7,                  # patients, courses, pauses, applications per
                                             # day, open alerts
    "courses": 4,                            # count, page
    "applications": 4,                       # count, page
    "symptoms": 4,                           # count, page
    "debridements": 4,                       # count, page
    "photos": 5,                             # count, page, reviews
    "photos/{id}/reviews": 5,                # object, count, page
    "review-queue": 5,                       # count, page, reviews
    "reviews": 4,                            # count, page
    "alerts": 4,                             # count, page
    "reports": 4,                            # count, page
    "audit-events": 4,                       # count, page
    "courses/{id}/timeline (one kind)": 9,   # object, a COUNT per kind (4), page keys (UNION
                                             # ALL), the page's rows of the one kind
    "courses/{id}/timeline (four kinds)": 12,  # as above, the rows of each of the four kinds
    "courses/{id}/history": 5,               # object, count, page
    "applications/{id}/history": 5,          # object, count, page
    "symptoms/{id}/history": 5,              # object, count, page
    "debridements/{id}/history": 5,          # object, count, page
    "photos/{id}/history": 5,                # object, count, page
    "reviews/{id}/history": 5,               # object, count, page
    # details
    "patients/{id}": 4,                      # object, care team
    "courses/{id}": 3,                       # object (with its patient)
    "courses/{id}/adherence": 5,             # object (with its patient), pauses, counts per day
    "applications/{id}": 3,                  # object
    "symptoms/{id}": 3,                      # object
    "debridements/{id}": 3,                  # object
    "photos/{id}": 4,                        # object, reviews
    "reviews/{id}": 3,                       # object
    "alerts/{id}": 3,                        # object
    "reports/{id}": 3,                       # object
    "me": 3,                                 # the patient's profile
    # files, streamed
    "photos/{id}/image": 3,                  # object
    "photos/{id}/thumbnail": 3,              # object
    "reports/{id}/pdf": 3,                   # object
    # caregivers, reminders, push
    "patients/{id}/caregivers": 6,           # object, care team, count, page
    "caregivers/{id}": 3,                    # object
    "courses/{id}/reminders": 4,             # object (with its patient), reminder times
    "courses/{id}/reminders/deliveries": 5,  # object, count, page (with its occurrence)
    "push/subscriptions": 4,                 # count, page
    "push/public-key": 2,                    # nothing but the token and the audit
}
# GET routes that show no patient data from the database, so have no count to pin.
NOT_PINNED = {
    "auth/csrf": "sets the CSRF cookie; reads nothing",
    "auth/session": "says whether the session cookie is signed in",
}
# The rows a page holds in the two runs; four kinds of record need at least four rows.
ROWS: dict[str, tuple[int, int]] = {"courses/{id}/timeline (four kinds)": (4, 50)}

NOW = dt.datetime(2026, 3, 18, 18, 0, tzinfo=dt.UTC)
ZONES = ("America/Denver", "Europe/Madrid", "Asia/Tokyo")


# --- Building a clinic in bulk --------------------------------------------------------------------
_serial = itertools.count()


def staff(role: str, count: int, prefix: str) -> list[User]:
    """Users in bulk (no password: they sign in with a token made for them)."""
    return User.objects.bulk_create([
        User(username=f"{prefix}{next(_serial)}", role=role, display_name=f"{prefix.title()} {n}",
             password="!")
        for n in range(count)
    ])


@dataclass
class Team:
    physician: User
    nurse: User
    members: list[User]  # the physician, the nurse and two more nurses


def team() -> Team:
    physician, = staff(Role.PHYSICIAN, 1, "physician")
    nurse, *more = staff(Role.NURSE, 3, "nurse")
    return Team(physician, nurse, [physician, nurse, *more])


def patients(count: int, care: Team) -> list[Patient]:
    """Patients with a care team of four, every other one activated, in three time zones."""
    users = iter(staff(Role.PATIENT, (count + 1) // 2, "patient"))
    made = Patient.objects.bulk_create([
        Patient(display_name=f"Patient {n:02d}", birth_year=1940 + n, timezone=ZONES[n % 3],
                language=("en", "es")[n % 2], created_by=care.physician,
                user=next(users) if n % 2 == 0 else None, created_at=NOW - dt.timedelta(minutes=n))
        for n in range(count)
    ])
    CareTeamMembership.objects.bulk_create([
        CareTeamMembership(patient=patient, staff=member, added_by=care.physician)
        for patient in made for member in care.members
    ])
    return made


def courses(of: list[Patient], care: Team, *, days_ago: int = 60) -> list[TreatmentCourse]:
    return TreatmentCourse.objects.bulk_create([
        TreatmentCourse(patient=patient, medication="Sodium thiosulfate",
                        concentration_percent=Decimal(10), vehicle="Oil-in-water emulsion",
                        body_site="Left lateral thigh", applications_per_day=1,
                        start_date=clock.today_in(patient.timezone) - dt.timedelta(days=days_ago + n),
                        instructions="Once daily.", prescribed_by=care.physician,
                        created_at=NOW - dt.timedelta(days=days_ago + n))
        for n, patient in enumerate(of)
    ])


def one_course(care: Team) -> TreatmentCourse:
    return courses(patients(1, care), care)[0]


def _record(model: type[CourseRecord], course: TreatmentCourse, at: dt.datetime, n: int,
            by: User) -> CourseRecord:
    content: dict[str, Any] = {
        Application: {"applied_at": at, "status": ApplicationStatus.APPLIED},
        SymptomEntry: {"recorded_at": at, "pain": n % 11, "itch": (n + 3) % 11,
                       "fever": n % 7 == 0},
        Debridement: {"performed_at": at, "method": DebridementMethod.SHARP, "nodules_removed": n,
                      "specimen_sent": n % 2 == 0},
        Photo: {"taken_at": at, "status": PhotoStatus.READY, "upload_format": "JPEG",
                "upload_bytes": 1000, "width": 1200, "height": 900, "sha256": "a" * 64,
                "image_name": f"p{n}/full.jpg", "thumbnail_name": f"p{n}/thumbnail.jpg"},
    }[model]
    return model(course=course, patient_id=course.patient_id, recorded_by=by,
                 local_date=clock.local_date(at, course.patient.timezone), notes=f"note {n}",
                 **content)


def records(model: type[CourseRecord], course: TreatmentCourse, count: int, by: User, *,
            every: dt.timedelta = dt.timedelta(hours=5)) -> list[Any]:
    """`count` records, the newest an hour ago, every other one voided."""
    made = [_record(model, course, NOW - dt.timedelta(hours=1) - n * every, n, by)
            for n in range(count)]
    for record in made[1::2]:
        record.entered_in_error_at, record.entered_in_error_by = NOW, by
        record.entered_in_error_reason = "Wrong patient."
    return model.objects.bulk_create(made)


def reviews(photos: list[Photo], per_photo: int, by: list[User]) -> None:
    Review.objects.bulk_create([
        Review(photo=photo, course_id=photo.course_id, patient_id=photo.patient_id,
               reviewer=by[n % len(by)], created_at=NOW - dt.timedelta(minutes=n),
               length_cm=Decimal("2.0"), width_cm=Decimal("1.5"), area_cm2=Decimal("3.00"),
               exudate="light", tissue_type="granulation", push_score=8, comment=f"review {n}")
        for photo in photos for n in range(per_photo)
    ])
    Photo.objects.filter(pk__in=[photo.pk for photo in photos]).update(reviewed_at=NOW)


def versions(object_type: str, object_id: Any, count: int, by: list[User]) -> None:
    RecordVersion.objects.bulk_create([
        RecordVersion(object_type=object_type, object_id=object_id, version=n + 2,
                      changed_by=by[n % len(by)], changed_at=NOW - dt.timedelta(minutes=count - n),
                      action="update", changes={"notes": {"from": f"v{n}", "to": f"v{n + 1}"}})
        for n in range(count)
    ])


def alerts(course_of: list[TreatmentCourse], count: int) -> list[Alert]:
    return Alert.objects.bulk_create([
        Alert(course=course, patient_id=course.patient_id, kind=f"kind_{n}",
              severity=AlertSeverity.MEDIUM, detail=f"Alert {n}", source_type="symptom",
              created_at=NOW - dt.timedelta(minutes=n))
        for n in range(count) for course in [course_of[n % len(course_of)]]
    ])


def reports(course: TreatmentCourse, count: int, by: User) -> list[Report]:
    return Report.objects.bulk_create([
        Report(course=course, patient_id=course.patient_id, period_start=course.start_date,
               period_end=course.start_date + dt.timedelta(days=n),
               status=ReportStatus.READY if n % 2 == 0 else ReportStatus.QUEUED,
               summary={"adherence_percent": 90.0} if n % 2 == 0 else None,
               pdf_name=f"r{n}.pdf" if n % 2 == 0 else "", requested_by=by,
               created_at=NOW - dt.timedelta(minutes=n))
        for n in range(count)
    ])


# --- One builder per endpoint: (rows) -> (caller, path, what the answer must show) ---------------
Check = Callable[[Any], bool]
Built = tuple[User, str, Check]
BUILDERS: dict[str, Callable[[int], Built]] = {}


def endpoint(name: str) -> Callable[[Callable[[int], Built]], Callable[[int], Built]]:
    def register(build: Callable[[int], Built]) -> Callable[[int], Built]:
        BUILDERS[name] = build
        return build
    return register


def page_of(rows: int) -> Check:
    return lambda body: len(body["results"]) == rows == body["count"]


def the(obj: Any) -> Check:
    return lambda body: body["id"] == str(obj.pk)


@endpoint("staff")
def _staff(rows: int) -> Built:
    admin = User.objects.create_superuser("admin", None, "x")
    staff(Role.NURSE, rows, "nurse")
    return admin, "/api/v1/staff/", page_of(rows)


@endpoint("patients")
def _patients(rows: int) -> Built:
    care = team()
    patients(rows, care)
    patients(3, team_of_others())
    return care.nurse, "/api/v1/patients/", page_of(rows)


def team_of_others() -> Team:
    physician, = staff(Role.PHYSICIAN, 1, "other_physician")
    nurse, = staff(Role.NURSE, 1, "other_nurse")
    return Team(physician, nurse, [physician, nurse])


@endpoint("patients/overview")
def _overview(rows: int) -> Built:
    care = team()
    made = courses(patients(rows, care), care, days_ago=5)
    for course in made:
        records(Application, course, 6, course.prescribed_by, every=dt.timedelta(hours=23))
    CoursePause.objects.bulk_create([
        CoursePause(course=course, starts_on=course.start_date + dt.timedelta(days=1),
                    ends_on=course.start_date + dt.timedelta(days=2))
        for course in made[::3]
    ])
    alerts(made, rows)
    return care.nurse, "/api/v1/patients/overview/", page_of(rows)


@endpoint("courses")
def _courses(rows: int) -> Built:
    care = team()
    courses(patients(rows, care), care)
    return care.physician, "/api/v1/courses/", page_of(rows)


def _record_list(model: type[CourseRecord], path: str) -> Callable[[int], Built]:
    def build(rows: int) -> Built:
        care = team()
        course = one_course(care)
        records(model, course, rows, care.nurse)
        records(model, one_course(care), 2, care.nurse)  # another course's: not on the page
        return care.nurse, f"/api/v1/{path}/?course={course.pk}", page_of(rows)
    return build


endpoint("applications")(_record_list(Application, "applications"))
endpoint("symptoms")(_record_list(SymptomEntry, "symptoms"))
endpoint("debridements")(_record_list(Debridement, "debridements"))


@endpoint("photos")
def _photos(rows: int) -> Built:
    care = team()
    course = one_course(care)
    reviews(records(Photo, course, rows, care.nurse), 3, care.members)
    return care.nurse, f"/api/v1/photos/?course={course.pk}", page_of(rows)


@endpoint("photos/{id}/reviews")
def _photo_reviews(rows: int) -> Built:
    care = team()
    photo, = records(Photo, one_course(care), 1, care.nurse)
    reviews([photo], rows, care.members)
    return care.physician, f"/api/v1/photos/{photo.pk}/reviews/", page_of(rows)


@endpoint("reviews")
def _reviews(rows: int) -> Built:
    care = team()
    course = one_course(care)
    reviews(records(Photo, course, rows, care.nurse), 1, care.members)
    reviews(records(Photo, one_course(care), 2, care.nurse), 1, care.members)  # another course
    return care.nurse, f"/api/v1/reviews/?course={course.pk}", page_of(rows)


@endpoint("reviews/{id}")
def _review(rows: int) -> Built:
    care = team()
    photos = records(Photo, one_course(care), rows, care.nurse)
    reviews(photos, 1, care.members)
    review = Review.objects.filter(photo=photos[0]).get()
    return care.physician, f"/api/v1/reviews/{review.pk}/", the(review)


@endpoint("reviews/{id}/history")
def _review_history(rows: int) -> Built:
    care = team()
    reviews(records(Photo, one_course(care), 1, care.nurse), 1, care.members)
    review = Review.objects.get()
    versions("review", review.pk, rows, care.members)
    return care.nurse, f"/api/v1/reviews/{review.pk}/history/", page_of(rows)


@endpoint("review-queue")
def _review_queue(rows: int) -> Built:
    care = team()
    made = courses(patients(3, care), care)
    for n in range(rows):
        records(Photo, made[n % 3], 1, care.nurse)
    reviews(records(Photo, made[0], 2, care.nurse)[:1], 2, care.members)  # reviewed: not queued
    return care.nurse, "/api/v1/review-queue/", page_of(rows)


@endpoint("alerts")
def _alerts(rows: int) -> Built:
    care = team()
    alerts(courses(patients(3, care), care), rows)
    return care.nurse, "/api/v1/alerts/?status=open", page_of(rows)


@endpoint("reports")
def _reports(rows: int) -> Built:
    care = team()
    course = one_course(care)
    reports(course, rows, care.physician)
    return care.physician, f"/api/v1/reports/?course={course.pk}", page_of(rows)


@endpoint("audit-events")
def _audit_events(rows: int) -> Built:
    care = team()
    patient, = patients(1, care)
    admin = User.objects.create_superuser("admin", None, "x")
    AuditEvent.objects.bulk_create([
        AuditEvent(at=NOW - dt.timedelta(minutes=n), actor=care.members[n % 4],
                   actor_username=care.members[n % 4].username, role=care.members[n % 4].role,
                   action="read", outcome="allowed", status_code=200, object_type="course",
                   object_id=str(n), patient=patient, ip="127.0.0.1", request_id=f"req{n:08d}",
                   method="GET", path="/api/v1/courses/")
        for n in range(rows)
    ])
    return admin, f"/api/v1/audit-events/?patient={patient.pk}", page_of(rows)


@endpoint("courses/{id}/timeline (one kind)")
def _timeline(rows: int) -> Built:
    care = team()
    course = one_course(care)
    records(Application, course, rows, care.nurse)
    return care.nurse, f"/api/v1/courses/{course.pk}/timeline/", page_of(rows)


@endpoint("courses/{id}/timeline (four kinds)")
def _timeline_mixed(rows: int) -> Built:
    """The page holds records of every kind: one query loads the rows of each kind."""
    care = team()
    course = one_course(care)
    kinds = (Application, SymptomEntry, Debridement, Photo)
    for n, model in enumerate(kinds):
        records(model, course, len(range(n, rows, len(kinds))), care.nurse)
    return care.nurse, f"/api/v1/courses/{course.pk}/timeline/", page_of(rows)


@endpoint("courses/{id}/history")
def _course_history(rows: int) -> Built:
    care = team()
    course = one_course(care)
    versions("course", course.pk, rows, care.members)
    return care.physician, f"/api/v1/courses/{course.pk}/history/", page_of(rows)


def _record_history(model: type[CourseRecord], kind: str, path: str) -> Callable[[int], Built]:
    def build(rows: int) -> Built:
        care = team()
        record, = records(model, one_course(care), 1, care.nurse)
        versions(kind, record.pk, rows, care.members)
        versions(kind, records(model, one_course(care), 1, care.nurse)[0].pk, 2, care.members)
        return care.nurse, f"/api/v1/{path}/{record.pk}/history/", page_of(rows)
    return build


endpoint("applications/{id}/history")(_record_history(Application, "application", "applications"))
endpoint("symptoms/{id}/history")(_record_history(SymptomEntry, "symptom", "symptoms"))
endpoint("debridements/{id}/history")(_record_history(Debridement, "debridement", "debridements"))
endpoint("photos/{id}/history")(_record_history(Photo, "photo", "photos"))


@endpoint("patients/{id}")
def _patient(rows: int) -> Built:
    """A care team of `rows` people."""
    care = team()
    care.members = [care.nurse, *staff(Role.PHYSICIAN, rows - 1, "colleague")]
    patient, = patients(1, care)
    return care.nurse, f"/api/v1/patients/{patient.pk}/", lambda body: len(body["care_team"]) == rows


@endpoint("courses/{id}")
def _course(rows: int) -> Built:
    care = team()
    course = one_course(care)
    records(Application, course, rows, care.nurse)
    return care.physician, f"/api/v1/courses/{course.pk}/", the(course)


@endpoint("courses/{id}/adherence")
def _adherence(rows: int) -> Built:
    """`rows` days asked for, a pause among them, an application on each day."""
    care = team()
    course = one_course(care)
    records(Application, course, rows, care.nurse, every=dt.timedelta(days=1))
    CoursePause.objects.create(course=course, starts_on=course.start_date,
                               ends_on=course.start_date + dt.timedelta(days=2))
    end = clock.today_in(course.patient.timezone)
    start = end - dt.timedelta(days=rows - 1)
    return (care.nurse, f"/api/v1/courses/{course.pk}/adherence/?start={start}&end={end}",
            lambda body: len(body["days"]) == rows and body["applied"] > 0)


def _record_detail(model: type[CourseRecord], path: str) -> Callable[[int], Built]:
    def build(rows: int) -> Built:
        care = team()
        record, *_ = records(model, one_course(care), rows, care.nurse)
        return care.nurse, f"/api/v1/{path}/{record.pk}/", the(record)
    return build


endpoint("applications/{id}")(_record_detail(Application, "applications"))
endpoint("symptoms/{id}")(_record_detail(SymptomEntry, "symptoms"))
endpoint("debridements/{id}")(_record_detail(Debridement, "debridements"))


@endpoint("photos/{id}")
def _photo(rows: int) -> Built:
    """A photo with `rows` reviews."""
    care = team()
    photo, = records(Photo, one_course(care), 1, care.nurse)
    reviews([photo], rows, care.members)
    return care.nurse, f"/api/v1/photos/{photo.pk}/", lambda body: len(body["reviews"]) == rows


@endpoint("alerts/{id}")
def _alert(rows: int) -> Built:
    care = team()
    alert, *_ = alerts([one_course(care)], rows)
    return care.nurse, f"/api/v1/alerts/{alert.pk}/", the(alert)


@endpoint("reports/{id}")
def _report(rows: int) -> Built:
    care = team()
    report, *_ = reports(one_course(care), rows, care.physician)
    return (care.physician, f"/api/v1/reports/{report.pk}/",
            lambda body: the(report)(body) and body["pdf_url"] is not None)


def _stored(content: bytes) -> tuple[str, int]:
    """A private file of its own (parallel runs share no name)."""
    return default_storage.save(f"query-counts/{uuid.uuid4().hex}", ContentFile(content)), len(content)


def _photo_file(which: str) -> Callable[[int], Built]:
    def build(rows: int) -> Built:
        """One photo's bytes, among `rows` photos of the course."""
        care = team()
        photo, *_ = records(Photo, one_course(care), rows, care.nurse)
        name, size = _stored(f"{which} of {photo.pk}".encode())
        Photo.objects.filter(pk=photo.pk).update(**{f"{which}_name": name, f"{which}_bytes": size})
        return (care.nurse, f"/api/v1/photos/{photo.pk}/{which}/",
                lambda body: body == f"{which} of {photo.pk}".encode())
    return build


endpoint("photos/{id}/image")(_photo_file("image"))
endpoint("photos/{id}/thumbnail")(_photo_file("thumbnail"))


@endpoint("reports/{id}/pdf")
def _report_pdf(rows: int) -> Built:
    """One report's PDF, among `rows` reports of the course."""
    care = team()
    report, *_ = reports(one_course(care), rows, care.physician)
    name, size = _stored(b"%PDF-1.4 report")
    Report.objects.filter(pk=report.pk).update(pdf_name=name, pdf_bytes=size)
    return care.physician, f"/api/v1/reports/{report.pk}/pdf/", lambda body: body == b"%PDF-1.4 report"


@endpoint("me")
def _me(rows: int) -> Built:
    """The signed-in patient, in a clinic of `rows` patients."""
    care = team()
    patient, *_ = patients(rows, care)
    return patient.user, "/api/v1/me/", lambda body: body["patient_id"] == str(patient.pk)


@endpoint("patients/{id}/caregivers")
def _caregivers(rows: int) -> Built:
    """A patient with `rows` caregivers."""
    care = team()
    patient, = patients(1, care)
    Caregiver.objects.bulk_create([
        Caregiver(patient=patient, display_name=f"Helper {n}", invited_by=care.nurse)
        for n in range(rows)])
    return care.nurse, f"/api/v1/patients/{patient.pk}/caregivers/", page_of(rows)


@endpoint("caregivers/{id}")
def _caregiver(rows: int) -> Built:
    """One caregiver, among `rows` of the patient."""
    care = team()
    patient, = patients(1, care)
    caregiver, *_ = Caregiver.objects.bulk_create([
        Caregiver(patient=patient, display_name=f"Helper {n}", invited_by=care.nurse)
        for n in range(rows)])
    return care.nurse, f"/api/v1/caregivers/{caregiver.pk}/", the(caregiver)


@endpoint("courses/{id}/reminders")
def _reminders(rows: int) -> Built:
    """A course with up to four reminder times (the most it takes)."""
    care = team()
    course = one_course(care)
    ReminderTime.objects.bulk_create([ReminderTime(course=course, at=dt.time(8 + n, 0))
                                      for n in range(min(rows, 4))])
    TreatmentCourse.objects.filter(pk=course.pk).update(reminders_enabled=True)
    return (care.nurse, f"/api/v1/courses/{course.pk}/reminders/",
            lambda body: len(body["times"]) == min(rows, 4))


def _subscriptions(user: User, count: int) -> list[PushSubscription]:
    return PushSubscription.objects.bulk_create([
        PushSubscription(user=user, endpoint=f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4()}",
                         p256dh="B" + "A" * 86, auth="A" * 22)
        for _ in range(count)])


@endpoint("courses/{id}/reminders/deliveries")
def _deliveries(rows: int) -> Built:
    """`rows` reminder messages of the course, each of its own day."""
    care = team()
    course = one_course(care)
    subscription, = _subscriptions(care.nurse, 1)
    occurrences = ReminderOccurrence.objects.bulk_create([
        ReminderOccurrence(course=course, patient_id=course.patient_id, reminder_time=dt.time(20),
                           local_date=NOW.date() - dt.timedelta(days=n), due_at=NOW,
                           outcome=ReminderOutcome.SENT)
        for n in range(rows)])
    PushDelivery.objects.bulk_create([
        PushDelivery(kind=PushKind.REMINDER, user=care.nurse, subscription=subscription,
                     push_service="https://fcm.googleapis.com", patient_id=course.patient_id,
                     course=course, occurrence=occurrence, payload={})
        for occurrence in occurrences])
    return (care.nurse, f"/api/v1/courses/{course.pk}/reminders/deliveries/",
            lambda body: page_of(rows)(body) and body["results"][0]["reminder_time"] == "20:00")


@endpoint("push/subscriptions")
def _push_subscriptions(rows: int) -> Built:
    care = team()
    _subscriptions(care.nurse, rows)
    return care.nurse, "/api/v1/push/subscriptions/", page_of(rows)


@endpoint("push/public-key")
def _public_key(rows: int) -> Built:
    care = team()
    _subscriptions(care.nurse, rows)
    return care.nurse, "/api/v1/push/public-key/", lambda body: len(body["public_key"]) == 87


def get_routes() -> set[str]:
    """Every GET route of the API, written as QUERIES writes them ("photos/{id}/image")."""
    found = set()
    for pattern in api_urls.router.urls + [p for p in api_urls.urlpatterns if getattr(p, "callback", None)]:
        actions = getattr(pattern.callback, "actions", None)
        view = getattr(pattern.callback, "view_class", None)
        if (actions is not None and "get" in actions) or (actions is None and hasattr(view, "get")):
            route = re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?pk>", "{id}", str(pattern.pattern))
            found.add(route.strip("^$").rstrip("/"))
    return found


# --- The tests ------------------------------------------------------------------------------------
def bearer(user: User) -> APIClient:
    """A client with a real bearer token: the token's lookup is one of the counted queries."""
    _, raw = auth_service.token_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_every_get_route_of_the_api_has_a_pinned_count() -> None:
    assert set(BUILDERS) == set(QUERIES)
    pinned = {name.split(" (")[0] for name in QUERIES}
    assert get_routes() - set(NOT_PINNED) == pinned, "a GET route without a pinned query count"


@pytest.mark.parametrize(("name", "rows"), [
    pytest.param(name, rows, id=f"{name}-{rows}")
    for name in QUERIES for rows in ROWS.get(name, (1, 50))
])
def test_an_endpoint_runs_the_same_number_of_queries_whatever_its_page_holds(
        name: str, rows: int, django_assert_num_queries: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        user, path, check = BUILDERS[name](rows)
        client = bearer(user)
        with django_assert_num_queries(QUERIES[name]):
            response = client.get(path)
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content) if response.streaming else response.json()
    assert check(body), body
    # The audit INSERT counted above is this request's.
    assert AuditEvent.objects.filter(actor=user, path=path.split("?")[0], outcome="allowed").exists()
