"""CSV/XLSX import and export of the catalogue, and the pieces every app's resource shares.

Built on django-import-export so that admin import, `manage.py import_csv` and the demo seed
read files the same way. Errors are phrased for the person who wrote the file.
"""

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader

from .models import Category, Condition, Hobby, Stim

LIST_SEPARATOR = ";"


def cell_text(value) -> str:
    """A cell as stripped text; an empty cell (None in XLSX) is ''."""
    return "" if value is None else str(value).strip()


# --- Widgets: parse one cell, or raise ValueError with a message fit for the file's author.


class TextWidget(widgets.CharWidget):
    """Text with the surrounding whitespace dropped."""

    def clean(self, value, row=None, **kwargs) -> str:
        return super().clean(value, row, **kwargs).strip()


class FloatWidget(widgets.FloatWidget):
    """A finite number; 'nan' and 'inf' would slip past the model's range validators."""

    def clean(self, value, row=None, **kwargs) -> float | None:
        try:
            number = super().clean(value, row, **kwargs)
        except (TypeError, ValueError):
            number = math.nan
        if number is not None and not math.isfinite(number):
            raise ValueError("must be a number")
        return number


class IntegerWidget(widgets.IntegerWidget):
    """A whole number; the library's widget would quietly turn 4.5 into 4."""

    def clean(self, value, row=None, **kwargs) -> int | None:
        try:
            number = super().clean(value, row, **kwargs)
            whole = number is None or Decimal(cell_text(value)) == number
        except (ArithmeticError, TypeError, ValueError):
            whole = False
        if not whole:
            raise ValueError("must be a whole number")
        return number


class ChoiceWidget(widgets.Widget):
    """One value of a choices enum, in any case; a wrong one is answered with the allowed ones.

    show_value=False leaves the rejected value out of the message: for identity fields.
    Integer choices also accept '2.0', which is how pandas writes a column with blanks.
    """

    def __init__(self, choices: type[models.Choices], *, show_value: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.integer = issubclass(choices, int)
        self.by_key = {self._key(value): value for value in choices.values}
        self.allowed = ", ".join(str(value) for value in choices.values)
        self.show_value = show_value

    def _key(self, value) -> str | Decimal | None:
        text = cell_text(value)
        if not self.integer:
            return text.lower()
        try:
            return Decimal(text)
        except InvalidOperation:
            return None

    def clean(self, value, row=None, **kwargs) -> str | int | None:
        if not cell_text(value):
            return None if self.integer else ""
        choice = self.by_key.get(self._key(value))
        if choice is None:
            rejected = f"{cell_text(value)!r} is " if self.show_value else ""
            raise ValueError(f"{rejected}not one of: {self.allowed}")
        return choice


class LookupMixin:
    """Finds records by a text field, case-insensitively, from one query per import.

    The resource calls load() in before_import, so records written by an earlier file of the
    same run are found, and records of a rolled-back row are never remembered.
    """

    model: type[models.Model]
    field: str
    _by_key: dict[str, models.Model] | None = None

    def load(self) -> None:
        self._by_key = {
            str(getattr(obj, self.field)).lower(): obj for obj in self.model.objects.all()
        }

    def find(self, name: str) -> models.Model | None:
        if self._by_key is None:
            self.load()
        return self._by_key.get(name.lower())


class NameListWidget(LookupMixin, widgets.ManyToManyWidget):
    """A ';'-separated list of names for a many-to-many field, e.g. 'Autism; ADHD'.

    With create_missing, a name not yet known becomes a new record (vocabularies grow from
    the files); without it, an unknown name is an error.
    """

    def __init__(self, model, *, noun: str, create_missing: bool = False, **kwargs):
        super().__init__(model, separator=LIST_SEPARATOR, field="name", **kwargs)
        self.noun = noun
        self.create_missing = create_missing

    def clean(self, value, row=None, **kwargs) -> list[models.Model]:
        names: dict[str, str] = {}  # first spelling of each name, in order
        for name in cell_text(value).split(self.separator):
            if name.strip():
                names.setdefault(name.strip().lower(), name.strip())
        found, unknown = [], []
        for name in names.values():
            record = self.find(name)
            if record is None and self.create_missing:
                record = self._get_or_create(name)
            if record is None:
                unknown.append(name)
            else:
                found.append(record)
        if unknown:
            plural = "s" if len(unknown) > 1 else ""
            raise ValueError(f"unknown {self.noun}{plural} {', '.join(map(repr, unknown))}")
        return found

    def _get_or_create(self, name: str) -> models.Model:
        max_length = self.model._meta.get_field("name").max_length
        if len(name) > max_length:
            raise ValueError(f"a {self.noun} name has at most {max_length} characters")
        # Made by an earlier row of this import: load() ran before it.
        existing = self.model.objects.filter(name__iexact=name).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                return self.model.objects.create(name=name)
        except IntegrityError:
            raise ValueError(
                f"{self.noun} {name!r} is too like an existing {self.noun} (same slug); "
                "use that one's name"
            ) from None


# --- Resources


class NaturalKeyInstanceLoader(BaseInstanceLoader):
    """Finds the existing record of each row by natural key, from one query per import."""

    def __init__(self, resource: "NaturalKeyResource", dataset=None):
        super().__init__(resource, dataset)
        self.by_key = {
            resource.instance_key(obj): obj for obj in resource.existing_instances(dataset)
        }

    def get_instance(self, row):
        return self.by_key.get(self.resource.row_key(row))


class NaturalKeyResource(resources.ModelResource):
    """Upserts rows by their natural key (Meta.import_id_fields), matched case-insensitively.

    On top of the library it checks the header (required and unknown columns), rejects a
    natural key given twice in one file, reads many-to-many cells before anything is saved so
    a bad name is a row error, and reports progress to an optional `progress` bar (anything
    with update()) passed to import_data.
    """

    required_columns: tuple[str, ...] = ()
    # Model fields full_clean() cannot judge before the row is saved.
    clean_exclude: tuple[str, ...] = ()

    class Meta:
        instance_loader_class = NaturalKeyInstanceLoader
        skip_unchanged = True  # a rerun writes nothing, so updated_at keeps its meaning
        report_skipped = True  # admin preview lists unchanged rows too
        clean_model_instances = True

    def row_key(self, row) -> tuple[str, ...]:
        return tuple(
            cell_text(row.get(self.fields[name].column_name)).lower()
            for name in self.get_import_id_fields()
        )

    def instance_key(self, instance) -> tuple[str, ...]:
        return tuple(
            self.fields[name].export(instance).strip().lower()
            for name in self.get_import_id_fields()
        )

    def existing_instances(self, dataset) -> models.QuerySet:
        return self.get_queryset()

    def before_import(self, dataset, **kwargs) -> None:
        if dataset.headers:
            dataset.headers = [cell_text(header).lower() for header in dataset.headers]
        for field in self.fields.values():
            if isinstance(field.widget, LookupMixin):
                field.widget.load()
        self._line_of_key: dict[tuple[str, ...], int] = {}
        self._check_header(dataset.headers or [])

    def _check_header(self, headers: list[str]) -> None:
        expected = [field.column_name for field in self.get_import_fields()]
        missing = [column for column in self.required_columns if column not in headers]
        unknown = [header for header in headers if header and header not in expected]
        problems = []
        if missing:
            problems.append(f"missing required column(s): {', '.join(missing)}")
        if unknown:
            problems.append(
                f"unknown column(s): {', '.join(unknown)} (expected: {', '.join(expected)})"
            )
        if problems:
            raise ValueError("; ".join(problems))

    def before_import_row(self, row, row_number=None, **kwargs) -> None:
        key = self.row_key(row)
        if not all(key):
            return  # a blank key is reported by the field itself
        first = self._line_of_key.setdefault(key, row_number)
        if first != row_number:
            columns = " and ".join(
                self.fields[name].column_name for name in self.get_import_id_fields()
            )
            # Line numbers count the header as line 1, as an editor shows the file.
            raise ValidationError(
                {NON_FIELD_ERRORS: f"{columns} already given on line {first + 1}"}
            )

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        if kwargs.get("progress") is not None:
            kwargs["progress"].update()
        return row_result

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if original.pk is None:
            return False  # a new record is never "unchanged", even when its cells are all blank
        return super().skip_row(instance, original, row, import_validation_errors)

    def import_instance(self, instance, row, **kwargs) -> None:
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # The library reads many-to-many cells only after saving the row; read them now too.
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row, **kwargs)
                except ValueError as error:
                    errors.setdefault(field.attribute, []).append(ValidationError(str(error)))
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # The models' check constraints restate their validators and clean(): checking them
            # too would repeat each error as "Constraint ... is violated", at a query apiece.
            # The database still enforces them.
            instance.full_clean(
                exclude=[*errors, *self.clean_exclude],
                validate_unique=validate_unique,
                validate_constraints=False,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class StimResource(NaturalKeyResource):
    """The catalogue: one row per stim, found by name; conditions and hobbies as ';'-lists."""

    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    description = fields.Field(
        attribute="description", column_name="description", widget=TextWidget()
    )
    category = fields.Field(
        attribute="category", column_name="category", widget=ChoiceWidget(Category)
    )
    harmfulness_score = fields.Field(
        attribute="harmfulness_score", column_name="harmfulness_score", widget=FloatWidget()
    )
    conditions = fields.Field(
        attribute="conditions",
        column_name="conditions",
        widget=NameListWidget(Condition, noun="condition", create_missing=True),
    )
    hobbies = fields.Field(
        attribute="hobbies",
        column_name="hobbies",
        widget=NameListWidget(Hobby, noun="hobby", create_missing=True),
    )

    required_columns = ("name", "category", "harmfulness_score")

    class Meta:
        model = Stim
        fields = ("name", "description", "category", "harmfulness_score", "conditions", "hobbies")
        import_id_fields = ("name",)

    def get_queryset(self) -> models.QuerySet[Stim]:
        return Stim.objects.prefetch_related("conditions", "hobbies")

    def validate_instance(self, instance: Stim, *args, **kwargs) -> None:
        # Stim.save() would make the slug; make it now so a clash is a row error, not a crash.
        instance.fill_slug()
        try:
            super().validate_instance(instance, *args, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict({})
            # The slug is not a column: say it of the name, unless the name is wrong already.
            if errors.pop("slug", None) and "name" not in errors:
                errors["name"] = [
                    ValidationError(
                        f"gives the slug {instance.slug!r}, which is blank or another stim's"
                    )
                ]
            raise ValidationError(errors) from None
