"""Tiny hand-made frames, and one tiny model trained on them once per session.

The frames are the shape preprocess_data takes (features.USER_COLUMNS, STIM_COLUMNS,
INTERACTION_COLUMNS, list columns holding lists). The shared model is deliberately small
(dim 4, two hidden layers) so that tests about fitting, saving and serving stay fast; tests
that are about the seed's sizes build their own ScoreEstimator.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

STIM_ROWS = [
    # stim_id, name, description, category, harmfulness_score, conditions, hobbies
    (
        "fidget-cube",
        "Fidget cube",
        "A small cube with buttons and switches that keeps restless hands busy.",
        "tactile",
        0.02,
        ["ADHD", "Autism"],
        ["Gaming", "Coding"],
    ),
    (
        "weighted-blanket",
        "Weighted blanket",
        "A heavy blanket whose deep pressure is calming at night.",
        "proprioceptive",
        0.02,
        ["Autism", "Anxiety"],
        ["Reading"],
    ),
    (
        "humming",
        "Humming",
        "Humming a steady tune to slow the breath and block out noise.",
        "auditory",
        0.0,
        ["Autism"],
        ["Music"],
    ),
    (
        "rocking",
        "Rocking",
        "Rocking back and forth in a chair, slow and rhythmic.",
        "vestibular",
        0.03,
        ["Autism", "Sensory processing disorder"],
        [],
    ),
    (
        "nail-biting",
        "Nail biting",
        "Biting the nails when anxious; it can hurt the skin.",
        "oral",
        0.7,
        ["Anxiety"],
        [],
    ),
    (
        "pacing",
        "Pacing",
        "Walking up and down the room while thinking.",
        "movement",
        0.05,
        ["ADHD"],
        ["Running", "Music"],
    ),
]
STIM_IDS = [row[0] for row in STIM_ROWS]

CONDITIONS = ["ADHD", "Autism", "Anxiety", "Sensory processing disorder"]
HOBBIES = ["Gaming", "Coding", "Reading", "Music", "Running"]
GENDERS = ["woman", "man", "", "non_binary"]
SEXUALITIES = ["heterosexual", "", "bisexual"]
N_USERS = 12
STIMS_PER_USER = 4


@dataclass(frozen=True)
class Frames:
    interactions: pd.DataFrame
    users: pd.DataFrame
    stims: pd.DataFrame


def stims_frame() -> pd.DataFrame:
    return pd.DataFrame(
        STIM_ROWS,
        columns=[
            "stim_id",
            "name",
            "description",
            "category",
            "harmfulness_score",
            "conditions",
            "hobbies",
        ],
    )


def tiny_frames() -> Frames:
    """Twelve people, each of whom tried four of the six stims, with deterministic feedback.

    Ratings follow how many tags a person shares with the stim, so there is something to learn.
    """
    users = pd.DataFrame(
        {
            "user_id": [f"person-{i:02d}" for i in range(N_USERS)],
            "age": [float(12 + 5 * i) if i % 5 else np.nan for i in range(N_USERS)],
            "gender": [GENDERS[i % len(GENDERS)] for i in range(N_USERS)],
            "sexuality": [SEXUALITIES[i % len(SEXUALITIES)] for i in range(N_USERS)],
            "neurodivergent_conditions": [
                [CONDITIONS[i % 4], CONDITIONS[(i + 1) % 4]][: 1 + i % 2] for i in range(N_USERS)
            ],
            "hobbies": [[HOBBIES[i % 5], HOBBIES[(i + 2) % 5]] for i in range(N_USERS)],
            "stimming_essentiality_score": [round(0.1 + 0.07 * i, 2) for i in range(N_USERS)],
            "current_stims": [[STIM_ROWS[i % 6][1]] if i % 3 else [] for i in range(N_USERS)],
        }
    )
    stims = stims_frame()
    stim_tags = [set(row[5]) | set(row[6]) for row in STIM_ROWS]
    rows = []
    for i, user in users.iterrows():
        tags = set(user["neurodivergent_conditions"]) | set(user["hobbies"])
        for j in range(STIMS_PER_USER):
            s = (i + j) % len(STIM_ROWS)
            shared = len(tags & stim_tags[s])
            rows.append(
                {
                    "user_id": user["user_id"],
                    "stim_id": STIM_IDS[s],
                    "rating": min(5, 1 + 2 * shared),
                    "usage_frequency": min(4, shared + j % 2),
                    "still_using": shared >= 2,
                    "harm_reported": STIM_ROWS[s][4] > 0.5,
                    "dismissed": shared == 0 and j == 3,
                }
            )
    interactions = pd.DataFrame(rows)
    interactions["rating"] = interactions["rating"].astype("Int64")
    interactions["usage_frequency"] = interactions["usage_frequency"].astype("Int64")
    return Frames(interactions, users, stims)


@pytest.fixture
def frames() -> Frames:
    """A fresh copy for tests that edit the frames."""
    return tiny_frames()


@dataclass(frozen=True)
class Tiny:
    """Preprocessed tiny data and a small model trained on it for two epochs."""

    frames: Frames
    user_inputs: dict
    stim_inputs: dict
    scores: np.ndarray
    users: dict  # encode_users: one row per user
    stims: dict  # encode_stims: one row per stim
    vocabularies: object
    trained: object  # artifacts.TrainedModel
    history: dict


TINY_DIM = 4
TINY_ESTIMATOR = {"units": (8, 4), "activations": ("relu", "selu")}
TINY_BATCH = 8


def fit_tiny_model(tiny_inputs, *, seed: int = 0, epochs: int = 2, **fit_kwargs):
    """A fresh small model over the tiny vocabularies, compiled and fitted; (model, history)."""
    import tensorflow as tf

    from recommender.ml.model import build_ranking_model

    user_inputs, stim_inputs, scores, vocabularies = tiny_inputs
    model = build_ranking_model(vocabularies, seed=seed, dim=TINY_DIM, **TINY_ESTIMATOR)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01))
    history = model.fit(
        (user_inputs, stim_inputs),
        scores,
        epochs=epochs,
        batch_size=TINY_BATCH,
        validation_split=0.3,
        seed=seed,
        **fit_kwargs,
    )
    return model, history


@pytest.fixture(scope="session")
def tiny() -> Tiny:
    from recommender.ml.artifacts import TrainedModel
    from recommender.ml.model import Vocabularies
    from recommender.ml.preprocessing import encode_stims, encode_users, preprocess_data

    data = tiny_frames()
    user_inputs, stim_inputs, scores = preprocess_data(data.interactions, data.users, data.stims)
    users, stims = encode_users(data.users), encode_stims(data.stims)
    vocabularies = Vocabularies.from_inputs(users, stims)
    model, history = fit_tiny_model((user_inputs, stim_inputs, scores, vocabularies))
    return Tiny(
        frames=data,
        user_inputs=user_inputs,
        stim_inputs=stim_inputs,
        scores=scores,
        users=users,
        stims=stims,
        vocabularies=vocabularies,
        trained=TrainedModel(model, vocabularies, TINY_DIM, {"note": "tiny"}),
        history=history.history,
    )


def pair_features(users: dict, user_row: int, stims: dict) -> dict:
    """Model inputs pairing one user (a row of encode_users) with every stim of `stims`."""
    from recommender.ml.features import STIM_FEATURES, USER_FEATURES
    from recommender.ml.model import feature_tensors

    n = len(stims["stim_id"])
    repeated = {name: np.repeat(values[[user_row]], n, axis=0) for name, values in users.items()}
    return {
        **feature_tensors(repeated, USER_FEATURES),
        **feature_tensors(stims, STIM_FEATURES),
    }


def user_row(users: dict, row: int) -> dict:
    """One user of encode_users as the one-row arrays Scorer.score takes."""
    return {name: values[[row]] for name, values in users.items()}
