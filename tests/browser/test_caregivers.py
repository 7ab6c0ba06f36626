"""The people who help Helen: she invites her daughter on "People who help me" and is shown the
one-time code, large, with what to do with it; Clara starts with a code on her own phone, sees
Helen's screens under "Helping Helen Mercer", logs for her, and History and the staff page say
"Logged by Clara Mercer (caregiver)"; Helen (or her nurse, on the clinical page) removes her after
a confirmation, and she is listed as removed. At phone size, in English and in Spanish. And the
staff switch for new alerts on this device, which asks for notifications only when turned on.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import PERMISSION_PROBE, People, go, sign_in, stand_in_subscription
from tests.browser.test_patient import SIZES
from tests.browser.test_reminders import Phone, open_phone
from tests.browser.test_screens import horizontal_overflow
from tests.browser.test_staff import assert_accessible, open_app, whole_page_screenshot
from tests.conftest import PASSWORD, make_caregiver
from tracker.models import Application, Caregiver, CaregiverStatus, Patient, PushSubscription, User
from tracker.services import people as people_service

pytestmark = pytest.mark.browser

VARIANTS = [pytest.param(lang, size, id=f"{lang}-{size}") for lang in ("en", "es") for size in SIZES]
LANGS = [pytest.param(lang, id=lang) for lang in ("en", "es")]
CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")

TEXT = {
    "en": {
        "helpers": "People who help me", "nobody": "Nobody yet.", "relation": "daughter",
        "code_title": "The code for Clara Mercer", "have_code": "I have a code",
        "once": "The code works once",
        "invited": "Invited", "active": "Active", "removed": "Removed",
        "confirm": "Remove Clara Mercer? At once, they stop seeing your treatment",
        "yes": "Yes, remove Clara Mercer", "said": "Clara Mercer was removed.",
        "helping": "Helping Helen Mercer", "by_clara": "Logged by Clara Mercer (caregiver)",
        "by_you": "Logged by you", "limit": "At most 5 people at a time",
        "start": "Start with your code", "reminders": "Reminders", "reports": "Reports",
        "helper_intro": "at Helen Mercer's reminder times", "helper_zone": "In Helen Mercer's time zone",
        "not_here": "This phone is not reminded yet", "on": "On: every day at 20:00",
        "team": "People who help her",
        "staff_code": "Give this code to Sam Ortiz, or to Helen Mercer to pass on.",
        "switch": "Notify me of new alerts on this device",
        "switch_on": "On: this device is told when an alert opens",
        "switch_off": "Off: new alerts show here", "alerts": "Alerts", "patients": "Patients",
        "neighbour": "neighbour",
    },
    "es": {
        "helpers": "Quién me ayuda", "nobody": "Todavía nadie.", "relation": "hija",
        "code_title": "El código para Clara Mercer", "have_code": "Tengo un código",
        "once": "El código sirve una sola vez",
        "invited": "Pendiente", "active": "Con acceso", "removed": "Sin acceso",
        "confirm": "¿Quitar a Clara Mercer? Dejará al instante de ver su tratamiento",
        "yes": "Sí, quitar a Clara Mercer", "said": "Se ha quitado a Clara Mercer.",
        "helping": "Ayudando a Helen Mercer", "by_clara": "Anotado por Clara Mercer (cuidador/a)",
        "by_you": "Anotado por usted", "limit": "Como mucho 5 personas a la vez",
        "start": "Empezar con su código", "reminders": "Avisos", "reports": "Informes",
        "helper_intro": "a las horas de los avisos de Helen Mercer",
        "helper_zone": "En la zona horaria de Helen Mercer",
        "not_here": "Este teléfono aún no recibe los avisos", "on": "Activados: cada día a las 20:00",
        "team": "Personas que la ayudan",
        "staff_code": "Dé este código a Sam Ortiz, o a Helen Mercer para que se lo pase.",
        "switch": "Avisarme de alertas nuevas en este dispositivo",
        "switch_on": "Activado: este dispositivo recibe un aviso",
        "switch_off": "Desactivado: las alertas nuevas",
        "alerts": "Alertas", "patients": "Pacientes", "neighbour": "vecino",
    },
}

# The patient's screens a caregiver has, as (route, heading key).
HER_SCREENS = [("#/today", "today"), ("#/feel", "feel"), ("#/photo", "photo"), ("#/history", "history"),
               ("#/reports", "reports"), ("#/reminders", "reminders")]


def words(phone: Phone) -> Phone:
    phone.text = {**phone.text, **TEXT[phone.lang]}
    return phone


def shown_code(page: Any) -> str:
    """The code as she reads it off the screen, its groups wrapped or not."""
    return re.sub(r"\s", "", page.locator("#activation-code").inner_text())


def row(page: Any, name: str) -> Any:
    return page.locator("#caregivers li.caregiver", has_text=name)


# --- Helen invites, and removes ------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "size"), VARIANTS)
def test_helen_invites_her_daughter_is_shown_the_code_once_and_removes_her_after_confirming(
        lang: str, size: str, people: People, new_context: Any) -> None:
    phone = words(open_phone(new_context, people, lang, size))
    page = phone.page
    page.locator("#nav a", has_text=phone.say("helpers")).click()
    page.locator("#main h1", has_text=phone.say("helpers")).wait_for()
    assert phone.in_view("#no-caregivers") == phone.say("nobody")
    phone.check("helpers")

    page.fill("#invite-form input[name=display_name]", "Clara Mercer")
    page.fill("#invite-form input[name=relationship]", phone.say("relation"))
    page.click("#invite")
    page.locator("#code-card").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "code-card"
    assert phone.say("code_title") in phone.in_view("#code-card h2")
    code = shown_code(page)
    assert CODE.match(code), code
    phone.in_view("#activation-code")
    sizes = page.evaluate("""() => [getComputedStyle(document.querySelector('#activation-code')).fontSize,
                                    getComputedStyle(document.querySelector('#code-once')).fontSize]""")
    assert float(sizes[0][:-2]) >= 1.25 * float(sizes[1][:-2])  # large: read out or copied
    steps = page.locator("#code-steps li").all_inner_texts()
    assert len(steps) == 3 and page.evaluate("() => location.origin") in steps[0]
    assert phone.say("have_code") in steps[1]
    assert phone.say("once") in phone.in_view("#code-once")
    phone.check("helpers-code")
    invited = Caregiver.objects.get()
    assert (invited.display_name, invited.relationship, invited.status) == (
        "Clara Mercer", phone.say("relation"), CaregiverStatus.INVITED)
    assert f"Clara Mercer ({phone.say('relation')})" in row(page, "Clara Mercer").inner_text()
    assert phone.say("invited") in row(page, "Clara Mercer").locator(".badge").inner_text()
    page.click("#code-done")
    assert page.locator("#activation-code").count() == 0  # shown once: gone for good

    # The code on the screen is the one that works: Clara starts with it.
    people_service.patient_activate(activation_code=code, username="clara", password=PASSWORD)
    phone.go("#/today", "today")
    phone.go("#/helpers", "helpers")
    assert row(page, "Clara Mercer").locator(".badge").inner_text() == phone.say("active")

    # Remove: asked first, in words that say what it does; Cancel leaves her be.
    row(page, "Clara Mercer").locator(".remove-helper").click()
    assert phone.say("confirm") in phone.in_view("#remove-confirm")
    assert page.evaluate("() => document.activeElement.textContent") == phone.say("yes")
    phone.check("helpers-confirm")
    page.locator("#remove-confirm button.secondary").click()
    assert page.locator("#remove-confirm").count() == 0
    assert Caregiver.objects.get().status == CaregiverStatus.ACTIVE
    row(page, "Clara Mercer").locator(".remove-helper").click()
    page.click("#remove-confirm .confirm-remove")
    page.locator("#caregiver-said").wait_for()
    assert phone.in_view("#caregiver-said") == phone.say("said")
    gone = row(page, "Clara Mercer")
    assert gone.locator(".badge").inner_text() == phone.say("removed")
    assert gone.locator(".remove-helper").count() == 0
    removed = Caregiver.objects.get()
    assert removed.status == CaregiverStatus.REVOKED
    assert User.objects.get(username="clara").is_active is False
    phone.check("helpers-removed")


@pytest.mark.parametrize("lang", LANGS)
def test_a_sixth_helper_is_refused_in_her_words(lang: str, people: People, new_context: Any) -> None:
    for n in range(5):
        people_service.caregiver_invite(patient=people.patient, display_name=f"Helper {n}", relationship="",
                                        invited_by=people.patient_user)
    phone = words(open_phone(new_context, people, lang))
    page = phone.page
    phone.go("#/helpers", "helpers")
    page.fill("#invite-form input[name=display_name]", "Clara Mercer")
    page.click("#invite")
    page.locator("#invite-error").wait_for()
    assert phone.say("limit") in phone.in_view("#invite-error")
    assert Caregiver.objects.count() == 5
    phone.check("helpers-limit")


# --- Clara, on her own phone ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_clara_starts_with_her_code_sees_helens_screens_under_her_name_and_logs_for_her(
        lang: str, people: People, new_context: Any) -> None:
    if lang == "es":
        Patient.objects.filter(pk=people.patient.pk).update(language="es")
    _, code = people_service.caregiver_invite(patient=people.patient, display_name="Clara Mercer",
                                              relationship="daughter", invited_by=people.patient_user)
    context = new_context(locale="es-ES" if lang == "es" else "en-US")
    page = context.new_page()
    clara = words(Phone(page, lang, "390"))
    page.goto("/")
    page.locator("#login").wait_for()
    page.click("#have-code")
    page.locator("#main h1", has_text=clara.say("start")).wait_for()
    clara.check("caregiver-activate")
    page.fill("#activate input[name=activation_code]", code.lower())  # as she types it
    page.fill("#activate input[name=username]", "clara")
    page.fill("#activate input[name=password]", PASSWORD)
    page.click("#activate button[type=submit]")
    page.locator("#main h1", has_text=clara.say("today")).wait_for()
    assert User.objects.get(username="clara").role == "caregiver"

    # Whose screens these are, on each of them; no list of the people who help her.
    nav = page.locator("#nav a").all_inner_texts()
    assert clara.say("reminders") in nav and clara.say("helpers") not in nav
    for route, key in HER_SCREENS:
        clara.go(route, key)
        assert clara.in_view("#helping") == clara.say("helping"), route
    go(page, "#/helpers")
    page.locator("#main h1", has_text=clara.say("today")).wait_for()
    assert page.locator("#invite-form").count() == 0

    # She logs today's application for Helen.
    clara.tap("#apply")
    application = Application.objects.get()
    assert application.recorded_by.username == "clara"
    assert clara.in_view("#helping") == clara.say("helping")
    clara.check("caregiver-today")
    clara.go("#/history", "history")
    assert clara.say("by_you") in clara.in_view("#recent li:first-child")
    clara.check("caregiver-history")

    # Helen's History, and the staff page, say who logged it.
    helen = words(open_phone(new_context, people, lang))
    helen.go("#/history", "history")
    assert clara.say("by_clara") in helen.in_view("#recent li:first-child")
    helen.check("history-logged-by-caregiver")
    nurse = open_app(new_context, "nurse", lang)
    go(nurse, f"#/patient/{people.patient.pk}", "Helen Mercer")
    entry = nurse.locator("#record-list li").first
    entry.scroll_into_view_if_needed()
    assert entry.locator(".recorded-by").inner_text() == clara.say("by_clara")
    assert entry.is_visible()


@pytest.mark.parametrize("lang", LANGS)
def test_her_caregiver_is_reminded_at_helens_times_on_her_own_phone(
        lang: str, people: People, push_service: Any, new_context: Any) -> None:
    make_caregiver(people.patient, username="clara")
    device = push_service.new_subscription()
    clara = words(open_phone(new_context, people, lang, username="clara", granted=True,
                             scripts=(PERMISSION_PROBE, stand_in_subscription(device))))
    page = clara.page
    clara.go("#/reminders", "reminders")
    assert clara.say("helper_intro") in clara.in_view("#reminders-intro")
    assert clara.say("helper_zone") in clara.in_view("#zone-line")
    assert clara.asked() == []
    clara.check("caregiver-reminders")
    clara.tap("#remind-me")
    assert clara.asked() == ["permission", "subscribe"]
    [stored] = PushSubscription.objects.all()
    assert stored.user.username == "clara" and stored.endpoint == device.endpoint
    clara.check("caregiver-reminders-on")
    # On Helen's phone: the same times, on; her own phone not reminded yet.
    helen = words(open_phone(new_context, people, lang))
    helen.go("#/reminders", "reminders")
    status = helen.in_view("#reminder-status")
    assert helen.say("on") in status and helen.say("not_here") in status
    # Clara signs out: her phone is no longer told anything.
    assert page.locator("#helping").count() == 1
    page.click("#logout")
    page.locator("#login").wait_for()
    assert not PushSubscription.objects.exists()
    assert page.evaluate("() => localStorage.getItem('stand-in-push')") is None  # unsubscribed too


# --- Her care team ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_her_nurse_lists_invites_and_removes_her_helpers_on_the_clinical_page(
        lang: str, people: People, new_context: Any) -> None:
    make_caregiver(people.patient, username="clara")
    text = TEXT[lang]
    page = open_app(new_context, "nurse", lang)
    go(page, f"#/patient/{people.patient.pk}", "Helen Mercer")
    panel = page.locator("#caregivers-card")
    panel.scroll_into_view_if_needed()
    assert panel.locator("h2").inner_text() == text["team"]
    assert row(page, "Clara Mercer").locator(".badge").inner_text() == text["active"]

    panel.locator("#invite-details summary").click()
    page.fill("#invite-form input[name=display_name]", "Sam Ortiz")
    page.fill("#invite-form input[name=relationship]", text["neighbour"])
    page.click("#invite")
    page.locator("#code-card").wait_for()
    assert CODE.match(shown_code(page))
    assert text["staff_code"] in page.locator("#code-card").inner_text()
    assert row(page, "Sam Ortiz").locator(".badge").inner_text() == text["invited"]
    assert Caregiver.objects.get(display_name="Sam Ortiz").invited_by.username == "nurse"
    assert horizontal_overflow(page) == 0
    whole_page_screenshot(page, f"staff-caregivers-phone-{lang}")
    assert_accessible(page, f"staff-caregivers-phone-{lang}")

    row(page, "Clara Mercer").locator(".remove-helper").click()
    page.click("#remove-confirm .confirm-remove")
    page.locator("#caregiver-said").wait_for()
    assert row(page, "Clara Mercer").locator(".badge").inner_text() == text["removed"]
    assert Caregiver.objects.get(display_name="Clara Mercer").status == CaregiverStatus.REVOKED
    assert_accessible(page, f"staff-caregivers-removed-phone-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_the_staff_switch_asks_for_notifications_only_when_turned_on(
        lang: str, people: People, push_service: Any, new_context: Any) -> None:
    text = TEXT[lang]
    device = push_service.new_subscription()
    context = new_context()
    context.grant_permissions(["notifications"])
    context.add_init_script(PERMISSION_PROBE)
    context.add_init_script(stand_in_subscription(device))
    context.add_init_script(f"try {{ localStorage.setItem('tend-language', '{lang}'); }} catch {{}}")
    page = context.new_page()
    sign_in(page, "nurse")
    asked = "() => window.__asked || []"
    for route, heading in (("#/patients", text["patients"]), ("#/alerts", text["alerts"])):
        go(page, route, heading)
        switch = page.get_by_role("switch", name=text["switch"])
        assert switch.is_visible() and not switch.is_checked()
        assert text["switch_off"] in page.locator("#alert-switch-said").inner_text()
    assert page.evaluate(asked) == []
    whole_page_screenshot(page, f"staff-alert-switch-off-phone-{lang}")
    assert_accessible(page, f"staff-alert-switch-off-phone-{lang}")

    page.locator("label[for=alert-switch]").click()
    page.locator("#alert-switch-said", has_text=text["switch_on"]).wait_for()
    assert page.evaluate(asked) == ["permission", "subscribe"]
    assert page.get_by_role("switch", name=text["switch"]).is_checked()
    [stored] = PushSubscription.objects.all()
    assert stored.user.username == "nurse" and stored.endpoint == device.endpoint
    whole_page_screenshot(page, f"staff-alert-switch-on-phone-{lang}")
    assert_accessible(page, f"staff-alert-switch-on-phone-{lang}")

    page.reload()  # this device is known: on
    page.locator("#main h1", has_text=text["alerts"]).wait_for()
    switch = page.get_by_role("switch", name=text["switch"])
    page.wait_for_function("() => document.querySelector('#alert-switch')?.checked")
    page.locator("label[for=alert-switch]").click()
    page.locator("#alert-switch-said", has_text=text["switch_off"]).wait_for()
    assert not switch.is_checked()
    assert PushSubscription.objects.count() == 0
