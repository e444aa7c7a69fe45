"""Score calculators that tests set as RECOMMENDER_SCORE_CALCULATOR (a worker loads them by
dotted path), and the data on which the best and worst rankings are known."""

import time

import numpy as np
import pandas as pd
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model

from recommender.ml.model import validation_mask
from recommender.ml.preprocessing import default_score_calculator
from recommender.ml.training import TrainingConfig
from recommender.models import Interaction
from stims.models import Stim

UNINTERRUPTIBLE_SECONDS = 120


def out_of_range_scores(interactions: pd.DataFrame) -> np.ndarray:
    """The default scores moved out of [0, 1]: training must refuse them."""
    return default_score_calculator(interactions) + np.float32(1.5)


def scores_after_uninterruptible_work(interactions: pd.DataFrame) -> np.ndarray:
    """Work that the soft time limit does not stop, like a long native call (a TensorFlow op,
    a database query) that never returns to Python: only the hard limit, which kills the
    child, ends it."""
    deadline = time.monotonic() + UNINTERRUPTIBLE_SECONDS
    while time.monotonic() < deadline:
        try:
            time.sleep(0.1)
        except SoftTimeLimitExceeded:
            continue
    return default_score_calculator(interactions)


def agreed_scores(interactions: pd.DataFrame) -> np.ndarray:
    """Everyone likes the same stims in the same order (by id): with feedback on every stim,
    the popularity ranking is the ideal one, NDCG 1.0, and no untrained model matches it."""
    rank = interactions["stim_id"].rank(method="dense").to_numpy()
    return ((rank - 1) / (rank.max() - 1)).astype(np.float32)


def contrary_scores(interactions: pd.DataFrame) -> np.ndarray:
    """Held-out people like what everyone else dislikes: the popularity ranking (learnt from
    the others) is the worst possible one for them, so any model ranks at least as well."""
    config = TrainingConfig()
    held_out = validation_mask(
        interactions["user_id"].to_numpy(),
        validation_split=config.validation_split,
        seed=config.seed,
    )
    liked = agreed_scores(interactions)
    return np.where(held_out, liked, 1 - liked).astype(np.float32)


def feedback_on_every_stim(stims: int = 40) -> None:
    """Everyone's feedback on each of the first `stims` stims (the others retired), so every
    held-out person has a score for every stim and the best and worst rankings are known."""
    kept = list(Stim.objects.order_by("pk").values_list("pk", flat=True)[:stims])
    Stim.objects.exclude(pk__in=kept).update(is_active=False)
    tried = set(Interaction.objects.values_list("user_id", "stim_id"))
    Interaction.objects.bulk_create(
        Interaction(user_id=person, stim_id=stim, rating=3)
        for person in get_user_model().objects.values_list("pk", flat=True)
        for stim in kept
        if (person, stim) not in tried
    )
