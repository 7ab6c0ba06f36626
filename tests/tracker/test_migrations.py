"""Data migrations do to existing rows what the code now does to new ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = ("tracker", "0004_reports"), ("tracker", "0005_photo_reviewed_at")
AT = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def migrate(target: tuple[str, str]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_photos_reviewed_before_0005_get_the_time_of_their_first_review() -> None:
    apps = migrate(BEFORE)
    try:
        User, Patient = apps.get_model("tracker", "User"), apps.get_model("tracker", "Patient")
        Course, Photo = apps.get_model("tracker", "TreatmentCourse"), apps.get_model("tracker", "Photo")
        Review = apps.get_model("tracker", "Review")
        nurse = User.objects.create(username="m.nurse", role="nurse")
        patient = Patient.objects.create(user=User.objects.create(username="m.patient", role="patient"),
                                         display_name="M", birth_year=1945, timezone="Europe/Paris",
                                         created_by=nurse)
        course = Course.objects.create(patient=patient, prescribed_by=nurse, start_date=AT.date(),
                                       applications_per_day=1, status="active",
                                       medication="Sodium thiosulfate", concentration_percent=10)

        def photo(hours: int) -> Any:
            return Photo.objects.create(course=course, patient=patient, recorded_by=nurse,
                                        local_date=AT.date(), taken_at=AT + dt.timedelta(hours=hours),
                                        status="ready", upload_format="JPEG", upload_bytes=1)

        def review(of: Any, hours: int) -> None:
            Review.objects.create(photo=of, course=course, patient=patient, reviewer=nurse,
                                  created_at=AT + dt.timedelta(hours=hours), length_cm=1,
                                  width_cm=1, area_cm2=1, exudate="none",
                                  tissue_type="epithelial", push_score=3)

        twice, once, never = photo(1), photo(2), photo(3)
        review(twice, 9), review(twice, 5), review(once, 7)

        apps = migrate(AFTER)
        Photo = apps.get_model("tracker", "Photo")
        reviewed = dict(Photo.objects.values_list("pk", "reviewed_at"))
        assert reviewed == {twice.pk: AT + dt.timedelta(hours=5), once.pk: AT + dt.timedelta(hours=7),
                            never.pk: None}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("tracker")[0])


@pytest.mark.django_db(transaction=True)
def test_alerts_opened_before_0010_count_as_told_so_no_one_is_paged_months_late() -> None:
    apps = migrate(("tracker", "0009_caregivers_reminders_push"))
    try:
        User, Patient = apps.get_model("tracker", "User"), apps.get_model("tracker", "Patient")
        Course, Alert = apps.get_model("tracker", "TreatmentCourse"), apps.get_model("tracker", "Alert")
        nurse = User.objects.create(username="m.nurse", role="nurse")
        patient = Patient.objects.create(display_name="M", birth_year=1945,
                                         timezone="Europe/Paris", created_by=nurse)
        course = Course.objects.create(patient=patient, prescribed_by=nurse, start_date=AT.date(),
                                       applications_per_day=1, status="active",
                                       medication="Sodium thiosulfate", concentration_percent=10)
        old = Alert.objects.create(course=course, patient=patient, kind="no_log", severity="medium",
                                   detail="Nothing logged.", created_at=AT)

        apps = migrate(("tracker", "0010_reminder_copies_unchecked_alerts_notified"))
        Alert = apps.get_model("tracker", "Alert")
        assert Alert.objects.get(pk=old.pk).notified_at == AT
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("tracker")[0])
