"""preprocess_data on 1,000,000 interactions against a bare pandas merge of the same frames.

Each measurement runs in a fresh child process that builds the frames (fixed seed), warms
the call up on a small slice, then times one call on the full frames and records its peak
memory: the growth of the resident set's high-water mark (VmHWM, reset just before the call)
over the RSS just before it. That counts everything the call holds at its worst moment
(its output included, as the caller keeps it), native and Python alike, and nothing the
frames already occupy. The children alternate (merge, preprocess, merge, ...) and the
figures are medians over rounds.

Target: preprocess_data takes at most 3x the time of
interactions.merge(users, on="user_id").merge(stims, on="stim_id").
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recommender.ml  # noqa: F401  sets TF_USE_LEGACY_KERAS before anything loads TensorFlow

# isort: split
import argparse
import gc
import json
import resource
import statistics
import subprocess
import time

import numpy as np
import pandas as pd

from bench._common import finish, log, machine_load, peak_rss_mib, reset_peak_rss, result, rss_mib
from recommender.ml.features import INTERACTION_COLUMNS, STIM_COLUMNS, USER_COLUMNS
from recommender.ml.preprocessing import preprocess_data

N_INTERACTIONS, N_USERS, N_STIMS = 1_000_000, 100_000, 1_000
SEED = 20_240_601
ROUNDS = 5
TARGET = 3.0

CONDITIONS = (
    "ADHD", "Autism", "Anxiety", "Sensory processing disorder", "Depression", "Dyspraxia",
    "OCD", "Dyslexia", "PTSD", "Tourette syndrome", "Bipolar disorder", "Fragile X syndrome",
)  # fmt: skip
HOBBIES = tuple(f"Hobby {i}" for i in range(40))
CATEGORIES = (
    "tactile", "movement", "vestibular", "proprioceptive", "auditory", "visual", "oral",
    "olfactory", "vocal", "other",
)  # fmt: skip
GENDERS = ("", "woman", "man", "non_binary", "other")
SEXUALITIES = ("", "heterosexual", "bisexual", "gay_or_lesbian", "asexual", "pansexual", "queer")


def build_frames(
    *, n_interactions: int = N_INTERACTIONS, n_users: int = N_USERS, n_stims: int = N_STIMS
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Random (interactions, users, stims) in the feature spec's columns; the same every time.

    Ids are integers, as the database gives them. List columns hold Python lists, some empty
    and some longer than the model keeps.
    """
    rng = np.random.default_rng(SEED)
    words = np.array([f"word{i}" for i in range(3_000)], dtype=object)

    stim_names = np.array(
        [f"{a} {b} {i}" for i, (a, b) in enumerate(rng.choice(words, (n_stims, 2)))], dtype=object
    )
    description_words = rng.choice(words, (n_stims, 20))
    stims = pd.DataFrame(
        {
            "stim_id": np.arange(1, n_stims + 1),
            "name": stim_names,
            "description": [" ".join(row) + "." for row in description_words],
            "category": rng.choice(np.array(CATEGORIES, dtype=object), n_stims),
            "harmfulness_score": rng.random(n_stims).round(2),
            "conditions": _random_lists(rng, CONDITIONS, n_stims, max_length=4),
            "hobbies": _random_lists(rng, HOBBIES, n_stims, max_length=4),
        }
    )

    age = rng.integers(6, 86, n_users).astype(float)
    age[rng.random(n_users) < 0.1] = np.nan
    users = pd.DataFrame(
        {
            "user_id": np.arange(1, n_users + 1),
            "age": age,
            "gender": rng.choice(np.array(GENDERS, dtype=object), n_users),
            "sexuality": rng.choice(np.array(SEXUALITIES, dtype=object), n_users),
            "neurodivergent_conditions": _random_lists(rng, CONDITIONS, n_users, max_length=8),
            "hobbies": _random_lists(rng, HOBBIES, n_users, max_length=12),
            "stimming_essentiality_score": rng.random(n_users).round(2),
            "current_stims": _random_lists(rng, tuple(stim_names), n_users, max_length=7),
        }
    )

    rating = pd.array(rng.integers(1, 6, n_interactions), dtype="Int64")
    rating[rng.random(n_interactions) < 0.1] = pd.NA
    usage = pd.array(rng.integers(0, 5, n_interactions), dtype="Int64")
    usage[rng.random(n_interactions) < 0.2] = pd.NA
    interactions = pd.DataFrame(
        {
            "user_id": rng.integers(1, n_users + 1, n_interactions),
            "stim_id": rng.integers(1, n_stims + 1, n_interactions),
            "rating": rating,
            "usage_frequency": usage,
            "still_using": rng.random(n_interactions) < 0.4,
            "harm_reported": rng.random(n_interactions) < 0.05,
            "dismissed": rng.random(n_interactions) < 0.1,
        }
    )
    return (
        interactions[list(INTERACTION_COLUMNS)],
        users[list(USER_COLUMNS)],
        stims[list(STIM_COLUMNS)],
    )


def _random_lists(
    rng: np.random.Generator, values: tuple[str, ...], rows: int, *, max_length: int
) -> list[list[str]]:
    """`rows` lists of 0..max_length values, some empty; distinct when the pool is small."""
    lengths = rng.integers(0, max_length + 1, rows)
    if len(values) <= 100:
        chosen = np.argsort(rng.random((rows, len(values))), axis=1)[:, :max_length]
    else:  # a large pool repeats a value in a row too rarely to matter
        chosen = rng.integers(0, len(values), (rows, max_length))
    pool = np.array(values, dtype=object)
    return [pool[row[:length]].tolist() for row, length in zip(chosen, lengths, strict=True)]


def merge(interactions: pd.DataFrame, users: pd.DataFrame, stims: pd.DataFrame) -> pd.DataFrame:
    return interactions.merge(users, on="user_id").merge(stims, on="stim_id")


OPERATIONS = {"merge": merge, "preprocess_data": preprocess_data}


def measure_in_this_process(operation: str) -> dict:
    """Builds the frames, warms up on a slice, then times one full call and its peak memory."""
    interactions, users, stims = build_frames()
    call = OPERATIONS[operation]
    call(interactions.iloc[:1000], users, stims)  # loads whatever the call loads lazily
    gc.collect()
    before = rss_mib()
    reset_peak_rss()
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    output = call(interactions, users, stims)
    seconds = time.perf_counter() - start
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    peak = peak_rss_mib()
    rows = len(output) if isinstance(output, pd.DataFrame) else len(output[2])
    return {
        "seconds": seconds,
        "user_seconds": usage_after.ru_utime - usage_before.ru_utime,
        "system_seconds": usage_after.ru_stime - usage_before.ru_stime,
        "peak_mib": peak - before,
        "rss_before_mib": before,
        "rows": rows,
    }


def measure_in_child(operation: str) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", operation],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(OPERATIONS), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(measure_in_this_process(arguments.child)))
        return

    log(machine_load())
    start = time.perf_counter()
    interactions, users, stims = build_frames()
    log(
        f"frames: {len(interactions):,} interactions, {len(users):,} users, {len(stims):,} "
        f"stims, built in {time.perf_counter() - start:.2f} s (each child builds its own)"
    )
    del interactions, users, stims

    runs: dict[str, list[dict]] = {name: [] for name in OPERATIONS}
    for round_number in range(1, ROUNDS + 1):
        for name in OPERATIONS:
            run = measure_in_child(name)
            runs[name].append(run)
            log(
                f"round {round_number}/{ROUNDS} {name}: {run['seconds']:.3f} s (CPU "
                f"{run['user_seconds']:.2f} s user, {run['system_seconds']:.2f} s system), "
                f"peak +{run['peak_mib']:.0f} MiB over {run['rss_before_mib']:.0f} MiB, "
                f"{run['rows']:,} rows"
            )

    seconds = {name: statistics.median(r["seconds"] for r in runs[name]) for name in runs}
    peak = {name: statistics.median(r["peak_mib"] for r in runs[name]) for name in runs}
    for name in OPERATIONS:
        print(
            f"{name}: median {seconds[name]:.3f} s, peak memory +{peak[name]:.0f} MiB "
            f"(VmHWM growth during the call, output included)"
        )
    print(
        f"peak memory ratio preprocess_data / merge: {peak['preprocess_data'] / peak['merge']:.2f}"
    )
    ratio = seconds["preprocess_data"] / seconds["merge"]
    finish([result("preprocess_vs_merge", ratio, "<=", TARGET)])


if __name__ == "__main__":
    main()
