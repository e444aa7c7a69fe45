"""Ranking quality of train_ranking_model against the demo generator's hidden truth.

Trains with the default TrainingConfig on a synthetic population (recommender.synthetic,
fixed seed), prints the evaluation against the scores held-out users gave and the collapse
check, then ranks every stim for the held-out users against the generator's true affinity:
gains = max(affinity, 0), relevant = affinity >= 1.0 (one standard deviation above the
mean), for the model, the popularity and tag-overlap baselines, and the oracle that ranks by
affinity itself (the ceiling).

Targets: the model's NDCG@10 against the truth is at least the popularity baseline's and at
least the tag-overlap baseline's, and the collapse check passes.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recommender.ml  # noqa: F401  sets TF_USE_LEGACY_KERAS before anything loads TensorFlow

# isort: split
import time

import numpy as np

from bench._common import finish, log, machine_load, result
from recommender.ml.evaluation import evaluation_table, ranking_metrics
from recommender.ml.training import TrainingConfig, train_ranking_model
from recommender.synthetic import generate_population, load_catalogue, model_frames

N_USERS, SEED = 2_000, 2024
RELEVANT_AFFINITY = 1.0


def main() -> None:
    log(machine_load())
    catalogue = load_catalogue()
    population = generate_population(catalogue, n_users=N_USERS, seed=SEED)
    interactions, users, stims = model_frames(population, catalogue)
    config = TrainingConfig()
    log(
        f"population: {len(users):,} users (seed {SEED}), {len(stims)} stims, "
        f"{len(interactions):,} interactions"
    )
    print(f"config: {config}", flush=True)

    start = time.perf_counter()
    training = train_ranking_model(
        interactions,
        users,
        stims,
        config=config,
        progress=lambda epoch, logs: log(
            f"epoch {epoch + 1}: "
            + ", ".join(f"{name} {value:.4f}" for name, value in sorted(logs.items()))
        ),
    )
    evaluation = training.evaluation
    log(
        f"trained and evaluated in {time.perf_counter() - start:.1f} s, "
        f"{len(training.history['loss'])} epochs"
    )

    print(f"\nAgainst the scores {evaluation.held_out_users} held-out users gave:")
    print(evaluation.table())
    collapse = evaluation.collapse
    print(
        f"\ncollapse check: passed={collapse.passed}, within-user std "
        f"{collapse.within_user_std:.4f}, mean top-{collapse.k} Jaccard overlap "
        f"{collapse.mean_top_k_overlap:.3f}"
        + (f", reason: {collapse.reason}" if collapse.reason else "")
    )

    affinity = population.affinity.pivot(index="username", columns="stim", values="affinity")
    truth = affinity.loc[training.held_out_user_ids, stims["stim_id"]].to_numpy(dtype=float)
    gains = np.clip(truth, 0.0, None)
    relevant = truth >= RELEVANT_AFFINITY
    scores = {**training.score_matrices, "oracle": truth}
    metrics = {
        name: ranking_metrics(matrix, gains, relevant, k=config.k)
        for name, matrix in scores.items()
    }
    print(
        f"\nAgainst the generator's hidden truth ({len(truth)} held-out users, gains = "
        f"max(affinity, 0), relevant = affinity >= {RELEVANT_AFFINITY}; "
        f"{relevant.sum(axis=1).mean():.1f} relevant stims per user on average):"
    )
    print(evaluation_table(metrics))

    model_ndcg = metrics["model"].ndcg
    finish(
        [
            result(
                f"ndcg{config.k}_model_vs_popularity",
                model_ndcg / metrics["popularity"].ndcg,
                ">=",
                1.0,
            ),
            result(
                f"ndcg{config.k}_model_vs_tag_overlap",
                model_ndcg / metrics["tag_overlap"].ndcg,
                ">=",
                1.0,
            ),
            result("collapse_check_passed", int(collapse.passed), "==", 1),
        ]
    )


if __name__ == "__main__":
    main()
