"""The serving version's artifact deleted or corrupted on disk, with a real worker: the web
serves the popularity ranking and logs why, and the next scheduled retraining replaces the
version, which the web then serves without a restart."""

import logging
import shutil

import pytest
from django.urls import reverse

from recommender.models import ModelVersion, TrainingRun
from recommender.serving import held_reset
from recommender.tasks import retrain_if_data_changed
from tests.recommender.factories import ProfileFactory
from tests.score_calculators import feedback_on_every_stim

from .training import QUICK, seed, train
from .worker import wait_until

pytestmark = pytest.mark.services

# The new version must rank at least as well as the popularity ranking serving meanwhile: with
# these scores popularity is the worst ranking there is, so any trained model beats it.
CALCULATOR = "tests.score_calculators.contrary_scores"


def damage_weights(folder) -> None:
    (folder / "weights.h5").write_bytes(b"\x00" * 64)


@pytest.mark.parametrize("damage", [shutil.rmtree, damage_weights], ids=["deleted", "corrupted"])
def test_a_damaged_artifact_falls_back_and_the_scheduled_retraining_repairs_it(
    start_worker, model_dir, client, caplog, damage
):
    seed()
    feedback_on_every_stim()
    before, after = ProfileFactory().user, ProfileFactory().user  # no data changes after training
    worker = start_worker(RECOMMENDER_SCORE_CALCULATOR=CALCULATOR)
    broken = train(worker, force_activate=True, parameters=QUICK).model_version
    recommendations = reverse("api-my-recommendations")
    client.force_login(before)
    first = client.get(recommendations).json()
    assert first["source"] == "model", first["notice"]

    damage(model_dir / broken.artifact)
    held_reset()  # a web worker started after the damage (max_requests renews them)
    client.force_login(after)  # someone whose list is not cached yet
    with caplog.at_level(logging.ERROR, logger="recommender"):
        fallback = client.get(recommendations).json()
    assert (fallback["source"], fallback["model_version"]) == ("popularity", None)
    assert f"model version {broken.pk} could not be loaded" in fallback["notice"]
    assert f"model version {broken.pk} cannot serve" in caplog.text

    retrain_if_data_changed.delay()
    run = wait_until(
        lambda: TrainingRun.objects.filter(
            triggered_by="schedule", finished_at__isnull=False
        ).first(),
        timeout=300,
        what="the scheduled retraining to finish",
        worker=worker,
    )
    assert f"serving version {broken.pk} cannot be loaded: training a replacement" in worker.log()
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    repaired = run.model_version
    assert repaired.status == ModelVersion.Status.ACTIVE
    assert repaired.promotion_note.startswith("activated: NDCG@10")
    assert "against the popularity ranking's" in repaired.promotion_note
    served = client.get(recommendations).json()
    assert (served["source"], served["model_version"]) == ("model", repaired.pk)
