"""The care team's patient list: each patient's active course, adherence over her last 7 local
days (today counted once logged, as everywhere: selectors/adherence.py), and open alerts; patients
with open alerts first, then the least adherent. A fixed number of queries whatever the number of
patients."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from tracker import clock
from tracker.models import (
    Alert,
    AlertStatus,
    Application,
    ApplicationStatus,
    CourseStatus,
    Patient,
    TreatmentCourse,
)
from tracker.selectors.adherence import Schedule, tally

WINDOW_DAYS = 7


@dataclass(frozen=True)
class PatientOverview:
    patient: Patient
    course_id: uuid.UUID | None
    expected_7d: int
    applied_7d: int
    adherence_7d_percent: float | None
    open_alerts: int


def patients_overview(patients: QuerySet[Patient]) -> list[PatientOverview]:
    people = list(patients.order_by("display_name"))
    ids = [p.pk for p in people]
    courses: dict[uuid.UUID, TreatmentCourse] = {}
    for active in (TreatmentCourse.objects.filter(patient_id__in=ids, status=CourseStatus.ACTIVE)
                   .prefetch_related("pauses").order_by("start_date")):
        courses[active.patient_id] = active  # the most recently started active course
    earliest = min((clock.today_in(p.timezone) for p in people), default=dt.date.today())
    counts: dict[tuple[uuid.UUID, dt.date, str], int] = defaultdict(int)
    for row in (Application.objects.filter(
            course_id__in=[c.pk for c in courses.values()], entered_in_error_at__isnull=True,
            local_date__gte=earliest - dt.timedelta(days=WINDOW_DAYS + 1))
            .values("course_id", "local_date", "status").annotate(n=Count("id")).order_by()):
        counts[(row["course_id"], row["local_date"], row["status"])] = row["n"]
    alerts = dict(
        Alert.objects.filter(patient_id__in=ids, status=AlertStatus.OPEN)
        .values_list("patient_id").annotate(n=Count("id")).order_by()
    )
    result = []
    for patient in people:
        course = courses.get(patient.pk)
        expected = applied = 0
        if course is not None:
            today = clock.today_in(patient.timezone)
            schedule = Schedule(course, list(course.pauses.all()), today)
            for offset in range(WINDOW_DAYS):
                day = today - dt.timedelta(days=offset)
                applied_on = counts[(course.pk, day, ApplicationStatus.APPLIED)]
                tallied = tally(day, expected=schedule.expected(day, applied=applied_on),
                                applied=applied_on,
                                skipped=counts[(course.pk, day, ApplicationStatus.SKIPPED)],
                                today=today)
                expected += tallied.counted
                applied += tallied.applied
        result.append(PatientOverview(
            patient=patient, course_id=course.pk if course else None, expected_7d=expected,
            applied_7d=applied,
            adherence_7d_percent=round(100 * applied / expected, 1) if expected else None,
            open_alerts=alerts.get(patient.pk, 0),
        ))
    result.sort(key=lambda o: (-o.open_alerts, o.adherence_7d_percent
                               if o.adherence_7d_percent is not None else 101.0))
    return result
