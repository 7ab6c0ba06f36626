"""tracker.access: the scoping of one course's records agrees with the scoping by patient."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tracker import access
from tracker.models import Application
from tracker.services import records

WHO = ["admin", "physician", "nurse", "other_physician", "other_nurse", "patient_user",
       "other_patient_user"]


@pytest.fixture
def logged(cast: Any) -> None:
    for course, by in ((cast.course, cast.patient_user), (cast.other_course, cast.other_patient_user)):
        for hours in (3, 2, 1):
            records.record_create(kind=records.APPLICATION, recorded_by=by, course=course, data={
                "applied_at": timezone.now() - dt.timedelta(hours=hours), "status": "applied"})


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("which", ["course", "other_course"])
def test_a_course_scope_holds_what_the_patient_scope_holds_for_that_course(
        cast: Any, logged: Any, who: str, which: str) -> None:
    user, course = cast.user(who), getattr(cast, which)
    by_patient = access.scope_to_patients(user, Application.objects.all()).filter(course=course)
    by_course = access.scope_to_course(user, Application.objects.all(), course.pk)
    assert set(by_course) == set(by_patient)
    mine = {"course": {"physician", "nurse", "patient_user"},
            "other_course": {"other_physician", "other_nurse", "other_patient_user"}}[which]
    assert by_course.count() == (3 if who in mine else 0)


def test_an_inactive_user_sees_no_course(cast: Any, logged: Any) -> None:
    cast.nurse.is_active = False
    assert not access.scope_to_course(cast.nurse, Application.objects.all(), cast.course.pk).exists()


def test_a_page_of_one_course_is_read_off_its_time_index(cast: Any, logged: Any) -> None:
    """The care-team check is a semi-join on the one course, not a filter on every record."""
    page = access.scope_to_course(cast.nurse, Application.objects.all(), cast.course.pk)
    sql, params = page.order_by("-applied_at")[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "app_course_time" in plan and "Sort" not in plan.split("->")[0], plan
