"""train_ranking_model end to end on the demo generator's population, judged on unseen people.

One population is trained on once (module scope) and every test reads that run. It is sized
for the quality claim: on held-out users the model must beat both baselines on NDCG@10
against the generator's hidden true preferences.
"""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from recommender.ml.evaluation import ranking_metrics
from recommender.ml.model import split_by_user
from recommender.ml.preprocessing import encode_stims, encode_users, preprocess_data
from recommender.ml.training import TrainingConfig, TrainingResult, train_ranking_model
from recommender.synthetic import SyntheticPopulation, generate_population, load_catalogue
from recommender.synthetic import model_frames as synthetic_model_frames
from tests.ml.conftest import pair_features, tiny_frames

N_USERS = 2000
POPULATION_SEED = 1
CONFIG = TrainingConfig(epochs=10, batch_size=256, seed=0)  # the defaults but for epochs
# The hidden truth (docs/demo-data.md): affinity is about mean 0, sd 1 over the catalogue.
RELEVANT_AFFINITY = 1.0


@dataclass(frozen=True)
class Run:
    population: SyntheticPopulation
    interactions: pd.DataFrame
    users: pd.DataFrame
    stims: pd.DataFrame
    result: TrainingResult
    progress_epochs: list[int]


@pytest.fixture(scope="module")
def run() -> Run:
    catalogue = load_catalogue()
    population = generate_population(catalogue, n_users=N_USERS, seed=POPULATION_SEED)
    interactions, users, stims = synthetic_model_frames(population, catalogue)
    progress_epochs = []
    result = train_ranking_model(
        interactions,
        users,
        stims,
        config=CONFIG,
        progress=lambda epoch, logs: progress_epochs.append(epoch),
    )
    return Run(population, interactions, users, stims, result, progress_epochs)


def truth_ndcg(run: Run) -> dict[str, float]:
    """NDCG@10 of each score matrix against the generator's true affinity."""
    affinity = run.population.affinity.pivot(index="username", columns="stim", values="affinity")
    truth = affinity.loc[run.result.held_out_user_ids, run.stims["stim_id"]].to_numpy()
    gains, relevant = np.clip(truth, 0, None), truth >= RELEVANT_AFFINITY
    return {
        name: ranking_metrics(scores, gains, relevant, k=10).ndcg
        for name, scores in run.result.score_matrices.items()
    }


def test_the_model_beats_both_baselines_on_the_hidden_truth(run):
    ndcg = truth_ndcg(run)

    assert ndcg["model"] > ndcg["popularity"], ndcg
    assert ndcg["model"] > ndcg["tag_overlap"], ndcg
    assert run.result.evaluation.collapse.passed, run.result.evaluation.collapse.reason


def test_history_has_loss_and_val_loss_for_every_epoch_run(run):
    history = run.result.history
    epochs_run = len(history["loss"])

    assert 1 <= epochs_run <= CONFIG.epochs
    assert len(history["val_loss"]) == epochs_run
    assert run.progress_epochs == list(range(epochs_run))
    assert np.isfinite(history["loss"]).all() and np.isfinite(history["val_loss"]).all()


def test_held_out_users_are_the_ones_fit_never_trained_on(run):
    user_inputs, stim_inputs, scores = preprocess_data(run.interactions, run.users, run.stims)
    train, validation = split_by_user(
        {**user_inputs, **stim_inputs, "score": scores},
        validation_split=CONFIG.validation_split,
        seed=CONFIG.seed,
    )
    held_out = set(run.result.held_out_user_ids)

    assert held_out == set(validation["user_id"])
    assert held_out.isdisjoint(train["user_id"])
    assert len(held_out) == len(run.result.held_out_user_ids) == round(0.2 * N_USERS)
    assert run.result.evaluation.held_out_users == len(held_out)


def test_score_matrices_are_held_out_users_by_stims(run):
    matrices = run.result.score_matrices
    shape = (len(run.result.held_out_user_ids), len(run.stims))

    assert set(matrices) == {"model", "popularity", "tag_overlap"}
    assert {name: matrix.shape for name, matrix in matrices.items()} == dict.fromkeys(
        matrices, shape
    )
    assert (matrices["popularity"] == matrices["popularity"][0]).all()  # one list for all


def test_the_model_matrix_is_what_the_model_gives_in_stim_order(run):
    users, stims = encode_users(run.users), encode_stims(run.stims)
    person = run.result.held_out_user_ids[3]
    row = list(users["user_id"]).index(person)

    direct = run.result.trained.model(pair_features(users, row, stims)).numpy().ravel()

    np.testing.assert_allclose(run.result.score_matrices["model"][3], direct, atol=1e-5)


def test_evaluation_has_the_model_and_both_baselines(run):
    evaluation = run.result.evaluation

    assert set(evaluation.ranking) == {"model", "popularity", "tag_overlap"}
    for metrics in evaluation.ranking.values():
        assert metrics.k == CONFIG.k == 10
        assert metrics.users == evaluation.held_out_users
        assert 0.0 <= metrics.ndcg <= 1.0
    assert set(evaluation.rmse) == {"model", "popularity"}
    assert all(0.0 < value < 1.0 for value in evaluation.rmse.values())
    assert evaluation.collapse.passed and evaluation.collapse.reason == ""
    # Stored with a model version, so it must be plain JSON.
    assert json.loads(json.dumps(evaluation.as_dict())) == evaluation.as_dict()
    assert "NDCG@10" in evaluation.table()


def test_a_split_that_holds_out_nobody_is_refused():
    frames = tiny_frames()

    with pytest.raises(ValueError, match="holds out no user"):
        train_ranking_model(
            frames.interactions,
            frames.users,
            frames.stims,
            config=TrainingConfig(epochs=1, batch_size=64, validation_split=0.0, dim=4),
        )
