"""The nurse's and the physician's screens: the review workstation, the clinical patient page and
the triaged alerts, at tablet size and phone size, in English and Spanish; and what everyone meets
(the language button's name, a sign-in page without console errors).

Screenshots go to artifacts/screenshots/staff-*.png; axe-core checks each new screen.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from tests import images
from tests.browser.conftest import PHONE, SCREENSHOTS, History, People, _evening, go, screenshot, sign_in
from tests.browser.test_screens import SMALL_TARGETS, axe_problems, horizontal_overflow
from tracker import clock, queue
from tracker.models import Alert, AlertKind, Patient, Photo, Review, TreatmentCourse
from tracker.services import photos, records, reviews
from tracker.services.alerts import alert_raise

pytestmark = pytest.mark.browser

TABLET = {"width": 820, "height": 1180}
SIZES = {"tablet": TABLET, "phone": PHONE}
TIMES = "\u00d7"  # the multiplication sign between length and width
NOTE = "It itched more this week, and the edge looks whiter."

# What the tests read on screen, per language.
TEXT = {
    "en": {
        "queue": "Review queue", "alerts": "Alerts", "previous": "Previous photo", "choose": "Choose…",
        "was": f"2.5 {TIMES} 1.5 cm · 3.75 cm² · PUSH score 9 / 17", "retake": "Ask for a retake",
        "blurry": "Blurry", "send": "Send the request", "asked": "Helen Mercer was asked for a new photo",
        "width_error": "A wound with a length has a width", "area_error": "An area of 0 is a closed wound",
        "big": "A big change.", "anyway": "Save anyway", "check": "Check the measurement",
        "edit": "Edit the review", "correct": "Save the correction", "edited": "edited, version 2",
        "age": "years old (born 1946)", "language": "Language: English",
        "adherence": "Fair: 7 of 10 days", "not_answered": "not answered",
        "skip": "Skin too sore", "ack": "Acknowledge", "acked": "Acknowledged.",
        "fever": "Warning signs reported on {date}: fever. Contact the patient today.",
        "pain": "Pain 8/10 on {date}, 4.5 points above the mean of the previous 7 days (3.5).",
        "checkpoint": "L \u00d7 W changed by -12 %, from 6 cm² on",
        "comment": "Nurse's comment", "photo": "The photo", "checkin": "The check-in",
        "in_force": "The course in force", "completed": "End it: completed", "saved": "Saved.",
        "switch": "Español", "prescribe": "Prescribe a new course",
    },
    "es": {
        "queue": "Fotos por revisar", "alerts": "Alertas", "previous": "Foto anterior", "choose": "Elija…",
        "was": f"2,5 {TIMES} 1,5 cm · 3,75 cm² · Puntuación PUSH 9 / 17", "retake": "Pedir otra foto",
        "blurry": "Borrosa", "send": "Enviar la petición",
        "asked": "Se ha pedido una foto nueva a Helen Mercer",
        "width_error": "Una herida con largo tiene ancho", "area_error": "Un área de 0 es una herida cerrada",
        "big": "Un cambio grande.", "anyway": "Guardar de todos modos", "check": "Revisar la medida",
        "edit": "Corregir la revisión", "correct": "Guardar la corrección", "edited": "corregida, versión 2",
        "age": "años (nacida en 1946)", "language": "Idioma: inglés",
        "adherence": "Regular: 7 de 10 días", "not_answered": "sin responder",
        "skip": "Skin too sore", "ack": "Marcar como vista", "acked": "Marcada como vista.",
        "fever": "Signos de alarma el {date}: fiebre. Contacte hoy con la paciente.",
        "pain": "Dolor 8/10 el {date}, 4,5 puntos por encima de la media de los 7 días anteriores (3,5).",
        "checkpoint": "L \u00d7 A cambió un -12 %, de 6 cm² el",
        "comment": "Comentario de enfermería", "photo": "La foto", "checkin": "El registro de síntomas",
        "in_force": "El tratamiento en curso", "completed": "Terminarlo: completado", "saved": "Guardado.",
        "switch": "English", "prescribe": "Prescribir un tratamiento nuevo",
    },
}


def local_date(value: dt.date, language: str) -> str:
    """A date as the app writes it (formatDate: en-GB or es-ES, day, short month, year)."""
    months = {"en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"],
              "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"]}
    return f"{value.day} {months[language][value.month - 1]} {value.year}"


@dataclass
class Clinic:
    people: People
    history: History
    waiting: Photo
    reviewed: Photo


@pytest.fixture
def clinic(people: People, history: History) -> Clinic:
    """The history fixture, with the waiting photo's note, a check-in with pain not answered and a
    debridement."""
    reviewed, waiting = history.photos
    Photo.objects.filter(pk=waiting.pk).update(notes=NOTE)
    course = people.course
    records.record_create(kind=records.SYMPTOM, recorded_by=people.patient_user, course=course, data={
        "recorded_at": _evening(course, 3, 21), "pain": None, "itch": 4})
    records.record_create(kind=records.DEBRIDEMENT, recorded_by=people.nurse, course=course, data={
        "performed_at": _evening(course, 5, 10), "method": "sharp", "nodules_removed": 3,
        "specimen_sent": True, "notes": "Two chalky nodules at the lower edge."})
    return Clinic(people=people, history=history, waiting=waiting, reviewed=reviewed)


def open_app(new_context: Any, username: str, language: str, size: str = "phone", **options: Any) -> Any:
    page = new_context(viewport=SIZES[size], **options).new_page()
    page.add_init_script(f"localStorage.setItem('tend-language', '{language}')")
    sign_in(page, username)
    return page


def large_text(page: Any) -> Any:
    """200 % text, as the browser's own text size setting makes it: the default font size doubles
    (so rem and em media queries follow), through the DevTools protocol. Keep the session it
    returns: the setting lasts as long as the session does."""
    session = page.context.new_cdp_session(page)
    session.send("Page.enable")
    session.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    return session


def whole_page_screenshot(page: Any, name: str) -> None:
    """A whole-page PNG that keeps the DevTools font sizes (Playwright's full_page capture resets
    them): the window is made as tall as the page for the shot."""
    size = page.viewport_size
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": height})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", caret="hide")
    page.set_viewport_size(size)


def images_loaded(page: Any, selector: str) -> None:
    page.wait_for_function("(s) => [...document.querySelectorAll(s)]"
                           ".every((img) => img.complete && img.naturalWidth > 0)", arg=selector)


def assert_accessible(page: Any, name: str) -> None:
    """No serious axe violation, every target 44 px, and no stray "null" written on the screen."""
    assert not re.search(r"\bnull\b", page.locator("#main").inner_text()), name
    problems = axe_problems(page, name)
    assert problems == [], "\n".join(problems)
    small = page.evaluate(SMALL_TARGETS)
    assert small == [], f"{name}: targets under 44 x 44 px: {small}"


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


# --- 9. The review workstation -----------------------------------------------------------------------

@pytest.mark.parametrize("size", ["tablet", "phone"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_queue_card_names_her_site_and_note_beside_the_previous_photo_and_its_measurement(
        language: str, size: str, clinic: Clinic, new_context: Any) -> None:
    text = TEXT[language]
    page = open_app(new_context, "nurse", language, size)
    go(page, "#/queue", text["queue"])
    images_loaded(page, ".compare img")
    card = page.locator(".queue-card").first
    assert card.locator("h2").inner_text() == "Helen Mercer — Left lateral thigh"
    assert NOTE in card.locator(".patient-note").inner_text()
    figures = card.locator(".compare figure")
    assert figures.count() == 2
    assert str(clinic.waiting.pk) in figures.nth(0).locator("img").get_attribute("src")
    assert str(clinic.reviewed.pk) in figures.nth(1).locator("img").get_attribute("src")
    caption = figures.nth(1).locator("figcaption").inner_text()
    assert text["previous"] in caption and text["was"] in caption
    # No tissue or exudate chosen for her: both start on "Choose…", and both are required.
    for name in ("exudate", "tissue_type"):
        select = page.locator(f"#review select[name={name}]")
        assert select.input_value() == ""
        assert select.locator("option").first.inner_text() == text["choose"]
        assert select.evaluate("(s) => s.required && s.validity.valueMissing")
    current = box(page, ".queue-card .compare figure:nth-child(1)")
    previous = box(page, ".queue-card .compare figure:nth-child(2)")
    if size == "tablet":  # side by side, both in view
        assert abs(current["y"] - previous["y"]) < 2 and previous["x"] > current["x"] + current["width"] - 1
        assert previous["x"] + previous["width"] <= TABLET["width"]
    else:  # one at a time: the previous photo is a swipe away, and snaps into place
        assert previous["x"] >= PHONE["width"] - 80
        compare = page.locator(".queue-card .compare")
        assert compare.evaluate("(c) => getComputedStyle(c).scrollSnapType") == "x mandatory"
        assert page.locator(".queue-card .swipe-hint").is_visible()
        compare.evaluate("(c) => c.scrollBy({left: c.clientWidth, behavior: 'instant'})")
        page.wait_for_function(
            "() => { const f = document.querySelector('.queue-card .compare figure:nth-child(2)');"
            " const r = f.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; }")
    assert horizontal_overflow(page) == 0
    screenshot(page, f"staff-queue-{size}-{language}")
    assert_accessible(page, f"staff-queue-{size}-{language}")


def test_a_photo_opens_full_screen_and_zooms_with_the_buttons_ctrl_wheel_and_two_fingers(clinic, new_context):
    page = open_app(new_context, "nurse", "en", "phone", has_touch=True)
    go(page, "#/queue", "Review queue")
    images_loaded(page, ".compare img")
    opener = page.locator(".queue-card .compare figure").first.locator("button.photo-open")
    assert opener.get_attribute("aria-label").startswith("Full screen: This photo, Helen Mercer")
    opener.click()
    dialog = page.locator("dialog.viewer[open]")
    dialog.wait_for()
    image = dialog.locator(".zoom-image")
    assert str(clinic.waiting.pk) in image.get_attribute("src") and "/image/" in image.get_attribute("src")
    images_loaded(page, "dialog.viewer .zoom-image")
    frame = dialog.locator(".zoom-frame")
    assert frame.evaluate("(f) => getComputedStyle(f).touchAction") == "pan-x pan-y"
    width = image.evaluate("(i) => i.getBoundingClientRect().width")
    page.click("#zoom-in")
    page.click("#zoom-in")
    assert dialog.get_attribute("data-scale") == "2.25"
    assert dialog.locator(".zoom-level").inner_text() == "225 %"
    assert image.evaluate("(i) => i.getBoundingClientRect().width") == pytest.approx(width * 2.25, rel=0.02)
    assert frame.evaluate("(f) => f.scrollWidth > f.clientWidth")  # she pans a zoomed photo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # the dialog fills the window: the window only
    page.screenshot(path=str(SCREENSHOTS / "staff-viewer-zoomed-phone.png"), animations="disabled",
                    caret="hide")
    assert_accessible(page, "staff-viewer")
    page.click("#zoom-reset")
    assert dialog.get_attribute("data-scale") == "1"
    # Two fingers spreading apart to twice their distance: twice the size.
    frame.evaluate("""(f) => {
      const at = (id, x, y, type) => f.dispatchEvent(new PointerEvent(type, {pointerId: id,
        clientX: x, clientY: y, pointerType: 'touch', isPrimary: id === 1, bubbles: true}));
      at(1, 150, 300, 'pointerdown'); at(2, 200, 300, 'pointerdown');
      at(1, 125, 300, 'pointermove'); at(2, 225, 300, 'pointermove');
      at(1, 125, 300, 'pointerup'); at(2, 225, 300, 'pointerup');
    }""")
    assert float(dialog.get_attribute("data-scale")) == pytest.approx(2, rel=0.01)
    frame.dispatch_event("wheel", {"deltaY": -100, "ctrlKey": True})
    assert float(dialog.get_attribute("data-scale")) == pytest.approx(2.3, rel=0.01)
    page.keyboard.press("Escape")
    page.locator("dialog.viewer").wait_for(state="detached")
    assert page.evaluate("() => document.activeElement.classList.contains('photo-open')")


def test_one_review_form_is_open_at_a_time_keeps_what_she_typed_and_the_next_card_opens_when_one_is_done(
        clinic, new_context, monkeypatch):
    """Two photos wait: the older first, its form open; the newer one's previous photo is the older,
    not measured yet until the nurse measures it on its card: then the newer card shows that
    measurement and asks about a big change against it."""
    monkeypatch.setattr(queue, "publish", lambda *args: None)
    course = clinic.people.course
    newer, _ = photos.photo_upload(course=course, uploaded_by=clinic.people.patient_user,
                                   data=images.phone_jpeg(800, 600),
                                   taken_at=timezone.now() - dt.timedelta(hours=2))
    newer = photos.photo_process(photo_id=newer.pk)
    page = open_app(new_context, "nurse", "en", "tablet")
    go(page, "#/queue", "Review queue")
    cards = page.locator(".queue-card")
    assert cards.count() == 2 and page.locator("#queue-count").inner_text().strip() == "(2)"
    first, second = cards.nth(0), cards.nth(1)
    assert first.get_attribute("data-photo") == str(clinic.waiting.pk)
    assert first.locator("#review").count() == 1
    assert "not measured yet" in second.locator(".compare figure").nth(1).inner_text()
    first.locator("input[name=length_cm]").fill("2.4")
    opener = second.locator("button.open-review")
    assert opener.get_attribute("aria-expanded") == "false"
    opener.click()
    assert page.locator("#review").count() == 1 and second.locator("#review").count() == 1
    assert page.evaluate("() => document.activeElement.name") == "length_cm"
    first.locator("button.open-review").click()
    assert first.locator("#review input[name=length_cm]").input_value() == "2.4"  # kept
    form = first.locator("#review")
    form.locator("input[name=width_cm]").fill("1.5")
    form.locator("select[name=exudate]").select_option("light")
    form.locator("select[name=tissue_type]").select_option("granulation")
    form.locator("button[type=submit]").click()
    first.locator(".saved-review").wait_for()
    assert second.locator("#review").count() == 1  # the next one is ready
    assert f"2.4 {TIMES} 1.5 cm · 3.6 cm²" in second.locator(".compare figure").nth(1).inner_text()
    assert page.locator("#queue-count").inner_text().strip() == "(1)"
    second.locator("input[name=length_cm]").fill("6")
    second.locator("input[name=width_cm]").fill("4")
    second.locator("select[name=exudate]").select_option("light")
    second.locator("select[name=tissue_type]").select_option("granulation")
    second.locator("button[type=submit]").click()
    said = second.locator(".confirm").inner_text()
    assert "+567 %" in said and "3.6 cm²" in said and "24 cm²" in said  # against the review just saved
    screenshot(page, "staff-queue-two-tablet-en")
    assert_accessible(page, "staff-queue-two")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_server_refuses_an_implausible_measurement_and_the_field_says_why(language, clinic, new_context):
    text = TEXT[language]
    page = open_app(new_context, "nurse", language, "phone")
    go(page, "#/queue", text["queue"])
    form = page.locator("#review")
    # A length with a width of 0: refused (400 naming width_cm), said beside the width.
    form.locator("input[name=length_cm]").fill("2")
    form.locator("input[name=width_cm]").fill("0")
    form.locator("select[name=exudate]").select_option("light")
    form.locator("select[name=tissue_type]").select_option("granulation")
    form.locator("button[type=submit]").click()
    width = form.locator("input[name=width_cm]")
    error = page.locator(f"#{width.get_attribute('id')}-error")
    error.wait_for()
    assert text["width_error"] in error.inner_text()
    assert width.get_attribute("aria-invalid") == "true"
    assert width.get_attribute("aria-describedby") == error.get_attribute("id")
    assert page.evaluate("() => document.activeElement.name") == "width_cm"
    screenshot(page, f"staff-review-refused-{language}")
    # An area of 0 with granulation tissue: refused, said beside the tissue type.
    form.locator("input[name=length_cm]").fill("0")
    assert error.is_hidden()  # typing again clears the message
    form.locator("button[type=submit]").click()
    tissue = form.locator("select[name=tissue_type]")
    tissue_error = page.locator(f"#{tissue.get_attribute('id')}-error")
    tissue_error.wait_for()
    assert text["area_error"] in tissue_error.inner_text()
    assert Review.objects.filter(photo=clinic.waiting).count() == 0
    assert_accessible(page, f"staff-review-refused-{language}")
    # Closed, 0 by 0: healed since the last review's 3.75 cm², a change she confirms.
    tissue.select_option("closed")
    form.locator("button[type=submit]").click()
    form.locator(".confirm", has_text=text["big"]).wait_for()
    form.locator(".confirm button", has_text=text["anyway"]).click()
    page.locator("#queue-empty").wait_for()
    review = Review.objects.get(photo=clinic.waiting)
    assert (review.length_cm, review.width_cm, review.tissue_type) == (0, 0, "closed")


def test_a_big_change_in_area_asks_first_and_checking_again_keeps_what_she_typed(clinic, new_context):
    page = open_app(new_context, "nurse", "en", "tablet")
    go(page, "#/queue", "Review queue")
    form = page.locator("#review")
    form.locator("input[name=length_cm]").fill("4")
    form.locator("input[name=width_cm]").fill("3")
    form.locator("select[name=exudate]").select_option("moderate")
    form.locator("select[name=tissue_type]").select_option("slough")
    form.locator("button[type=submit]").click()
    confirm = form.locator(".confirm")
    confirm.wait_for()
    said = confirm.inner_text()
    assert "+220 %" in said and "3.75 cm²" in said and "12 cm²" in said
    assert local_date(clock.local_date(clinic.reviewed.taken_at, "America/Denver"), "en") in said
    assert confirm.get_attribute("role") == "alert"
    screenshot(page, "staff-review-big-change-tablet-en")
    assert_accessible(page, "staff-review-big-change")
    confirm.locator("button", has_text="Check the measurement").click()
    assert confirm.is_hidden()
    assert page.evaluate("() => document.activeElement.name") == "length_cm"
    assert form.locator("input[name=width_cm]").input_value() == "3"
    assert Review.objects.count() == 1  # only the fixture's
    form.locator("input[name=length_cm]").fill("2.6")
    form.locator("input[name=width_cm]").fill("1.6")  # 4.16 cm²: within half of 3.75
    form.locator("button[type=submit]").click()
    page.locator("#queue-empty").wait_for()
    assert Review.objects.get(photo=clinic.waiting).area_cm2 == Decimal("4.16")


@pytest.mark.parametrize("language", ["en", "es"])
def test_asking_for_a_retake_tells_the_patient_why_and_takes_the_photo_off_the_queue(
        language, clinic, new_context):
    text = TEXT[language]
    page = open_app(new_context, "nurse", language, "phone")
    go(page, "#/queue", text["queue"])
    page.locator(".queue-card button.ask-retake").click()
    retake = page.locator(".retake-form")
    retake.wait_for()
    retake.locator("button", has_text=text["blurry"]).click()
    reason = retake.locator("textarea[name=reason]")
    # Helen reads English: the reason is written in hers, whatever the nurse's language.
    assert reason.input_value() == "The photo is blurry. Please hold the phone still and take it again."
    assert page.evaluate("() => document.activeElement.name") == "reason"
    screenshot(page, f"staff-retake-{language}")
    assert_accessible(page, f"staff-retake-{language}")
    reason.fill("The photo is blurry. Please take it again in daylight.")
    retake.locator("button[type=submit]", has_text=text["send"]).click()
    page.locator(".queue-card .state", has_text=text["asked"]).wait_for()
    page.locator("#queue-empty").wait_for()
    assert page.locator("#queue-count").inner_text().strip() == "(0)"
    photo = Photo.objects.get(pk=clinic.waiting.pk)
    assert photo.retake_reason == "The photo is blurry. Please take it again in daylight."
    assert photo.retake_requested_at is not None
    go(page, "#/patients", None)
    go(page, "#/queue", text["queue"])
    page.locator("#queue-empty").wait_for()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_saved_review_is_corrected_in_place_as_a_new_version(language, clinic, new_context):
    text = TEXT[language]
    page = open_app(new_context, "nurse", language, "phone")
    go(page, "#/queue", text["queue"])
    form = page.locator("#review")
    form.locator("input[name=length_cm]").fill("2.4")
    form.locator("input[name=width_cm]").fill("1.5")
    form.locator("select[name=exudate]").select_option("light")
    form.locator("select[name=tissue_type]").select_option("granulation")
    form.locator("textarea[name=comment]").fill("Smaller.")
    form.locator("button[type=submit]").click()
    saved = page.locator(".queue-card .saved-review")
    saved.wait_for()
    saved.locator("button", has_text=text["edit"]).click()
    edit = page.locator(".queue-card form.review-form")
    assert edit.locator("input[name=length_cm]").input_value() == "2.4"
    assert edit.locator("select[name=tissue_type]").input_value() == "granulation"
    edit.locator("input[name=width_cm]").fill("1.4")
    edit.locator("button[type=submit]", has_text=text["correct"]).click()
    page.locator(".queue-card .saved-review .version", has_text=text["edited"]).wait_for()
    review = Review.objects.get(photo=clinic.waiting)
    assert (review.version, review.width_cm, review.comment) == (2, Decimal("1.4"), "Smaller.")
    screenshot(page, f"staff-review-edited-{language}")
    # And from her page, later: the reviews list says which version it is, and corrects it again.
    go(page, f"#/patient/{clinic.people.patient.pk}", "Helen Mercer")
    item = page.locator(f"#reviews li[data-review='{review.pk}']")
    assert text["edited"] in item.inner_text()
    item.locator("button.edit-review").click()
    item.locator("textarea[name=comment]").fill("Smaller; edges flat.")
    item.locator("button[type=submit]").click()
    version_3 = text["edited"].replace("2", "3")
    page.locator(f"#reviews li[data-review='{review.pk}'] .version", has_text=version_3).wait_for()
    assert Review.objects.get(pk=review.pk).version == 3


# --- 10. The clinical patient page ----------------------------------------------------------------------

@pytest.mark.parametrize("size", ["tablet", "phone"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_her_clinical_page_shows_age_language_adherence_photos_trends_debridements_reviews_and_skips(
        language, size, clinic, new_context):
    text = TEXT[language]
    reviews.review_create(photo=clinic.waiting, reviewer=clinic.people.nurse, data={
        "length_cm": "2.2", "width_cm": "1.4", "exudate": "light", "tissue_type": "granulation",
        "signs_of_infection": False, "flag_for_physician": False, "comment": "Smaller."})
    page = open_app(new_context, "physician", language, size)
    go(page, f"#/patient/{clinic.people.patient.pk}", "Helen Mercer")
    facts = page.locator("#patient-facts").inner_text()
    age = dt.date.today().year - 1946
    assert f"{age} {text['age']}" in facts and text["language"] in facts and "America/Denver" in facts
    # The last 28 whole days reach back before her course began (10 days ago): its 10 whole days
    # count, 7 of them applied (one skipped, one with nothing logged, one before the first log).
    assert page.locator("#adherence-label").inner_text() == text["adherence"]
    images_loaded(page, "#photos img")
    thumbs = page.locator("#photos .timeline li")
    assert thumbs.count() == 2
    taken = [clock.local_date(p.taken_at, "America/Denver") for p in (clinic.reviewed, clinic.waiting)]
    assert [thumbs.nth(i).locator(".timeline-date").inner_text() for i in range(2)] == [
        local_date(day, language) for day in taken]
    assert page.locator("#trends svg.chart-svg").count() == 2  # pain and itch; area
    assert page.locator("#trends svg path").count() >= 3
    page.locator("#trends details.values summary").first.click()
    table = page.locator("#trends details.values").first.locator("table")
    assert text["not_answered"] in table.inner_text()
    assert "3" in page.locator("#debridements").inner_text()
    assert "Two chalky nodules" in page.locator("#debridements").inner_text()
    assert "Edges granulating." in page.locator("#reviews").inner_text()
    assert text["skip"] in page.locator("#skip-list").inner_text()
    assert horizontal_overflow(page) == 0
    screenshot(page, f"staff-patient-{size}-{language}")
    assert_accessible(page, f"staff-patient-{size}-{language}")


def test_saving_a_debridement_or_a_course_change_keeps_her_place_on_the_page(clinic, new_context):
    page = open_app(new_context, "physician", "en", "phone")
    go(page, f"#/patient/{clinic.people.patient.pk}", "Helen Mercer")
    page.locator("#debridement-details summary").click()
    page.locator("#debridement textarea[name=notes]").fill("One nodule removed.")
    page.locator("#debridement input[name=nodules_removed]").fill("1")
    submit = page.locator("#debridement button[type=submit]")
    submit.scroll_into_view_if_needed()
    assert page.evaluate("() => scrollY") > 1000
    at = box(page, "#debridement button[type=submit]")["y"]
    submit.click()
    page.locator("#debridements li", has_text="One nodule removed.").wait_for()
    # The list above grew by a line; the form she used stays where it was on the screen.
    assert box(page, "#debridement button[type=submit]")["y"] == pytest.approx(at, abs=40)
    assert page.evaluate("() => document.activeElement.closest('form')?.id") == "debridement"
    assert page.locator("#debridement textarea[name=notes]").input_value() == ""
    # The course's instructions changed: the summary says so, where it is.
    page.locator("#course-card details.change summary").click()
    instructions = page.locator("#course-change textarea[name=instructions]")
    instructions.fill("Twice a week in clinic, once daily at home.")
    save = page.locator("#course-change button[type=submit]")
    save.scroll_into_view_if_needed()
    at = box(page, "#course-change button[type=submit]")["y"]
    save.click()
    page.locator("#course-summary", has_text="Twice a week in clinic").wait_for()
    assert box(page, "#course-change button[type=submit]")["y"] == pytest.approx(at, abs=80)
    assert page.locator("#course-change").is_visible()

CONTACT = {
    "en": {"name": "Denver Wound Clinic", "phone": "+1 (720) 555-0199", "tel": "tel:+17205550199",
           "change": "Change the contact", "refused": "Not a phone number: 6 to 15 digits",
           "saved": "Saved. She sees it the next time", "call": "Call Denver Wound Clinic: +1 (720) 555-0199",
           "none": "Not set yet"},
    "es": {"name": "Unidad de Heridas, Hospital La Paz", "phone": "+34 91 123 45 67",
           "tel": "tel:+34911234567", "change": "Cambiar el contacto",
           "refused": "No es un número de teléfono: de 6 a 15 cifras",
           "saved": "Guardado. Lo verá la próxima vez",
           "call": "Llamar a Unidad de Heridas, Hospital La Paz: +34 91 123 45 67",
           "none": "Aún sin indicar"},
}


def in_view(page: Any, selector: str) -> dict[str, float]:
    """Scrolled to, the element is wholly inside the window (what she sees, not just the DOM)."""
    page.locator(selector).scroll_into_view_if_needed()
    found = box(page, selector)
    size = page.viewport_size
    # (within a pixel: a scroll lands on a fraction of one)
    assert -1 <= found["y"] and found["y"] + found["height"] <= size["height"] + 1, (selector, found)
    assert 0 <= found["x"] and found["x"] + found["width"] <= size["width"], (selector, found)
    return found


@pytest.mark.parametrize("size", ["phone", "320-200"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_her_nurse_sets_the_clinics_name_and_phone_a_bad_phone_is_refused_beside_it_and_she_sees_them(
        language: str, size: str, clinic: Clinic, new_context: Any) -> None:
    words = CONTACT[language]
    patient = clinic.people.patient
    page = open_app(new_context, "nurse", language, "phone")
    session = None
    if size == "320-200":
        page.set_viewport_size({"width": 320, "height": 640})
        session = large_text(page)
    go(page, f"#/patient/{patient.pk}", "Helen Mercer")
    assert words["none"] in page.locator("#contact-now").inner_text()
    page.locator("#contact-details summary", has_text=words["change"]).click()
    page.fill("#contact input[name=care_team_name]", words["name"])
    phone = page.locator("#contact input[name=care_team_phone]")
    assert phone.get_attribute("type") == "tel"
    phone.fill("call the front desk")
    page.click("#contact-submit")
    # The server's 400 naming care_team_phone, said beside the field in her language.
    error = page.locator(f"#{phone.get_attribute('id')}-error")
    error.wait_for()
    assert words["refused"] in error.inner_text()
    assert phone.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in phone.get_attribute("aria-describedby").split()
    assert page.evaluate("() => document.activeElement.name") == "care_team_phone"
    if language == "es":  # the server's English sentence under "Detalles", closed
        assert error.locator("details summary").inner_text() == "Detalles"
        assert not error.locator(".server-words").is_visible()
    else:
        assert error.locator(".server-words").count() == 0
    in_view(page, f"#{phone.get_attribute('id')}-error")
    patient.refresh_from_db()
    assert (patient.care_team_name, patient.care_team_phone) == ("", "")  # nothing half-saved
    shot = f"staff-contact-refused-{size}-{language}"
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), animations="disabled", caret="hide")
    assert_accessible(page, shot)

    phone.fill(words["phone"])
    assert error.is_visible()  # until she saves again
    page.click("#contact-submit")
    page.locator("#contact-saved", has_text=words["saved"]).wait_for()
    assert error.is_hidden() and phone.get_attribute("aria-invalid") is None
    in_view(page, "#contact-saved")
    assert page.locator("#contact-now").inner_text() == f"{words['name']} · {words['phone']}"
    if size == "phone":  # the card whole in one window: what her app shows now, and "Saved."
        page.locator("#contact-card").evaluate("(card) => card.scrollIntoView({block: 'start'})")
        in_view(page, "#contact-now")
        in_view(page, "#contact-saved")
    patient.refresh_from_db()
    assert (patient.care_team_name, patient.care_team_phone) == (words["name"], words["phone"])
    shot = f"staff-contact-saved-{size}-{language}"
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), animations="disabled", caret="hide")
    assert_accessible(page, shot)
    if session is not None:
        session.detach()

    # Helen, on her own phone, in her language: the new name and phone, the phone a call link.
    Patient.objects.filter(pk=patient.pk).update(language=language)
    helen = new_context(viewport=PHONE).new_page()
    sign_in(helen, "helen")
    link = helen.locator("#care-team a#call-team")
    assert link.get_attribute("href") == words["tel"]
    assert link.inner_text().replace("\n", " ").strip().endswith(words["call"])
    assert words["name"] in helen.locator("#care-team .care-name").inner_text()
    in_view(helen, "#care-team a#call-team")
    helen.screenshot(path=str(SCREENSHOTS / f"patient-contact-set-{size}-{language}.png"),
                     animations="disabled", caret="hide")


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_second_course_asks_what_becomes_of_the_one_in_force_in_the_same_step(
        language, clinic, new_context):
    text = TEXT[language]
    page = open_app(new_context, "physician", language, "tablet")
    go(page, f"#/patient/{clinic.people.patient.pk}", "Helen Mercer")
    card = page.locator("#prescribe-card")
    assert card.locator("h2").inner_text() == text["prescribe"]
    fieldset = card.locator("#previous-course")
    assert fieldset.locator("legend").inner_text() == text["in_force"]
    assert "Left lateral thigh" in fieldset.inner_text()
    assert fieldset.locator("input:checked").count() == 0  # no default: she chooses
    page.fill("#prescribe input[name=body_site]", "Right forearm")
    page.locator("#prescribe button[type=submit]").click()
    assert fieldset.locator("input").first.evaluate("(i) => i.validity.valueMissing")
    assert TreatmentCourse.objects.filter(body_site="Right forearm").count() == 0  # never silently
    fieldset.scroll_into_view_if_needed()
    screenshot(page, f"staff-prescribe-second-{language}")
    assert_accessible(page, f"staff-prescribe-second-{language}")
    fieldset.locator("label", has_text=text["completed"]).click()
    at = box(page, "#prescribe-card")["y"]
    page.locator("#prescribe button[type=submit]").click()
    page.locator("#banner", has_text=text["saved"]).wait_for()
    page.locator("#course-summary", has_text="Right forearm").wait_for()
    old = TreatmentCourse.objects.get(pk=clinic.people.course.pk)
    new = TreatmentCourse.objects.get(body_site="Right forearm")
    assert (old.status, new.status) == ("completed", "active")
    # Drawn again around her: the form's card stays where it was on the screen.
    assert box(page, "#prescribe-card")["y"] == pytest.approx(at, abs=2)
    # The new course is the one in force now; the old one stays a link away.
    assert "Right forearm" in page.locator("#previous-course").inner_text()
    page.locator("#course-card a", has_text="Left lateral thigh").click()
    page.locator("#course-summary", has_text="Left lateral thigh").wait_for()


# --- 11. Alerts, triaged ---------------------------------------------------------------------------------

@pytest.fixture
def alerts(clinic: Clinic) -> dict[str, Alert]:
    """Open alerts of every severity, in an order that is not the triage's: a low checkpoint first,
    then a review flagged for the physician (medium, with a photo and the nurse's comment), a pain
    rise (medium, newer), the fixture's fever (high), and a kind this app does not know (low)."""
    course = clinic.people.course
    today = clock.today_in(course.patient.timezone)
    fever = Alert.objects.filter(kind=AlertKind.SYMPTOM_RED_FLAG)
    fever.update(created_at=timezone.now() - dt.timedelta(days=2))
    review = Review.objects.get(photo=clinic.reviewed)

    def at(alert: Alert | None, days: float) -> Alert:
        assert alert is not None
        Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
        return alert

    made = {
        "checkpoint": at(alert_raise(
            course=course, kind=AlertKind.HEALING_CHECKPOINT, severity="low",
            detail="Week 4 checkpoint (English).", source_type="review", source_id=review.pk,
            facts={"week": 4, "change_percent": -12, "first_area_cm2": 6.0, "last_area_cm2": 5.3,
                   "threshold_percent": 40,
                   "checkpoint_date": (today - dt.timedelta(days=2)).isoformat(),
                   "first_date": (today - dt.timedelta(days=30)).isoformat(),
                   "last_date": (today - dt.timedelta(days=1)).isoformat()}), 0.1),
        "flagged": at(alert_raise(
            course=course, kind=AlertKind.REVIEW_FLAGGED, severity="medium",
            detail="A wound review was flagged.", facts={"date": (today - dt.timedelta(days=8)).isoformat()},
            source_type="review", source_id=review.pk), 3),
        "pain": at(alert_raise(
            course=course, kind=AlertKind.PAIN_RISE, severity="medium", detail="Pain rose.",
            facts={"date": (today - dt.timedelta(days=1)).isoformat(), "pain": 8, "mean": 3.5}), 1),
        "unknown": Alert.objects.create(
            course=course, patient=course.patient, kind="supply_expired", severity="low",
            detail="The cream's beyond-use date has passed.", facts={}),
        "fever": fever.get(),
    }
    return made


@pytest.mark.parametrize("size", ["tablet", "phone"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_alerts_come_high_first_each_with_its_cause_in_the_readers_language(
        language, size, clinic, alerts, new_context):
    text = TEXT[language]
    page = open_app(new_context, "nurse", language, size)
    go(page, "#/alerts", text["alerts"])
    items = page.locator("#alerts li.alert-item")
    order = [items.nth(i).get_attribute("data-alert") for i in range(items.count())]
    # High, then medium newest first, then low newest first.
    assert order == [str(alerts[k].pk) for k in ("fever", "pain", "flagged", "unknown", "checkpoint")]
    fever = alerts["fever"]
    fever_text = text["fever"].format(date=local_date(dt.date.fromisoformat(fever.facts["date"]), language))
    assert items.nth(0).locator(".alert-text").inner_text() == fever_text
    pain_day = dt.date.fromisoformat(alerts["pain"].facts["date"])
    pain_text = text["pain"].format(date=local_date(pain_day, language))
    assert items.nth(1).locator(".alert-text").inner_text() == pain_text
    checkpoint = items.nth(4).locator(".alert-text").inner_text()
    assert text["checkpoint"] in checkpoint and "Coerper 2009" in checkpoint
    assert items.nth(3).locator(".alert-text").inner_text() == "The cream's beyond-use date has passed."
    # The flagged review: its photo and the nurse's comment.
    flagged = items.nth(2)
    assert f"{text['comment']}: “Edges granulating.”" in flagged.locator(".nurse-comment").inner_text() or \
        "Edges granulating." in flagged.locator(".nurse-comment").inner_text()
    cause = flagged.locator("button.cause-photo")
    assert cause.get_attribute("data-photo") == str(clinic.reviewed.pk)
    # The fever: the check-in it came from.
    checkin = items.nth(0).locator("details.cause-checkin")
    checkin.locator("summary", has_text=text["checkin"]).click()
    checkin.locator("p", has_text="10").wait_for()
    images_loaded(page, "#alerts img")
    assert horizontal_overflow(page) == 0
    screenshot(page, f"staff-alerts-{size}-{language}")
    assert_accessible(page, f"staff-alerts-{size}-{language}")
    cause.click()
    viewer = page.locator("dialog.viewer[open]")
    viewer.wait_for()
    assert str(clinic.reviewed.pk) in viewer.locator("img").get_attribute("src")
    page.click("#viewer-close")
    viewer.wait_for(state="detached")


def test_acknowledging_looks_unlike_navigation_takes_a_note_and_leaves_the_rest_in_place(
        clinic, alerts, new_context):
    page = open_app(new_context, "nurse", "en", "phone")
    go(page, "#/alerts", "Alerts")
    first = page.locator("#alerts li.alert-item").first
    ack = first.locator("button.ack")
    link = first.locator(".alert-head a")
    assert link.inner_text() == "Helen Mercer"
    assert link.get_attribute("href") == f"#/patient/{clinic.people.patient.pk}"
    style = ("(e) => { const s = getComputedStyle(e);"
             " return [s.backgroundColor, s.textDecorationLine, s.borderTopWidth]; }")
    ack_look, link_look = ack.evaluate(style), link.evaluate(style)
    assert ack_look[0] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")  # a filled button
    assert link_look[0] == "rgba(0, 0, 0, 0)" and link_look[1] == "underline"  # a plain link
    assert ack.inner_text().endswith("Acknowledge")
    pain = page.locator(f"#alerts li[data-alert='{alerts['pain'].pk}']")
    pain.scroll_into_view_if_needed()
    y = page.evaluate("() => scrollY")
    pain.locator("input[name=note]").fill("Called her: the dressing was too tight. Fine now.")
    pain.locator("button.ack").click()
    pain.wait_for(state="detached")
    page.locator("#banner", has_text="Acknowledged.").wait_for()
    assert page.evaluate("() => scrollY") == pytest.approx(y, abs=250)
    assert page.locator("#alerts li.alert-item").count() == 4
    alert = Alert.objects.get(pk=alerts["pain"].pk)
    assert (alert.status, alert.acknowledged_note, alert.acknowledged_by_id) == (
        "acknowledged", "Called her: the dressing was too tight. Fine now.", clinic.people.nurse.pk)
    # Without a note too.
    page.locator(f"#alerts li[data-alert='{alerts['unknown'].pk}'] button.ack").click()
    page.locator(f"#alerts li[data-alert='{alerts['unknown'].pk}']").wait_for(state="detached")
    assert Alert.objects.get(pk=alerts["unknown"].pk).acknowledged_note == ""


# --- 12. Everyone -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
def test_the_sign_in_page_loads_without_a_console_error_and_the_language_button_says_its_name(
        language: str, people: People, new_context: Any) -> None:
    page = new_context().new_page()
    page.add_init_script(f"localStorage.setItem('tend-language', '{language}')")
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.goto("/")
    page.locator("#login").wait_for()
    page.wait_for_load_state("networkidle")
    assert messages == []
    button = page.locator("#lang")
    visible = TEXT[language]["switch"]
    assert button.inner_text() == visible
    assert page.get_by_role("button", name=visible, exact=True).get_attribute("id") == "lang"
    assert button.get_attribute("aria-label") is None
    assert axe_problems(page, f"login-{language}") == []  # loads axe too
    # axe's own check of WCAG 2.5.3 (an experimental rule, so not among the tags above).
    result = page.evaluate("() => axe.run(document,"
                           " {runOnly: {type: 'rule', values: ['label-content-name-mismatch']}})")
    assert result["violations"] == []
    # After signing in and out, a reload asks nobody's session either.
    sign_in(page, "nurse")
    page.click("#logout")
    page.locator("#login").wait_for()
    page.reload()
    page.locator("#login").wait_for()
    page.wait_for_load_state("networkidle")
    assert messages == []


def test_a_signed_in_nurse_comes_back_to_her_screens_after_a_reload(people, page):
    sign_in(page, "nurse")
    page.reload()
    page.locator("#main h1", has_text="Review queue").wait_for()


def expire_session(context: Any, *, idle_minutes: int) -> None:
    """Her session as the server holds it, last seen `idle_minutes` ago: past the staff's 30
    minutes idle, the server ends it at her next request (SessionPolicyMiddleware)."""
    key = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "sessionid")
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)
    store["tend_last_seen_at"] = time.time() - idle_minutes * 60
    store.save()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_page_opened_after_the_session_expired_goes_to_sign_in_without_a_console_error(
        language: str, people: People, new_context: Any) -> None:
    page = open_app(new_context, "nurse", language)
    expire_session(page.context, idle_minutes=31)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)
    page.reload()
    page.locator("#login").wait_for()
    page.wait_for_load_state("networkidle")
    assert problems == []
    assert any(url.endswith("/api/v1/auth/session/") for url in asked)
    assert not any(url.endswith("/api/v1/me/") for url in asked)
    # What she sees: the sign-in form in her language, at the top of the screen, nothing of before.
    heading = page.locator("#main h1")
    assert heading.inner_text() == ("Sign in" if language == "en" else "Entrar")
    box = heading.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    assert page.locator("#logout").is_hidden() and page.locator("#nav a").count() == 0
    screenshot(page, f"boot-after-expired-session-{language}")
    assert axe_problems(page, f"boot-after-expired-session-{language}") == []
    # Once more, and after signing in again: still quiet.
    page.reload()
    page.locator("#login").wait_for()
    sign_in(page, "nurse")
    page.locator("#main h1", has_text=TEXT[language]["queue"]).wait_for()
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_a_patients_session_past_30_days_goes_to_sign_in_without_a_console_error(
        people: People, new_context: Any) -> None:
    page = open_app(new_context, "helen", "en")
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)
    store["tend_signed_in_at"] = time.time() - 31 * 24 * 3600
    store.save()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.reload()
    page.locator("#login").wait_for()
    page.wait_for_load_state("networkidle")
    assert problems == []
    assert "Helen" not in page.locator("#main").inner_text()


# --- Narrow phones and large text --------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("username", ["nurse", "physician"])
def test_the_staff_screens_reflow_at_320_px_with_200_percent_text(
        username, language, clinic, alerts, new_context):
    text = TEXT[language]
    page = open_app(new_context, username, language, "phone")
    page.set_viewport_size({"width": 320, "height": 640})
    session = large_text(page)
    root = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root == pytest.approx(36)  # 112.5 % of 32 px
    too_wide = []
    for route, heading, name in (("#/queue", text["queue"], "queue"), ("#/alerts", text["alerts"], "alerts"),
                                 (f"#/patient/{clinic.people.patient.pk}", "Helen Mercer", "patient")):
        go(page, route, heading)
        if name == "queue":
            images_loaded(page, ".compare img")
        if overflow := horizontal_overflow(page):
            too_wide.append(f"{name}: {overflow} px too wide")
        assert page.locator("#main h1").is_visible()
        body = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert body == pytest.approx(36)  # still 200 % text
        if username == "nurse" or name == "patient":
            whole_page_screenshot(page, f"staff-{name}-320-text-200-{username}-{language}")
    session.detach()
    assert too_wide == [], "\n".join(too_wide)
