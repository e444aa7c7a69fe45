"""Staff in Django admin: a stim they mark harmful leaves a person's suggestions, and "Retrain
now" trains a version that becomes the one serving, as the model dashboard shows."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from recommender.models import ModelVersion, TrainingRun
from recommender.services import training_run_execute
from stims.models import Stim
from stimsite.celery import app as celery_app
from tests.factories import UserFactory
from tests.integration.worker import queues_purge

from .helpers import axe_check, log_in, nav_to, screenshot, stim_of, suggested, visit

pytestmark = pytest.mark.browser

INLINE = celery_app.conf.task_always_eager  # embedded mode: the task runs in the server


def readonly(page, field: str):
    return page.locator(f".field-{field} .readonly")


def test_a_stim_staff_mark_harmful_in_admin_leaves_a_persons_suggestions(
    open_page, catalogue, superuser
):
    person, staff = open_page(), open_page()
    log_in(person, UserFactory().username)
    nav_to(person, "My stims")
    stim = stim_of(suggested(person).first)

    log_in(staff, superuser.username)
    visit(staff, reverse("admin:stims_stim_changelist") + "?" + urlencode({"q": stim.name}))
    row = staff.locator("#result_list tbody tr").filter(
        has=staff.get_by_role("link", name=stim.name, exact=True)
    )
    row.get_by_role("spinbutton").fill("0.9")  # the list's editable harmfulness score
    staff.get_by_role("button", name="Save", exact=True).click()
    expect(staff.locator(".messagelist")).to_contain_text("was changed successfully")
    axe_check(staff)
    assert Stim.objects.get(pk=stim.pk).harmfulness_score == 0.9

    person.reload()
    axe_check(person)
    expect(suggested(person).first).to_be_visible()
    expect(person.locator(f"#stim-{stim.pk}")).to_have_count(0)


def test_staff_retrain_from_admin_and_see_the_new_version_finish_and_serve(
    page, catalogue, superuser
):
    log_in(page, superuser.username)

    visit(page, reverse("admin:recommender_trainingrun_changelist"))
    page.get_by_role("link", name="Retrain now").click()
    axe_check(page)
    page.get_by_label(
        "Activate it even if it ranks held-out people worse than the serving version"
    ).check()
    # In the embedded mode the request trains the model before it answers.
    page.get_by_role("button", name="Retrain now").click(timeout=60_000)

    expect(page.locator(".messagelist")).to_contain_text("started.")
    run = TrainingRun.objects.get()
    if not INLINE:
        # With PostgreSQL and Redis the click only queued the run for a Celery worker, and no
        # worker runs here: the test does what the worker would do, then reloads the page.
        expect(readonly(page, "state")).to_have_text("Queued")
        training_run_execute(training_run_id=run.pk)
        queues_purge(celery_app)
        page.reload()
    axe_check(page)
    expect(readonly(page, "state")).to_have_text("Succeeded")
    readonly(page, "model_version").get_by_role("link").click()
    axe_check(page)
    expect(readonly(page, "status")).to_have_text("Active (serving)")
    run.refresh_from_db()
    assert ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE) == run.model_version

    page.get_by_role("link", name="View site").click()  # from admin back to the site
    nav_to(page, "Model")
    serving = page.get_by_role("region", name="Serving now")
    expect(serving).to_contain_text(f"Model version {run.model_version.pk}")
    expect(page.get_by_role("region", name="Recent training runs")).to_contain_text("Succeeded")
    screenshot(page, "model-dashboard")
