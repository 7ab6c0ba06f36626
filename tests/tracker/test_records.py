"""Records of a course (tracker/services/records.py): idempotent create, validation, correction, voiding."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import retire_courses
from tracker.errors import Conflict
from tracker.models import Application, Debridement, RecordVersion, SymptomEntry, TreatmentCourse
from tracker.services import courses, records

DENVER = ZoneInfo("America/Denver")
NOW = dt.datetime(2026, 11, 29, 20, 0, tzinfo=DENVER)  # 2026-11-30 03:00 UTC

KIND_DATA: dict[str, dict[str, Any]] = {
    "application": {"status": "applied"},
    "symptom": {"pain": 4, "itch": 2, "drainage": "clear"},
    "debridement": {"method": "sharp", "nodules_removed": 2, "specimen_sent": True},
}


def data_for(kind: records.RecordKind, at: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {kind.time_field: at, **KIND_DATA[kind.object_type], **extra}


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def course(cast: Any, frozen: Any) -> TreatmentCourse:
    """Helen's course (America/Denver), started 2026-11-01, active, once daily."""
    retire_courses(cast.patient)
    course, _ = courses.course_create(patient=cast.patient, prescribed_by=cast.physician, data={
        "medication": "Sodium thiosulfate", "concentration_percent": 10,
        "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
        "applications_per_day": 1, "start_date": dt.date(2026, 11, 1), "end_date": None,
        "instructions": "",
    })
    return course


def create(kind: records.RecordKind, course: TreatmentCourse, by: Any, *, record_id: Any = None,
           **data: Any) -> tuple[Any, bool]:
    return records.record_create(kind=kind, recorded_by=by, course=course, record_id=record_id,
                                 data=data)


def apply(course: TreatmentCourse, by: Any, at: dt.datetime, **extra: Any) -> Application:
    record, _ = create(records.APPLICATION, course, by, **{"applied_at": at, "status": "applied",
                                                             **extra})
    return record  # type: ignore[return-value]


def count_all() -> tuple[int, int, int, int]:
    return (Application.objects.count(), SymptomEntry.objects.count(), Debridement.objects.count(),
            RecordVersion.objects.count())


ALL_KINDS = [pytest.param(kind, id=kind.object_type)
             for kind in (records.APPLICATION, records.SYMPTOM, records.DEBRIDEMENT)]


# --- Idempotent create ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_the_same_id_and_content_returns_the_stored_record_and_stores_nothing(cast, course, kind):
    record_id = uuid.uuid4()
    data = data_for(kind, NOW - dt.timedelta(hours=1), notes="After the shower")
    first, created = create(kind, course, cast.nurse, record_id=record_id, **data)
    stored = count_all()

    again, created_again = create(kind, course, cast.nurse, record_id=record_id, **data)

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk == record_id
    assert count_all() == stored


def test_the_same_instant_in_another_offset_is_the_same_content(cast, course):
    record_id = uuid.uuid4()
    at = NOW - dt.timedelta(hours=2)
    create(records.APPLICATION, course, cast.patient_user, record_id=record_id, applied_at=at,
           status="applied")

    for same in (at.astimezone(dt.UTC), at.astimezone(ZoneInfo("Asia/Tokyo"))):
        again, created = create(records.APPLICATION, course, cast.patient_user, record_id=record_id,
                                applied_at=same, status="applied")
        assert not created
        assert again.pk == record_id
    assert Application.objects.count() == 1


def test_an_omitted_optional_field_equals_its_default(cast, course):
    record_id = uuid.uuid4()
    at = NOW - dt.timedelta(hours=2)
    create(records.APPLICATION, course, cast.nurse, record_id=record_id, applied_at=at,
           status="applied")
    again, created = create(records.APPLICATION, course, cast.nurse, record_id=record_id,
                            applied_at=at, status="applied", notes="", skip_reason="")
    assert not created
    assert again.pk == record_id


@pytest.mark.parametrize("change", [
    {"applied_at": NOW - dt.timedelta(hours=3)},
    {"status": "skipped", "skip_reason": "Forgot"},
    {"notes": "Something else"},
])
def test_the_same_id_with_other_content_is_a_conflict(cast, course, change):
    record_id = uuid.uuid4()
    original = {"applied_at": NOW - dt.timedelta(hours=2), "status": "applied", "notes": "Evening"}
    create(records.APPLICATION, course, cast.nurse, record_id=record_id, **original)
    stored = count_all()

    with pytest.raises(Conflict):
        create(records.APPLICATION, course, cast.nurse, record_id=record_id, **{**original, **change})

    assert count_all() == stored
    record = Application.objects.get(pk=record_id)
    assert (record.applied_at, record.status, record.notes, record.version) == (
        original["applied_at"], "applied", "Evening", 1)


def test_an_id_taken_on_another_patients_course_is_a_conflict_that_reveals_nothing(cast, course):
    record_id = uuid.uuid4()
    foreign, _ = create(records.APPLICATION, cast.other_course, cast.other_nurse, record_id=record_id,
                        applied_at=timezone.now() - dt.timedelta(hours=1), status="skipped",
                        skip_reason="Rosa was at her daughter's wedding")
    stored = count_all()

    with pytest.raises(Conflict) as caught:
        create(records.APPLICATION, course, cast.nurse, record_id=record_id,
               applied_at=foreign.applied_at, status="skipped",
               skip_reason="Rosa was at her daughter's wedding")

    message = f"{caught.value} {caught.value.detail}"
    for secret in ("wedding", "Rosa", str(cast.other_course.pk), str(cast.other_patient.pk)):
        assert secret not in message
    assert count_all() == stored
    assert Application.objects.get(pk=record_id).course_id == cast.other_course.pk


def test_a_retry_is_answered_even_after_the_course_was_paused(cast, course):
    record_id = uuid.uuid4()
    at = NOW - dt.timedelta(hours=1)
    create(records.APPLICATION, course, cast.patient_user, record_id=record_id, applied_at=at,
           status="applied")
    paused = courses.course_update(course=course, changed_by=cast.physician,
                                   changes={"status": "paused"})

    again, created = create(records.APPLICATION, paused, cast.patient_user, record_id=record_id,
                            applied_at=at, status="applied")
    assert (again.pk, created) == (record_id, False)


def test_without_an_id_each_create_stores_a_new_record(cast, course):
    at = NOW - dt.timedelta(hours=1)
    first = apply(course, cast.nurse, at)
    second = apply(course, cast.nurse, at)
    assert first.pk != second.pk
    assert Application.objects.count() == 2


def test_a_created_record_belongs_to_the_courses_patient_and_local_day(cast, course):
    record = apply(course, cast.nurse, dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.UTC))
    record.refresh_from_db()
    assert record.patient_id == cast.patient.pk
    assert record.recorded_by_id == cast.nurse.pk
    assert record.local_date == dt.date(2026, 11, 28)  # 21:00 on the 28th in Denver
    assert record.version == 1


# --- Validation -----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["paused", "completed", "stopped"])
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_course_that_is_not_active_takes_no_record(cast, course, kind, status):
    closed = courses.course_update(course=course, changed_by=cast.physician,
                                   changes={"status": status})
    with pytest.raises(ValidationError) as caught:
        create(kind, closed, cast.nurse, **data_for(kind, NOW - dt.timedelta(hours=1)))
    assert "course" in caught.value.message_dict
    assert count_all()[:3] == (0, 0, 0)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_time_more_than_ten_minutes_ahead_is_refused_naming_the_time_field(cast, course, kind):
    with pytest.raises(ValidationError) as caught:
        create(kind, course, cast.nurse, **data_for(kind, NOW + dt.timedelta(minutes=10, seconds=1)))
    assert set(caught.value.message_dict) == {kind.time_field}
    assert kind.model.objects.count() == 0


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_time_nine_minutes_ahead_is_accepted(cast, course, kind):
    record, created = create(kind, course, cast.nurse, **data_for(kind, NOW + dt.timedelta(minutes=9)))
    assert created
    assert kind.model.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("kind", [records.APPLICATION, records.SYMPTOM], ids=["application", "symptom"])
def test_a_record_before_the_course_start_is_refused(cast, course, kind):
    # 23:30 on Oct 31 in Denver is already Nov 1 in UTC, the course's first day.
    before = dt.datetime(2026, 10, 31, 23, 30, tzinfo=DENVER)
    with pytest.raises(ValidationError) as caught:
        create(kind, course, cast.nurse, **data_for(kind, before))
    assert set(caught.value.message_dict) == {kind.time_field}
    assert kind.model.objects.count() == 0

    first_day = dt.datetime(2026, 11, 1, 0, 30, tzinfo=DENVER)
    record, created = create(kind, course, cast.nurse, **data_for(kind, first_day))
    assert created and record.local_date == dt.date(2026, 11, 1)


def test_a_debridement_may_predate_the_course(cast, course):
    before = dt.datetime(2026, 10, 28, 10, 0, tzinfo=DENVER)
    record, created = create(records.DEBRIDEMENT, course, cast.physician,
                             **data_for(records.DEBRIDEMENT, before, method="excisional"))
    assert created
    assert record.local_date == dt.date(2026, 10, 28)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_record_after_the_course_end_date_is_refused(cast, course, kind):
    ended = courses.course_update(course=course, changed_by=cast.physician,
                                  changes={"end_date": dt.date(2026, 11, 27)})
    assert ended.status == "active"
    with pytest.raises(ValidationError) as caught:
        create(kind, ended, cast.nurse, **data_for(kind, dt.datetime(2026, 11, 28, 0, 30, tzinfo=DENVER)))
    assert set(caught.value.message_dict) == {kind.time_field}

    record, created = create(kind, ended, cast.nurse,
                             **data_for(kind, dt.datetime(2026, 11, 27, 23, 30, tzinfo=DENVER)))
    assert created and record.local_date == dt.date(2026, 11, 27)
    assert kind.model.objects.count() == 1


@pytest.mark.parametrize(("status", "reason"), [
    ("skipped", ""),
    ("skipped", "   "),
    ("applied", "Too sore"),
])
def test_a_skip_needs_a_reason_and_only_a_skip_has_one(cast, course, status, reason):
    with pytest.raises(ValidationError) as caught:
        apply(course, cast.patient_user, NOW - dt.timedelta(hours=1), status=status,
              skip_reason=reason)
    assert set(caught.value.message_dict) == {"skip_reason"}
    assert Application.objects.count() == 0


# --- Corrections ----------------------------------------------------------------------------------
def test_a_correction_keeps_every_earlier_version(cast, course, frozen):
    record = apply(course, cast.patient_user, NOW - dt.timedelta(hours=2), notes="Evening")

    frozen.shift(dt.timedelta(minutes=5))
    first_change_at = timezone.now()
    records.record_update(kind=records.APPLICATION, record=record, changed_by=cast.nurse,
                          changes={"notes": "Evening, after the bath"})
    frozen.shift(dt.timedelta(minutes=5))
    updated = records.record_update(kind=records.APPLICATION, record=record, changed_by=cast.physician,
                                    changes={"status": "skipped", "skip_reason": "Skin broken"})

    assert updated.version == 3
    stored = Application.objects.get(pk=record.pk)
    assert (stored.version, stored.status, stored.skip_reason, stored.notes) == (
        3, "skipped", "Skin broken", "Evening, after the bath")
    versions = list(RecordVersion.objects.filter(object_type="application", object_id=record.pk)
                    .order_by("version"))
    assert [(v.version, v.action, v.changed_by_id) for v in versions] == [
        (2, "update", cast.nurse.pk), (3, "update", cast.physician.pk)]
    assert versions[0].changed_at == first_change_at
    assert versions[1].changed_at == first_change_at + dt.timedelta(minutes=5)
    assert versions[0].changes == {"notes": {"from": "Evening", "to": "Evening, after the bath"}}
    assert versions[1].changes == {"status": {"from": "applied", "to": "skipped"},
                                   "skip_reason": {"from": "", "to": "Skin broken"}}


def test_correcting_the_time_recomputes_the_local_day(cast, course):
    record = apply(course, cast.patient_user, dt.datetime(2026, 11, 27, 23, 30, tzinfo=DENVER))
    assert record.local_date == dt.date(2026, 11, 27)

    new_time = dt.datetime(2026, 11, 28, 0, 30, tzinfo=DENVER)
    records.record_update(kind=records.APPLICATION, record=record, changed_by=cast.nurse,
                          changes={"applied_at": new_time})

    stored = Application.objects.get(pk=record.pk)
    assert stored.applied_at == new_time
    assert stored.local_date == dt.date(2026, 11, 28)
    version = RecordVersion.objects.get(object_id=record.pk)
    assert version.changes == {"applied_at": {"from": "2026-11-28T06:30:00+00:00",
                                              "to": "2026-11-28T07:30:00+00:00"}}


def test_marking_a_skip_as_applied_clears_its_reason(cast, course):
    record = apply(course, cast.patient_user, NOW - dt.timedelta(hours=1), status="skipped",
                   skip_reason="Forgot")
    records.record_update(kind=records.APPLICATION, record=record, changed_by=cast.nurse,
                          changes={"status": "applied"})
    stored = Application.objects.get(pk=record.pk)
    assert (stored.status, stored.skip_reason, stored.version) == ("applied", "", 2)


@pytest.mark.parametrize(("changes", "field"), [
    ({"course": "x"}, "course"),
    ({"patient": "x"}, "patient"),
    ({"local_date": dt.date(2026, 11, 1)}, "local_date"),
    ({"version": 7}, "version"),
    ({"notes": "ok", "recorded_by": "x"}, "recorded_by"),
    ({"applied_at": NOW + dt.timedelta(minutes=11)}, "applied_at"),
    ({"applied_at": dt.datetime(2026, 10, 30, 12, 0, tzinfo=DENVER)}, "applied_at"),
    ({"status": "skipped"}, "skip_reason"),
    ({"skip_reason": "Why not"}, "skip_reason"),
])
def test_a_bad_correction_is_refused_naming_the_field_and_changes_nothing(cast, course, changes,
                                                                         field):
    record = apply(course, cast.patient_user, NOW - dt.timedelta(hours=1), notes="As given")
    with pytest.raises(ValidationError) as caught:
        records.record_update(kind=records.APPLICATION, record=record, changed_by=cast.nurse,
                              changes=changes)
    assert field in caught.value.message_dict
    stored = Application.objects.get(pk=record.pk)
    assert (stored.version, stored.notes, stored.status, stored.applied_at) == (
        1, "As given", "applied", record.applied_at)
    assert not RecordVersion.objects.exists()


def test_a_correction_that_changes_nothing_stores_no_version(cast, course):
    at = NOW - dt.timedelta(hours=1)
    record = apply(course, cast.patient_user, at, notes="Same")
    same = records.record_update(kind=records.APPLICATION, record=record, changed_by=cast.nurse,
                                 changes={"notes": "Same", "applied_at": at.astimezone(dt.UTC),
                                          "status": "applied"})
    assert same.version == 1
    assert Application.objects.get(pk=record.pk).version == 1
    assert not RecordVersion.objects.exists()


def test_a_correction_of_a_symptom_entry_is_versioned_too(cast, course):
    record, _ = create(records.SYMPTOM, course, cast.patient_user,
                       **data_for(records.SYMPTOM, NOW - dt.timedelta(hours=1)))
    records.record_update(kind=records.SYMPTOM, record=record, changed_by=cast.patient_user,
                          changes={"pain": 6, "fever": True})
    stored = SymptomEntry.objects.get(pk=record.pk)
    assert (stored.pain, stored.fever, stored.version) == (6, True, 2)
    assert RecordVersion.objects.get(object_type="symptom", object_id=record.pk).changes == {
        "pain": {"from": 4, "to": 6}, "fever": {"from": False, "to": True}}


# --- Entered in error -----------------------------------------------------------------------------
def test_a_voided_record_stays_and_is_flagged(cast, course):
    record = apply(course, cast.patient_user, NOW - dt.timedelta(hours=1))
    voided = records.record_void(kind=records.APPLICATION, record=record, voided_by=cast.nurse,
                                 reason="  Wrong patient's phone  ")

    stored = Application.objects.get(pk=record.pk)
    assert stored.is_voided and voided.is_voided
    assert stored.entered_in_error_at == timezone.now()
    assert stored.entered_in_error_by_id == cast.nurse.pk
    assert stored.entered_in_error_reason == "Wrong patient's phone"
    assert stored.version == 2
    version = RecordVersion.objects.get(object_id=record.pk)
    assert (version.action, version.version, version.changed_by_id) == (
        "entered_in_error", 2, cast.nurse.pk)


@pytest.mark.parametrize("reason", ["", "   "])
def test_voiding_needs_a_reason(cast, course, reason):
    record = apply(course, cast.patient_user, NOW - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        records.record_void(kind=records.APPLICATION, record=record, voided_by=cast.nurse,
                            reason=reason)
    assert "reason" in caught.value.message_dict
    assert not Application.objects.get(pk=record.pk).is_voided
    assert not RecordVersion.objects.exists()


def test_a_voided_record_can_be_neither_corrected_nor_voided_again(cast, course):
    record = apply(course, cast.patient_user, NOW - dt.timedelta(hours=1), notes="Original")
    records.record_void(kind=records.APPLICATION, record=record, voided_by=cast.nurse,
                        reason="Duplicate")

    with pytest.raises(Conflict):
        records.record_update(kind=records.APPLICATION, record=record, changed_by=cast.nurse,
                              changes={"notes": "Changed"})
    with pytest.raises(Conflict):
        records.record_void(kind=records.APPLICATION, record=record, voided_by=cast.physician,
                            reason="Again")

    stored = Application.objects.get(pk=record.pk)
    assert (stored.notes, stored.version, stored.entered_in_error_reason) == (
        "Original", 2, "Duplicate")
    assert RecordVersion.objects.count() == 1


# --- Through the API ------------------------------------------------------------------------------
def test_the_api_answers_a_retried_create_with_200_and_a_changed_one_with_409(cast, api, course):
    client = api(cast.patient_user)
    record_id = str(uuid.uuid4())
    body = {"id": record_id, "course": str(course.pk), "applied_at": "2026-11-29T19:00:00-07:00",
            "status": "applied"}
    assert client.post("/api/v1/applications/", body, format="json").status_code == 201

    same = client.post("/api/v1/applications/", {**body, "applied_at": "2026-11-30T02:00:00Z"},
                       format="json")
    other = client.post("/api/v1/applications/", {**body, "notes": "changed"}, format="json")

    assert same.status_code == 200
    assert same.json()["id"] == record_id
    assert other.status_code == 409
    assert other["Content-Type"] == "application/problem+json"
    assert Application.objects.count() == 1


def test_the_api_conflict_on_a_foreign_id_reveals_nothing(cast, api, course):
    foreign, _ = create(records.APPLICATION, cast.other_course, cast.other_nurse,
                        applied_at=timezone.now() - dt.timedelta(hours=1), status="skipped",
                        skip_reason="At her daughter's wedding")
    response = api(cast.patient_user).post("/api/v1/applications/", {
        "id": str(foreign.pk), "course": str(course.pk), "applied_at": "2026-11-29T19:00:00-07:00",
        "status": "applied"}, format="json")

    assert response.status_code == 409
    text = response.content.decode()
    for secret in ("wedding", str(cast.other_course.pk), str(cast.other_patient.pk), "skipped"):
        assert secret not in text
    assert Application.objects.count() == 1


def test_the_api_corrects_voids_and_shows_the_history_but_never_deletes(cast, api, course):
    record = apply(course, cast.patient_user, NOW - dt.timedelta(hours=1))
    client = api(cast.nurse)
    url = f"/api/v1/applications/{record.pk}/"

    patched = client.patch(url, {"notes": "Applied by the nurse at home"}, format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["version"], patched.json()["notes"]) == (2, "Applied by the nurse at home")

    refused = client.patch(url, {"local_date": "2026-11-01"}, format="json")
    assert refused.status_code == 400
    assert "local_date" in refused.json()["errors"]

    deleted = client.delete(url)
    assert deleted.status_code == 405
    assert deleted["Content-Type"] == "application/problem+json"
    assert Application.objects.filter(pk=record.pk).exists()

    no_reason = client.post(f"{url}entered-in-error/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]

    voided = client.post(f"{url}entered-in-error/", {"reason": "Logged twice"}, format="json")
    assert voided.status_code == 200, voided.content
    assert voided.json()["entered_in_error"] is True
    assert voided.json()["entered_in_error_reason"] == "Logged twice"

    assert client.post(f"{url}entered-in-error/", {"reason": "Again"}, format="json").status_code == 409
    assert client.patch(url, {"notes": "Too late"}, format="json").status_code == 409

    history = client.get(f"{url}history/")
    assert history.status_code == 200
    versions = sorted(history.json()["results"], key=lambda v: v["version"])
    assert history.json()["count"] == 2
    assert [(v["version"], v["action"]) for v in versions] == [(2, "update"), (3, "entered_in_error")]
    assert versions[0]["changes"]["notes"]["to"] == "Applied by the nurse at home"
    assert versions[0]["changed_by"] == str(cast.nurse.pk)

    stored = Application.objects.get(pk=record.pk)
    assert (stored.version, stored.notes, stored.is_voided) == (3, "Applied by the nurse at home", True)


@pytest.mark.parametrize("path", ["applications", "symptoms", "debridements"])
def test_delete_is_not_allowed_on_any_kind_of_record(cast, api, course, path):
    kind = {"applications": records.APPLICATION, "symptoms": records.SYMPTOM,
            "debridements": records.DEBRIDEMENT}[path]
    record, _ = create(kind, course, cast.physician, **data_for(kind, NOW - dt.timedelta(hours=1)))
    response = api(cast.physician).delete(f"/api/v1/{path}/{record.pk}/")
    assert response.status_code == 405
    assert kind.model.objects.filter(pk=record.pk, entered_in_error_at__isnull=True).exists()
