"""Offline evaluation of stim rankings: error and ranking metrics, baselines to beat, and a
check that a model has not collapsed to one list or one score for everyone.

Every matrix is users x stims: row u is one held-out user, column s one stim of the whole
catalogue, so a row ranks every stim for that user. numpy and pandas only, no Django.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# collapse_check compares every pair of users up to this many users, a fixed sample above it.
EXACT_OVERLAP_MAX_USERS = 500
SAMPLED_OVERLAP_PAIRS = 100_000
OVERLAP_SAMPLE_SEED = 0


@dataclass(frozen=True, slots=True)
class RankingMetrics:
    """Ranking quality at a cut-off k, each metric the mean over the users it applies to."""

    ndcg: float
    precision: float
    recall: float
    k: int
    users: int


@dataclass(frozen=True, slots=True)
class CollapseReport:
    """Whether a score matrix still tells stims and users apart; `reason` is empty if passed."""

    within_user_std: float
    mean_top_k_overlap: float
    passed: bool
    reason: str
    k: int


def rmse(predicted: np.ndarray, observed: np.ndarray) -> float:
    """Root mean squared error, the seed model's training metric, for comparison with it.

    Args:
      predicted: 1-D predicted scores.
      observed: 1-D observed scores, the same length.

    Returns:
      The root of the mean squared difference.
    """
    predicted = np.asarray(predicted, dtype=float)
    observed = np.asarray(observed, dtype=float)
    if predicted.ndim != 1 or predicted.shape != observed.shape:
        raise ValueError(
            f"rmse needs two 1-D arrays of equal length, got {predicted.shape} and {observed.shape}"
        )
    if predicted.size == 0:
        raise ValueError("rmse of no observations is undefined")
    return float(np.sqrt(np.mean((predicted - observed) ** 2)))


def ranking_metrics(
    scores: np.ndarray, gains: np.ndarray, relevant: np.ndarray, *, k: int = 10
) -> RankingMetrics:
    """NDCG@k, precision@k and recall@k of each user's ranking of the whole catalogue.

    Equal scores are ranked by column index, ascending (a stable sort of -scores): the order
    never looks at gains or relevance, so ties cannot flatter a model. It does favour low
    column indices, so a constant scorer is only fair if column order says nothing about
    relevance; `collapse_check` catches constant scorers. -inf is allowed, for example to
    push a user's training stims to the bottom.

    Users whose ideal DCG is 0 are left out of the NDCG mean and users with no relevant stim
    out of the recall mean; either mean is NaN when no user is left. k above the catalogue
    size is clipped to it, and the clipped k is both the precision denominator and
    `RankingMetrics.k`.

    Args:
      scores: float [n_users, n_stims]; higher ranks first; no NaN.
      gains: non-negative float [n_users, n_stims], graded relevance for NDCG (linear gains).
      relevant: bool [n_users, n_stims], the stims that count as hits for precision/recall.
      k: cut-off, at least 1.

    Returns:
      The metrics, each a mean over users, with the effective k and the number of users.
    """
    scores = _checked_scores(scores, allow_infinite=True)
    gains = np.asarray(gains, dtype=float)
    relevant = np.asarray(relevant)
    if gains.shape != scores.shape or relevant.shape != scores.shape:
        raise ValueError(
            f"scores, gains and relevant must share one shape, got {scores.shape}, "
            f"{gains.shape} and {relevant.shape}"
        )
    if not np.isfinite(gains).all() or (gains < 0).any():
        raise ValueError("gains must be finite and non-negative")
    if relevant.dtype != bool:
        raise ValueError(f"relevant must be a bool array, got {relevant.dtype}")
    n_users, n_stims = scores.shape
    k = _clipped_k(k, limit=n_stims)

    top = _top_k(scores, k=k)
    discounts = 1.0 / np.log2(np.arange(k) + 2.0)
    dcg = np.take_along_axis(gains, top, axis=1) @ discounts
    ideal_gains = np.sort(np.partition(gains, n_stims - k, axis=1)[:, n_stims - k :], axis=1)
    idcg = ideal_gains[:, ::-1] @ discounts
    hits = np.take_along_axis(relevant, top, axis=1).sum(axis=1)
    relevant_counts = relevant.sum(axis=1)

    has_gain = idcg > 0
    has_relevant = relevant_counts > 0
    return RankingMetrics(
        ndcg=_mean_or_nan(dcg[has_gain] / idcg[has_gain]),
        precision=float(np.mean(hits / k)),
        recall=_mean_or_nan(hits[has_relevant] / relevant_counts[has_relevant]),
        k=k,
        users=n_users,
    )


def popularity_scores(
    stim_index: np.ndarray,
    scores: np.ndarray,
    *,
    n_stims: int,
    n_users: int,
    prior_weight: float = 5.0,
) -> np.ndarray:
    """The same ranking for everyone, by each stim's smoothed mean training score.

    Smoothing adds `prior_weight` pseudo-observations at the global mean, so a stim rated
    once at 1.0 does not outrank one rated well a hundred times; a stim nobody has tried
    gets the global mean.

    Args:
      stim_index: int [n_interactions], the column of each training interaction's stim.
      scores: float [n_interactions], each interaction's observed score in [0, 1].
      n_stims: catalogue size, the number of columns.
      n_users: number of rows to return.
      prior_weight: pseudo-observations at the global mean; 0 gives raw means.

    Returns:
      float [n_users, n_stims], every row the same; a writable copy, so callers may mask it.
    """
    stim_index = np.asarray(stim_index)
    scores = np.asarray(scores, dtype=float)
    if stim_index.ndim != 1 or stim_index.shape != scores.shape:
        raise ValueError(
            f"stim_index and scores must be 1-D and of equal length, got {stim_index.shape} "
            f"and {scores.shape}"
        )
    if stim_index.size == 0:
        raise ValueError("popularity needs at least one training interaction")
    if not np.issubdtype(stim_index.dtype, np.integer):
        raise ValueError(f"stim_index must hold integers, got {stim_index.dtype}")
    if stim_index.min() < 0 or stim_index.max() >= n_stims:
        raise ValueError(f"stim_index must lie in [0, {n_stims})")
    if not ((scores >= 0) & (scores <= 1)).all():
        raise ValueError("scores must lie in [0, 1]")
    if prior_weight < 0:
        raise ValueError(f"prior_weight must be non-negative, got {prior_weight}")

    global_mean = scores.mean()
    counts = np.bincount(stim_index, minlength=n_stims)
    totals = np.bincount(stim_index, weights=scores, minlength=n_stims)
    smoothed = np.full(n_stims, global_mean)
    np.divide(
        totals + prior_weight * global_mean,
        counts + prior_weight,
        out=smoothed,
        where=counts + prior_weight > 0,
    )
    return np.repeat(smoothed[np.newaxis, :], n_users, axis=0)


def tag_overlap_scores(
    user_tags: list[set[str]] | pd.Series, stim_tags: list[set[str]] | pd.Series
) -> np.ndarray:
    """How many tags a user and a stim share, as the cosine of their multi-hot vectors.

    The content-only baseline: a learned model should beat "suggest stims tagged with my
    conditions and hobbies". Tags match by exact string, so give conditions and hobbies
    distinct names (say "condition:adhd") if one name could be both.

    Args:
      user_tags: one collection of tags per user; an empty set or None means no tags.
      stim_tags: one collection of tags per stim, likewise.

    Returns:
      float [n_users, n_stims]: shared / sqrt(|user tags| * |stim tags|), 0 if either is
      empty.
    """
    user_pairs = _tag_pairs(user_tags)
    stim_pairs = _tag_pairs(stim_tags)
    codes, vocabulary = pd.factorize(pd.concat([user_pairs, stim_pairs], ignore_index=True))
    user_hot = np.zeros((len(user_tags), len(vocabulary)))
    user_hot[user_pairs.index.to_numpy(), codes[: len(user_pairs)]] = 1.0
    stim_hot = np.zeros((len(stim_tags), len(vocabulary)))
    stim_hot[stim_pairs.index.to_numpy(), codes[len(user_pairs) :]] = 1.0

    shared = user_hot @ stim_hot.T
    norms = np.outer(np.sqrt(user_hot.sum(axis=1)), np.sqrt(stim_hot.sum(axis=1)))
    return np.divide(shared, norms, out=np.zeros_like(shared), where=norms > 0)


def collapse_check(
    scores: np.ndarray,
    *,
    k: int = 10,
    min_within_user_std: float = 1e-3,
    max_mean_top_k_overlap: float = 0.9,
) -> CollapseReport:
    """Catch the seed architecture's known failure: the same score, or the same list, for all.

    BatchNorm plus weight clipping can collapse the ranking model. Two symptoms are checked:
    scores that barely vary across a user's stims (`within_user_std`, the mean over users of
    the population std of each row; an absolute threshold, so it assumes scores on the [0, 1]
    scale) and top-k lists that are nearly the same for everyone (`mean_top_k_overlap`, the
    mean Jaccard index of two users' top-k sets over pairs of users).

    The overlap is exact over all pairs up to EXACT_OVERLAP_MAX_USERS users, and above that
    the mean over SAMPLED_OVERLAP_PAIRS pairs drawn with a fixed seed (the same pairs for the
    same number of users; standard error below 0.002). The closed form through item counts
    gives the exact mean intersection, but Jaccard is convex in the intersection, so the
    Jaccard of that mean understates the mean Jaccard and would pass collapsed models. With a
    single user there are no pairs and the overlap is 0.0.

    Top-k sets break ties as `ranking_metrics` does. k is clipped to n_stims - 1, because
    when every list holds the whole catalogue all lists are equal whatever the model does.

    Args:
      scores: finite float [n_users, n_stims], at least one user and two stims.
      k: size of the top lists compared, at least 1.
      min_within_user_std: lowest acceptable `within_user_std`.
      max_mean_top_k_overlap: highest acceptable `mean_top_k_overlap`.

    Returns:
      Both measures, whether both are acceptable, why not if they are not, and the k used.
    """
    scores = _checked_scores(scores, allow_infinite=False)
    n_stims = scores.shape[1]
    if n_stims < 2:
        raise ValueError("collapse_check needs at least two stims to compare")
    k = _clipped_k(k, limit=n_stims - 1)

    within_user_std = float(scores.std(axis=1).mean())
    overlap = _mean_top_k_jaccard(_top_k(scores, k=k), n_stims=n_stims)
    problems = []
    if within_user_std < min_within_user_std:
        problems.append(
            f"each user's scores barely vary across stims (mean std {within_user_std:.2g} "
            f"< {min_within_user_std:g})"
        )
    if overlap > max_mean_top_k_overlap:
        problems.append(
            f"users get nearly the same top-{k} list (mean Jaccard overlap {overlap:.3f} "
            f"> {max_mean_top_k_overlap:g})"
        )
    return CollapseReport(
        within_user_std=within_user_std,
        mean_top_k_overlap=overlap,
        passed=not problems,
        reason="; ".join(problems),
        k=k,
    )


def evaluation_table(
    results: dict[str, RankingMetrics], *, rmse_by_name: dict[str, float] | None = None
) -> str:
    """A fixed-width comparison of models and baselines for bench output and closing notes.

    All rows must share one k: NDCG@5 beside NDCG@10 would read as a comparison it is not.

    Args:
      results: ranking metrics by model or baseline name, in display order.
      rmse_by_name: RMSE of the models that predict scores; others show "-".

    Returns:
      The table, one line per name under a header, without a trailing newline.
    """
    rmse_by_name = rmse_by_name or {}
    if not results:
        raise ValueError("evaluation_table needs at least one result")
    ks = {metrics.k for metrics in results.values()}
    if len(ks) > 1:
        raise ValueError(f"results must share one k, got {sorted(ks)}")
    unknown = set(rmse_by_name) - set(results)
    if unknown:
        raise ValueError(f"rmse_by_name names without results: {sorted(unknown)}")

    (k,) = ks
    header = ["name", f"NDCG@{k}", f"precision@{k}", f"recall@{k}", "RMSE"]
    rows = [
        [
            name,
            _cell(metrics.ndcg),
            _cell(metrics.precision),
            _cell(metrics.recall),
            _cell(rmse_by_name.get(name)),
        ]
        for name, metrics in results.items()
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(5)]
    return "\n".join(
        "  ".join(
            [row[0].ljust(widths[0])]
            + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        ).rstrip()
        for row in [header, *rows]
    )


def _cell(value: float | None) -> str:
    """A figure for the table; "-" where there is none (None: not measured, or not stored)."""
    return "-" if value is None else f"{value:.4f}"


def _checked_scores(scores: np.ndarray, *, allow_infinite: bool) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(
            f"scores must be a non-empty [n_users, n_stims] matrix, got {scores.shape}"
        )
    if np.isnan(scores).any():
        raise ValueError("scores must not contain NaN")
    if not allow_infinite and not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    return scores


def _clipped_k(k: int, *, limit: int) -> int:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return min(k, limit)


def _top_k(scores: np.ndarray, *, k: int) -> np.ndarray:
    """Column indices of each row's k best scores, ties by ascending column (stable sort)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _mean_or_nan(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _mean_top_k_jaccard(top: np.ndarray, *, n_stims: int) -> float:
    n_users, k = top.shape
    if n_users < 2:
        return 0.0
    if n_users <= EXACT_OVERLAP_MAX_USERS:
        first, second = np.triu_indices(n_users, k=1)
    else:
        # Uniform over unordered pairs of distinct users: an offset in [1, n) never wraps to i.
        rng = np.random.default_rng(OVERLAP_SAMPLE_SEED)
        first = rng.integers(n_users, size=SAMPLED_OVERLAP_PAIRS)
        second = (first + rng.integers(1, n_users, size=SAMPLED_OVERLAP_PAIRS)) % n_users
    in_top = np.zeros((n_users, n_stims), dtype=bool)
    np.put_along_axis(in_top, top, True, axis=1)
    shared = in_top[first[:, np.newaxis], top[second]].sum(axis=1)
    return float(np.mean(shared / (2 * k - shared)))


def _tag_pairs(tags: Iterable) -> pd.Series:
    """One row per (owner, tag), indexed by the owner's position; empty and None give none."""
    owners = pd.Series(list(tags), dtype=object)
    if owners.map(lambda owner_tags: isinstance(owner_tags, str)).any():
        raise TypeError("each owner's tags must be a collection of strings, not one string")
    return owners.explode().dropna()
