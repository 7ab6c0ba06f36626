"""Reviews of wound photos: PUSH Tool 3.0, the review API, the review queue, photos side by side."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import PROBLEM, make_course, make_photo
from tracker.models import Photo, PhotoStatus, Review, User
from tracker.services import reviews

GOOD = {"length_cm": "2.0", "width_cm": "1.5", "exudate": "light", "tissue_type": "granulation",
        "comment": "Edges rolled."}


def review(photo: Photo, by: User, **data: Any) -> Review:
    values = {"length_cm": Decimal("1.0"), "width_cm": Decimal("1.0"), "exudate": "none",
              "tissue_type": "epithelial", "signs_of_infection": False,
              "flag_for_physician": False, "comment": "", **data}
    created, _ = reviews.review_create(photo=photo, reviewer=by, data=values)
    return created


def post_review(client: Any, photo: Photo | str, **data: Any) -> Any:
    return client.post(f"/api/v1/photos/{getattr(photo, 'pk', photo)}/reviews/",
                       {**GOOD, **data}, format="json")


# --- PUSH Tool 3.0 ------------------------------------------------------------------------------
@pytest.mark.parametrize(("area", "points"), [
    ("0", 0), ("0.00", 0),
    ("0.01", 1), ("0.29", 1),
    ("0.3", 2), ("0.30", 2), ("0.6", 2),
    ("0.61", 3), ("1.0", 3),
    ("1.01", 4), ("2.0", 4),
    ("2.01", 5), ("3.0", 5),
    ("3.01", 6), ("4.0", 6),
    ("4.01", 7), ("8.0", 7),
    ("8.01", 8), ("12.0", 8),
    ("12.01", 9), ("24.0", 9),
    ("24.01", 10), ("10000", 10),
])
def test_area_points_follow_every_category_edge_of_push_tool_3(area: str, points: int) -> None:
    assert reviews.area_points(Decimal(area)) == points


@pytest.mark.parametrize(("area", "points"), [("0.65", 3), ("1.05", 4), ("3.5", 6), ("23.99", 9)])
def test_an_area_between_two_push_categories_is_scored_in_the_higher(area: str, points: int
                                                                     ) -> None:
    # PUSH lists 0.3-0.6 then 0.7-1.0, 3.1-4.0 ...: what falls between goes up, as the report says.
    assert reviews.area_points(Decimal(area)) == points


@pytest.mark.parametrize(("exudate", "points"), [
    ("none", 0), ("light", 1), ("moderate", 2), ("heavy", 3)])
def test_exudate_points(exudate: str, points: int) -> None:
    assert reviews.push_score(area=Decimal(0), exudate=exudate, tissue_type="closed") == points


@pytest.mark.parametrize(("tissue", "points"), [
    ("closed", 0), ("epithelial", 1), ("granulation", 2), ("slough", 3), ("necrotic", 4)])
def test_tissue_type_points(tissue: str, points: int) -> None:
    assert reviews.push_score(area=Decimal(0), exudate="none", tissue_type=tissue) == points


@pytest.mark.parametrize(("length", "width", "area"), [
    ("0", "3.0", "0.00"), ("0.1", "0.1", "0.01"), ("2.5", "1.2", "3.00"), ("4.9", "4.9", "24.01"),
    ("100", "100", "10000.00"),
])
def test_area_is_length_times_width(length: str, width: str, area: str) -> None:
    assert reviews.area_cm2(Decimal(length), Decimal(width)) == Decimal(area)


def test_push_score_sums_area_exudate_and_tissue_from_0_to_17() -> None:
    assert reviews.push_score(area=Decimal(0), exudate="none", tissue_type="closed") == 0
    assert reviews.push_score(area=Decimal("3.0"), exudate="light",
                              tissue_type="granulation") == 5 + 1 + 2
    assert reviews.push_score(area=Decimal("24.01"), exudate="heavy",
                              tissue_type="necrotic") == 17


# --- The review API -----------------------------------------------------------------------------
@pytest.mark.parametrize(("length", "width", "area", "area_points"), [
    ("0", "0", 0.0, 0), ("0.1", "0.1", 0.01, 1), ("0.5", "0.6", 0.3, 2), ("0.6", "1.0", 0.6, 2),
    ("0.7", "0.9", 0.63, 3), ("1.0", "1.0", 1.0, 3), ("2.0", "1.0", 2.0, 4),
    ("3.0", "1.0", 3.0, 5), ("2.0", "2.0", 4.0, 6), ("4.0", "2.0", 8.0, 7),
    ("4.0", "3.0", 12.0, 8), ("6.0", "4.0", 24.0, 9), ("4.9", "4.9", 24.01, 10),
])
def test_a_review_answers_its_area_and_push_score(
        cast: Any, api: Any, length: str, width: str, area: float, area_points: int) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    # A wound of no area is closed: no exudate and tissue 0 points; else moderate and slough (2, 3).
    closed = area == 0
    response = post_review(api(cast.nurse), photo, length_cm=length, width_cm=width,
                           exudate="none" if closed else "moderate",
                           tissue_type="closed" if closed else "slough")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["area_cm2"] == area and body["push_score"] == area_points + (0 if closed else 5)
    stored = Review.objects.get(pk=body["id"])
    assert (stored.photo_id, stored.course_id, stored.patient_id) == (
        photo.pk, cast.course.pk, cast.patient.pk)
    assert stored.area_cm2 == Decimal(str(area)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_the_care_team_reviews_a_ready_photo(cast: Any, api: Any, who: str) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    response = post_review(api(cast.user(who)), photo)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["photo"], body["reviewer"], body["area_cm2"], body["push_score"]) == (
        str(photo.pk), str(cast.user(who).pk), 3.0, 8)
    assert body["comment"] == "Edges rolled." and body["signs_of_infection"] is False
    detail = api(cast.patient_user).get(f"/api/v1/photos/{photo.pk}/").json()
    assert [r["id"] for r in detail["reviews"]] == [body["id"]]
    assert detail["latest_review"]["id"] == body["id"]


@pytest.mark.parametrize(("who", "status"), [
    ("patient_user", 403), ("other_nurse", 404), ("other_physician", 404),
    ("other_patient_user", 404), ("admin", 404),
])
def test_others_cannot_review(cast: Any, api: Any, who: str, status: int) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    response = post_review(api(cast.user(who)), photo)
    assert response.status_code == status and response["Content-Type"] == PROBLEM
    assert Review.objects.count() == 0


@pytest.mark.parametrize(("state", "voided"), [
    (PhotoStatus.PROCESSING, False), (PhotoStatus.FAILED, False), (PhotoStatus.READY, True)])
def test_only_a_ready_photo_in_force_can_be_reviewed(
        cast: Any, api: Any, state: str, voided: bool) -> None:
    photo = make_photo(cast.course, cast.patient_user, status=state, voided=voided)
    response = post_review(api(cast.nurse), photo)
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert Review.objects.count() == 0


@pytest.mark.parametrize(("field", "value"), [
    ("length_cm", "-1"), ("length_cm", "abc"), ("length_cm", "100.1"), ("length_cm", "1.25"),
    ("width_cm", "-0.1"), ("width_cm", None), ("exudate", "lots"), ("exudate", ""),
    ("tissue_type", "bone"), ("signs_of_infection", "maybe"), ("flag_for_physician", 3),
    ("comment", "x" * 4001), ("push_score", 17), ("area_cm2", 1), ("id", "not-a-uuid"),
])
def test_bad_review_values_are_refused_naming_the_field(
        cast: Any, api: Any, field: str, value: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    response = post_review(api(cast.nurse), photo, **{field: value})
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"], response.json()
    assert Review.objects.count() == 0


@pytest.mark.parametrize(("data", "field"), [
    ({"length_cm": "0", "width_cm": "0", "tissue_type": "necrotic"}, "tissue_type"),
    ({"length_cm": "0", "width_cm": "3.0"}, "length_cm"),
    ({"length_cm": "2.0", "width_cm": "0"}, "width_cm"),
    ({"length_cm": "3.0", "width_cm": "2.0", "exudate": "none", "tissue_type": "closed"},
     "tissue_type"),
    ({"length_cm": "0.1", "width_cm": "0.1", "exudate": "none", "tissue_type": "closed"},
     "tissue_type"),
])
def test_measurements_that_contradict_each_other_are_refused_naming_the_field(
        cast: Any, api: Any, data: dict[str, Any], field: str) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    client = api(cast.nurse)
    created = post_review(client, photo, **data)
    assert created.status_code == 400 and created["Content-Type"] == PROBLEM
    assert list(created.json()["errors"]) == [field], created.json()
    assert Review.objects.count() == 0

    # A correction to the same values is refused alike, and changes nothing.
    stored = review(photo, cast.nurse, length_cm=Decimal("2.0"), width_cm=Decimal("1.5"),
                    exudate="light", tissue_type="granulation")
    corrected = client.patch(f"/api/v1/reviews/{stored.pk}/", data, format="json")
    assert corrected.status_code == 400 and list(corrected.json()["errors"]) == [field]
    stored.refresh_from_db()
    assert (stored.version, stored.length_cm, stored.tissue_type) == (1, Decimal("2.0"),
                                                                      "granulation")


def test_a_closed_wound_of_no_area_and_no_exudate_is_accepted(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    response = post_review(api(cast.nurse), photo, length_cm="0", width_cm="0", exudate="none",
                           tissue_type="closed")
    assert response.status_code == 201, response.content
    assert (response.json()["area_cm2"], response.json()["push_score"]) == (0.0, 0)


@pytest.mark.parametrize("field", ["length_cm", "width_cm", "exudate", "tissue_type"])
def test_a_review_requires_its_measurements(cast: Any, api: Any, field: str) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    data = {name: value for name, value in GOOD.items() if name != field}
    response = api(cast.nurse).post(f"/api/v1/photos/{photo.pk}/reviews/", data, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert Review.objects.count() == 0


@pytest.mark.parametrize("photo_id", ["5b1b1e3e-8f0c-4f3b-9a8e-2f6f4b7c9d10", "not-an-id"])
def test_a_review_of_a_photo_that_does_not_exist_is_not_found(
        cast: Any, api: Any, photo_id: str) -> None:
    response = post_review(api(cast.nurse), photo_id)
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert not Review.objects.exists()


def test_a_review_id_taken_on_another_patients_photo_is_a_conflict_that_reveals_nothing(
        cast: Any, api: Any) -> None:
    theirs = make_photo(cast.other_course, cast.other_patient_user)
    taken = review(theirs, cast.other_nurse)
    mine = make_photo(cast.course, cast.patient_user)
    response = post_review(api(cast.nurse), mine, id=str(taken.pk))
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert "id" in response.json()["errors"]
    assert str(theirs.pk) not in response.content.decode()
    assert str(cast.other_patient.pk) not in response.content.decode()
    assert Review.objects.count() == 1 and Review.objects.get().photo_id == theirs.pk


def test_a_review_is_idempotent_by_its_client_id(cast: Any, api: Any) -> None:
    photo, review_id = make_photo(cast.course, cast.patient_user), str(uuid.uuid4())
    client = api(cast.nurse)
    first = post_review(client, photo, id=review_id, signs_of_infection=True)
    assert first.status_code == 201 and first.json()["id"] == review_id
    again = post_review(client, photo, id=review_id, signs_of_infection=True)
    assert again.status_code == 200 and again.json() == first.json()
    other = post_review(client, photo, id=review_id, length_cm="3.0", signs_of_infection=True)
    assert other.status_code == 409 and "id" in other.json()["errors"]
    assert Review.objects.count() == 1
    assert Review.objects.get().length_cm == Decimal("2.0")


# --- The review queue ---------------------------------------------------------------------------
def test_the_review_queue_lists_ready_unreviewed_photos_of_my_patients_oldest_first(
        cast: Any, api: Any) -> None:
    oldest = make_photo(cast.course, cast.patient_user, hours_ago=72)
    newest = make_photo(cast.course, cast.nurse, hours_ago=1)
    middle = make_photo(cast.course, cast.patient_user, hours_ago=30)  # created last
    reviewed = make_photo(cast.course, cast.patient_user, hours_ago=80)
    review(reviewed, cast.nurse)
    make_photo(cast.course, cast.patient_user, hours_ago=90, voided=True)
    make_photo(cast.course, cast.patient_user, hours_ago=91, status=PhotoStatus.PROCESSING)
    make_photo(cast.course, cast.patient_user, hours_ago=92, status=PhotoStatus.FAILED)
    rosa = make_photo(cast.other_course, cast.other_patient_user, hours_ago=100)

    expected = [str(p.pk) for p in (oldest, middle, newest)]
    for who in ("nurse", "physician"):
        response = api(cast.user(who)).get("/api/v1/review-queue/")
        assert response.status_code == 200
        assert [p["id"] for p in response.json()["results"]] == expected
        assert response.json()["count"] == 3
    other = api(cast.other_nurse).get("/api/v1/review-queue/").json()
    assert [p["id"] for p in other["results"]] == [str(rosa.pk)]

    assert post_review(api(cast.physician), oldest).status_code == 201
    after = api(cast.nurse).get("/api/v1/review-queue/").json()
    assert [p["id"] for p in after["results"]] == expected[1:]


def test_the_first_review_takes_a_photo_out_of_the_queue_for_good(cast: Any, api: Any) -> None:
    photo, now = make_photo(cast.course, cast.patient_user, hours_ago=5), timezone.now()
    assert photo.reviewed_at is None
    with time_machine.travel(now - dt.timedelta(hours=2), tick=False):
        first = review(photo, cast.nurse)
    with time_machine.travel(now - dt.timedelta(hours=1), tick=False):
        review(photo, cast.physician, length_cm=Decimal("2.0"))
    photo.refresh_from_db()
    assert photo.reviewed_at == first.created_at == now - dt.timedelta(hours=2)
    assert api(cast.nurse).get("/api/v1/review-queue/").json()["count"] == 0


def test_a_refused_review_leaves_the_photo_in_the_queue(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    assert post_review(api(cast.nurse), photo, length_cm="-1").status_code == 400
    photo.refresh_from_db()
    assert photo.reviewed_at is None and not Review.objects.exists()
    queue = api(cast.nurse).get("/api/v1/review-queue/").json()
    assert [p["id"] for p in queue["results"]] == [str(photo.pk)]


def test_the_review_queue_filters_by_course_and_patient_like_every_list(cast: Any, api: Any) -> None:
    second = make_course(cast.patient, cast.physician)
    first_photo = make_photo(cast.course, cast.patient_user, hours_ago=3)
    second_photo = make_photo(second, cast.patient_user, hours_ago=2)
    make_photo(cast.other_course, cast.other_patient_user, hours_ago=1)
    client = api(cast.nurse)

    def ids(query: dict[str, str]) -> list[str]:
        response = client.get("/api/v1/review-queue/", query)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["results"]]

    assert ids({"course": str(second.pk)}) == [str(second_photo.pk)]
    assert ids({"patient": str(cast.patient.pk)}) == [str(first_photo.pk), str(second_photo.pk)]
    assert ids({"course": str(cast.other_course.pk)}) == []  # not hers: nothing, not an error
    assert ids({"patient": str(cast.other_patient.pk)}) == []
    for key in ("course", "patient"):
        bad = client.get("/api/v1/review-queue/", {key: "x"})
        assert bad.status_code == 400 and bad["Content-Type"] == PROBLEM
        assert key in bad.json()["errors"]


def test_a_queued_photo_is_read_at_its_photo_address_not_in_the_queue(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    client = api(cast.nurse)
    assert client.get(f"/api/v1/photos/{photo.pk}/").status_code == 200
    assert client.get(f"/api/v1/review-queue/{photo.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["patient_user", "admin"])
def test_the_review_queue_is_for_nurses_and_physicians(cast: Any, api: Any, who: str) -> None:
    make_photo(cast.course, cast.patient_user)
    response = api(cast.user(who)).get("/api/v1/review-queue/")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert "results" not in response.json()


# --- Photos of a course side by side ------------------------------------------------------------
def test_photos_of_a_course_come_in_taken_at_order_each_with_its_latest_review(
        cast: Any, api: Any) -> None:
    now = timezone.now()
    second = make_photo(cast.course, cast.patient_user, hours_ago=24)
    first = make_photo(cast.course, cast.patient_user, hours_ago=48)
    third = make_photo(cast.course, cast.patient_user, hours_ago=2)
    unreviewed = make_photo(cast.course, cast.patient_user, hours_ago=1)
    other_course = make_course(cast.patient, cast.physician)
    make_photo(other_course, cast.patient_user, hours_ago=30)
    with time_machine.travel(now - dt.timedelta(hours=20), tick=False):
        review(first, cast.nurse, length_cm=Decimal("3.0"))
        stale = review(second, cast.nurse, length_cm=Decimal("2.0"))
    with time_machine.travel(now - dt.timedelta(hours=1), tick=False):
        latest = review(second, cast.physician, length_cm=Decimal("1.5"))
    with time_machine.travel(now - dt.timedelta(hours=10), tick=False):
        only = review(third, cast.nurse, length_cm=Decimal("1.0"))

    for who in ("nurse", "patient_user"):
        response = api(cast.user(who)).get(
            f"/api/v1/photos/?course={cast.course.pk}&ordering=taken_at")
        assert response.status_code == 200
        results = response.json()["results"]
        assert [p["id"] for p in results] == [str(p.pk) for p in (first, second, third, unreviewed)]
        latest_ids = [p["latest_review"] and p["latest_review"]["id"] for p in results]
        first_review = Review.objects.get(photo=first).pk
        assert latest_ids == [str(first_review), str(latest.pk), str(only.pk), None]
        assert [r["id"] for r in results[1]["reviews"]] == [str(latest.pk), str(stale.pk)]
        assert results[1]["latest_review"]["length_cm"] == 1.5

    descending = api(cast.nurse).get(f"/api/v1/photos/?course={cast.course.pk}&ordering=-taken_at")
    assert [p["id"] for p in descending.json()["results"]] == [
        str(p.pk) for p in (unreviewed, third, second, first)]
    assert api(cast.other_nurse).get(f"/api/v1/photos/?course={cast.course.pk}").json()["count"] == 0


def test_listing_a_courses_photos_costs_the_same_queries_for_1_and_20_photos(
        cast: Any, api: Any, django_assert_num_queries: Any) -> None:
    client = api(cast.nurse)
    url = f"/api/v1/photos/?course={cast.course.pk}&ordering=taken_at"

    def add_photos(count: int, start: int) -> None:
        for index in range(count):
            photo = make_photo(cast.course, cast.patient_user, hours_ago=200 - start - index)
            review(photo, cast.nurse)
            review(photo, cast.physician, exudate="light")

    add_photos(1, 0)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()["results"]) == 1
    add_photos(19, 1)
    with django_assert_num_queries(len(one.captured_queries)):
        results = client.get(url).json()["results"]
    assert len(results) == 20 and all(len(p["reviews"]) == 2 for p in results)


def test_a_photos_reviews_are_listed_newest_first_and_paginated(cast: Any, api: Any) -> None:
    photo = make_photo(cast.course, cast.patient_user)
    first = review(photo, cast.nurse, length_cm=Decimal("2.0"))
    second = review(photo, cast.physician, length_cm=Decimal("1.5"))
    Review.objects.filter(pk=first.pk).update(created_at=second.created_at - dt.timedelta(hours=1))
    body = api(cast.patient_user).get(f"/api/v1/photos/{photo.pk}/reviews/?page_size=1").json()
    assert body["count"] == 2 and body["next"]
    assert [r["id"] for r in body["results"]] == [str(second.pk)]
    assert api(cast.other_nurse).get(f"/api/v1/photos/{photo.pk}/reviews/").status_code == 404
