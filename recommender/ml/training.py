"""Train a RankingModel on DataFrames and judge it on users it never saw.

The held-out users are fit's validation users: every stim is ranked for each of them through
the serving entry point (so what is evaluated is what will be served) and compared with the
scores they gave, beside the popularity and tag-overlap baselines.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import tensorflow as tf

from .artifacts import TrainedModel
from .evaluation import (
    CollapseReport,
    RankingMetrics,
    collapse_check,
    evaluation_table,
    popularity_scores,
    ranking_metrics,
    rmse,
    tag_overlap_scores,
)
from .features import LIST_PADDING, STIM_KEY, USER_KEY
from .model import Vocabularies, build_ranking_model, split_by_user
from .preprocessing import (
    ScoreCalculator,
    default_score_calculator,
    encode_stims,
    encode_users,
    preprocess_data,
)
from .scoring import Scorer
from .stages import StageClock

RELEVANT_SCORE = 0.7  # an observed score at least this high counts as "it suited them"


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that shapes a training run; saved with the model version."""

    epochs: int = 10
    batch_size: int = 256
    validation_split: float = 0.2
    learning_rate: float = 1e-3
    seed: int = 0
    dim: int = 16
    l1: float = 1e-5
    clip_value: float = 1.0
    early_stopping_patience: int | None = 3
    k: int = 10

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Evaluation:
    """Held-out figures of the model and its baselines, and the collapse check."""

    k: int
    held_out_users: int
    ranking: dict[str, RankingMetrics]  # "model", "popularity", "tag_overlap"
    rmse: dict[str, float]  # "model", "popularity"
    collapse: CollapseReport

    def table(self) -> str:
        return evaluation_table(self.ranking, rmse_by_name=self.rmse)

    def as_dict(self) -> dict:
        """JSON-ready: a metric with no value (NaN, e.g. recall with nothing relevant) is None."""
        return _finite_or_none(
            {
                "k": self.k,
                "held_out_users": self.held_out_users,
                "ranking": {name: asdict(metrics) for name, metrics in self.ranking.items()},
                "rmse": self.rmse,
                "collapse": asdict(self.collapse),
            }
        )


def _finite_or_none(value):
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class TrainingResult:
    trained: TrainedModel
    history: dict[str, list[float]]  # per epoch: loss, val_loss, ...
    evaluation: Evaluation
    # users x stims score matrices of the held-out users, rows in held_out_user_ids order and
    # columns in the stims frame's order, for comparison with other truths (synthetic data).
    held_out_user_ids: np.ndarray
    score_matrices: dict[str, np.ndarray] = field(repr=False)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # see StageClock


def train_ranking_model(
    interactions_df: pd.DataFrame,
    users_df: pd.DataFrame,
    stims_df: pd.DataFrame,
    *,
    config: TrainingConfig = TrainingConfig(),
    score_calculator: ScoreCalculator = default_score_calculator,
    progress: Callable[[int, dict], None] | None = None,
    champion: TrainedModel | None = None,
) -> TrainingResult:
    """Preprocesses, trains and evaluates; the caller decides what to do with the result.

    champion, the model serving now, is judged on the same held-out users as the new one
    (as "champion" in the evaluation), so the two can be compared fairly.

    Raises:
      ValueError: bad input (see preprocess_data), too few users to hold some out, or a
        model that gives non-finite scores.
    """
    if config.validation_split <= 0:
        raise ValueError("validation_split holds out no user: held-out users are what is evaluated")
    clock = StageClock()
    with clock.stage("preprocess"):
        user_inputs, stim_inputs, scores = preprocess_data(
            interactions_df, users_df, stims_df, score_calculator
        )
        users, stims = encode_users(users_df), encode_stims(stims_df)
        vocabularies = Vocabularies.from_inputs(users, stims)
    with clock.stage("train"):
        model = build_ranking_model(
            vocabularies,
            seed=config.seed,
            dim=config.dim,
            l1=config.l1,
            clip_value=config.clip_value,
        )
        model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
        history = model.fit(
            (user_inputs, stim_inputs),
            scores,
            epochs=config.epochs,
            batch_size=config.batch_size,
            validation_split=config.validation_split,
            seed=config.seed,
            early_stopping_patience=config.early_stopping_patience,
            progress=progress,
        )
    with clock.stage("evaluate"):
        train, held_out = split_by_user(
            {USER_KEY: user_inputs[USER_KEY], STIM_KEY: stim_inputs[STIM_KEY], "score": scores},
            validation_split=config.validation_split,
            seed=config.seed,
        )
        if held_out is None:
            raise ValueError("validation_split holds out no user: nothing to evaluate on")
        trained = TrainedModel(model, vocabularies, config.dim)
        held_out_ids, matrices = held_out_score_matrices(
            trained, users=users, stims=stims, train=train, held_out=held_out, champion=champion
        )
        evaluation = evaluate(
            matrices, held_out_ids=held_out_ids, stims=stims, held_out=held_out, k=config.k
        )
    return TrainingResult(
        trained=trained,
        history={name: [float(v) for v in values] for name, values in history.history.items()},
        evaluation=evaluation,
        held_out_user_ids=held_out_ids,
        score_matrices=matrices,
        stages=clock.stages,
    )


def held_out_score_matrices(
    trained: TrainedModel,
    *,
    users: dict,
    stims: dict,
    train: dict,
    held_out: dict,
    champion: TrainedModel | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Scores of every stim for every held-out user, by the model and by the baselines.

    Args:
      trained: the model to judge.
      users, stims: every user and stim, encoded (preprocessing.encode_users / encode_stims).
      train, held_out: the examples (user_id, stim_id, score) on each side of the split.
      champion: the model serving now, scored too when given.

    Returns:
      (held-out user ids, {"model" | "popularity" | "tag_overlap" [| "champion"]: users x
      stims matrix}).
    """
    held_out_ids = pd.unique(held_out[USER_KEY])
    rows = pd.Index(users[USER_KEY]).get_indexer(held_out_ids)
    models = {"model": trained} | ({"champion": champion} if champion else {})
    matrices = {
        name: model_score_matrix(model, users=users, stims=stims, rows=rows)
        for name, model in models.items()
    }
    columns = pd.Index(stims[STIM_KEY])
    user_tags = pd.Series(
        [
            set(conditions) | set(hobbies)
            for conditions, hobbies in zip(
                users["neurodivergent_conditions"][rows],
                users["hobbies_embedding"][rows],
                strict=True,
            )
        ]
    ).map(lambda tags: tags - {LIST_PADDING})
    stim_tags = pd.Series(
        [set(tags) - {LIST_PADDING} for tags in stims["associated_conditions_hobbies"]]
    )
    return held_out_ids, matrices | {
        "popularity": popularity_scores(
            columns.get_indexer(train[STIM_KEY]),
            train["score"],
            n_stims=len(columns),
            n_users=len(rows),
        ),
        "tag_overlap": tag_overlap_scores(user_tags, stim_tags),
    }


def model_score_matrix(
    trained: TrainedModel, *, users: dict, stims: dict, rows: np.ndarray
) -> np.ndarray:
    """users[rows] x every stim, through the serving entry point; refuses non-finite scores."""
    scorer = Scorer(trained.model)
    prepared = scorer.prepare_stims(stims)
    scores = np.stack(
        [
            scorer.score({name: values[[row]] for name, values in users.items()}, prepared)
            for row in rows
        ]
    )
    if not np.isfinite(scores).all():
        raise ValueError("the model gives non-finite scores")
    return scores


def evaluate(
    matrices: dict[str, np.ndarray],
    *,
    held_out_ids: np.ndarray,
    stims: dict,
    held_out: dict,
    k: int,
) -> Evaluation:
    """Ranking metrics against the scores held-out users gave, RMSE, and the collapse check."""
    row = pd.Index(held_out_ids).get_indexer(held_out[USER_KEY])
    column = pd.Index(stims[STIM_KEY]).get_indexer(held_out[STIM_KEY])
    gains = np.zeros_like(matrices["model"])
    gains[row, column] = held_out["score"]
    relevant = gains >= RELEVANT_SCORE
    return Evaluation(
        k=k,
        held_out_users=len(held_out_ids),
        ranking={
            name: ranking_metrics(scores, gains, relevant, k=k) for name, scores in matrices.items()
        },
        rmse={
            name: rmse(matrices[name][row, column], held_out["score"])
            for name in matrices
            if name != "tag_overlap"  # a tag count is a ranking, not a predicted score
        },
        collapse=collapse_check(matrices["model"], k=k),
    )
