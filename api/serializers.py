"""Input and output shapes. Input serializers list every writable field; anything else is refused."""

from __future__ import annotations

import datetime as dt
import operator
import re
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from api.fields import AwareDateTimeField, StrictBooleanField, StrictIntegerField, StrictUUIDField
from tracker import access
from tracker.models import (
    Alert,
    Application,
    ApplicationStatus,
    Caregiver,
    CourseStatus,
    Debridement,
    DebridementMethod,
    Drainage,
    Exudate,
    Language,
    Patient,
    Photo,
    PhotoStatus,
    PushDelivery,
    PushSubscription,
    RecordVersion,
    Report,
    ReportStatus,
    Review,
    Role,
    SymptomEntry,
    TissueType,
    TreatmentCourse,
    User,
)


class ModelSerializer(serializers.ModelSerializer):
    """Output serializers: times in UTC with Z.

    `to_representation` gives what DRF's gives, faster: a list of 50 records is 700 fields, and
    DRF walks each one's source generically (`get_attribute`, callables, mappings, PKOnlyObject).
    Here each serializer works out once how to read each field: a model column is read straight
    off the instance, a foreign key's id likewise; any other field takes DRF's own path.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: AwareDateTimeField,
    }

    def to_representation(self, instance: Any) -> dict[str, Any]:
        plan = self.__dict__.get("_read_plan")
        if plan is None:
            plan = self.__dict__["_read_plan"] = self._bound_read_plan()
        ret: dict[str, Any] = {}
        for name, read, field in plan:
            if read is None:  # DRF's way
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                ret[name] = None if check is None else field.to_representation(attribute)
            elif field is None:  # a foreign key's id, as PrimaryKeyRelatedField gives it
                ret[name] = read(instance)
            else:
                value = read(instance)
                ret[name] = None if value is None else field.to_representation(value)
        return ret


    def _bound_read_plan(self) -> list[tuple[str, Any, Any]]:
        """The class's plan (worked out once per set of fields) with this instance's fields."""
        fields = [field for field in self._readable_fields]
        key = (type(self), tuple((f.field_name, type(f), tuple(f.source_attrs)) for f in fields))
        plan = _READ_PLANS.get(key)
        if plan is None:
            plan = _READ_PLANS[key] = _read_plan(self.Meta.model, fields)
        return [(name, read, None if direct else field)
                for (name, read, direct), field in zip(plan, fields, strict=True)]


_DRF_GET_ATTRIBUTE = serializers.Field.get_attribute
_READ_PLANS: dict[tuple[Any, ...], list[tuple[str, Any, bool]]] = {}


def _read_plan(model: type[models.Model], fields: list[serializers.Field]
               ) -> list[tuple[str, Any, bool]]:
    """(name, reader, direct) per readable field: reader None means DRF's generic path; direct
    means the reader's value is the output (a foreign key's id)."""
    columns = {f.name: f for f in model._meta.concrete_fields}
    plan: list[tuple[str, Any, bool]] = []
    for field in fields:
        source = field.source_attrs
        column = columns.get(source[0]) if len(source) == 1 else None
        if (isinstance(field, serializers.PrimaryKeyRelatedField) and column is not None
                and column.is_relation and field.use_pk_only_optimization() and field.pk_field is None):
            plan.append((field.field_name or "", operator.attrgetter(column.attname), True))
        elif (column is not None and not column.is_relation
              and type(field).get_attribute is _DRF_GET_ATTRIBUTE):
            plan.append((field.field_name or "", operator.attrgetter(column.attname), False))
        else:
            plan.append((field.field_name or "", None, False))
    return plan


class InputSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a client cannot believe it set `patient` or a timestamp."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set here."] for name in unknown}
                )
        return super().to_internal_value(data)


def text(max_length: int, *, required: bool = True, allow_blank: bool = False
         ) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=required,
                                 allow_blank=allow_blank, trim_whitespace=True)


# --- Auth and people ------------------------------------------------------------------------------
class UserSerializer(ModelSerializer):
    patient_id = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "role", "display_name", "patient_id", "language"]

    def get_language(self, user: User) -> str | None:
        """The patient's language, which the app speaks by default (to her caregiver too)."""
        profile = access.acting_for(user)
        return profile.language if profile else None

    def get_role(self, user: User) -> str:
        return access.role_of(user)

    def get_patient_id(self, user: User) -> str | None:
        """The patient she is, or, for a caregiver, the one she cares for."""
        profile = access.acting_for(user)
        return str(profile.pk) if profile else None


class LoginSerializer(InputSerializer):
    username = text(150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = AwareDateTimeField()
    user = UserSerializer()


class ActivateSerializer(InputSerializer):
    activation_code = text(32)
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(max_length=1024, trim_whitespace=False)


class StaffCreateSerializer(InputSerializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    role = serializers.ChoiceField(choices=[Role.NURSE.value, Role.PHYSICIAN.value])
    display_name = text(120)
    # Where the notice of a new alert goes (a link only, never patient detail).
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)


class StaffSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "role", "display_name", "email", "is_active"]


class StaffUpdateSerializer(InputSerializer):
    is_active = StrictBooleanField(required=False)
    display_name = text(120, required=False)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)


class CareTeamMemberSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "display_name", "role"]


class PatientSerializer(ModelSerializer):
    care_team = CareTeamMemberSerializer(many=True, read_only=True)
    activated = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = ["id", "display_name", "birth_year", "timezone", "language", "care_team_name",
                  "care_team_phone", "care_team", "activated", "created_at"]

    def get_activated(self, patient: Patient) -> bool:
        return patient.user_id is not None


class PatientCreatedSerializer(PatientSerializer):
    activation_code = serializers.CharField()

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "activation_code"]


class PatientInputSerializer(InputSerializer):
    display_name = text(120)
    birth_year = StrictIntegerField(min_value=1900, max_value=2100)
    timezone = text(64)
    language = serializers.ChoiceField(choices=Language.values)
    care_team_name = text(120, required=False, allow_blank=True)
    care_team_phone = text(32, required=False, allow_blank=True)


class CareTeamAddSerializer(InputSerializer):
    staff_id = StrictUUIDField()


class ActivationCodeSerializer(serializers.Serializer):
    activation_code = serializers.CharField()


# --- Courses --------------------------------------------------------------------------------------
class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A reference to a patient or course the user can see; others look like they do not exist."""

    default_error_messages = {
        "does_not_exist": "There is no {kind} with this id that you can see.",
        "incorrect_type": "Must be an id (a UUID).",
    }

    def __init__(self, *, kind: str, base: Any, path: str, **kwargs: Any) -> None:
        self.kind, self.base, self.path = kind, base, path
        kwargs.setdefault("queryset", base)
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        user = self.context["request"].user
        return access.scope_to_patients(user, self.base.all(), via=self.path)

    def to_internal_value(self, data: Any) -> Any:
        try:
            pk = uuid.UUID(data) if isinstance(data, str) else None
        except ValueError:
            pk = None
        if pk is None:
            self.fail("incorrect_type")
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            self.fail("does_not_exist", kind=self.kind)
        return found


class CourseSerializer(ModelSerializer):
    class Meta:
        model = TreatmentCourse
        fields = ["id", "patient", "medication", "concentration_percent", "vehicle", "body_site",
                  "applications_per_day", "start_date", "end_date", "instructions", "status",
                  "prescribed_by", "created_at", "updated_at", "version"]


class PreviousCourseSerializer(InputSerializer):
    id = ScopedPrimaryKeyField(kind="course", base=TreatmentCourse.objects, path="patient")
    status = serializers.ChoiceField(choices=[CourseStatus.PAUSED.value, CourseStatus.COMPLETED.value,
                                              CourseStatus.STOPPED.value])


class CourseCreateSerializer(InputSerializer):
    id = StrictUUIDField(required=False)
    patient = ScopedPrimaryKeyField(kind="patient", base=Patient.objects, path="")
    medication = text(120)
    concentration_percent = serializers.DecimalField(max_digits=5, decimal_places=2,
                                                     min_value=Decimal("0.01"), max_value=Decimal(100))
    vehicle = text(120)
    body_site = text(120)
    applications_per_day = StrictIntegerField(min_value=1, max_value=6)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    instructions = text(4000, required=False, allow_blank=True)
    # The course in force, and what it becomes, when this one replaces it (one in force at a time).
    previous_course = PreviousCourseSerializer(required=False)


class CourseUpdateSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=CourseStatus.values, required=False)
    end_date = serializers.DateField(required=False, allow_null=True)
    instructions = text(4000, required=False, allow_blank=True)


class PeriodSerializer(InputSerializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    # Pagination and format keys a client may add to any GET.
    page = serializers.CharField(required=False)
    page_size = serializers.CharField(required=False)
    format = serializers.CharField(required=False)


class AdherenceDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    expected = serializers.IntegerField()
    applied = serializers.IntegerField()
    skipped = serializers.IntegerField()


class AdherenceSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    expected = serializers.IntegerField()
    applied = serializers.IntegerField()
    adherence_percent = serializers.FloatField(allow_null=True)
    current_streak_days = serializers.IntegerField()
    days = AdherenceDaySerializer(many=True)


class TimelineEntrySerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.UUIDField()
    at = AwareDateTimeField()
    summary = serializers.CharField()
    entered_in_error = serializers.BooleanField()


# --- Records of a course --------------------------------------------------------------------------
_RECORD_COMMON = ["id", "course", "patient", "local_date", "notes", "recorded_by", "created_at",
                  "updated_at", "version", "entered_in_error", "entered_in_error_at",
                  "entered_in_error_reason"]


class RecordedBySerializer(serializers.Serializer):
    """Who recorded something: the patient, her caregiver, or someone of her care team."""

    id = serializers.UUIDField()
    display_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)

    def to_representation(self, user: User) -> dict[str, Any]:
        return {"id": str(user.pk), "display_name": user.display_name or user.username,
                "role": access.role_of(user)}


class RecordSerializer(ModelSerializer):
    entered_in_error = serializers.SerializerMethodField()
    recorded_by = RecordedBySerializer(read_only=True)

    def get_entered_in_error(self, record: Any) -> bool:
        return record.entered_in_error_at is not None


class ApplicationSerializer(RecordSerializer):
    class Meta:
        model = Application
        fields = [*_RECORD_COMMON, "applied_at", "status", "skip_reason"]


class SymptomSerializer(RecordSerializer):
    class Meta:
        model = SymptomEntry
        fields = [*_RECORD_COMMON, "recorded_at", "pain", "itch", "drainage", "fever",
                  "redness_spreading"]


class DebridementSerializer(RecordSerializer):
    class Meta:
        model = Debridement
        fields = [*_RECORD_COMMON, "performed_at", "method", "nodules_removed", "specimen_sent"]


def _course_field() -> ScopedPrimaryKeyField:
    return ScopedPrimaryKeyField(kind="course", base=TreatmentCourse.objects.select_related("patient"),
                                 path="patient")


class RecordCreateSerializer(InputSerializer):
    id = StrictUUIDField(required=False)
    notes = text(2000, required=False, allow_blank=True)

    def __init__(self, *args: Any, partial_update: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partial_update:
            # A correction changes content, never the record's identity or its course.
            self.fields.pop("id")
            self.fields.pop("course")
            for field in self.fields.values():
                field.required = False


class ApplicationInputSerializer(RecordCreateSerializer):
    course = _course_field()
    applied_at = AwareDateTimeField()
    status = serializers.ChoiceField(choices=ApplicationStatus.values)
    skip_reason = text(500, required=False, allow_blank=True)


class SymptomInputSerializer(RecordCreateSerializer):
    course = _course_field()
    recorded_at = AwareDateTimeField()
    # null (or left out): not answered, which is not 0.
    pain = StrictIntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    itch = StrictIntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    drainage = serializers.ChoiceField(choices=Drainage.values, required=False)
    fever = StrictBooleanField(required=False)
    redness_spreading = StrictBooleanField(required=False)


class DebridementInputSerializer(RecordCreateSerializer):
    course = _course_field()
    performed_at = AwareDateTimeField()
    method = serializers.ChoiceField(choices=DebridementMethod.values)
    nodules_removed = StrictIntegerField(min_value=0, max_value=200, required=False)
    specimen_sent = StrictBooleanField(required=False)


class VoidSerializer(InputSerializer):
    reason = text(1000)


class RecordVersionSerializer(ModelSerializer):
    class Meta:
        model = RecordVersion
        fields = ["version", "changed_at", "changed_by", "action", "changes"]


# --- Audit ----------------------------------------------------------------------------------------
class AuditEventSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    at = AwareDateTimeField()
    actor = serializers.UUIDField(source="actor_id", allow_null=True)
    actor_username = serializers.CharField()
    role = serializers.CharField()
    action = serializers.CharField()
    outcome = serializers.CharField()
    status_code = serializers.IntegerField(allow_null=True)
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    patient = serializers.UUIDField(source="patient_id", allow_null=True)
    ip = serializers.IPAddressField(allow_null=True)
    request_id = serializers.CharField()


# --- Photos, reviews, alerts ----------------------------------------------------------------------
class ReviewSerializer(ModelSerializer):
    class Meta:
        model = Review
        fields = ["id", "photo", "course", "reviewer", "created_at", "length_cm", "width_cm",
                  "area_cm2", "exudate", "tissue_type", "push_score", "signs_of_infection",
                  "flag_for_physician", "comment", "version", "updated_at"]


class ReviewInputSerializer(InputSerializer):
    id = StrictUUIDField(required=False)
    length_cm = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0),
                                         max_value=Decimal(100))
    width_cm = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0),
                                        max_value=Decimal(100))
    exudate = serializers.ChoiceField(choices=Exudate.choices)
    tissue_type = serializers.ChoiceField(choices=TissueType.choices)
    signs_of_infection = StrictBooleanField(required=False, default=False)
    flag_for_physician = StrictBooleanField(required=False, default=False)
    comment = text(4000, required=False, allow_blank=True)


class ReviewUpdateSerializer(InputSerializer):
    """A correction of a review: any of its measurements, a new version."""

    length_cm = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0),
                                         max_value=Decimal(100), required=False)
    width_cm = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0),
                                        max_value=Decimal(100), required=False)
    exudate = serializers.ChoiceField(choices=Exudate.choices, required=False)
    tissue_type = serializers.ChoiceField(choices=TissueType.choices, required=False)
    signs_of_infection = StrictBooleanField(required=False)
    flag_for_physician = StrictBooleanField(required=False)
    comment = text(4000, required=False, allow_blank=True)


class RetakeSerializer(InputSerializer):
    reason = text(500)


class PhotoSerializer(RecordSerializer):
    note = serializers.CharField(source="notes")
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    reviews = ReviewSerializer(many=True, read_only=True)
    latest_review = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField()
    patient_name = serializers.CharField(source="course.patient.display_name", read_only=True)
    body_site = serializers.CharField(source="course.body_site", read_only=True)

    class Meta:
        model = Photo
        fields = ["id", "course", "patient", "patient_name", "body_site", "taken_at", "local_date",
                  "note", "status", "failure_reason", "width", "height", "sha256", "image_url",
                  "thumbnail_url", "reviews", "latest_review", "retake_reason",
                  "retake_requested_at", "recorded_by", "created_at", "updated_at", "version",
                  "entered_in_error", "entered_in_error_at", "entered_in_error_reason"]

    def _url(self, photo: Photo, which: str) -> str | None:
        if photo.status != PhotoStatus.READY:
            return None
        path = f"/api/v1/photos/{photo.pk}/{which}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_image_url(self, photo: Photo) -> str | None:
        return self._url(photo, "image")

    def get_thumbnail_url(self, photo: Photo) -> str | None:
        return self._url(photo, "thumbnail")

    def get_latest_review(self, photo: Photo) -> dict[str, Any] | None:
        reviews = list(photo.reviews.all())  # prefetched, newest first
        return ReviewSerializer(reviews[0]).data if reviews else None

    def get_failure_reason(self, photo: Photo) -> str:
        request = self.context.get("request")
        return access.failure_reason_for(
            request.user if request else None, photo.failure_reason,
            failed=photo.status == PhotoStatus.FAILED, patient_message="Please take the photo again.")


class PhotoUploadSerializer(InputSerializer):
    id = StrictUUIDField(required=False)
    course = ScopedPrimaryKeyField(kind="course", base=TreatmentCourse.objects.select_related("patient"),
                                   path="patient")
    taken_at = AwareDateTimeField()
    note = text(2000, required=False, allow_blank=True)
    image = serializers.FileField(allow_empty_file=True, use_url=False)


class PhotoUpdateSerializer(InputSerializer):
    taken_at = AwareDateTimeField(required=False)
    note = text(2000, required=False, allow_blank=True)


class AlertSerializer(ModelSerializer):
    # What caused it, for linking to: annotated by the alerts' queryset (selectors/alerts.py).
    source_photo = serializers.UUIDField(read_only=True, allow_null=True, default=None)
    source_comment = serializers.CharField(read_only=True, default="")

    class Meta:
        model = Alert
        fields = ["id", "course", "patient", "kind", "severity", "created_at", "detail", "facts",
                  "status", "source_type", "source_id", "source_photo", "source_comment",
                  "acknowledged_at", "acknowledged_by", "acknowledged_note"]


class AcknowledgeSerializer(InputSerializer):
    note = text(1000, required=False, allow_blank=True)


class ReportSerializer(ModelSerializer):
    pdf_url = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField()

    def get_failure_reason(self, report: Report) -> str:
        request = self.context.get("request")
        return access.failure_reason_for(
            request.user if request else None, report.failure_reason,
            failed=report.status == ReportStatus.FAILED,
            patient_message="This report could not be made. Your care team can ask for it again.")

    class Meta:
        model = Report
        fields = ["id", "course", "patient", "kind", "period_start", "period_end", "status",
                  "failure_reason", "created_at", "started_at", "finished_at", "summary", "pdf_url",
                  "requested_by"]

    def get_pdf_url(self, report: Report) -> str | None:
        if report.status != ReportStatus.READY:
            return None
        path = f"/api/v1/reports/{report.pk}/pdf/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReportRequestSerializer(InputSerializer):
    id = StrictUUIDField(required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)


class PatientOverviewSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="patient.pk")
    display_name = serializers.CharField(source="patient.display_name")
    language = serializers.CharField(source="patient.language")
    course = serializers.UUIDField(source="course_id", allow_null=True)
    expected_7d = serializers.IntegerField()
    applied_7d = serializers.IntegerField()
    adherence_7d_percent = serializers.FloatField(allow_null=True)
    open_alerts = serializers.IntegerField()


# --- Caregivers -----------------------------------------------------------------------------------
class CaregiverInputSerializer(InputSerializer):
    display_name = text(120)
    relationship = text(60, required=False, allow_blank=True)


class CaregiverSerializer(ModelSerializer):
    class Meta:
        model = Caregiver
        fields = ["id", "patient", "display_name", "relationship", "status", "created_at",
                  "activated_at", "revoked_at"]


class CaregiverCreatedSerializer(CaregiverSerializer):
    activation_code = serializers.CharField()

    class Meta(CaregiverSerializer.Meta):
        fields = [*CaregiverSerializer.Meta.fields, "activation_code"]


# --- Web Push and reminders -----------------------------------------------------------------------
class PublicKeySerializer(serializers.Serializer):
    public_key = serializers.CharField()


class PushKeysSerializer(InputSerializer):
    p256dh = serializers.CharField(max_length=100)
    auth = serializers.CharField(max_length=32)


class PushSubscriptionInputSerializer(InputSerializer):
    endpoint = serializers.CharField(max_length=2048)
    keys = PushKeysSerializer()
    # PushSubscription.toJSON() also carries this; Tend has no use for it.
    expirationTime = serializers.FloatField(required=False, allow_null=True)


class PushSubscriptionSerializer(ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "created_at", "updated_at", "last_success_at"]


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                     "example": "20:00"})
class WallClockTimeField(serializers.Field):
    """A wall-clock time "HH:MM" (24 h) in the patient's zone."""

    default_error_messages = {"invalid": 'Must be a time "HH:MM" from 00:00 to 23:59.'}

    def to_internal_value(self, data: Any) -> dt.time:
        if not isinstance(data, str) or not _HH_MM.fullmatch(data):
            self.fail("invalid")
        hours, minutes = int(data[:2]), int(data[3:])
        if hours > 23 or minutes > 59:
            self.fail("invalid")
        return dt.time(hours, minutes)

    def to_representation(self, value: dt.time) -> str:
        return value.strftime("%H:%M")


_HH_MM = re.compile(r"[0-9]{2}:[0-9]{2}")


class ReminderSettingsInputSerializer(InputSerializer):
    enabled = StrictBooleanField()
    times = serializers.ListField(child=WallClockTimeField(), max_length=4, allow_empty=True)


class ReminderSettingsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    times = serializers.ListField(child=serializers.CharField())
    timezone = serializers.CharField()


class PushDeliverySerializer(ModelSerializer):
    reminder_time = serializers.SerializerMethodField()
    local_date = serializers.SerializerMethodField()

    class Meta:
        model = PushDelivery
        fields = ["id", "kind", "reminder_time", "local_date", "subscription", "push_service",
                  "user", "outcome", "attempts", "status_code", "created_at", "sent_at"]

    def get_reminder_time(self, delivery: PushDelivery) -> str | None:
        occurrence = delivery.occurrence
        return occurrence.reminder_time.strftime("%H:%M") if occurrence else None

    def get_local_date(self, delivery: PushDelivery) -> dt.date | None:
        occurrence = delivery.occurrence
        return occurrence.local_date if occurrence else None
