"""manage.py seed_demo: the shipped catalogue, a synthetic population and the demo accounts."""

import sys

import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tablib import Dataset

from recommender.importing import ImportRejected, records_import
from recommender.synthetic import generate_population, load_catalogue
from users.services import DEMO_PASSWORD, demo_accounts_ensure


def dataset_from_frame(frame: pd.DataFrame, *, title: str) -> Dataset:
    dataset = Dataset().load(frame.to_csv(index=False), format="csv")
    dataset.title = title
    return dataset


class Command(BaseCommand):
    help = (
        "Load the shipped stim catalogue and N synthetic people with their feedback "
        "(deterministic for a seed; see docs/demo-data.md), and create the demo accounts. "
        "Rerunning with the same arguments changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--users", type=int, default=2000, help="synthetic people (default 2000)"
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, users: int, seed: int, no_progress: bool, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with known passwords: not in production."
            )
        if users < 1:
            raise CommandError("--users must be at least 1")
        catalogue = load_catalogue()
        population = generate_population(catalogue, n_users=users, seed=seed)
        try:
            summary = records_import(
                stims=dataset_from_frame(catalogue, title="catalogue"),
                users=dataset_from_frame(population.users, title="synthetic people"),
                interactions=dataset_from_frame(
                    population.interactions, title="synthetic feedback"
                ),
                show_progress=not no_progress and sys.stderr.isatty(),
            )
        except ImportRejected as rejected:
            raise CommandError(f"The demo data did not load:\n{rejected}") from None
        for kind, counts in summary.counts.items():
            self.stdout.write(f"{kind}: {counts}")

        accounts = demo_accounts_ensure()
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD}):"))
        for username, role in accounts.items():
            self.stdout.write(f"  {username:<8} {role}")
