"""TensorFlow must load with Keras 2 in every process, and Django start-up must not load it."""

import os

import pytest

from tests.test_settings import run_python

TENSORFLOW_USES_KERAS_2 = (
    "import os, tensorflow as tf; "
    "assert os.environ['TF_USE_LEGACY_KERAS'] == '1'; "
    "assert tf.keras.__name__.startswith('tf_keras'), tf.keras.__name__; "
    "print('keras-2-ok')"
)


def test_django_start_up_imports_no_tensorflow():
    code = """
import sys, django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import stimsite.wsgi
from django.core.management import call_command
call_command("check")
keras_or_tensorflow = {"tensorflow", "tf_keras", "keras"}
print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in keras_or_tensorflow))
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "loaded: []" in result.stdout


@pytest.mark.parametrize(
    "entry_point",
    [
        "import stimsite.wsgi",  # gunicorn and runserver load this
        "from celery.bin.celery import find_app; find_app('stimsite')",  # celery -A stimsite ...
    ],
)
def test_every_entry_point_sets_legacy_keras_before_tensorflow(entry_point):
    result = run_python(f"{entry_point}; {TENSORFLOW_USES_KERAS_2}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "keras-2-ok" in result.stdout


def test_management_commands_set_legacy_keras_before_tensorflow():
    result = run_python(
        "import sys, runpy; sys.argv = ['manage.py', 'shell', '-c', "
        f"{TENSORFLOW_USES_KERAS_2!r}]; runpy.run_path('manage.py', run_name='__main__')"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "keras-2-ok" in result.stdout


def test_pytest_process_has_legacy_keras_set():
    assert os.environ["TF_USE_LEGACY_KERAS"] == "1"
