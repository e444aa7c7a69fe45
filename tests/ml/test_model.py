"""The ScoreEstimator stack, WeightClip, RankingModel.fit and the user split, on tiny data."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
import tensorflow_recommenders as tfrs

from recommender.ml.features import STIM_FEATURES, USER_FEATURES
from recommender.ml.model import (
    RankingModel,
    ScoreEstimator,
    WeightClip,
    build_ranking_model,
    feature_tensors,
    split_by_user,
)
from recommender.ml.preprocessing import encode_stims
from tests.ml.conftest import TINY_BATCH, TINY_DIM, fit_tiny_model


@pytest.fixture(scope="module")
def tiny_inputs(tiny):
    return tiny.user_inputs, tiny.stim_inputs, tiny.scores, tiny.vocabularies


def all_features(user_inputs: dict, stim_inputs: dict) -> dict:
    return {
        **feature_tensors(user_inputs, USER_FEATURES),
        **feature_tensors(stim_inputs, STIM_FEATURES),
    }


def predictions(model: RankingModel, user_inputs: dict, stim_inputs: dict) -> np.ndarray:
    return model(all_features(user_inputs, stim_inputs)).numpy().ravel()


# --- ScoreEstimator and WeightClip


def test_score_estimator_defaults_are_the_seed_stack():
    estimator = ScoreEstimator()
    output = estimator([tf.zeros((2, 3)), tf.ones((2, 4))])

    assert output.shape == (2, 1)
    dense = estimator.hidden[0::2]
    norms = estimator.hidden[1::2]
    assert len(estimator.hidden) == 10
    assert [layer.units for layer in dense] == [1024, 256, 64, 16, 4]
    activations = [layer.activation.__name__ for layer in dense]
    assert activations == ["selu", "relu", "selu", "tanh", "selu"]
    for layer in dense:
        assert type(layer) is tf.keras.layers.Dense
        assert isinstance(layer.kernel_initializer, tf.keras.initializers.GlorotUniform)
        assert isinstance(layer.kernel_regularizer, tf.keras.regularizers.L1)
        assert float(layer.kernel_regularizer.l1) == pytest.approx(1e-5)  # docs/model.md
        assert isinstance(layer.kernel_constraint, WeightClip)
        assert layer.kernel_constraint.clip_value == 1.0
    assert all(type(layer) is tf.keras.layers.BatchNormalization for layer in norms)
    # The first Dense reads both towers, concatenated: 3 + 4 columns.
    assert dense[0].kernel.shape == (7, 1024)
    out = estimator.output_layer
    assert out.units == 1
    assert out.activation.__name__ == "linear"
    assert isinstance(out.kernel_constraint, WeightClip)
    assert out.kernel_constraint.clip_value == 1.0


def test_score_estimator_arguments_change_the_stack():
    estimator = ScoreEstimator(units=(8, 3), activations=("tanh", "relu"), l1=0.25, clip_value=0.5)
    estimator([tf.zeros((1, 2)), tf.zeros((1, 2))])

    dense = estimator.hidden[0::2]
    assert [layer.units for layer in dense] == [8, 3]
    assert [layer.activation.__name__ for layer in dense] == ["tanh", "relu"]
    assert [float(layer.kernel_regularizer.l1) for layer in dense] == [0.25, 0.25]
    assert [layer.kernel_constraint.clip_value for layer in dense] == [0.5, 0.5]
    assert estimator.output_layer.kernel_constraint.clip_value == 0.5
    assert len(estimator.hidden) == 4


def test_score_estimator_needs_one_activation_per_layer():
    with pytest.raises(ValueError, match="same length"):
        ScoreEstimator(units=(8, 4), activations=("relu",))


def test_score_estimator_config_round_trips():
    estimator = ScoreEstimator(units=(6, 2), activations=("selu", "tanh"), l1=0.01, clip_value=0.3)

    restored = tf.keras.saving.deserialize_keras_object(
        tf.keras.saving.serialize_keras_object(estimator), safe_mode=True
    )
    again = ScoreEstimator.from_config(estimator.get_config())

    for copy in (restored, again):
        assert isinstance(copy, ScoreEstimator)
        assert copy.units == (6, 2)
        assert copy.activations == ("selu", "tanh")
        assert copy.l1 == 0.01
        assert copy.clip_value == 0.3
        assert [layer.kernel_constraint.clip_value for layer in copy.hidden[0::2]] == [0.3, 0.3]


def test_weight_clip_clips_to_its_value():
    clipped = WeightClip(0.5)(tf.constant([[-2.0, -0.5, 0.1], [0.5, 0.7, 3.0]]))

    expected = np.array([[-0.5, -0.5, 0.1], [0.5, 0.5, 0.5]], np.float32)
    np.testing.assert_array_equal(clipped.numpy(), expected)


def test_weight_clip_round_trips_through_keras_serialisation():
    serialised = tf.keras.saving.serialize_keras_object(WeightClip(0.3))
    restored = tf.keras.saving.deserialize_keras_object(serialised, safe_mode=True)

    assert serialised["config"] == {"clip_value": 0.3}
    assert isinstance(restored, WeightClip)
    assert restored.clip_value == 0.3
    assert WeightClip.from_config(WeightClip(0.7).get_config()).clip_value == 0.7
    np.testing.assert_array_equal(
        restored(tf.constant([1.0, -1.0])).numpy(), np.array([0.3, -0.3], np.float32)
    )


def test_training_keeps_every_estimator_kernel_within_the_clip(tiny_inputs):
    user_inputs, stim_inputs, scores, vocabularies = tiny_inputs
    model = build_ranking_model(
        vocabularies, dim=TINY_DIM, units=(8, 4), activations=("relu", "selu"), clip_value=0.05
    )
    # A learning rate this large pushes unclipped weights far past 0.05 in one step.
    model.compile(optimizer=tf.keras.optimizers.SGD(50.0))
    model.fit((user_inputs, stim_inputs), scores, epochs=1, batch_size=TINY_BATCH, seed=0)

    estimator = model.score_estimator
    for layer in [*estimator.hidden[0::2], estimator.output_layer]:
        assert np.abs(layer.kernel.numpy()).max() <= 0.05 + 1e-7


# --- RankingModel


def test_ranking_model_is_a_tfrs_model_whose_loss_is_the_mean_squared_error(tiny):
    model = tiny.trained.model
    features = all_features(tiny.user_inputs, tiny.stim_inputs)
    predicted = model(features).numpy().ravel()

    loss = model.compute_loss({**features, "score": tf.constant(tiny.scores)})

    assert isinstance(model, tfrs.models.Model)
    assert isinstance(model.task, tfrs.tasks.Ranking)
    assert float(loss) == pytest.approx(np.mean((predicted - tiny.scores) ** 2), rel=1e-5)


def test_the_model_ignores_the_keys_and_reads_only_features(tiny):
    features = all_features(tiny.user_inputs, tiny.stim_inputs)
    with_keys = {
        **features,
        "user_id": tf.constant(tiny.user_inputs["user_id"].astype(str)),
        "stim_id": tf.constant(tiny.stim_inputs["stim_id"].astype(str)),
    }

    np.testing.assert_array_equal(
        tiny.trained.model(with_keys).numpy(), tiny.trained.model(features).numpy()
    )


def test_fit_returns_loss_and_val_loss_for_each_epoch(tiny):
    history = tiny.history

    assert len(history["loss"]) == 2
    assert len(history["val_loss"]) == 2
    assert np.isfinite(history["loss"]).all() and np.isfinite(history["val_loss"]).all()


def test_progress_is_called_once_per_epoch_with_the_validation_loss(tiny_inputs):
    calls = []

    _, history = fit_tiny_model(
        tiny_inputs, epochs=2, progress=lambda epoch, logs: calls.append((epoch, logs))
    )

    assert isinstance(history, tf.keras.callbacks.History)
    assert [epoch for epoch, _ in calls] == [0, 1]
    assert [logs["val_loss"] for _, logs in calls] == history.history["val_loss"]
    assert [logs["loss"] for _, logs in calls] == history.history["loss"]


def test_the_same_seed_trains_the_same_model(tiny, tiny_inputs):
    model, history = fit_tiny_model(tiny_inputs, seed=0)

    for name in ("loss", "val_loss"):
        np.testing.assert_allclose(history.history[name], tiny.history[name], rtol=1e-6)
    np.testing.assert_allclose(
        predictions(model, tiny.user_inputs, tiny.stim_inputs),
        predictions(tiny.trained.model, tiny.user_inputs, tiny.stim_inputs),
        rtol=1e-6,
        atol=1e-7,
    )


def test_another_seed_trains_another_model(tiny, tiny_inputs):
    model, history = fit_tiny_model(tiny_inputs, seed=1)

    assert not np.allclose(history.history["loss"], tiny.history["loss"], rtol=1e-3)
    assert not np.allclose(
        predictions(model, tiny.user_inputs, tiny.stim_inputs),
        predictions(tiny.trained.model, tiny.user_inputs, tiny.stim_inputs),
        rtol=1e-3,
    )


def validation_examples(tiny) -> dict:
    """The examples fit validated the shared tiny model on (seed 0, split 0.3)."""
    _, validation = split_by_user(
        {**tiny.user_inputs, **tiny.stim_inputs, "score": tiny.scores},
        validation_split=0.3,
        seed=0,
    )
    return validation


def test_fit_validates_on_the_users_split_by_user_holds_out(tiny):
    validation = validation_examples(tiny)
    user_inputs = {feature.name: validation[feature.name] for feature in USER_FEATURES}
    stim_inputs = {feature.name: validation[feature.name] for feature in STIM_FEATURES}
    predicted = predictions(tiny.trained.model, user_inputs, stim_inputs)

    # The RMSE metric accumulates over every validation batch, with the final weights.
    expected = np.sqrt(np.mean((predicted - validation["score"]) ** 2))
    assert tiny.history["val_root_mean_squared_error"][-1] == pytest.approx(expected, rel=1e-5)


def test_val_loss_is_the_mean_squared_error_over_every_validation_interaction(tiny):
    validation = validation_examples(tiny)
    assert len(validation["score"]) > TINY_BATCH  # more than one validation batch
    user_inputs = {feature.name: validation[feature.name] for feature in USER_FEATURES}
    stim_inputs = {feature.name: validation[feature.name] for feature in STIM_FEATURES}
    predicted = predictions(tiny.trained.model, user_inputs, stim_inputs)

    # Early stopping watches val_loss, so it must be the loss of all validation users, not
    # of whichever batch came last.
    expected = np.mean((predicted - validation["score"]) ** 2)
    assert tiny.history["val_loss"][-1] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(("patience", "epochs_run"), [(1, 2), (2, 3), (None, 5)])
def test_early_stopping_stops_when_val_loss_stops_improving(tiny_inputs, patience, epochs_run):
    user_inputs, stim_inputs, scores, vocabularies = tiny_inputs
    # No hidden layers (so no BatchNormalization statistics moving) and a learning rate of
    # 0: nothing changes, so val_loss never improves on the first epoch's, and training
    # stops after `patience` epochs without improvement.
    model = build_ranking_model(vocabularies, dim=TINY_DIM, units=(), activations=())
    model.compile(optimizer=tf.keras.optimizers.SGD(0.0))

    history = model.fit(
        (user_inputs, stim_inputs),
        scores,
        epochs=5,
        batch_size=TINY_BATCH,
        validation_split=0.3,
        early_stopping_patience=patience,
    )

    assert len(history.history["val_loss"]) == epochs_run


def test_split_by_user_keeps_each_user_on_one_side():
    users = np.repeat([f"u{i}" for i in range(10)], [1, 2, 3, 4, 5, 1, 2, 3, 4, 5])
    examples = {"user_id": users, "score": np.arange(len(users), dtype=np.float32)}

    train, validation = split_by_user(examples, validation_split=0.3, seed=7)

    train_users, validation_users = set(train["user_id"]), set(validation["user_id"])
    assert len(validation_users) == 3  # 30% of 10 users
    assert train_users.isdisjoint(validation_users)
    assert train_users | validation_users == set(users)
    # Every interaction of a user is on that user's side, none lost, none repeated.
    counts = pd.Series(users).value_counts()
    assert len(validation["score"]) == counts[sorted(validation_users)].sum()
    assert sorted([*train["score"], *validation["score"]]) == list(examples["score"])
    again, _ = split_by_user(examples, validation_split=0.3, seed=7)
    np.testing.assert_array_equal(again["score"], train["score"])


def test_split_by_user_depends_on_the_seed():
    examples = {"user_id": np.array([f"u{i}" for i in range(40)])}

    held_out = {
        seed: frozenset(split_by_user(examples, validation_split=0.5, seed=seed)[1]["user_id"])
        for seed in range(3)
    }

    assert len(set(held_out.values())) == 3


def test_split_by_user_without_validation_and_its_limits():
    examples = {"user_id": np.array(["a", "b", "c"]), "score": np.array([0.1, 0.2, 0.3])}

    train, validation = split_by_user(examples, validation_split=0.0, seed=0)

    assert validation is None
    np.testing.assert_array_equal(train["score"], examples["score"])
    with pytest.raises(ValueError, match="no user to train on"):
        split_by_user(examples, validation_split=0.9, seed=0)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        split_by_user(examples, validation_split=1.0, seed=0)


# --- Cold start


def test_a_stim_unseen_in_training_is_scored_from_its_words_and_tags(tiny):
    columns = tiny.frames.stims.columns
    known_words = "A small heavy tune that keeps restless hands calming and busy."
    unseen = pd.DataFrame(
        [
            # A new name; description words and tags the model saw in training.
            ("spinning-top", "Spinning top", known_words, "tactile", 0.02, ["ADHD"], ["Gaming"]),
            # The same stim without its words and tags.
            ("spinning-top-bare", "Spinning top", "", "tactile", 0.02, [], []),
            ("blank", "", "", "", 0.02, [], []),
        ],
        columns=columns,
    )
    stims = encode_stims(unseen)
    assert not set(stims["name_embedding"]) & set(tiny.stim_inputs["name_embedding"])
    users = {name: np.repeat(values[[0]], 3, axis=0) for name, values in tiny.users.items()}

    new, bare, blank = predictions(tiny.trained.model, users, stims)

    assert np.isfinite([new, bare, blank]).all()
    assert abs(new - blank) > 1e-4
    assert abs(new - bare) > 1e-4
