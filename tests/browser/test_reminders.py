"""Reminders as Helen meets them, on a 390 px phone (and the narrowest one with her text at 200 %),
in English and in Spanish: "Remind me" asks the notification permission only when she taps it,
subscribes this phone, and saves her wall-clock times; an iPhone's Safari is told to add the app
to the Home Screen first; blocked notifications say how to allow them again; a browser without
Web Push says what still works. Today says the day is not logged once her first reminder time has
passed. The service worker shows a push message and opens the screen it names. And the promise
end to end: 20:00 her time, nothing logged, a message through a push service to her phone's
worker, shown; nothing on a day she logged.

Chromium here has no push service of its own to subscribe to (pushManager.subscribe fails: see
test_a_reminder_at_20_00_reaches_her_phone_and_none_comes_on_a_day_she_logged), so these tests
stand in a subscription of tests/pushservice.py for the one the browser would make; the server,
the encryption, the push service and the worker's push event are real.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import (
    PERMISSION_PROBE,
    SCREENSHOTS,
    TIMEZONE,
    People,
    go,
    sign_in,
    stand_in_subscription,
    wait_for_service_worker,
)
from tests.browser.test_patient import SIZES, Helen
from tracker import clock, queue
from tracker.models import (
    Application,
    DeliveryOutcome,
    Patient,
    PushDelivery,
    PushSubscription,
    ReminderTime,
    TreatmentCourse,
)
from tracker.services import notifications, records, reminders

pytestmark = pytest.mark.browser

ZONE = ZoneInfo(TIMEZONE)
VARIANTS = [pytest.param(lang, size, id=f"{lang}-{size}") for lang in ("en", "es") for size in SIZES]
LANGS = [pytest.param(lang, id=lang) for lang in ("en", "es")]
# What a lock screen may not show (the payload is the server's; tracker/services/notifications.py).
CLINICAL = ("helen", "mercer", "sodium", "thiosulfate", "thigh", "lateral", "emulsion", "wound",
            "calcinosis", "10 %", "10%", "herida", "tiosulfato")

TEXT = {
    "en": {
        "today": "Today", "reminders": "Reminders", "remind_me": "Remind me", "off": "Reminders are off.",
        "on": "On: every day at {times}", "here": "This phone is reminded.",
        "ask": "Your phone will ask whether Tend may send you notifications",
        "on_title": "Reminders are on",
        "on_text": "This phone will remind you at {times}, Mountain Time (Denver), on days",
        "zone": "In your time zone: Mountain Time (Denver). It is {time} there now.",
        "saved": "Times saved", "test": "A test is on its way", "off_title": "Reminders are off",
        "time_n": "Time {n}", "twice": "Each time can be chosen once.",
        "ios": "First, add Tend to your Home Screen", "share": "Add to Home Screen",
        "denied": "Notifications for Tend are blocked on this phone", "allow": "Set Notifications to Allow.",
        "not_allowed": "Notifications not allowed",
        "no_push": "This browser cannot send notifications", "still": "Today says when the day is not logged",
        "failed": "This phone could not be signed up for notifications", "details": "Details",
        "due": "Today's application is not logged yet", "due_hint": "It is past {time}.",
        "and": " and ", "link": "Get a reminder on this phone",
    },
    "es": {
        "today": "Hoy", "reminders": "Avisos", "remind_me": "Avisarme",
        "off": "Los avisos están desactivados.",
        "on": "Activados: cada día a las {times}", "here": "Este teléfono recibe los avisos.",
        "ask": "El teléfono le preguntará si Tend puede enviarle notificaciones",
        "on_title": "Avisos activados",
        "on_text": "Este teléfono le avisará a las {times}, hora de las Montañas Rocosas (Denver), los días",
        "zone": "En su zona horaria: hora de las Montañas Rocosas (Denver). Allí son ahora las {time}.",
        "saved": "Horas guardadas", "test": "La prueba está en camino", "off_title": "Avisos desactivados",
        "time_n": "Hora {n}", "twice": "Cada hora solo puede elegirse una vez.",
        "ios": "Primero, añada Tend a su pantalla de inicio", "share": "Añadir a pantalla de inicio",
        "denied": "Las notificaciones de Tend están bloqueadas en este teléfono",
        "allow": "Ponga Notificaciones en Permitir.", "not_allowed": "Notificaciones no permitidas",
        "no_push": "Este navegador no puede enviar notificaciones",
        "still": "Hoy le indica que el día no está anotado",
        "failed": "No se han podido activar las notificaciones en este teléfono", "details": "Detalles",
        "due": "La aplicación de hoy aún no está anotada", "due_hint": "Ya son más de las {time}.",
        "and": " y ", "link": "Recibir un aviso en este teléfono",
    },
}

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
NOT_INSTALLED = ("Object.defineProperty(Navigator.prototype, 'standalone',"
                 " { get: () => false, configurable: true });")
BLOCKED = """Object.defineProperty(Notification, 'permission', { get: () => 'denied', configurable: true });
Notification.requestPermission = async () => {
  (window.__asked = window.__asked || []).push('permission');
  return 'denied';
};"""
NO_PUSH = "delete window.PushManager; delete window.Notification;"


class Phone(Helen):
    """Helen's phone (or her caregiver's): what the checks share, with this file's words."""

    def __init__(self, page: Any, lang: str, size: str) -> None:
        super().__init__(page, lang, size)
        self.text = {**self.text, **TEXT[lang]}

    def asked(self) -> list[str]:
        """What the page asked the browser for since it loaded: 'permission', 'subscribe'."""
        return self.page.evaluate("() => window.__asked || []")

    def in_view(self, selector: str) -> str:
        """The element, scrolled into the window as a person would scroll to it: its text, once
        its whole height (or a whole window of it) is inside the window."""
        element = self.page.locator(selector)
        element.scroll_into_view_if_needed()
        box = element.bounding_box()
        assert box is not None, f"{selector} is not shown"
        if box["y"] < 0 or box["y"] + min(box["height"], self.height) > self.height + 1:
            element.evaluate("(e) => e.scrollIntoView({ block: 'start' })")  # taller than the window
            box = element.bounding_box()
            assert box is not None, f"{selector} is not shown"
        width, height = self.page.viewport_size["width"], self.height
        assert box["y"] >= -1 and box["y"] + min(box["height"], height) <= height + 1, (selector, box)
        assert box["x"] >= -1 and box["x"] + box["width"] <= width + 1, (selector, box)
        return element.inner_text()


# The shell version of this checkout's service worker.
_SW = Path(__file__).resolve().parents[2] / "frontend" / "app" / "sw.js"
VERSION = re.search(r'const VERSION = "([^"]+)"', _SW.read_text()).group(1)  # type: ignore[union-attr]


def open_phone(new_context: Any, people: People, lang: str, size: str = "390", *, username: str = "helen",
               scripts: tuple[str, ...] = (PERMISSION_PROBE,), granted: bool = False,
               clock_at: dt.datetime | None = None, **options: Any) -> Phone:
    """Her phone signed in (the app speaks her patient record's language), with these init scripts;
    with `clock_at`, the phone's clock set to that instant when the app starts."""
    if lang == "es":
        Patient.objects.filter(pk=people.patient.pk).update(language="es")
    context = new_context(viewport=SIZES[size]["viewport"], **options)
    if granted:
        context.grant_permissions(["notifications"])
    for script in scripts:
        context.add_init_script(script)
    page = context.new_page()
    if clock_at is not None:
        page.clock.install(time=clock_at)  # then it runs on from there, and the test moves it on
    phone = Phone(page, lang, size)
    phone.large_text()
    sign_in(page, username)
    page.locator("#main h1", has_text=phone.say("today")).wait_for()
    return phone


def reminder_settings(course: TreatmentCourse) -> dict[str, Any]:
    """The course's reminder settings as the server holds them now."""
    fresh = TreatmentCourse.objects.select_related("patient").get(pk=course.pk)
    return dict(reminders.reminder_settings(fresh))


def time_values(page: Any) -> list[str]:
    return page.locator("#times input[type=time]").evaluate_all("(inputs) => inputs.map((i) => i.value)")


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """The tasks the server hands to the workers (none runs here)."""
    sent: list[tuple[str, tuple[str, ...]]] = []
    monkeypatch.setattr(queue, "publish", lambda task, *args: sent.append((task, args)))
    return sent


# --- Remind me ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_remind_me_asks_for_notifications_only_when_tapped_then_reminds_this_phone_at_her_times(
        lang: str, size: str, people: People, push_service: Any, sent_tasks: list[Any],
        new_context: Any) -> None:
    device = push_service.new_subscription()
    phone = open_phone(new_context, people, lang, size, granted=True,
                       scripts=(PERMISSION_PROBE, stand_in_subscription(device)))
    page = phone.page
    # Today offers it, and nothing has been asked on the way.
    assert phone.in_view("#remind-link") == phone.say("link")
    page.click("#remind-link")
    page.locator("#main h1", has_text=phone.say("reminders")).wait_for()
    page.locator("#remind-me").wait_for()
    assert phone.asked() == []
    assert phone.say("off") in phone.in_view("#reminder-status")
    # Her wall clock, in her zone, with 20:00 offered.
    now = dt.datetime.now(ZONE)
    zone_line = phone.in_view("#zone-line")
    assert any(phone.say("zone", time=(now + dt.timedelta(minutes=m)).strftime("%H:%M")) == zone_line
               for m in (-1, 0, 1)), zone_line
    assert time_values(page) == ["20:00"]
    assert page.locator("#times label").all_inner_texts() == [phone.say("time_n", n=1)]
    assert page.locator(".remove-time:visible").count() == 0  # one time: nothing to remove
    assert page.locator("#permission-hint").count() == 0  # allowed on this phone already
    assert phone.in_view("#remind-me") == phone.say("remind_me")
    phone.check("reminders")
    for screen, heading in (("#/feel", "feel"), ("#/history", "history"), ("#/today", "today"),
                            ("#/reminders", "reminders")):
        phone.go(screen, heading)
    assert phone.asked() == [], "nothing is asked before she taps"

    text = phone.tap("#remind-me")
    assert phone.asked() == ["permission", "subscribe"]
    assert phone.say("on_title") in text and phone.say("on_text", times="20:00") in text
    stored = PushSubscription.objects.get()
    assert (stored.user_id, stored.endpoint, stored.p256dh, stored.auth) == (
        people.patient_user.pk, device.endpoint, device.p256dh, device.auth)
    assert reminder_settings(people.course) == {"enabled": True, "times": ["20:00"], "timezone": TIMEZONE}
    status = phone.in_view("#reminder-status")
    assert phone.say("on", times="20:00") in status and phone.say("here") in status
    assert page.locator("#remind-me").count() == 0
    phone.check("reminders-on")

    # Two more times; the same one twice is said beside them and not sent.
    page.click("#add-time")
    page.click("#add-time")
    assert page.locator("#times label").all_inner_texts() == [phone.say("time_n", n=n) for n in (1, 2, 3)]
    page.fill("#times li:nth-child(2) input", "08:30")
    page.fill("#times li:nth-child(3) input", "08:30")
    page.click("#save-times")
    assert phone.in_view("#times-error") == phone.say("twice")
    assert reminder_settings(people.course)["times"] == ["20:00"]
    page.click("#add-time")
    assert page.locator("#add-time").is_hidden()  # four is the most
    phone.check("reminders-four")
    page.click("#times li:nth-child(3) .remove-time")
    page.click("#times li:nth-child(3) .remove-time")
    assert page.locator("#add-time").is_visible()
    text = phone.tap("#save-times")
    times = phone.say("and").join(["08:30", "20:00"])
    assert phone.say("saved") in text and phone.say("on", times=times) in text
    assert reminder_settings(people.course)["times"] == ["08:30", "20:00"]
    assert time_values(page) == ["08:30", "20:00"]
    phone.check("reminders-changed")

    # A test message to her own phone.
    text = phone.tap("#send-test")
    assert phone.say("test") in text
    [delivery] = PushDelivery.objects.filter(kind="test")
    assert delivery.subscription_id == stored.pk
    assert (queue.SEND_PUSH, (str(delivery.pk),)) in sent_tasks

    # Off: the times are kept for later, Remind me is offered again.
    text = phone.tap("#turn-off")
    assert phone.say("off_title") in text
    assert reminder_settings(people.course) == {
        "enabled": False, "times": ["08:30", "20:00"], "timezone": TIMEZONE}
    assert phone.say("off") in phone.in_view("#reminder-status")
    assert phone.in_view("#remind-me") == phone.say("remind_me")
    phone.check("reminders-off")
    assert phone.asked() == ["permission", "subscribe"]


# --- Phones that cannot be asked ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_an_iphone_without_the_installed_app_is_told_to_add_it_to_the_home_screen_not_asked(
        lang: str, people: People, new_context: Any) -> None:
    phone = open_phone(new_context, people, lang, user_agent=IPHONE,
                       scripts=(PERMISSION_PROBE, NOT_INSTALLED))
    page = phone.page
    assert page.evaluate("() => navigator.standalone") is False
    phone.go("#/reminders", "reminders")
    card = phone.in_view("#ios-install")
    assert phone.say("ios") in card and phone.say("share") in card
    assert page.locator("#ios-install ol li").count() == 3
    assert page.locator("#remind-me").count() == 0
    phone.check("reminders-iphone")
    # Her times are still hers to save: Today reads them, her helpers' phones are reminded.
    page.fill("#times li:nth-child(1) input", "19:30")
    text = phone.tap("#save-times")
    assert phone.say("saved") in text
    assert reminder_settings(people.course)["times"] == ["19:30"]
    assert phone.asked() == []
    assert PushSubscription.objects.count() == 0


@pytest.mark.parametrize("lang", LANGS)
def test_blocked_notifications_say_how_to_allow_them_again(
        lang: str, people: People, new_context: Any) -> None:
    phone = open_phone(new_context, people, lang, scripts=(PERMISSION_PROBE, BLOCKED))
    page = phone.page
    phone.go("#/reminders", "reminders")
    help_ = phone.in_view("#denied")
    assert phone.say("denied") in help_ and phone.say("allow") in help_
    assert phone.say("still") in help_
    assert page.locator("#remind-me").count() == 0
    phone.check("reminders-blocked")
    assert phone.asked() == []


@pytest.mark.parametrize("lang", LANGS)
def test_notifications_refused_when_asked_say_how_to_allow_them_again(
        lang: str, people: People, new_context: Any) -> None:
    # She taps Block when the browser asks: from then on the permission is "denied", as in a browser.
    refuse = """(() => {
  let permission = 'default';
  Object.defineProperty(Notification, 'permission', { get: () => permission, configurable: true });
  Notification.requestPermission = async () => {
    (window.__asked = window.__asked || []).push('permission');
    permission = 'denied';
    return permission;
  };
})();"""
    phone = open_phone(new_context, people, lang, scripts=(PERMISSION_PROBE, refuse))
    page = phone.page
    phone.go("#/reminders", "reminders")
    assert phone.say("ask") in phone.in_view("#permission-hint")
    assert phone.asked() == []
    text = phone.tap("#remind-me")
    assert phone.asked() == ["permission"]
    assert phone.say("not_allowed") in text
    assert reminder_settings(people.course)["enabled"] is False
    assert PushSubscription.objects.count() == 0
    assert phone.say("allow") in page.locator("#denied").inner_text()
    assert page.locator("#remind-me").count() == 0
    assert page.locator("#times input").input_value() == "20:00"  # what she chose is still there
    phone.check("reminders-refused")


@pytest.mark.parametrize("lang", LANGS)
def test_a_browser_without_web_push_says_reminders_need_it_and_today_still_says_when(
        lang: str, people: People, new_context: Any) -> None:
    phone = open_phone(new_context, people, lang, scripts=(NO_PUSH,))
    page = phone.page
    assert page.evaluate("() => 'PushManager' in window || 'Notification' in window") is False
    phone.go("#/reminders", "reminders")
    card = phone.in_view("#no-push")
    assert phone.say("no_push") in card and phone.say("still") in card
    assert page.locator("#remind-me").count() == 0
    phone.check("reminders-no-push")
    text = phone.tap("#save-times")
    assert phone.say("saved") in text
    assert reminder_settings(people.course) == {"enabled": True, "times": ["20:00"], "timezone": TIMEZONE}


# --- The service worker ------------------------------------------------------------------------------------

SHOWN = """() => navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((all) =>
  all.map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon, data: n.data })))"""


class Worker:
    """The page's service worker seen through the DevTools protocol: its registration id, a push
    message delivered to it as a push service would, and the notifications it shows."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page, self.origin = page, origin
        self.cdp = page.context.new_cdp_session(page)
        self.registrations: dict[str, dict[str, Any]] = {}
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._updated)
        self.cdp.send("ServiceWorker.enable")

    def _updated(self, event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            self.registrations[registration["registrationId"]] = registration

    def registration_id(self) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            live = [r for r in self.registrations.values()
                    if r["scopeURL"] == f"{self.origin}/" and not r.get("isDeleted")]
            if live:
                return str(live[-1]["registrationId"])
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no registration for {self.origin}/: {self.registrations}")

    def push(self, payload: Any) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self.cdp.send("ServiceWorker.deliverPushMessage",
                      {"origin": self.origin, "registrationId": self.registration_id(), "data": data})

    def shown(self, count: int = 1) -> list[dict[str, Any]]:
        """The notifications on screen, once there are `count` of them (or after 10 s)."""
        deadline = time.monotonic() + 10
        while True:
            shown: list[dict[str, Any]] = self.page.evaluate(SHOWN)
            if len(shown) >= count or time.monotonic() > deadline:
                return shown
            self.page.wait_for_timeout(100)


def test_the_worker_shows_a_push_message_and_tapping_it_opens_the_screen_it_names(
        people: People, live_server: Any, new_context: Any) -> None:
    context = new_context()
    context.grant_permissions(["notifications"])
    page = context.new_page()
    worker = Worker(page, live_server.url)
    sign_in(page, "nurse")
    wait_for_service_worker(page)
    served = page.evaluate("() => fetch('/sw.js').then((r) => r.text())")
    assert VERSION in served  # the worker in charge is this checkout's
    go(page, "#/patients", "Patients")

    body = "A patient needs your attention. Open Tend to see."
    worker.push({"type": "alert", "title": "Tend", "body": body, "url": "/#/alerts"})
    [shown] = worker.shown()
    assert shown["title"] == "Tend" and shown["body"] == body and shown["tag"] == "alert"
    assert shown["icon"].endswith("/static/tend/icons/icon-192.png")
    assert shown["data"]["url"] == "/#/alerts"
    # A second of the same type replaces it; a url off this site opens the app's start instead.
    worker.push({"type": "alert", "title": "Tend", "body": body, "url": "/#/alerts"})
    worker.push({"type": "test", "title": "Tend", "body": "Notifications work on this device.",
                 "url": "https://elsewhere.example/"})
    shown_now = worker.shown(2)
    assert sorted(n["tag"] for n in shown_now) == ["alert", "test"]
    assert next(n for n in shown_now if n["tag"] == "test")["data"]["url"] == "/"

    # Tapped (the worker's notificationclick, as a click would fire it): the open window shows the
    # screen the message names, and the notification goes.
    [service_worker] = context.service_workers
    service_worker.evaluate("""async () => {
      const [tapped] = await self.registration.getNotifications({ tag: 'alert' });
      self.dispatchEvent(new NotificationEvent('notificationclick', { notification: tapped }));
    }""")
    page.wait_for_function("() => location.hash === '#/alerts'")
    page.locator("#main h1", has_text="Alerts").wait_for()
    assert [n["tag"] for n in worker.shown()] == ["test"]
    # A payload that is not JSON is still shown, in its own words: a push is never silent.
    worker.push("Open Tend.")
    odd = next(n for n in worker.shown(2) if n["tag"] == "tend")
    assert (odd["title"], odd["body"], odd["data"]["url"]) == ("Tend", "Open Tend.", "/")


# --- Today, without any notification -----------------------------------------------------------------------

def her_time(hour: int, minute: int, second: int = 0) -> dt.datetime:
    """That wall-clock time today in her zone (the day the server calls today too)."""
    return dt.datetime.combine(clock.today_in(TIMEZONE), dt.time(hour, minute, second), tzinfo=ZONE)


def log_today(people: People) -> None:
    records.record_create(kind=records.APPLICATION, recorded_by=people.patient_user, course=people.course,
                          data={"applied_at": dt.datetime.now(ZONE), "status": "applied"})


@pytest.mark.parametrize("lang", LANGS)
def test_today_says_the_day_is_not_logged_once_her_first_reminder_time_has_passed(
        lang: str, people: People, new_context: Any) -> None:
    reminders.reminders_set(course=people.course, enabled=True, times=[dt.time(21), dt.time(9)],
                            by=people.patient_user)
    phone = open_phone(new_context, people, lang, clock_at=her_time(8, 59))
    page = phone.page
    assert page.locator("#due-banner").is_hidden()
    phone.check("today-before-reminder")
    # 09:00 passes while Today is open: the card comes without the screen being drawn again.
    page.evaluate("() => document.querySelector('#apply').setAttribute('data-drawn', '')")
    page.clock.run_for(90_000)
    page.locator("#due-banner").wait_for()
    card = phone.in_view("#due-banner")
    assert phone.say("due") in card and phone.say("due_hint", time="09:00") in card
    assert page.locator("#apply[data-drawn]").count() == 1
    phone.check("today-not-logged")
    # Logged (on her other phone): Today no longer says it.
    log_today(people)
    phone.go("#/history", "history")
    phone.go("#/today", "today")
    page.locator("#today-records").wait_for()
    assert page.locator("#due-banner").is_hidden()
    phone.check("today-logged-no-banner")


@pytest.mark.parametrize("lang", LANGS)
def test_today_says_it_at_20_00_when_she_chose_no_time_even_without_web_push(
        lang: str, people: People, new_context: Any) -> None:
    phone = open_phone(new_context, people, lang, scripts=(NO_PUSH,), clock_at=her_time(19, 59, 30))
    page = phone.page
    assert page.locator("#due-banner").is_hidden()
    page.clock.run_for(40_000)
    page.locator("#due-banner").wait_for()
    card = phone.in_view("#due-banner")
    assert phone.say("due") in card and phone.say("due_hint", time="20:00") in card
    # Said above what she does about it.
    banner, apply = page.locator("#due-banner").bounding_box(), page.locator("#apply").bounding_box()
    assert banner is not None and apply is not None and banner["y"] < apply["y"]
    phone.check("today-not-logged-no-push")


# --- The promise, end to end -------------------------------------------------------------------------------

SUBSCRIBE_OUTCOME = SCREENSHOTS.parent / "push-subscribe.txt"


def test_a_reminder_at_20_00_reaches_her_phone_and_none_comes_on_a_day_she_logged(
        people: People, push_service: Any, live_server: Any, new_context: Any) -> None:
    context = new_context()
    context.grant_permissions(["notifications"])
    context.add_init_script(PERMISSION_PROBE)
    page = context.new_page()
    worker = Worker(page, live_server.url)
    phone = Phone(page, "en", "390")
    sign_in(page, "helen")
    wait_for_service_worker(page)
    phone.go("#/reminders", "reminders")

    # 1. Chromium's own push subscription, as she would make it. Debian's Chromium has no push
    # service to register with: what it answers is kept in artifacts/push-subscribe.txt.
    text = phone.tap("#remind-me")
    assert phone.asked() == ["permission", "subscribe"]
    if PushSubscription.objects.exists():
        outcome = f"subscribed: {PushSubscription.objects.get().endpoint}"
    else:
        # Said in her words; the browser's own under Details.
        assert phone.say("failed") in text
        page.click("#browser-said summary")
        browser_said = phone.in_view("#browser-said .server-words")
        outcome = f"pushManager.subscribe failed: {browser_said}"
        phone.check("reminders-subscribe-failed")
        assert reminder_settings(people.course)["enabled"] is False  # nothing half done
    SUBSCRIBE_OUTCOME.parent.mkdir(parents=True, exist_ok=True)
    SUBSCRIBE_OUTCOME.write_text(f"{page.context.browser.version}: {outcome}\n")
    print(outcome)
    PushSubscription.objects.all().delete()

    # 2. The subscription a push service of this test hands out, in its place; the rest is real.
    device = push_service.new_subscription()
    context.add_init_script(stand_in_subscription(device))
    page.reload()
    page.locator("#remind-me").wait_for()
    assert page.locator("#times input").input_value() == "20:00"
    text = phone.tap("#remind-me")
    assert phone.say("on_title") in text
    assert [s.endpoint for s in PushSubscription.objects.all()] == [device.endpoint]
    assert reminder_settings(people.course) == {"enabled": True, "times": ["20:00"], "timezone": TIMEZONE}

    # 3. 20:00 her time on a day she has not logged (yesterday), as beat's scan finds it, and the
    # worker's task sending it.
    yesterday = clock.today_in(TIMEZONE) - dt.timedelta(days=1)
    due = dt.datetime.combine(yesterday, dt.time(20), tzinfo=ZONE)
    assert not Application.objects.filter(local_date=yesterday).exists()
    ReminderTime.objects.filter(course=people.course).update(next_due_at=due, next_local_date=yesterday)
    now = due + dt.timedelta(seconds=30)
    assert reminders.reminders_due_scan(now=now) == 1
    [delivery] = PushDelivery.objects.filter(outcome=DeliveryOutcome.PENDING)
    assert delivery.subscription.endpoint == device.endpoint
    assert notifications.delivery_send(delivery.pk, now=now) == DeliveryOutcome.SENT
    [message] = push_service.received
    assert message.problems == [] and message.status == 201
    payload = message.payload
    assert payload["type"] == "reminder" and payload["url"] == "/"
    assert payload["title"] and payload["body"]
    assert not any(word in json.dumps(payload, ensure_ascii=False).lower() for word in CLINICAL), payload

    # 4. What the push service received, delivered to her phone's service worker: shown.
    worker.push(payload)
    [shown] = worker.shown()
    assert shown["title"] == payload["title"] and shown["body"] == payload["body"]
    assert shown["tag"] == "reminder" and shown["data"]["url"] == "/"
    assert not any(word in f"{shown['title']} {shown['body']}".lower() for word in CLINICAL), shown

    # 5. She logs today; at 20:00 today the scan finds the day logged and sends nothing.
    phone.go("#/today", "today")
    phone.tap("#apply")
    assert Application.objects.filter(local_date=clock.today_in(TIMEZONE)).exists()
    later = ReminderTime.objects.get(course=people.course)
    assert later.next_local_date == clock.today_in(TIMEZONE)
    assert reminders.reminders_due_scan(now=later.next_due_at + dt.timedelta(seconds=30)) == 1
    assert not PushDelivery.objects.filter(outcome=DeliveryOutcome.PENDING).exists()
    assert len(push_service.received) == 1
