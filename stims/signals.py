"""Signals the catalogue sends for changes that bypass model signals (queryset updates)."""

from django.dispatch import Signal

# Sent after stims were changed in bulk; receivers drop what they derived from the catalogue.
catalogue_changed = Signal()
