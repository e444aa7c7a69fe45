"""Shared fixtures: fast hashing, a private model folder, and ready-made people."""

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
