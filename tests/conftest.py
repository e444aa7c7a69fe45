"""Shared fixtures: fast hashing, a private model folder and cache, and ready-made people."""

import uuid

import pytest

from tests.factories import StaffUserFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.RECOMMENDER_MODEL_DIR = tmp_path / "models"
    settings.STORAGES = {
        **settings.STORAGES,
        "models": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "models")},
        },
    }
    # The training_curve field took its storage when the models were imported: point it at
    # the same folder, or curves made by tests would land in var/models.
    from django.core.files.storage import storages

    from recommender.models import ModelVersion

    monkeypatch.setattr(
        ModelVersion._meta.get_field("training_curve"), "storage", storages["models"]
    )
    # A cache of its own (a fresh key prefix: flushing Redis would also flush Celery's queues)
    # and nothing held over from another test's model or catalogue.
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }
    from recommender.serving import held_reset

    held_reset()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def superuser(db):
    return StaffUserFactory(is_superuser=True)


@pytest.fixture
def staff_in_group(db):
    """A staff member holding one of the shipped staff groups, by name."""

    def make(group_name: str):
        from django.contrib.auth.models import Group

        member = StaffUserFactory()
        member.groups.add(Group.objects.get(name=group_name))
        return member

    return make
