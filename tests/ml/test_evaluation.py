"""Evaluation metrics, baselines and the collapse check, against hand-computed numbers."""

import math

import numpy as np
import pandas as pd
import pytest

from recommender.ml import evaluation
from recommender.ml.evaluation import (
    CollapseReport,
    RankingMetrics,
    collapse_check,
    evaluation_table,
    popularity_scores,
    ranking_metrics,
    rmse,
    tag_overlap_scores,
)

LOG2_3 = math.log2(3)


def test_rmse_is_the_root_of_the_mean_squared_difference():
    # differences 0, 0, 2: sqrt((0 + 0 + 4) / 3)
    assert rmse(np.array([1.0, 2.0, 5.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(
        math.sqrt(4 / 3)
    )


@pytest.mark.parametrize(
    ("predicted", "observed"),
    [([1.0, 2.0], [1.0]), ([], []), ([[1.0]], [[1.0]])],
    ids=["length mismatch", "empty", "not 1-D"],
)
def test_rmse_rejects_unusable_input(predicted, observed):
    with pytest.raises(ValueError):
        rmse(np.array(predicted), np.array(observed))


def test_ranking_metrics_by_hand():
    scores = np.array([[0.9, 0.1, 0.5, 0.3], [0.4, 0.3, 0.2, 0.1]])
    gains = np.array([[3.0, 2.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])

    metrics = ranking_metrics(scores, gains, gains > 0, k=3)

    # User 0 ranks columns 0, 2, 3: DCG = 3/log2(2) + 0/log2(3) + 1/log2(4) = 3.5;
    # ideal order 3, 2, 1: IDCG = 3 + 2/log2(3) + 1/2. User 1 has IDCG 0 and is left out.
    assert metrics.ndcg == pytest.approx(3.5 / (3.5 + 2 / LOG2_3))
    # Hits in the top 3: user 0 has columns 0 and 3 (2 of 3 relevant), user 1 none.
    assert metrics.precision == pytest.approx((2 / 3 + 0 / 3) / 2)
    # User 1 has nothing relevant, so recall is user 0's alone: 2 / 3.
    assert metrics.recall == pytest.approx(2 / 3)
    assert metrics == RankingMetrics(
        ndcg=metrics.ndcg, precision=metrics.precision, recall=metrics.recall, k=3, users=2
    )


def test_ties_rank_by_column_not_by_gain():
    scores = np.array([[0.2, 0.7, 0.7, 0.1], [0.2, 0.7, 0.7, 0.1]])
    # Columns 1 and 2 tie; column 1 comes first whichever of them holds the gain.
    gains = np.array([[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]])

    metrics = ranking_metrics(scores, gains, gains > 0, k=1)

    # User 0: top-1 is column 1 with gain 0, NDCG 0; user 1: top-1 holds the gain, NDCG 1.
    assert metrics.ndcg == pytest.approx(0.5)
    assert metrics.precision == pytest.approx(0.5)


def test_constant_scores_are_not_flattered():
    gains = np.array([[0.0, 0.0, 1.0]])

    metrics = ranking_metrics(np.full((1, 3), 0.5), gains, gains > 0, k=1)

    # All tied: column 0 is ranked first, not the relevant column 2.
    assert metrics.ndcg == 0.0
    assert metrics.recall == 0.0


def test_k_above_the_catalogue_is_clipped():
    scores = np.array([[0.3, 0.2, 0.1]])
    gains = np.array([[1.0, 0.0, 1.0]])

    metrics = ranking_metrics(scores, gains, gains > 0, k=10)

    assert metrics.k == 3
    # DCG = 1/log2(2) + 0/log2(3) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3).
    assert metrics.ndcg == pytest.approx(1.5 / (1 + 1 / LOG2_3))
    # Precision divides by the clipped k: 2 / 3, not 2 / 10.
    assert metrics.precision == pytest.approx(2 / 3)
    assert metrics.recall == 1.0


def test_users_without_gains_or_relevant_stims_give_nan_not_zero():
    nothing = np.zeros((2, 3))

    metrics = ranking_metrics(np.array([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]]), nothing, nothing > 0)

    assert math.isnan(metrics.ndcg)
    assert math.isnan(metrics.recall)
    assert metrics.precision == 0.0


def test_minus_infinity_sends_a_stim_to_the_bottom():
    scores = np.array([[-np.inf, 0.1, 0.2]])
    gains = np.array([[1.0, 0.0, 0.0]])

    assert ranking_metrics(scores, gains, gains > 0, k=2).recall == 0.0


@pytest.mark.parametrize(
    ("scores", "gains", "relevant", "k"),
    [
        ([[np.nan, 0.1]], [[1.0, 0.0]], [[True, False]], 1),
        ([[0.2, 0.1]], [[-1.0, 0.0]], [[True, False]], 1),
        ([[0.2, 0.1]], [[1.0, 0.0, 0.0]], [[True, False]], 1),
        ([[0.2, 0.1]], [[1.0, 0.0]], [[1, 0]], 1),
        ([0.2, 0.1], [1.0, 0.0], [True, False], 1),
        ([[0.2, 0.1]], [[1.0, 0.0]], [[True, False]], 0),
    ],
    ids=["NaN score", "negative gain", "shape mismatch", "relevant not bool", "1-D", "k=0"],
)
def test_ranking_metrics_rejects_unusable_input(scores, gains, relevant, k):
    with pytest.raises(ValueError):
        ranking_metrics(np.array(scores), np.array(gains), np.array(relevant), k=k)


def test_ranking_metrics_is_vectorised_over_a_realistic_evaluation():
    rng = np.random.default_rng(0)
    gains = rng.random((2_000, 1_000)) * (rng.random((2_000, 1_000)) < 0.02)

    metrics = ranking_metrics(rng.random((2_000, 1_000)), gains, gains > 0)

    assert np.isfinite([metrics.ndcg, metrics.precision, metrics.recall]).all()
    assert metrics.users == 2_000


def test_popularity_shrinks_each_stim_towards_the_global_mean():
    scores = popularity_scores(
        np.array([0, 0, 1]), np.array([1.0, 0.5, 0.0]), n_stims=3, n_users=2, prior_weight=2.0
    )

    # Global mean 0.5. Stim 0: (1.0 + 0.5 + 2 * 0.5) / (2 + 2) = 0.625;
    # stim 1: (0.0 + 2 * 0.5) / (1 + 2) = 1/3; stim 2 has no interactions: 0.5.
    np.testing.assert_allclose(scores, [[0.625, 1 / 3, 0.5], [0.625, 1 / 3, 0.5]])


def test_popularity_without_prior_gives_raw_means_and_a_writable_copy():
    scores = popularity_scores(
        np.array([0, 0, 1]), np.array([1.0, 0.5, 0.0]), n_stims=3, n_users=2, prior_weight=0.0
    )
    scores[0, 0] = -np.inf

    # Stim 0: (1.0 + 0.5) / 2; stim 1: 0.0; stim 2, never tried, the global mean 0.5.
    np.testing.assert_allclose(scores[1], [0.75, 0.0, 0.5])


@pytest.mark.parametrize(
    ("stim_index", "scores", "prior_weight"),
    [
        ([0, 3], [0.5, 0.5], 5.0),
        ([0, 1], [0.5, 4.0], 5.0),
        ([], [], 5.0),
        ([0, 1], [0.5], 5.0),
        ([0.0, 1.0], [0.5, 0.5], 5.0),
        ([0, 1], [0.5, 0.5], -1.0),
    ],
    ids=["index out of range", "score above 1", "no interactions", "length", "float", "prior"],
)
def test_popularity_rejects_unusable_input(stim_index, scores, prior_weight):
    with pytest.raises(ValueError):
        popularity_scores(
            np.array(stim_index),
            np.array(scores),
            n_stims=3,
            n_users=1,
            prior_weight=prior_weight,
        )


def test_tag_overlap_is_the_cosine_of_multi_hot_vectors():
    users = [{"adhd", "music"}, set(), {"autism"}]
    stims = [{"adhd"}, {"adhd", "music", "autism", "art"}, set()]

    scores = tag_overlap_scores(users, stims)

    # user 0 / stim 0: 1 shared / sqrt(2 * 1); user 0 / stim 1: 2 / sqrt(2 * 4);
    # user 2 / stim 1: 1 / sqrt(1 * 4); any empty set gives 0.
    np.testing.assert_allclose(
        scores,
        [
            [1 / math.sqrt(2), 2 / math.sqrt(8), 0.0],
            [0.0, 0.0, 0.0],
            [0.0, 1 / math.sqrt(4), 0.0],
        ],
    )


def test_tag_overlap_takes_series_with_any_index_and_missing_tags():
    users = pd.Series([{"adhd"}, None], index=[17, 4])
    stims = pd.Series([{"adhd", "art"}], index=["cube"])

    # 1 shared / sqrt(1 * 2); None counts as no tags.
    np.testing.assert_allclose(tag_overlap_scores(users, stims), [[1 / math.sqrt(2)], [0.0]])


def test_tag_overlap_rejects_a_string_in_place_of_a_set():
    with pytest.raises(TypeError):
        tag_overlap_scores(["adhd;music"], [{"adhd"}])


def test_identical_lists_fail_on_overlap():
    report = collapse_check(np.tile([0.9, 0.1, 0.5, 0.3], (3, 1)), k=2)

    assert report.mean_top_k_overlap == 1.0
    assert report.within_user_std > 0.1
    assert not report.passed
    assert "same top-2 list" in report.reason
    assert "barely vary" not in report.reason


def test_nearly_constant_scores_fail_on_spread():
    # Each user's top stim differs, but scores move by 1e-5 only.
    report = collapse_check(0.5 + 1e-5 * np.eye(3, 4), k=1)

    assert report.mean_top_k_overlap == 0.0
    assert report.within_user_std < 1e-3
    assert not report.passed
    assert "barely vary" in report.reason
    assert "same top" not in report.reason


def test_constant_scores_fail_on_both():
    report = collapse_check(np.full((3, 5), 0.5))

    assert report.within_user_std == 0.0
    # All tied, so every top list is the lowest columns: the same for everyone.
    assert report.mean_top_k_overlap == 1.0
    assert "barely vary" in report.reason
    assert "same top" in report.reason


def test_overlap_is_the_mean_jaccard_over_pairs():
    scores = np.array([[4.0, 3.0, 2.0, 1.0], [4.0, 1.0, 3.0, 2.0], [1.0, 2.0, 4.0, 3.0]])

    report = collapse_check(scores, k=2)

    # Top-2 sets {0, 1}, {0, 2}, {2, 3}. Pairs: |A∩B| = 1, 0, 1, each over 2k - |A∩B|:
    # (1/3 + 0 + 1/3) / 3 = 2/9.
    assert report.mean_top_k_overlap == pytest.approx(2 / 9)


def test_single_user_has_no_pairs_and_k_stays_below_the_catalogue():
    report = collapse_check(np.array([[0.9, 0.1, 0.5]]))

    assert report.mean_top_k_overlap == 0.0
    # k=10 over 3 stims is clipped to 2: a list of every stim would match any other.
    assert report.k == 2
    assert report.passed
    assert report == CollapseReport(
        within_user_std=report.within_user_std,
        mean_top_k_overlap=0.0,
        passed=True,
        reason="",
        k=2,
    )


def test_diverse_random_scores_pass():
    report = collapse_check(np.random.default_rng(0).random((50, 200)))

    assert report.passed
    assert report.reason == ""


def test_sampled_overlap_is_close_to_the_exact_one(monkeypatch):
    rng = np.random.default_rng(1)
    # Users share a popular head of 5 stims, so the overlap is well above 0.
    scores = rng.random((600, 40)) + np.r_[np.full(5, 0.6), np.zeros(35)]

    sampled = collapse_check(scores).mean_top_k_overlap
    monkeypatch.setattr(evaluation, "EXACT_OVERLAP_MAX_USERS", 600)
    exact = collapse_check(scores).mean_top_k_overlap

    assert sampled == pytest.approx(exact, abs=0.01)
    assert collapse_check(scores).mean_top_k_overlap == exact


def test_sampled_overlap_still_sees_identical_lists():
    assert collapse_check(np.tile(np.arange(20.0), (600, 1))).mean_top_k_overlap == 1.0


@pytest.mark.parametrize(
    "scores",
    [[[np.nan, 0.1]], [[np.inf, 0.1]], [[0.1]], np.zeros((0, 3))],
    ids=["NaN", "infinite", "one stim", "no users"],
)
def test_collapse_check_rejects_unusable_input(scores):
    with pytest.raises(ValueError):
        collapse_check(np.array(scores))


def test_evaluation_table_lines_up_and_marks_missing_rmse():
    results = {
        "model": RankingMetrics(ndcg=0.41234, precision=0.2, recall=0.33, k=10, users=50),
        "popularity": RankingMetrics(ndcg=0.3, precision=0.1, recall=math.nan, k=10, users=50),
    }

    table = evaluation_table(results, rmse_by_name={"model": 0.2011})

    assert table == (
        "name        NDCG@10  precision@10  recall@10    RMSE\n"
        "model        0.4123        0.2000     0.3300  0.2011\n"
        "popularity   0.3000        0.1000        nan       -"
    )


@pytest.mark.parametrize(
    ("results", "rmse_by_name"),
    [
        ({}, None),
        (
            {
                "a": RankingMetrics(ndcg=0.1, precision=0.1, recall=0.1, k=5, users=1),
                "b": RankingMetrics(ndcg=0.1, precision=0.1, recall=0.1, k=10, users=1),
            },
            None,
        ),
        (
            {"a": RankingMetrics(ndcg=0.1, precision=0.1, recall=0.1, k=5, users=1)},
            {"b": 0.3},
        ),
    ],
    ids=["empty", "mixed k", "rmse without result"],
)
def test_evaluation_table_rejects_misleading_input(results, rmse_by_name):
    with pytest.raises(ValueError):
        evaluation_table(results, rmse_by_name=rmse_by_name)
