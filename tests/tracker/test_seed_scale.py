"""seed_scale: a clinic at scale for the benchmarks, written with COPY rather than the services
(issue 6). The rows must be what the services would have stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count

from tracker import clock
from tracker.access import visible_patients
from tracker.management.commands.seed_scale import (
    DEFAULT_PASSWORD,
    PLACEHOLDER_FULL,
    PLACEHOLDER_THUMBNAIL,
    _ZoneClock,
)
from tracker.models import (
    Alert,
    AlertStatus,
    ApiToken,
    Application,
    CareTeamMembership,
    Patient,
    Photo,
    Review,
    Role,
    SymptomEntry,
    TreatmentCourse,
    User,
)
from tracker.selectors.adherence import course_adherence
from tracker.services.reviews import area_cm2, push_score

# The 30 days before NOW cross the end of summer time in Europe (27 Oct) and the US (3 Nov).
NOW = dt.datetime(2024, 11, 15, 18, 30, tzinfo=dt.UTC)
PATIENTS, DAYS, NURSE_PATIENTS = 12, 30, 5
RECORDS = ((Application, "applied_at"), (SymptomEntry, "recorded_at"), (Photo, "taken_at"))


def seed(**options: Any) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_scale", stdout=out, **{"force": True, **options})
    return out.getvalue()


def seed_small(**options: Any) -> str:
    return seed(patients=PATIENTS, days=DAYS, nurse_patients=NURSE_PATIENTS, seed=7, **options)


@pytest.fixture
def clinic(db: Any) -> str:
    return seed_small()


def bench_users() -> Any:
    return User.objects.filter(username__startswith="bench.")


def test_it_refuses_with_debug_off_unless_forced(db, settings):
    assert settings.DEBUG is False
    with pytest.raises(CommandError, match="--force"):
        seed(patients=2, days=3, force=False)
    assert not bench_users().exists() and not Patient.objects.exists()


@pytest.mark.parametrize("options", [{"nurse_patients": 3}, {"days": 0}, {"patients": -1}])
def test_it_refuses_impossible_sizes(db, options):
    with pytest.raises(CommandError):
        seed(**{"patients": 2, "days": 3, **options})
    assert not bench_users().exists()


def test_it_makes_the_clinic_it_announces(clinic):
    made = {line.split()[0]: int(line.split()[1].replace(",", "")) for line in clinic.splitlines()
            if line.startswith("  ") and line.split()[-1].replace(",", "").isdigit()
            and len(line.split()) == 2}
    assert made["patients"] == Patient.objects.count() == PATIENTS
    assert made["applications"] == Application.objects.count()
    assert made["symptom_entries"] == SymptomEntry.objects.count()
    assert made["photos"] == Photo.objects.count()
    assert made["reviews"] == Review.objects.count() == Photo.objects.exclude(reviewed_at=None).count()
    assert made["alerts"] == Alert.objects.count()
    assert made["api_tokens"] == ApiToken.objects.count() == made["users"]
    assert ApiToken.objects.filter(user__username="bench.nurse").count() == 1
    assert "Done in" in clinic
    # One active once- or twice-daily course per patient, starting DAYS ago in her own days.
    for course in TreatmentCourse.objects.select_related("patient__user"):
        patient = course.patient
        assert course.status == "active" and course.applications_per_day in (1, 2)
        assert course.medication == "Sodium thiosulfate" and course.concentration_percent == 10
        assert course.start_date == clock.today_in(patient.timezone, now=NOW) - dt.timedelta(days=DAYS)
        assert patient.user.username.startswith("bench.patient.") and patient.user.role == Role.PATIENT
        assert 1930 <= patient.birth_year <= 1990 and patient.language in ("en", "es")
    # Every patient has a care team of one physician and one or two nurses.
    teams = Counter((m.patient_id, m.staff.role) for m in CareTeamMembership.objects.select_related("staff"))
    for patient_id in Patient.objects.values_list("id", flat=True):
        assert teams[patient_id, Role.PHYSICIAN] == 1
        assert teams[patient_id, Role.NURSE] in (1, 2)


def test_records_are_the_patients_own_within_the_course(clinic):
    courses = {c.pk: c for c in TreatmentCourse.objects.select_related("patient")}
    per_day = Counter()
    for app in Application.objects.all():
        course = courses[app.course_id]
        assert app.patient_id == course.patient_id and app.recorded_by_id == course.patient.user_id
        assert course.start_date <= app.local_date < clock.today_in(course.patient.timezone, now=NOW)
        assert (app.status == "skipped") == bool(app.skip_reason)
        assert app.created_at >= app.applied_at and app.client_fingerprint == ""
        per_day[app.course_id, app.local_date] += 1
    assert all(n <= courses[course_id].applications_per_day for (course_id, _), n in per_day.items())
    statuses = Counter(Application.objects.values_list("status", flat=True))
    assert statuses["applied"] > 0.5 * PATIENTS * DAYS and statuses["skipped"] > 0
    symptoms = SymptomEntry.objects.values("course_id", "local_date").annotate(n=Count("id"))
    assert max(row["n"] for row in symptoms) == 1 and len(symptoms) > 0.6 * PATIENTS * DAYS
    # Pain eases: the first week hurts more than the last, clinic-wide.
    first = SymptomEntry.objects.filter(local_date__lt=NOW.date() - dt.timedelta(days=DAYS - 7))
    last = SymptomEntry.objects.filter(local_date__gte=NOW.date() - dt.timedelta(days=7))
    assert sum(first.values_list("pain", flat=True)) / first.count() > (
        sum(last.values_list("pain", flat=True)) / last.count())


def test_local_dates_are_the_patients_days_east_and_west_of_utc(clinic):
    zones = {p.pk: p.timezone for p in Patient.objects.all()}
    offsets = {clock.zone(tz).utcoffset(NOW.replace(tzinfo=None)) for tz in zones.values()}
    assert min(offsets) < dt.timedelta(0) < max(offsets)
    utc_day_differs: set[str] = set()
    for model, time_field in RECORDS:
        for patient_id, instant, local_date in model.objects.values_list("patient_id", time_field,
                                                                         "local_date"):
            tz = zones[patient_id]
            assert local_date == clock.local_date(instant, tz), (model.__name__, tz, instant)
            if instant.date() != local_date:
                utc_day_differs.add(tz)
    # The check bites: on both sides of UTC, days that are not the UTC day.
    assert "America/Denver" in utc_day_differs and "Pacific/Auckland" in utc_day_differs


def test_applications_keep_their_local_hours_across_the_end_of_summer_time(clinic):
    patient = Patient.objects.filter(timezone="America/Denver").first()
    hours = {app.applied_at.astimezone(clock.zone(patient.timezone)).hour
             for app in Application.objects.filter(patient=patient)}
    assert hours <= {7, 8, 9, 19, 20, 21, 22}


@pytest.mark.parametrize(("zone", "day", "hour", "utc"), [
    ("America/Denver", dt.date(2024, 11, 2), 20, dt.datetime(2024, 11, 3, 2, tzinfo=dt.UTC)),  # MDT
    ("America/Denver", dt.date(2024, 11, 3), 20, dt.datetime(2024, 11, 4, 3, tzinfo=dt.UTC)),  # MST
    ("Europe/Madrid", dt.date(2024, 10, 26), 21, dt.datetime(2024, 10, 26, 19, tzinfo=dt.UTC)),
    ("Europe/Madrid", dt.date(2024, 10, 27), 21, dt.datetime(2024, 10, 27, 20, tzinfo=dt.UTC)),
    ("Pacific/Auckland", dt.date(2024, 9, 28), 8, dt.datetime(2024, 9, 27, 20, tzinfo=dt.UTC)),
    ("Pacific/Auckland", dt.date(2024, 9, 29), 8, dt.datetime(2024, 9, 28, 19, tzinfo=dt.UTC)),
    ("Asia/Tokyo", dt.date(2024, 11, 3), 7, dt.datetime(2024, 11, 2, 22, tzinfo=dt.UTC)),
])
def test_the_zone_clock_follows_daylight_saving_time(zone, day, hour, utc):
    zone_clock = _ZoneClock(zone)
    assert zone_clock.at(day, hour) == utc
    assert zone_clock.at(day, hour) == utc  # and from its cache


def test_the_bench_nurse_sees_exactly_her_patients(clinic):
    nurse, physician = User.objects.get(username="bench.nurse"), User.objects.get(
        username="bench.physician")
    assert nurse.role == Role.NURSE and physician.role == Role.PHYSICIAN
    theirs = set(visible_patients(nurse).values_list("id", flat=True))
    assert len(theirs) == NURSE_PATIENTS
    assert set(visible_patients(physician).values_list("id", flat=True)) == theirs
    # Everyone signs in with the one password, hashed once.
    assert nurse.check_password(DEFAULT_PASSWORD)
    assert User.objects.get(username="bench.patient.1").check_password(DEFAULT_PASSWORD)
    assert bench_users().values("password").distinct().count() == 1


def test_push_scores_agree_with_the_review_rules(clinic):
    reviews = list(Review.objects.select_related("photo"))
    assert len(reviews) >= PATIENTS * (DAYS // 7 - 1)
    for review in reviews:
        assert review.photo.reviewed_at == review.created_at
        assert review.area_cm2 == area_cm2(review.length_cm, review.width_cm)
        assert review.push_score == push_score(area=review.area_cm2, exudate=review.exudate,
                                               tissue_type=review.tissue_type)
        assert review.photo.course_id == review.course_id and review.created_at > review.photo.taken_at
    assert len({review.push_score for review in reviews}) > 3


def test_the_photos_of_the_last_three_days_wait_for_review(clinic):
    waiting = Photo.objects.filter(reviewed_at=None)
    assert waiting.exists() and not Review.objects.filter(photo__in=waiting).exists()
    assert all(NOW - photo.taken_at < dt.timedelta(days=3) for photo in waiting)
    # Only the last photo of a course waits; the older ones all have their review.
    assert waiting.values("course_id").distinct().count() == waiting.count()
    assert not Photo.objects.filter(reviewed_at__isnull=False, reviews__isnull=True).exists()


def test_photos_point_at_a_stored_placeholder_they_describe(clinic):
    photo = Photo.objects.first()
    with default_storage.open(PLACEHOLDER_FULL, "rb") as handle:
        full = handle.read()
    assert Photo.objects.exclude(status="ready").count() == 0
    assert Photo.objects.exclude(sha256=hashlib.sha256(full).hexdigest()).count() == 0
    assert photo.image_name == PLACEHOLDER_FULL and photo.image_bytes == len(full)
    assert photo.thumbnail_bytes == default_storage.size(PLACEHOLDER_THUMBNAIL)
    assert photo.width == 1600 and photo.height == 1200


def test_some_alerts_are_open_one_per_course_and_kind(clinic):
    open_alerts = Alert.objects.filter(status=AlertStatus.OPEN)
    assert open_alerts.filter(kind="review_flagged").exists()
    assert open_alerts.count() < PATIENTS * 3
    assert all(row["n"] == 1 for row in open_alerts.values("course_id", "kind").annotate(n=Count("id")))
    for alert in Alert.objects.exclude(status=AlertStatus.OPEN):
        assert alert.acknowledged_at >= alert.created_at and alert.acknowledged_by_id is not None


def test_adherence_works_on_a_generated_course(clinic):
    for course in TreatmentCourse.objects.select_related("patient"):
        with time_machine.travel(NOW, tick=False):
            adherence = course_adherence(course=course)
        applied = Application.objects.filter(course=course, status="applied").count()
        # Today, not logged yet, is pending: not counted until logged.
        assert adherence.expected == DAYS * course.applications_per_day
        assert adherence.applied == applied > 0
        assert adherence.adherence_percent == round(100 * applied / adherence.expected, 1)
        assert len(adherence.days) == DAYS + 1 and adherence.days[-1].applied == 0


def test_it_will_not_seed_twice_without_reset(clinic):
    before = Application.objects.count()
    with pytest.raises(CommandError, match="--reset"):
        seed_small()
    assert Application.objects.count() == before


def test_reset_replaces_only_bench_data_and_a_seed_repeats_itself(cast):
    seed_small()
    ids = set(Application.objects.filter(patient__user__username__startswith="bench.")
              .values_list("id", flat=True))
    seed_small(reset=True)
    assert set(Application.objects.filter(patient__user__username__startswith="bench.")
               .values_list("id", flat=True)) == ids
    seed(patients=0, reset=True)
    assert not bench_users().exists()
    assert list(Patient.objects.order_by("display_name").values_list("display_name", flat=True)) == [
        "Helen Mercer", "Rosa Ortega"]
    assert TreatmentCourse.objects.count() == 2 and User.objects.count() == 7
