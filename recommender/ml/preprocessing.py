"""From DataFrames to the model's inputs: preprocess_data and the default score_calculator.

Everything is vectorised: each user and each stim is encoded once, then gathered per
interaction by position, so the cost grows with the number of interactions only through
array indexing.
"""

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from .features import (
    BLANK,
    INTERACTION_COLUMNS,
    LIST_PADDING,
    STIM_COLUMNS,
    STIM_FEATURES,
    STIM_KEY,
    USER_COLUMNS,
    USER_FEATURES,
    USER_KEY,
    Feature,
)

ScoreCalculator = Callable[[pd.DataFrame], np.ndarray]
Inputs = dict[str, np.ndarray]

# The default score's constants; see default_score_calculator.
RATING_WEIGHT, FREQUENCY_WEIGHT = 0.7, 0.3
UNKNOWN_SCORE = 0.5
STILL_USING_BONUS = 0.15
HARM_CAP, DISMISSED_CAP = 0.1, 0.2
MAX_ROWS_NAMED = 10


def default_score_calculator(interactions: pd.DataFrame) -> np.ndarray:
    """How well each stim suited the person, in [0, 1], from their feedback.

    r = (rating - 1) / 4 and f = usage_frequency / 4 where given;
    base = (0.7 r + 0.3 f) / (0.7 [r given] + 0.3 [f given]), or 0.5 when neither is given;
    score = min(1, base + 0.15 [still using]);
    then capped at 0.1 when harm was reported and at 0.2 when dismissed ("not for me").

    Args:
      interactions: a frame with the INTERACTION_COLUMNS signals.

    Returns:
      A float32 array, one score per row.
    """
    rating = (pd.to_numeric(interactions["rating"]).to_numpy(dtype=float) - 1.0) / 4.0
    frequency = pd.to_numeric(interactions["usage_frequency"]).to_numpy(dtype=float) / 4.0
    has_rating, has_frequency = ~np.isnan(rating), ~np.isnan(frequency)
    weight = RATING_WEIGHT * has_rating + FREQUENCY_WEIGHT * has_frequency
    weighted = RATING_WEIGHT * np.nan_to_num(rating) + FREQUENCY_WEIGHT * np.nan_to_num(frequency)
    base = np.divide(weighted, weight, out=np.full(len(weight), UNKNOWN_SCORE), where=weight > 0)
    score = np.minimum(1.0, base + STILL_USING_BONUS * _flag(interactions, "still_using"))
    score = np.where(_flag(interactions, "harm_reported"), np.minimum(score, HARM_CAP), score)
    score = np.where(_flag(interactions, "dismissed"), np.minimum(score, DISMISSED_CAP), score)
    return score.astype(np.float32)


def preprocess_data(
    interactions_df: pd.DataFrame,
    users_df: pd.DataFrame,
    stims_df: pd.DataFrame,
    score_calculator: ScoreCalculator = default_score_calculator,
) -> tuple[Inputs, Inputs, np.ndarray]:
    """Turns interactions, users and stims into the model's inputs, one row per interaction.

    Args:
      interactions_df: INTERACTION_COLUMNS; user_id and stim_id name rows of the other frames.
      users_df: USER_COLUMNS, one row per user; list columns hold lists (or None).
      stims_df: STIM_COLUMNS, one row per stim.
      score_calculator: frame of interactions -> array of scores in [0, 1].

    Returns:
      (user_inputs, stim_inputs, scores): mappings of arrays keyed by the seed's feature
      names, plus user_id and stim_id (keys, not features: fit splits by user_id), one row
      per interaction (GatheredInputs: each user and stim is encoded once), and float32
      scores.

    Raises:
      ValueError: a missing column, an interaction naming an unknown user or stim, or a
        score outside [0, 1]; the message names the offending rows.
    """
    _require_columns(interactions_df, INTERACTION_COLUMNS, "interactions_df")
    user_rows = _positions(interactions_df, users_df, USER_KEY, USER_COLUMNS, "users_df")
    stim_rows = _positions(interactions_df, stims_df, STIM_KEY, STIM_COLUMNS, "stims_df")

    scores = np.asarray(score_calculator(interactions_df), dtype=np.float32)
    if scores.shape != (len(interactions_df),):
        raise ValueError(
            f"score_calculator gave {scores.shape} scores for {len(interactions_df)} interactions"
        )
    bad = ~np.isfinite(scores) | (scores < 0) | (scores > 1)
    if bad.any():
        raise ValueError(
            f"score_calculator gave scores outside [0, 1] for interaction rows "
            f"{_row_labels(interactions_df.index[bad])}"
        )

    return (
        GatheredInputs(encode_users(users_df), user_rows),
        GatheredInputs(encode_stims(stims_df), stim_rows),
        scores,
    )


class GatheredInputs(Mapping):
    """Per-interaction inputs, held as one row per user (or stim) and each interaction's row.

    Reading a key gives that feature for every interaction, as a dict of arrays would; fit
    reads `table` and `rows` instead and gathers batch by batch, so a user's padded lists are
    never copied once per interaction.
    """

    def __init__(self, table: Inputs, rows: np.ndarray):
        self.table, self.rows = table, np.asarray(rows)

    @classmethod
    def of(cls, inputs: Mapping) -> "GatheredInputs":
        """Wraps plain per-interaction arrays, so fit takes either."""
        if isinstance(inputs, cls):
            return inputs
        table = {name: np.asarray(values) for name, values in inputs.items()}
        return cls(table, np.arange(len(next(iter(table.values())))))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.table[name][self.rows]

    def __iter__(self):
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def subset(self, mask: np.ndarray) -> "GatheredInputs":
        return GatheredInputs(self.table, self.rows[mask])


def encode_users(users_df: pd.DataFrame) -> Inputs:
    """One row per user of users_df, keyed by the user features (and user_id)."""
    return {
        USER_KEY: users_df[USER_KEY].to_numpy(),
        **{feature.name: encode_feature(users_df, feature) for feature in USER_FEATURES},
    }


def encode_user(user: Mapping) -> Inputs:
    """One user given as plain values (USER_COLUMNS -> value, lists as lists): the same
    inputs encode_users gives for a one-row frame, without pandas' fixed cost per call, which
    would dominate the time of serving one request."""
    inputs = {USER_KEY: np.array([user[USER_KEY]])}
    for feature in USER_FEATURES:
        if feature.kind == "tags":
            names = [
                name
                for column in feature.source
                for name in user[column]
                if name is not None and name != LIST_PADDING
            ][: feature.length]
            value = np.full((1, feature.length), LIST_PADDING, dtype=object)
            value[0, : len(names)] = names
        elif feature.kind in {"number", "age"}:
            raw = user[feature.source[0]]
            missing = np.nan if feature.kind == "age" else 0.0
            value = np.array([missing if raw is None or np.isnan(raw) else raw], dtype=np.float32)
        else:
            raw = user[feature.source[0]]
            value = np.array([BLANK if raw is None else str(raw).strip()], dtype=object)
        inputs[feature.name] = value
    return inputs


def encode_stims(stims_df: pd.DataFrame) -> Inputs:
    """One row per stim of stims_df, keyed by the stim features (and stim_id)."""
    return {
        STIM_KEY: stims_df[STIM_KEY].to_numpy(),
        **{feature.name: encode_feature(stims_df, feature) for feature in STIM_FEATURES},
    }


def encode_feature(frame: pd.DataFrame, feature: Feature) -> np.ndarray:
    """The raw model input for one feature, with missing values given their own encoding."""
    if feature.kind in {"number", "age"}:
        values = pd.to_numeric(frame[feature.source[0]]).to_numpy(dtype=np.float32, na_value=np.nan)
        if feature.kind == "number":
            values = np.nan_to_num(values, nan=0.0)
        return values  # a missing age stays NaN: the model gives it its own bucket
    if feature.kind == "tags":
        return pad_lists(*(frame[column] for column in feature.source), length=feature.length)
    text = frame[feature.source[0]].astype("string").fillna(BLANK).str.strip()
    return text.to_numpy(dtype=object)


def pad_lists(*columns: pd.Series, length: int) -> np.ndarray:
    """A [rows, length] object array of strings: the columns' lists joined row by row, each
    truncated to `length`, then padded with LIST_PADDING.

    Vectorised: the lists are exploded once and scattered into place by position.
    """
    rows = len(columns[0])
    for column in columns:
        text = column.map(type).isin([str]).to_numpy(dtype=bool)
        if text.any():
            raise ValueError(
                f"{column.name} must hold lists, not text: rows {_row_labels(column.index[text])}"
            )
    exploded = pd.concat([column.reset_index(drop=True).explode() for column in columns])
    exploded = exploded[exploded.notna() & (exploded.astype("string") != LIST_PADDING)]
    row = exploded.index.to_numpy()
    rank = exploded.groupby(level=0, sort=False).cumcount().to_numpy()
    keep = rank < length
    padded = np.full((rows, length), LIST_PADDING, dtype=object)
    padded[row[keep], rank[keep]] = exploded.to_numpy(dtype=object)[keep]
    return padded


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].fillna(False).to_numpy(dtype=bool)


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], label: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{label} lacks column(s): {', '.join(missing)}")


def _positions(
    interactions_df: pd.DataFrame,
    frame: pd.DataFrame,
    key: str,
    columns: tuple[str, ...],
    label: str,
) -> np.ndarray:
    """Row position in `frame` of each interaction's key; a clear error for unknown keys."""
    _require_columns(frame, columns, label)
    index = pd.Index(frame[key])
    if not index.is_unique:
        raise ValueError(
            f"{label} has repeated {key} values: {_row_labels(index[index.duplicated()])}"
        )
    positions = index.get_indexer(interactions_df[key])
    unknown = positions < 0
    if unknown.any():
        names = pd.unique(interactions_df[key].to_numpy()[unknown])
        raise ValueError(
            f"interaction rows {_row_labels(interactions_df.index[unknown])} name "
            f"{key} values not in {label}: {_row_labels(names)}"
        )
    return positions


def _row_labels(labels) -> str:
    shown = ", ".join(map(str, list(labels)[:MAX_ROWS_NAMED]))
    more = len(labels) - MAX_ROWS_NAMED
    return shown + (f" and {more} more" if more > 0 else "")
