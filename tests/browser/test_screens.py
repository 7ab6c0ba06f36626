"""Each main screen, for each role: a phone-size screenshot (artifacts/screenshots/) and an axe-core
check (WCAG 2.0/2.1/2.2 A and AA: no serious or critical violation). Then the layout: 320 px wide,
a desktop window zoomed to 200 %, 44 px targets, and the Spanish switch.

axe is evaluated through the DevTools protocol (page.evaluate), which the page's CSP does not govern,
so each screen is checked exactly as served, with its strict CSP in force (no bypass_csp).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import AXE, History, People, go, screenshot, sign_in
from tracker.models import Alert

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# (route, heading, screenshot name)
PATIENT_SCREENS = [
    ("#/today", "Today", "patient-today"),
    ("#/feel", "How do you feel", "patient-how-do-you-feel"),
    ("#/photo", "Photo", "patient-photo"),
    ("#/history", "History", "patient-history"),
    ("#/reports", "Reports", "patient-reports"),
    ("#/reminders", "Reminders", "patient-reminders"),
    ("#/helpers", "People who help me", "patient-helpers"),
]
NURSE_SCREENS = [
    ("#/queue", "Review queue", "nurse-review-queue"),
    ("#/patients", "Patients", "nurse-patients"),
    ("#/alerts", "Alerts", "nurse-alerts"),
]
PHYSICIAN_SCREENS = [
    ("#/patients", "Patients", "physician-patients"),
    ("#/patient/{patient}", "Helen Mercer", "physician-patient-detail"),
]
SCREENS = {"helen": PATIENT_SCREENS, "nurse": NURSE_SCREENS, "physician": PHYSICIAN_SCREENS}


def axe_problems(page: Any, screen: str) -> list[str]:
    """Run axe on the page as it is; return its serious and critical violations, print the rest."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", AXE_TAGS)
    problems = []
    for violation in result["violations"]:
        targets = [" ".join(node["target"]) for node in violation["nodes"]][:5]
        line = f"{screen}: [{violation['impact']}] {violation['id']}: {violation['help']} {targets}"
        if violation["impact"] in ("serious", "critical"):
            problems.append(line)
        else:
            print(line)
    assert result["testEngine"]["version"].startswith("4.")
    return problems


def screens_of(username: str, people: People) -> list[tuple[str, str, str]]:
    return [(route.format(patient=people.patient.pk), heading, name)
            for route, heading, name in SCREENS[username]]


def test_the_sign_in_screen_has_no_serious_accessibility_violation(page):
    page.goto("/")
    page.locator("#login").wait_for()
    screenshot(page, "login")
    assert axe_problems(page, "login") == []
    # Every field has a visible label tied to it.
    for name in ("username", "password"):
        field = page.locator(f"#login input[name={name}]")
        assert page.locator(f"label[for='{field.get_attribute('id')}']").is_visible()


@pytest.mark.parametrize("username", ["helen", "nurse", "physician"])
def test_each_main_screen_is_captured_has_no_serious_accessibility_violation_and_44_px_targets(
        username: str, people: People, history: History, page: Any) -> None:
    sign_in(page, username)
    problems = []
    small = []
    for route, heading, name in screens_of(username, people):
        go(page, route, heading)
        if name == "nurse-review-queue":
            page.locator("#review").wait_for()
            page.wait_for_function("() => [...document.querySelectorAll('.compare img')]"
                                   ".every((img) => img.complete && img.naturalWidth > 0)")
        if name == "patient-history":
            page.wait_for_function("() => [...document.querySelectorAll('#gallery img')]"
                                   ".every((img) => img.complete && img.naturalWidth > 0)")
        screenshot(page, name)
        problems += axe_problems(page, name)
        if name == "patient-today":
            page.click("#skip")  # the skip form's controls are measured too
            page.locator("#skip-form").wait_for()
        small += [f"{name}: {target}" for target in page.evaluate(SMALL_TARGETS)]
    assert problems == [], "\n".join(problems)
    assert small == [], "targets under 44 x 44 px:\n" + "\n".join(small)


def test_the_review_queue_shows_the_photo_beside_the_previous_one(people, history, page):
    sign_in(page, "nurse")
    go(page, "#/queue", "Review queue")
    images = page.locator(".compare img")
    images.first.wait_for()
    assert images.count() == 2
    sources = [images.nth(i).get_attribute("src") for i in range(2)]
    waiting, reviewed = history.photos[1], history.photos[0]
    assert str(waiting.pk) in sources[0]
    assert str(reviewed.pk) in sources[1]


# --- Layout ---------------------------------------------------------------------------------------------

SMALL_TARGETS = """() => {
  const small = [];
  const seen = new Set();
  const controls = 'a[href], button, select, textarea, input:not([type=hidden]), [role=button], summary';
  for (const control of document.querySelectorAll(controls)) {
    // A radio button or a check box is reached through its label, which is the target.
    const label = control.matches('input[type=radio], input[type=checkbox]') && control.closest('label');
    const target = label || control;
    if (seen.has(target)) continue;
    seen.add(target);
    const box = target.getBoundingClientRect();
    // Not shown (the skip link until it is focused).
    if (!box.width || !box.height || box.right <= 0 || box.bottom <= 0) continue;
    if (box.width < 44 || box.height < 44) {
      const text = (target.textContent || target.name || target.type || '').trim().slice(0, 30);
      const size = `${Math.round(box.width)} x ${Math.round(box.height)}`;
      small.push(`${target.tagName.toLowerCase()} ${target.id ? '#' + target.id : text}: ${size}`);
    }
  }
  return small;
}"""


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("username", ["helen", "nurse", "physician"])
def test_every_screen_reflows_at_320_px_and_in_a_window_zoomed_to_200_percent(
        username: str, people: People, history: History, new_context: Any) -> None:
    """320 CSS px is the narrowest phone (and a 1280 px window at 400 %): nothing may scroll sideways.
    Zooming a 1280 x 800 window to 200 % halves its CSS pixels: the page lays out exactly as in a
    640 x 400 CSS px viewport with 2 device pixels per CSS pixel, which is what is emulated here."""
    overflowing = []
    for label, options in (("320 px", {"viewport": {"width": 320, "height": 640}}),
                           ("200 %", {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2})):
        page = new_context(**options).new_page()
        sign_in(page, username)
        for route, heading, name in screens_of(username, people):
            go(page, route, heading)
            if overflow := horizontal_overflow(page):
                overflowing.append(f"{name} at {label}: {overflow} px too wide")
            # The screen's heading and its first main control are on screen, not clipped.
            assert page.locator("#main h1").is_visible()
            if name == "patient-today":
                box = page.locator("#apply").bounding_box()
                assert box is not None
                assert box["x"] >= 0 and box["x"] + box["width"] <= options["viewport"]["width"]
        if label == "200 %" and username == "helen":
            go(page, "#/today", "Today")
            screenshot(page, "patient-today-zoom-200")
    assert overflowing == [], "\n".join(overflowing)


def test_the_language_switch_turns_the_app_to_spanish_and_keeps_it(people, page):
    sign_in(page, "helen")
    assert page.locator("#main h1").inner_text() == "Today"
    # Its accessible name is its visible text (WCAG 2.5.3), in the language it switches to.
    assert page.locator("#lang").inner_text() == "Español"
    assert page.get_by_role("button", name="Español", exact=True).get_attribute("id") == "lang"
    assert page.get_attribute("#lang", "lang") == "es"
    page.click("#lang")
    page.locator("#main h1", has_text="Hoy").wait_for()
    assert page.evaluate("() => document.documentElement.lang") == "es"
    assert page.locator("#apply").inner_text() == "Ya me lo apliqué"
    assert page.locator("#nav a").all_inner_texts() == [
        "Hoy", "Cómo se siente", "Foto", "Historial", "Informes", "Avisos", "Quién me ayuda"]
    assert page.locator("#lang").inner_text() == "English"
    assert page.get_by_role("button", name="English", exact=True).get_attribute("id") == "lang"
    assert page.locator("#logout").inner_text() == "Salir"
    screenshot(page, "patient-today-es")
    page.reload()
    page.locator("#main h1", has_text="Hoy").wait_for()
    assert page.evaluate("() => localStorage.getItem('tend-language')") == "es"
    page.click("#lang")
    page.locator("#main h1", has_text="Today").wait_for()
    assert page.evaluate("() => document.documentElement.lang") == "en"


def test_the_alerts_screen_says_whose_alert_it_is_and_leads_to_her_to_acknowledge_it(people, history, page):
    alert = Alert.objects.get(status="open")
    sign_in(page, "nurse")
    go(page, "#/alerts", "Alerts")
    link = page.locator("#alerts a", has_text="Helen Mercer")
    assert link.get_attribute("href") == f"#/patient/{people.patient.pk}"
    link.click()
    page.locator("#main h1", has_text="Helen Mercer").wait_for()
    page.locator("#alerts button", has_text="Acknowledge").click()
    page.locator("#alerts", has_text="No open alerts.").wait_for()
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by_id) == ("acknowledged", people.nurse.pk)
