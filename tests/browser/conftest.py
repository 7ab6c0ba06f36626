"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against pytest-django's
live server (a transactional database; the app is served from this process on localhost, a secure
context, so the service worker runs).

Never a browser download: Playwright is pointed at /usr/bin/chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from tests import images
from tests.conftest import PASSWORD, make_course, make_patient, make_staff
from tests.processes import CeleryWorker
from tracker import clock, queue
from tracker.models import Patient, Photo, Report, Role, TreatmentCourse, User
from tracker.services import photos, records, reports, reviews

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
TIMEZONE = "America/Denver"  # the browser's clock is the patient's: "today" is the same day for both
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# Every test waits at most this long for something the app does.
WAIT_MS = 15_000


# --- Chromium ----------------------------------------------------------------------------------------

@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's ORM refuses to run while a
    # loop runs unless told otherwise. Only for this package's tests: restored when it ends.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            yield driver
            # Code run while Playwright is up sees other context variables, hence other database
            # connections than the code around it: close them here, or they outlive the test database.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Any) -> Iterator[Any]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """new_context(**options) -> a fresh browser profile (its own cookies, IndexedDB, service worker)
    at phone size on the live server. Page errors and CSP violations fail the test."""
    contexts: list[Any] = []
    problems: list[str] = []

    def make(**options: Any) -> Any:
        values = {"viewport": PHONE, "base_url": live_server.url, "locale": "en-US",
                  "timezone_id": TIMEZONE, "service_workers": "allow", **options}
        context = browser.new_context(**values)
        context.set_default_timeout(WAIT_MS)
        context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
        context.on("console", lambda message: problems.append(f"console: {message.text}")
                   if message.type == "error" and "Content Security Policy" in message.text else None)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def context(new_context: Callable[..., Any]) -> Any:
    return new_context()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


# --- The people ----------------------------------------------------------------------------------------

@dataclass
class People:
    physician: User
    nurse: User
    patient_user: User
    patient: Patient
    course: TreatmentCourse


@pytest.fixture
def people(transactional_db: None) -> People:
    """Helen (America/Denver) with a once-daily course started 10 days ago, her nurse and physician."""
    physician = make_staff("physician", Role.PHYSICIAN)
    nurse = make_staff("nurse", Role.NURSE)
    patient, patient_user = make_patient(name="Helen Mercer", username="helen", tz=TIMEZONE,
                                         team=[physician, nurse])
    course = make_course(patient, physician, days_ago=10)
    return People(physician=physician, nurse=nurse, patient_user=patient_user, patient=patient,
                  course=course)


@dataclass
class History:
    photos: list[Photo]  # oldest first; the first one is reviewed, the second waits in the queue
    report: Report


def _evening(course: TreatmentCourse, days_ago: int, hour: int = 20) -> dt.datetime:
    day = clock.today_in(course.patient.timezone) - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(course.patient.timezone))


@pytest.fixture
def history(people: People, monkeypatch: pytest.MonkeyPatch) -> History:
    """Nine days of Helen's course: applications (one skipped, one missed day), check-ins (one with
    a fever, which opens an alert), two processed photos (the older one reviewed), a ready report.
    The workers' code runs here, in-process; nothing is sent to a broker."""
    monkeypatch.setattr(queue, "publish", lambda *args: None)
    course, helen = people.course, people.patient_user
    for days_ago in range(9, 0, -1):
        if days_ago == 4:
            continue  # nothing logged that day
        status = "skipped" if days_ago == 6 else "applied"
        records.record_create(kind=records.APPLICATION, recorded_by=helen, course=course, data={
            "applied_at": _evening(course, days_ago), "status": status,
            "skip_reason": "Skin too sore" if status == "skipped" else ""})
        records.record_create(kind=records.SYMPTOM, recorded_by=helen, course=course, data={
            "recorded_at": _evening(course, days_ago, 19), "pain": 3, "itch": 2,
            "fever": days_ago == 2})
    made = []
    for days_ago in (8, 1):
        photo, _ = photos.photo_upload(course=course, uploaded_by=helen, data=images.phone_jpeg(800, 600),
                                       taken_at=_evening(course, days_ago, 18))
        made.append(photos.photo_process(photo_id=photo.pk))
    reviews.review_create(photo=made[0], reviewer=people.nurse, data={
        "length_cm": "2.5", "width_cm": "1.5", "exudate": "light", "tissue_type": "granulation",
        "signs_of_infection": False, "flag_for_physician": False, "comment": "Edges granulating."})
    report, _ = reports.report_request(course=course, requested_by=people.nurse)
    report = reports.report_render(report_id=report.pk)
    assert report is not None and report.status == "ready"
    assert all(photo is not None and photo.status == "ready" for photo in made)
    return History(photos=made, report=report)


# --- What the tests do in the app ------------------------------------------------------------------------

def sign_in(page: Any, username: str, *, password: str = PASSWORD) -> None:
    """Open the app and sign in through the form; wait for the first screen of the role."""
    page.goto("/")
    page.locator("#login").wait_for()
    page.fill("#login input[name=username]", username)
    page.fill("#login input[name=password]", password)
    page.click("#login button[type=submit]")
    page.locator("#login").wait_for(state="detached")
    page.locator("#main h1").wait_for()
    page.wait_for_function("() => !document.querySelector('#main .loading')")


def go(page: Any, hash_: str, heading: str | None = None) -> None:
    """Follow an in-app route and wait until its screen has drawn (no "Loading…" left)."""
    page.evaluate("(hash) => { location.hash = hash; }", hash_)
    if heading is not None:
        page.locator("#main h1", has_text=heading).wait_for()
    page.wait_for_function("() => !document.querySelector('#main .loading')")


def wait_for_service_worker(page: Any) -> None:
    """Until the worker is active and controls this page (a first visit is not controlled until the
    worker claims it; a reload makes sure)."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => Boolean(navigator.serviceWorker.controller)"):
        page.reload()
    page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)")


def screenshot(page: Any, name: str) -> Path:
    """A PNG of the whole screen, kept as an artifact in artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path


# --- A real Celery worker ------------------------------------------------------------------------------

@pytest.fixture
def celery_worker(transactional_db: None, tmp_path: Path) -> Iterator[Path]:
    """A worker process on this run's queue, database, data folder and Redis; stopped after the test
    (before the tables are emptied). Yields its log file."""
    running = CeleryWorker(tmp_path / "worker.log")
    try:
        yield running.log
        assert running.alive(), "the worker died:\n" + running.log.read_text(errors="replace")
    finally:
        running.stop()




# --- Notifications -----------------------------------------------------------------------------------------

# Counts what would ask her something: Notification.requestPermission (which still answers as the
# browser does) and pushManager.subscribe. Installed before any script of the page runs.
PERMISSION_PROBE = """(() => {
  window.__asked = [];
  if (window.Notification && Notification.requestPermission) {
    const real = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...args) => {
      window.__asked.push('permission');
      return real(...args);
    };
  }
  if (window.PushManager) {
    const subscribe = PushManager.prototype.subscribe;
    PushManager.prototype.subscribe = function (...args) {
      window.__asked.push('subscribe');
      return subscribe.apply(this, args);
    };
  }
})();"""


def stand_in_subscription(subscription: Any) -> str:
    """An init script: pushManager.subscribe answers this FakePushService subscription (its
    toJSON, as a browser gives it) instead of asking the browser's push service, and
    getSubscription answers it from then on (also after a reload). Everything else is real."""
    script = """((json) => {
  const made = () => ({
    endpoint: json.endpoint, expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: null },
    toJSON: () => json, unsubscribe: async () => { localStorage.removeItem('stand-in-push'); return true; },
  });
  PushManager.prototype.subscribe = async function () {
    (window.__asked = window.__asked || []).push('subscribe');
    localStorage.setItem('stand-in-push', '1');
    return made();
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem('stand-in-push') ? made() : null;
  };
})(JSON_HERE);"""
    return script.replace("JSON_HERE", json.dumps(subscription.to_json()))


@pytest.fixture
def push_service(settings: Any) -> Iterator[Any]:
    """A push service (tests/pushservice.py) that Tend may send to: what reaches it is decrypted."""
    from tests.pushservice import FakePushService

    with FakePushService() as running:
        settings.TEND_PUSH_SERVICES = [running.origin]
        yield running
