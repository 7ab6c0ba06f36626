"""Every endpoint of api/urls.py by every role by own / foreign object, against one table.

The table `EXPECTED` is written for Helen's objects (her care team: `physician`, `nurse`; herself:
`patient`; her daughter: `caregiver`). Each object endpoint runs a second time against Rosa's
objects with the roles mirrored (`other_physician` is then the physician on the team,
`physician` the one off it), so every role meets both its own and a foreign object. Read it
against /work/shared/API.md and tracker/access.py:

- 401 anonymous;
- 404 an object the user may not see (staff off the care team, another patient, the administrator,
  who sees no clinical record), never 403;
- 403 an action the role may not take on what it sees;
- 400 a body that names a course or patient the user may not see (the field is refused as unknown,
  which reveals nothing either);
- 200/201/204 when allowed.

Lists answer 200 and show only the rows of the user's own patients. Every refused write changes
nothing in the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.urls import resolve
from django.utils import timezone

from tests.conftest import make_caregiver, make_staff
from tracker import clock
from tracker.models import (
    ActivationCode,
    ApiToken,
    Application,
    Caregiver,
    CareTeamMembership,
    CoursePause,
    Debridement,
    Patient,
    Photo,
    PhotoStatus,
    PushSubscription,
    RecordVersion,
    ReminderTime,
    Role,
    SymptomEntry,
    TreatmentCourse,
    User,
)
from tracker.services import people, records

ROLES = ["admin", "physician", "nurse", "patient",
         "other_physician", "other_nurse", "other_patient", "anonymous",
         "caregiver", "other_caregiver"]

# Against Rosa's objects, each role plays the part its mirror plays against Helen's.
MIRROR = {"admin": "admin", "anonymous": "anonymous",
          "physician": "other_physician", "other_physician": "physician",
          "nurse": "other_nurse", "other_nurse": "nurse",
          "patient": "other_patient", "other_patient": "patient",
          "caregiver": "other_caregiver", "other_caregiver": "caregiver"}

# Expected status for each endpoint and role, on Helen's objects.
# A caregiver sees and does what her patient does, for her patient only; what she may not do
# (staff lists, the audit trail, inviting or removing caregivers) is a 403.
# Columns:      admin  phys  nurse  pat  o_phys o_nurse o_pat  anon  care  o_care
EXPECTED: dict[str, tuple[int, ...]] = {
    # The staff directory is for staff; staff are not hidden from anyone, so no 404 there.
    "staff-list":                         (200, 200, 200, 403, 200, 200, 403, 401, 403, 403),
    "staff-create":                       (201, 403, 403, 403, 403, 403, 403, 401, 403, 403),
    "staff-patch":                        (200, 403, 403, 403, 403, 403, 403, 401, 403, 403),
    "me":                                 (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "auth-logout":                        (204, 204, 204, 204, 204, 204, 204, 401, 204, 204),
    "patient-list":                       (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "patient-overview":                   (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "patient-detail":                     (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "patient-create":                     (403, 201, 201, 403, 201, 201, 403, 401, 403, 403),
    "patient-patch":                      (404, 200, 200, 403, 404, 404, 404, 401, 403, 404),
    "patient-care-team":                  (404, 201, 403, 403, 404, 404, 404, 401, 403, 404),
    # A patient who has not activated yet (on the physician's and nurse's team).
    "patient-activation-code":            (404, 201, 201, 404, 404, 404, 404, 401, 404, 404),
    # Helen herself: she has activated, so a new code is a conflict for her team.
    "patient-activation-code-activated":  (404, 409, 409, 403, 404, 404, 404, 401, 403, 404),
    "course-list":                        (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "course-list-of-patient":             (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "course-detail":                      (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "course-create":                      (403, 201, 403, 403, 400, 403, 403, 401, 403, 403),
    "course-patch":                       (404, 200, 403, 403, 404, 404, 404, 401, 403, 404),
    "course-adherence":                   (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "course-timeline":                    (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "course-history":                     (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "application-list":                   (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "application-list-of-course":         (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "application-detail":                 (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "application-create":                 (403, 201, 201, 201, 400, 400, 400, 401, 201, 400),
    "application-patch":                  (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "application-entered-in-error":       (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "application-history":                (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "symptom-list":                       (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "symptom-list-of-course":             (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "symptom-detail":                     (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "symptom-create":                     (403, 201, 201, 201, 400, 400, 400, 401, 201, 400),
    "symptom-patch":                      (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "symptom-entered-in-error":           (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "symptom-history":                    (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "debridement-list":                   (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "debridement-list-of-course":         (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "debridement-detail":                 (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "debridement-create":                 (403, 201, 201, 403, 400, 400, 403, 401, 403, 403),
    "debridement-patch":                  (404, 200, 200, 403, 404, 404, 404, 401, 403, 404),
    "debridement-entered-in-error":       (404, 200, 200, 403, 404, 404, 404, 401, 403, 404),
    "debridement-history":                (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    # A photo's row: the patient corrects or voids her own photos as her team does.
    "photo-detail":                       (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "photo-patch":                        (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "photo-entered-in-error":             (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "photo-history":                      (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "audit-event-list":                   (200, 200, 403, 403, 200, 403, 403, 401, 403, 403),
    "audit-event-list-of-patient":        (200, 200, 403, 403, 200, 403, 403, 401, 403, 403),
    # Caregivers: invited by the patient or her team, listed and removed by them.
    "patient-caregivers":                 (404, 200, 200, 200, 404, 404, 404, 401, 403, 404),
    "patient-caregiver-invite":           (404, 201, 201, 201, 404, 404, 404, 401, 403, 404),
    "caregiver-detail":                   (404, 200, 200, 200, 404, 404, 404, 401, 403, 404),
    "caregiver-delete":                   (404, 204, 204, 204, 404, 404, 404, 401, 403, 404),
    # Reminders: the patient, her caregiver and her team set them.
    "course-reminders":                   (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "course-reminders-put":               (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    "course-reminder-deliveries":         (404, 200, 200, 200, 404, 404, 404, 401, 200, 404),
    # Web Push: any signed-in user but the administrator, for her own devices only.
    "push-public-key":                    (200, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "push-subscription-list":             (403, 200, 200, 200, 200, 200, 200, 401, 200, 200),
    "push-subscription-create":           (403, 201, 201, 201, 201, 201, 201, 401, 201, 201),
    # The patient's own subscription: nobody else's to delete, not even her team's.
    "push-subscription-delete":           (404, 404, 404, 204, 404, 404, 404, 401, 404, 404),
}

# Who sees a side's clinical rows in a list: its care team, the patient herself, her caregiver.
TEAM = frozenset({"physician", "nurse", "patient", "caregiver"})
# Who reads a side's audit events: the administrator (all of them) and its physician.
AUDIT_READERS = frozenset({"admin", "physician"})


@dataclass
class Side:
    """One patient's world: the patient, her course and one record of each kind."""

    name: str
    patient: Patient
    pending: Patient  # a second patient of the same team, not activated yet
    course: TreatmentCourse
    application: Application
    symptom: SymptomEntry
    debridement: Debridement
    photo: Photo
    caregiver: Caregiver
    caregiver_user: User
    subscription: PushSubscription


@dataclass
class World:
    cast: Any
    helen: Side
    rosa: Side
    newcomer: User  # an active nurse on no care team

    def side(self, name: str) -> Side:
        return getattr(self, name)


def _side(name: str, patient: Patient, course: TreatmentCourse, physician: User, nurse: User,
          patient_user: User) -> Side:
    pending, _ = people.patient_create(created_by=physician, display_name=f"Pending {name}",
                                       birth_year=1950, timezone_name=patient.timezone,
                                       language="en")
    people.care_team_add(patient=pending, staff_id=nurse.pk, added_by=physician)
    at = timezone.now() - dt.timedelta(days=2)
    made = {}
    for kind, by, data in [
        (records.APPLICATION, patient_user, {"applied_at": at, "status": "applied"}),
        (records.SYMPTOM, patient_user, {"recorded_at": at, "pain": 4, "itch": 3}),
        (records.DEBRIDEMENT, nurse, {"performed_at": at, "method": "sharp", "nodules_removed": 2}),
    ]:
        made[kind.object_type], _ = records.record_create(kind=kind, recorded_by=by, course=course,
                                                          data=data)
    # A processed photo's row (its files do not matter to these routes).
    made["photo"] = Photo.objects.create(
        course=course, patient=patient, recorded_by=patient_user, taken_at=at,
        local_date=clock.local_date(at, patient.timezone), status=PhotoStatus.READY,
        upload_format="JPEG", upload_bytes=1000, width=1200, height=900, sha256="a" * 64,
        image_name=f"{name}/full.jpg", thumbnail_name=f"{name}/thumbnail.jpg")
    caregiver_user = make_caregiver(patient, username=f"{name}-daughter")
    subscription = PushSubscription.objects.create(
        user=patient_user, endpoint=f"https://fcm.googleapis.com/fcm/send/{name}",
        p256dh=P256DH, auth=AUTH)
    return Side(name=name, patient=patient, pending=pending, course=course, **made,
                caregiver=caregiver_user.caregiver_profile, caregiver_user=caregiver_user,
                subscription=subscription)


def build_world(cast: Any, api: Any) -> World:
    helen = _side("helen", cast.patient, cast.course, cast.physician, cast.nurse, cast.patient_user)
    rosa = _side("rosa", cast.other_patient, cast.other_course, cast.other_physician,
                 cast.other_nurse, cast.other_patient_user)
    # Each side's physician reads the chart once, so each patient has audit events to list.
    for user, patient in [(cast.physician, cast.patient), (cast.other_physician, cast.other_patient)]:
        assert api(user).get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    return World(cast=cast, helen=helen, rosa=rosa, newcomer=make_staff("newcomer", Role.NURSE))


@pytest.fixture
def world(cast: Any, api: Any) -> World:
    return build_world(cast, api)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# A browser's subscription keys, as PushSubscription.toJSON() gives them: a P-256 point and a
# 16-byte secret.
P256DH = _b64url(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
AUTH = _b64url(secrets.token_bytes(16))


def _subscription_body(world: World, side: Side) -> dict[str, Any]:
    return {"endpoint": "https://fcm.googleapis.com/fcm/send/new-device",
            "keys": {"p256dh": P256DH, "auth": AUTH}}


# --- The endpoints ----------------------------------------------------------------------------------
Body = Callable[[World, Side], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    # Placeholders name the target side's objects: {patient} {pending} {course} {application} ...
    url: str
    body: Body | None = None
    # Object endpoints run against Helen's and Rosa's objects; the others once.
    per_side: bool = True
    # Lists: the kind of row shown ("patient", "course", "application", ..., "audit", "staff").
    lists: str = ""
    # A write that stores nothing even when allowed (signing out).
    stores: bool = True


def _recently() -> str:
    return (timezone.now() - dt.timedelta(hours=1)).isoformat()


def _course_body(world: World, side: Side) -> dict[str, Any]:
    return {"patient": str(side.patient.pk), "medication": "Sodium thiosulfate",
            "concentration_percent": "10", "vehicle": "Oil-in-water emulsion",
            "body_site": "Right calf", "applications_per_day": 1,
            "start_date": clock.today_in(side.patient.timezone).isoformat(),
            "instructions": "Once daily.",
            # One course in force at a time: the new one completes the patient's course.
            "previous_course": {"id": str(side.course.pk), "status": "completed"}}


RECORD_BODIES: dict[str, tuple[Body, dict[str, Any]]] = {
    # kind: (create body, correction)
    "application": (lambda w, s: {"course": str(s.course.pk), "applied_at": _recently(),
                                  "status": "applied", "notes": "Evening dose."},
                    {"notes": "Evening dose, corrected."}),
    "symptom": (lambda w, s: {"course": str(s.course.pk), "recorded_at": _recently(),
                              "pain": 3, "itch": 2, "drainage": "clear"},
                {"pain": 5}),
    "debridement": (lambda w, s: {"course": str(s.course.pk), "performed_at": _recently(),
                                  "method": "mechanical", "nodules_removed": 1},
                    {"nodules_removed": 3}),
}

_PLURAL = {"application": "applications", "symptom": "symptoms", "debridement": "debridements"}


def _record_endpoints() -> dict[str, Endpoint]:
    out: dict[str, Endpoint] = {}
    for kind, (create, correction) in RECORD_BODIES.items():
        base = f"/api/v1/{_PLURAL[kind]}/"
        detail = base + "{%s}/" % kind  # noqa: UP031
        out |= {
            f"{kind}-list": Endpoint("GET", base, per_side=False, lists=kind),
            f"{kind}-list-of-course": Endpoint("GET", base + "?course={course}", lists=kind),
            f"{kind}-detail": Endpoint("GET", detail),
            f"{kind}-create": Endpoint("POST", base, create),
            f"{kind}-patch": Endpoint("PATCH", detail, lambda w, s, c=correction: dict(c)),
            f"{kind}-entered-in-error": Endpoint("POST", detail + "entered-in-error/",
                                                 lambda w, s: {"reason": "Wrong chart."}),
            f"{kind}-history": Endpoint("GET", detail + "history/"),
        }
    return out


ENDPOINTS: dict[str, Endpoint] = {
    "staff-list": Endpoint("GET", "/api/v1/staff/", per_side=False, lists="staff"),
    "staff-create": Endpoint("POST", "/api/v1/staff/", lambda w, s: {
        "username": "new_physician", "password": "a-long-and-unusual-passphrase",
        "role": "physician", "display_name": "New Physician"}, per_side=False),
    "staff-patch": Endpoint("PATCH", "/api/v1/staff/{newcomer}/",
                            lambda w, s: {"display_name": "Renamed"}, per_side=False),
    "me": Endpoint("GET", "/api/v1/me/", per_side=False),
    "auth-logout": Endpoint("POST", "/api/v1/auth/logout/", per_side=False, stores=False),
    "patient-list": Endpoint("GET", "/api/v1/patients/", per_side=False, lists="patient"),
    "patient-overview": Endpoint("GET", "/api/v1/patients/overview/", per_side=False, lists="patient"),
    "patient-detail": Endpoint("GET", "/api/v1/patients/{patient}/"),
    "patient-create": Endpoint("POST", "/api/v1/patients/", lambda w, s: {
        "display_name": "Ada Newcomb", "birth_year": 1951, "timezone": "America/Chicago",
        "language": "en"}, per_side=False),
    "patient-patch": Endpoint("PATCH", "/api/v1/patients/{patient}/", lambda w, s: {"language": "es"}),
    "patient-care-team": Endpoint("POST", "/api/v1/patients/{patient}/care-team/",
                                  lambda w, s: {"staff_id": str(w.newcomer.pk)}),
    "patient-activation-code": Endpoint("POST", "/api/v1/patients/{pending}/activation-code/",
                                        lambda w, s: {}),
    "patient-activation-code-activated": Endpoint(
        "POST", "/api/v1/patients/{patient}/activation-code/", lambda w, s: {}),
    "course-list": Endpoint("GET", "/api/v1/courses/", per_side=False, lists="course"),
    "course-list-of-patient": Endpoint("GET", "/api/v1/courses/?patient={patient}", lists="course"),
    "course-detail": Endpoint("GET", "/api/v1/courses/{course}/"),
    "course-create": Endpoint("POST", "/api/v1/courses/", _course_body),
    "course-patch": Endpoint("PATCH", "/api/v1/courses/{course}/",
                             lambda w, s: {"instructions": "Twice daily from now on."}),
    "course-adherence": Endpoint("GET", "/api/v1/courses/{course}/adherence/"),
    "course-timeline": Endpoint("GET", "/api/v1/courses/{course}/timeline/"),
    "course-history": Endpoint("GET", "/api/v1/courses/{course}/history/"),
    **_record_endpoints(),
    "photo-detail": Endpoint("GET", "/api/v1/photos/{photo}/"),
    "photo-patch": Endpoint("PATCH", "/api/v1/photos/{photo}/", lambda w, s: {"note": "Left edge."}),
    "photo-entered-in-error": Endpoint("POST", "/api/v1/photos/{photo}/entered-in-error/",
                                       lambda w, s: {"reason": "Wrong patient."}),
    "photo-history": Endpoint("GET", "/api/v1/photos/{photo}/history/"),
    "audit-event-list": Endpoint("GET", "/api/v1/audit-events/", per_side=False, lists="audit"),
    "audit-event-list-of-patient": Endpoint("GET", "/api/v1/audit-events/?patient={patient}",
                                            lists="audit"),
    "patient-caregivers": Endpoint("GET", "/api/v1/patients/{patient}/caregivers/"),
    "patient-caregiver-invite": Endpoint("POST", "/api/v1/patients/{patient}/caregivers/",
                                         lambda w, s: {"display_name": "Luis Ortega",
                                                       "relationship": "neighbour"}),
    "caregiver-detail": Endpoint("GET", "/api/v1/caregivers/{caregiver}/"),
    "caregiver-delete": Endpoint("DELETE", "/api/v1/caregivers/{caregiver}/"),
    "course-reminders": Endpoint("GET", "/api/v1/courses/{course}/reminders/"),
    "course-reminders-put": Endpoint("PUT", "/api/v1/courses/{course}/reminders/",
                                     lambda w, s: {"enabled": True, "times": ["20:00"]}),
    "course-reminder-deliveries": Endpoint("GET", "/api/v1/courses/{course}/reminders/deliveries/"),
    "push-public-key": Endpoint("GET", "/api/v1/push/public-key/", per_side=False),
    "push-subscription-list": Endpoint("GET", "/api/v1/push/subscriptions/", per_side=False),
    "push-subscription-create": Endpoint("POST", "/api/v1/push/subscriptions/",
                                         _subscription_body, per_side=False),
    "push-subscription-delete": Endpoint("DELETE", "/api/v1/push/subscriptions/{subscription}/"),
}


# Sign-in routes answer the same to everyone; tests/api/test_auth* cover them.
PUBLIC_ROUTES = frozenset({"auth-token", "auth-csrf", "auth-session", "auth-activate"})
# Photo uploads and files, reviews, progress reports and alerts came with their own issue and are
# not in this table: tests/api/test_photos.py, tests/tracker/test_reviews.py,
# tests/api/test_review_workstation.py, tests/api/test_alerts.py and tests/api/test_reports.py
# check their scoping, role by role on own and foreign objects. Any other route missing from the
# table fails the test below.
ELSEWHERE_ROUTE_PREFIXES = ("photo-list", "photo-image", "photo-thumbnail", "photo-reviews",
                            "photo-retry", "photo-retake", "review-", "report-", "alert-",
                            "course-reports", "push-subscription-test")


def test_the_table_covers_every_route_and_method_of_the_api() -> None:
    """A new route, method or table row without its counterpart fails here."""
    from api.urls import router, urlpatterns

    routes = {(p.name, method.upper()) for p in router.urls for method in p.callback.actions
              if method not in ("head", "options") and not p.name.startswith(ELSEWHERE_ROUTE_PREFIXES)}
    for pattern in urlpatterns:
        callback = getattr(pattern, "callback", None)
        view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view is None or pattern.name in PUBLIC_ROUTES:
            continue
        if (actions := getattr(callback, "actions", None)) is not None:  # a viewset's own route
            if not pattern.name.startswith(ELSEWHERE_ROUTE_PREFIXES):
                routes |= {(pattern.name, m.upper()) for m in actions if m not in ("head", "options")}
            continue
        routes |= {(pattern.name, m.upper()) for m in view.http_method_names
                   if m not in ("head", "options") and hasattr(view, m)}
    ids = dict.fromkeys(["patient", "pending", "course", "application", "symptom", "debridement",
                         "photo", "newcomer", "caregiver", "subscription"],
                        "00000000-0000-0000-0000-000000000000")
    covered = {(resolve(ep.url.format(**ids).split("?")[0]).url_name, ep.method)
               for ep in ENDPOINTS.values()}
    assert covered == routes
    assert set(EXPECTED) == set(ENDPOINTS)
    assert all(len(codes) == len(ROLES) for codes in EXPECTED.values())


# --- Running one cell of the table ------------------------------------------------------------------
TRACKED = [User, Patient, CareTeamMembership, ActivationCode, ApiToken, TreatmentCourse, CoursePause,
           Application, SymptomEntry, Debridement, Photo, RecordVersion, Caregiver,
           PushSubscription, ReminderTime]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table an endpoint may write (the audit trail aside)."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TRACKED}


def user_for(world: World, role: str) -> User | None:
    cast = world.cast
    return {"anonymous": None, "patient": cast.patient_user,
            "other_patient": cast.other_patient_user,
            "caregiver": world.helen.caregiver_user,
            "other_caregiver": world.rosa.caregiver_user}.get(role, getattr(cast, role, None))


def url_for(template: str, world: World, side: Side) -> str:
    return template.format(
        patient=side.patient.pk, pending=side.pending.pk, course=side.course.pk,
        application=side.application.pk, symptom=side.symptom.pk,
        debridement=side.debridement.pk, photo=side.photo.pk, newcomer=world.newcomer.pk,
        caregiver=side.caregiver.pk, subscription=side.subscription.pk,
    )


def _relative(role: str, side: str) -> str:
    return role if side == "helen" else MIRROR[role]


def _rows(kind: str, side: Side, relative_role: str) -> set[str]:
    """The ids of the side's rows of this kind that a role (relative to the side) sees."""
    if relative_role not in TEAM:
        return set()
    if kind == "patient":
        # The pending patient is on the staff's team; the patient sees only herself.
        ids = {side.patient.pk} | ({side.pending.pk}
                                   if relative_role not in ("patient", "caregiver") else set())
        return {str(pk) for pk in ids}
    if kind == "course":
        return {str(side.course.pk)}
    return {str(getattr(side, kind).pk)}


def _check_rows(endpoint: Endpoint, world: World, role: str, target: str, body: dict[str, Any]
                ) -> None:
    results = body["results"]
    assert body["count"] == len(results)
    sides = [world.side(target)] if endpoint.per_side else [world.helen, world.rosa]
    if endpoint.lists == "staff":
        staff = {str(u.pk) for u in User.objects.filter(role__in=[Role.NURSE, Role.PHYSICIAN])}
        assert {row["id"] for row in results} == staff
    elif endpoint.lists == "audit":
        readable = {str(s.patient.pk) for s in sides if _relative(role, s.name) in AUDIT_READERS}
        shown = {row["patient"] for row in results}
        if role == "admin":
            assert readable <= shown  # the administrator reads the whole trail
        else:
            assert shown == readable  # a physician: all and only their patients' events
        if endpoint.per_side:
            assert shown <= {str(world.side(target).patient.pk)}
    else:
        expected = set().union(*(_rows(endpoint.lists, s, _relative(role, s.name)) for s in sides))
        assert {row["id"] for row in results} == expected


def _one_request(world: World, api: Any, endpoint: Endpoint, role: str, target: str,
                 expected: int) -> int:
    """Send the endpoint's request as this role; check rows and the database. Returns the status."""
    side = world.side(target)
    body = endpoint.body(world, side) if endpoint.body else None
    before = snapshot() if endpoint.method != "GET" else None
    response = api(user_for(world, role)).generic(
        endpoint.method, url_for(endpoint.url, world, side),
        **({"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}),
    )
    if response.status_code != expected:
        return response.status_code
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        if expected == 404:  # nothing of the hidden object leaks into the answer
            assert str(side.patient.pk) not in response.content.decode()
    if endpoint.lists and expected == 200:
        _check_rows(endpoint, world, role, target, response.json())
    if before is not None:
        if expected >= 400:
            assert snapshot() == before, "a refused write changed the database"
        elif endpoint.stores:
            assert snapshot() != before, "an allowed write stored nothing"
    return response.status_code


CASES = [
    pytest.param(name, side, id=name + (f"-on-{side}s-object" if ep.per_side else ""))
    for name, ep in ENDPOINTS.items()
    for side in (("helen", "rosa") if ep.per_side else ("helen",))
]


@pytest.mark.parametrize(("name", "target"), CASES)
def test_every_role_gets_the_documented_answer(world: World, api: Any, name: str, target: str
                                               ) -> None:
    """One endpoint and one side, every role; each role's request is rolled back after it, so
    every role meets the same world (and an allowed write does not change the next role's answer)."""
    endpoint = ENDPOINTS[name]
    want = {role: EXPECTED[name][ROLES.index(_relative(role, target))] for role in ROLES}
    got: dict[str, int] = {}
    problems: list[str] = []
    for role in ROLES:
        with transaction.atomic():
            try:
                got[role] = _one_request(world, api, endpoint, role, target, want[role])
            except AssertionError as exc:
                got[role] = want[role]
                problems.append(f"{role}: {exc}")
            transaction.set_rollback(True)
    assert got == want
    assert problems == []


@pytest.mark.parametrize(("user", "patient", "expected"), [
    ("other_nurse", "patient", []),
    ("other_physician", "patient", []),
    ("nurse", "patient", ["course"]),
    ("patient_user", "patient", ["course"]),
    ("patient_user", "other_patient", []),
    ("admin", "patient", []),
])
def test_a_course_filter_shows_only_what_the_user_may_see(cast: Any, api: Any, user: str,
                                                         patient: str, expected: list[str]) -> None:
    patient_id = getattr(cast, patient).pk
    response = api(cast.user(user)).get(f"/api/v1/courses/?patient={patient_id}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [
        str(getattr(cast, name).pk) for name in expected]


def test_a_patient_sees_only_herself(cast: Any, api: Any) -> None:
    response = api(cast.patient_user).get("/api/v1/patients/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(cast.patient.pk)]


def test_a_deactivated_nurse_sees_nothing_even_with_a_live_credential(cast: Any, api: Any) -> None:
    """The role rules themselves check is_active: a sign-in that outlived the account shows nothing."""
    people.user_deactivate(user=cast.nurse)
    cast.nurse.refresh_from_db()
    client = api(cast.nurse)  # forced authentication skips the sign-in's own is_active check
    assert client.get(f"/api/v1/courses/{cast.course.pk}/").status_code == 404
    assert client.get("/api/v1/patients/").json()["results"] == []
