"""The seed's RankingModel: a user tower and a stim tower feeding the ScoreEstimator stack.

The towers take raw features (strings and numbers, as features.py specifies) and hold their
vocabularies in lookup layers, so a trained model needs nothing beside its weights and
vocabularies, and a stim unseen in training is still scored from its text and tags.
"""

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import tensorflow as tf
import tensorflow_recommenders as tfrs

from .features import (
    AGE_BOUNDARIES,
    BLANK,
    FEATURES,
    LIST_PADDING,
    STIM_FEATURES,
    TEXT_MAX_TOKENS,
    USER_FEATURES,
    USER_KEY,
    Feature,
)
from .preprocessing import GatheredInputs

SERIALIZABLE_PACKAGE = "stim_recommender"


@dataclass(frozen=True)
class Vocabularies:
    """Every vocabulary the lookups use, adapted on the training data and saved with the model."""

    gender: list[str]
    sexuality: list[str]
    category: list[str]
    tags: list[str]  # conditions and hobbies: one vocabulary for users and stims alike
    stim_names: list[str]
    name_embedding: list[str]  # tokens of stim names
    description_embedding: list[str]  # tokens of stim descriptions

    @classmethod
    def from_inputs(cls, user_inputs: dict, stim_inputs: dict) -> "Vocabularies":
        """Adapts on encoded rows (from encode_users and encode_stims, or preprocess_data)."""

        def distinct(*arrays: np.ndarray, keep_blank: bool = False) -> list[str]:
            values = pd.unique(np.concatenate([np.ravel(a) for a in arrays]).astype(str))
            found = sorted(v for v in values if v != LIST_PADDING)
            return [BLANK, *found] if keep_blank else found

        return cls(
            gender=distinct(user_inputs["gender"], keep_blank=True),
            sexuality=distinct(user_inputs["sexuality"], keep_blank=True),
            category=distinct(stim_inputs["category"]),
            tags=distinct(
                user_inputs["neurodivergent_conditions"],
                user_inputs["hobbies_embedding"],
                stim_inputs["associated_conditions_hobbies"],
            ),
            stim_names=distinct(stim_inputs["name_embedding"], user_inputs["current_stims"]),
            name_embedding=_text_vocabulary(stim_inputs["name_embedding"]),
            description_embedding=_text_vocabulary(stim_inputs["description_embedding"]),
        )

    def as_dict(self) -> dict[str, list[str]]:
        return asdict(self)


def _text_vocabulary(texts: np.ndarray) -> list[str]:
    vectorizer = tf.keras.layers.TextVectorization(max_tokens=TEXT_MAX_TOKENS)
    vectorizer.adapt(pd.unique(texts.astype(str)))
    return [token for token in vectorizer.get_vocabulary() if token not in {"", "[UNK]"}]


class MaskedMean(tf.keras.layers.Layer):
    """Mean of the embeddings of the non-padding positions; zeros for an empty list."""

    def call(self, embeddings: tf.Tensor, ids: tf.Tensor) -> tf.Tensor:
        mask = tf.cast(tf.not_equal(ids, 0), embeddings.dtype)[..., tf.newaxis]
        return tf.math.divide_no_nan(
            tf.reduce_sum(embeddings * mask, axis=1), tf.reduce_sum(mask, axis=1)
        )


class TagsEncoder(tf.keras.layers.Layer):
    """A padded list of strings -> the mean of their embeddings."""

    def __init__(self, vocabulary: list[str], dim: int, **kwargs):
        super().__init__(**kwargs)
        self.lookup = tf.keras.layers.StringLookup(vocabulary=vocabulary, mask_token=LIST_PADDING)
        self.embedding = tf.keras.layers.Embedding(self.lookup.vocabulary_size(), dim)
        self.pool = MaskedMean()

    def call(self, tags: tf.Tensor) -> tf.Tensor:
        ids = self.lookup(tags)
        return self.pool(self.embedding(ids), ids)


class TextEncoder(tf.keras.layers.Layer):
    """Free text -> tokens (TextVectorization) -> the mean of their embeddings."""

    def __init__(self, vocabulary: list[str], sequence_length: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.vectorize = tf.keras.layers.TextVectorization(
            vocabulary=vocabulary, output_sequence_length=sequence_length
        )
        self.embedding = tf.keras.layers.Embedding(self.vectorize.vocabulary_size(), dim)
        self.pool = MaskedMean()

    def call(self, text: tf.Tensor) -> tf.Tensor:
        ids = self.vectorize(text)
        return self.pool(self.embedding(ids), ids)


class CategoryEncoder(tf.keras.layers.Layer):
    """One string from a small vocabulary -> its embedding; unknown values share one slot."""

    def __init__(self, vocabulary: list[str], dim: int, **kwargs):
        super().__init__(**kwargs)
        self.lookup = tf.keras.layers.StringLookup(vocabulary=vocabulary, mask_token=None)
        self.embedding = tf.keras.layers.Embedding(self.lookup.vocabulary_size(), dim)

    def call(self, values: tf.Tensor) -> tf.Tensor:
        return self.embedding(self.lookup(values))


class AgeEncoder(tf.keras.layers.Layer):
    """Age -> an embedding of its bucket; a missing age (NaN) has a bucket of its own."""

    def __init__(self, dim: int, **kwargs):
        super().__init__(**kwargs)
        # Bucket 0 holds the missing ages, mapped to -1 below.
        self.buckets = tf.keras.layers.Discretization(bin_boundaries=[0.0, *AGE_BOUNDARIES])
        self.embedding = tf.keras.layers.Embedding(len(AGE_BOUNDARIES) + 2, dim)

    def call(self, age: tf.Tensor) -> tf.Tensor:
        known = tf.where(tf.math.is_nan(age), -tf.ones_like(age), age)
        return self.embedding(self.buckets(known))


def _column(values: tf.Tensor) -> tf.Tensor:
    return tf.reshape(tf.cast(values, tf.float32), (-1, 1))


class UserModel(tf.keras.Model):
    """The user tower: age, gender, sexuality, conditions, hobbies, essentiality, current stims."""

    def __init__(self, vocabularies: Vocabularies, tags: TagsEncoder, *, dim: int = 16):
        super().__init__()
        self.age = AgeEncoder(dim)
        self.gender = CategoryEncoder(vocabularies.gender, dim)
        self.sexuality = CategoryEncoder(vocabularies.sexuality, dim)
        self.tags = tags  # shared with the stim tower, so "ADHD" means one thing on both sides
        self.current_stims = TagsEncoder(vocabularies.stim_names, dim)

    def call(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        return tf.concat(
            [
                self.age(features["age"]),
                self.gender(features["gender"]),
                self.sexuality(features["sexuality"]),
                self.tags(features["neurodivergent_conditions"]),
                self.tags(features["hobbies_embedding"]),
                _column(features["stimming_essentiality_score"]),
                self.current_stims(features["current_stims"]),
            ],
            axis=1,
        )


class StimModel(tf.keras.Model):
    """The stim tower: name, description, harmfulness, conditions and hobbies, sensory category."""

    def __init__(self, vocabularies: Vocabularies, tags: TagsEncoder, *, dim: int = 16):
        super().__init__()
        self.name_text = TextEncoder(
            vocabularies.name_embedding, FEATURES["name_embedding"].length, dim
        )
        self.description_text = TextEncoder(
            vocabularies.description_embedding, FEATURES["description_embedding"].length, dim
        )
        self.tags = tags
        self.category = CategoryEncoder(vocabularies.category, dim)

    def call(self, features: dict[str, tf.Tensor]) -> tf.Tensor:
        return tf.concat(
            [
                self.name_text(features["name_embedding"]),
                self.description_text(features["description_embedding"]),
                _column(features["harmfulness_score"]),
                self.tags(features["associated_conditions_hobbies"]),
                self.category(features["category"]),
            ],
            axis=1,
        )


@tf.keras.utils.register_keras_serializable(package=SERIALIZABLE_PACKAGE)
class WeightClip(tf.keras.constraints.Constraint):
    """Clips every weight to [-clip_value, clip_value] after each update (the seed's constraint)."""

    def __init__(self, clip_value: float = 1.0):
        self.clip_value = clip_value

    def __call__(self, weights: tf.Tensor) -> tf.Tensor:
        return tf.clip_by_value(weights, -self.clip_value, self.clip_value)

    def get_config(self) -> dict:
        return {"clip_value": self.clip_value}


SEED_UNITS = (1024, 256, 64, 16, 4)
SEED_ACTIVATIONS = ("selu", "relu", "selu", "tanh", "selu")


@tf.keras.utils.register_keras_serializable(package=SERIALIZABLE_PACKAGE)
class ScoreEstimator(tf.keras.layers.Layer):
    """The seed's dense stack over the concatenated towers.

    Each hidden layer is Dense (Glorot-uniform, L1-regularised, weights clipped) followed by
    BatchNormalization; the output is Dense 1 with clipped weights.
    """

    def __init__(
        self,
        units: tuple[int, ...] = SEED_UNITS,
        activations: tuple[str, ...] = SEED_ACTIVATIONS,
        l1: float = 1e-5,
        clip_value: float = 1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(units) != len(activations):
            raise ValueError("units and activations must have the same length")
        self.units, self.activations = tuple(units), tuple(activations)
        self.l1, self.clip_value = l1, clip_value
        self.hidden = []
        for size, activation in zip(self.units, self.activations, strict=True):
            self.hidden.append(
                tf.keras.layers.Dense(
                    size,
                    activation=activation,
                    kernel_initializer="glorot_uniform",
                    kernel_regularizer=tf.keras.regularizers.L1(l1),
                    kernel_constraint=WeightClip(clip_value),
                )
            )
            self.hidden.append(tf.keras.layers.BatchNormalization())
        self.output_layer = tf.keras.layers.Dense(1, kernel_constraint=WeightClip(clip_value))

    def call(self, towers: list[tf.Tensor], training: bool | None = None) -> tf.Tensor:
        x = tf.concat(towers, axis=1)
        for layer in self.hidden:
            x = layer(x, training=training)
        return self.output_layer(x)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": list(self.units),
            "activations": list(self.activations),
            "l1": self.l1,
            "clip_value": self.clip_value,
        }


class RankingModel(tfrs.models.Model):
    """Scores how well a stim suits a user, from a user tower and a stim tower."""

    def __init__(
        self,
        user_model: tf.keras.Model,
        stim_model: tf.keras.Model,
        score_estimator: ScoreEstimator | None = None,
    ):
        super().__init__()
        self.user_model = user_model
        self.stim_model = stim_model
        self.score_estimator = score_estimator or ScoreEstimator()
        self.task = tfrs.tasks.Ranking(
            loss=tf.keras.losses.MeanSquaredError(),
            metrics=[tf.keras.metrics.RootMeanSquaredError()],
        )

    def call(self, features: dict[str, tf.Tensor], training: bool | None = None) -> tf.Tensor:
        return self.score_estimator(
            [self.user_model(features), self.stim_model(features)], training=training
        )

    def compute_loss(self, features: dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        return self.task(labels=features["score"], predictions=self(features, training=training))

    # TFRS logs the last batch's loss; early stopping and progress need the epoch's, which the
    # task's RMSE metric accumulates.
    def train_step(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return self._with_epoch_loss(super().train_step(inputs))

    def test_step(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return self._with_epoch_loss(super().test_step(inputs))

    @staticmethod
    def _with_epoch_loss(logs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return {**logs, "loss": tf.square(logs["root_mean_squared_error"])}

    def fit(
        self,
        inputs: tuple[dict, dict],
        scores: np.ndarray,
        epochs: int = 1,
        batch_size: int = 256,
        validation_split: float = 0.2,
        *,
        seed: int = 0,
        early_stopping_patience: int | None = None,
        progress=None,
        verbose: int = 0,
    ) -> tf.keras.callbacks.History:
        """Trains on (user_inputs, stim_inputs) -> scores, validating on unseen users.

        Builds the shuffled, batched, prefetched datasets itself. The validation set holds
        every interaction of a `validation_split` share of the users (by user_id), so the
        validation loss is measured on people the model never saw.

        Args:
          inputs: (user_inputs, stim_inputs) as preprocess_data returns them.
          scores: the target score of each interaction.
          epochs, batch_size, validation_split: as in Keras.
          seed: makes the split, the shuffling and the training reproducible.
          early_stopping_patience: stop after this many epochs without a better val loss
            (restoring the best weights); None trains every epoch.
          progress: called as progress(epoch, logs) after each epoch (logs has loss,
            val_loss ...), for progress bars and task state.

        Returns:
          The Keras History: loss and val_loss per epoch.
        """
        tf.keras.utils.set_random_seed(seed)
        user_inputs, stim_inputs = (GatheredInputs.of(side) for side in inputs)
        scores = np.asarray(scores, dtype=np.float32)
        in_validation = validation_mask(
            user_inputs[USER_KEY], validation_split=validation_split, seed=seed
        )
        train = (user_inputs.subset(~in_validation), stim_inputs.subset(~in_validation))
        validation = None
        if in_validation.any():
            validation = make_dataset(
                user_inputs.subset(in_validation),
                stim_inputs.subset(in_validation),
                scores[in_validation],
                batch_size=batch_size,
            )
        callbacks = []
        if early_stopping_patience is not None and validation is not None:
            callbacks.append(
                tf.keras.callbacks.EarlyStopping(
                    patience=early_stopping_patience, restore_best_weights=True
                )
            )
        if progress is not None:
            callbacks.append(
                tf.keras.callbacks.LambdaCallback(
                    on_epoch_end=lambda epoch, logs: progress(epoch, dict(logs or {}))
                )
            )
        return super().fit(
            make_dataset(*train, scores[~in_validation], batch_size=batch_size, shuffle_seed=seed),
            validation_data=validation,
            epochs=epochs,
            callbacks=callbacks,
            verbose=verbose,
        )


def validation_mask(user_ids: np.ndarray, *, validation_split: float, seed: int) -> np.ndarray:
    """True for the interactions of a `validation_split` share of the users, chosen by seed.

    Users are ordered by a seeded hash of their id and the first ones held out, so a user's
    side does not depend on who else is in the data: as data grows, the users held out
    before stay held out (bar a few at the edge), and a new version and the one serving
    (trained with the same seed) are compared on people neither was trained on.
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError("validation_split must lie in [0, 1)")
    users = pd.unique(user_ids)
    n_validation = round(len(users) * validation_split)
    if n_validation == len(users):
        raise ValueError("validation_split leaves no user to train on")
    hashes = pd.util.hash_array(users.astype(str), hash_key=f"{seed:016d}"[-16:])
    held_out = users[np.argsort(hashes, kind="stable")[:n_validation]]
    return pd.Index(held_out).get_indexer(user_ids) >= 0


def split_by_user(
    examples: dict[str, np.ndarray], *, validation_split: float, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """Splits examples so that each user's interactions are all on one side, as fit does."""
    in_validation = validation_mask(
        examples[USER_KEY], validation_split=validation_split, seed=seed
    )
    if not in_validation.any():
        return examples, None
    return (
        {name: values[~in_validation] for name, values in examples.items()},
        {name: values[in_validation] for name, values in examples.items()},
    )


def make_dataset(
    user_inputs: GatheredInputs,
    stim_inputs: GatheredInputs,
    scores: np.ndarray,
    *,
    batch_size: int,
    shuffle_seed: int | None = None,
) -> tf.data.Dataset:
    """A batched, prefetched dataset of the model's features and the score.

    It carries only each interaction's user and stim row; the features are gathered from the
    user and stim tables batch by batch.
    """
    tables = {
        feature.name: tf.constant(side.table[feature.name], dtype=feature.dtype)
        for side, features in ((user_inputs, USER_FEATURES), (stim_inputs, STIM_FEATURES))
        for feature in features
    }
    user_names = [feature.name for feature in USER_FEATURES]

    def gather(batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return {
            name: tf.gather(table, batch["user" if name in user_names else "stim"])
            for name, table in tables.items()
        } | {"score": batch["score"]}

    dataset = tf.data.Dataset.from_tensor_slices(
        {"user": user_inputs.rows, "stim": stim_inputs.rows, "score": scores}
    )
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(scores), seed=shuffle_seed)
    return (
        dataset.batch(batch_size)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def feature_tensors(inputs: dict[str, np.ndarray], features: tuple[Feature, ...]) -> dict:
    """The model's inputs as tensors of the spec's dtypes (keys dropped)."""
    return {
        feature.name: tf.constant(inputs[feature.name], dtype=feature.dtype) for feature in features
    }


def build_ranking_model(
    vocabularies: Vocabularies,
    *,
    seed: int | None = 0,
    dim: int = 16,
    score_estimator: ScoreEstimator | None = None,
    **estimator_config,
) -> RankingModel:
    """A RankingModel with towers over these vocabularies, its variables created now.

    Args:
      vocabularies: what the lookups know.
      seed: initialises the weights reproducibly; None leaves the random state alone (for
        a model whose weights are about to be loaded).
      dim: the embedding width of every feature.
      score_estimator: a ready ScoreEstimator, or None to make one from estimator_config.
    """
    if seed is not None:
        tf.keras.utils.set_random_seed(seed)
    tags = TagsEncoder(vocabularies.tags, dim)
    model = RankingModel(
        UserModel(vocabularies, tags, dim=dim),
        StimModel(vocabularies, tags, dim=dim),
        score_estimator or ScoreEstimator(**estimator_config),
    )
    model(example_batch())
    return model


def example_batch() -> dict[str, tf.Tensor]:
    """One blank example of every feature: enough to build the model's variables."""
    blank = {"number": 0.0, "age": float("nan")}
    return {
        name: tf.fill((1, *feature.shape), blank.get(feature.kind, LIST_PADDING))
        for name, feature in FEATURES.items()
    }
