"""How a training's time and peak memory grow with the number of interactions.

For each size in `--sizes` (default 100,000, 300,000 and 1,000,000 interactions) a fresh
child process (this script run with `--one SIZE`, which prints one JSON line; so neither
memory nor TensorFlow's state carries over from one size to the next) draws a synthetic
population of SIZE / mean tried people (`generate_population` with its default tried_range,
8-30 stims a person, mean 19, on the shipped catalogue of 149 stims; the actual interaction
count is reported), builds the frames with `model_frames`, then runs `train_ranking_model`
with `TrainingConfig(epochs=E, early_stopping_patience=None)` (`--epochs`, default 2; the
default validation split of 0.2, so a fifth of the people are held out, validated on after
every epoch, then evaluated).

Per size it reports the people and interactions, the seconds of each stage the
TrainingResult records (preprocess, train, evaluate) and their total, the train stage per
epoch, the child's RSS after data generation (TensorFlow imported, frames built) and its
peak RSS during `train_ranking_model` (VmHWM, reset just before the call), whose difference
is the growth the training needs, and the train stage's microseconds per interaction-epoch.
Each epoch's wall time is taken from the epoch-end callback (`progress`): epoch 1 also holds
building the model, the datasets and tracing; later epochs are the steady cost.

Target (linear time): microseconds per interaction-epoch at the largest size over the
smallest, on the fastest steady epoch (epochs 2..E; the first epoch when E is 1):

`RESULT train_time_per_interaction_largest_vs_smallest <ratio> target <= 1.5`

The train stage's own ratio (fixed costs included, which favour large sizes) is printed for
information. On this machine epochs come in two speeds about 2x apart (see train.py), so
with one steady epoch per size (E = 2) the ratio can move by that much; `--epochs 3` or more
gives the fastest epoch a choice.

No memory target: the growth has a large fixed part (TensorFlow's runtime and thread pools,
the model, its optimizer, traced functions) beside the parts that grow with the data (the
user table and shuffle buffer of the datasets, the held-out score matrices), so a ratio of
growth per interaction between sizes mostly measures the fixed part, and a ratio of peaks
says nothing about linearity. Printed for information instead: the marginal growth per
interaction between consecutive sizes (extra MiB of growth / extra interactions, in bytes),
which stays about flat if memory grows linearly. It is noisy when the sizes are close.

Run: `.venv/bin/python bench/scale_training.py` (several minutes: the largest child trains
on 1,000,000 interactions); a quick look: `--sizes 5000 15000 --epochs 1`.
"""

import argparse
import gc
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # no TensorFlow here: the parent never loads it
    figure,
    finish,
    log,
    machine_load,
    peak_rss_mib,
    reset_peak_rss,
    result,
    rss_mib,
)

DEFAULT_SIZES = (100_000, 300_000, 1_000_000)
SEED = 5
TARGET = 1.5
STAGES = ("preprocess", "train", "evaluate")


def one_size(size: int, epochs: int, seed: int) -> dict:
    """In the child: generate about `size` interactions, train, and return the figures."""
    import recommender.ml  # noqa: F401  sets TF_USE_LEGACY_KERAS before TensorFlow loads
    from recommender.ml.training import TrainingConfig, train_ranking_model
    from recommender.synthetic import (
        TRIED_RANGE,
        generate_population,
        load_catalogue,
        model_frames,
    )

    catalogue = load_catalogue()
    low, high = (min(bound, len(catalogue)) for bound in TRIED_RANGE)
    mean_tried = (low + high) / 2
    n_users = max(10, round(size / mean_tried))
    started = time.perf_counter()
    population = generate_population(catalogue, n_users=n_users, seed=seed)
    frames = model_frames(population, catalogue)
    generation_seconds = time.perf_counter() - started
    del population
    gc.collect()

    ends: list[float] = []
    rss_before = rss_mib()
    reset_peak_rss()
    called = time.perf_counter()
    training = train_ranking_model(
        *frames,
        config=TrainingConfig(epochs=epochs, early_stopping_patience=None),
        progress=lambda epoch, logs: ends.append(time.perf_counter()),
    )
    peak = peak_rss_mib()
    train_started = called + training.stages["preprocess"]["seconds"]
    # Epoch 1 runs from the start of the train stage (model built, datasets made, tracing).
    edges = [train_started, *ends[:epochs]]
    epoch_seconds = [end - start for start, end in itertools.pairwise(edges)]
    return {
        "requested": size,
        "people": int(frames[1].shape[0]),
        "interactions": int(frames[0].shape[0]),
        "mean_tried": mean_tried,
        "generation_seconds": generation_seconds,
        "stages": {name: training.stages[name]["seconds"] for name in STAGES},
        "epoch_seconds": epoch_seconds,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak,
        "val_loss": training.history.get("val_loss", [None])[-1],
    }


def run_child(size: int, epochs: int, seed: int) -> dict:
    """This script with `--one SIZE` in a fresh process; its JSON line, parsed."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        str(size),
        "--epochs",
        str(epochs),
        "--seed",
        str(seed),
    ]
    with tempfile.TemporaryFile(mode="w+") as stderr:
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        if completed.returncode != 0:
            stderr.seek(0)
            sys.stderr.write("".join(stderr.readlines()[-40:]))
            raise SystemExit(f"the child for {size:,} interactions failed")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def table_print(rows: list[dict], epochs: int) -> None:
    header = (
        "interactions",
        "people",
        "preprocess s",
        "train s",
        "s per epoch",
        "evaluate s",
        "total s",
        "peak RSS MiB",
        "growth during training MiB",
        "train µs per interaction-epoch",
        "steady epoch µs per interaction",
    )
    cells = [
        (
            f"{row['interactions']:,}",
            f"{row['people']:,}",
            f"{row['stages']['preprocess']:.2f}",
            f"{row['stages']['train']:.2f}",
            f"{row['stages']['train'] / epochs:.2f}",
            f"{row['stages']['evaluate']:.2f}",
            f"{sum(row['stages'].values()):.2f}",
            f"{row['peak_rss_mib']:.0f}",
            f"{row['peak_rss_mib'] - row['rss_before_mib']:.0f}",
            figure(row["stages"]["train"] / epochs / row["interactions"] * 1e6),
            figure(steady_seconds(row) / row["interactions"] * 1e6),
        )
        for row in rows
    ]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for line in cells:
        print("| " + " | ".join(line) + " |")
    print(flush=True)


def steady_seconds(row: dict) -> float:
    """The fastest epoch after the first (the first when there is only one)."""
    epochs = row["epoch_seconds"]
    return min(epochs[1:] or epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one is not None:
        print(json.dumps(one_size(arguments.one, arguments.epochs, arguments.seed)), flush=True)
        return

    log(machine_load())
    rows = []
    for size in sorted(arguments.sizes):
        row = run_child(size, arguments.epochs, arguments.seed)
        rows.append(row)
        log(
            f"{size:,} requested: {row['interactions']:,} interactions, {row['people']:,} "
            f"people (mean tried {row['mean_tried']:g}); generated in "
            f"{row['generation_seconds']:.1f} s; stages "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in row["stages"].items())
            + "; epochs "
            + ", ".join(f"{seconds:.2f}" for seconds in row["epoch_seconds"])
            + f" s; RSS {row['rss_before_mib']:.0f} -> peak {row['peak_rss_mib']:.0f} MiB; "
            f"val_loss {row['val_loss']}"
        )
    log(machine_load())

    table_print(rows, arguments.epochs)
    for smaller, larger in itertools.pairwise(rows):
        extra = (larger["peak_rss_mib"] - larger["rss_before_mib"]) - (
            smaller["peak_rss_mib"] - smaller["rss_before_mib"]
        )
        per_interaction = extra * 2**20 / (larger["interactions"] - smaller["interactions"])
        print(
            f"marginal growth {smaller['interactions']:,} -> {larger['interactions']:,} "
            f"interactions: {extra:+.0f} MiB, {per_interaction:,.0f} bytes per extra "
            f"interaction (information)"
        )

    smallest, largest = rows[0], rows[-1]
    stage_ratio = (largest["stages"]["train"] / largest["interactions"]) / (
        smallest["stages"]["train"] / smallest["interactions"]
    )
    print(
        f"train stage µs per interaction-epoch, largest over smallest (fixed costs included), "
        f"for information: {figure(stage_ratio)}"
    )
    steady_ratio = (steady_seconds(largest) / largest["interactions"]) / (
        steady_seconds(smallest) / smallest["interactions"]
    )
    finish([result("train_time_per_interaction_largest_vs_smallest", steady_ratio, "<=", TARGET)])


if __name__ == "__main__":
    main()
