"""The serving entry point: one user against N stims, in one batched call.

The stim tower, and the stims' share of the first dense layer, depend only on the model and
the catalogue, so they are computed once (prepare_stims) and reused for every request. A
request runs the user tower on one row and the rest of the stack through a tf.function with
a fixed input signature: no retracing, no model.predict per request.
"""

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .features import STIM_FEATURES, STIM_KEY, USER_FEATURES
from .model import RankingModel, example_batch, feature_tensors


@dataclass(frozen=True)
class PreparedStims:
    """A catalogue's stims, pre-multiplied into the first dense layer."""

    stim_ids: np.ndarray
    first_layer_share: tf.Tensor  # [n_stims, units of the first dense layer]

    def __len__(self) -> int:
        return len(self.stim_ids)


class Scorer:
    """Scores stims for one user with a trained RankingModel, as serving needs it."""

    def __init__(self, model: RankingModel):
        self.model = model
        estimator = model.score_estimator
        first_dense = estimator.hidden[0]
        # The first dense kernel's rows: the user tower's width first, then the stim tower's.
        self._user_width = int(model.user_model(_blank_user()).shape[1])
        signature = {
            feature.name: tf.TensorSpec((1, *feature.shape), feature.dtype, name=feature.name)
            for feature in USER_FEATURES
        }
        self._score = tf.function(
            self._score_one_user,
            input_signature=[signature, tf.TensorSpec((None, first_dense.units), tf.float32)],
        )

    def prepare_stims(self, stim_inputs: dict[str, np.ndarray]) -> PreparedStims:
        """Runs the stim tower once for a catalogue (encoded by preprocessing.encode_stims)."""
        stim_vectors = self.model.stim_model(feature_tensors(stim_inputs, STIM_FEATURES))
        return self.prepare_vectors(np.asarray(stim_inputs[STIM_KEY]), stim_vectors)

    def prepare_vectors(self, stim_ids: np.ndarray, stim_vectors: tf.Tensor) -> PreparedStims:
        """Stims whose stim tower output is known already (a retrieval stage's candidates)."""
        return PreparedStims(
            stim_ids=stim_ids,
            first_layer_share=tf.matmul(
                stim_vectors, self.model.score_estimator.hidden[0].kernel[self._user_width :]
            ),
        )

    def score(self, user_inputs: dict[str, np.ndarray], stims: PreparedStims) -> np.ndarray:
        """Scores every prepared stim for the one user in user_inputs (arrays of one row)."""
        scores = self._score(feature_tensors(user_inputs, USER_FEATURES), stims.first_layer_share)
        return scores.numpy()

    def _score_one_user(self, user: dict[str, tf.Tensor], stim_share: tf.Tensor) -> tf.Tensor:
        estimator = self.model.score_estimator
        first_dense = estimator.hidden[0]
        user_share = tf.matmul(self.model.user_model(user), first_dense.kernel[: self._user_width])
        x = first_dense.activation(stim_share + user_share + first_dense.bias)
        for layer in estimator.hidden[1:]:
            x = layer(x, training=False)
        return tf.reshape(estimator.output_layer(x), (-1,))


def _blank_user() -> dict[str, tf.Tensor]:
    batch = example_batch()
    return {feature.name: batch[feature.name] for feature in USER_FEATURES}
