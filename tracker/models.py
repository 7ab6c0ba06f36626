"""Tend's record of a treatment course.

Times are stored in UTC. Each record of a course also stores `local_date`: the patient's calendar day
at the moment the thing happened, in the time zone the patient had then. Adherence and reports group
by that day, and the (course, local_date) indexes keep those queries fast at millions of rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    PHYSICIAN = "physician", "Physician"
    NURSE = "nurse", "Nurse"
    PATIENT = "patient", "Patient"
    # A daughter or a neighbour who helps one patient: she sees and does what her patient does,
    # for that patient only.
    CAREGIVER = "caregiver", "Caregiver"


STAFF_ROLES = frozenset({Role.PHYSICIAN, Role.NURSE})


class TendUserManager(UserManager["User"]):
    def create_superuser(self, username: str, email: str | None = None, password: str | None = None,
                         **extra_fields: Any) -> User:
        extra_fields["role"] = Role.ADMIN
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices)
    display_name = models.CharField(max_length=120, blank=True)

    objects: ClassVar[TendUserManager] = TendUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.username


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="patient_profile"
    )
    display_name = models.CharField(max_length=120)
    birth_year = models.PositiveSmallIntegerField()
    timezone = models.CharField(max_length=64)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    # Whom she calls: the clinic's name and phone, set by her care team and shown on every screen.
    care_team_name = models.CharField(max_length=120, blank=True)
    care_team_phone = models.CharField(max_length=32, blank=True)
    care_team: models.ManyToManyField[User, CareTeamMembership] = models.ManyToManyField(
        User, through="CareTeamMembership", through_fields=("patient", "staff"),
        related_name="care_patients",
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Patient {self.id}"


class CareTeamMembership(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="memberships")
    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "staff"], name="care_team_once"),
        ]
        indexes = [models.Index(fields=["staff", "patient"], name="care_team_by_staff")]


class CaregiverStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class Caregiver(models.Model):
    """Someone who helps one patient with her course, invited by her or her care team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="caregivers")
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="caregiver_profile")
    display_name = models.CharField(max_length=120)
    relationship = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=8, choices=CaregiverStatus.choices,
                              default=CaregiverStatus.INVITED)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["patient", "status"], name="caregiver_by_patient")]


class ActivationCode(models.Model):
    """A one-time code that lets a patient, or one of her caregivers, choose a username and
    password. Only its hash is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="activation_codes")
    # Set when the code activates a caregiver of the patient rather than the patient herself.
    caregiver = models.ForeignKey(Caregiver, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="activation_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class ApiToken(models.Model):
    """A bearer token. The client holds the secret; the database holds only its SHA-256."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="token_expiry")]


class ClientCreated(models.Model):
    """A row a client may create under an id of its own choosing (tracker/idempotency.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # SHA-256 of the content as first created, to tell a retried create from a conflicting one.
    client_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class TreatmentCourse(ClientCreated):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    medication = models.CharField(max_length=120)
    concentration_percent = models.DecimalField(
        max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )
    vehicle = models.CharField(max_length=120)
    body_site = models.CharField(max_length=120)
    applications_per_day = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    instructions = models.TextField(blank=True, max_length=4000)
    status = models.CharField(max_length=16, choices=CourseStatus.choices, default=CourseStatus.ACTIVE)
    prescribed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    version = models.PositiveIntegerField(default=1)
    # Web Push reminders at the patient's chosen wall-clock times (ReminderTime rows).
    reminders_enabled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-start_date", "-created_at"]
        indexes = [models.Index(fields=["patient", "-start_date"], name="course_by_patient")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="course_end_after_start",
            ),
        ]

    def last_day(self, today: dt.date) -> dt.date:
        """The course's last day so far, in the patient's days: today, or its end if that came
        first."""
        return min(today, self.end_date) if self.end_date else today


class CoursePause(models.Model):
    """A stretch of local days on which a paused course expects no application."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)  # open while the course is paused

    class Meta:
        ordering = ["starts_on"]


class CourseRecord(ClientCreated):
    """What every record of a course shares: a client-chosen id, versions, and voiding."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="+")
    # The patient is the course's; kept on the row so care-team scoping needs no join.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    local_date = models.DateField()
    notes = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    version = models.PositiveIntegerField(default=1)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_in_error_reason = models.TextField(blank=True, max_length=1000)

    # The name of the field holding when the thing happened.
    time_field: ClassVar[str]

    class Meta:
        abstract = True

    @property
    def occurred_at(self) -> Any:
        return getattr(self, self.time_field)

    @property
    def is_voided(self) -> bool:
        return self.entered_in_error_at is not None


def _record_indexes(prefix: str, time_field: str) -> list[models.Index]:
    return [
        models.Index(fields=["course", "local_date"], name=f"{prefix}_course_day",
                     condition=Q(entered_in_error_at__isnull=True)),
        models.Index(fields=["course", f"-{time_field}"], name=f"{prefix}_course_time"),
        models.Index(fields=["patient", f"-{time_field}"], name=f"{prefix}_patient_time"),
    ]


class ApplicationStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    SKIPPED = "skipped", "Skipped"


class Application(CourseRecord):
    applied_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=ApplicationStatus.choices)
    skip_reason = models.CharField(max_length=500, blank=True)

    time_field = "applied_at"

    class Meta:
        ordering = ["-applied_at"]
        indexes = _record_indexes("app", "applied_at")


class Drainage(models.TextChoices):
    NONE = "none", "None"
    CLEAR = "clear", "Clear"
    CLOUDY = "cloudy", "Cloudy"
    PUS = "pus", "Pus"


class WarningSign(models.TextChoices):
    """What a symptom entry can report that needs the care team today. Defined once: the alert
    rule, the timeline, the report and the PWA all read these."""

    FEVER = "fever", "fever"
    PUS = "pus", "pus"
    SPREADING_REDNESS = "spreading_redness", "spreading redness"


class SymptomEntry(CourseRecord):
    recorded_at = models.DateTimeField()
    # None: not answered (a patient who skips the question did not say 0).
    pain = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(10)])
    itch = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(10)])
    drainage = models.CharField(max_length=8, choices=Drainage.choices, default=Drainage.NONE)
    fever = models.BooleanField(default=False)
    redness_spreading = models.BooleanField(default=False)

    time_field = "recorded_at"

    class Meta:
        ordering = ["-recorded_at"]
        indexes = _record_indexes("sym", "recorded_at")
        constraints = [
            models.CheckConstraint(condition=Q(pain__lte=10) & Q(itch__lte=10), name="symptom_scale"),
        ]

    def warning_signs(self) -> list[WarningSign]:
        """The warning signs this entry reports, in a fixed order."""
        present = {WarningSign.FEVER: self.fever, WarningSign.PUS: self.drainage == Drainage.PUS,
                   WarningSign.SPREADING_REDNESS: self.redness_spreading}
        return [sign for sign in WarningSign if present[sign]]


class DebridementMethod(models.TextChoices):
    EXCISIONAL = "excisional", "Excisional"
    SHARP = "sharp", "Sharp"
    MECHANICAL = "mechanical", "Mechanical"
    ENZYMATIC = "enzymatic", "Enzymatic"
    AUTOLYTIC = "autolytic", "Autolytic"


class Debridement(CourseRecord):
    performed_at = models.DateTimeField()
    method = models.CharField(max_length=16, choices=DebridementMethod.choices)
    nodules_removed = models.PositiveSmallIntegerField(default=0)
    specimen_sent = models.BooleanField(default=False)

    time_field = "performed_at"

    class Meta:
        ordering = ["-performed_at"]
        indexes = _record_indexes("deb", "performed_at")


class RecordVersion(models.Model):
    """One earlier state of a record: who changed it, when, and each field's old and new value."""

    id = models.BigAutoField(primary_key=True)
    object_type = models.CharField(max_length=32)
    object_id = models.UUIDField()
    version = models.PositiveIntegerField()  # the version this change produced
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=now)
    action = models.CharField(max_length=32)  # "update" or "entered_in_error"
    changes = models.JSONField()  # {"field": {"from": old, "to": new}}

    class Meta:
        ordering = ["object_type", "object_id", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id", "version"], name="record_version_once"
            ),
        ]


class AuditOutcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"  # 401, 403, 404 on an object it may not see, 429
    REJECTED = "rejected", "Rejected"  # invalid input: 400, 409, 413, 415
    ERROR = "error", "Error"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """Who read or changed what, when, from where. Never updated, never deleted.

    PostgreSQL enforces this with a trigger as well (see the migration), so not even raw SQL from
    the application can rewrite the trail.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(default=now)
    # No single-column indexes on the two references: audit_by_actor and audit_by_patient lead
    # with them, and every index costs each of the many rows a list writes.
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False, related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16, choices=AuditOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False, related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="audit_by_patient"),
            models.Index(fields=["actor", "-at"], name="audit_by_actor"),
            models.Index(fields=["-at"], name="audit_by_time"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")


# --- Wound photos, reviews and alerts -------------------------------------------------------------
class PhotoStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Photo(CourseRecord):
    """A wound photo. The upload is kept raw in private storage until a worker has made the
    upright, metadata-free full image and thumbnail; then the raw bytes are deleted."""

    taken_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=PhotoStatus.choices,
                              default=PhotoStatus.PROCESSING)
    failure_reason = models.CharField(max_length=300, blank=True)
    upload_format = models.CharField(max_length=8)
    upload_bytes = models.PositiveIntegerField()
    upload_name = models.CharField(max_length=200, blank=True)  # storage name; "" once processed
    image_name = models.CharField(max_length=200, blank=True)
    image_bytes = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_name = models.CharField(max_length=200, blank=True)
    thumbnail_bytes = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)  # of the served full image
    attempts = models.PositiveSmallIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # When the first review was recorded: the review queue reads this through a small partial
    # index instead of anti-joining every ready photo of the team against the reviews.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # A nurse asked for a new photo instead of measuring this one; the patient is told why.
    retake_requested_at = models.DateTimeField(null=True, blank=True)
    retake_requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+")
    retake_reason = models.CharField(max_length=500, blank=True)

    time_field = "taken_at"

    class Meta:
        ordering = ["-taken_at"]
        indexes = [
            *_record_indexes("photo", "taken_at"),
            models.Index(fields=["status", "enqueued_at"], name="photo_status",
                         condition=Q(status="processing")),
            models.Index(fields=["patient", "taken_at"], name="photo_unreviewed",
                         condition=Q(status="ready", reviewed_at__isnull=True,
                                     retake_requested_at__isnull=True,
                                     entered_in_error_at__isnull=True)),
        ]


class Exudate(models.TextChoices):
    NONE = "none", "None"
    LIGHT = "light", "Light"
    MODERATE = "moderate", "Moderate"
    HEAVY = "heavy", "Heavy"


class TissueType(models.TextChoices):
    CLOSED = "closed", "Closed"
    EPITHELIAL = "epithelial", "Epithelial tissue"
    GRANULATION = "granulation", "Granulation tissue"
    SLOUGH = "slough", "Slough"
    NECROTIC = "necrotic", "Necrotic tissue"


class Review(ClientCreated):
    """A nurse's or physician's measurement of one photo, with its PUSH Tool 3.0 score."""

    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="reviews")
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    length_cm = models.DecimalField(max_digits=5, decimal_places=1)
    width_cm = models.DecimalField(max_digits=5, decimal_places=1)
    area_cm2 = models.DecimalField(max_digits=8, decimal_places=2)
    exudate = models.CharField(max_length=10, choices=Exudate.choices)
    tissue_type = models.CharField(max_length=12, choices=TissueType.choices)
    push_score = models.PositiveSmallIntegerField()
    signs_of_infection = models.BooleanField(default=False)
    flag_for_physician = models.BooleanField(default=False)
    comment = models.TextField(blank=True, max_length=4000)
    # A correction is a new version; the earlier values are RecordVersions of object_type "review".
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["photo", "-created_at"], name="review_by_photo"),
                   models.Index(fields=["course", "-created_at"], name="review_by_course")]
        constraints = [
            models.CheckConstraint(condition=Q(push_score__lte=17), name="push_score_range"),
        ]


class AlertSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class AlertKind(models.TextChoices):
    """Every kind of alert; the rules that open them live in services/alert_rules.py."""

    NO_LOG = "no_log", "Nothing logged"
    SYMPTOM_RED_FLAG = "symptom_red_flag", "Warning signs"
    PAIN_RISE = "pain_rise", "Pain rise"
    REVIEW_INFECTION = "review_infection", "Signs of infection on a review"
    REVIEW_FLAGGED = "review_flagged", "Review flagged for the physician"
    HEALING_CHECKPOINT = "healing_checkpoint", "Healing checkpoint"
    MISSED_APPLICATIONS = "missed_applications", "Applications missed"


class Alert(models.Model):
    """Something the care team must look at. One open alert per course and kind: an episode."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="alerts")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    severity = models.CharField(max_length=8, choices=AlertSeverity.choices)
    detail = models.TextField()  # in English, for the log and the admin
    # The values the detail is made of, so that each reader's app writes it in her language.
    facts = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    source_type = models.CharField(max_length=32, blank=True)
    source_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    acknowledged_note = models.TextField(blank=True, max_length=1000)
    # When the care team (and, for missed days, the caregivers) were told; null until then, so
    # that a sweeper tells them after a broker outage.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "status", "-created_at"], name="alert_by_patient"),
                   models.Index(fields=["created_at"], name="alert_unnotified",
                                condition=Q(notified_at__isnull=True))]
        constraints = [
            models.UniqueConstraint(fields=["course", "kind"], condition=Q(status="open"),
                                    name="one_open_alert_per_kind"),
        ]


# --- Progress reports -----------------------------------------------------------------------------
class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ReportKind(models.TextChoices):
    REQUESTED = "requested", "Requested"
    WEEKLY = "weekly", "Weekly"


class Report(ClientCreated):
    """A progress report of a course over a period. The row is the source of truth; a worker
    renders the PDF and the summary, which depend only on the data of the period."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="reports")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ReportKind.choices, default=ReportKind.REQUESTED)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=12, choices=ReportStatus.choices,
                              default=ReportStatus.QUEUED)
    failure_reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(default=now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    summary = models.JSONField(null=True, blank=True)
    pdf_name = models.CharField(max_length=200, blank=True)
    pdf_bytes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["course", "-created_at"], name="report_by_course"),
            models.Index(fields=["status", "enqueued_at"], name="report_pending",
                         condition=Q(status__in=["queued", "running"])),
        ]
        constraints = [
            # Two beat processes, or a retried task, cannot make a second weekly report.
            models.UniqueConstraint(fields=["course", "period_start", "period_end"],
                                    condition=Q(kind="weekly"), name="one_weekly_report"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="report_period_order"),
        ]


# --- Reminders and notifications (Web Push, e-mail) -----------------------------------------------
class PushSubscription(models.Model):
    """A browser's push subscription (PushSubscription.toJSON()) for one user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.CharField(max_length=2048)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "endpoint"], name="push_subscription_once"),
        ]


class ReminderTime(models.Model):
    """A wall-clock time in the patient's zone at which she wants a reminder.

    `next_due_at` is the UTC instant of its next occurrence to look at (null while reminders are
    off or the course is not active): beat reads the due ones off a partial index in one pass,
    whatever the number of patients, and the time-zone arithmetic is done once per occurrence.
    """

    id = models.BigAutoField(primary_key=True)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE,
                               related_name="reminder_times")
    at = models.TimeField()
    next_due_at = models.DateTimeField(null=True, blank=True)
    next_local_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["course", "at"], name="reminder_time_once")]
        indexes = [models.Index(fields=["next_due_at"], name="reminder_due",
                                condition=Q(next_due_at__isnull=False))]


class ReminderOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    ALREADY_LOGGED = "already_logged", "Already logged"
    LATE = "late", "Found too late, not sent"
    NOT_EXPECTED = "not_expected", "No application expected that day"
    NO_DEVICE = "no_device", "No subscribed device"


class ReminderOccurrence(models.Model):
    """One reminder time on one local day, claimed once: the unique constraint makes two beat
    processes, a restarted beat or a retried task agree on who sends it."""

    id = models.BigAutoField(primary_key=True)
    # The course and patient are copied from a reminder time whose own key checks them: no
    # foreign-key check of their own (each cost the scan ~80 ms per 10,000 rows written).
    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+",
                                db_constraint=False)
    reminder_time = models.TimeField()
    local_date = models.DateField()
    due_at = models.DateTimeField()
    found_at = models.DateTimeField(default=now)
    outcome = models.CharField(max_length=16, choices=ReminderOutcome.choices)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "reminder_time", "local_date"],
                                    name="reminder_once_a_day"),
        ]


class PushKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    ALERT = "alert", "New alert"
    MISSED_DAYS = "missed_days", "Days not logged"
    TEST = "test", "Test"


class DeliveryOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    ALREADY_LOGGED = "already_logged", "Already logged"
    GONE = "gone", "Subscription gone"
    FAILED = "failed", "Failed"


class PushDelivery(models.Model):
    """One message to one subscription, and what became of it. The row is the source of truth:
    a task sends it, a sweeper re-sends what a broker outage or a 429/5xx left pending."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=PushKind.choices)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # Null once the push service said the subscription is gone (it is deleted then).
    subscription = models.ForeignKey(PushSubscription, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="deliveries")
    push_service = models.CharField(max_length=255)  # the endpoint's origin, for staff to read
    # Copied from the occurrence or the alert (checked there): no foreign-key check of their own.
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+", db_constraint=False)
    course = models.ForeignKey(TreatmentCourse, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+", db_constraint=False)
    occurrence = models.ForeignKey(ReminderOccurrence, null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    payload = models.JSONField()
    outcome = models.CharField(max_length=16, choices=DeliveryOutcome.choices,
                               default=DeliveryOutcome.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    next_attempt_at = models.DateTimeField(default=now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["course", "-created_at"], name="delivery_by_course"),
            models.Index(fields=["next_attempt_at"], name="delivery_pending",
                         condition=Q(outcome="pending")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "subscription"],
                                    condition=Q(occurrence__isnull=False),
                                    name="reminder_delivery_once"),
            models.UniqueConstraint(fields=["alert", "subscription", "kind"],
                                    condition=Q(alert__isnull=False),
                                    name="alert_delivery_once"),
        ]


class EmailNotice(models.Model):
    """The one e-mail a staff member gets about one alert: a link, never patient detail."""

    id = models.BigAutoField(primary_key=True)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="alert_email_once")]
