"""The stim recommender's Django project.

TensorFlow Recommenders needs Keras 2 (tf-keras). TensorFlow picks its Keras when it is first
imported, so the switch is set here: every process (web, Celery worker, pytest, management
commands) imports this package before anything can import TensorFlow.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"

from .celery import app as celery_app

__all__ = ("celery_app",)
