"""Model versions and training runs in admin: listed against the baselines, activated (rolled
back), retired, and retrained with the "Retrain now" button."""

import io

import numpy as np
import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from recommender.models import ModelVersion, TrainingRun
from stimsite import celery_app
from tests.factories import InteractionFactory, StaffUserFactory
from tests.recommender.factories import ModelVersionFactory, TrainingRunFactory

INLINE = celery_app.conf.task_always_eager  # embedded mode: a queued task runs in this process
VERSIONS = reverse("admin:recommender_modelversion_changelist")
RUNS = reverse("admin:recommender_trainingrun_changelist")
RETRAIN = reverse("admin:recommender_trainingrun_retrain")
Status, State = ModelVersion.Status, TrainingRun.State
NOT_FORCED = {"force_activate": ""}  # the box left unticked (an empty POST reads as a GET)


def out_of_range_scores(interactions) -> np.ndarray:
    """A broken RECOMMENDER_SCORE_CALCULATOR: scores above 1."""
    return np.full(len(interactions), 1.5, dtype=np.float32)


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def staff_with(*codenames: str):
    member = StaffUserFactory()
    member.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return member


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def curve_url(version: ModelVersion) -> str:
    return reverse("admin:recommender_modelversion_curve", args=[version.pk])


def run_action(client, action: str, *versions: ModelVersion):
    return client.post(VERSIONS, {"action": action, "_selected_action": [v.pk for v in versions]})


def statuses(*versions: ModelVersion) -> list[str]:
    for version in versions:
        version.refresh_from_db()
    return [version.status for version in versions]


# Model versions --------------------------------------------------------------------------


def test_versions_are_listed_with_status_ndcg_baselines_and_data(staff_client):
    ModelVersionFactory(status=Status.ACTIVE, ndcg=0.3123)
    ModelVersionFactory(status=Status.RETIRED, ndcg=0.2876)

    content = staff_client.get(VERSIONS).content.decode()

    for shown in (
        "Active (serving)", "Retired", "0.3123", "0.2876", "0.2011", "0.1502", "2.5 s",
        "33 people, 149 stims, 614 interactions",
    ):  # fmt: skip
        assert shown in content


def test_a_version_page_shows_its_evaluation_table_and_training_curve(staff_client):
    version = ModelVersionFactory(ndcg=0.3123, with_curve=True, promotion_note="kept ready")

    page = staff_client.get(reverse("admin:recommender_modelversion_change", args=[version.pk]))

    content = page.content.decode()
    table = content[content.index("<pre>") : content.index("</pre>")]
    assert "NDCG@10" in table
    for row, ndcg in (("model", "0.3123"), ("popularity", "0.2011"), ("tag_overlap", "0.1502")):
        assert any(line.split()[:2] == [row, ndcg] for line in table.splitlines()), row
    assert f'<img src="{curve_url(version)}"' in content
    assert "kept ready" in content


def test_the_training_curve_is_a_png_for_staff_only(client, superuser):
    version = ModelVersionFactory(with_curve=True)
    without_curve = ModelVersionFactory()

    anonymous = client.get(curve_url(version))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))

    client.force_login(staff_with())  # staff, but may not view model versions
    assert client.get(curve_url(version)).status_code == 404

    client.force_login(superuser)
    response = client.get(curve_url(version))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get(curve_url(without_curve)).status_code == 404


def test_activate_switches_the_serving_version(staff_client, superuser):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    previous = ModelVersionFactory(status=Status.READY)

    response = run_action(staff_client, "activate", previous)

    assert statuses(previous, serving) == [Status.ACTIVE, Status.READY]
    assert f"{previous} is now serving." in messages_of(response)
    assert previous.promotion_note == f"activated by {superuser}"


def test_activate_refuses_two_versions_at_once(staff_client):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    first, second = ModelVersionFactory.create_batch(2, status=Status.READY)

    response = run_action(staff_client, "activate", first, second)

    assert "Choose exactly one version to activate." in messages_of(response)
    assert statuses(serving, first, second) == [Status.ACTIVE, Status.READY, Status.READY]


def test_retire_retires_a_ready_version_and_refuses_the_serving_one(staff_client):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    spare = ModelVersionFactory(status=Status.READY)

    response = run_action(staff_client, "retire", serving, spare)

    assert statuses(serving, spare) == [Status.ACTIVE, Status.RETIRED]
    shown = messages_of(response)
    assert f"{spare} retired." in shown
    assert any(
        message.startswith(f"{serving}:") and "cannot be retired" in message for message in shown
    )


def test_staff_who_may_only_view_versions_cannot_switch_the_serving_one(client, db):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    spare = ModelVersionFactory(status=Status.READY)
    client.force_login(staff_with("view_modelversion"))
    assert client.get(VERSIONS).status_code == 200

    run_action(client, "activate", spare)
    run_action(client, "retire", spare)

    assert statuses(serving, spare) == [Status.ACTIVE, Status.READY]


# Training runs ---------------------------------------------------------------------------


def test_runs_are_listed_with_their_state_and_error_and_a_retrain_button(staff_client):
    failed = TrainingRunFactory(state=State.FAILED, error="ValueError: scores outside [0, 1]")

    listing = staff_client.get(RUNS).content.decode()
    assert f'href="{RETRAIN}"' in listing and "Retrain now" in listing
    assert "Failed" in listing
    page = staff_client.get(reverse("admin:recommender_trainingrun_change", args=[failed.pk]))
    assert "ValueError: scores outside [0, 1]" in page.content.decode()


def test_retrain_now_shows_its_form(staff_client):
    page = staff_client.get(RETRAIN)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Retrain the model now" in content
    assert 'name="force_activate"' in content and 'type="submit"' in content


def test_retrain_now_starts_a_run_that_trains_inline_in_the_embedded_mode(
    staff_client, superuser, django_capture_on_commit_callbacks
):
    call_command("seed_demo", users=30, seed=1, no_progress=True, stdout=io.StringIO())

    with django_capture_on_commit_callbacks(execute=INLINE) as callbacks:
        response = staff_client.post(RETRAIN, {"force_activate": "on"})

    run = TrainingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:recommender_trainingrun_change", args=[run.pk])
    assert (run.triggered_by, run.requested_by, run.force_activate) == ("admin", superuser, True)
    # the run is sent on commit; inline, the activation it ends with also resets what serves
    # and queues the refresh of recent people's lists
    assert len(callbacks) == (3 if INLINE else 1)
    if INLINE:
        assert run.state == State.SUCCEEDED, run.error
        assert run.model_version.status == Status.ACTIVE  # forced
    else:  # a worker would take it from Redis; this test sends nothing there
        assert run.state == State.QUEUED


def test_a_second_retrain_while_one_is_in_progress_starts_nothing(
    staff_client, django_capture_on_commit_callbacks
):
    running = TrainingRunFactory(state=State.RUNNING)

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(RETRAIN, NOT_FORCED)

    assert TrainingRun.objects.get() == running
    assert callbacks == []
    assert f"{running} is already running: no second run was started." in messages_of(response)
    assert response["Location"] == reverse(
        "admin:recommender_trainingrun_change", args=[running.pk]
    )


def test_retrain_now_needs_permission_to_add_training_runs(client, db):
    client.force_login(staff_with("view_trainingrun"))
    assert client.get(RETRAIN).status_code == 403
    assert client.post(RETRAIN, NOT_FORCED).status_code == 403
    assert not TrainingRun.objects.exists()

    client.force_login(staff_with("view_trainingrun", "add_trainingrun"))
    assert client.get(RETRAIN).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_failed_inline_training_is_reported_on_the_run_page_not_as_a_server_error(
    client, settings, monkeypatch
):
    """Committed for real (transaction=True), as in the embedded mode: the task runs inline
    when the request's transaction commits. Celery is made eager for this test in both modes,
    so nothing is sent to a real broker."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    settings.RECOMMENDER_SCORE_CALCULATOR = f"{__name__}.out_of_range_scores"
    InteractionFactory.create_batch(3)
    client.force_login(StaffUserFactory(is_superuser=True))
    client.raise_request_exception = False

    response = client.post(RETRAIN, NOT_FORCED)

    run = TrainingRun.objects.get()
    assert run.state == State.FAILED and "outside [0, 1]" in run.error
    assert response.status_code == 302, "the failed training became a server error"
    assert response["Location"] == reverse("admin:recommender_trainingrun_change", args=[run.pk])
