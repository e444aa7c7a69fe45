"""Serving latency: one user against N stims through scoring.Scorer, against the arithmetic floor.

The timed call is the serving entry point, `Scorer(model).score(user_row, prepared)`, with
`prepared = scorer.prepare_stims(encoded stims)` done once beforehand (as serving does per
catalogue). Each figure is the median of many calls after a warm-up.

The floor is what the dense stack's arithmetic alone would take: 2 * sum(in * out) over the
ScoreEstimator's Dense layers (in = the towers' concatenated width for the first) times N
rows, divided by the machine's float32 matrix-multiply rate, measured in this run by NumPy
on 2048 x 2048 float32 matrices in a child process with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from its environment. BatchNormalization, activations and the
towers are left out. The floor counts the whole first layer for every row, while the Scorer
multiplies the stims' share of it once, in prepare_stims, so a ratio somewhat below 1 is
possible at large N.

The machine is shared and noisy. Its rate is the fastest product: other work can only slow a
product down (the two-thread product more than a score call), so a typical rate on a busy
machine would flatter the Scorer. The run has ROUNDS rounds, each a burst of products in a
long-lived child (kept alive so its bursts spread over the run), a pause for its idle
threads to stop spinning, then for each N a warm-up and a series of back-to-back calls. The
figure is the median call over all rounds against the floor at the fastest product: strict
when the machine is busy (the load average is printed). The fastest call against the same
floor is printed beside it.

The catalogue of N stims repeats the shipped catalogue's rows with unique names (hence ids)
and varied descriptions. The model is built, not trained: its weights' values do not change
the work a call does.

Targets: scoring 1,000 and 10,000 stims each take at most 2x the floor. 100 stims and
model.predict at 1,000 stims are printed for information.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recommender.ml  # noqa: F401  sets TF_USE_LEGACY_KERAS before anything loads TensorFlow

# isort: split
import itertools
import os
import statistics
import time

import numpy as np
import pandas as pd
import tensorflow as tf

from bench._common import MatmulClock, figure, finish, log, machine_load, result
from recommender.ml.features import STIM_FEATURES, USER_FEATURES
from recommender.ml.model import Vocabularies, build_ranking_model, feature_tensors
from recommender.ml.preprocessing import encode_stims, encode_users
from recommender.ml.scoring import Scorer
from recommender.synthetic import generate_population, load_catalogue, model_frames

SEED = 5
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# stims -> (timed score calls per round, untimed warm-up calls before them)
SIZES = {100: (200, 20), 1_000: (100, 20), 10_000: (20, 3)}
TARGETS = {1_000: 2.0, 10_000: 2.0}
ROUNDS, MATMULS_PER_ROUND, PAUSE_SECONDS = 5, 8, 0.3
PREDICT_STIMS, PREDICT_REPEATS = 1_000, 4


def catalogue_of(stims: pd.DataFrame, n: int) -> pd.DataFrame:
    """n stims: the given rows repeated, each repeat renamed and its description varied."""
    copy = stims.iloc[np.arange(n) % len(stims)].reset_index(drop=True)
    variant = (np.arange(n) // len(stims)).astype(str)
    copy["name"] = copy["name"] + " (version " + variant + ")"
    copy["description"] = copy["description"] + " Variant " + variant + "."
    copy["stim_id"] = copy["name"]
    return copy


def dense_flops_per_row(model, width: int) -> int:
    """2 * sum(in * out) over the ScoreEstimator's Dense layers, for one row."""
    estimator = model.score_estimator
    dense = [layer for layer in estimator.hidden if isinstance(layer, tf.keras.layers.Dense)]
    sizes = [width, *(layer.units for layer in dense), estimator.output_layer.units]
    return 2 * sum(n_in * n_out for n_in, n_out in itertools.pairwise(sizes))


def call_seconds(call, *, repeats: int, warmup: int) -> list[float]:
    """Wall time of each of `repeats` back-to-back calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    log(machine_load())
    with MatmulClock() as inherited:
        rate = inherited.gflops(min(inherited.seconds(10)))
        log(
            "for information, NumPy with the environment as inherited ("
            + ", ".join(f"{name}={os.environ.get(name, '<unset>')}" for name in BLAS_VARIABLES)
            + f"): kernel {inherited.info['core']}, {rate:.1f} GFLOP/s (best of 10)"
        )

    catalogue = load_catalogue()
    population = generate_population(catalogue, n_users=200, seed=SEED)
    _, users, stims = model_frames(population, catalogue)
    encoded_users = encode_users(users)
    model = build_ranking_model(
        Vocabularies.from_inputs(encoded_users, encode_stims(stims)), seed=0
    )
    user_row = {name: values[[0]] for name, values in encoded_users.items()}
    stim_rows = encode_stims(stims.iloc[:1])
    user_width = int(model.user_model(feature_tensors(user_row, USER_FEATURES)).shape[1])
    stim_width = int(model.stim_model(feature_tensors(stim_rows, STIM_FEATURES)).shape[1])
    model({**feature_tensors(user_row, USER_FEATURES), **feature_tensors(stim_rows, STIM_FEATURES)})
    width = user_width + stim_width
    per_row = dense_flops_per_row(model, width)
    log(
        f"towers' width {user_width} + {stim_width} = {width}; dense stack "
        f"{[layer.units for layer in model.score_estimator.hidden if hasattr(layer, 'units')]} "
        f"+ 1: {per_row:,} FLOP per stim"
    )

    scorer = Scorer(model)
    encoded = {n: encode_stims(catalogue_of(stims, n)) for n in SIZES}
    prepared = {n: scorer.prepare_stims(encoded[n]) for n in SIZES}
    for n, stims_ready in prepared.items():
        assert len(stims_ready) == n and len(np.unique(stims_ready.stim_ids)) == n

    calls: dict[int, list[float]] = {n: [] for n in SIZES}
    predict_calls: dict[int | None, list[float]] = {None: [], PREDICT_STIMS: []}
    features = {
        **{name: np.repeat(user_row[name], PREDICT_STIMS, axis=0) for name in user_row},
        **encoded[PREDICT_STIMS],
    }
    features = {
        **feature_tensors(features, USER_FEATURES),
        **feature_tensors(features, STIM_FEATURES),
    }
    matmuls: list[float] = []
    with MatmulClock(unset=BLAS_VARIABLES) as clock:
        info = clock.info
        log(
            f"NumPy {info['numpy']}, BLAS {info['blas']}; the floor's child runs without "
            f"{' and '.join(BLAS_VARIABLES)}: kernel {info['core']}, {info['threads']} threads"
        )
        for round_number in range(1, ROUNDS + 1):
            burst = clock.seconds(MATMULS_PER_ROUND)
            matmuls.extend(burst)
            time.sleep(PAUSE_SECONDS)
            timings = []
            for n, (repeats, warmup) in SIZES.items():
                seconds = call_seconds(
                    lambda n=n: scorer.score(user_row, prepared[n]), repeats=repeats, warmup=warmup
                )
                calls[n].extend(seconds)
                timings.append(f"{n:,} stims {statistics.median(seconds) * 1e3:.3f} ms")
            for batch_size in predict_calls:
                predict_calls[batch_size].extend(
                    call_seconds(
                        lambda batch_size=batch_size: model.predict(
                            features, batch_size=batch_size, verbose=0
                        ),
                        repeats=PREDICT_REPEATS,
                        warmup=1,
                    )
                )
            log(
                f"round {round_number}/{ROUNDS}: matmul {clock.gflops(min(burst)):.1f} GFLOP/s "
                f"best of {len(burst)}; Scorer.score median " + ", ".join(timings)
            )
    best_rate = clock.gflops(min(matmuls))
    log(
        f"matmul rate {best_rate:.1f} GFLOP/s, the fastest of {len(matmuls)} products "
        f"(median {clock.gflops(statistics.median(matmuls)):.1f}); {machine_load()}"
    )

    ratio = {}
    for n, seconds in calls.items():
        floor = per_row * n / (best_rate * 1e9)
        ratio[n] = statistics.median(seconds) / floor
        log(
            f"Scorer.score, {n:,} stims: median {statistics.median(seconds) * 1e3:.3f} ms of "
            f"{len(seconds)} calls, fastest {min(seconds) * 1e3:.3f} ms; floor "
            f"{floor * 1e3:.3f} ms; median {ratio[n]:.2f}x, fastest {min(seconds) / floor:.2f}x"
        )
    floor = per_row * PREDICT_STIMS / (best_rate * 1e9)
    for batch_size, seconds in predict_calls.items():
        label = "default batch size 32" if batch_size is None else f"batch size {batch_size}"
        log(
            f"model.predict, {PREDICT_STIMS:,} stims, {label}: median "
            f"{statistics.median(seconds) * 1e3:.2f} ms of {len(seconds)} calls; "
            f"{statistics.median(seconds) / floor:.1f}x the floor"
        )

    print(f"score_100_vs_floor {figure(ratio[100])} (information, no target)")
    finish([result(f"score_{n}_vs_floor", ratio[n], "<=", bound) for n, bound in TARGETS.items()])


if __name__ == "__main__":
    main()
