"""Saving and loading a whole trained model: a folder of JSON and HDF5, no pickle.

A folder holds `manifest.json` (format version, the feature spec and its fingerprint,
library versions, vocabularies, the ScoreEstimator's Keras config) and `weights.h5`.
Loading checks the format and the feature spec before anything else, so an artifact made
for other features is refused with a clear error instead of scoring wrongly.
"""

import json
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import tensorflow as tf

from .features import spec_as_dict, spec_fingerprint
from .model import RankingModel, Vocabularies, build_ranking_model

ARTIFACT_FORMAT_VERSION = 1
MANIFEST_FILE, WEIGHTS_FILE = "manifest.json", "weights.h5"
LIBRARIES = ("tensorflow", "tf-keras", "tensorflow-recommenders", "numpy")


class ArtifactError(ValueError):
    """The folder is not a model this code can load (missing, other format, other features)."""


@dataclass(frozen=True)
class TrainedModel:
    """A model with what it needs to be saved and served."""

    model: RankingModel
    vocabularies: Vocabularies
    dim: int
    metadata: dict = field(default_factory=dict)


def save_artifact(trained: TrainedModel, folder: Path) -> None:
    """Writes the model into `folder`, which must not exist yet (callers rename it into place)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=False)
    manifest = {
        "format_version": ARTIFACT_FORMAT_VERSION,
        "feature_spec_fingerprint": spec_fingerprint(),
        "feature_spec": spec_as_dict(),
        "libraries": {name: version(name) for name in LIBRARIES},
        "vocabularies": trained.vocabularies.as_dict(),
        "dim": trained.dim,
        "score_estimator": tf.keras.saving.serialize_keras_object(trained.model.score_estimator),
        "metadata": trained.metadata,
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    trained.model.save_weights(folder / WEIGHTS_FILE)


def load_artifact(folder: Path) -> TrainedModel:
    """Rebuilds a saved model; raises ArtifactError when the folder cannot be trusted."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if not (folder / WEIGHTS_FILE).is_file():
        raise ArtifactError(f"{folder} has no {WEIGHTS_FILE}")
    try:
        vocabularies = Vocabularies(**manifest["vocabularies"])
        # ScoreEstimator and WeightClip are registered Keras serialisables: found by name.
        estimator = tf.keras.saving.deserialize_keras_object(
            manifest["score_estimator"], safe_mode=True
        )
        model = build_ranking_model(
            vocabularies, seed=None, dim=manifest["dim"], score_estimator=estimator
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ArtifactError(
            f"{folder / MANIFEST_FILE} is incomplete or malformed: {error!r}"
        ) from error
    try:
        model.load_weights(folder / WEIGHTS_FILE)
    except (ValueError, OSError) as error:
        raise ArtifactError(f"{folder / WEIGHTS_FILE} does not fit the model: {error}") from error
    return TrainedModel(model, vocabularies, manifest["dim"], manifest.get("metadata", {}))


def read_manifest(folder: Path) -> dict:
    """The manifest, checked for format version and feature spec."""
    path = Path(folder) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{folder} is not a model artifact: no {MANIFEST_FILE}") from None
    except json.JSONDecodeError as error:
        raise ArtifactError(f"{path} is not valid JSON: {error}") from error
    found = manifest.get("format_version")
    if found != ARTIFACT_FORMAT_VERSION:
        raise ArtifactError(
            f"{folder} has artifact format {found!r}; this code reads format "
            f"{ARTIFACT_FORMAT_VERSION}. Retrain the model."
        )
    if manifest.get("feature_spec_fingerprint") != spec_fingerprint():
        raise ArtifactError(
            f"{folder} was trained on another feature specification "
            f"({manifest.get('feature_spec_fingerprint')}, this code has {spec_fingerprint()}). "
            "Retrain the model."
        )
    return manifest
