"""Model steering by staff: versions with their metrics, activation and rollback, and training
runs started (queued, never trained here) and followed."""

import pytest
from django.urls import reverse

from recommender.models import ModelVersion, TrainingRun
from tests.recommender.factories import ModelVersionFactory, TrainingRunFactory

pytestmark = pytest.mark.django_db

Status, State = ModelVersion.Status, TrainingRun.State


def activate(client, version):
    return client.post(reverse("modelversion-activate", kwargs={"pk": version.pk}))


def test_versions_are_listed_newest_first_with_their_metrics(client_for, superuser):
    older, newer = ModelVersionFactory(ndcg=0.31), ModelVersionFactory(ndcg=0.42)
    listed = client_for(superuser).get(reverse("modelversion-list")).json()["results"]
    assert [row["id"] for row in listed] == [newer.pk, older.pk]
    assert [row["metrics"]["ranking"]["model"]["ndcg"] for row in listed] == [0.42, 0.31]
    assert listed[0]["status"] == "ready"


def test_activating_a_version_serves_it_and_keeps_the_previous_one_ready(client_for, superuser):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    chosen = ModelVersionFactory()
    response = activate(client_for(superuser), chosen)
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert superuser.username in response.json()["promotion_note"]
    serving.refresh_from_db()
    chosen.refresh_from_db()
    assert (chosen.status, serving.status) == (Status.ACTIVE, Status.READY)


def test_a_retired_version_cannot_be_activated(client_for, superuser):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    retired = ModelVersionFactory(status=Status.RETIRED)
    response = activate(client_for(superuser), retired)
    assert response.status_code == 409
    assert "retired" in response.json()["detail"]
    assert ModelVersion.objects.get(status=Status.ACTIVE) == serving


def test_an_unknown_version_is_a_json_404(client_for, superuser):
    response = activate(client_for(superuser), ModelVersion(pk=999_999))
    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_training_run_is_queued_once_and_a_second_request_gets_the_same_run(
    client_for, superuser, training_sends, django_capture_on_commit_callbacks
):
    client = client_for(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("trainingrun-list"), {"epochs": 3, "force_activate": True})
        second = client.post(reverse("trainingrun-list"), {})

    assert first.status_code == 202
    run = first.json()
    assert (run["state"], run["triggered_by"], run["requested_by"]) == (
        "queued",
        "api",
        superuser.username,
    )
    assert (run["parameters"], run["force_activate"]) == ({"epochs": 3}, True)
    assert second.status_code == 200
    assert second.json()["id"] == run["id"]
    assert training_sends == [run["id"]]  # sent to the task once; here, nothing trains
    assert TrainingRun.objects.get().state == State.QUEUED


def test_a_run_shows_its_state_and_progress(client_for, superuser):
    run = TrainingRunFactory(
        state=State.RUNNING, progress={"epoch": 2, "epochs": 5, "loss": 0.04}, attempts=1
    )
    shown = client_for(superuser).get(reverse("trainingrun-detail", kwargs={"pk": run.pk})).json()
    assert (shown["state"], shown["progress"], shown["attempts"]) == (
        "running",
        {"epoch": 2, "epochs": 5, "loss": 0.04},
        1,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 201}, "epochs"),
        ({"force_activate": "x"}, "force_activate"),
    ],
)
def test_invalid_training_options_are_a_400_and_nothing_is_queued(
    client_for, superuser, body, field
):
    response = client_for(superuser).post(reverse("trainingrun-list"), body)
    assert response.status_code == 400
    assert response.json()[field]
    assert not TrainingRun.objects.exists()
