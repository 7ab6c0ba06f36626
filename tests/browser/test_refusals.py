"""The refusals the API really answers, each said in English and Spanish by the PWA's own words
(i18n.js REFUSALS, keyed by status and field): the server's sentences are asked of the running
server here, so that a service that rewords a refusal is caught instead of falling back quietly
to English."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from tests.browser.conftest import TIMEZONE, People, sign_in
from tests.conftest import PASSWORD
from tracker import clock

pytestmark = pytest.mark.browser

ZONE = ZoneInfo(TIMEZONE)


def client_for(username: str) -> APIClient:
    answer = APIClient().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD},
                              format="json")
    assert answer.status_code == 200, answer.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")
    return client


def refused(response: Any, status: int, field: str | None) -> tuple[int, str | None, str]:
    """(status, field, the server's sentence) of a refusal, as the PWA reads it."""
    assert response.status_code == status, response.content
    body = response.json()
    sentence = " ".join(body["errors"][field]) if field else body["detail"]
    return status, field, sentence


def collect(people: People) -> dict[str, tuple[int, str | None, str]]:
    helen, nurse, physician = (client_for(name) for name in ("helen", "nurse", "physician"))
    course = str(people.course.pk)
    now = dt.datetime.now(ZONE)

    def apply(**body: Any) -> Any:
        return helen.post("/api/v1/applications/", {"id": str(uuid.uuid4()), "course": course,
                                                    "status": "applied", **body}, format="json")

    found = {
        "phone": refused(nurse.patch(f"/api/v1/patients/{people.patient.pk}/",
                                     {"care_team_phone": "call the desk"}, format="json"),
                         400, "care_team_phone"),
        "future": refused(apply(applied_at=(now + dt.timedelta(hours=2)).isoformat()), 400, "applied_at"),
        "before": refused(apply(applied_at=(now - dt.timedelta(days=40)).isoformat()), 400, "applied_at"),
        "skip": refused(apply(applied_at=now.isoformat(), status="skipped", skip_reason=""),
                        400, "skip_reason"),
    }
    assert apply(applied_at=now.isoformat()).status_code == 201
    found["contradiction"] = refused(apply(applied_at=now.isoformat(), status="skipped",
                                           skip_reason="Away from home"), 409, "applied_at")
    start = clock.today_in(TIMEZONE).isoformat()
    found["in_force"] = refused(physician.post("/api/v1/courses/", {
        "id": str(uuid.uuid4()), "patient": str(people.patient.pk), "medication": "Sodium thiosulfate",
        "concentration_percent": "10", "vehicle": "Cream", "body_site": "Right shin",
        "applications_per_day": 1, "start_date": start, "instructions": ""}, format="json"), 409, "patient")
    found["image"] = refused(helen.post("/api/v1/photos/", {
        "id": str(uuid.uuid4()), "course": course, "taken_at": now.isoformat(),
        "image": ("photo.jpg", b"not a picture", "image/jpeg")}, format="multipart"), 400, "image")
    record = helen.get(f"/api/v1/applications/?course={course}").json()["results"][0]["id"]
    void = f"/api/v1/applications/{record}/entered-in-error/"
    assert helen.post(void, {"reason": "Undone by the patient"}, format="json").status_code == 200
    found["undone_twice"] = refused(helen.post(void, {"reason": "Again"}, format="json"), 409, None)
    return found


# What each refusal reads like, in each language (the start of the PWA's text).
WORDS = {
    "phone": ("Not a phone number", "No es un número de teléfono"),
    "future": ("That time is in the future", "Esa hora es futura"),
    "before": ("That day is before the treatment started", "Ese día es anterior al inicio"),
    "skip": ("Say why it was skipped", "Indique por qué no se aplicó"),
    "contradiction": ("That day already has a different record", "Ese día ya tiene otro registro"),
    "in_force": ("She already has a course in force", "Ya tiene un tratamiento en curso"),
    "image": ("This file could not be used as a photo", "Este archivo no sirve como foto"),
    "undone_twice": ("This record was already undone", "Este registro ya estaba deshecho"),
}

SAY = """async ([code, cases]) => {
  const i18n = await import('/static/tend/js/i18n.js');
  const before = i18n.lang();
  i18n.setLang(code, { remember: false });
  const out = {};
  for (const [name, [status, field, sentence]] of Object.entries(cases)) {
    out[name] = i18n.refusalText(status, field, sentence);
  }
  i18n.setLang(before, { remember: false });
  return out;
}"""


def test_each_refusal_the_services_answer_has_words_in_english_and_spanish(
        people: People, page: Any) -> None:
    cases = collect(people)
    assert set(cases) == set(WORDS)
    sign_in(page, "nurse")
    for index, code in enumerate(("en", "es")):
        said = page.evaluate(SAY, [code, {name: list(case) for name, case in cases.items()}])
        for name, text in said.items():
            assert text and text.startswith(WORDS[name][index]), (code, name, text, cases[name])
            assert text != cases[name][2]  # the app's words, not the server's sentence
    # A refusal the app has no words for: null, so that the server's sentence is shown instead.
    unknown = page.evaluate(SAY, ["es", {"other": [409, "course", "Something new."]}])
    assert unknown == {"other": None}
