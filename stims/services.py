"""Writes to the catalogue."""

from django.db import transaction
from django.db.models import QuerySet

from .models import Stim
from .signals import catalogue_changed


@transaction.atomic
def stims_set_active(*, stims: QuerySet[Stim], is_active: bool) -> int:
    """Retire or reactivate stims; retired ones keep their history but are never recommended.

    Returns how many stims changed.
    """
    changed = stims.exclude(is_active=is_active).update(is_active=is_active)
    if changed:
        transaction.on_commit(lambda: catalogue_changed.send(sender=Stim))
    return changed
