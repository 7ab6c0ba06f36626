"""Who may see and do what. Every role rule of Tend lives in this module.

Two questions, always in this order:
1. May the user *see* the patient? Staff see the patients whose care team they are on; a patient
   sees only themself; a caregiver sees the one patient she helps, while her invitation stands;
   an administrator manages accounts and reads the audit trail but sees no
   clinical record. What a user may not see does not exist for them (the API answers 404).
2. May the user *do* this action on what they see? If not, the API answers 403.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from tracker.errors import PermissionDenied
from tracker.models import (
    STAFF_ROLES,
    Caregiver,
    CaregiverStatus,
    CareTeamMembership,
    Patient,
    Role,
    TreatmentCourse,
    User,
)

M = TypeVar("M", bound=Model)


class Action(StrEnum):
    STAFF_CREATE = "staff.create"
    STAFF_READ = "staff.read"
    STAFF_MANAGE = "staff.manage"
    PATIENT_CREATE = "patient.create"
    PATIENT_UPDATE = "patient.update"
    PATIENT_ISSUE_ACTIVATION = "patient.issue_activation"
    CARE_TEAM_ADD = "care_team.add"
    COURSE_PRESCRIBE = "course.prescribe"
    COURSE_CHANGE = "course.change"
    APPLICATION_WRITE = "application.write"
    SYMPTOM_WRITE = "symptom.write"
    DEBRIDEMENT_WRITE = "debridement.write"
    AUDIT_READ = "audit.read"
    PHOTO_WRITE = "photo.write"
    PHOTO_RETRY = "photo.retry"
    REVIEW_WRITE = "review.write"
    REVIEW_CHANGE = "review.change"
    PHOTO_RETAKE = "photo.retake"
    ALERT_READ = "alert.read"
    REPORT_REQUEST = "report.request"
    REMINDER_CHANGE = "reminder.change"
    DELIVERY_READ = "delivery.read"
    CAREGIVER_INVITE = "caregiver.invite"
    CAREGIVER_READ = "caregiver.read"
    CAREGIVER_REVOKE = "caregiver.revoke"
    PUSH_SUBSCRIBE = "push.subscribe"


_P, _C, _N, _D, _A = Role.PATIENT, Role.CAREGIVER, Role.NURSE, Role.PHYSICIAN, Role.ADMIN

# The roles that act for a patient from her side: she herself, and a caregiver for her.
PATIENT_SIDE = frozenset({_P, _C})

# For each action, the roles that may take it on what they can see.
_ALLOWED: dict[Action, frozenset[str]] = {
    Action.STAFF_CREATE: frozenset({_A}),
    Action.STAFF_READ: frozenset({_A, _N, _D}),
    Action.STAFF_MANAGE: frozenset({_A}),
    Action.PATIENT_CREATE: frozenset({_N, _D}),
    Action.PATIENT_UPDATE: frozenset({_N, _D}),
    Action.PATIENT_ISSUE_ACTIVATION: frozenset({_N, _D}),
    Action.CARE_TEAM_ADD: frozenset({_D}),
    Action.COURSE_PRESCRIBE: frozenset({_D}),
    Action.COURSE_CHANGE: frozenset({_D}),
    Action.APPLICATION_WRITE: frozenset({_P, _C, _N, _D}),
    Action.SYMPTOM_WRITE: frozenset({_P, _C, _N, _D}),
    Action.DEBRIDEMENT_WRITE: frozenset({_N, _D}),
    Action.AUDIT_READ: frozenset({_A, _D}),
    Action.PHOTO_WRITE: frozenset({_P, _C, _N, _D}),
    Action.PHOTO_RETRY: frozenset({_N, _D}),
    Action.REVIEW_WRITE: frozenset({_N, _D}),
    Action.REVIEW_CHANGE: frozenset({_N, _D}),
    Action.PHOTO_RETAKE: frozenset({_N, _D}),
    Action.ALERT_READ: frozenset({_N, _D}),
    Action.REPORT_REQUEST: frozenset({_N, _D}),
    Action.REMINDER_CHANGE: frozenset({_P, _C, _N, _D}),
    Action.DELIVERY_READ: frozenset({_P, _C, _N, _D}),
    Action.CAREGIVER_INVITE: frozenset({_P, _N, _D}),
    Action.CAREGIVER_READ: frozenset({_P, _N, _D}),
    Action.CAREGIVER_REVOKE: frozenset({_P, _N, _D}),
    Action.PUSH_SUBSCRIBE: frozenset({_P, _C, _N, _D}),
}


def role_of(user: User) -> str:
    return Role.ADMIN if user.is_superuser else user.role


def patient_profile(user: User) -> Patient | None:
    """The patient a user is, if she is one."""
    return getattr(user, "patient_profile", None) if role_of(user) == Role.PATIENT else None


def caregiver_profile(user: User) -> Caregiver | None:
    """The caregiver a user is, while her invitation stands."""
    if role_of(user) != Role.CAREGIVER:
        return None
    caregiver: Caregiver | None = getattr(user, "caregiver_profile", None)
    return caregiver if caregiver is not None and caregiver.status == CaregiverStatus.ACTIVE else None


def acting_for(user: User) -> Patient | None:
    """The patient whose side a user is on: herself, or the one a caregiver helps."""
    if (profile := patient_profile(user)) is not None:
        return profile
    caregiver = caregiver_profile(user)
    return caregiver.patient if caregiver is not None else None


def is_patient_side(user: User | None) -> bool:
    return user is not None and role_of(user) in PATIENT_SIDE


def failure_reason_for(user: User | None, reason: str, *, failed: bool, patient_message: str) -> str:
    """Why a photo or a report failed is for staff (a worker's error, a limit); a patient (or
    her caregiver) gets what to do about it, and only when it did fail."""
    if is_patient_side(user):
        return patient_message if failed else ""
    return reason


def can(user: User, action: Action) -> bool:
    return user.is_active and role_of(user) in _ALLOWED[action]


def require(user: User, action: Action) -> None:
    if not can(user, action):
        raise PermissionDenied("Your role does not allow this action.")


def _visible_patient_ids(user: User) -> QuerySet[Any, Any] | None:
    """A subquery of the ids of the patients the user may see; None for nobody."""
    role = role_of(user)
    if not user.is_active:
        return None
    if role == Role.PATIENT:
        return Patient.objects.filter(user=user).values("id")
    if role == Role.CAREGIVER:
        return Caregiver.objects.filter(user=user, status=CaregiverStatus.ACTIVE).values("patient_id")
    if role in (Role.NURSE, Role.PHYSICIAN):
        return CareTeamMembership.objects.filter(staff=user).values("patient_id")
    return None


def visible_patients(user: User) -> QuerySet[Patient]:
    return scope_to_patients(user, Patient.objects.all(), via="")


def scope_to_patients(user: User, queryset: QuerySet[M], *, via: str = "patient") -> QuerySet[M]:
    """Restrict any queryset of patient data to the patients the user may see.

    `via` is the lookup from the queryset's model to its Patient ("patient", "course__patient"),
    or "" for a queryset of patients.
    """
    ids = _visible_patient_ids(user)
    if ids is None:
        return queryset.none()
    return queryset.filter(**{f"{via}__in" if via else "pk__in": ids})


def scope_to_course(user: User, queryset: QuerySet[M], course_id: uuid.UUID) -> QuerySet[M]:
    """The records of one course the user may see: all of them if she sees the course's patient,
    else none.

    For a queryset of course records (whose patient is their course's), this holds the same rows
    as scope_to_patients(...).filter(course=course_id). It is written as a semi-join on the one
    course instead, because PostgreSQL cannot tell that every record of the course passes the
    care-team filter: it guessed 4 % and sorted the whole course, where this reads a page off the
    course's time index.
    """
    courses = scope_to_patients(user, TreatmentCourse.objects.filter(pk=course_id))
    return queryset.filter(course_id=course_id, course__in=courses.values("pk"))


def staff_scope(user: User, queryset: QuerySet[User]) -> QuerySet[User]:
    """The staff directory: nurses and physicians, the active ones only unless the user manages
    accounts."""
    staff = queryset.filter(role__in=STAFF_ROLES)
    return staff if can(user, Action.STAFF_MANAGE) else staff.filter(is_active=True)


def audit_scope(user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    """Audit events a user may read: an administrator all, a physician those of their patients."""
    role = role_of(user)
    if role == Role.ADMIN and user.is_active:
        return queryset
    if role == Role.PHYSICIAN and user.is_active:
        return queryset.filter(patient__in=_visible_patient_ids(user))
    return queryset.none()
