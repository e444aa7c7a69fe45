"""Synthetic people and their stim feedback, drawn from a documented hidden preference model.

Plain numpy and pandas, no Django: demo data, tests and the ML code share it without a
database. docs/demo-data.md states the model; the constants below are the ones it quotes.
"""

from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "stims" / "data" / "catalogue.csv"
CATALOGUE_COLUMNS = (
    "name",
    "description",
    "category",
    "harmfulness_score",
    "conditions",
    "hobbies",
)
USER_COLUMNS = (
    "username",
    "age",
    "gender",
    "sexuality",
    "conditions",
    "hobbies",
    "stimming_essentiality_score",
    "current_stims",
)
INTERACTION_COLUMNS = (
    "username",
    "stim",
    "rating",
    "created_at",
    "usage_frequency",
    "still_using",
    "harm_reported",
    "dismissed",
)
PREFERENCE_COLUMNS = (
    "username",
    "age",
    "age_group",
    "preferred_categories",
    "harm_aversion",
    "noise_level",
    "rating_bias",
    "harmful_habit",
)
AFFINITY_COLUMNS = ("username", "stim", "affinity")
SEPARATOR = ";"
USERNAME_PREFIX = "demo-person-"

# --- Time: fixed, never "now", so the same seed gives the same rows on any day.
DEFAULT_REFERENCE_TIME = pd.Timestamp("2026-11-30T00:00:00+00:00")
HISTORY_DAYS = 180

# --- Who the people are.
# name -> (youngest, oldest, share of people)
AGE_GROUPS = {
    "child": (6, 12, 0.12),
    "teen": (13, 17, 0.13),
    "adult": (18, 64, 0.68),
    "older": (65, 85, 0.07),
}
AGE_BLANK_SHARE = 0.10
GENDER_SHARES = {"woman": 0.45, "man": 0.40, "non_binary": 0.11, "other": 0.04}
GENDER_BLANK_SHARE = 0.15
SEXUALITY_SHARES = {
    "heterosexual": 0.55,
    "bisexual": 0.16,
    "gay_or_lesbian": 0.08,
    "asexual": 0.07,
    "pansexual": 0.06,
    "queer": 0.05,
    "other": 0.03,
}
# Children are never asked; of the others this share leave it blank (about 20% overall).
SEXUALITY_MIN_AGE = 13
SEXUALITY_BLANK_SHARE = 0.10

# Share of the people (an app for neurodivergent people, not the general population) who have
# each condition before the cap of MAX_CONDITIONS; conditions not listed get the default.
CONDITION_PREVALENCE = {
    "ADHD": 0.40,
    "Autism": 0.35,
    "Anxiety": 0.30,
    "Sensory processing disorder": 0.12,
    "Depression": 0.12,
    "Dyspraxia": 0.08,
    "OCD": 0.08,
    "Dyslexia": 0.08,
    "PTSD": 0.07,
    "Tourette syndrome": 0.04,
    "Bipolar disorder": 0.04,
    "Fragile X syndrome": 0.02,
}
DEFAULT_CONDITION_PREVALENCE = 0.05
# Latent (Gaussian copula) correlation between any two conditions, and the pairs known to
# co-occur more often than that.
CONDITION_BASE_CORRELATION = 0.10
CONDITION_CORRELATIONS = {
    ("Autism", "ADHD"): 0.50,
    ("Autism", "Sensory processing disorder"): 0.50,
    ("Autism", "Fragile X syndrome"): 0.40,
    ("Autism", "Anxiety"): 0.30,
    ("Autism", "Dyspraxia"): 0.25,
    ("ADHD", "Dyslexia"): 0.30,
    ("ADHD", "Tourette syndrome"): 0.30,
    ("ADHD", "Dyspraxia"): 0.25,
    ("Anxiety", "Depression"): 0.50,
    ("Anxiety", "OCD"): 0.35,
    ("Anxiety", "PTSD"): 0.35,
    ("Depression", "Bipolar disorder"): 0.30,
    ("Tourette syndrome", "OCD"): 0.30,
}
MAX_CONDITIONS = 3
# Probability of having 1, 2, ... hobbies.
HOBBY_COUNT_SHARES = (0.15, 0.30, 0.30, 0.15, 0.10)
# Probability of 1, 2 or 3 preferred sensory categories.
PREFERRED_CATEGORY_COUNT_SHARES = (0.30, 0.45, 0.25)
# How much each condition pulls a person towards a category (added to a Gumbel-noised logit).
CONDITION_CATEGORY_PULL = {
    "ADHD": {"movement": 1.0, "tactile": 1.0, "vestibular": 0.8, "oral": 0.5},
    "Autism": {"proprioceptive": 1.0, "vestibular": 0.8, "auditory": 0.8, "visual": 0.8},
    "Anxiety": {"tactile": 1.0, "proprioceptive": 0.8, "olfactory": 0.8},
    "Sensory processing disorder": {"proprioceptive": 1.0, "tactile": 0.8, "oral": 0.6},
    "Tourette syndrome": {"vocal": 1.0, "movement": 0.8},
    "Dyspraxia": {"proprioceptive": 0.8, "vestibular": 0.8},
    "OCD": {"tactile": 0.8, "visual": 0.6},
    "PTSD": {"proprioceptive": 1.0, "olfactory": 0.8},
    "Depression": {"olfactory": 0.8, "auditory": 0.6, "movement": 0.4},
    "Dyslexia": {"auditory": 0.6, "movement": 0.6, "tactile": 0.4},
    "Bipolar disorder": {"movement": 0.8, "auditory": 0.6},
    "Fragile X syndrome": {"oral": 1.0, "vestibular": 0.8, "proprioceptive": 0.6},
}
# Beta(a, b) for harm aversion and for stimming essentiality before the condition boost.
HARM_AVERSION_BETA = (5.0, 2.0)
ESSENTIALITY_BETA = (2.5, 2.0)
ESSENTIALITY_PER_CONDITION = 0.06
# Standard deviation of the personal noise on feedback, drawn uniformly in this range, and of
# the personal rating bias (some people rate everything generously).
NOISE_LEVEL_RANGE = (0.2, 0.7)
RATING_BIAS_SD = 0.25

# --- The true affinity of a person for a stim.
WEIGHT_CONDITIONS = 1.0
WEIGHT_HOBBIES = 0.6
WEIGHT_PREFERRED_CATEGORY = 1.0
WEIGHT_AGE = 0.5
WEIGHT_HARM = 2.5
# Age group -> category -> effect in [-1, 1]: children seek movement and mouthing, adults
# the quiet, discreet kinds they can do at work.
AGE_CATEGORY_EFFECT = {
    "child": {"vestibular": 1.0, "oral": 0.8, "movement": 0.6, "vocal": 0.4, "olfactory": -0.4},
    "teen": {"auditory": 0.6, "tactile": 0.4, "movement": 0.3, "visual": 0.3, "oral": -0.3},
    "adult": {
        "tactile": 0.6,
        "olfactory": 0.4,
        "proprioceptive": 0.3,
        "oral": -0.4,
        "vocal": -0.4,
        "vestibular": -0.3,
    },
    "older": {"tactile": 0.6, "olfactory": 0.5, "auditory": 0.4, "vestibular": -0.6},
}
# affinity = (raw - centre) / scale: about mean 0 and standard deviation 1 on the shipped
# catalogue, so the thresholds below read in standard deviations.
AFFINITY_CENTRE = 0.34
AFFINITY_SCALE = 0.73

# --- Which stims a person tried: a softmax over affinity, mixed with a uniform share.
TRIED_RANGE = (8, 30)
TRY_TEMPERATURE = 0.7
TRY_UNIFORM_SHARE = 0.3

# --- Harmful stims people already do.
HARMFUL_THRESHOLD = 0.65
HARMFUL_HABIT_BASE = 0.07
HARMFUL_HABIT_CONDITION_BOOST = {
    "OCD": 0.15,
    "Anxiety": 0.10,
    "Fragile X syndrome": 0.10,
    "ADHD": 0.06,
    "PTSD": 0.05,
    "Autism": 0.04,
    "Depression": 0.04,
}
# A harmful stim sharing k conditions with the person is (1 + k * this) times as likely.
HARMFUL_HABIT_CONDITION_MATCH = 2.0
# Number of current stims ~ Binomial(3, base + slope * essentiality).
CURRENT_STIMS_MAX = 3
CURRENT_STIMS_BASE = 0.15
CURRENT_STIMS_ESSENTIALITY = 0.6

# --- Observed feedback: observed = affinity + rating_bias + noise_level * N(0, 1).
RATING_THRESHOLDS = (-0.8, -0.15, 0.55, 1.35)
USAGE_AT_RATING_3 = 2.0
USAGE_PER_RATING = 0.9
USAGE_PER_ESSENTIALITY = 2.5
USAGE_NOISE_SD = 0.6
STILL_USING_AT_RATING_3 = -0.5
STILL_USING_PER_RATING = 1.5
STILL_USING_PER_ESSENTIALITY = 2.0
HARM_REPORT_FLOOR = 0.01
HARM_REPORT_WEIGHT = 0.75
DISMISS_PROBABILITY_BY_RATING = {1: 0.5, 2: 0.2}
DISMISSED_UNRATED_SHARE = 0.35
RATING_SKIPPED_SHARE = 0.05
USAGE_SKIPPED_SHARE = 0.20


@dataclass(frozen=True, eq=False)
class SyntheticPopulation:
    """The public frames (users, interactions) and the hidden truth they were drawn from."""

    users: pd.DataFrame
    interactions: pd.DataFrame
    preferences: pd.DataFrame
    affinity: pd.DataFrame


@dataclass(frozen=True)
class _Stims:
    names: np.ndarray
    categories: pd.Index
    category_of: np.ndarray  # category index per stim
    conditions: pd.Index
    condition_matrix: np.ndarray  # stims x conditions, bool
    hobbies: pd.Index
    hobby_matrix: np.ndarray  # stims x hobbies, bool
    harmfulness: np.ndarray


@dataclass(frozen=True)
class _People:
    usernames: np.ndarray
    age_group: np.ndarray  # index into AGE_GROUPS
    age: np.ndarray
    age_reported: pd.arrays.IntegerArray
    gender: np.ndarray
    sexuality: np.ndarray
    has_condition: np.ndarray  # people x conditions, bool
    has_hobby: np.ndarray  # people x hobbies, bool
    prefers: np.ndarray  # people x categories, bool
    harm_aversion: np.ndarray
    essentiality: np.ndarray
    noise_level: np.ndarray
    rating_bias: np.ndarray


def load_catalogue(path: Path | str = CATALOGUE_PATH) -> pd.DataFrame:
    """Read the shipped catalogue; empty tag lists stay "" rather than becoming NaN."""
    return pd.read_csv(path, keep_default_na=False, dtype={"harmfulness_score": float})


def generate_population(
    catalogue: pd.DataFrame,
    *,
    n_users: int,
    seed: int,
    reference_time: pd.Timestamp | str = DEFAULT_REFERENCE_TIME,
    tried_range: tuple[int, int] = TRIED_RANGE,
) -> SyntheticPopulation:
    """Draw n_users people and their feedback; the same arguments always give the same frames.

    Feedback times fall in the HISTORY_DAYS before reference_time (naive means UTC). Each
    person tries between tried_range[0] and tried_range[1] stims (at most the catalogue).
    """
    if n_users < 1:
        raise ValueError("n_users must be at least 1")
    if not 1 <= tried_range[0] <= tried_range[1]:
        raise ValueError(
            f"tried_range must be (low, high) with 1 <= low <= high, not {tried_range}"
        )
    stims = _stims_from_catalogue(catalogue)
    rng = np.random.default_rng(seed)
    people = _draw_people(rng, n_users=n_users, stims=stims)
    affinity = _true_affinity(people=people, stims=stims)
    habit = _draw_harmful_habits(rng, has_condition=people.has_condition, stims=stims)

    tried_counts = rng.integers(tried_range[0], tried_range[1] + 1, n_users)
    exposure = np.exp((affinity - affinity.max(axis=1, keepdims=True)) / TRY_TEMPERATURE)
    exposure /= exposure.sum(axis=1, keepdims=True)
    tried = _sample_without_replacement(
        rng,
        weights=(1 - TRY_UNIFORM_SHARE) * exposure + TRY_UNIFORM_SHARE / len(stims.names),
        counts=np.minimum(tried_counts, len(stims.names)),
    )
    user_idx, stim_idx = np.nonzero(tried)
    observed, feedback = _draw_feedback(
        rng,
        user_idx=user_idx,
        stim_idx=stim_idx,
        affinity=affinity,
        people=people,
        harmfulness=stims.harmfulness,
        habit=habit,
    )
    created_at = _draw_times(
        rng, user_idx=user_idx, n_users=n_users, reference_time=pd.Timestamp(reference_time)
    )
    current = _pick_current_stims(
        rng,
        user_idx=user_idx,
        stim_idx=stim_idx,
        observed=observed,
        still_using=feedback["still_using"],
        habit=habit,
        people=people,
        stims=stims,
    )

    users = pd.DataFrame(
        {
            "username": people.usernames,
            "age": people.age_reported,
            "gender": people.gender,
            "sexuality": people.sexuality,
            "conditions": _join_rows(people.has_condition, names=stims.conditions.to_numpy()),
            "hobbies": _join_rows(people.has_hobby, names=stims.hobbies.to_numpy()),
            "stimming_essentiality_score": people.essentiality,
            "current_stims": _join_rows(current, names=stims.names),
        }
    )
    interactions = pd.DataFrame(
        {
            "username": people.usernames[user_idx],
            "stim": stims.names[stim_idx],
            "created_at": created_at,
            **feedback,
        }
    ).sort_values(["username", "created_at", "stim"], kind="stable", ignore_index=True)
    preferences = pd.DataFrame(
        {
            "username": people.usernames,
            "age": people.age,
            "age_group": np.array(list(AGE_GROUPS), dtype=object)[people.age_group],
            "preferred_categories": _join_rows(people.prefers, names=stims.categories.to_numpy()),
            "harm_aversion": people.harm_aversion,
            "noise_level": people.noise_level,
            "rating_bias": people.rating_bias,
            "harmful_habit": np.where(habit >= 0, stims.names[np.maximum(habit, 0)], ""),
        }
    )
    affinity_frame = pd.DataFrame(
        {
            "username": np.repeat(people.usernames, len(stims.names)),
            "stim": np.tile(stims.names, n_users),
            "affinity": affinity.ravel(),
        }
    )
    return SyntheticPopulation(
        users=users[list(USER_COLUMNS)],
        interactions=interactions[list(INTERACTION_COLUMNS)],
        preferences=preferences[list(PREFERENCE_COLUMNS)],
        affinity=affinity_frame[list(AFFINITY_COLUMNS)],
    )


def _stims_from_catalogue(catalogue: pd.DataFrame) -> _Stims:
    missing = set(CATALOGUE_COLUMNS) - set(catalogue.columns)
    if missing:
        raise ValueError(f"catalogue lacks columns: {sorted(missing)}")
    if catalogue["name"].duplicated().any():
        raise ValueError("catalogue stim names must be unique")
    catalogue = catalogue.reset_index(drop=True)
    categories = pd.Index(sorted(catalogue["category"].unique()))
    conditions, condition_matrix = _multi_hot(catalogue["conditions"])
    hobbies, hobby_matrix = _multi_hot(catalogue["hobbies"])
    if hobbies.empty:
        raise ValueError("catalogue names no hobbies, so people cannot be given any")
    return _Stims(
        names=catalogue["name"].to_numpy(dtype=object),
        categories=categories,
        category_of=categories.get_indexer(catalogue["category"]),
        conditions=conditions,
        condition_matrix=condition_matrix,
        hobbies=hobbies,
        hobby_matrix=hobby_matrix,
        harmfulness=catalogue["harmfulness_score"].to_numpy(dtype=float),
    )


def _multi_hot(lists: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """The vocabulary of a `;`-joined column and each row's membership in it."""
    names = lists.fillna("").astype(str).str.split(SEPARATOR).explode().str.strip()
    names = names[names != ""]
    vocabulary = pd.Index(sorted(names.unique()))
    matrix = np.zeros((len(lists), len(vocabulary)), dtype=bool)
    matrix[names.index.to_numpy(), vocabulary.get_indexer(names)] = True
    return vocabulary, matrix


def _join_rows(mask: np.ndarray, *, names: np.ndarray) -> np.ndarray:
    return np.array([SEPARATOR.join(names[row]) for row in mask], dtype=object)


def _sample_without_replacement(
    rng: np.random.Generator, *, weights: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Row-wise weighted draws without replacement (Efraimidis-Spirakis keys) as a mask.

    Zero weights are never drawn, so a row may get fewer than its count.
    """
    drawable = weights > 0
    keys = np.full(weights.shape, -np.inf)
    keys[drawable] = np.log(1.0 - rng.random(weights.shape))[drawable] / weights[drawable]
    ranks = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
    return (ranks < np.asarray(counts)[:, None]) & drawable


def _draw_people(rng: np.random.Generator, *, n_users: int, stims: _Stims) -> _People:
    width = max(4, len(str(n_users)))
    age_group, age = _draw_ages(rng, n_users=n_users)
    gender = _draw_optional_choice(
        rng, shares=GENDER_SHARES, blank_share=np.full(n_users, GENDER_BLANK_SHARE)
    )
    sexuality = _draw_optional_choice(
        rng,
        shares=SEXUALITY_SHARES,
        blank_share=np.where(age < SEXUALITY_MIN_AGE, 1.0, SEXUALITY_BLANK_SHARE),
    )
    age_blank = rng.random(n_users) < AGE_BLANK_SHARE
    has_condition = _draw_conditions(rng, n_users=n_users, conditions=stims.conditions)
    hobby_counts = 1 + rng.choice(len(HOBBY_COUNT_SHARES), size=n_users, p=HOBBY_COUNT_SHARES)
    has_hobby = _sample_without_replacement(
        rng,
        weights=np.ones((n_users, len(stims.hobbies))),
        counts=np.minimum(hobby_counts, len(stims.hobbies)),
    )
    prefers = _draw_preferred_categories(rng, has_condition=has_condition, stims=stims)
    harm_aversion = rng.beta(*HARM_AVERSION_BETA, size=n_users).round(2)
    essentiality = np.clip(
        rng.beta(*ESSENTIALITY_BETA, size=n_users)
        + ESSENTIALITY_PER_CONDITION * has_condition.sum(axis=1),
        0.0,
        1.0,
    ).round(2)
    return _People(
        usernames=np.array(
            [f"{USERNAME_PREFIX}{i:0{width}d}" for i in range(1, n_users + 1)], dtype=object
        ),
        age_group=age_group,
        age=age,
        age_reported=pd.array(np.where(age_blank, pd.NA, age), dtype="Int64"),
        gender=gender,
        sexuality=sexuality,
        has_condition=has_condition,
        has_hobby=has_hobby,
        prefers=prefers,
        harm_aversion=harm_aversion,
        essentiality=essentiality,
        noise_level=rng.uniform(*NOISE_LEVEL_RANGE, size=n_users).round(2),
        rating_bias=rng.normal(0.0, RATING_BIAS_SD, size=n_users).round(2),
    )


def _draw_ages(rng: np.random.Generator, *, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.array([(low, high) for low, high, _ in AGE_GROUPS.values()])
    shares = np.array([share for _, _, share in AGE_GROUPS.values()])
    group = rng.choice(len(AGE_GROUPS), size=n_users, p=shares / shares.sum())
    age = rng.integers(bounds[group, 0], bounds[group, 1] + 1)
    return group, age


def _draw_optional_choice(
    rng: np.random.Generator, *, shares: dict[str, float], blank_share: np.ndarray
) -> np.ndarray:
    values = np.array(list(shares), dtype=object)
    p = np.array(list(shares.values()))
    chosen = values[rng.choice(len(values), size=len(blank_share), p=p / p.sum())]
    return np.where(rng.random(len(blank_share)) < blank_share, "", chosen)


def _draw_conditions(rng: np.random.Generator, *, n_users: int, conditions: pd.Index) -> np.ndarray:
    """Correlated conditions: a Gaussian copula thresholded at each prevalence, capped."""
    if conditions.empty:
        return np.zeros((n_users, 0), dtype=bool)
    correlation = np.full((len(conditions), len(conditions)), CONDITION_BASE_CORRELATION)
    for (first, second), value in CONDITION_CORRELATIONS.items():
        if first in conditions and second in conditions:
            i, j = conditions.get_loc(first), conditions.get_loc(second)
            correlation[i, j] = correlation[j, i] = value
    np.fill_diagonal(correlation, 1.0)
    latent = rng.standard_normal((n_users, len(conditions))) @ np.linalg.cholesky(correlation).T
    prevalence = [
        CONDITION_PREVALENCE.get(name, DEFAULT_CONDITION_PREVALENCE) for name in conditions
    ]
    margin = latent - np.array([NormalDist().inv_cdf(1.0 - p) for p in prevalence])
    strongest = np.argsort(np.argsort(-margin, axis=1), axis=1) < MAX_CONDITIONS
    return (margin > 0) & strongest


def _category_table(
    table: dict[str, dict[str, float]], *, rows: pd.Index, categories: pd.Index
) -> np.ndarray:
    return np.array(
        [[table.get(row, {}).get(category, 0.0) for category in categories] for row in rows]
    )


def _draw_preferred_categories(
    rng: np.random.Generator, *, has_condition: np.ndarray, stims: _Stims
) -> np.ndarray:
    pull = has_condition @ _category_table(
        CONDITION_CATEGORY_PULL, rows=stims.conditions, categories=stims.categories
    )
    n_users = len(has_condition)
    counts = 1 + rng.choice(
        len(PREFERRED_CATEGORY_COUNT_SHARES), size=n_users, p=PREFERRED_CATEGORY_COUNT_SHARES
    )
    # Sampling with weights exp(pull) is the Gumbel-top-k draw from logits `pull`.
    return _sample_without_replacement(
        rng, weights=np.exp(pull), counts=np.minimum(counts, len(stims.categories))
    )


def _true_affinity(*, people: _People, stims: _Stims) -> np.ndarray:
    """users x stims: the noise-free score that feedback and trying are drawn from."""
    stim_category = np.eye(len(stims.categories), dtype=bool)[stims.category_of]
    age_effect = _category_table(
        AGE_CATEGORY_EFFECT, rows=pd.Index(list(AGE_GROUPS)), categories=stims.categories
    )
    raw = (
        WEIGHT_CONDITIONS * _cosine_overlap(people.has_condition, stims.condition_matrix)
        + WEIGHT_HOBBIES * _cosine_overlap(people.has_hobby, stims.hobby_matrix)
        + WEIGHT_PREFERRED_CATEGORY * (people.prefers.astype(float) @ stim_category.T)
        + WEIGHT_AGE * (age_effect[people.age_group] @ stim_category.T)
        - WEIGHT_HARM * np.outer(people.harm_aversion, stims.harmfulness)
    )
    return ((raw - AFFINITY_CENTRE) / AFFINITY_SCALE).round(4)


def _cosine_overlap(people: np.ndarray, stims: np.ndarray) -> np.ndarray:
    """Shared tags over sqrt(|person's| * |stim's|): 0 when either has none."""
    shared = people.astype(float) @ stims.T.astype(float)
    sizes = np.sqrt(np.outer(people.sum(axis=1), stims.sum(axis=1)))
    return np.divide(shared, sizes, out=np.zeros_like(shared), where=sizes > 0)


def _draw_harmful_habits(
    rng: np.random.Generator, *, has_condition: np.ndarray, stims: _Stims
) -> np.ndarray:
    """Per person the index of a harmful stim they already do, or -1."""
    n_users = len(has_condition)
    harmful = stims.harmfulness >= HARMFUL_THRESHOLD
    boost = np.array(
        [HARMFUL_HABIT_CONDITION_BOOST.get(name, 0.0) for name in stims.conditions], dtype=float
    )
    has_habit = rng.random(n_users) < np.clip(HARMFUL_HABIT_BASE + has_condition @ boost, 0, 1)
    shared = has_condition.astype(float) @ stims.condition_matrix.T.astype(float)
    chosen = _sample_without_replacement(
        rng,
        weights=np.where(harmful, 1.0 + HARMFUL_HABIT_CONDITION_MATCH * shared, 0.0),
        counts=np.ones(n_users, dtype=int),
    )
    return np.where(has_habit & chosen.any(axis=1), chosen.argmax(axis=1), -1)


def _draw_feedback(
    rng: np.random.Generator,
    *,
    user_idx: np.ndarray,
    stim_idx: np.ndarray,
    affinity: np.ndarray,
    people: _People,
    harmfulness: np.ndarray,
    habit: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The latent observed score and, per tried (person, stim), every signal shown.

    The signals honour the product's rules (the Interaction constraints).
    """
    n = len(user_idx)
    ess = people.essentiality[user_idx]
    observed = (
        affinity[user_idx, stim_idx]
        + people.rating_bias[user_idx]
        + people.noise_level[user_idx] * rng.standard_normal(n)
    )
    rating = 1 + np.searchsorted(RATING_THRESHOLDS, observed)
    usage = np.clip(
        np.rint(
            USAGE_AT_RATING_3
            + USAGE_PER_RATING * (rating - 3)
            + USAGE_PER_ESSENTIALITY * (ess - 0.5)
            + USAGE_NOISE_SD * rng.standard_normal(n)
        ),
        0,
        4,
    ).astype(int)
    still_logit = (
        STILL_USING_AT_RATING_3
        + STILL_USING_PER_RATING * (rating - 3)
        + STILL_USING_PER_ESSENTIALITY * (ess - 0.5)
    )
    still_using = (rng.random(n) < 1 / (1 + np.exp(-still_logit))) & (usage > 0)
    harm_reported = (
        rng.random(n) < HARM_REPORT_FLOOR + HARM_REPORT_WEIGHT * harmfulness[stim_idx] ** 2
    )
    dismiss_p = np.array([DISMISS_PROBABILITY_BY_RATING.get(r, 0.0) for r in range(1, 6)])
    dismissed = rng.random(n) < dismiss_p[rating - 1]

    # A harmful stim a person does now is one they still use, whatever they think of it.
    is_habit = habit[user_idx] == stim_idx
    dismissed &= ~is_habit
    still_using = (still_using & ~dismissed) | is_habit
    usage = np.where(is_habit, np.maximum(usage, 2), usage)

    rating_shown = ~np.where(
        dismissed,
        rng.random(n) < DISMISSED_UNRATED_SHARE,
        rng.random(n) < RATING_SKIPPED_SHARE,
    )
    usage_shown = ~dismissed & (rng.random(n) >= USAGE_SKIPPED_SHARE)
    # Every row must carry a signal: with nothing else to show, the rating stays.
    rating_shown |= ~(usage_shown | still_using | harm_reported | dismissed)
    return observed, {
        "rating": pd.array(np.where(rating_shown, rating, pd.NA), dtype="Int64"),
        "usage_frequency": pd.array(np.where(usage_shown, usage, pd.NA), dtype="Int64"),
        "still_using": still_using,
        "harm_reported": harm_reported,
        "dismissed": dismissed,
    }


def _draw_times(
    rng: np.random.Generator, *, user_idx: np.ndarray, n_users: int, reference_time: pd.Timestamp
) -> np.ndarray:
    """ISO 8601 UTC minutes: each person joins within the window and gives feedback after."""
    if reference_time.tzinfo is None:
        reference_time = reference_time.tz_localize("UTC")
    window_minutes = HISTORY_DAYS * 24 * 60
    joined_ago = rng.random(n_users) * window_minutes
    minutes_ago = np.floor(joined_ago[user_idx] * (1.0 - rng.random(len(user_idx)))).astype(int)
    times = reference_time.tz_convert("UTC") - pd.to_timedelta(minutes_ago, unit="min")
    return times.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_numpy(dtype=object)


def _pick_current_stims(
    rng: np.random.Generator,
    *,
    user_idx: np.ndarray,
    stim_idx: np.ndarray,
    observed: np.ndarray,
    still_using: np.ndarray,
    habit: np.ndarray,
    people: _People,
    stims: _Stims,
) -> np.ndarray:
    """users x stims mask: the harmful habit, if any, then the best-liked safe stims in use."""
    n_users, n_stims = len(habit), len(stims.names)
    wanted = rng.binomial(
        CURRENT_STIMS_MAX, CURRENT_STIMS_BASE + CURRENT_STIMS_ESSENTIALITY * people.essentiality
    )
    has_habit = habit >= 0
    safe_slots = np.maximum(wanted - has_habit, 0)
    candidate = still_using & (stims.harmfulness[stim_idx] < HARMFUL_THRESHOLD)
    score = np.full((n_users, n_stims), -np.inf)
    score[user_idx[candidate], stim_idx[candidate]] = observed[candidate]
    ranks = np.argsort(np.argsort(-score, axis=1, kind="stable"), axis=1, kind="stable")
    current = (ranks < safe_slots[:, None]) & np.isfinite(score)
    current[np.flatnonzero(has_habit), habit[has_habit]] = True
    return current


def model_frames(
    population: SyntheticPopulation, catalogue: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The population as the frames preprocess_data takes: (interactions, users, stims).

    Usernames and stim names serve as the keys, and ';'-joined cells become lists, as
    recommender.data gives them from the database.
    """

    def split(cells: pd.Series) -> pd.Series:
        return cells.fillna("").astype(str).map(lambda cell: cell.split(SEPARATOR) if cell else [])

    users = population.users.rename(
        columns={"username": "user_id", "conditions": "neurodivergent_conditions"}
    ).assign(
        neurodivergent_conditions=lambda frame: split(frame["neurodivergent_conditions"]),
        hobbies=lambda frame: split(frame["hobbies"]),
        current_stims=lambda frame: split(frame["current_stims"]),
    )
    stims = catalogue.assign(
        stim_id=catalogue["name"],
        conditions=split(catalogue["conditions"]),
        hobbies=split(catalogue["hobbies"]),
    )
    interactions = population.interactions.rename(
        columns={"username": "user_id", "stim": "stim_id"}
    )
    return interactions, users, stims
