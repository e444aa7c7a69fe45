"""One retraining from the database, stage by stage: reading, preprocessing, training,
evaluation and saving, with the process's peak memory after each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stims_bench \
        .venv/bin/python bench/retrain.py --users 10000 --tried 20 40

The database is created and filled with a synthetic population (through the same import the
demo uses) unless it already holds exactly that population. The figure with a target is the
share of the run spent outside training (reading, preprocessing, evaluating, saving),
measured against the training stage of the same run.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stimsite.settings")

from _common import ensure_database, finish, log, machine_load, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--tried", type=int, nargs=2, default=(20, 40), metavar=("LOW", "HIGH"))
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    arguments = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from tablib import Dataset

    from recommender.importing import records_import
    from recommender.models import Interaction
    from recommender.services import training_run_execute, training_run_request
    from recommender.synthetic import generate_population, load_catalogue
    from users.models import Profile

    log(machine_load())
    call_command("migrate", verbosity=0)
    catalogue = load_catalogue()
    population = generate_population(
        catalogue, n_users=arguments.users, seed=arguments.seed, tried_range=tuple(arguments.tried)
    )
    wanted = (len(population.users), len(population.interactions))
    present = (
        Profile.objects.filter(user__username__startswith="demo-person-").count(),
        Interaction.objects.count(),
    )
    if present != wanted:
        log(f"loading {wanted[0]:,} people and {wanted[1]:,} interactions (found {present})")
        call_command("flush", interactive=False, verbosity=0)

        def table(frame) -> Dataset:
            return Dataset().load(frame.to_csv(index=False), format="csv")

        records_import(
            stims=table(catalogue),
            users=table(population.users),
            interactions=table(population.interactions),
            show_progress=True,
        )
    log(f"database: {connection_name()}; {wanted[0]:,} people, {wanted[1]:,} interactions")

    run, _ = training_run_request(
        triggered_by="bench", parameters={"epochs": arguments.epochs}, enqueue=False
    )
    run = training_run_execute(training_run_id=run.pk)
    version = run.model_version
    log(f"run {run.pk}: {run.state}, version {version.pk} {version.status}")
    print(f"{'stage':<12}{'seconds':>10}{'peak RSS MiB':>15}")
    for stage, figures in version.stages.items():
        print(f"{stage:<12}{figures['seconds']:>10.2f}{figures['peak_rss_mib']:>15.0f}")
    print(f"{'total':<12}{version.duration_seconds:>10.2f}")
    print(version.metrics_table())

    stages = version.stages
    outside_training = sum(
        figures["seconds"] for name, figures in stages.items() if name != "train"
    )
    finish(
        [
            result(
                "retrain_outside_training_vs_training",
                outside_training / stages["train"]["seconds"],
                "<=",
                0.25,
            )
        ]
    )


def connection_name() -> str:
    from django.db import connection

    return f"{connection.vendor} {connection.settings_dict['NAME']}"


if __name__ == "__main__":
    main()
