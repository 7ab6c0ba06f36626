"""The warning signs and the alert kinds are defined once (models.WarningSign, models.AlertKind):
the alert rule, the timeline, the report and the PWA's answers all read the same list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.tracker.test_reports import pdf_text, render, stored_pdf
from tracker.models import Alert, AlertKind, WarningSign
from tracker.reports import i18n
from tracker.selectors.timeline import CourseTimeline
from tracker.services import records

pytestmark = pytest.mark.django_db

SIGNS = {  # what the patient answers, and the sign it is
    WarningSign.FEVER: {"fever": True},
    WarningSign.PUS: {"drainage": "pus"},
    WarningSign.SPREADING_REDNESS: {"redness_spreading": True},
}


def _entry(cast: Any, **answers: Any) -> Any:
    record, _ = records.record_create(kind=records.SYMPTOM, recorded_by=cast.patient_user,
                                      course=cast.course, data={
                                          "recorded_at": timezone.now() - dt.timedelta(minutes=5),
                                          "pain": 2, "itch": 1, **answers})
    return record


def test_every_sign_has_a_line_in_each_report_language() -> None:
    for language, text in i18n.TEXT.items():
        missing = [sign.value for sign in WarningSign if not text.get(sign.value)]
        assert not missing, (language, missing)


@pytest.mark.parametrize("sign", list(WarningSign))
def test_each_sign_opens_the_alert_and_shows_on_the_timeline(cast: Any, sign: WarningSign) -> None:
    entry = _entry(cast, **SIGNS[sign])

    assert entry.warning_signs() == [sign]
    alert = Alert.objects.get(course=cast.course, kind=AlertKind.SYMPTOM_RED_FLAG)
    assert sign.label in alert.detail
    line = CourseTimeline(cast.course)[0:1][0]
    assert line.type == "symptom" and line.summary.endswith(f"; {sign.label}")


def test_an_entry_without_a_sign_opens_nothing_and_lists_none(cast: Any) -> None:
    entry = _entry(cast, drainage="cloudy")

    assert entry.warning_signs() == []
    assert not Alert.objects.filter(kind=AlertKind.SYMPTOM_RED_FLAG).exists()
    assert ";" not in CourseTimeline(cast.course)[0:1][0].summary


def test_the_report_prints_every_sign_in_the_patients_words(cast: Any) -> None:
    _entry(cast, fever=True, drainage="pus", redness_spreading=True)

    text = " ".join(pdf_text(stored_pdf(render(cast.course, cast.physician))).split())

    assert "fever, pus, spreading redness" in text


def test_every_kind_an_alert_is_stored_with_is_a_declared_kind(cast: Any) -> None:
    _entry(cast, fever=True, pain=9)
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert kinds and kinds <= set(AlertKind.values)
