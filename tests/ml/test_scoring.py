"""The serving Scorer: the same scores as the model, one trace for every catalogue size."""

import numpy as np
import pytest

from recommender.ml.scoring import Scorer
from tests.ml.conftest import pair_features, user_row


@pytest.fixture(scope="module")
def scorer(tiny) -> Scorer:
    return Scorer(tiny.trained.model)


@pytest.mark.parametrize("row", [0, 5])
def test_scores_equal_the_models_for_the_same_pairs(tiny, scorer, row):
    prepared = scorer.prepare_stims(tiny.stims)

    served = scorer.score(user_row(tiny.users, row), prepared)

    direct = tiny.trained.model(pair_features(tiny.users, row, tiny.stims)).numpy().ravel()
    assert served.shape == (len(tiny.stims["stim_id"]),)
    np.testing.assert_allclose(served, direct, atol=1e-5)
    assert np.ptp(served) > 1e-4  # the stims get different scores, so the order is tested


def test_prepare_stims_has_one_row_per_stim_in_order(tiny, scorer):
    stims = {name: values[[4, 1, 2]] for name, values in tiny.stims.items()}

    prepared = scorer.prepare_stims(stims)

    first_dense = tiny.trained.model.score_estimator.hidden[0]
    assert len(prepared) == 3
    assert prepared.first_layer_share.shape == (3, first_dense.units)
    assert list(prepared.stim_ids) == ["nail-biting", "weighted-blanket", "humming"]


def test_scoring_a_subset_gives_the_same_scores_as_the_whole_catalogue(tiny, scorer):
    person = user_row(tiny.users, 3)
    whole = scorer.score(person, scorer.prepare_stims(tiny.stims))

    subset = {name: values[[5, 0]] for name, values in tiny.stims.items()}
    part = scorer.score(person, scorer.prepare_stims(subset))

    np.testing.assert_allclose(part, whole[[5, 0]], atol=1e-6)


def test_the_scoring_function_is_traced_once_for_any_catalogue_size(tiny):
    scorer = Scorer(tiny.trained.model)  # a fresh one: nothing traced yet

    for size in (1, 3, 6):
        prepared = scorer.prepare_stims({name: v[:size] for name, v in tiny.stims.items()})
        for row in (0, 7):
            assert scorer.score(user_row(tiny.users, row), prepared).shape == (size,)

    assert scorer._score.experimental_get_tracing_count() == 1
