"""What a retrieval stage would save past 10,000 stims: ranking the whole catalogue against a
two-tower retrieval of the top candidates followed by ranking only those.

For each catalogue of N stims in `--stims` (default 10,000 and 100,000), in process, one user
per request, medians over repeated calls:

a. full ranking: `Scorer.score(user, prepared)` over all N prepared stims, what serving
   does today;
b. retrieval: a query tower (the RankingModel's user tower, then a Dense projection to the
   stim tower's width, 65) against the N stim tower outputs (computed once, as
   `prepare_stims` does), indexed once in `tfrs.layers.factorized_top_k.BruteForce`
   (`index`, the stims' positions as identifiers), returning the top `--candidates`
   (default 300); query tower and top-k in one tf.function with a fixed input signature,
   as the Scorer's;
c. ranking the top K: `Scorer.score` over a PreparedStims of the K candidates' rows,
   gathered beforehand from the full prepared one;
d. two-stage: b, then gathering the K rows of the prepared stims, then c, as one request.

For information, a two-stage request that keeps no prepared first-layer share at all: b,
then the K candidates' stim embeddings (gathered from the index's matrix) times the stims'
rows of the first dense kernel (`Scorer.prepare_vectors`), then `Scorer.score`. The
prepared share holds 4 KiB per stim (N x 1,024 float32), 16 times the embeddings (65
float32), so this is the variant whose memory stays small at a million stims (4 GiB
against 250 MiB); the memory each holds is printed beside the times.

The model is `build_ranking_model` on the vocabularies of a small synthetic population
(300 people, the shipped catalogue), with its random initial weights, and the projection
is random too: the time of a call does not depend on the weight values (dense matrix
products, element-wise activations and top-k over the same shapes), only on the shapes.
The catalogue is N synthetic stims: two words of the catalogue's name vocabulary and a
number as the name, twelve words of its description vocabulary, a category and 0-3
conditions and 0-3 hobbies drawn from the shipped catalogue's, harmfulness uniform in
[0, 1] (fixed seed). bench/serve.py makes its catalogues through the ORM and configures
Django when imported, so it is not reused. Stims are prepared in chunks of 10,000 (one
`prepare_stims` over 100,000 stims would hold intermediates of 293 MiB each at once: 48
description tokens x 16 floats per stim).

Only time and memory are measured: the query tower here is untrained, and what a trained
retrieval stage would miss of the full ranking's top items (its recall) is another question.

Each size: a warm-up, then ROUNDS rounds, each running a burst of every kind in an order
rotated from round to round; a burst's first call is untimed (as in serve.py). The
two-stage scores are checked against the full ranking's scores of the same stims.

ScaNN (`tfrs.layers.factorized_top_k.ScaNN`) is not measured: `pip download scann==1.4.2`
finds a wheel for this Python, but its TensorFlow ops are built for TensorFlow 2.20 (its
`tf` extra pins tensorflow~=2.20.0) and fail to load under the project's 2.21
(`_scann_ops.so: undefined symbol ... absl ... raw_log_internal`), even for the pybind
API, which imports them too. Brute force is exact; its cost grows linearly with N but with
65 multiply-adds per stim against about 280,000 for the full ranking's dense stack (the
first layer's stim share is prepared; 1,024 x 256 + 256 x 64 + ... per stim and request).

Target, at the largest N: two-stage / full ranking <= 0.5.

`RESULT two_stage_vs_full_ranking_at_<N> <ratio> target <= 0.5`

Run: `.venv/bin/python bench/retrieval.py` (20 s here, peak RSS 2,084 MiB: the full ranking
over 100,000 stims holds a prepared share of 391 MiB and allocates intermediates of that size
on each call); a quick look: `--stims 2000 10000`.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recommender.ml  # noqa: F401  sets TF_USE_LEGACY_KERAS before anything loads TensorFlow

# isort: split
import argparse
import statistics
import time

import numpy as np
import pandas as pd
import tensorflow as tf
import tensorflow_recommenders as tfrs

from bench._common import figure, finish, log, machine_load, peak_rss_mib, result
from recommender.ml.features import STIM_FEATURES, USER_FEATURES
from recommender.ml.model import Vocabularies, build_ranking_model, feature_tensors
from recommender.ml.preprocessing import encode_stims, encode_users
from recommender.ml.scoring import PreparedStims, Scorer
from recommender.synthetic import SEPARATOR, generate_population, load_catalogue, model_frames

SEED = 13
POPULATION = 300
CHUNK = 10_000
ROUNDS, BURST, WARMUP = 7, 10, 3
# Full-ranking calls per burst: BURST, but fewer for large catalogues (about a second each
# at 100,000 stims).
FULL_CALLS_BUDGET = 100_000
TARGET = 0.5
KINDS = ("full", "retrieval", "rank_top_k", "two_stage", "two_stage_lean")


class QueryTower(tf.keras.Model):
    """The user tower, then a Dense projection to the stim embeddings' width."""

    def __init__(self, user_model: tf.keras.Model, width: int):
        super().__init__()
        self.user_model = user_model
        self.projection = tf.keras.layers.Dense(width, use_bias=False)

    def call(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        return self.projection(self.user_model(features))


def synthetic_stims(n: int, vocabularies: Vocabularies, catalogue: pd.DataFrame) -> pd.DataFrame:
    """n stims in the columns encode_stims reads, drawn from the shipped catalogue's words,
    categories and tags."""
    rng = np.random.default_rng(SEED + n)

    def tags(column: str) -> np.ndarray:
        return np.array(
            sorted({name for cell in catalogue[column] for name in cell.split(SEPARATOR) if name})
        )

    conditions, hobbies = tags("conditions"), tags("hobbies")
    name_words = np.array(vocabularies.name_embedding)
    description_words = np.array(vocabularies.description_embedding)
    names = [
        f"{' '.join(words).capitalize()} {n}-{i}"
        for i, words in enumerate(rng.choice(name_words, (n, 2)))
    ]

    def pick(choices: np.ndarray) -> list[list[str]]:
        return [list(rng.choice(choices, count, replace=False)) for count in rng.integers(0, 4, n)]

    return pd.DataFrame(
        {
            "stim_id": names,
            "name": names,
            "description": [
                " ".join(words).capitalize() + "."
                for words in rng.choice(description_words, (n, 12))
            ],
            "category": rng.choice(catalogue["category"].unique(), n),
            "harmfulness_score": rng.uniform(0.0, 1.0, n).round(2),
            "conditions": pick(conditions),
            "hobbies": pick(hobbies),
        }
    )


def prepare(model, scorer: Scorer, stims: pd.DataFrame) -> tuple[PreparedStims, tf.Tensor]:
    """The full PreparedStims and the stim tower's outputs, computed chunk by chunk."""
    shares, embeddings, ids = [], [], []
    for start in range(0, len(stims), CHUNK):
        inputs = encode_stims(stims.iloc[start : start + CHUNK])
        part = scorer.prepare_stims(inputs)
        shares.append(part.first_layer_share)
        ids.append(part.stim_ids)
        embeddings.append(model.stim_model(feature_tensors(inputs, STIM_FEATURES)))
    prepared = PreparedStims(
        stim_ids=np.concatenate(ids), first_layer_share=tf.concat(shares, axis=0)
    )
    return prepared, tf.concat(embeddings, axis=0)


def mib(tensor: tf.Tensor) -> float:
    return tensor.shape.num_elements() * tensor.dtype.size / 2**20


def measure(n: int, candidates: int, model, scorer: Scorer, vocabularies, catalogue, user):
    """Seconds per timed call of each kind, and the memory held, for a catalogue of n."""
    started = time.perf_counter()
    prepared, embeddings = prepare(model, scorer, synthetic_stims(n, vocabularies, catalogue))
    log(f"{n:,} stims generated and prepared in {time.perf_counter() - started:.1f} s")

    query = QueryTower(model.user_model, int(embeddings.shape[1]))
    index = tfrs.layers.factorized_top_k.BruteForce(query_model=query, k=candidates)
    index.index(embeddings, identifiers=tf.range(n))
    signature = {
        feature.name: tf.TensorSpec((1, *feature.shape), feature.dtype, name=feature.name)
        for feature in USER_FEATURES
    }
    retrieve = tf.function(lambda features: index(features)[1][0], input_signature=[signature])

    def gathered(ids: tf.Tensor) -> PreparedStims:
        return PreparedStims(
            stim_ids=prepared.stim_ids[ids.numpy()],
            first_layer_share=tf.gather(prepared.first_layer_share, ids),
        )

    def two_stage() -> np.ndarray:
        return scorer.score(user, gathered(retrieve(feature_tensors(user, USER_FEATURES))))

    def two_stage_lean() -> np.ndarray:
        """The candidates' share computed from their embeddings, not kept for every stim."""
        ids = retrieve(feature_tensors(user, USER_FEATURES)).numpy()
        return scorer.score(user, scorer.prepare_vectors(ids, tf.gather(embeddings, ids)))

    ids = retrieve(feature_tensors(user, USER_FEATURES))
    top_k = gathered(ids)
    full = scorer.score(user, prepared)
    assert len(np.unique(ids.numpy())) == candidates and len(full) == n
    np.testing.assert_allclose(two_stage(), full[ids.numpy()], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(two_stage_lean(), full[ids.numpy()], rtol=1e-3, atol=1e-4)

    calls = {
        "full": lambda: scorer.score(user, prepared),
        "retrieval": lambda: retrieve(feature_tensors(user, USER_FEATURES)).numpy(),
        "rank_top_k": lambda: scorer.score(user, top_k),
        "two_stage": two_stage,
        "two_stage_lean": two_stage_lean,
    }
    for _ in range(WARMUP):
        for call in calls.values():
            call()
    burst = {kind: BURST for kind in KINDS} | {"full": max(1, min(BURST, FULL_CALLS_BUDGET // n))}
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for round_number in range(ROUNDS):
        shift = round_number % len(KINDS)
        for kind in KINDS[shift:] + KINDS[:shift]:
            calls[kind]()
            for _ in range(burst[kind]):
                start = time.perf_counter()
                calls[kind]()
                seconds[kind].append(time.perf_counter() - start)
    memory = {
        "prepared": mib(prepared.first_layer_share),
        "embeddings": mib(embeddings) + n * 4 / 2**20,  # the index's matrix and int32 ids
    }
    return seconds, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stims", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--candidates", type=int, default=300)
    arguments = parser.parse_args()
    sizes = sorted(arguments.stims)
    if arguments.candidates > sizes[0]:
        parser.error("--candidates must not exceed the smallest catalogue")

    log(machine_load())
    catalogue = load_catalogue()
    _, users, stims = model_frames(
        generate_population(catalogue, n_users=POPULATION, seed=SEED), catalogue
    )
    vocabularies = Vocabularies.from_inputs(encode_users(users), encode_stims(stims))
    model = build_ranking_model(vocabularies, seed=0)
    scorer = Scorer(model)
    complete = users.dropna(subset=["age", "gender", "sexuality"])
    user = encode_users(complete.iloc[[0]])
    log(f"model built on the vocabularies of {POPULATION} synthetic people (random weights)")

    medians, memory = {}, {}
    for n in sizes:
        seconds, memory[n] = measure(
            n, arguments.candidates, model, scorer, vocabularies, catalogue, user
        )
        medians[n] = {kind: statistics.median(values) for kind, values in seconds.items()}
        log(
            f"{n:,} stims: "
            + ", ".join(
                f"{kind} {medians[n][kind] * 1e3:.3f} ms (median of {len(values)})"
                for kind, values in seconds.items()
            )
            + f"; peak RSS so far {peak_rss_mib():.0f} MiB"
        )
    log(machine_load())

    k = arguments.candidates
    header = (
        "stims",
        "full ranking ms",
        "retrieval (brute force) ms",
        f"ranking top-{k} ms",
        "two-stage ms",
        "two-stage / full",
        "two-stage from embeddings ms",
        "prepared stims MiB",
        "index MiB",
    )
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in sizes:
        m = medians[n]
        cells = (
            f"{n:,}",
            *(f"{m[kind] * 1e3:.3f}" for kind in ("full", "retrieval", "rank_top_k", "two_stage")),
            figure(m["two_stage"] / m["full"]),
            f"{m['two_stage_lean'] * 1e3:.3f}",
            f"{memory[n]['prepared']:.1f}",
            f"{memory[n]['embeddings']:.1f}",
        )
        print("| " + " | ".join(cells) + " |")
    print(flush=True)

    largest = sizes[-1]
    ratio = medians[largest]["two_stage"] / medians[largest]["full"]
    finish([result(f"two_stage_vs_full_ranking_at_{largest}", ratio, "<=", TARGET)])


if __name__ == "__main__":
    main()
