"""preprocess_data and the default score calculator, on frames of a few hand-made rows."""

import numpy as np
import pandas as pd
import pytest

from recommender.ml.preprocessing import default_score_calculator, preprocess_data
from tests.ml.conftest import stims_frame

# The seed's feature names (shared/seed/README.md), plus the keys; "category" is ours.
SEED_USER_KEYS = {
    "user_id",
    "age",
    "gender",
    "sexuality",
    "neurodivergent_conditions",
    "hobbies_embedding",
    "stimming_essentiality_score",
    "current_stims",
}
SEED_STIM_KEYS = {
    "stim_id",
    "name_embedding",
    "description_embedding",
    "harmfulness_score",
    "associated_conditions_hobbies",
    "category",
}


def user(user_id, **overrides) -> dict:
    row = {
        "user_id": user_id,
        "age": 30,
        "gender": "woman",
        "sexuality": "bisexual",
        "neurodivergent_conditions": ["ADHD"],
        "hobbies": ["Music"],
        "stimming_essentiality_score": 0.5,
        "current_stims": ["Humming"],
    }
    return {**row, **overrides}


def interaction(user_id, stim_id, **overrides) -> dict:
    row = {
        "user_id": user_id,
        "stim_id": stim_id,
        "rating": 4,
        "usage_frequency": 2,
        "still_using": False,
        "harm_reported": False,
        "dismissed": False,
    }
    return {**row, **overrides}


def feedback(rows: list[dict]) -> pd.DataFrame:
    """Interactions carrying only feedback, nullable as the ORM gives them."""
    frame = pd.DataFrame([interaction("u", "s", **row) for row in rows])
    return frame.astype({"rating": "Int64", "usage_frequency": "Int64"})


def run(users: list[dict], interactions: list[dict], stims: pd.DataFrame | None = None, **kw):
    return preprocess_data(
        pd.DataFrame(interactions),
        pd.DataFrame(users),
        stims_frame() if stims is None else stims,
        **kw,
    )


# --- Shape and keys


def test_keys_are_the_seed_feature_names_and_one_row_per_interaction_in_order():
    users = [user("ana", age=20), user("ben", age=40), user("cy", age=60)]
    order = [("cy", "pacing"), ("ana", "humming"), ("cy", "rocking"), ("ben", "humming")]

    user_inputs, stim_inputs, scores = run(users, [interaction(u, s) for u, s in order])

    assert set(user_inputs) == SEED_USER_KEYS
    assert set(stim_inputs) == SEED_STIM_KEYS
    assert list(user_inputs["user_id"]) == ["cy", "ana", "cy", "ben"]
    assert list(stim_inputs["stim_id"]) == ["pacing", "humming", "rocking", "humming"]
    # The features travel with their key: cy's age on cy's rows, the stim's name on its rows.
    np.testing.assert_array_equal(user_inputs["age"], np.array([60, 20, 60, 40], np.float32))
    assert list(stim_inputs["name_embedding"]) == ["Pacing", "Humming", "Rocking", "Humming"]
    for values in (*user_inputs.values(), *stim_inputs.values(), scores):
        assert len(values) == 4
    assert scores.dtype == np.float32
    assert user_inputs["age"].dtype == np.float32
    assert stim_inputs["harmfulness_score"].dtype == np.float32
    assert user_inputs["neurodivergent_conditions"].shape == (4, 6)
    assert user_inputs["hobbies_embedding"].shape == (4, 10)
    assert user_inputs["current_stims"].shape == (4, 6)
    assert stim_inputs["associated_conditions_hobbies"].shape == (4, 12)


# --- Lists: padded with "" and truncated to the spec's length


def test_user_lists_are_padded_and_truncated():
    many_conditions = [f"C{i}" for i in range(8)]  # more than the 6 kept
    many_hobbies = [f"H{i}" for i in range(12)]  # more than the 10 kept
    many_stims = [f"S{i}" for i in range(7)]  # more than the 6 kept
    users = [
        user("none", neurodivergent_conditions=[], hobbies=[], current_stims=[]),
        user("one", neurodivergent_conditions=["ADHD"], hobbies=["Music"], current_stims=["Hum"]),
        user(
            "many",
            neurodivergent_conditions=many_conditions,
            hobbies=many_hobbies,
            current_stims=many_stims,
        ),
    ]
    interactions = [interaction(name, "humming") for name in ("none", "one", "many")]

    user_inputs, _, _ = run(users, interactions)

    assert user_inputs["neurodivergent_conditions"].tolist() == [
        [""] * 6,
        ["ADHD", "", "", "", "", ""],
        ["C0", "C1", "C2", "C3", "C4", "C5"],
    ]
    assert user_inputs["hobbies_embedding"].tolist() == [
        [""] * 10,
        ["Music"] + [""] * 9,
        [f"H{i}" for i in range(10)],
    ]
    assert user_inputs["current_stims"].tolist() == [
        [""] * 6,
        ["Hum"] + [""] * 5,
        ["S0", "S1", "S2", "S3", "S4", "S5"],
    ]


def test_stim_tags_are_its_conditions_then_its_hobbies_padded_and_truncated():
    stims = pd.DataFrame(
        [
            ("bare", "Bare", "", "tactile", 0.0, [], []),
            ("short", "Short", "", "tactile", 0.0, ["ADHD", "Autism"], ["Music"]),
            ("hobby-only", "Hobby only", "", "oral", 0.0, [], ["Music", "Art"]),
            ("long", "Long", "", "oral", 0.0, [f"C{i}" for i in range(8)], ["H0", "H1", "H2"] * 2),
        ],
        columns=stims_frame().columns,
    )
    interactions = [interaction("ana", s) for s in ("bare", "short", "hobby-only", "long")]

    _, stim_inputs, _ = run([user("ana")], interactions, stims)

    assert stim_inputs["associated_conditions_hobbies"].tolist() == [
        [""] * 12,
        ["ADHD", "Autism", "Music"] + [""] * 9,
        ["Music", "Art"] + [""] * 10,
        # eight conditions, then the first four hobbies: twelve in all
        [f"C{i}" for i in range(8)] + ["H0", "H1", "H2", "H0"],
    ]


# --- Missing values


def test_missing_values_get_their_own_encoding():
    users = [
        user("none-age", age=None, gender=None, sexuality=None, hobbies=None),
        user("nan-age", age=np.nan, gender="", sexuality="  ", current_stims=None),
        user("known", age=17, gender="man"),
    ]
    stims = pd.DataFrame(
        [
            ("blank", "Blank", "", "tactile", 0.1, ["ADHD"], []),
            ("none", "None", None, "tactile", None, None, ["Music"]),
            ("full", "Full", "  Words here. ", "oral", 0.5, [], []),
        ],
        columns=stims_frame().columns,
    )
    interactions = [
        interaction("none-age", "blank"),
        interaction("nan-age", "none"),
        interaction("known", "full"),
    ]

    user_inputs, stim_inputs, _ = run(users, interactions, stims)

    age = user_inputs["age"]
    assert np.isnan(age[0]) and np.isnan(age[1])
    assert age[2] == 17.0
    assert user_inputs["gender"].tolist() == ["", "", "man"]
    assert user_inputs["sexuality"].tolist() == ["", "", "bisexual"]
    assert user_inputs["hobbies_embedding"][0].tolist() == [""] * 10
    assert user_inputs["current_stims"][1].tolist() == [""] * 6
    assert stim_inputs["description_embedding"].tolist() == ["", "", "Words here."]
    # A missing harmfulness reads as 0, not NaN: NaN would poison every score it touches.
    np.testing.assert_array_equal(
        stim_inputs["harmfulness_score"], np.array([0.1, 0.0, 0.5], np.float32)
    )
    assert stim_inputs["associated_conditions_hobbies"][1].tolist() == ["Music"] + [""] * 11


def test_a_nullable_integer_age_column_keeps_missing_ages_missing():
    users = pd.DataFrame([user("ana"), user("ben")])
    users["age"] = pd.array([None, 17], dtype="Int64")  # as the ORM and the generator give it

    user_inputs, _, _ = preprocess_data(
        pd.DataFrame([interaction("ana", "humming"), interaction("ben", "humming")]),
        users,
        stims_frame(),
    )

    assert np.isnan(user_inputs["age"][0])
    assert user_inputs["age"][1] == 17.0


# --- The default score


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        # r = (rating - 1) / 4, f = usage_frequency / 4
        ({"rating": 4, "usage_frequency": None}, 0.75),  # rating only: r
        ({"rating": None, "usage_frequency": 1}, 0.25),  # frequency only: f
        ({"rating": 5, "usage_frequency": 2}, 0.85),  # (0.7 * 1 + 0.3 * 0.5) / 1.0
        ({"rating": 2, "usage_frequency": 4}, 0.475),  # (0.7 * 0.25 + 0.3 * 1) / 1.0
        ({"rating": None, "usage_frequency": None}, 0.5),  # neither: unknown
        ({"rating": 3, "usage_frequency": None, "still_using": True}, 0.65),  # 0.5 + 0.15
        ({"rating": 5, "usage_frequency": 4, "still_using": True}, 1.0),  # 1.15 capped at 1
        ({"rating": None, "usage_frequency": None, "still_using": True}, 0.65),  # 0.5 + 0.15
        ({"rating": 5, "usage_frequency": 4, "harm_reported": True}, 0.1),  # harm cap
        ({"rating": 1, "usage_frequency": 0, "harm_reported": True}, 0.0),  # a cap never raises
        ({"rating": 4, "usage_frequency": None, "dismissed": True}, 0.2),  # dismissed cap
        ({"rating": 2, "usage_frequency": 0, "dismissed": True}, 0.175),  # under the cap
        ({"rating": 5, "usage_frequency": 4, "harm_reported": True, "dismissed": True}, 0.1),
        ({"rating": 5, "usage_frequency": 4, "still_using": True, "dismissed": True}, 0.2),
    ],
)
def test_default_score_by_hand(signals, expected):
    scores = default_score_calculator(feedback([signals]))

    assert scores.dtype == np.float32
    assert scores.tolist() == pytest.approx([expected], abs=1e-6)


def test_default_score_reads_many_rows_at_once_and_missing_flags_as_false():
    frame = pd.DataFrame(
        {
            "rating": [5.0, np.nan, 1.0],  # plain floats with NaN, not only Int64
            "usage_frequency": [np.nan, 3.0, np.nan],
            "still_using": [None, True, False],
            "harm_reported": [False, None, None],
            "dismissed": [None, False, True],
        }
    )

    scores = default_score_calculator(frame)

    # 1.0 (rating only); 0.75 + 0.15 (frequency only, still using); 0.0 capped at 0.2 is 0.0
    assert scores.tolist() == pytest.approx([1.0, 0.9, 0.0], abs=1e-6)


def test_preprocess_data_uses_the_default_score_calculator():
    interactions = [
        interaction("ana", "humming", rating=5, usage_frequency=4),
        interaction("ana", "pacing", rating=None, usage_frequency=None, dismissed=True),
    ]

    _, _, scores = run([user("ana")], interactions)

    assert scores.tolist() == pytest.approx([1.0, 0.2])


def test_a_custom_score_calculator_is_used():
    seen = []

    def by_rating_tenths(frame: pd.DataFrame) -> np.ndarray:
        seen.append(list(frame["stim_id"]))
        return frame["rating"].to_numpy(dtype=float) / 10

    interactions = [interaction("ana", "humming", rating=3), interaction("ana", "rocking")]

    _, _, scores = run([user("ana")], interactions, score_calculator=by_rating_tenths)

    assert seen == [["humming", "rocking"]]
    assert scores.dtype == np.float32
    assert scores.tolist() == pytest.approx([0.3, 0.4])


# --- Errors that name what is wrong


def labelled(rows: list[dict]) -> pd.DataFrame:
    """Interactions indexed by names, so a message naming rows can be checked by name."""
    return pd.DataFrame(rows, index=[f"row-{chr(ord('a') + i)}" for i in range(len(rows))])


def test_unknown_user_id_is_named_with_its_rows():
    interactions = labelled(
        [
            interaction("ana", "humming"),
            interaction("ghost", "humming"),
            interaction("ana", "rocking"),
            interaction("ghost", "pacing"),
        ]
    )

    with pytest.raises(ValueError, match="user_id") as raised:
        preprocess_data(interactions, pd.DataFrame([user("ana")]), stims_frame())

    message = str(raised.value)
    assert "ghost" in message
    assert "row-b" in message and "row-d" in message
    assert "row-a" not in message and "row-c" not in message


def test_unknown_stim_id_is_named_with_its_rows():
    interactions = labelled([interaction("ana", "humming"), interaction("ana", "juggling")])

    with pytest.raises(ValueError, match="stim_id") as raised:
        preprocess_data(interactions, pd.DataFrame([user("ana")]), stims_frame())

    message = str(raised.value)
    assert "juggling" in message and "row-b" in message
    assert "row-a" not in message


def test_scores_outside_zero_to_one_or_nan_are_refused_by_row():
    interactions = labelled([interaction("ana", "humming")] * 5)

    def bad_scores(frame):
        return np.array([0.5, 1.5, -0.1, np.nan, 1.0])

    with pytest.raises(ValueError, match=r"\[0, 1\]") as raised:
        preprocess_data(
            interactions, pd.DataFrame([user("ana")]), stims_frame(), score_calculator=bad_scores
        )

    message = str(raised.value)
    assert all(label in message for label in ("row-b", "row-c", "row-d"))
    assert "row-a" not in message and "row-e" not in message  # 0.5 and 1.0 are fine


def test_a_calculator_giving_the_wrong_number_of_scores_is_refused():
    def one_score_too_few(frame):
        return np.full(len(frame) - 1, 0.5)

    with pytest.raises(ValueError, match="score"):
        run(
            [user("ana")],
            [interaction("ana", "humming"), interaction("ana", "rocking")],
            score_calculator=one_score_too_few,
        )


@pytest.mark.parametrize(
    ("frame", "column"),
    [("interactions_df", "rating"), ("users_df", "hobbies"), ("stims_df", "category")],
)
def test_a_missing_column_is_named(frame, column):
    frames = {
        "interactions_df": pd.DataFrame([interaction("ana", "humming")]),
        "users_df": pd.DataFrame([user("ana")]),
        "stims_df": stims_frame(),
    }
    frames[frame] = frames[frame].drop(columns=[column])

    with pytest.raises(ValueError, match=rf"{frame} lacks column\(s\): {column}"):
        preprocess_data(**frames)


def test_repeated_user_ids_are_refused_and_named():
    users = pd.DataFrame([user("ana"), user("ben"), user("ana", age=50)])

    with pytest.raises(ValueError, match="repeated user_id") as raised:
        preprocess_data(pd.DataFrame([interaction("ben", "humming")]), users, stims_frame())

    assert "ana" in str(raised.value)
    assert "ben" not in str(raised.value)


def test_repeated_stim_ids_are_refused_and_named():
    stims = pd.concat([stims_frame(), stims_frame().iloc[[2]]], ignore_index=True)

    with pytest.raises(ValueError, match="repeated stim_id") as raised:
        preprocess_data(
            pd.DataFrame([interaction("ana", "pacing")]), pd.DataFrame([user("ana")]), stims
        )

    assert "humming" in str(raised.value)


# --- Scale


def test_two_hundred_thousand_interactions_over_twenty_thousand_users():
    rng = np.random.default_rng(0)
    n_users, n_stims, n_interactions = 20_000, 500, 200_000
    tags = np.array([f"tag-{i}" for i in range(40)], dtype=object)

    def lists(count: int) -> list[list[str]]:
        sizes = rng.integers(0, 14, count)
        return [list(tags[rng.integers(0, len(tags), size)]) for size in sizes]

    users = pd.DataFrame(
        {
            "user_id": np.arange(n_users),
            "age": np.where(rng.random(n_users) < 0.1, np.nan, rng.integers(6, 90, n_users)),
            "gender": rng.choice(["", "woman", "man"], n_users),
            "sexuality": rng.choice(["", "queer"], n_users),
            "neurodivergent_conditions": lists(n_users),
            "hobbies": lists(n_users),
            "stimming_essentiality_score": rng.random(n_users),
            "current_stims": lists(n_users),
        }
    )
    stims = pd.DataFrame(
        {
            "stim_id": np.arange(n_stims) + 1000,
            "name": [f"stim {i}" for i in range(n_stims)],
            "description": [f"words {i % 7} and {i % 11}" for i in range(n_stims)],
            "category": rng.choice(["tactile", "oral"], n_stims),
            "harmfulness_score": rng.random(n_stims),
            "conditions": lists(n_stims),
            "hobbies": lists(n_stims),
        }
    )
    interactions = pd.DataFrame(
        {
            "user_id": rng.integers(0, n_users, n_interactions),
            "stim_id": rng.integers(0, n_stims, n_interactions) + 1000,
            "rating": pd.array(rng.integers(1, 6, n_interactions), dtype="Int64"),
            "usage_frequency": pd.array(rng.integers(0, 5, n_interactions), dtype="Int64"),
            "still_using": rng.random(n_interactions) < 0.5,
            "harm_reported": rng.random(n_interactions) < 0.05,
            "dismissed": rng.random(n_interactions) < 0.05,
        }
    )

    user_inputs, stim_inputs, scores = preprocess_data(interactions, users, stims)

    assert scores.shape == (n_interactions,)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert user_inputs["hobbies_embedding"].shape == (n_interactions, 10)
    assert stim_inputs["associated_conditions_hobbies"].shape == (n_interactions, 12)
    # A spot check that rows were gathered, not just shaped: the last interaction's person.
    last = interactions.iloc[-1]
    person = users.iloc[last["user_id"]]
    expected = (person["neurodivergent_conditions"] + [""] * 6)[:6]
    assert user_inputs["neurodivergent_conditions"][-1].tolist() == expected
    assert stim_inputs["stim_id"][-1] == last["stim_id"]
