"""Saving and loading a trained model: JSON and HDF5 only, and a clear refusal of bad folders."""

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.ml.artifacts import (
    MANIFEST_FILE,
    WEIGHTS_FILE,
    ArtifactError,
    load_artifact,
    save_artifact,
)
from recommender.ml.scoring import Scorer
from tests.ml.conftest import pair_features, user_row


@pytest.fixture
def saved(tiny, tmp_path) -> Path:
    folder = tmp_path / "artifact"
    save_artifact(tiny.trained, folder)
    return folder


def edit_manifest(folder: Path, edit) -> None:
    path = folder / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def test_a_loaded_model_scores_as_the_saved_one(tiny, saved):
    loaded = load_artifact(saved)

    for row in (0, 6):
        features = pair_features(tiny.users, row, tiny.stims)
        np.testing.assert_allclose(
            loaded.model(features).numpy(), tiny.trained.model(features).numpy(), atol=1e-5
        )
        original, restored = Scorer(tiny.trained.model), Scorer(loaded.model)
        np.testing.assert_allclose(
            restored.score(user_row(tiny.users, row), restored.prepare_stims(tiny.stims)),
            original.score(user_row(tiny.users, row), original.prepare_stims(tiny.stims)),
            atol=1e-5,
        )


def test_a_loaded_model_keeps_its_vocabularies_size_and_metadata(tiny, saved):
    loaded = load_artifact(saved)

    assert loaded.vocabularies == tiny.vocabularies
    assert loaded.dim == tiny.trained.dim
    assert loaded.metadata == {"note": "tiny"}
    estimator = loaded.model.score_estimator
    assert estimator.units == (8, 4)
    assert estimator.activations == ("relu", "selu")


def test_the_folder_holds_a_json_manifest_and_hdf5_weights_and_no_pickle(saved):
    files = sorted(path.name for path in saved.rglob("*"))

    assert files == [MANIFEST_FILE, WEIGHTS_FILE] == ["manifest.json", "weights.h5"]
    assert not [name for name in files if name.endswith((".pkl", ".pickle"))]
    manifest = json.loads((saved / MANIFEST_FILE).read_text())
    assert {"format_version", "feature_spec_fingerprint", "vocabularies"} <= set(manifest)
    assert (saved / WEIGHTS_FILE).read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"


def test_saving_refuses_an_existing_folder(tiny, saved):
    before = {path.name: path.read_bytes() for path in saved.iterdir()}

    with pytest.raises(FileExistsError):
        save_artifact(tiny.trained, saved)

    assert {path.name: path.read_bytes() for path in saved.iterdir()} == before


def test_a_folder_without_a_manifest_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()

    with pytest.raises(ArtifactError, match=r"not a model artifact: no manifest\.json"):
        load_artifact(tmp_path / "empty")
    with pytest.raises(ArtifactError, match=r"no manifest\.json"):
        load_artifact(tmp_path / "missing")


def test_another_format_version_is_refused(saved):
    edit_manifest(saved, lambda manifest: manifest.update(format_version=2))

    with pytest.raises(ArtifactError, match=r"artifact format 2; this code reads format 1"):
        load_artifact(saved)


def test_another_feature_spec_is_refused(saved):
    edit_manifest(saved, lambda manifest: manifest.update(feature_spec_fingerprint="0" * 16))

    with pytest.raises(ArtifactError, match="another feature specification") as raised:
        load_artifact(saved)
    assert "0" * 16 in str(raised.value)
    assert "Retrain" in str(raised.value)


def test_missing_weights_are_refused(saved):
    (saved / WEIGHTS_FILE).unlink()

    with pytest.raises(ArtifactError, match=r"has no weights\.h5"):
        load_artifact(saved)


def test_corrupt_json_is_refused(saved):
    path = saved / MANIFEST_FILE
    path.write_text(path.read_text()[:-40])

    with pytest.raises(ArtifactError, match="is not valid JSON"):
        load_artifact(saved)


def test_weights_that_do_not_fit_the_vocabularies_are_refused(saved):
    # One tag fewer: the shared tag embedding has one row fewer than the saved weights.
    edit_manifest(saved, lambda manifest: manifest["vocabularies"]["tags"].pop())

    with pytest.raises(ArtifactError, match=r"weights\.h5 does not fit the model"):
        load_artifact(saved)


def test_weights_that_do_not_fit_the_estimator_config_are_refused(saved):
    def wider(manifest):
        manifest["score_estimator"]["config"]["units"] = [16, 4]

    edit_manifest(saved, wider)

    with pytest.raises(ArtifactError, match="does not fit the model"):
        load_artifact(saved)


@pytest.mark.parametrize(
    "edit",
    [
        lambda manifest: manifest.pop("vocabularies"),
        lambda manifest: manifest["vocabularies"].update(colours=["red"]),
    ],
    ids=["no vocabularies", "an unknown vocabulary"],
)
def test_an_incomplete_manifest_is_refused_as_an_artifact_error(saved, edit):
    # ArtifactError is the one error load_artifact promises for a folder it cannot trust;
    # a KeyError or TypeError from a hand-edited manifest would escape a caller catching it.
    edit_manifest(saved, edit)

    with pytest.raises(ArtifactError):
        load_artifact(saved)
