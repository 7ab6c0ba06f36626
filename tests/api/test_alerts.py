"""Alerts a worrying wound review opens, for the care team (issue 3, point 6)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PROBLEM, make_photo
from tracker.models import Alert, AlertStatus, TreatmentCourse

REVIEW = {"length_cm": "2.0", "width_cm": "1.5", "exudate": "moderate", "tissue_type": "slough"}
# Alerts opened by a review's flags; other rules (the healing checkpoint) are not this file's.
REVIEW_KINDS = ("review_infection", "review_flagged")


@pytest.fixture
def reviewed(cast: Any, api: Any) -> Any:
    """reviewed(by=nurse, **flags) -> the review, posted through the API on a new ready photo."""

    def make(by: Any = None, course: TreatmentCourse | None = None, **flags: Any) -> dict[str, Any]:
        course = course or cast.course
        photo = make_photo(course, course.patient.user)
        response = api(by or cast.nurse).post(f"/api/v1/photos/{photo.pk}/reviews/",
                                              {**REVIEW, **flags}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return make


def review_alerts() -> Any:
    return Alert.objects.filter(kind__in=REVIEW_KINDS)


def open_alerts(client: Any) -> Any:
    return client.get("/api/v1/alerts/?status=open")


def review_kinds(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return [a for a in response.json()["results"] if a["kind"] in REVIEW_KINDS]


@pytest.mark.parametrize(("flags", "kinds"), [
    ({"signs_of_infection": True}, {("review_infection", "high")}),
    ({"flag_for_physician": True}, {("review_flagged", "medium")}),
    ({"signs_of_infection": True, "flag_for_physician": True},
     {("review_infection", "high"), ("review_flagged", "medium")}),
    ({}, set()),
    ({"signs_of_infection": False, "flag_for_physician": False}, set()),
])
def test_a_worrying_review_opens_an_alert_for_the_course(
        cast: Any, api: Any, reviewed: Any, flags: dict[str, bool], kinds: set[tuple[str, str]]
        ) -> None:
    review = reviewed(**flags)
    assert {(a.kind, a.severity) for a in Alert.objects.all()} == kinds
    results = review_kinds(open_alerts(api(cast.physician)))
    assert {(a["kind"], a["severity"]) for a in results} == kinds
    for alert in results:
        assert alert["course"] == str(cast.course.pk) and alert["status"] == "open"
        assert alert["detail"] and alert["created_at"].endswith("Z")
        assert alert["source_type"] == "review" and alert["source_id"] == review["id"]


def test_no_second_alert_while_one_of_the_same_kind_is_open(
        cast: Any, api: Any, reviewed: Any) -> None:
    reviewed(signs_of_infection=True)
    reviewed(signs_of_infection=True, by=cast.physician)
    reviewed(flag_for_physician=True)
    reviewed(flag_for_physician=True, signs_of_infection=True)
    assert sorted(review_alerts().values_list("kind", flat=True)) == [
        "review_flagged", "review_infection"]
    assert len(review_kinds(open_alerts(api(cast.nurse)))) == 2


def test_after_acknowledgement_a_new_worrying_review_opens_a_new_alert(
        cast: Any, api: Any, reviewed: Any) -> None:
    reviewed(signs_of_infection=True)
    alert = review_alerts().get()
    response = api(cast.nurse).post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged" and body["acknowledged_by"] == str(cast.nurse.pk)
    assert body["acknowledged_at"] is not None
    assert review_kinds(open_alerts(api(cast.nurse))) == []

    reviewed(signs_of_infection=True)
    assert review_alerts().count() == 2
    fresh = review_kinds(open_alerts(api(cast.nurse)))
    assert len(fresh) == 1 and fresh[0]["id"] != str(alert.pk)
    assert fresh[0]["kind"] == "review_infection"
    acknowledged = review_kinds(api(cast.nurse).get("/api/v1/alerts/?status=acknowledged"))
    assert [a["id"] for a in acknowledged] == [str(alert.pk)]


def test_acknowledging_twice_keeps_the_first_acknowledgement(
        cast: Any, api: Any, reviewed: Any) -> None:
    reviewed(flag_for_physician=True)
    alert = review_alerts().get()
    first = api(cast.nurse).post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    second = api(cast.physician).post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert first.status_code == second.status_code == 200
    assert second.json()["acknowledged_by"] == str(cast.nurse.pk)
    assert second.json()["acknowledged_at"] == first.json()["acknowledged_at"]


@pytest.mark.parametrize("who", ["patient_user", "other_patient_user", "admin"])
def test_alerts_are_for_staff_only(cast: Any, api: Any, reviewed: Any, who: str) -> None:
    reviewed(signs_of_infection=True)
    alert = review_alerts().get()
    client = api(cast.user(who))
    listing = open_alerts(client)
    assert listing.status_code == 403 and listing["Content-Type"] == PROBLEM
    assert "results" not in listing.json()
    assert client.get(f"/api/v1/alerts/{alert.pk}/").status_code == 403
    acknowledge = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert acknowledge.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_alerts_are_scoped_to_the_care_team(cast: Any, api: Any, reviewed: Any) -> None:
    reviewed(signs_of_infection=True)
    reviewed(signs_of_infection=True, by=cast.other_nurse, course=cast.other_course)
    helen = review_alerts().get(course=cast.course)
    rosa = review_alerts().get(course=cast.other_course)

    assert [a["id"] for a in open_alerts(api(cast.nurse)).json()["results"]] == [str(helen.pk)]
    assert [a["id"] for a in open_alerts(api(cast.other_nurse)).json()["results"]] == [str(rosa.pk)]
    assert api(cast.other_physician).get(f"/api/v1/alerts/{helen.pk}/").status_code == 404

    denied = api(cast.other_nurse).post(f"/api/v1/alerts/{helen.pk}/acknowledge/")
    assert denied.status_code == 404 and denied["Content-Type"] == PROBLEM
    helen.refresh_from_db()
    assert helen.status == AlertStatus.OPEN and helen.acknowledged_by is None


def test_another_nurse_sees_no_alerts_of_patients_not_in_her_care(
        cast: Any, api: Any, reviewed: Any) -> None:
    reviewed(signs_of_infection=True, flag_for_physician=True)
    response = open_alerts(api(cast.other_nurse))
    assert response.status_code == 200 and response.json()["count"] == 0
    assert len(review_kinds(open_alerts(api(cast.physician)))) == 2


@pytest.mark.parametrize("alert_id", ["5b1b1e3e-8f0c-4f3b-9a8e-2f6f4b7c9d10", "not-an-id"])
def test_acknowledging_an_alert_that_does_not_exist_is_not_found(
        cast: Any, api: Any, reviewed: Any, alert_id: str) -> None:
    response = api(cast.nurse).post(f"/api/v1/alerts/{alert_id}/acknowledge/")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert not Alert.objects.exclude(status=AlertStatus.OPEN).exists()


@pytest.mark.parametrize(("query", "field"), [({"status": "bogus"}, "status"),
                                              ({"course": "x"}, "course"),
                                              ({"patient": "x"}, "patient")])
def test_a_bad_filter_on_the_alerts_is_refused_naming_it(
        cast: Any, api: Any, query: dict[str, str], field: str) -> None:
    response = api(cast.nurse).get("/api/v1/alerts/", query)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]
