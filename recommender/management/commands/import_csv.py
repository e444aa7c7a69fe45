"""manage.py import_csv: load stims, people and interactions from CSV files, all or nothing."""

import sys

from django.core.management.base import BaseCommand, CommandError

from recommender.importing import ImportRejected, dataset_from_csv, records_import


class Command(BaseCommand):
    help = (
        "Import stims, people and interactions from CSV files (see docs/csv-import.md). "
        "Rows are matched by natural key and updated in place; if any line of any file is "
        "bad, nothing is written and every bad line is listed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--stims", metavar="CSV", help="stims: name, category, ...")
        parser.add_argument("--users", metavar="CSV", help="people: username, age, ...")
        parser.add_argument("--interactions", metavar="CSV", help="feedback: username, stim, ...")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, then write nothing"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, **options) -> None:
        paths = {kind: options[kind] for kind in ("stims", "users", "interactions")}
        if not any(paths.values()):
            raise CommandError("give at least one of --stims, --users, --interactions")
        try:
            summary = records_import(
                **{kind: dataset_from_csv(path) for kind, path in paths.items() if path},
                show_progress=not options["no_progress"] and sys.stderr.isatty(),
                dry_run=options["dry_run"],
            )
        except ImportRejected as rejected:
            raise CommandError(
                f"Nothing was imported: {len(rejected.errors)} problem(s).\n{rejected}"
            ) from None
        for kind, counts in summary.counts.items():
            self.stdout.write(f"{kind}: {counts}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
