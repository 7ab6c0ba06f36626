"""Progress reports (issue 4, points 2 to 4 and 6): what the PDF says, that every figure in it equals
the summary and the adherence endpoint, the summary's stability, the paper sizes, the embedded
thumbnails, the render's reliability, and the weekly reports. The PDF is read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections
from django.utils import timezone
from pypdf import PdfReader

from config.celery import app as celery_app
from tests import images
from tests.conftest import make_course, make_photo, retire_courses
from tracker import tasks
from tracker.models import (
    Alert,
    CourseStatus,
    Patient,
    Photo,
    Report,
    ReportKind,
    ReportStatus,
    TreatmentCourse,
    User,
)
from tracker.reports import data as report_data
from tracker.services import courses, people, photos, records, reports, reviews

DENVER = ZoneInfo("America/Denver")
TODAY = dt.date(2026, 6, 15)  # the last day of a 12-week course
START = TODAY - dt.timedelta(days=83)  # 84 days: 24 Mar 2026 to 15 Jun 2026
SKIPPED = {10, 30, 31, 61}  # day numbers (0 = the first day of the course)
NOTHING_LOGGED = {20, 21, 22, 47}  # the longest gap: days 20-22
RED_FLAG_DAY = 40
PHOTO_DAYS = [*range(0, 84, 7), 83]  # 13 photos, one a week and the last day
DEBRIDEMENT_DAYS = (0, 42)
CONTRACT_KEYS = {"adherence_percent", "applications_expected", "applications_applied", "photos",
                 "debridements", "pain_first", "pain_last", "area_first_cm2", "area_last_cm2",
                 "area_change_percent", "push_first", "push_last"}
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def evening(day: int, hour: int = 20) -> dt.datetime:
    """Day `day` of the course at `hour` o'clock in Denver."""
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour), DENVER)


def human(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def pdf_text(pdf: bytes) -> str:
    """Every page's text, with runs of white space folded into one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def stored_pdf(report: Report) -> bytes:
    with default_storage.open(report.pdf_name, "rb") as handle:
        return handle.read()


def render(course: TreatmentCourse, by: User, **period: Any) -> Report:
    report, created = reports.report_request(course=course, requested_by=by, **period)
    assert created
    rendered = reports.report_render(report_id=report.pk)
    assert rendered is not None and rendered.status == ReportStatus.READY, rendered
    return rendered


def pain_on(day: int) -> int:
    return max(1, 7 - day // 14)  # 7 in the first fortnight, down to 2 in the last


def itch_on(day: int) -> int:
    return max(0, 6 - day // 12)


def area_of(photo_index: int) -> tuple[Decimal, Decimal]:
    return Decimal("3.0") - Decimal("0.1") * photo_index, Decimal("2.0") - Decimal("0.05") * photo_index


@dataclass
class Built:
    course: TreatmentCourse
    photos: list[Photo]


def build_twelve_weeks(cast: Any) -> Built:
    """A 12-week course of Helen's, logged day by day at the time it happened: 84 days of
    applications (some skipped, some days with nothing logged), a symptom entry every evening (one
    with fever), a photo a week processed by the worker's code and reviewed by the nurse, two
    debridements, and the alerts all this raises."""
    retire_courses(cast.patient)
    with time_machine.travel(evening(0, 9), tick=False):
        course, _ = courses.course_create(patient=cast.patient, prescribed_by=cast.physician, data={
            "medication": "Sodium thiosulfate", "concentration_percent": 10,
            "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
            "applications_per_day": 1, "start_date": START, "end_date": None,
            "instructions": "Once daily in the evening.",
        })
    made: list[Photo] = []
    for day in range(84):
        with time_machine.travel(evening(day, 21), tick=False):
            if day in SKIPPED:
                records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user,
                                      course=course, data={"applied_at": evening(day),
                                                           "status": "skipped",
                                                           "skip_reason": "Skin too sore."})
            elif day not in NOTHING_LOGGED:
                records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user,
                                      course=course, data={"applied_at": evening(day),
                                                           "status": "applied"})
            records.record_create(kind=records.SYMPTOM, recorded_by=cast.patient_user,
                                  course=course, data={
                                      "recorded_at": evening(day, 19), "pain": pain_on(day),
                                      "itch": itch_on(day), "fever": day == RED_FLAG_DAY})
            if day in DEBRIDEMENT_DAYS:
                records.record_create(kind=records.DEBRIDEMENT, recorded_by=cast.nurse,
                                      course=course, data={
                                          "performed_at": evening(day, 10), "method": "sharp",
                                          "nodules_removed": 2, "specimen_sent": day == 0})
            if day in PHOTO_DAYS:
                index = PHOTO_DAYS.index(day)
                photo, _ = photos.photo_upload(course=course, uploaded_by=cast.patient_user,
                                               data=images.phone_jpeg(400, 300, orientation=1),
                                               taken_at=evening(day, 18))
                photo = photos.photo_process(photo_id=photo.pk)
                assert photo is not None and photo.status == "ready"
                length, width = area_of(index)
                reviews.review_create(photo=photo, reviewer=cast.nurse, data={
                    "length_cm": length, "width_cm": width, "exudate": "light",
                    "tissue_type": "granulation", "signs_of_infection": False,
                    "flag_for_physician": False, "comment": f"Week {index}: edges granulating."})
                made.append(photo)
    return Built(course, made)


@pytest.fixture
def twelve_weeks(cast: Any) -> Built:
    return build_twelve_weeks(cast)


# --- The contents of the PDF ---------------------------------------------------------------------
def longest_run(days: list[dict[str, Any]]) -> int:
    longest = run = 0
    for day in days:
        if day["expected"]:
            run = run + 1 if day["applied"] < day["expected"] else 0
            longest = max(longest, run)
    return longest


def test_every_figure_in_the_pdf_equals_the_summary_and_the_adherence_endpoint(
        cast: Any, api: Any, twelve_weeks: Built) -> None:
    course = twelve_weeks.course
    generated = evening(83, 22)
    with time_machine.travel(generated, tick=False):
        report = render(course, cast.physician)
        adherence = api(cast.physician).get(
            f"/api/v1/courses/{course.pk}/adherence/?start={START}&end={TODAY}")
    assert adherence.status_code == 200, adherence.content
    api_figures = adherence.json()
    summary = report.summary
    text = pdf_text(stored_pdf(report))

    # Header: patient, age, regimen, period, when and for whom.
    assert "Treatment progress report" in text
    assert "Helen Mercer · Age 80 years" in text
    assert ("Sodium thiosulfate 10 %, Oil-in-water emulsion, Left lateral thigh, once daily"
            in text)
    assert f"Period {human(START)} - {human(TODAY)}" in text
    local = generated.astimezone(ZoneInfo("America/Denver"))
    assert f"Generated {human(local.date())} {local:%H:%M} (America/Denver) for Physician" in text

    # Adherence, read back from the PDF as numbers.
    found = re.search(r"([\d.]+) % of expected applications \((\d+) of (\d+)\)", text)
    assert found, text
    percent, applied, expected = float(found[1]), int(found[2]), int(found[3])
    gap = int(re.search(r"Longest gap: (\d+) days", text)[1])
    streak = int(re.search(r"Current streak: (\d+) days", text)[1])
    # What the course was built with: 84 days, 4 skipped, 4 with nothing logged, the last of
    # them on day 61.
    assert (percent, applied, expected, gap, streak) == (90.5, 76, 84, 3, 83 - 61)
    assert (summary["adherence_percent"], summary["applications_applied"],
            summary["applications_expected"], summary["longest_gap_days"],
            summary["current_streak_days"]) == (percent, applied, expected, gap, streak)
    assert (api_figures["adherence_percent"], api_figures["applied"], api_figures["expected"],
            longest_run(api_figures["days"]), api_figures["current_streak_days"]
            ) == (percent, applied, expected, gap, streak)
    assert summary["applications_skipped"] == sum(d["skipped"] for d in api_figures["days"]) == 4
    assert summary["days_nothing_logged"] == 4 == sum(
        1 for d in api_figures["days"] if d["expected"] and not d["applied"] and not d["skipped"])
    assert "Applied" in text and "Skipped" in text and "Nothing logged" in text  # the heat map

    # The wound: area change and the measurements behind it.
    # Both dates of the measurements compared, L \u00d7 W never called an area.
    found = re.search(r"L \u00d7 W change: ([-+][\d.]+) %, from ([\d.]+) cm² on (\d+ \w+ \d+) to "
                      r"([\d.]+) cm² on (\d+ \w+ \d+)", text)
    assert found, text
    change, first, last = float(found[1]), float(found[2]), float(found[4])
    assert (found[3], found[5]) == (human(START), human(START + dt.timedelta(days=83)))
    assert (summary["area_first_date"], summary["area_last_date"]) == (str(START), str(TODAY))
    assert "Area" not in text and "area (" not in text
    first_area = float(area_of(0)[0] * area_of(0)[1])
    last_area = float(area_of(12)[0] * area_of(12)[1])
    assert (first, last) == (first_area, last_area) == (6.0, 2.52)
    assert change == round((last_area - first_area) / first_area * 100, 1) == -58.0
    assert (summary["area_change_percent"], summary["area_first_cm2"],
            summary["area_last_cm2"]) == (change, first, last)
    assert summary["push_first"] == reviews.push_score(area=Decimal("6.00"), exudate="light",
                                                       tissue_type="granulation") == 7 + 1 + 2
    assert summary["push_last"] == 5 + 1 + 2
    assert "L \u00d7 W (cm²)" in text and "PUSH score (0-17)" in text
    # Each measurement with its PUSH sub-scores: L \u00d7 W 7 + exudate 1 + tissue 2 on the first.
    assert summary["push_first_parts"] == {"length_width": 7, "exudate": 1, "tissue": 2}
    assert summary["push_last_parts"] == {"length_width": 5, "exudate": 1, "tissue": 2}
    assert "PUSH (L \u00d7 W + exudate + tissue)" in text
    assert ("PUSH Tool 3.0 is validated for pressure, venous and diabetic ulcers, not for "
            "calcinosis cutis. An L \u00d7 W between two of its categories is scored in the "
            "higher one.") in text
    assert f"{human(START)} 3.0 \u00d7 2.0 6.00 light granulation 10 = 7 + 1 + 2" in text
    assert f"{human(TODAY)} 1.8 \u00d7 1.4 2.52 light granulation 8 = 5 + 1 + 2" in text

    # Symptoms: the chart's legend and dated axis, and the red flag of the period.
    assert (summary["pain_first"], summary["pain_last"]) == (pain_on(0), pain_on(83)) == (7, 2)
    assert (summary["itch_first"], summary["itch_last"]) == (6, 0)
    assert summary["symptom_entries"] == 84 and summary["red_flags"] == 1
    assert "Pain" in text and "Itch" in text and f"{START.day} Mar" in text
    assert f"{human(START + dt.timedelta(days=RED_FLAG_DAY))}: fever" in text

    # Clinic: debridements, the nurse's comments, the alerts and their state.
    assert summary["photos"] == 13 == summary["reviews"] and summary["debridements"] == 2
    assert f"{human(START)} Sharp 2 yes" in text
    assert f"{human(START + dt.timedelta(days=42))} Sharp 2 no" in text
    assert "Week 0: edges granulating." in text and "Week 12: edges granulating." in text
    kinds = set(Alert.objects.filter(course=course).values_list("kind", flat=True))
    assert {"symptom_red_flag", "healing_checkpoint"} <= kinds
    assert summary["alerts"] == Alert.objects.filter(course=course).count()
    # Each alert under the patient's day it was raised on (in the evening in Denver: the next day
    # in UTC).
    red_flag_day = START + dt.timedelta(days=RED_FLAG_DAY)
    assert f"{human(red_flag_day)} [high, open] Warning signs reported on {red_flag_day}" in text
    week4 = human(START + dt.timedelta(days=28))
    assert (f"{week4} [low, open] Week 4 checkpoint ({week4}): L \u00d7 W changed by -22 %, from 6.00 cm² "
            f"on {human(START)} to 4.68 cm² on {week4} (the measurement nearest the checkpoint, "
            "within 7 days)") in text
    assert "(Kantor & Margolis 2000)" in text and "none is validated for calcinosis cutis" in text


# The demo's eight weeks: applied every evening through yesterday but for three skips (with their
# reasons) and two days with nothing logged; the report is made in the morning, before she applies.
EIGHT_WEEKS_SKIPS = {9: "Visiting my daughter, forgot the cream", 23: "Skin felt too sore",
                     38: "Ran out of the emulsion until the pharmacy refilled it"}
EIGHT_WEEKS_NOTHING = {30, 31}


def build_eight_weeks(cast: Any, today: dt.date) -> TreatmentCourse:
    start = today - dt.timedelta(weeks=8)
    at = dt.datetime.combine(today, dt.time(9), DENVER)
    course = make_course_at(cast, start, at)
    with time_machine.travel(at, tick=False):
        for n in range(56):
            if n in EIGHT_WEEKS_NOTHING:
                continue
            when = dt.datetime.combine(start + dt.timedelta(days=n), dt.time(20), DENVER)
            data: dict[str, Any] = {"applied_at": when, "status": "applied"}
            if n in EIGHT_WEEKS_SKIPS:
                data.update(status="skipped", skip_reason=EIGHT_WEEKS_SKIPS[n])
            records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user,
                                  course=course, data=data)
    return course


def make_course_at(cast: Any, start: dt.date, at: dt.datetime) -> TreatmentCourse:
    retire_courses(cast.patient)
    with time_machine.travel(at, tick=False):
        course, _ = courses.course_create(patient=cast.patient, prescribed_by=cast.physician, data={
            "medication": "Sodium thiosulfate", "concentration_percent": 10,
            "vehicle": "Oil-in-water emulsion", "body_site": "Left lateral thigh",
            "applications_per_day": 1, "start_date": start, "end_date": None,
            "instructions": "Once daily in the evening.",
        })
    return course


def test_a_report_made_before_todays_application_leaves_today_pending(cast: Any) -> None:
    today = dt.date(2026, 6, 15)
    course = build_eight_weeks(cast, today)
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), DENVER), tick=False):
        report = render(course, cast.physician)
    summary, text = report.summary, pdf_text(stored_pdf(report))

    # 51 of the 56 days through yesterday, not 51 of 57: today is not missed, it is pending.
    assert "91.1 % of expected applications (51 of 56)" in text
    assert (summary["adherence_percent"], summary["applications_applied"],
            summary["applications_expected"], summary["applications_pending"]) == (91.1, 51, 56, 1)
    assert summary["days_nothing_logged"] == 2 and summary["longest_gap_days"] == 2
    assert summary["current_streak_days"] == 56 - 39
    assert f"Today ({human(today)}) is not counted until it is logged." in text

    # Made again the next day, the same report says the same: it is as of the day it was asked.
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.QUEUED)
    with time_machine.travel(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(9), DENVER),
                             tick=False):
        again = reports.report_render(report_id=report.pk)
        # A report asked for now, of the same days, finds that day over and nothing logged.
        later = render(course, cast.physician, period_start=course.start_date, period_end=today)
    assert again is not None and again.summary == summary
    assert (later.summary["applications_expected"], later.summary["applications_pending"],
            later.summary["days_nothing_logged"]) == (57, 0, 3)
    assert "is not counted until it is logged" not in pdf_text(stored_pdf(later))


def test_a_weekly_report_ends_its_streak_on_its_last_day_which_is_over(cast: Any) -> None:
    today = dt.date(2026, 6, 15)  # a Monday
    course = make_course_at(cast, today - dt.timedelta(days=10),
                            dt.datetime.combine(today - dt.timedelta(days=10), dt.time(9), DENVER))
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), DENVER), tick=False):
        for n in range(2, 11):  # every day but yesterday, the period's last
            records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user,
                                  course=course, data={"applied_at": dt.datetime.combine(
                                      today - dt.timedelta(days=n), dt.time(20), DENVER),
                                      "status": "applied"})
        report = render(course, cast.physician, period_start=today - dt.timedelta(days=7),
                        period_end=today - dt.timedelta(days=1))
    assert report.summary["current_streak_days"] == 0
    assert report.summary["applications_pending"] == 0
    assert report.summary["days_nothing_logged"] == 1


def test_the_summary_holds_the_contract_keys_and_never_changes_for_the_same_data(
        cast: Any, twelve_weeks: Built) -> None:
    course = twelve_weeks.course
    with time_machine.travel(evening(83, 22), tick=False):
        first = render(course, cast.physician)
        again = render(course, cast.nurse)
        direct = report_data.summary(report_data.gather(course, START, TODAY))
    assert CONTRACT_KEYS <= set(first.summary)
    assert all(first.summary[key] is not None for key in CONTRACT_KEYS)
    assert again.summary == first.summary == direct

    # A week later, with a week of new data after it, the same past period reads the same.
    with time_machine.travel(evening(90, 22), tick=False):
        for day in range(84, 91):
            records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user,
                                  course=course, data={"applied_at": evening(day),
                                                       "status": "applied"})
            records.record_create(kind=records.SYMPTOM, recorded_by=cast.patient_user,
                                  course=course, data={"recorded_at": evening(day, 19),
                                                       "pain": 9, "itch": 9, "fever": True})
        later = render(course, cast.physician, period_start=START, period_end=TODAY)
        whole = render(course, cast.physician)
    assert later.summary == first.summary
    assert later.pk != first.pk
    # The new data does count for a period that covers it.
    assert whole.summary["applications_expected"] == 91
    assert whole.summary["pain_last"] == 9 and whole.summary["current_streak_days"] == 29


def test_a_spanish_patient_gets_the_report_in_spanish(cast: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 5, 4, 20, tzinfo=ZoneInfo("Europe/Madrid")),
                             tick=False):
        patient, _ = people.patient_create(created_by=cast.physician, display_name="Carmen Ruiz",
                                           birth_year=1950, timezone_name="Europe/Madrid",
                                           language="es")
        course = make_course(patient, cast.physician, days_ago=6)
        for days_ago in range(1, 4):
            when = timezone.now() - dt.timedelta(days=days_ago)
            records.record_create(kind=records.APPLICATION, recorded_by=cast.physician,
                                  course=course, data={"applied_at": when, "status": "applied"})
            records.record_create(kind=records.SYMPTOM, recorded_by=cast.physician, course=course,
                                  data={"recorded_at": when, "pain": 4, "itch": 3})
        report = render(course, cast.physician)
    text = pdf_text(stored_pdf(report))
    for words in ("Informe de evolución del tratamiento", "Adherencia", "Síntomas", "Dolor",
                  "Picor", "Carmen Ruiz · Edad 76 años", "una vez al día", "Periodo 28 abr 2026",
                  "de las aplicaciones previstas (3 de 6)", "50,0 %", "Sin datos en este periodo.",
                  "no se cuenta hasta que se registre"):
        assert words in text, words
    assert "Adherence" not in text and "Symptoms" not in text


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.28, 841.89)), ("letter", (612, 792))])
def test_the_report_renders_on_a4_and_on_letter(cast: Any, settings: Any, paper: str,
                                                size: tuple[float, float]) -> None:
    settings.TEND_REPORT_PAPER = paper
    records.record_create(kind=records.SYMPTOM, recorded_by=cast.patient_user, course=cast.course,
                          data={"recorded_at": timezone.now(), "pain": 3, "itch": 2})
    report = render(cast.course, cast.nurse)
    reader = PdfReader(io.BytesIO(stored_pdf(report)))
    assert len(reader.pages) >= 1
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.01)
    assert "Treatment progress report" in pdf_text(stored_pdf(report))


def test_a_course_with_no_data_gives_a_readable_report_without_charts(cast: Any) -> None:
    report = render(cast.course, cast.physician)
    pdf = stored_pdf(report)
    text = pdf_text(pdf)
    assert "Treatment progress report" in text and "Helen Mercer" in text
    # Symptoms, wound, debridements, comments and alerts each say so instead of a chart or table.
    assert text.count("No data in this period.") == 5
    assert "Pain" not in text and "L \u00d7 W" not in text and "Measurements" not in text
    assert "0.0 % of expected applications (0 of 30)" in text  # today is pending
    reader = PdfReader(io.BytesIO(pdf))
    assert sum(len(page.images) for page in reader.pages) == 0
    summary = report.summary
    assert CONTRACT_KEYS <= set(summary)
    assert summary["applications_expected"] == 30 and summary["applications_applied"] == 0
    assert summary["applications_pending"] == 1
    assert summary["adherence_percent"] == 0.0
    assert summary["photos"] == summary["debridements"] == summary["symptom_entries"] == 0
    for key in ("pain_first", "pain_last", "area_first_cm2", "area_last_cm2",
                "area_change_percent", "push_first", "push_last"):
        assert summary[key] is None, key


def test_the_pdf_embeds_the_stored_thumbnails_as_they_are(cast: Any) -> None:
    thumbnails = set()
    with time_machine.travel(timezone.now(), tick=False):
        for hours_ago in (30, 20, 2):
            photo, _ = photos.photo_upload(course=cast.course, uploaded_by=cast.patient_user,
                                           data=images.phone_jpeg(500, 400),
                                           taken_at=timezone.now() - dt.timedelta(hours=hours_ago))
            photo = photos.photo_process(photo_id=photo.pk)
            with default_storage.open(photo.thumbnail_name, "rb") as handle:
                thumbnails.add(handle.read())
        report = render(cast.course, cast.nurse)
    reader = PdfReader(io.BytesIO(stored_pdf(report)))
    embedded = []
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        for ref in xobjects.values():
            xobject = ref.get_object()
            if xobject["/Subtype"] == "/Image":
                filters = xobject["/Filter"]
                assert (list(filters) if not isinstance(filters, str) else [filters]) == ["/DCTDecode"]
                embedded.append(xobject._data)
    assert embedded and set(embedded) <= thumbnails
    # The first and the last photo of the period, byte for byte the stored thumbnails.
    first, last = (Photo.objects.filter(course=cast.course).order_by("taken_at")[i]
                   for i in (0, 2))
    for photo in (first, last):
        with default_storage.open(photo.thumbnail_name, "rb") as handle:
            assert handle.read() in embedded


# --- Reliability of the render --------------------------------------------------------------------
def reports_in_storage() -> list[str]:
    """Every stored PDF, as "<report id>/<file>"."""
    if not default_storage.exists("reports"):
        return []
    folders = default_storage.listdir("reports")[0]
    return [f"{folder}/{name}" for folder in folders
            for name in default_storage.listdir(f"reports/{folder}")[1]]


def test_a_render_that_keeps_failing_ends_failed_with_a_reason_and_no_file(
        cast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    calls = []

    def broken(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        raise RuntimeError("chart library exploded")

    monkeypatch.setattr(reports, "render_pdf", broken)
    before = reports_in_storage()
    tasks.render_report.apply(args=[str(report.pk)])
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.failure_reason == "Rendering failed after 4 attempts (RuntimeError)."
    assert len(calls) == 4 == report.attempts == tasks.REPORT_MAX_RETRIES + 1
    assert report.pdf_name == "" and report.summary is None
    # Nothing of this report is stored (other tests, in another worker, store theirs meanwhile).
    assert not [name for name in set(reports_in_storage()) - set(before)
                if name.startswith(str(report.pk))]
    assert not [name for name in reports_in_storage() if name.startswith(str(report.pk))]


def test_a_render_that_fails_once_is_retried_and_ends_ready(
        cast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    real = reports.render_pdf
    calls = []

    def flaky(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "render_pdf", flaky)
    tasks.render_report.apply(args=[str(report.pk)])
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.failure_reason == ""
    assert report.attempts == 2 and stored_pdf(report).startswith(b"%PDF")


def test_rendering_twice_does_nothing_the_second_time(cast: Any) -> None:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    first = reports.report_render(report_id=report.pk)
    assert first is not None and first.status == ReportStatus.READY
    pdf = stored_pdf(first)
    assert reports.report_render(report_id=report.pk) is None
    tasks.render_report.apply(args=[str(report.pk)])
    report.refresh_from_db()
    assert report.attempts == 1 and report.finished_at == first.finished_at
    assert stored_pdf(report) == pdf
    assert [name for name in reports_in_storage() if name.startswith(str(report.pk))] == [
        report.pdf_name.removeprefix("reports/")]


def test_a_report_whose_worker_died_is_claimed_again_once_stale(cast: Any) -> None:
    report, _ = reports.report_request(course=cast.course, requested_by=cast.nurse)
    stale = settings.TEND_REPORT_STALE_SECONDS
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, attempts=1,
        started_at=timezone.now() - dt.timedelta(seconds=stale - 30))
    assert reports.report_render(report_id=report.pk) is None  # its worker may still be on it
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING and report.attempts == 1

    Report.objects.filter(pk=report.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=stale + 30))
    rendered = reports.report_render(report_id=report.pk)
    assert rendered is not None and rendered.status == ReportStatus.READY
    assert rendered.attempts == 2


def test_the_sweeper_enqueues_only_stale_queued_and_running_reports(
        cast: Any, renders_sent: list[list[str]]) -> None:
    now = timezone.now()
    old = now - dt.timedelta(seconds=settings.TEND_REPORT_STALE_SECONDS + 60)
    recent = now - dt.timedelta(seconds=30)

    def report(**fields: Any) -> Report:
        return Report.objects.create(course=cast.course, patient=cast.patient,
                                     period_start=cast.course.start_date,
                                     period_end=cast.course.start_date, **fields)

    stale = {
        report(status=ReportStatus.QUEUED, enqueued_at=old, created_at=old),
        report(status=ReportStatus.QUEUED, enqueued_at=None, created_at=old),  # broker was down
        report(status=ReportStatus.RUNNING, started_at=old, created_at=old),  # its worker died
    }
    fresh = {
        report(status=ReportStatus.QUEUED, enqueued_at=recent, created_at=old),
        report(status=ReportStatus.QUEUED, enqueued_at=None, created_at=recent),
        report(status=ReportStatus.RUNNING, started_at=recent, created_at=old),
        report(status=ReportStatus.READY, started_at=old, created_at=old, finished_at=old),
        report(status=ReportStatus.FAILED, started_at=old, created_at=old, finished_at=old),
    }
    assert reports.reports_requeue_stale(now=now) == 3
    assert sorted(args[0] for args in renders_sent) == sorted(str(r.pk) for r in stale)
    for item in stale:
        item.refresh_from_db()
        assert item.enqueued_at is not None and item.enqueued_at >= now - dt.timedelta(seconds=5)
    assert {r.pk: r.status for r in fresh} == dict(
        Report.objects.filter(pk__in=[r.pk for r in fresh]).values_list("pk", "status"))
    # The beat task runs the same sweep: the queued ones were just enqueued again, but the running
    # one stays stale (and enqueued at every sweep) until a worker claims it.
    renders_sent.clear()
    assert tasks.requeue_stale_reports.apply().get() == 1
    running = next(r for r in stale if r.status == ReportStatus.RUNNING)
    assert renders_sent == [[str(running.pk)]]


# --- Weekly reports --------------------------------------------------------------------------------
def unsaved_course(tz: str, start: dt.date, end: dt.date | None = None) -> TreatmentCourse:
    patient = Patient(display_name="X", birth_year=1950, timezone=tz)
    return TreatmentCourse(patient=patient, start_date=start, end_date=end)


# Monday 16 March 2026, 05:00 UTC: Monday 18:00 in Auckland, still Sunday 23:00 in Denver.
MONDAY_5_UTC = dt.datetime(2026, 3, 16, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(("tz", "start", "end", "period"), [
    ("Pacific/Auckland", dt.date(2026, 1, 1), None, (dt.date(2026, 3, 9), dt.date(2026, 3, 15))),
    ("America/Denver", dt.date(2026, 1, 1), None, (dt.date(2026, 3, 8), dt.date(2026, 3, 14))),
    ("UTC", dt.date(2026, 1, 1), None, (dt.date(2026, 3, 9), dt.date(2026, 3, 15))),
    # Clipped to the course's first day...
    ("Pacific/Auckland", dt.date(2026, 3, 12), None, (dt.date(2026, 3, 12), dt.date(2026, 3, 15))),
    ("Pacific/Auckland", dt.date(2026, 3, 15), None, (dt.date(2026, 3, 15), dt.date(2026, 3, 15))),
    # ... and to its last.
    ("America/Denver", dt.date(2026, 1, 1), dt.date(2026, 3, 10),
     (dt.date(2026, 3, 8), dt.date(2026, 3, 10))),
    ("America/Denver", dt.date(2026, 3, 9), dt.date(2026, 3, 10),
     (dt.date(2026, 3, 9), dt.date(2026, 3, 10))),
    # Nothing to report: the course starts today, or ended more than a week ago.
    ("Pacific/Auckland", dt.date(2026, 3, 16), None, None),
    ("America/Denver", dt.date(2026, 3, 15), None, None),
    ("America/Denver", dt.date(2026, 1, 1), dt.date(2026, 3, 7), None),
])
def test_the_weekly_period_is_the_seven_local_days_before_today_clipped_to_the_course(
        tz: str, start: dt.date, end: dt.date | None,
        period: tuple[dt.date, dt.date] | None) -> None:
    assert reports.weekly_period(unsaved_course(tz, start, end), now=MONDAY_5_UTC) == period


def test_the_weekly_period_follows_the_clock_when_not_given(cast: Any) -> None:
    with time_machine.travel(MONDAY_5_UTC, tick=False):
        course = unsaved_course("Pacific/Auckland", dt.date(2026, 1, 1))
        assert reports.weekly_period(course) == (dt.date(2026, 3, 9), dt.date(2026, 3, 15))


def weekly_cast(cast: Any, at: dt.datetime) -> dict[str, TreatmentCourse]:
    """At `at`: the cast's two active courses, and a paused and a completed one."""
    with time_machine.travel(at - dt.timedelta(days=20), tick=False):
        helen = make_course(cast.patient, cast.physician, days_ago=10)
        rosa = make_course(cast.other_patient, cast.other_physician, days_ago=10)
        paused = make_course(cast.patient, cast.physician, days_ago=10, alongside=True)
        completed = make_course(cast.patient, cast.physician, days_ago=10, alongside=True)
    with time_machine.travel(at - dt.timedelta(days=3), tick=False):
        courses.course_update(course=paused, changed_by=cast.physician,
                              changes={"status": CourseStatus.PAUSED})
        courses.course_update(course=completed, changed_by=cast.physician,
                              changes={"status": CourseStatus.COMPLETED})
    TreatmentCourse.objects.filter(pk__in=[cast.course.pk, cast.other_course.pk]).update(
        status=CourseStatus.STOPPED)  # created at the real time: out of this story
    return {"helen": helen, "rosa": rosa, "paused": paused, "completed": completed}


def test_weekly_reports_are_made_once_per_active_course_and_period(
        cast: Any, renders_sent: list[list[str]], django_capture_on_commit_callbacks: Any) -> None:
    at = MONDAY_5_UTC
    made = weekly_cast(cast, at)
    with time_machine.travel(at, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert reports.weekly_reports_create() == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert reports.weekly_reports_create() == 0  # a second beat, or a retried task
            assert tasks.create_weekly_reports.apply().get() == 0
    weekly = Report.objects.filter(kind=ReportKind.WEEKLY)
    assert {(r.course_id, r.period_start, r.period_end, r.status) for r in weekly} == {
        (made["helen"].pk, dt.date(2026, 3, 8), dt.date(2026, 3, 14), ReportStatus.QUEUED),
        (made["rosa"].pk, dt.date(2026, 3, 9), dt.date(2026, 3, 15), ReportStatus.QUEUED),
    }
    assert sorted(args[0] for args in renders_sent) == sorted(str(r.pk) for r in weekly)
    assert all(r.requested_by is None and r.patient_id == r.course.patient_id for r in weekly)

    # Next week: a new period, a new report each.
    with time_machine.travel(at + dt.timedelta(days=7), tick=False):
        assert reports.weekly_reports_create() == 2
    assert Report.objects.filter(kind=ReportKind.WEEKLY).count() == 4


def test_a_weekly_report_renders_like_a_requested_one(cast: Any) -> None:
    at = MONDAY_5_UTC
    made = weekly_cast(cast, at)
    with time_machine.travel(at, tick=False):
        reports.weekly_reports_create()
        Patient.objects.filter(pk=cast.other_patient.pk).update(language="es")
        helen = reports.report_render(report_id=Report.objects.get(course=made["helen"]).pk)
        rosa = reports.report_render(report_id=Report.objects.get(course=made["rosa"]).pk)
    assert helen is not None and helen.status == ReportStatus.READY
    assert rosa is not None and rosa.status == ReportStatus.READY
    text = pdf_text(stored_pdf(helen))
    assert "Period 8 Mar 2026 - 14 Mar 2026" in text and "for the care team" in text
    assert helen.summary["applications_expected"] == 7
    # Nobody asked for a weekly report: it is for the care team, in the patient's language.
    text = pdf_text(stored_pdf(rosa))
    assert "Periodo 9 mar 2026 - 15 mar 2026" in text and "para el equipo de atención" in text


def test_the_beat_schedule_makes_the_weekly_reports_on_the_configured_day_and_hour() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-reports"]
    assert entry["task"] == "tracker.tasks.create_weekly_reports"
    assert entry["task"] in celery_app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"] == crontab(day_of_week="mon", hour=6, minute=0)
    assert celery_app.conf.beat_schedule["weekly-reports"]["schedule"] == entry["schedule"]
    assert settings.CELERY_BEAT_SCHEDULE["requeue-stale-reports"]["task"] in celery_app.tasks
    assert settings.CELERY_BEAT_SCHEDULE["check-missed-days"]["task"] in celery_app.tasks


def test_the_weekly_day_and_hour_come_from_the_environment() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test",
           "TEND_WEEKLY_REPORT_DAY": "fri", "TEND_WEEKLY_REPORT_HOUR": "21"}
    code = ("import django; django.setup(); from django.conf import settings; "
            "s = settings.CELERY_BEAT_SCHEDULE['weekly-reports']['schedule']; "
            "print(sorted(s.day_of_week), sorted(s.hour), sorted(s.minute))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR,
                         capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split("\n")[0] == "[5] [21] [0]", out.stderr


# Two beat processes at once: real threads, each with its own connection to PostgreSQL.


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_make_one_weekly_report_per_course(
        cast: Any, renders_sent: list[list[str]]) -> None:
    at = MONDAY_5_UTC
    with time_machine.travel(at - dt.timedelta(days=20), tick=False):
        many = [make_course(cast.patient if n % 2 else cast.other_patient, cast.physician
                            if n % 2 else cast.other_physician, days_ago=10, alongside=True)
                for n in range(24)]
    TreatmentCourse.objects.filter(pk__in=[cast.course.pk, cast.other_course.pk]).update(
        status=CourseStatus.STOPPED)
    barrier = threading.Barrier(2)
    created: list[int] = []
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            barrier.wait(timeout=30)
            created.append(reports.weekly_reports_create(now=at))
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(created) == len(many) == Report.objects.filter(kind=ReportKind.WEEKLY).count()
    assert Report.objects.filter(kind=ReportKind.WEEKLY).values(
        "course", "period_start", "period_end").distinct().count() == len(many)
    assert set(Report.objects.values_list("course", flat=True)) == {c.pk for c in many}
    assert sorted(args[0] for args in renders_sent) == sorted(
        str(pk) for pk in Report.objects.values_list("pk", flat=True))


def test_the_checkpoint_reads_in_the_reports_language_from_its_facts() -> None:
    from tracker.reports import i18n, pdf

    alert = Alert(kind="healing_checkpoint", detail="in English", facts={
        "week": 4, "change_percent": -22, "first_area_cm2": 6.0, "last_area_cm2": 4.68,
        "threshold_percent": 40.0, "checkpoint_date": "2026-04-21", "first_date": "2026-03-24",
        "last_date": "2026-04-22", "days_from_checkpoint": 1, "window_days": 7, "source": None})
    text = pdf._alert_text(alert, i18n.TEXT["es"], "es")
    assert text.startswith("Control de la semana 4 (21 abr 2026): L \u00d7 A cambió un -22 %, de "
                           "6,00 cm² el 24 mar 2026 a 4,68 cm² el 22 abr 2026")
    assert "(Kantor y Margolis 2000)" in text and "calcinosis cutánea" in text
    # An alert stored before its facts named the dates keeps its own words.
    alert.facts = {"week": 4}
    assert pdf._alert_text(alert, i18n.TEXT["es"], "es") == "in English"


def test_every_report_shows_the_baseline_whatever_its_period(cast: Any) -> None:
    today = dt.date(2026, 6, 15)
    start = today - dt.timedelta(days=20)
    course = make_course_at(cast, start, dt.datetime.combine(start, dt.time(9), DENVER))
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), DENVER), tick=False):
        records.record_create(kind=records.DEBRIDEMENT, recorded_by=cast.physician, course=course,
                              data={"performed_at": dt.datetime.combine(
                                        start - dt.timedelta(days=1), dt.time(10, 30), DENVER),
                                    "method": "excisional", "nodules_removed": 4,
                                    "specimen_sent": True,
                                    "notes": "Histology: dermal calcification and fibrosis."})
        records.record_create(kind=records.DEBRIDEMENT, recorded_by=cast.nurse, course=course,
                              data={"performed_at": dt.datetime.combine(
                                        start + dt.timedelta(days=5), dt.time(11), DENVER),
                                    "method": "excisional", "nodules_removed": 1,
                                    "specimen_sent": False})
        first = make_photo(course, cast.patient_user, hours_ago=20 * 24 - 10)
        reviews.review_create(photo=first, reviewer=cast.nurse, data={
            "length_cm": Decimal("3.4"), "width_cm": Decimal("2.2"), "exudate": "moderate",
            "tissue_type": "slough", "signs_of_infection": False, "flag_for_physician": False,
            "comment": ""})
        report = render(course, cast.physician, period_start=today - dt.timedelta(days=7),
                        period_end=today - dt.timedelta(days=1))
    text = pdf_text(stored_pdf(report))
    assert first.local_date == start
    # The index procedure is the first excisional debridement, from before the course, with its
    # histology, though neither it nor the first measurement is in the week reported.
    assert (f"Index procedure Excisional debridement on {human(start - dt.timedelta(days=1))} "
            f"(before the course, which started on {human(start)}): 4 nodules removed, specimen "
            "sent. Notes: Histology: dermal calcification and fibrosis.") in text
    assert (f"First measurement {human(start)}: 3.4 \u00d7 2.2 cm, L \u00d7 W 7.48 cm², PUSH 12 = "
            "7 + 2 + 3") in text
    assert report.summary["index_procedure_date"] == str(start - dt.timedelta(days=1))
    assert (report.summary["baseline_date"], report.summary["baseline_area_cm2"]) == (
        str(start), 7.48)
    assert report.summary["debridements"] == 0  # none in the week itself
    assert "Diagnosis" not in text and "Radiation" not in text  # nothing the record does not hold


def test_a_report_says_when_no_index_procedure_is_recorded(cast: Any) -> None:
    text = pdf_text(stored_pdf(render(cast.course, cast.physician)))
    assert "Baseline Index procedure No excisional debridement recorded." in text


def test_every_skip_reason_of_the_period_is_listed_under_its_day(cast: Any) -> None:
    today = dt.date(2026, 6, 15)
    course = build_eight_weeks(cast, today)
    start = course.start_date
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), DENVER), tick=False):
        records.record_create(kind=records.DEBRIDEMENT, recorded_by=cast.nurse, course=course,
                              data={"performed_at": dt.datetime.combine(
                                        start + dt.timedelta(days=28), dt.time(11), DENVER),
                                    "method": "sharp", "nodules_removed": 1,
                                    "specimen_sent": False,
                                    "notes": "Small chalky fragment lifted from the ulcer base."})
        text = pdf_text(stored_pdf(render(course, cast.physician)))
    assert "Skipped, and why" in text
    for day, reason in EIGHT_WEEKS_SKIPS.items():
        assert f"{human(start + dt.timedelta(days=day))}: {reason}" in text, reason
    # The debridement's findings too, under its row.
    assert "Notes: Small chalky fragment lifted from the ulcer base." in text
    # A period without a skip says nothing of skips.
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), DENVER), tick=False):
        quiet = render(course, cast.physician, period_start=start + dt.timedelta(days=40),
                       period_end=start + dt.timedelta(days=50))
    assert "Skipped, and why" not in pdf_text(stored_pdf(quiet))
