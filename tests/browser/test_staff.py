"""What everyone meets on the staff side and the patient's: the language button's accessible name
is its visible text (WCAG 2.5.3), and the sign-in page loads without a console error.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import People, sign_in
from tests.browser.test_screens import axe_problems

pytestmark = pytest.mark.browser

TEXT = {"en": {"switch": "Español"}, "es": {"switch": "English"}}


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


def test_a_session_that_ended_is_asked_about_once_then_the_sign_in_page_loads_quietly(people, page):
    sign_in(page, "nurse")
    page.context.clear_cookies()  # her session ended on the server's side
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    page.reload()
    page.locator("#login").wait_for()
    page.wait_for_load_state("networkidle")
    assert len(messages) == 1 and "401" in messages[0]  # me/ said so, once
    messages.clear()
    page.reload()
    page.locator("#login").wait_for()
    page.wait_for_load_state("networkidle")
    assert messages == []
