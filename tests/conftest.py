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


@pytest.fixture(scope="session")
def served_artifact(tmp_path_factory):
    """A small model trained once per session on synthetic people and the shipped catalogue:
    its vocabularies cover the catalogue's names and tags, and any other stim is scored from
    its text (out-of-vocabulary), so it can serve any test's catalogue."""
    from recommender.ml.artifacts import save_artifact
    from recommender.ml.training import TrainingConfig, train_ranking_model
    from recommender.synthetic import generate_population, load_catalogue, model_frames

    catalogue = load_catalogue()
    population = generate_population(catalogue, n_users=80, seed=3)
    result = train_ranking_model(
        *model_frames(population, catalogue),
        config=TrainingConfig(epochs=1, dim=4, early_stopping_patience=None),
    )
    folder = tmp_path_factory.mktemp("served") / "model-served"
    save_artifact(result.trained, folder)
    return folder


@pytest.fixture
def activate_served_model(db, served_artifact):
    """Makes a copy of the session's artifact the active version; returns a function so a
    test can activate a second copy (a new version) later."""
    import shutil

    from recommender.models import ModelVersion, model_storage
    from recommender.services import model_version_activate

    def activate() -> ModelVersion:
        name = f"model-{uuid.uuid4().hex}"
        shutil.copytree(served_artifact, model_storage().path(name))
        version = ModelVersion.objects.create(artifact=name, status=ModelVersion.Status.READY)
        model_version_activate(version=version, note="activated by a test")
        return version

    return activate
