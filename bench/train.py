"""Training throughput of RankingModel.fit against a bare Keras model of the same dense stack.

The product: RankingModel (towers + ScoreEstimator) built by build_ranking_model on the
vocabularies of a synthetic population, compiled with Adam, trained by its own fit (which
builds its own shuffled tf.data pipeline from preprocess_data's arrays).

The baseline: the ScoreEstimator's stack alone (same units and activations, Dense +
BatchNormalization, same L1 and weight clipping, Dense 1 output) as a plain Keras model fed
pre-concatenated float32 rows of the towers' output width through a plain tf.data pipeline
(from_tensor_slices, shuffle, batch, prefetch), same batch size, Adam, MSE.

Both train on every example (validation_split=0, so fit validates on nobody) for EPOCHS
epochs over ROUNDS alternating rounds; the first epoch of each run (tracing, first shuffle
fill) is left out. Throughput is the examples per second of the fastest later epoch. On this
machine epochs of either model come in two speeds, about 2x apart, with nothing else
running: in the slow ones the process gets one core's worth of CPU instead of about 1.6. A
median mixes the two speeds in whatever proportion a run happens to draw; the fastest epoch
compares the two models at the same speed. The median-based ratio is printed too.

Target: the product trains at least half as many examples per second as the bare stack.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recommender.ml  # noqa: F401  sets TF_USE_LEGACY_KERAS before anything loads TensorFlow

# isort: split
import itertools
import statistics
import time

import numpy as np
import tensorflow as tf

from bench._common import finish, log, machine_load, result
from recommender.ml.features import STIM_FEATURES, USER_FEATURES
from recommender.ml.model import (
    ScoreEstimator,
    Vocabularies,
    WeightClip,
    build_ranking_model,
    feature_tensors,
)
from recommender.ml.preprocessing import encode_stims, encode_users, preprocess_data
from recommender.synthetic import generate_population, load_catalogue, model_frames

N_USERS, SEED = 3_000, 11
EPOCHS, ROUNDS = 5, 3
BATCH_SIZE, LEARNING_RATE = 256, 1e-3
TARGET = 0.5


class EpochClock:
    """Epoch wall times from epoch-end timestamps: epoch k (k >= 2) is end k - end k-1, so
    it includes whatever runs between epochs (a new shuffled iterator); epoch 1 runs from
    `start()`, just before fit, so it includes building the datasets and tracing."""

    def __init__(self):
        self.ends: list[float] = []

    def start(self) -> None:
        self.ends = [time.perf_counter()]

    def __call__(self, epoch: int, logs: dict | None = None) -> None:
        self.ends.append(time.perf_counter())

    @property
    def seconds(self) -> list[float]:
        return [end - previous for previous, end in itertools.pairwise(self.ends)]


def bare_stack(width: int, estimator: ScoreEstimator) -> tf.keras.Model:
    """The ScoreEstimator's layers as a plain functional Keras model over `width` floats."""
    inputs = tf.keras.Input((width,), dtype=tf.float32)
    x = inputs
    for units, activation in zip(estimator.units, estimator.activations, strict=True):
        x = tf.keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer="glorot_uniform",
            kernel_regularizer=tf.keras.regularizers.L1(estimator.l1),
            kernel_constraint=WeightClip(estimator.clip_value),
        )(x)
        x = tf.keras.layers.BatchNormalization()(x)
    outputs = tf.keras.layers.Dense(1, kernel_constraint=WeightClip(estimator.clip_value))(x)
    return tf.keras.Model(inputs, outputs)


def product_epochs(vocabularies, user_inputs, stim_inputs, scores) -> list[float]:
    model = build_ranking_model(vocabularies, seed=0)
    model.compile(optimizer=tf.keras.optimizers.Adam(LEARNING_RATE))
    clock = EpochClock()
    clock.start()
    model.fit(
        (user_inputs, stim_inputs),
        scores,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        validation_split=0.0,
        seed=0,
        progress=clock,
    )
    return clock.seconds


def bare_epochs(width: int, scores: np.ndarray) -> list[float]:
    tf.keras.utils.set_random_seed(0)
    rows = np.random.default_rng(SEED).standard_normal((len(scores), width), dtype=np.float32)
    model = bare_stack(width, ScoreEstimator())
    model.compile(
        optimizer=tf.keras.optimizers.Adam(LEARNING_RATE),
        loss=tf.keras.losses.MeanSquaredError(),
        metrics=[tf.keras.metrics.RootMeanSquaredError()],
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices((rows, scores))
        .shuffle(len(scores), seed=0)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    clock = EpochClock()
    clock.start()
    model.fit(
        dataset,
        epochs=EPOCHS,
        callbacks=[tf.keras.callbacks.LambdaCallback(on_epoch_end=clock)],
        verbose=0,
    )
    return clock.seconds


def main() -> None:
    log(machine_load())
    catalogue = load_catalogue()
    population = generate_population(catalogue, n_users=N_USERS, seed=SEED)
    interactions, users, stims = model_frames(population, catalogue)
    user_inputs, stim_inputs, scores = preprocess_data(interactions, users, stims)
    vocabularies = Vocabularies.from_inputs(encode_users(users), encode_stims(stims))
    examples = len(scores)

    probe = build_ranking_model(vocabularies, seed=0)
    first = {name: values[:2] for name, values in {**user_inputs, **stim_inputs}.items()}
    width = int(
        probe.user_model(feature_tensors(first, USER_FEATURES)).shape[1]
        + probe.stim_model(feature_tensors(first, STIM_FEATURES)).shape[1]
    )
    del probe
    log(
        f"{N_USERS:,} users, {len(stims)} stims, {examples:,} interactions; towers' "
        f"concatenated width {width}; batch {BATCH_SIZE}, {EPOCHS} epochs per run, "
        f"epochs 2..{EPOCHS} timed, {ROUNDS} rounds"
    )

    steady: dict[str, list[float]] = {"bare stack": [], "RankingModel.fit": []}
    for round_number in range(1, ROUNDS + 1):
        for name in steady:
            if name == "bare stack":
                seconds = bare_epochs(width, scores)
            else:
                seconds = product_epochs(vocabularies, user_inputs, stim_inputs, scores)
            steady[name].extend(seconds[1:])
            log(
                f"round {round_number}/{ROUNDS} {name}: epochs "
                + ", ".join(f"{s:.2f}" for s in seconds)
                + f" s (first {examples / seconds[0]:,.0f} examples/s)"
            )

    best = {name: examples / min(times) for name, times in steady.items()}
    typical = {name: examples / statistics.median(times) for name, times in steady.items()}
    for name in steady:
        print(
            f"{name}: {best[name]:,.0f} examples/s in the fastest of {len(steady[name])} steady "
            f"epochs, {typical[name]:,.0f} in the median one"
        )
    ratio = best["RankingModel.fit"] / best["bare stack"]
    print(
        f"ratio of the median epochs, for information: "
        f"{typical['RankingModel.fit'] / typical['bare stack']:.3f}"
    )
    finish([result("fit_vs_bare_stack", ratio, ">=", TARGET)])


if __name__ == "__main__":
    main()
