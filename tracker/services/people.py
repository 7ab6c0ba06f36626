"""Accounts and people: staff, patients, their activation, their care team."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tracker import clock
from tracker.errors import Conflict, ValidationError, field_error
from tracker.models import (
    STAFF_ROLES,
    ActivationCode,
    ApiToken,
    Caregiver,
    CaregiverStatus,
    CareTeamMembership,
    Language,
    Patient,
    Role,
    User,
)
from tracker.services import reminders
from tracker.services.auth import login_check_throttle, login_record_failure

# No 0/O, 1/I/L: the code is read aloud and typed by older patients.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12


def _validate_new_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


def _ensure_username_free(username: str) -> None:
    if User.objects.filter(username__iexact=username).exists():
        raise field_error("username", "This username is taken.")


@transaction.atomic
def staff_create(*, username: str, password: str, role: str, display_name: str,
                 email: str = "") -> User:
    if role not in STAFF_ROLES:
        raise field_error("role", "Must be nurse or physician.")
    _ensure_username_free(username)
    user = User(username=username, role=role, display_name=display_name, email=email)
    _validate_new_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise field_error("username", "This username is taken.") from None
    return user


_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*")


def _validate_patient_fields(*, birth_year: int, timezone_name: str, language: str,
                             care_team_phone: str = "") -> None:
    errors: dict[str, list[str]] = {}
    this_year = timezone.now().year
    if not 1900 <= birth_year <= this_year:
        errors["birth_year"] = [f"Must be between 1900 and {this_year}."]
    if not clock.is_valid_timezone(timezone_name):
        errors["timezone"] = ["Not an IANA time zone name (e.g. America/Denver)."]
    if language not in Language.values:
        errors["language"] = ["Must be en or es."]
    digits = sum(ch.isdigit() for ch in care_team_phone)
    if care_team_phone and (not _PHONE.fullmatch(care_team_phone) or not 6 <= digits <= 15):
        # It becomes a tel: link on her phone: digits, an optional leading +, and separators.
        errors["care_team_phone"] = ["A phone number: 6 to 15 digits, an optional leading +, "
                                     "spaces, dots, dashes or brackets."]
    if errors:
        raise ValidationError(errors)


def _hash_code(code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return salted_hmac("tend.activation-code", normalized).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, _CODE_LENGTH, 4))


def activation_code_issue(*, patient: Patient, issued_by: User) -> str:
    """Make a new one-time code (earlier unused ones stop working). Returns the code in clear."""
    code = _new_code()
    now = timezone.now()
    with transaction.atomic():
        if patient.user_id is not None:
            raise Conflict("This patient has already activated their account.")
        ActivationCode.objects.filter(patient=patient, caregiver__isnull=True,
                                      used_at__isnull=True).update(expires_at=now)
        ActivationCode.objects.create(
            patient=patient, code_hash=_hash_code(code), created_by=issued_by,
            expires_at=now + dt.timedelta(days=settings.TEND_ACTIVATION_DAYS),
        )
    return code


@transaction.atomic
def patient_create(*, created_by: User, display_name: str, birth_year: int, timezone_name: str,
                   language: str, care_team_name: str = "", care_team_phone: str = ""
                   ) -> tuple[Patient, str]:
    """Register a patient, put the creator on the care team, and issue an activation code."""
    _validate_patient_fields(birth_year=birth_year, timezone_name=timezone_name, language=language,
                             care_team_phone=care_team_phone)
    patient = Patient.objects.create(
        display_name=display_name, birth_year=birth_year, timezone=timezone_name,
        language=language, created_by=created_by, care_team_name=care_team_name,
        care_team_phone=care_team_phone,
    )
    CareTeamMembership.objects.create(patient=patient, staff=created_by, added_by=created_by)
    code = activation_code_issue(patient=patient, issued_by=created_by)
    return patient, code


@transaction.atomic
def patient_update(*, patient: Patient, changes: dict[str, Any]) -> Patient:
    merged = {
        "birth_year": changes.get("birth_year", patient.birth_year),
        "timezone_name": changes.get("timezone", patient.timezone),
        "language": changes.get("language", patient.language),
        "care_team_phone": changes.get("care_team_phone", patient.care_team_phone),
    }
    _validate_patient_fields(**merged)
    moved = "timezone" in changes and changes["timezone"] != patient.timezone
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.save(update_fields=list(changes) or None)
    if moved:
        reminders.reschedule_patient(patient)  # the same wall-clock times in her new zone
    return patient


def patient_activate(*, activation_code: str, username: str, password: str,
                     ip: str | None = None) -> User:
    """Turn a valid, unused, unexpired code into the patient's login. A code works once.

    Wrong codes count against the address like failed sign-ins, so codes cannot be guessed.
    """
    login_check_throttle(username="", ip=ip, scope="activation")
    try:
        return _activate(activation_code=activation_code, username=username, password=password)
    except ValidationError as exc:
        if "activation_code" in exc.message_dict:
            login_record_failure(username="", ip=ip, scope="activation")
        raise


@transaction.atomic
def _activate(*, activation_code: str, username: str, password: str) -> User:
    now = timezone.now()
    code = (
        ActivationCode.objects.select_for_update(of=("self",))
        .select_related("patient", "caregiver")
        .filter(code_hash=_hash_code(activation_code), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    caregiver = code.caregiver if code is not None else None
    if (code is None
            or (caregiver is None and code.patient.user_id is not None)
            or (caregiver is not None and caregiver.status != CaregiverStatus.INVITED)):
        raise field_error("activation_code", "This code is not valid. It may have expired.")
    _ensure_username_free(username)
    if caregiver is None:
        user = User(username=username, role=Role.PATIENT, display_name=code.patient.display_name)
    else:
        user = User(username=username, role=Role.CAREGIVER, display_name=caregiver.display_name)
    _validate_new_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise field_error("username", "This username is taken.") from None
    code.used_at = now
    code.save(update_fields=["used_at"])
    if caregiver is None:
        Patient.objects.filter(pk=code.patient_id).update(user=user)
    else:
        Caregiver.objects.filter(pk=caregiver.pk).update(
            user=user, status=CaregiverStatus.ACTIVE, activated_at=now)
    return user


# --- Caregivers -----------------------------------------------------------------------------------
# A patient rarely has more than two or three helpers; a cap keeps a stolen session from minting
# logins for her record without end.
MAX_CAREGIVERS = 5


@transaction.atomic
def caregiver_invite(*, patient: Patient, display_name: str, relationship: str, invited_by: User
                     ) -> tuple[Caregiver, str]:
    """Invite someone to help the patient: a caregiver row and her one-time activation code."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # one invitation at a time
    standing = Caregiver.objects.filter(
        patient=patient, status__in=[CaregiverStatus.INVITED, CaregiverStatus.ACTIVE]).count()
    if standing >= MAX_CAREGIVERS:
        raise Conflict(f"A patient can have at most {MAX_CAREGIVERS} caregivers. "
                       "Remove one before inviting another.")
    caregiver = Caregiver.objects.create(patient=patient, display_name=display_name.strip(),
                                         relationship=relationship.strip(), invited_by=invited_by)
    code = _new_code()
    now = timezone.now()
    ActivationCode.objects.create(
        patient=patient, caregiver=caregiver, code_hash=_hash_code(code), created_by=invited_by,
        expires_at=now + dt.timedelta(days=settings.TEND_ACTIVATION_DAYS),
    )
    return caregiver, code


@transaction.atomic
def caregiver_revoke(*, caregiver: Caregiver, by: User) -> Caregiver:
    """End a caregiver's access at once: her tokens and sessions die, an unused code stops
    working. What she recorded stays, under her name. Revoking twice changes nothing."""
    caregiver = Caregiver.objects.select_for_update().get(pk=caregiver.pk)
    if caregiver.status == CaregiverStatus.REVOKED:
        return caregiver
    now = timezone.now()
    caregiver.status = CaregiverStatus.REVOKED
    caregiver.revoked_at = now
    caregiver.revoked_by = by
    caregiver.save(update_fields=["status", "revoked_at", "revoked_by"])
    ActivationCode.objects.filter(caregiver=caregiver, used_at__isnull=True).update(expires_at=now)
    if caregiver.user is not None:
        user_deactivate(user=caregiver.user)
    return caregiver


@transaction.atomic
def care_team_add(*, patient: Patient, staff_id: uuid.UUID, added_by: User) -> CareTeamMembership:
    staff = User.objects.filter(pk=staff_id, is_active=True, role__in=STAFF_ROLES).first()
    if staff is None:
        raise field_error("staff_id", "No active nurse or physician has this id.")
    membership, created = CareTeamMembership.objects.get_or_create(
        patient=patient, staff=staff, defaults={"added_by": added_by}
    )
    if not created:
        raise Conflict("This person is already on the care team.", field="staff_id")
    return membership


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """A deactivated user can no longer sign in; their tokens and sessions die now, for good
    (reactivating the account later does not bring an old sign-in back)."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    # Sessions are not indexed by user; deactivation is rare, so reading the live ones is fine.
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            session.delete()
    return user


@transaction.atomic
def staff_update(*, user: User, is_active: bool | None = None, display_name: str | None = None,
                 email: str | None = None) -> User:
    if display_name is not None:
        user.display_name = display_name
        user.save(update_fields=["display_name"])
    if email is not None:
        user.email = email
        user.save(update_fields=["email"])
    if is_active is False and user.is_active:
        user_deactivate(user=user)
    elif is_active is True and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user
