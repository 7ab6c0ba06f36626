"""What the PWA's day, review workstation and triage rely on: the care team's contact, one answer a
day, unanswered scores, one course in force, retakes, corrected reviews and alerts with their
causes. Each endpoint by role, on own and foreign objects; each bad input refused by name, with
nothing stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import assert_problem, make_photo
from tracker import clock
from tracker.models import (
    Alert,
    AlertKind,
    Application,
    CourseStatus,
    Photo,
    RecordVersion,
    Review,
    SymptomEntry,
    TreatmentCourse,
)
from tracker.services import alert_rules, records, reviews

pytestmark = pytest.mark.django_db

ROLES = ["patient_user", "nurse", "physician", "other_nurse", "other_physician", "admin"]


def _evening(cast: Any, days_ago: int) -> dt.datetime:
    day = clock.today_in(cast.patient.timezone) - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(20, 0), clock.zone(cast.patient.timezone))


def _review(cast: Any, photo: Photo, **data: Any) -> Review:
    review, _ = reviews.review_create(photo=photo, reviewer=cast.nurse, data={
        "length_cm": Decimal("2.0"), "width_cm": Decimal("1.5"), "exudate": "light",
        "tissue_type": "granulation", **data})
    return review


# --- The care team's contact ------------------------------------------------------------------------
def test_staff_set_the_clinic_and_its_phone_and_the_patient_reads_them(cast: Any, api: Any) -> None:
    url = f"/api/v1/patients/{cast.patient.pk}/"
    response = api(cast.nurse).patch(url, {"care_team_name": "Wound clinic, St Mary's",
                                           "care_team_phone": "+1 (303) 555-0142"}, format="json")
    assert response.status_code == 200, response.content
    mine = api(cast.patient_user).get(url).json()
    assert (mine["care_team_name"], mine["care_team_phone"]) == ("Wound clinic, St Mary's",
                                                                 "+1 (303) 555-0142")


@pytest.mark.parametrize("phone", ["call me", "12345", "+1 303 555 0142 ext 9", "1" * 16, "+-"])
def test_a_phone_that_is_no_phone_is_refused_naming_it(cast: Any, api: Any, phone: str) -> None:
    response = api(cast.nurse).patch(f"/api/v1/patients/{cast.patient.pk}/",
                                     {"care_team_phone": phone}, format="json")
    assert_problem(response, 400, "care_team_phone")
    cast.patient.refresh_from_db()
    assert cast.patient.care_team_phone == ""


@pytest.mark.parametrize(("who", "status"), [("patient_user", 403), ("other_nurse", 404),
                                             ("admin", 404)])
def test_only_her_care_team_sets_the_contact(cast: Any, api: Any, who: str, status: int) -> None:
    response = api(cast.user(who)).patch(f"/api/v1/patients/{cast.patient.pk}/",
                                         {"care_team_phone": "+1 303 555 0142"}, format="json")
    assert_problem(response, status)
    cast.patient.refresh_from_db()
    assert cast.patient.care_team_phone == ""


# --- One answer a day ---------------------------------------------------------------------------------
def _post_application(cast: Any, api: Any, status: str, at: dt.datetime, **extra: Any) -> Any:
    body = {"course": str(cast.course.pk), "status": status, "applied_at": at.isoformat(), **extra}
    return api(cast.patient_user).post("/api/v1/applications/", body, format="json")


@pytest.mark.parametrize(("first", "second"), [("applied", "skipped"), ("skipped", "applied")])
def test_an_applied_and_a_skipped_answer_for_one_day_contradict(cast: Any, api: Any, first: str,
                                                                second: str) -> None:
    reason = {"skip_reason": "Skin too sore"}
    at = _evening(cast, 1)
    made = _post_application(cast, api, first, at, **(reason if first == "skipped" else {}))
    assert made.status_code == 201, made.content

    again = _post_application(cast, api, second, at + dt.timedelta(minutes=30),
                              **(reason if second == "skipped" else {}))

    body = assert_problem(again, 409, "applied_at")
    assert at.date().isoformat() in body["errors"]["applied_at"][0]
    assert Application.objects.filter(course=cast.course).count() == 1


def test_undoing_the_first_answer_lets_the_other_stand(cast: Any, api: Any) -> None:
    at = _evening(cast, 1)
    first = _post_application(cast, api, "skipped", at, skip_reason="Forgot").json()
    undo = api(cast.patient_user).post(f"/api/v1/applications/{first['id']}/entered-in-error/",
                                       {"reason": "Undone by the patient"}, format="json")
    assert undo.status_code == 200, undo.content

    assert _post_application(cast, api, "applied", at + dt.timedelta(hours=1)).status_code == 201


def test_a_correction_to_the_contradiction_is_refused_too(cast: Any, api: Any) -> None:
    applied = _post_application(cast, api, "applied", _evening(cast, 2)).json()
    _post_application(cast, api, "skipped", _evening(cast, 1), skip_reason="Away")

    moved = api(cast.patient_user).patch(f"/api/v1/applications/{applied['id']}/",
                                         {"applied_at": _evening(cast, 1).isoformat()},
                                         format="json")

    assert_problem(moved, 409, "applied_at")
    assert Application.objects.get(pk=applied["id"]).version == 1


def test_twice_a_day_one_applied_and_one_skipped_is_the_truth(cast: Any) -> None:
    TreatmentCourse.objects.filter(pk=cast.course.pk).update(applications_per_day=2)
    cast.course.refresh_from_db()
    at = _evening(cast, 1)
    records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user, course=cast.course,
                          data={"applied_at": at, "status": "applied"})
    records.record_create(kind=records.APPLICATION, recorded_by=cast.patient_user, course=cast.course,
                          data={"applied_at": at + dt.timedelta(hours=1), "status": "skipped",
                                "skip_reason": "Forgot the evening one"})
    assert Application.objects.filter(course=cast.course).count() == 2


def test_yesterday_can_be_logged_late(cast: Any, api: Any) -> None:
    response = _post_application(cast, api, "applied", _evening(cast, 1) + dt.timedelta(hours=1))
    assert response.status_code == 201, response.content
    assert response.json()["local_date"] == (clock.today_in(cast.patient.timezone)
                                             - dt.timedelta(days=1)).isoformat()


# --- Scores she did not answer ----------------------------------------------------------------------
@pytest.mark.parametrize("body", [{"pain": None, "itch": None}, {}])
def test_an_unanswered_score_is_stored_as_not_answered(cast: Any, api: Any,
                                                       body: dict[str, Any]) -> None:
    response = api(cast.patient_user).post("/api/v1/symptoms/", {
        "course": str(cast.course.pk), "recorded_at": timezone.now().isoformat(), **body},
        format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["pain"], response.json()["itch"]) == (None, None)
    entry = SymptomEntry.objects.get(pk=response.json()["id"])
    assert (entry.pain, entry.itch) == (None, None)
    assert not Alert.objects.filter(kind=AlertKind.PAIN_RISE).exists()


# --- One course in force --------------------------------------------------------------------------
def _course_body(cast: Any, **extra: Any) -> dict[str, Any]:
    return {"patient": str(cast.patient.pk), "medication": "Sodium thiosulfate",
            "concentration_percent": "25", "vehicle": "Zinc oxide paste", "body_site": "Left thigh",
            "applications_per_day": 1,
            "start_date": clock.today_in(cast.patient.timezone).isoformat(), **extra}


def test_a_second_course_in_force_is_refused_naming_the_first(cast: Any, api: Any) -> None:
    response = api(cast.physician).post("/api/v1/courses/", _course_body(cast), format="json")
    body = assert_problem(response, 409, "patient")
    assert str(cast.course.pk) in body["detail"] and "has an active course" in body["detail"]
    assert TreatmentCourse.objects.filter(patient=cast.patient).count() == 1


@pytest.mark.parametrize("status", ["paused", "completed", "stopped"])
def test_the_physician_pauses_or_ends_the_first_in_the_same_step(cast: Any, api: Any,
                                                                 status: str) -> None:
    response = api(cast.physician).post("/api/v1/courses/", _course_body(
        cast, previous_course={"id": str(cast.course.pk), "status": status}), format="json")
    assert response.status_code == 201, response.content
    cast.course.refresh_from_db()
    assert cast.course.status == status
    assert RecordVersion.objects.filter(object_type="course", object_id=cast.course.pk).exists()


@pytest.mark.parametrize("previous", [
    {"id": "other", "status": "completed"},      # another patient's course
    {"id": "own", "status": "active"},           # not a way to end it
    {"id": "own"},                               # no status
    {"id": "not-a-uuid", "status": "paused"},
])
def test_a_bad_previous_course_is_refused_and_nothing_changes(cast: Any, api: Any,
                                                              previous: dict[str, Any]) -> None:
    ids = {"other": str(cast.other_course.pk), "own": str(cast.course.pk)}
    previous = {**previous, "id": ids.get(previous["id"], previous["id"])}
    response = api(cast.physician).post("/api/v1/courses/", _course_body(cast,
                                        previous_course=previous), format="json")
    body = assert_problem(response, 400)
    assert any(name.startswith("previous_course") for name in body["errors"]), body
    assert TreatmentCourse.objects.filter(patient=cast.patient).count() == 1
    cast.course.refresh_from_db()
    assert cast.course.status == CourseStatus.ACTIVE


def test_resuming_a_paused_course_beside_an_active_one_is_refused(cast: Any, api: Any) -> None:
    api(cast.physician).post("/api/v1/courses/", _course_body(
        cast, previous_course={"id": str(cast.course.pk), "status": "paused"}), format="json")
    response = api(cast.physician).patch(f"/api/v1/courses/{cast.course.pk}/",
                                         {"status": "active"}, format="json")
    assert_problem(response, 409, "status")
    cast.course.refresh_from_db()
    assert cast.course.status == CourseStatus.PAUSED


# --- Retakes ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ROLES)
def test_staff_of_the_team_ask_for_a_retake_and_no_one_else(cast: Any, api: Any, who: str) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    response = api(cast.user(who)).post(f"/api/v1/photos/{photo.pk}/retake/",
                                        {"reason": "Blurred: hold the phone still."}, format="json")
    expected = {"nurse": 200, "physician": 200, "patient_user": 403}.get(who, 404)
    assert response.status_code == expected, response.content
    photo.refresh_from_db()
    assert bool(photo.retake_reason) is (expected == 200)


def test_a_retake_tells_the_patient_why_and_leaves_the_queue(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    assert [p["id"] for p in api(cast.nurse).get("/api/v1/review-queue/").json()["results"]] == [
        str(photo.pk)]
    api(cast.nurse).post(f"/api/v1/photos/{photo.pk}/retake/", {"reason": "The wound is cut off."},
                         format="json")

    mine = api(cast.patient_user).get(f"/api/v1/photos/{photo.pk}/").json()
    assert mine["retake_reason"] == "The wound is cut off." and mine["retake_requested_at"]
    assert api(cast.nurse).get("/api/v1/review-queue/").json()["results"] == []


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501},
                                  {"reason": "Blurred", "extra": 1}])
def test_a_retake_without_a_reason_is_refused(cast: Any, api: Any, body: dict[str, Any]) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    response = api(cast.nurse).post(f"/api/v1/photos/{photo.pk}/retake/", body, format="json")
    assert_problem(response, 400)
    photo.refresh_from_db()
    assert photo.retake_requested_at is None


def test_a_photo_in_error_cannot_be_retaken(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user, voided=True)
    response = api(cast.nurse).post(f"/api/v1/photos/{photo.pk}/retake/", {"reason": "Blurred"},
                                    format="json")
    assert_problem(response, 409)


def test_queue_cards_name_the_patient_and_the_body_site(cast: Any, api: Any) -> None:
    make_photo(cast.course, cast.patient_user)
    card = api(cast.nurse).get("/api/v1/review-queue/").json()["results"][0]
    assert (card["patient_name"], card["body_site"]) == ("Helen Mercer", "Left lateral thigh")


# --- Corrected reviews ------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ROLES)
def test_staff_of_the_team_correct_a_review_and_no_one_else(cast: Any, api: Any, who: str) -> None:
    review = _review(cast, make_photo(cast.course, cast.patient_user))
    response = api(cast.user(who)).patch(f"/api/v1/reviews/{review.pk}/", {"width_cm": "1.0"},
                                         format="json")
    expected = {"nurse": 200, "physician": 200, "patient_user": 403}.get(who, 404)
    assert response.status_code == expected, response.content
    review.refresh_from_db()
    assert review.width_cm == (Decimal("1.0") if expected == 200 else Decimal("1.5"))


@pytest.mark.parametrize(("who", "status"), [("patient_user", 200), ("nurse", 200),
                                             ("other_nurse", 404), ("admin", 404)])
def test_a_review_is_read_by_its_patients_team_and_herself(cast: Any, api: Any, who: str,
                                                           status: int) -> None:
    review = _review(cast, make_photo(cast.course, cast.patient_user))
    assert api(cast.user(who)).get(f"/api/v1/reviews/{review.pk}/").status_code == status
    listed = api(cast.user(who)).get("/api/v1/reviews/").json()
    assert [r["id"] for r in listed.get("results", [])] == ([str(review.pk)] if status == 200 else [])


def test_a_correction_is_a_new_version_with_the_score_worked_out_again(cast: Any, api: Any) -> None:
    review = _review(cast, make_photo(cast.course, cast.patient_user))
    assert (review.area_cm2, review.push_score, review.version) == (Decimal("3.00"), 8, 1)

    body = api(cast.physician).patch(f"/api/v1/reviews/{review.pk}/",
                                     {"length_cm": "4.0", "tissue_type": "slough"},
                                     format="json").json()

    assert (body["area_cm2"], body["push_score"], body["version"]) == (6.0, 7 + 1 + 3, 2)
    history = api(cast.nurse).get(f"/api/v1/reviews/{review.pk}/history/").json()["results"]
    assert history[0]["changes"] == {"length_cm": {"from": "2.0", "to": "4.0"},
                                     "tissue_type": {"from": "granulation", "to": "slough"}}


def test_a_correction_that_finds_infection_opens_its_alert(cast: Any, api: Any) -> None:
    review = _review(cast, make_photo(cast.course, cast.patient_user))
    api(cast.nurse).patch(f"/api/v1/reviews/{review.pk}/", {"signs_of_infection": True},
                          format="json")
    assert Alert.objects.filter(kind=AlertKind.REVIEW_INFECTION, source_id=review.pk).count() == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"length_cm": "2.0", "width_cm": "0"}, "width_cm"),
    ({"length_cm": "0", "width_cm": "3.0"}, "length_cm"),
    ({"length_cm": "0", "width_cm": "0", "tissue_type": "necrotic"}, "tissue_type"),
])
def test_an_implausible_measurement_is_refused_naming_the_field(cast: Any, api: Any,
                                                                data: dict[str, Any],
                                                                field: str) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    created = api(cast.nurse).post(f"/api/v1/photos/{photo.pk}/reviews/", {
        "length_cm": "2.0", "width_cm": "1.5", "exudate": "light", "tissue_type": "granulation",
        **data}, format="json")
    assert_problem(created, 400, field)
    assert not Review.objects.exists()

    review = _review(cast, photo)
    corrected = api(cast.nurse).patch(f"/api/v1/reviews/{review.pk}/", data, format="json")
    assert_problem(corrected, 400, field)
    review.refresh_from_db()
    assert review.version == 1


def test_a_closed_wound_has_no_area_and_is_accepted(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    response = api(cast.nurse).post(f"/api/v1/photos/{photo.pk}/reviews/", {
        "length_cm": "0", "width_cm": "0", "exudate": "none", "tissue_type": "closed"},
        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["push_score"] == 0


@pytest.mark.parametrize("body", [{"push_score": 3}, {"photo": "x"}, {"width_cm": "-1"},
                                  {"exudate": "lots"}])
def test_a_correction_of_what_is_not_a_measurement_is_refused(cast: Any, api: Any,
                                                              body: dict[str, Any]) -> None:
    review = _review(cast, make_photo(cast.course, cast.patient_user))
    assert_problem(api(cast.nurse).patch(f"/api/v1/reviews/{review.pk}/", body, format="json"), 400)
    review.refresh_from_db()
    assert review.version == 1


# --- Alerts with their causes -----------------------------------------------------------------------
def test_an_alert_links_its_photo_and_the_nurses_comment(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    _review(cast, photo, flag_for_physician=True, comment="Edges rolled; please look.")

    alert = api(cast.physician).get("/api/v1/alerts/").json()["results"][0]

    assert alert["kind"] == "review_flagged" and alert["severity"] == "medium"
    assert alert["source_photo"] == str(photo.pk)
    assert alert["source_comment"] == "Edges rolled; please look."
    assert alert["facts"] == {"date": clock.today_in(cast.patient.timezone).isoformat()}


def test_warning_signs_carry_their_facts(cast: Any, api: Any) -> None:
    records.record_create(kind=records.SYMPTOM, recorded_by=cast.patient_user, course=cast.course,
                          data={"recorded_at": timezone.now(), "pain": 2, "itch": 1, "fever": True,
                                "drainage": "pus"})
    alert = api(cast.nurse).get("/api/v1/alerts/").json()["results"][0]
    assert alert["facts"]["signs"] == ["fever", "pus"]
    assert alert["source_photo"] is None and alert["source_comment"] == ""


def test_nothing_logged_carries_its_days(cast: Any) -> None:
    alert_rules.missed_days_check(now=timezone.now() + dt.timedelta(days=3))
    alert = Alert.objects.get(kind=AlertKind.NO_LOG, course=cast.course)
    assert alert.facts == {"days": 2, "last_log": None}


def test_an_acknowledgement_keeps_its_note(cast: Any, api: Any) -> None:
    _review(cast, make_photo(cast.course, cast.patient_user), signs_of_infection=True)
    alert = Alert.objects.get()
    response = api(cast.physician).post(f"/api/v1/alerts/{alert.pk}/acknowledge/",
                                        {"note": "Called her; antibiotics started."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["acknowledged_note"] == "Called her; antibiotics started."
    again = api(cast.nurse).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "Later"},
                                 format="json")
    assert again.json()["acknowledged_note"] == "Called her; antibiotics started."


@pytest.mark.parametrize("body", [{"note": "x" * 1001}, {"note": ["a"]}, {"reason": "x"}])
def test_a_bad_acknowledgement_is_refused_and_the_alert_stays_open(cast: Any, api: Any,
                                                                   body: dict[str, Any]) -> None:
    _review(cast, make_photo(cast.course, cast.patient_user), signs_of_infection=True)
    alert = Alert.objects.get()
    response = api(cast.physician).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", body,
                                        format="json")
    assert_problem(response, 400)
    alert.refresh_from_db()
    assert alert.status == "open"
