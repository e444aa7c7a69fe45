"""Import of stims, people and interactions from tables: all given files, or none of them.

The one entry point for `manage.py import_csv` and the demo seed. Tables arrive as tablib
Datasets, so a CSV file (dataset_from_csv) and a pandas DataFrame
(`Dataset().load(df.to_csv(index=False), format="csv")`) take exactly the same path.
"""

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from import_export.resources import ModelResource
from import_export.results import Result
from tablib import Dataset, InvalidDimensions
from tqdm import tqdm

from stims.resources import StimResource
from users.resources import ProfileResource

from .resources import InteractionResource

# Import order: a users file may name stims of the stims file, interactions both.
RESOURCES: dict[str, type[ModelResource]] = {
    "stims": StimResource,
    "users": ProfileResource,
    "interactions": InteractionResource,
}


@dataclass(frozen=True)
class LineError:
    """One problem in one file; line counts the header as line 1, None is the whole file."""

    file_label: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file_label if self.line is None else f"{self.file_label} line {self.line}"
        return f"{where}: {self.message}"


class ImportRejected(Exception):
    """Nothing was written: these are every problem found, in file and line order."""

    def __init__(self, errors: list[LineError]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass(frozen=True)
class ImportSummary:
    counts: dict[str, ImportCounts]  # by kind ("stims", "users", "interactions"), in import order


def dataset_from_csv(path: str | Path) -> Dataset:
    """Read a UTF-8 CSV file (a byte-order mark is fine) into a Dataset titled with its name."""
    path = Path(path)
    try:
        dataset = Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")
    except OSError as error:
        raise ImportRejected(
            [LineError(path.name, None, f"cannot be read ({error.strerror})")]
        ) from error
    except UnicodeDecodeError:
        raise ImportRejected([LineError(path.name, None, "is not UTF-8 text")]) from None
    except InvalidDimensions:
        raise ImportRejected(
            [LineError(path.name, None, "a row has more cells than the header has columns")]
        ) from None
    dataset.title = path.name
    return dataset


def records_import(
    *,
    stims: Dataset | None = None,
    users: Dataset | None = None,
    interactions: Dataset | None = None,
    show_progress: bool = False,
    dry_run: bool = False,
) -> ImportSummary:
    """Upsert every row of the given tables by natural key in one transaction, or reject them all.

    Each table is imported for real, in order, inside one transaction, so a later table sees
    the rows of an earlier one (a per-table dry run could not: each rolls itself back). If any
    row of any table is bad, the whole transaction is rolled back and ImportRejected lists every
    bad line. dry_run rolls back a clean import too, after counting.
    """
    datasets = {"stims": stims, "users": users, "interactions": interactions}
    if all(dataset is None for dataset in datasets.values()):
        raise ValueError("give at least one of stims, users, interactions")
    counts: dict[str, ImportCounts] = {}
    errors: list[LineError] = []
    with transaction.atomic():
        for kind, resource_class in RESOURCES.items():
            dataset = datasets[kind]
            if dataset is None:
                continue
            label = dataset.title or kind
            resource = resource_class()
            with tqdm(
                total=len(dataset), desc=label, unit="row", disable=not show_progress
            ) as progress:
                result = resource.import_data(
                    dataset, raise_errors=False, use_transactions=True, progress=progress
                )
            errors += _line_errors(label=label, resource=resource, result=result)
            counts[kind] = ImportCounts(
                created=result.totals["new"],
                updated=result.totals["update"],
                unchanged=result.totals["skip"],
            )
        if errors:
            raise ImportRejected(errors)  # leaving the block by an exception rolls it all back
        if dry_run:
            transaction.set_rollback(True)
    return ImportSummary(counts=counts)


def _line_errors(*, label: str, resource: ModelResource, result: Result) -> list[LineError]:
    if result.base_errors:
        # A header problem: the rows' own errors would only repeat it.
        return [LineError(label, None, str(error.error)) for error in result.base_errors]
    columns = {field.attribute: field.column_name for field in resource.fields.values()}
    errors = [
        LineError(label, row.number + 1, str(error.error))
        for row in result.error_rows
        for error in row.errors
    ]
    for row in result.invalid_rows:
        by_field = row.error.update_error_dict({})  # {field or NON_FIELD_ERRORS: [errors]}
        for attribute, field_errors in by_field.items():
            prefix = (
                "" if attribute == NON_FIELD_ERRORS else f"{columns.get(attribute, attribute)}: "
            )
            for error in field_errors:
                # Django's "This field cannot be null/blank." says nothing to a CSV's author.
                message = "required" if error.code in {"null", "blank"} else " ".join(error)
                errors.append(LineError(label, row.number + 1, prefix + message))
    return sorted(errors, key=lambda error: error.line)
