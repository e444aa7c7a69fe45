"""A person's way through the site in a real browser: signing up and filling the profile,
feedback on the suggestions, safer alternatives, the catalogue and the feedback history. Every
page is checked with axe-core, and the main ones are photographed for the README."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from recommender.models import Interaction
from stims.models import Stim
from tests.factories import PASSWORD, InteractionFactory, UserFactory

from .helpers import axe_check, log_in, nav_to, screenshot, stim_of, suggested, visit

pytestmark = pytest.mark.browser


def test_a_new_person_signs_up_fills_the_profile_and_gives_feedback_on_suggestions(
    page, catalogue, activate_served_model
):
    activate_served_model()
    visit(page, "/")
    screenshot(page, "home")

    page.get_by_role("main").get_by_role("link", name="Create an account").click()
    axe_check(page)
    page.get_by_label("Username").fill("river")
    page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    screenshot(page, "signup")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    axe_check(page)
    page.get_by_label("Your age").fill("29")
    page.get_by_label("Non-binary").check()
    page.get_by_label("ADHD").check()
    page.get_by_label("Reading", exact=True).check()
    page.get_by_label("A lot").check()
    page.get_by_label("I agree that my answers about health and identity").check()
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    axe_check(page)
    screenshot(page, "profile")
    river = get_user_model().objects.get(username="river")
    assert river.profile.health_data_consent
    assert [c.name for c in river.profile.neurodivergent_conditions.all()] == ["ADHD"]

    nav_to(page, "My stims")
    expect(page.get_by_text("Ranked by model version")).to_be_visible()
    screenshot(page, "recommendations")
    first, second = suggested(page).nth(0), suggested(page).nth(1)
    dismissed, rated = stim_of(first), stim_of(second)

    first.get_by_role("button", name="Not for me").click()
    expect(page.get_by_text(f"Thanks, we won't suggest {dismissed.name} again.")).to_be_visible()
    axe_check(page)
    expect(page.locator(f"#stim-{dismissed.pk}")).to_have_count(0)
    card = page.locator(f"#stim-{rated.pk}")
    card.get_by_label("4 quite").check()
    card.get_by_role("button", name="Save rating").click()
    expect(page.get_by_text(f"Saved your rating for {rated.name}.")).to_be_visible()
    axe_check(page)

    assert Interaction.objects.get(user=river, stim=dismissed).dismissed
    assert Interaction.objects.get(user=river, stim=rated).rating == 4


def test_a_person_who_does_a_harmful_stim_now_is_shown_safer_alternatives(page, catalogue):
    person = UserFactory()
    log_in(page, person.username)
    nav_to(page, "My profile")
    page.locator("summary", has_text="Tactile").click()  # opens the list of tactile stims
    page.get_by_label("Skin picking").check()
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    nav_to(page, "My stims")
    safer = page.get_by_role("region", name="Safer alternatives")
    expect(safer).to_contain_text("You told us you do skin picking now.")
    offered = [stim_of(card) for card in safer.locator("article").all()]
    assert offered, "no safer alternative was offered"
    threshold = settings.RECOMMENDER_HARM_THRESHOLD
    assert [stim for stim in offered if stim.harmfulness_score >= threshold] == []


def test_a_person_searches_the_catalogue_opens_a_stim_and_changes_their_feedback(page, catalogue):
    person = UserFactory()
    putty, cube = Stim.objects.get(name="Therapy putty"), Stim.objects.get(name="Fidget cube")
    InteractionFactory(user=person, stim=putty, rating=2)
    InteractionFactory(user=person, stim=cube, rating=5, still_using=True)
    log_in(page, person.username)

    nav_to(page, "Catalogue")
    screenshot(page, "catalogue")
    page.get_by_label("Search by name or description").fill("putty")
    page.get_by_role("button", name="Show stims").click()
    axe_check(page)
    results = page.get_by_role("region", name="1 stim")
    results.get_by_role("link", name="Therapy putty").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapy putty")
    axe_check(page)
    screenshot(page, "stim-detail")

    nav_to(page, "My feedback")
    screenshot(page, "history")
    entry = page.locator(f"#feedback-{Interaction.objects.get(user=person, stim=putty).pk}")
    expect(entry).to_contain_text("A little helpful (2 of 5)")
    entry.get_by_role("link", name="Change").click()
    axe_check(page)
    page.get_by_label("4 quite").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved your feedback on Therapy putty.")).to_be_visible()
    axe_check(page)
    expect(entry).to_contain_text("Quite helpful (4 of 5)")
    assert Interaction.objects.get(user=person, stim=putty).rating == 4
