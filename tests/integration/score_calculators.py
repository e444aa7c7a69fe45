"""Score calculators a worker loads by dotted path (RECOMMENDER_SCORE_CALCULATOR) in the tests."""

import time

import numpy as np
import pandas as pd
from celery.exceptions import SoftTimeLimitExceeded

from recommender.ml.preprocessing import default_score_calculator

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
