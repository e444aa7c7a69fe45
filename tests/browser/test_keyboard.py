"""The main flow with the keyboard alone (Tab, Shift+Tab, Enter, Space and typing; no mouse):
the skip link comes first, then the navigation; logging in, opening My stims and saying "Not for
me" on a card. At every step the focused element is on screen and visibly marked."""

import pytest
from playwright.sync_api import Page, expect

from recommender.models import Interaction
from tests.factories import PASSWORD, UserFactory

from .helpers import axe_check, press, tab_to, visit

pytestmark = pytest.mark.browser


def activate(page: Page, key: str) -> None:
    """Enter on a link or Space on a button, and the page it opens, checked with axe-core."""
    with page.expect_navigation():
        page.keyboard.press(key)
    axe_check(page)


def test_a_person_logs_in_and_turns_down_a_suggestion_with_the_keyboard_alone(page, catalogue):
    person = UserFactory()
    visit(page, "/")

    assert press(page, "Tab")["name"] == "Skip to content"
    page.keyboard.press("Enter")
    assert press(page, "Tab")["inMain"], "the skip link did not lead into the main content"
    assert press(page, "Shift+Tab")["inNav"], "the navigation is not just before the content"
    assert tab_to(page, "Log in", key="Shift+Tab")["inNav"]
    activate(page, "Enter")

    tab_to(page, "Username")
    page.keyboard.type(person.username)
    tab_to(page, "Password")
    page.keyboard.type(PASSWORD)
    activate(page, "Enter")  # in a form's text box, Enter sends the form
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    assert tab_to(page, "My stims")["inNav"]
    activate(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My stims")
    card = tab_to(page, "Not for me")["card"]
    name = page.locator(f"#{card} h3").inner_text()
    activate(page, "Space")

    expect(page.get_by_text(f"Thanks, we won't suggest {name} again.")).to_be_visible()
    expect(page.locator(f"#{card}")).to_have_count(0)
    stim_id = int(card.removeprefix("stim-"))
    assert Interaction.objects.get(user=person, stim_id=stim_id).dismissed
