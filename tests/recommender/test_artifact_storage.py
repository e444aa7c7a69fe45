"""Artifacts in a models storage without local paths, as an object store (S3 through
django-storages) is: shown with Django's InMemoryStorage, which has none either. Training
uploads the artifact's files; a serving process downloads them once into its artifact cache
and loads them from there; a failed upload leaves nothing behind."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import call_command

from recommender.artifact_storage import (
    artifact_delete,
    artifact_local_folder,
    artifact_write,
    has_local_paths,
)
from recommender.ml.artifacts import ArtifactError
from recommender.models import ModelVersion, TrainingRun, model_storage
from recommender.services import (
    model_version_activate,
    training_run_execute,
    training_run_request,
)
from recommender.serving import warm_up
from tests.factories import StimFactory

pytestmark = pytest.mark.django_db
ARTIFACT_FILES = ["manifest.json", "weights.h5"]


@pytest.fixture
def object_store(settings, tmp_path, monkeypatch):
    settings.STORAGES = {
        **settings.STORAGES,
        "models": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    settings.RECOMMENDER_ARTIFACT_CACHE_DIR = tmp_path / "artifact-cache"
    monkeypatch.setattr(
        ModelVersion._meta.get_field("training_curve"), "storage", storages["models"]
    )
    assert not has_local_paths(model_storage())
    return model_storage()


def upload(served_artifact) -> str:
    return artifact_write(lambda folder: shutil.copytree(served_artifact, folder))


def test_a_written_artifact_is_uploaded_file_by_file(object_store, served_artifact):
    name = upload(served_artifact)
    assert sorted(object_store.listdir(name)[1]) == ARTIFACT_FILES
    with object_store.open(f"{name}/weights.h5", "rb") as stored:
        assert stored.read() == (served_artifact / "weights.h5").read_bytes()


def test_serving_downloads_the_active_artifact_once_and_loads_it(
    object_store, served_artifact, settings, django_capture_on_commit_callbacks, monkeypatch
):
    StimFactory.create_batch(3)
    version = ModelVersion.objects.create(artifact=upload(served_artifact))
    with django_capture_on_commit_callbacks(execute=True):
        model_version_activate(version=version)
    cache = Path(settings.RECOMMENDER_ARTIFACT_CACHE_DIR)

    assert warm_up() == version.pk
    assert sorted(path.name for path in (cache / version.artifact).iterdir()) == ARTIFACT_FILES
    assert [path.name for path in cache.iterdir()] == [version.artifact]  # no download left

    def unreachable(*_, **__):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(object_store, "open", unreachable)
    assert artifact_local_folder(version.artifact) == cache / version.artifact


def test_an_artifact_missing_from_the_store_is_refused_and_nothing_is_cached(
    object_store, settings
):
    with pytest.raises(ArtifactError, match="holds no artifact named model-missing"):
        artifact_local_folder("model-missing")
    cache = Path(settings.RECOMMENDER_ARTIFACT_CACHE_DIR)
    assert not (cache / "model-missing").exists()


def test_a_failed_upload_leaves_no_file_behind(object_store, served_artifact, monkeypatch):
    save = object_store.save
    saved = []

    def save_then_fail(name, content, **kwargs):
        if saved:
            raise ConnectionError("the store went away")
        saved.append(save(name, content, **kwargs))
        return saved[-1]

    monkeypatch.setattr(object_store, "save", save_then_fail)
    with pytest.raises(ConnectionError):
        upload(served_artifact)
    (uploaded,) = saved
    assert not object_store.exists(uploaded)


def test_a_deleted_artifact_leaves_no_file(object_store, served_artifact):
    name = upload(served_artifact)
    artifact_delete(name)
    assert object_store.listdir(name)[1] == []
    artifact_delete("model-never-written")  # nothing to delete: no error


def test_a_training_run_stores_its_artifact_and_curve_in_the_object_store(object_store):
    call_command("seed_demo", users=30, seed=1, no_progress=True, stdout=io.StringIO())
    run, _ = training_run_request(
        triggered_by="test", enqueue=False, force_activate=True, parameters={"epochs": 1}
    )
    training_run_execute(training_run_id=run.pk)
    run.refresh_from_db()
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    version = run.model_version
    assert version.status == ModelVersion.Status.ACTIVE
    assert sorted(object_store.listdir(version.artifact)[1]) == ARTIFACT_FILES
    assert object_store.exists(version.training_curve.name)
