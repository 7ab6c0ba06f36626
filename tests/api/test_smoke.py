import datetime as dt

from django.utils import timezone

from tracker.models import Application, AuditEvent


def test_a_patient_logs_an_application_and_sees_adherence(cast, api):
    client = api(cast.patient_user)
    body = {"course": str(cast.course.pk), "applied_at": timezone.now().isoformat(),
            "status": "applied"}
    response = client.post("/api/v1/applications/", body, format="json")
    assert response.status_code == 201, response.content
    assert Application.objects.count() == 1
    again = client.post("/api/v1/applications/", {**body, "id": response.json()["id"]},
                        format="json")
    assert again.status_code == 200
    adherence = client.get(f"/api/v1/courses/{cast.course.pk}/adherence/")
    assert adherence.status_code == 200, adherence.content
    assert adherence.json()["current_streak_days"] == 1
    timeline = client.get(f"/api/v1/courses/{cast.course.pk}/timeline/")
    assert timeline.json()["count"] == 1
    assert AuditEvent.objects.filter(patient=cast.patient).count() >= 3


def test_a_foreign_course_is_not_found(cast, api):
    response = api(cast.other_nurse).get(f"/api/v1/courses/{cast.course.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    event = AuditEvent.objects.get(path=f"/api/v1/courses/{cast.course.pk}/")
    assert event.outcome == "denied" and event.patient_id == cast.patient.pk


def test_future_times_are_refused(cast, api):
    future = timezone.now() + dt.timedelta(minutes=11)
    response = api(cast.patient_user).post("/api/v1/applications/", {
        "course": str(cast.course.pk), "applied_at": future.isoformat(), "status": "applied"},
        format="json")
    assert response.status_code == 400
    assert "applied_at" in response.json()["errors"]
    assert Application.objects.count() == 0
