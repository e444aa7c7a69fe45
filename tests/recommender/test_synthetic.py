"""The synthetic population: deterministic, within the product's rules, and true to its model.

No database and no Django: run with `-p no:django --noconftest`.
"""

import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import synthetic
from recommender.synthetic import (
    AFFINITY_COLUMNS,
    HARMFUL_THRESHOLD,
    INTERACTION_COLUMNS,
    PREFERENCE_COLUMNS,
    USER_COLUMNS,
    generate_population,
    load_catalogue,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
GENDERS = {"", "woman", "man", "non_binary", "other"}
SEXUALITIES = {
    "",
    "heterosexual",
    "gay_or_lesbian",
    "bisexual",
    "pansexual",
    "asexual",
    "queer",
    "other",
}
ISO_UTC_MINUTE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00$"


def small_catalogue() -> pd.DataFrame:
    """Thirteen stims in seven categories, three harmful, one with no tags at all."""
    rows = [
        ("Fidget spinner", "tactile", 0.05, "ADHD;Autism", "Gaming;Coding"),
        ("Stress ball", "tactile", 0.02, "Anxiety;ADHD", "Sports"),
        ("Skin picking", "tactile", 0.85, "Anxiety;OCD", ""),
        ("Chewable necklace", "oral", 0.05, "Autism;Sensory processing disorder", "Crafts"),
        ("Nail biting", "oral", 0.70, "Anxiety;OCD;ADHD", ""),
        ("Rocking chair", "vestibular", 0.03, "Autism", "Reading"),
        ("Swinging", "vestibular", 0.05, "Autism;ADHD", "Sports"),
        ("Weighted blanket", "proprioceptive", 0.02, "Autism;Anxiety", "Reading"),
        ("Head banging", "proprioceptive", 0.95, "Autism;Sensory processing disorder", ""),
        ("Pacing", "movement", 0.05, "ADHD;Anxiety", "Running"),
        ("Humming", "auditory", 0.00, "Autism;Tourette syndrome", "Music"),
        ("White noise", "auditory", 0.02, "Anxiety;ADHD", "Music;Coding"),
        ("Lavender oil", "olfactory", 0.00, "", ""),
    ]
    return pd.DataFrame(
        [
            (name, f"About {name}.", category, harm, cond, hob)
            for name, category, harm, cond, hob in rows
        ],
        columns=list(synthetic.CATALOGUE_COLUMNS),
    )


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    return small_catalogue()


@pytest.fixture(scope="module")
def population(catalogue: pd.DataFrame) -> synthetic.SyntheticPopulation:
    return generate_population(catalogue, n_users=300, seed=11)


@pytest.fixture(scope="module")
def large_population(catalogue: pd.DataFrame) -> synthetic.SyntheticPopulation:
    return generate_population(catalogue, n_users=2000, seed=5)


def split(values: pd.Series) -> pd.Series:
    """One row per listed name; people with an empty list drop out."""
    names = values.str.split(";").explode()
    return names[names != ""]


def list_lengths(values: pd.Series) -> pd.Series:
    return values.map(lambda text: len(text.split(";")) if text else 0)


def cosine(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / math.sqrt(len(first) * len(second))


def rated_with_truth(population: synthetic.SyntheticPopulation, catalogue: pd.DataFrame):
    return (
        population.interactions.merge(population.affinity, on=["username", "stim"])
        .merge(
            catalogue[["name", "category", "harmfulness_score"]], left_on="stim", right_on="name"
        )
        .merge(population.preferences[["username", "preferred_categories"]], on="username")
    )


def test_same_seed_gives_identical_frames(catalogue: pd.DataFrame) -> None:
    first = generate_population(catalogue, n_users=120, seed=3)
    second = generate_population(catalogue, n_users=120, seed=3)
    for frame in ("users", "interactions", "preferences", "affinity"):
        pd.testing.assert_frame_equal(getattr(first, frame), getattr(second, frame))


def test_different_seeds_give_different_data(catalogue: pd.DataFrame) -> None:
    first = generate_population(catalogue, n_users=120, seed=3)
    other = generate_population(catalogue, n_users=120, seed=4)
    assert not first.users.equals(other.users)
    assert not first.interactions.equals(other.interactions)
    assert not first.affinity.equals(other.affinity)


def test_frames_have_exactly_the_documented_columns(population) -> None:
    """The users and interactions frames are the CSV import formats, column for column."""
    assert list(population.users.columns) == [
        "username",
        "age",
        "gender",
        "sexuality",
        "conditions",
        "hobbies",
        "stimming_essentiality_score",
        "current_stims",
    ]
    assert list(population.interactions.columns) == [
        "username",
        "stim",
        "rating",
        "created_at",
        "usage_frequency",
        "still_using",
        "harm_reported",
        "dismissed",
    ]
    assert list(population.affinity.columns) == ["username", "stim", "affinity"]
    assert tuple(population.users.columns) == USER_COLUMNS
    assert tuple(population.interactions.columns) == INTERACTION_COLUMNS
    assert tuple(population.preferences.columns) == PREFERENCE_COLUMNS
    assert tuple(population.affinity.columns) == AFFINITY_COLUMNS


def test_users_values_stay_in_range(population, catalogue: pd.DataFrame) -> None:
    users = population.users
    assert users["username"].tolist() == [f"demo-person-{i:04d}" for i in range(1, 301)]
    ages = users["age"].dropna()
    assert users["age"].dtype == "Int64"
    assert ages.between(3, 120).all()
    assert set(users["gender"]) <= GENDERS
    assert set(users["sexuality"]) <= SEXUALITIES
    assert list_lengths(users["conditions"]).between(0, 3).all()
    assert list_lengths(users["hobbies"]).between(1, 5).all()
    assert list_lengths(users["current_stims"]).between(0, 3).all()
    score = users["stimming_essentiality_score"]
    assert score.between(0.0, 1.0).all()
    assert (score.round(2) == score).all()
    assert set(split(users["conditions"])) <= set(split(catalogue["conditions"]))
    assert set(split(users["hobbies"])) <= set(split(catalogue["hobbies"]))
    assert set(split(users["current_stims"])) <= set(catalogue["name"])
    for column in ("conditions", "hobbies", "current_stims"):
        listed = split(users[column])
        assert not listed.groupby(level=0).apply(lambda names: names.duplicated().any()).any()


def test_optional_answers_are_sometimes_blank(large_population) -> None:
    users, truth = large_population.users, large_population.preferences
    assert 0.06 < users["age"].isna().mean() < 0.14
    assert 0.11 < (users["gender"] == "").mean() < 0.19
    assert 0.15 < (users["sexuality"] == "").mean() < 0.27
    assert (users.loc[truth["age"] < 13, "sexuality"] == "").all()
    assert (truth["age"] < 18).mean() > 0.15
    assert (truth["age"] >= 18).mean() > 0.6


def test_interactions_follow_the_product_rules(population) -> None:
    rows = population.interactions
    assert not rows.duplicated(["username", "stim"]).any()
    assert rows["rating"].dtype == "Int64" and rows["usage_frequency"].dtype == "Int64"
    assert rows["rating"].dropna().between(1, 5).all()
    assert rows["usage_frequency"].dropna().between(0, 4).all()
    for flag in ("still_using", "harm_reported", "dismissed"):
        assert rows[flag].dtype == bool
    assert not (rows["dismissed"] & rows["still_using"]).any()
    has_signal = (
        rows["rating"].notna()
        | rows["usage_frequency"].notna()
        | rows["still_using"]
        | rows["harm_reported"]
        | rows["dismissed"]
    )
    assert has_signal.all()
    assert (rows["rating"].isna() & rows["dismissed"]).any(), "some dismissals carry no rating"


def test_interactions_refer_to_known_people_and_stims(population, catalogue) -> None:
    rows = population.interactions
    assert set(rows["username"]) <= set(population.users["username"])
    assert set(rows["stim"]) <= set(catalogue["name"])
    per_person = rows.groupby("username").size()
    assert per_person.between(8, len(catalogue)).all()
    assert len(per_person) == len(population.users)


def test_created_at_is_utc_iso_within_the_window(catalogue: pd.DataFrame) -> None:
    reference = pd.Timestamp("2025-03-01T12:00:00+00:00")
    rows = generate_population(catalogue, n_users=100, seed=2, reference_time=reference)
    created = rows.interactions["created_at"]
    assert created.str.match(ISO_UTC_MINUTE).all()
    times = pd.to_datetime(created, utc=True)
    assert (times < reference).all()
    assert (times >= reference - pd.Timedelta(days=synthetic.HISTORY_DAYS)).all()
    assert times.max() - times.min() > pd.Timedelta(days=90)


def test_affinity_covers_every_person_and_stim(population, catalogue: pd.DataFrame) -> None:
    affinity = population.affinity
    assert len(affinity) == len(population.users) * len(catalogue)
    assert not affinity.duplicated(["username", "stim"]).any()
    assert affinity["affinity"].notna().all()
    assert affinity["affinity"].std() > 0.5


def test_affinity_is_the_documented_formula(population, catalogue: pd.DataFrame) -> None:
    """Recomputed row by row from the public frames and the constants docs/demo-data.md quotes."""
    people = population.users.merge(population.preferences, on="username").head(25)
    expected = []
    for person in people.itertuples():
        conditions = set(split(pd.Series([person.conditions])))
        hobbies = set(split(pd.Series([person.hobbies])))
        preferred = set(person.preferred_categories.split(";"))
        for stim in catalogue.itertuples():
            stim_conditions = set(split(pd.Series([stim.conditions])))
            stim_hobbies = set(split(pd.Series([stim.hobbies])))
            raw = (
                synthetic.WEIGHT_CONDITIONS * cosine(conditions, stim_conditions)
                + synthetic.WEIGHT_HOBBIES * cosine(hobbies, stim_hobbies)
                + synthetic.WEIGHT_PREFERRED_CATEGORY * (stim.category in preferred)
                + synthetic.WEIGHT_AGE
                * synthetic.AGE_CATEGORY_EFFECT[person.age_group].get(stim.category, 0.0)
                - synthetic.WEIGHT_HARM * person.harm_aversion * stim.harmfulness_score
            )
            affinity = (raw - synthetic.AFFINITY_CENTRE) / synthetic.AFFINITY_SCALE
            expected.append((person.username, stim.name, affinity))
    expected = pd.DataFrame(expected, columns=["username", "stim", "expected"])
    merged = expected.merge(population.affinity, on=["username", "stim"])
    assert len(merged) == len(expected)
    np.testing.assert_allclose(merged["affinity"], merged["expected"], atol=1e-4)


def test_preferred_categories_are_rated_higher(population, catalogue: pd.DataFrame) -> None:
    rows = rated_with_truth(population, catalogue)
    preferred = [
        category in wanted.split(";")
        for category, wanted in zip(rows["category"], rows["preferred_categories"], strict=True)
    ]
    means = rows.groupby(np.array(preferred))["rating"].mean()
    assert means[True] - means[False] > 0.75


def test_harmful_stims_are_rated_lower_and_reported_far_more(population, catalogue) -> None:
    rows = rated_with_truth(population, catalogue)
    harmful = rows["harmfulness_score"] >= HARMFUL_THRESHOLD
    assert rows.loc[harmful, "rating"].mean() < rows.loc[~harmful, "rating"].mean() - 1.0
    harm_rate_harmful = rows.loc[harmful, "harm_reported"].mean()
    harm_rate_safe = rows.loc[~harmful, "harm_reported"].mean()
    assert harm_rate_harmful > 0.3
    assert harm_rate_harmful > 10 * harm_rate_safe


def test_ratings_follow_true_affinity(population, catalogue: pd.DataFrame) -> None:
    rated = rated_with_truth(population, catalogue).dropna(subset=["rating"])
    spearman = rated["rating"].rank().corr(rated["affinity"].rank())
    assert spearman > 0.5


def test_people_try_what_suits_them_more_often(large_population, catalogue) -> None:
    """Exposure is tilted towards affinity: tried stims score higher than untried ones."""
    tried = large_population.affinity.merge(
        large_population.interactions[["username", "stim"]], how="left", indicator=True
    )
    means = tried.groupby("_merge", observed=True)["affinity"].mean()
    assert means["both"] > means["left_only"] + 0.3


def test_usage_and_still_using_follow_the_rating(population) -> None:
    rows = population.interactions.dropna(subset=["rating"])
    by_rating = rows.groupby("rating")
    assert by_rating["still_using"].mean()[5] > by_rating["still_using"].mean()[1] + 0.4
    usage = rows.dropna(subset=["usage_frequency"]).groupby("rating")["usage_frequency"].mean()
    assert usage[5] > usage[1] + 1.5


def test_conditions_co_occur(large_population) -> None:
    listed = large_population.users["conditions"].str.split(";")
    has_autism = listed.map(lambda names: "Autism" in names)
    has_adhd = listed.map(lambda names: "ADHD" in names)
    assert (has_autism & has_adhd).mean() > 1.3 * has_autism.mean() * has_adhd.mean()


def test_harmful_current_stims_are_common_enough_and_follow_conditions(
    large_population, catalogue: pd.DataFrame
) -> None:
    harmful_names = set(catalogue.loc[catalogue["harmfulness_score"] >= HARMFUL_THRESHOLD, "name"])
    users = large_population.users
    has_harmful = (
        users["current_stims"].str.split(";").map(lambda names: bool(harmful_names & set(names)))
    )
    assert 0.08 < has_harmful.mean() < 0.25
    at_risk = (
        users["conditions"]
        .str.split(";")
        .map(lambda names: bool({"Anxiety", "OCD", "ADHD"} & set(names)))
    )
    assert has_harmful[at_risk].mean() > has_harmful[~at_risk].mean() + 0.05
    habits = large_population.preferences["harmful_habit"]
    assert ((habits != "") == has_harmful).all()


def test_a_catalogue_without_required_columns_is_refused(catalogue: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="lacks columns"):
        generate_population(catalogue.drop(columns="hobbies"), n_users=5, seed=1)


def test_shipped_catalogue_generates_a_sensible_population() -> None:
    shipped = load_catalogue()
    start = time.perf_counter()
    generate_population(shipped, n_users=1000, seed=1)
    assert time.perf_counter() - start < 5.0
    population = generate_population(shipped, n_users=300, seed=7)
    users, rows = population.users, population.interactions
    assert set(rows["stim"]) <= set(shipped["name"])
    assert set(split(users["current_stims"])) <= set(shipped["name"])
    assert set(split(users["conditions"])) <= set(split(shipped["conditions"]))
    assert set(split(users["hobbies"])) <= set(split(shipped["hobbies"]))
    assert rows.groupby("username").size().between(8, 30).all()
    assert set(rows["rating"].dropna()) == {1, 2, 3, 4, 5}
    assert not (rows["dismissed"] & rows["still_using"]).any()
    harmful = set(shipped.loc[shipped["harmfulness_score"] >= HARMFUL_THRESHOLD, "name"])
    current = users["current_stims"].str.split(";")
    assert 0.08 < current.map(lambda names: bool(harmful & set(names))).mean() < 0.25
    assert len(population.affinity) == 300 * len(shipped)


def test_module_needs_no_django() -> None:
    probe = (
        "import sys, recommender.synthetic; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, check=False)
    assert result.returncode == 0
