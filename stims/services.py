"""Writes to the catalogue."""

from django.db import transaction
from django.db.models import QuerySet

from .models import Stim


@transaction.atomic
def stims_set_active(*, stims: QuerySet[Stim], is_active: bool) -> int:
    """Retire or reactivate stims; retired ones keep their history but are never recommended.

    Returns how many stims changed.
    """
    return stims.exclude(is_active=is_active).update(is_active=is_active)
