"""The patient's screens as Helen meets them: on a 390 px phone, and on a 320 px phone with her text
at 200 %, in English and in Spanish. Each check reads what is on the screen in her language (and
what reached the server), saves a screenshot in artifacts/screenshots/ and runs axe-core.

- Feedback she cannot miss: a card at the top after each save, focus moved to it, in her time; a
  full-screen "call your care team now" after fever, pus or spreading redness.
- Her care team's name and phone (a tel: link) on every patient screen.
- A real day: applied at, skipped with the reason, Undo, yesterday logged late, a 409 in words.
- Pain and itch not answered until she answers; sent as null.
- Offline: "No connection" in words, History from the phone's cache, the cache cleared at sign-out.
- Photos: the camera's EXIF time, her note, the guidance, another one; a photo opened large with the
  nurse's measurement and the reason a new one was asked.
- History: month labels, a legend, words and a symbol for each day.
- Which course the app shows, and a change of course said once.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.browser.conftest import (
    SCREENSHOTS,
    TIMEZONE,
    History,
    People,
    go,
    screenshot,
    sign_in,
    wait_for_service_worker,
)
from tests.browser.test_screens import SMALL_TARGETS, axe_problems, horizontal_overflow
from tests.conftest import make_course
from tracker import clock, queue
from tracker.models import Application, Patient, Photo, SymptomEntry, TreatmentCourse
from tracker.services import courses, photos, records

pytestmark = pytest.mark.browser

# What sticks out on the right of the window, when something does.
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1
    || el.scrollWidth > el.clientWidth + 1)
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}:`
    + ` ${Math.round(el.getBoundingClientRect().right)} ${el.scrollWidth}/${el.clientWidth}`)
  .slice(0, 12)"""

CARE_NAME = "Mercy Wound Clinic"
CARE_PHONE = "+1 303 555 0142"
TEL = "tel:+13035550142"
ZONE = ZoneInfo(TIMEZONE)
# The symbols beside each day's words in History, and the sign between a wound's two sides.
APPLIED, SKIPPED, MISSED = "\N{CHECK MARK}", "\N{EN DASH}", "\N{MIDDLE DOT}"
TIMES = "\N{MULTIPLICATION SIGN}"

# Helen's phone: a 390 px phone at her usual text size, and the narrowest phone (320 px) with her
# text at 200 % (Chromium's text-size setting: 32 px instead of 16 px, as a user sets it).
SIZES = {"390": {"viewport": {"width": 390, "height": 844}, "font": None},
         "320-200": {"viewport": {"width": 320, "height": 640}, "font": 32}}
VARIANTS = [pytest.param(lang, size, id=f"{lang}-{size}") for lang in ("en", "es") for size in SIZES]

TEXT = {
    "en": {
        "today": "Today", "feel": "How do you feel", "photo": "Photo", "history": "History",
        "reports": "Reports", "saved": "Saved at {time}", "applied_at": "Applied at {time}",
        "undone": "Undone at {time}", "skipped": "Skipped: {reason}", "reason": "No cream left",
        "once": "Once a day", "since": "since", "care": "Your care team",
        "call": f"Call {CARE_NAME}: {CARE_PHONE}", "no_phone": "phone number is not in the app",
        "call_now": "Call your care team now", "call_now_no_phone": "Call your clinic now",
        "fever": "You have a fever", "pus": "Pus from the wound",
        "no_connection": "No connection. Please try again.", "showing_saved": "No connection. Showing what",
        "last_night": "Applied last night", "yesterday": "Nothing was recorded yesterday",
        "contradiction": "That day already has a different record", "not_saved": "Not saved",
        "not_answered": "not answered", "none_yet": "Not answered yet", "answer": "Your answer: {value}",
        "no_answer": "No answer",
        "photo_sent": "Photo sent at {time}", "take_another": "Take another photo",
        "take": "Take a photo", "tips": "Good light", "taken": "Taken",
        "months": ["January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December"],
        "day_applied": "applied", "day_skipped": "skipped", "day_missed": "nothing recorded",
        "day_none": "not a treatment day", "legend": ["applied", "skipped", "nothing recorded",
                                                      "not a treatment day"],
        "measured": "The nurse's measurement", "retake": "Your nurse asked for a new photo",
        "course_changed": "Your care team changed your treatment", "paused": "Your treatment is paused",
    },
    "es": {
        "today": "Hoy", "feel": "Cómo se siente", "photo": "Foto", "history": "Historial",
        "reports": "Informes", "saved": "Guardado a las {time}", "applied_at": "Aplicado a las {time}",
        "undone": "Deshecho a las {time}", "skipped": "No aplicado: {reason}", "reason": "Sin crema",
        "once": "Una vez al día", "since": "desde", "care": "Su equipo médico",
        "call": f"Llamar a {CARE_NAME}: {CARE_PHONE}", "no_phone": "aún no está en la aplicación",
        "call_now": "Llame ahora a su equipo médico", "call_now_no_phone": "Llame ahora a su centro",
        "fever": "Tiene fiebre", "pus": "Sale pus de la herida",
        "no_connection": "Sin conexión. Inténtelo de nuevo.", "showing_saved": "Sin conexión. Se muestra",
        "last_night": "Aplicado anoche", "yesterday": "Ayer no se registró nada",
        "contradiction": "Ese día ya tiene otro registro distinto", "not_saved": "No se ha guardado",
        "not_answered": "sin responder", "none_yet": "Aún sin responder", "answer": "Su respuesta: {value}",
        "no_answer": "Sin respuesta",
        "photo_sent": "Foto enviada a las {time}", "take_another": "Hacer otra foto",
        "take": "Hacer una foto", "tips": "Buena luz", "taken": "Hecha",
        "months": ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto",
                   "Septiembre", "Octubre", "Noviembre", "Diciembre"],
        "day_applied": "aplicado", "day_skipped": "no aplicado", "day_missed": "sin registro",
        "day_none": "no es día de tratamiento", "legend": ["aplicado", "no aplicado", "sin registro",
                                                          "no es día de tratamiento"],
        "measured": "La medida de la enfermera", "retake": "Su enfermera le pide una foto nueva",
        "course_changed": "Su equipo ha cambiado su tratamiento", "paused": "Su tratamiento está en pausa",
    },
}

# Patient screens: route, heading key.
SCREENS = [("#/today", "today"), ("#/feel", "feel"), ("#/photo", "photo"), ("#/history", "history"),
           ("#/reports", "reports")]


# --- Helen's phone -----------------------------------------------------------------------------------

class Helen:
    """Helen's phone: the page, her language, its size, and what the checks share."""

    def __init__(self, page: Any, lang: str, size: str) -> None:
        self.page, self.lang, self.size = page, lang, size
        self.text = TEXT[lang]
        self.height = SIZES[size]["viewport"]["height"]
        self.cdp: Any = None

    def say(self, key: str, **values: Any) -> str:
        return self.text[key].format(**values)

    def large_text(self) -> None:
        """Her text size setting (Chromium's default font size), as a patient sets it on her phone."""
        if SIZES[self.size]["font"]:
            self.cdp = self.page.context.new_cdp_session(self.page)  # kept: its setting lasts with it
            font = SIZES[self.size]["font"]
            self.cdp.send("Page.setFontSizes", {"fontSizes": {"standard": font, "fixed": font}})

    def shot(self, name: str) -> None:
        name = f"patient-{name}-{self.lang}-{self.size}"
        if not SIZES[self.size]["font"]:
            screenshot(self.page, name)
            return
        # A full-page capture resets Chromium's text size before it draws: the page is captured
        # window by window instead, with her large text, and the windows put end to end.
        assert self.page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "36px"
        page = self.page
        was = page.evaluate("() => window.scrollY")
        total = page.evaluate("() => document.documentElement.scrollHeight")
        width = SIZES[self.size]["viewport"]["width"]
        sheet = Image.new("RGB", (width, total), "white")
        for y in range(0, total, self.height):
            at = page.evaluate("(y) => { window.scrollTo(0, y); return window.scrollY; }", y)
            frame = Image.open(io.BytesIO(page.screenshot(animations="disabled", caret="hide")))
            sheet.paste(frame, (0, at))
        page.evaluate("(y) => window.scrollTo(0, y)", was)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        sheet.save(SCREENSHOTS / f"{name}.png")

    def check(self, name: str) -> None:
        """No sideways scrolling, 44 px targets, axe, and the screenshot, for the screen as it is."""
        assert horizontal_overflow(self.page) == 0, f"{name}: {WIDE}" and self.page.evaluate(WIDE)
        assert self.page.evaluate(SMALL_TARGETS) == [], name
        assert axe_problems(self.page, name) == []
        self.shot(name)

    def go(self, route: str, heading_key: str) -> None:
        go(self.page, route, self.say(heading_key))

    def tap(self, selector: str) -> str:
        """Tap, and wait for the confirmation card that answers it (not the one before)."""
        self.page.evaluate("() => document.querySelector('#notice')?.setAttribute('data-seen', '')")
        self.page.click(selector)
        self.page.locator("#notice:not([data-seen])").wait_for()
        return self.notice_at_top()

    def notice_at_top(self) -> str:
        """The confirmation card: shown at the top of the window, focused; returns its text."""
        card = self.page.locator("#notice")
        card.wait_for()
        box = card.bounding_box()
        assert box is not None
        # At the top of the window: scrolled up to it, or, on a page too short to scroll that far,
        # right under the bar at the top of the page. First in the screen, and in full view.
        top = box["y"] < 20 or self.page.evaluate("() => document.documentElement.scrollHeight"
                                                  " - window.scrollY - window.innerHeight") < 2
        assert top and box["y"] >= 0, f"the card is not at the top of the window: {box}"
        assert box["y"] + min(box["height"], self.height / 2) <= self.height
        assert self.page.evaluate("() => document.querySelector('#main').firstElementChild.id") == "notice"
        assert self.page.evaluate("() => document.activeElement && document.activeElement.id") == "notice"
        return card.inner_text()


def now_times() -> set[str]:
    """"20:14" in Helen's time, now and a minute either side (the click and the check straddle it)."""
    now = dt.datetime.now(ZONE)
    return {(now + dt.timedelta(minutes=m)).strftime("%H:%M") for m in (-1, 0, 1)}


def says_time(text: str, template: str) -> bool:
    return any(template.format(time=time) in text for time in now_times())


@pytest.fixture
def care_team(people: People) -> People:
    Patient.objects.filter(pk=people.patient.pk).update(care_team_name=CARE_NAME, care_team_phone=CARE_PHONE)
    return people


@pytest.fixture
def quiet_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads are stored; nothing is sent to a broker (no worker runs in these tests)."""
    monkeypatch.setattr(queue, "publish", lambda *args: None)


def open_helen(new_context: Any, people: People, lang: str, size: str) -> Helen:
    """Helen signs in on her phone. Her language is her patient record's (the app follows it)."""
    if lang == "es":
        Patient.objects.filter(pk=people.patient.pk).update(language="es")
    context = new_context(viewport=SIZES[size]["viewport"])
    page = context.new_page()
    helen = Helen(page, lang, size)
    helen.large_text()
    sign_in(page, "helen")
    page.locator("#main h1", has_text=helen.say("today")).wait_for()
    assert page.evaluate("() => document.documentElement.lang") == lang
    if SIZES[size]["font"]:
        # 112.5 % of 32 px
        assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "36px"
    return helen


def denver_day(days_ago: int = 0) -> dt.date:
    return clock.today_in(TIMEZONE) - dt.timedelta(days=days_ago)


# --- 1 and 3: a real day, and feedback she cannot miss -------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_today_applied_undone_and_skipped_each_with_a_card_at_the_top(
        lang: str, size: str, care_team: People, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    # Which course, how often, the instructions: on Today.
    line = page.locator("#course-line").inner_text()
    assert "Sodium thiosulfate 10 %" in line and "Left lateral thigh" in line
    assert f"{helen.say('since')} " in line
    assert page.locator("#per-day").inner_text() == helen.say("once")
    assert page.locator("#instructions").inner_text() == "Once daily in the evening."
    assert page.locator("#apply").is_visible() and page.locator("#skip").is_visible()
    helen.check("today")

    text = helen.tap("#apply")
    assert says_time(text, helen.text["saved"]), text
    assert says_time(page.locator("#today-state").inner_text(), helen.text["applied_at"])
    assert page.locator("#apply").count() == 0 and page.locator("#skip").count() == 0
    application = Application.objects.get()
    assert (application.status, application.entered_in_error_at) == ("applied", None)
    helen.check("today-applied")

    assert says_time(helen.tap("#today-records button.undo"), helen.text["undone"])
    application.refresh_from_db()
    assert application.entered_in_error_at is not None
    assert application.entered_in_error_reason == "Undone by the patient"
    page.locator("#apply").wait_for()
    helen.check("today-undone")

    page.click("#skip")
    page.select_option("#skip-reason", index=1)
    assert says_time(helen.tap("#skip-form button[type=submit]"), helen.text["saved"])
    state = page.locator("#today-state").inner_text()
    assert helen.say("skipped", reason=helen.say("reason")) in state
    assert page.locator("#apply").count() == 0 and page.locator("#skip").count() == 0
    skipped = Application.objects.get(entered_in_error_at__isnull=True)
    assert (skipped.status, skipped.skip_reason) == ("skipped", helen.say("reason"))
    assert page.locator("#today-records button.undo").is_visible()
    helen.check("today-skipped")


@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_yesterday_with_nothing_logged_can_be_logged_late_at_21_00(
        lang: str, size: str, care_team: People, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    assert helen.say("yesterday") in page.locator("#yesterday").inner_text()
    helen.check("today-yesterday")
    text = helen.tap("#apply-yesterday")
    assert helen.say("last_night") in text and "21:00" in text
    late = Application.objects.get()
    yesterday = denver_day(1)
    assert late.local_date == yesterday
    assert late.applied_at == dt.datetime.combine(yesterday, dt.time(21), tzinfo=ZONE)
    assert page.locator("#yesterday").count() == 0
    assert page.locator("#apply").is_visible()  # today is still to do
    helen.check("today-yesterday-logged")


@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_a_contradiction_the_server_refuses_is_said_in_words_not_as_a_raw_error(
        lang: str, size: str, care_team: People, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    # Meanwhile, on her other phone, today was recorded as skipped.
    records.record_create(kind=records.APPLICATION, recorded_by=care_team.patient_user,
                          course=care_team.course, data={
                              "applied_at": dt.datetime.now(ZONE) - dt.timedelta(minutes=5),
                              "status": "skipped", "skip_reason": "Away from home"})
    text = helen.tap("#apply")
    assert page.locator("#notice").get_attribute("role") == "alert"
    # The 409 naming applied_at, said in her language (i18n.js REFUSALS), in view at the top.
    assert helen.say("not_saved") in text and helen.say("contradiction") in text
    server = "already has a skipped application"  # the server's own, English, sentence
    for raw in ("HTTP 409", "Conflict", "applied_at", "TypeError"):
        assert raw not in text
    assert Application.objects.filter(status="applied").count() == 0
    assert page.locator("#pending").is_hidden()  # not kept on the phone to fail again
    # Today now says what the server holds: the skip, with its Undo.
    assert "Away from home" in page.locator("#today-state").inner_text()
    assert page.locator("#banner").is_hidden()
    helen.check("today-conflict")
    words = page.locator("#notice .server-words")
    if lang == "en":
        # The app's own words say it all: the server's sentence is not shown as well.
        assert server not in text and words.count() == 0
        return
    # In Spanish the server's English sentence waits under "Detalles", closed, marked as English.
    assert server not in text and not words.is_visible()
    summary = page.locator("#notice details.server-details summary")
    assert summary.inner_text() == "Detalles" and summary.is_visible()
    summary.click()
    assert words.is_visible() and server in words.inner_text()
    assert words.get_attribute("lang") == "en"
    helen.check("today-conflict-details")


@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_fever_or_pus_brings_a_full_screen_call_your_care_team_card_not_a_reset_form(
        lang: str, size: str, care_team: People, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    helen.go("#/feel", "feel")
    page.check("#checkin input[name=fever][value=yes]")
    page.check("#checkin input[name=drainage][value=pus]")
    page.click("#checkin button[type=submit]")
    card = page.locator("#red-flag")
    card.wait_for()
    assert page.locator("#checkin").count() == 0  # not the form again, as if all were fine
    assert page.locator("#red-flag h1").inner_text() == helen.say("call_now")
    assert card.get_attribute("role") == "alert"
    signs = page.locator("#red-flag-signs li").all_inner_texts()
    assert signs == [helen.say("fever"), helen.say("pus")]
    call = page.locator("#call-now")
    assert call.get_attribute("href") == TEL
    assert call.inner_text().replace("\n", " ").endswith(helen.say("call"))
    box, call_box = card.bounding_box(), call.bounding_box()
    assert box is not None and call_box is not None
    assert abs(box["y"]) < 20 and box["height"] >= helen.height - 40  # the whole screen
    assert call_box["height"] >= 44
    symptom = SymptomEntry.objects.get()
    assert (symptom.fever, symptom.drainage) == (True, "pus")
    helen.check("red-flag")

    # No phone on her record: say to call the clinic, no broken link to the team; the emergency
    # number (the server's setting) is the one call button left.
    Patient.objects.filter(pk=care_team.patient.pk).update(care_team_phone="")
    go(page, "#/today", helen.say("today"))  # Today reads her record again
    helen.go("#/feel", "feel")
    page.check("#checkin input[name=redness][value=yes]")
    page.click("#checkin button[type=submit]")
    page.locator("#red-flag").wait_for()
    assert page.locator("#call-now").count() == 0
    calls = page.locator("#red-flag a[href^='tel:']")
    assert calls.count() == 1 and calls.get_attribute("id") == "call-emergency"
    assert calls.get_attribute("href") == "tel:911"
    assert helen.say("call_now_no_phone") in page.locator("#no-phone").inner_text()
    helen.check("red-flag-no-phone")


# --- 2: the care team on every screen --------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_the_care_teams_name_and_phone_are_on_every_patient_screen(
        lang: str, size: str, care_team: People, history: History, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    for route, key in SCREENS:
        helen.go(route, key)
        team = page.locator("#care-team")
        assert helen.say("care") in team.inner_text() and CARE_NAME in team.inner_text()
        link = page.locator("#care-team a#call-team")
        assert link.get_attribute("href") == TEL
        assert link.inner_text().replace("\n", " ").endswith(helen.say("call"))
        if route == "#/today":
            helen.check("care-team")  # the others are checked by their own tests
    Patient.objects.filter(pk=care_team.patient.pk).update(care_team_phone="")
    page.reload()
    page.locator("#main h1", has_text=helen.say("reports")).wait_for()
    page.locator("#care-team").wait_for()
    assert page.locator("a[href^='tel:']").count() == 0
    assert helen.say("no_phone") in page.locator("#no-phone").inner_text()


# --- 4: answers she meant -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_pain_and_itch_start_unanswered_are_chosen_on_big_buttons_and_sent_as_null_when_left(
        lang: str, size: str, care_team: People, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    helen.go("#/feel", "feel")
    for name in ("pain", "itch"):
        pressed = page.locator(f"#{name}-scale button[aria-pressed=true]")
        assert pressed.count() == 1 and pressed.get_attribute("id") == f"{name}-none"
        assert page.locator(f"#{name}-none").inner_text() == helen.say("no_answer")
        assert page.locator(f"#{name}-value").inner_text() == helen.say("none_yet")
        assert page.locator(f"#{name}-scale button.score").count() == 11
    assert page.locator("input[type=range]").count() == 0
    helen.check("feel")

    page.click("#pain-6")
    assert page.get_attribute("#pain-6", "aria-pressed") == "true"
    assert page.get_attribute("#pain-none", "aria-pressed") == "false"
    assert page.locator("#pain-value").inner_text() == helen.say("answer", value=6)
    page.click("#pain-none")  # changed her mind: no answer
    assert page.get_attribute("#pain-6", "aria-pressed") == "false"
    page.click("#pain-8")
    helen.check("feel-answered")
    text = helen.tap("#checkin button[type=submit]")
    assert says_time(text, helen.text["saved"])
    assert "8" in text and helen.say("not_answered") in text
    symptom = SymptomEntry.objects.get()
    assert (symptom.pain, symptom.itch) == (8, None)
    # A new check-in starts unanswered again.
    assert page.get_attribute("#pain-none", "aria-pressed") == "true"
    helen.check("feel-saved")


# --- 5: offline, and errors in words -------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_offline_history_shows_what_it_last_saw_and_sign_out_clears_it(
        lang: str, size: str, care_team: People, history: History, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    wait_for_service_worker(page)
    helen.go("#/history", "history")
    page.wait_for_function("() => [...document.querySelectorAll('#gallery img')]"
                           ".length === 2 && [...document.querySelectorAll('#gallery img')]"
                           ".every((img) => img.complete && img.naturalWidth > 0)")
    cells = page.locator("#calendar .day[data-date]").count()

    page.context.set_offline(True)
    page.reload()
    page.locator("#main h1", has_text=helen.say("history")).wait_for()
    page.wait_for_function("() => !document.querySelector('#main .loading')")
    assert helen.say("showing_saved") in page.locator("#offline-note").inner_text()
    assert page.locator("#calendar .day[data-date]").count() == cells
    page.wait_for_function("() => [...document.querySelectorAll('#gallery img')]"
                           ".length === 2 && [...document.querySelectorAll('#gallery img')]"
                           ".every((img) => img.complete && img.naturalWidth > 0"
                           " && img.src.startsWith('blob:'))")
    helen.check("history-offline")

    # A screen with nothing saved says "No connection" in her language, not the browser's error.
    helen.go("#/reports", "reports")
    message = page.locator("#reports-error").inner_text()
    assert message == helen.say("no_connection")
    assert "TypeError" not in page.locator("body").inner_text()
    helen.check("reports-offline")

    cached = page.evaluate(CACHE_KEYS)
    assert "history" in cached and sum(key.startswith("thumb:") for key in cached) == 2
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#logout")
    page.locator("#login").wait_for()
    assert page.evaluate(CACHE_KEYS) == []


CACHE_KEYS = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open('tend');
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const db = request.result;
    const keys = db.transaction('cache', 'readonly').objectStore('cache').getAllKeys();
    keys.onsuccess = () => { db.close(); resolve(keys.result); };
  };
})"""


# --- 6: photos -----------------------------------------------------------------------------------------

def jpeg_with_capture_time(when: str, offset: str | None, *, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A phone JPEG whose EXIF says when it was taken (DateTimeOriginal, and OffsetTimeOriginal
    when given)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = when
    if offset is not None:
        sub[0x9011] = offset
    out = io.BytesIO()
    Image.new("RGB", size, (180, 120, 110)).save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_a_photo_keeps_the_cameras_time_and_her_note_and_offers_another(
        lang: str, size: str, care_team: People, quiet_queue: None, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    helen.go("#/photo", "photo")
    take = page.locator("#take-photo")
    assert helen.say("take") in take.inner_text()
    assert page.get_attribute("#photo-input", "capture") == "environment"
    assert page.get_attribute("#photo-input", "accept") == "image/*"
    box = take.bounding_box()
    assert box is not None and box["height"] >= 64 and box["width"] >= helen.page.viewport_size["width"] - 60
    assert helen.say("tips") in page.locator("#photo-tips").inner_text()
    helen.check("photo")

    taken = dt.datetime.now(ZONE).replace(microsecond=0) - dt.timedelta(hours=2)
    offset = taken.strftime("%z")
    page.set_input_files("#photo-input", files=[{
        "name": "wound.jpg", "mimeType": "image/jpeg",
        "buffer": jpeg_with_capture_time(taken.strftime("%Y:%m:%d %H:%M:%S"), f"{offset[:3]}:{offset[3:]}")}])
    page.locator("#preview").wait_for()
    assert taken.strftime("%H:%M") in page.locator("#photo-taken").inner_text()
    page.fill("#photo-note", "A little more red at the top edge.")
    page.locator("#send-photo:not([disabled])").wait_for()
    helen.check("photo-chosen")
    text = helen.tap("#send-photo")
    assert says_time(text, helen.text["photo_sent"])
    photo = Photo.objects.get()
    assert photo.taken_at == taken
    assert photo.notes == "A little more red at the top edge."
    another = page.locator("#take-another")
    assert another.inner_text() == helen.say("take_another")
    helen.check("photo-sent")
    another.click()
    page.locator("#take-photo").wait_for()
    assert page.locator("#photo-note").input_value() == ""


EXIF_CASES = """async (cases) => {
  const { captureTime } = await import('/static/tend/js/exif.js');
  const { takenAt } = await import('/static/tend/js/patient.js');
  const out = [];
  for (const bytes of cases) {
    const buffer = new Uint8Array(bytes).buffer;
    out.push({ found: captureTime(buffer), taken: (await takenAt(new Blob([buffer]))).value });
  }
  return out;
}"""


def _big_endian_exif_jpeg(when: str) -> bytes:
    """A Motorola-order (MM) TIFF block, as some cameras write it, with DateTimeOriginal only."""
    value = when.encode() + b"\x00"
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
    sub = struct.pack(">H", 1) + struct.pack(">HHII", 0x9003, 2, len(value), 44) + struct.pack(">I", 0)
    tiff = b"MM" + struct.pack(">HI", 42, 8) + ifd0 + sub + value
    app1 = b"Exif\x00\x00" + tiff
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    data = out.getvalue()
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]


def test_the_capture_time_is_read_from_exif_with_its_offset_else_in_the_phones_zone_else_now(
        care_team: People, page: Any) -> None:
    sign_in(page, "helen")
    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, "JPEG")
    future = (dt.datetime.now(ZONE) + dt.timedelta(days=2)).strftime("%Y:%m:%d %H:%M:%S")
    cases = [jpeg_with_capture_time("2025:03:09 18:02:05", "+01:00", size=(8, 8)),
             jpeg_with_capture_time("2025:07:01 07:30:00", None, size=(8, 8)),
             _big_endian_exif_jpeg("2025:01:15 12:00:00"),
             jpeg_with_capture_time("0000:00:00 00:00:00", None, size=(8, 8)),
             jpeg_with_capture_time(future, None, size=(8, 8)),
             plain.getvalue(), b"not a jpeg"]
    found = page.evaluate(EXIF_CASES, [list(case) for case in cases])
    assert found[0] == {"found": {"dateTime": "2025-03-09T18:02:05", "offset": "+01:00"},
                        "taken": "2025-03-09T18:02:05+01:00"}
    # No offset in the file: the camera's clock is the phone's, Helen's Denver (summer time in July).
    assert found[1]["found"] == {"dateTime": "2025-07-01T07:30:00", "offset": None}
    assert found[1]["taken"] == "2025-07-01T07:30:00-06:00"
    assert found[2]["taken"] == "2025-01-15T12:00:00-07:00"
    for case in found[3:]:  # a zeroed date, a camera clock in the future, no EXIF, not a JPEG: now
        assert case["found"] is None or case["found"]["dateTime"].startswith(future[:4])
        taken = dt.datetime.fromisoformat(case["taken"])
        assert abs((taken - dt.datetime.now(ZONE)).total_seconds()) < 120


@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_the_gallery_opens_a_photo_large_with_the_nurses_measurement_and_why_a_new_one_was_asked(
        lang: str, size: str, care_team: People, history: History, new_context: Any) -> None:
    reviewed, waiting = history.photos
    photos.photo_retake(photo=waiting, by=care_team.nurse,
                        reason="The photo is blurred: hold the phone still.")
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    helen.go("#/history", "history")
    page.locator(f"#gallery a[data-photo='{reviewed.pk}']").click()
    page.locator("#photo-large").wait_for()
    page.wait_for_function("() => { const img = document.querySelector('#photo-large');"
                           " return img.complete && img.naturalWidth > 0; }")
    assert str(reviewed.pk) in page.get_attribute("#photo-large", "src")
    box = page.locator("#photo-large").bounding_box()
    assert box is not None and box["width"] >= helen.page.viewport_size["width"] - 60
    measure = page.locator("#measurement").inner_text()
    decimal = "," if lang == "es" else "."
    assert f"2{decimal}5 cm {TIMES} 1{decimal}5 cm" in measure
    assert f"3{decimal}75 cm²" in measure
    review = reviewed.reviews.get()
    assert f"{review.push_score} / 17" in measure
    assert helen.say("measured") in page.locator("#main").inner_text()
    helen.check("photo-large")

    page.click("#back-to-history")
    page.locator(f"#gallery a[data-photo='{waiting.pk}']").click()
    page.locator("#retake").wait_for()
    retake = page.locator("#retake").inner_text()
    assert helen.say("retake") in retake and "The photo is blurred: hold the phone still." in retake
    assert page.get_attribute("#retake-now", "href") == "#/photo"
    helen.check("photo-retake")
    # The Photo screen says it too.
    page.click("#retake-now")
    page.locator("#take-photo").wait_for()
    assert "The photo is blurred" in page.locator("#retake").inner_text()


# --- 7: history in words -------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_history_has_month_labels_a_legend_and_a_word_and_symbol_for_each_day(
        lang: str, size: str, care_team: People, history: History, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    helen.go("#/history", "history")
    months = page.locator("#calendar .month h3").all_inner_texts()
    start, today = denver_day(10), denver_day(0)
    expected_months = sorted({(d.year, d.month) for d in (start, today)})
    assert months == [f"{helen.text['months'][m - 1]}{' de ' if lang == 'es' else ' '}{y}"
                      for y, m in expected_months]
    legend = [text.strip(f" \n{APPLIED}{SKIPPED}{MISSED}")
              for text in page.locator("#legend li").all_inner_texts()]
    assert legend == helen.text["legend"]

    def day(days_ago: int) -> tuple[str, str]:
        cell = page.locator(f"#calendar .day[data-date='{denver_day(days_ago).isoformat()}']")
        return cell.get_attribute("aria-label").split(": ", 1)[1], cell.locator(".sym").inner_text()

    assert day(1) == (helen.say("day_applied"), APPLIED)
    assert day(6) == (helen.say("day_skipped"), SKIPPED)
    assert day(4) == (helen.say("day_missed"), MISSED)
    assert page.locator("#calendar .day[data-date]").first.get_attribute("data-date") == start.isoformat()
    helen.check("history")


# --- 8: which course, and never a silent switch ------------------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_a_new_course_is_announced_once_and_a_paused_one_offers_nothing_to_record(
        lang: str, size: str, care_team: People, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    assert page.locator("#course-changed").count() == 0  # the first course she sees is just shown
    new, _ = courses.course_create(
        patient=care_team.patient, prescribed_by=care_team.physician, data={
            "medication": "Sodium thiosulfate", "concentration_percent": Decimal("25"),
            "vehicle": "Zinc oxide paste", "body_site": "Right shin",
            "applications_per_day": 2, "start_date": denver_day(0), "end_date": None,
            "instructions": "Morning and evening, a thin layer."},
        previous=care_team.course, previous_status="completed")
    page.reload()
    page.locator("#main h1", has_text=helen.say("today")).wait_for()
    changed = page.locator("#course-changed").inner_text()
    assert helen.say("course_changed") in changed and "25 %" in changed and "Right shin" in changed
    assert "Right shin" in page.locator("#course-line").inner_text()
    assert page.locator("#per-day").inner_text() == ("Twice a day" if lang == "en" else "Dos veces al día")
    helen.check("today-course-changed")
    page.click("#course-seen")
    page.reload()
    page.locator("#main h1", has_text=helen.say("today")).wait_for()
    assert page.locator("#course-changed").count() == 0

    courses.course_update(course=new, changed_by=care_team.physician, changes={"status": "paused"})
    page.reload()
    page.locator("#main h1", has_text=helen.say("today")).wait_for()
    assert helen.say("paused") in page.locator("#today-state").inner_text()
    assert page.locator("#apply").count() == 0 and page.locator("#skip").count() == 0
    assert TreatmentCourse.objects.get(pk=new.pk).status == "paused"
    helen.check("today-paused")


def test_an_undo_made_offline_waits_on_the_phone_and_voids_the_record_when_back_online(
        care_team: People, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, "en", "390")
    page = helen.page
    wait_for_service_worker(page)
    helen.tap("#apply")
    application = Application.objects.get()
    page.context.set_offline(True)
    text = helen.tap("#today-records button.undo")
    assert says_time(text, helen.text["undone"]) and "sent when you are back online" in text
    page.locator("#pending", has_text="1 waiting to send").wait_for()
    page.locator("#apply").wait_for()  # the day is open again on the phone
    application.refresh_from_db()
    assert application.entered_in_error_at is None
    # Applied again, still offline: the new record waits behind the undo.
    helen.tap("#apply")
    page.locator("#pending", has_text="2 waiting to send").wait_for()
    page.context.set_offline(False)
    page.locator("#pending").wait_for(state="hidden")
    application.refresh_from_db()
    assert application.entered_in_error_reason == "Undone by the patient"
    assert Application.objects.filter(entered_in_error_at__isnull=True, status="applied").count() == 1
    helen.go("#/today", "today")
    assert says_time(page.locator("#today-state").inner_text(), helen.text["applied_at"])
    assert page.locator("#today-records li").count() == 1


# --- The emergency number, from the server's settings ------------------------------------------------

EMERGENCY = {"en": ("911", "If you feel very unwell, or cannot reach your care team:",
                    "Call emergency services: 911"),
             "es": ("112", "Si se encuentra muy mal, o no consigue hablar con su equipo:",
                    "Llamar a emergencias: 112")}


@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_the_call_now_card_offers_the_emergency_number_of_the_settings_as_a_call_button(
        lang: str, size: str, care_team: People, new_context: Any, settings: Any) -> None:
    number, intro, label = EMERGENCY[lang]
    settings.TEND_EMERGENCY_NUMBER = number  # the page is written with it (frontend/views.py)
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    assert page.get_attribute("body", "data-emergency-number") == number
    helen.go("#/feel", "feel")
    page.check("#checkin input[name=fever][value=yes]")
    page.click("#checkin button[type=submit]")
    page.locator("#red-flag").wait_for()
    # First her team's number, then the emergency number, with the words around it in her language.
    team, emergency = page.locator("#call-now"), page.locator("#call-emergency")
    assert team.get_attribute("href") == TEL
    assert emergency.get_attribute("href") == f"tel:{number}"
    assert emergency.inner_text().replace("\n", " ").strip().endswith(label)
    assert page.locator("#emergency-intro").inner_text() == intro
    team_box, box = team.bounding_box(), emergency.bounding_box()
    assert team_box is not None and box is not None
    assert box["y"] > team_box["y"] and box["height"] >= 44
    # In view: on the first screen of a 390 px phone; at 200 % text, a short scroll down the card.
    if size == "390":
        assert box["y"] + box["height"] <= helen.height
    else:
        emergency.scroll_into_view_if_needed()
        box = emergency.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= helen.height
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    helen.check("red-flag-emergency")
    # Every screen's care team card names the number too, in words.
    go(page, "#/today", helen.say("today"))
    assert f"({number})" in page.locator("#care-team .hint").inner_text()


# --- Refusals in her words -------------------------------------------------------------------------------

REFUSED_PHOTO = {"en": "This file could not be used as a photo. Take the photo again, or choose another one.",
                 "es": "Este archivo no sirve como foto. Haga la foto de nuevo o elija otra."}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_file_the_server_refuses_as_a_photo_is_said_in_her_language(
        lang: str, care_team: People, quiet_queue: None, new_context: Any) -> None:
    helen = open_helen(new_context, care_team, lang, "390")
    page = helen.page
    helen.go("#/photo", "photo")
    page.set_input_files("#photo-input", files=[{
        "name": "wound.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all"}])
    page.locator("#send-photo:not([disabled])").click()
    refusal = page.locator("#photo-status .refusal")
    refusal.wait_for()
    assert refusal.inner_text() == REFUSED_PHOTO[lang]
    server = page.locator("#photo-status .server-words")
    assert server.count() == (1 if lang == "es" else 0)  # under "Detalles" in Spanish only
    if lang == "es":
        assert not server.is_visible() and server.get_attribute("lang") == "en"
    refusal.scroll_into_view_if_needed()
    box = refusal.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= helen.height
    assert Photo.objects.count() == 0
    helen.check("photo-refused")


# --- Twice a day -------------------------------------------------------------------------------------------

TWICE = {
    "en": {"twice": "Twice a day", "one": "1 of 2 applied today.", "partial": "1 of 2 applied",
           "both": "All 2 done for today. Well done.", "legend": "some applied, not all"},
    "es": {"twice": "Dos veces al día", "one": "Hoy: 1 de 2 aplicadas.", "partial": "1 de 2 aplicadas",
           "both": "Las 2 de hoy hechas. Muy bien.", "legend": "alguna aplicada, no todas"},
}


@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_twice_a_day_today_counts_1_of_2_then_shows_both_times_and_history_is_whole_only_with_both(
        lang: str, size: str, care_team: People, new_context: Any) -> None:
    words = TWICE[lang]
    course = make_course(care_team.patient, care_team.physician, days_ago=3, per_day=2)
    helen_user = care_team.patient_user

    def applied(days_ago: int, hour: int) -> None:
        at = dt.datetime.combine(denver_day(days_ago), dt.time(hour), tzinfo=ZONE)
        records.record_create(kind=records.APPLICATION, recorded_by=helen_user, course=course,
                              data={"applied_at": at, "status": "applied"})

    applied(2, 8)
    applied(2, 20)  # two days ago: both
    applied(1, 8)  # yesterday: the morning one only
    helen = open_helen(new_context, care_team, lang, size)
    page = helen.page
    assert page.locator("#per-day").inner_text() == words["twice"]
    assert page.locator("#today-records").count() == 0

    text = helen.tap("#apply")
    assert says_time(text, helen.text["saved"])
    state = page.locator("#today-state")
    assert state.locator(".state-text").inner_text() == words["one"]
    assert page.locator("#today-records li").count() == 1
    # The second of the day is still offered, and in view below the state.
    page.locator("#apply").scroll_into_view_if_needed()
    assert page.locator("#apply").is_visible() and page.locator("#skip").is_visible()
    box = page.locator("#apply").bounding_box()
    assert box is not None and box["y"] + box["height"] <= helen.height
    helen.check("today-twice-one")

    helen.tap("#apply")
    assert state.locator(".state-text").inner_text() == words["both"]
    rows = page.locator("#today-records li")
    assert rows.count() == 2
    for i in range(2):  # each at its time, with its Undo, each in view when scrolled to
        row = rows.nth(i)
        assert says_time(row.inner_text(), helen.text["applied_at"])
        undo = row.locator("button.undo")
        undo.scroll_into_view_if_needed()
        box = undo.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= helen.height
    assert page.locator("#apply").count() == 0 and page.locator("#skip").count() == 0
    assert Application.objects.filter(course=course, local_date=denver_day(0)).count() == 2
    helen.check("today-twice-both")

    helen.go("#/history", "history")

    def day(days_ago: int) -> str:
        cell = page.locator(f"#calendar .day[data-date='{denver_day(days_ago).isoformat()}']")
        return cell.get_attribute("aria-label").split(": ", 1)[1]

    assert day(0) == helen.say("day_applied")  # both today
    assert day(2) == helen.say("day_applied")
    assert day(1) == words["partial"]  # one of two: not a whole day
    assert day(3) == helen.say("day_missed")
    legend = page.locator("#legend").inner_text()
    assert words["legend"] in legend
    helen.check("history-twice")
