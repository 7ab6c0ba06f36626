"""The PWA in a real Chromium: offline first, photo upload to `ready`, the nurse's review with its PUSH
score, the service worker and the manifest (installable), and the security promises (CSP, no token
on the device, logout clears it)."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import images
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    WAIT_MS,
    History,
    People,
    go,
    screenshot,
    sign_in,
    wait_for_service_worker,
)
from tests.processes import wait_until
from tracker import clock
from tracker.models import Application, Photo, Review, SymptomEntry, TreatmentCourse
from tracker.services import reviews

pytestmark = pytest.mark.browser

NO_SCORE = "\N{EN DASH}"

OUTBOX = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open('tend');
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const db = request.result;
    const stores = [...db.objectStoreNames];
    const tx = db.transaction(stores, 'readonly');
    const found = {};
    for (const name of stores) {
      const all = tx.objectStore(name).getAll();
      all.onsuccess = () => {
        found[name] = all.result.map((it) => (it && it.kind ? {kind: it.kind, body: it.body} : it));
      };
    }
    tx.oncomplete = () => { db.close(); resolve(found); };
  };
})"""


def pending_text(page: Any) -> str:
    return page.locator("#pending").inner_text() if page.locator("#pending").is_visible() else ""


# --- Offline first -------------------------------------------------------------------------------------

def test_what_a_patient_records_offline_survives_a_reload_and_reaches_the_server_exactly_once(
        people: People, page: Any) -> None:
    sign_in(page, "helen")
    wait_for_service_worker(page)  # the shell must be cached and the page controlled before going offline
    page.locator("#main h1", has_text="Today").wait_for()
    page.context.set_offline(True)

    page.click("#apply")
    page.locator("#pending", has_text="1 waiting to send").wait_for()
    page.locator("#today-state", has_text="Applied at").wait_for()
    assert "Saved on this phone" in page.locator("#notice").inner_text()

    go(page, "#/feel", "How do you feel")
    page.click("#pain-6")
    assert page.locator("#pain-value").inner_text() == "Your answer: 6"
    page.check("#checkin input[name=drainage][value=clear]")
    page.click("#checkin button[type=submit]")
    page.locator("#pending", has_text="2 waiting to send").wait_for()

    waiting = page.evaluate(OUTBOX)["outbox"]
    assert [item["kind"] for item in waiting] == ["application", "symptom"]
    application_id, symptom_id = (item["body"]["id"] for item in waiting)
    assert Application.objects.count() == 0
    assert SymptomEntry.objects.count() == 0

    # Closed and reopened with no network: the service worker serves the app; nothing is lost.
    page.reload()
    page.locator("#main h1", has_text="How do you feel").wait_for()
    page.locator("#pending", has_text="2 waiting to send").wait_for()
    go(page, "#/today", "Today")
    page.locator("#today-state", has_text="Applied at").wait_for()
    assert pending_text(page) == "2 waiting to send"
    assert page.evaluate("() => navigator.onLine") is False
    assert [item["body"]["id"] for item in page.evaluate(OUTBOX)["outbox"]] == [application_id, symptom_id]

    # Back online: the page sends what waited, on its own (the `online` event).
    page.context.set_offline(False)
    page.locator("#pending").wait_for(state="hidden")
    assert page.evaluate(OUTBOX)["outbox"] == []
    # Another flush (the page becoming visible again) sends nothing twice.
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(500)

    application = Application.objects.get()
    symptom = SymptomEntry.objects.get()
    assert str(application.pk) == application_id
    assert (application.course_id, application.status, application.recorded_by_id) == (
        people.course.pk, "applied", people.patient_user.pk)
    assert str(symptom.pk) == symptom_id
    assert (symptom.pain, symptom.itch, symptom.drainage, symptom.fever) == (6, None, "clear", False)
    # Sent in the order they were made.
    assert application.created_at < symptom.created_at


def test_records_left_by_a_patient_whose_session_ended_are_sent_as_hers_never_as_the_next_user(
        people: People, page: Any) -> None:
    """A shared tablet: Helen's session ends with a record still waiting; a nurse signs in on the same
    device. The record must not be sent under the nurse's account; it goes when Helen is back."""
    sign_in(page, "helen")
    page.context.set_offline(True)
    page.click("#apply")
    page.locator("#pending", has_text="1 waiting to send").wait_for()
    page.context.clear_cookies()  # her session is over (expired, or ended on the server)
    page.context.set_offline(False)
    page.reload()
    page.locator("#login").wait_for()

    sign_in(page, "nurse")
    page.wait_for_function("() => document.querySelector('#pending').hidden")
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")  # a flush
    page.wait_for_timeout(500)
    assert Application.objects.count() == 0
    assert len(page.evaluate(OUTBOX)["outbox"]) == 1

    page.context.clear_cookies()  # the nurse's session ends too; Helen signs in again
    page.reload()
    sign_in(page, "helen")
    page.locator("#pending").wait_for(state="hidden")
    application = Application.objects.get()
    assert application.recorded_by_id == people.patient_user.pk


# --- Photos and reviews --------------------------------------------------------------------------------

def test_a_photo_chosen_from_a_file_is_uploaded_processed_by_the_worker_and_shown_in_the_gallery(
        people: People, page: Any, celery_worker: Path) -> None:
    """A real Celery worker process (this run's queue, database and data folder) makes the photo
    `ready`; the page uploads it with the phone-side downscale and progress bar."""
    sign_in(page, "helen")
    go(page, "#/photo", "Photo")
    assert page.get_attribute("#photo-input", "capture") == "environment"
    assert page.locator("#send-photo").is_disabled()
    page.set_input_files("#photo-input", files=[{
        "name": "wound.jpg", "mimeType": "image/jpeg", "buffer": images.phone_jpeg(3000, 2000)}])
    page.locator("#preview").wait_for()
    page.locator("#send-photo:not([disabled])").wait_for()
    page.click("#send-photo")
    page.locator("#notice", has_text="Photo sent").wait_for()

    photo = Photo.objects.get()
    assert (photo.course_id, photo.recorded_by_id) == (people.course.pk, people.patient_user.pk)
    # Shrunk on the phone: at most 2048 px on the long side, upright (the browser applied EXIF).
    photo = wait_until(lambda: Photo.objects.filter(pk=photo.pk, status="ready").first(),
                       timeout=60, what="the worker to process the photo", log=celery_worker)
    assert (photo.width, photo.height) == (2048, 1365)

    go(page, "#/history", "History")
    thumbnail = page.locator("#gallery img")
    thumbnail.wait_for()
    assert thumbnail.count() == 1
    assert thumbnail.locator("xpath=ancestor::a").get_attribute("data-photo") == str(photo.pk)
    page.wait_for_function("() => { const img = document.querySelector('#gallery img');"
                           " return img.complete && img.naturalWidth > 0; }")


@pytest.mark.parametrize(("length", "width", "exudate", "tissue"), [
    ("3.2", "2.5", "moderate", "slough"),
    ("0.4", "0.5", "none", "epithelial"),
])
def test_a_nurse_sees_the_push_score_as_she_types_and_the_review_keeps_it(
        length: str, width: str, exudate: str, tissue: str,
        people: People, history: History, page: Any) -> None:
    waiting = history.photos[1]
    sign_in(page, "nurse")
    go(page, "#/queue", "Review queue")
    form = page.locator("#review")
    form.wait_for()
    assert str(waiting.pk) in page.locator(".compare img").first.get_attribute("src")
    assert page.locator("#push-score").inner_text() == NO_SCORE

    page.fill("#review input[name=length_cm]", length)
    assert page.locator("#push-score").inner_text() == NO_SCORE  # no width yet: no score
    page.fill("#review input[name=width_cm]", width)
    page.select_option("#review select[name=exudate]", exudate)
    page.select_option("#review select[name=tissue_type]", tissue)
    area = reviews.area_cm2(Decimal(length), Decimal(width))
    expected = reviews.push_score(area=area, exudate=exudate, tissue_type=tissue)
    page.locator("#push-score", has_text=f"{expected} / 17").wait_for()
    assert page.locator("#area").inner_text() == f"{area.normalize():f} cm²"
    if length == "3.2":
        screenshot(page, "nurse-review-form")

    page.click("#review button[type=submit]")
    # Both areas are far from the last review's 3.75 cm²: the nurse is asked to confirm first.
    page.locator("#review .confirm").wait_for()
    assert Review.objects.filter(photo=waiting).count() == 0
    page.click("#review .confirm-save")
    page.locator("#banner", has_text=f"Review saved. PUSH score: {expected}").wait_for()
    page.locator("#queue-empty").wait_for()  # the only waiting photo is done
    review = Review.objects.get(photo=waiting)
    assert review.push_score == expected
    assert (review.length_cm, review.width_cm, review.exudate, review.tissue_type) == (
        Decimal(length), Decimal(width), exudate, tissue)
    assert review.reviewer_id == people.nurse.pk


# --- The physician's course form -------------------------------------------------------------------------

def test_the_course_form_starts_on_the_patients_today_not_the_utc_day_nor_the_physicians(
        people: People, new_context: Any) -> None:
    # 22:30 yesterday in Helen's Denver: already tomorrow in UTC and for a physician in New York.
    helen_day = clock.today_in(people.patient.timezone) - dt.timedelta(days=1)
    instant = dt.datetime.combine(helen_day, dt.time(22, 30), tzinfo=ZoneInfo(people.patient.timezone))
    physician_zone = "America/New_York"
    assert instant.astimezone(dt.UTC).date() == helen_day + dt.timedelta(days=1)
    assert instant.astimezone(ZoneInfo(physician_zone)).date() == helen_day + dt.timedelta(days=1)
    page = new_context(timezone_id=physician_zone).new_page()
    page.clock.set_fixed_time(instant)

    sign_in(page, "physician")
    go(page, f"#/patient/{people.patient.pk}", "Helen Mercer")
    start = page.locator("#prescribe input[name=start_date]")
    start.scroll_into_view_if_needed()
    screenshot(page, "physician-course-form-start-date")
    assert start.input_value() == helen_day.isoformat()

    # The default is what the server stores as the course's first day.
    page.fill("#prescribe input[name=body_site]", "Left calf")
    page.check("#previous-course input[value=paused]")  # Helen's course in force is paused
    page.click("#prescribe button[type=submit]")
    page.locator("#banner", has_text="Saved").wait_for()
    course = TreatmentCourse.objects.get(patient=people.patient, body_site="Left calf")
    assert course.start_date == helen_day


# --- Installable -----------------------------------------------------------------------------------------

def test_the_service_worker_controls_the_app_and_the_manifest_is_complete(people, page):
    page.goto("/")
    page.locator("#login").wait_for()
    wait_for_service_worker(page)
    worker = page.evaluate("() => navigator.serviceWorker.ready.then((r) => ({"
                           " scope: r.scope, state: r.active.state, url: r.active.scriptURL }))")
    base = page.evaluate("() => location.origin")
    assert worker == {"scope": f"{base}/", "state": "activated", "url": f"{base}/sw.js"}
    cached = page.evaluate("async () => { const paths = [];"
                           " for (const key of await caches.keys()) {"
                           " for (const request of await (await caches.open(key)).keys()) {"
                           " paths.push(new URL(request.url).pathname); } } return paths; }")
    assert {"/", "/offline.html", "/static/tend/js/app.js", "/static/tend/app.css"} <= set(cached)

    assert page.get_attribute("link[rel=manifest]", "href") == "/manifest.webmanifest"
    response = page.request.get("/manifest.webmanifest")
    assert response.ok
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.body())
    assert manifest["name"] and manifest["short_name"]
    assert (manifest["display"], manifest["start_url"], manifest["scope"]) == ("standalone", "/", "/")
    assert manifest["theme_color"].startswith("#")
    assert manifest["theme_color"] == page.get_attribute("meta[name=theme-color]", "content")
    icons = manifest["icons"]
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in icons}
    assert any("maskable" in icon.get("purpose", "").split() for icon in icons)
    for icon in icons:
        size = page.evaluate("(src) => new Promise((resolve, reject) => { const img = new Image();"
                             " img.onload = () => resolve(`${img.naturalWidth}x${img.naturalHeight}`);"
                             " img.onerror = reject; img.src = src; })", icon["src"])
        assert size == icon["sizes"], icon["src"]
        assert page.request.get(icon["src"]).headers["content-type"] == icon["type"]


def test_chromium_reports_the_app_installable(people, playwright, live_server, tmp_path):
    """Chromium's own verdict, asked through the DevTools protocol in a persistent (not incognito)
    profile: no installability error once the service worker is in place."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE,
        base_url=live_server.url, service_workers="allow")
    try:
        context.set_default_timeout(WAIT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto("/")
        page.locator("#login").wait_for()
        wait_for_service_worker(page)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest")
        assert manifest["errors"] == []
        errors: list[Any] = ["not asked yet"]
        for _ in range(20):
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            if not errors:
                break
            time.sleep(0.5)
        assert errors == []
    finally:
        context.close()


# --- Security ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/offline.html", "/sw.js", "/manifest.webmanifest"])
def test_the_app_is_served_with_a_content_security_policy_without_inline_scripts(path, page, live_server):
    response = page.request.get(path)
    assert response.ok
    policy = response.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_no_token_stays_in_local_storage_and_the_session_cookie_is_out_of_reach_of_scripts(people, page):
    sign_in(page, "helen")
    page.click("#lang")  # the one thing the app may keep there
    page.locator("#main h1", has_text="Hoy").wait_for()
    stored = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    assert stored == {"tend-language": "es"}
    assert page.evaluate("() => Object.keys(sessionStorage)") == []
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["sessionid"]["httpOnly"] is True
    assert cookies["sessionid"]["sameSite"] == "Lax"
    assert "sessionid" not in page.evaluate("() => document.cookie")


def test_logout_ends_the_session_and_clears_the_patients_data_from_the_device(people, page):
    sign_in(page, "helen")
    wait_for_service_worker(page)
    page.locator("#main h1", has_text="Today").wait_for()
    # An application that cannot reach the server waits in the outbox.
    page.route("**/api/v1/applications/", lambda route: route.abort("internetdisconnected"))
    page.click("#apply")
    page.locator("#pending", has_text="1 waiting to send").wait_for()
    stored = page.evaluate(OUTBOX)
    assert len(stored["outbox"]) == 1
    assert stored["cache"]  # who is signed in, the course, the adherence: kept for offline use

    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click("#logout")
    page.locator("#login").wait_for()
    assert dialogs == ["Not sent yet: 1. Signing out deletes them from this phone. Sign out anyway?"]
    assert page.evaluate(OUTBOX) == {"outbox": [], "cache": []}
    assert page.locator("#logout").is_hidden()
    assert page.locator("#nav a").count() == 0
    assert page.evaluate("() => fetch('/api/v1/me/').then((r) => r.status)") == 401
    assert "sessionid" not in {cookie["name"] for cookie in page.context.cookies()}
    # The shell stays cached (the app still opens), no patient data was ever in Cache Storage.
    assert [key.split("-v")[0] for key in page.evaluate("() => caches.keys()")] == ["tend-shell"]
    assert Application.objects.count() == 0

    # Reopened after logout, offline: the sign-in form, not Helen's screens.
    page.context.set_offline(True)
    page.reload()
    page.locator("#main h1").wait_for()
    assert page.locator("#apply").count() == 0
    assert "Helen" not in page.locator("#main").inner_text()
