"""The Celery application, by the official Django recipe: settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stimsite.settings")

app = Celery("stimsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
