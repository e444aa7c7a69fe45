"""Model artifacts in the `models` storage: a local or shared folder, or an object store.

An artifact is a folder of files (recommender.ml.artifacts) that TensorFlow reads from disk.
With a FileSystemStorage (on one machine, or a shared file system) it is written into a
`.tmp-` folder of the storage, renamed into place, and read where it lies. With any other
storage (S3 and the like, through django-storages) it is written locally, then its files are
uploaded under its name; a process that loads it downloads them once into
RECOMMENDER_ARTIFACT_CACHE_DIR, renamed into place when complete, where later loads find them
(an artifact never changes once written). Either way a ModelVersion names an artifact only once
it is complete, so nothing loads a half-written one.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage

from .models import model_storage

TEMPORARY_PREFIX = ".tmp-"


def has_local_paths(storage) -> bool:
    """Files TensorFlow can open where they lie (InMemoryStorage has a path() that is not)."""
    return isinstance(storage, FileSystemStorage)


def artifact_write(write) -> str:
    """Calls write(folder) on a folder that does not exist yet and stores what it wrote as a
    new artifact; returns its name. A failure leaves at most a temporary folder behind."""
    storage = model_storage()
    name = f"model-{uuid.uuid4().hex}"
    if has_local_paths(storage):
        temporary = Path(storage.path(f"{TEMPORARY_PREFIX}{name}"))
        temporary.parent.mkdir(parents=True, exist_ok=True)
        try:
            write(temporary)
            os.replace(temporary, storage.path(name))
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        return name
    with tempfile.TemporaryDirectory(prefix=TEMPORARY_PREFIX) as staging:
        folder = Path(staging) / name
        write(folder)
        try:
            for file in sorted(folder.iterdir()):
                with file.open("rb") as content:
                    storage.save(f"{name}/{file.name}", File(content))
        except BaseException:
            artifact_delete(name)
            raise
    return name


def artifact_delete(name: str) -> None:
    storage = model_storage()
    if has_local_paths(storage):
        shutil.rmtree(storage.path(name), ignore_errors=True)
        return
    try:
        _, files = storage.listdir(name)
    except FileNotFoundError:
        return
    for file in files:
        storage.delete(f"{name}/{file}")


def artifact_temporaries_remove() -> None:
    """Removes the temporary folders a killed training left in a local storage (an object
    store never holds one). Only while the one training in progress is the caller's."""
    storage = model_storage()
    if has_local_paths(storage):
        for leftover in Path(storage.path("")).glob(f"{TEMPORARY_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)


def artifact_local_folder(name: str) -> Path:
    """A local folder holding the artifact, for TensorFlow to load; downloaded from an object
    store on first use. An artifact with no files is refused (ArtifactError), not cached."""
    from .ml.artifacts import ArtifactError

    storage = model_storage()
    if has_local_paths(storage):
        return Path(storage.path(name))
    folder = Path(settings.RECOMMENDER_ARTIFACT_CACHE_DIR) / name
    if folder.is_dir():
        return folder
    try:
        _, files = storage.listdir(name)
    except FileNotFoundError:
        files = []
    if not files:
        raise ArtifactError(f"the models storage holds no artifact named {name}")
    folder.parent.mkdir(parents=True, exist_ok=True)
    download = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=folder.parent))
    try:
        for file in files:
            with (
                storage.open(f"{name}/{file}", "rb") as source,
                open(download / file, "wb") as copy,
            ):
                shutil.copyfileobj(source, copy)
        os.replace(download, folder)
    except OSError:
        if not folder.is_dir():  # not just another process having renamed its copy first
            raise
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return folder
