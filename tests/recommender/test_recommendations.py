"""recommendations_for_user: the harm policy, safer alternatives, the model and its fallback."""

import logging
import shutil
from pathlib import Path
from unittest import mock

import hypothesis
import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from recommender import selectors, serving
from recommender.ml.artifacts import MANIFEST_FILE, WEIGHTS_FILE
from recommender.ml.preprocessing import encode_user
from recommender.ml.scoring import Scorer
from recommender.models import ModelVersion, model_storage
from recommender.selectors import (
    MIN_CONDITION_FEEDBACK,
    SOURCE_MODEL,
    SOURCE_POPULARITY,
    recommendations_for_user,
)
from stims.models import Category
from tests.factories import ConditionFactory, HobbyFactory, InteractionFactory, StimFactory
from tests.recommender.factories import ModelVersionFactory, ProfileFactory
from users.models import Profile

CONDITIONS = ("ADHD", "Anxiety", "Autism")
FEEDBACK = (None, "rated", "dismissed", "harm_reported")


@pytest.fixture
def model_scores(db, monkeypatch):
    """An active version whose scores the test chooses, by stim name (0 for a stim not named):
    a dict to fill. No artifact is loaded."""
    ModelVersionFactory(status=ModelVersion.Status.ACTIVE)
    chosen: dict[str, float] = {}

    def scores(stamp, catalogue, person) -> np.ndarray:
        return np.array([chosen.get(stim.name, 0.0) for stim in catalogue.facts], np.float32)

    monkeypatch.setattr(selectors, "_model_scores", scores)
    return chosen


def feedback(person, stim, kind: str) -> None:
    """One interaction of the person on the stim: "rated", "dismissed" or "harm_reported"."""
    InteractionFactory(
        user=person, stim=stim, dismissed=kind == "dismissed", harm_reported=kind == "harm_reported"
    )


def names(stims) -> list[str]:
    return [stim.name for stim in stims]


# -- the harm policy, for any catalogue and any scores ------------------------------------------

stim_cases = st.lists(
    st.fixed_dictionaries(
        {
            # the thresholds below are often drawn too, so "at the threshold" is tried
            "harm": st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.3, 0.6, 0.9, 1.0])),
            "category": st.sampled_from(Category.values),
            "conditions": st.sets(st.sampled_from(CONDITIONS)),
            "score": st.floats(-100, 100, width=32),
            "current": st.booleans(),
            "feedback": st.sampled_from(FEEDBACK),
        }
    ),
    min_size=1,
    max_size=30,
)
queries = st.lists(
    st.tuples(st.integers(1, django_settings.RECOMMENDER_MAX_K), st.booleans()),
    min_size=1,
    max_size=3,
)


@pytest.mark.django_db
@pytest.mark.parametrize("random_threshold", [False, True], ids=["default", "random threshold"])
@hypothesis.settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cases=stim_cases,
    conditions=st.sets(st.sampled_from(CONDITIONS)),
    asked=queries,
    threshold=st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.3, 0.9, 1.0])),
)
def test_no_harmful_stim_is_ever_listed_and_lists_are_the_best_eligible_stims_by_score(
    settings, random_threshold, cases, conditions, asked, threshold
):
    with transaction.atomic():
        serving.held_reset()
        cache.delete(serving.STAMP_KEY)
        if random_threshold:
            settings.RECOMMENDER_HARM_THRESHOLD = threshold
        person, by_id = example_make(cases, conditions)
        scores = np.array([case["score"] for case in cases], np.float32)  # stims in id order

        with mock.patch.object(selectors, "_model_scores", return_value=scores):
            for k, exclude_current in asked:
                found = recommendations_for_user(user=person, k=k, exclude_current=exclude_current)
                policy_check(found, by_id, k=k, exclude_current=exclude_current)
        transaction.set_rollback(True)


def example_make(cases: list[dict], conditions: set[str]) -> tuple:
    """An active version, the generated catalogue and a person: (person, case by stim id)."""
    ModelVersionFactory(status=ModelVersion.Status.ACTIVE)
    made = [
        (
            StimFactory(
                category=case["category"],
                harmfulness_score=case["harm"],
                conditions=[ConditionFactory(name=name) for name in sorted(case["conditions"])],
            ),
            case,
        )
        for case in cases
    ]
    person = ProfileFactory(
        neurodivergent_conditions=[ConditionFactory(name=name) for name in conditions],
        current_stims=[stim for stim, case in made if case["current"]],
    ).user
    for stim, case in made:
        if case["feedback"]:
            feedback(person, stim, case["feedback"])
    return person, {stim.pk: case for stim, case in made}


def policy_check(found, by_id: dict[int, dict], *, k: int, exclude_current: bool) -> None:
    limit = django_settings.RECOMMENDER_HARM_THRESHOLD
    listed = [by_id[stim.stim_id] for stim in found.stims]
    offered = [by_id[stim.stim_id] for alt in found.safer_alternatives for stim in alt.stims]
    assert all(case["harm"] < limit for case in listed + offered)
    assert all(case["feedback"] in (None, "rated") and not case["current"] for case in offered)
    eligible = [
        case
        for case in by_id.values()
        if case["harm"] < limit
        and case["feedback"] in (None, "rated")
        and not (exclude_current and case["current"])
    ]
    assert len(found.stims) == min(k, len(eligible))
    scores = [stim.score for stim in found.stims]
    assert scores == sorted(scores, reverse=True)
    assert scores == [float(np.float32(case["score"])) for case in listed]
    left_out = [case for case in eligible if not any(case is shown for shown in listed)]
    assert all(np.float32(case["score"]) <= scores[-1] for case in left_out), (
        "a stim left out scored above one listed"
    )


# -- safer alternatives -------------------------------------------------------------------------


def test_a_harmful_current_stim_gets_safe_alternatives_of_the_same_kind_best_first(
    model_scores,
):
    skin_picking = StimFactory(
        name="Skin picking", category=Category.TACTILE, harmfulness_score=0.85
    )
    tactile = {
        name: StimFactory(name=name, category=Category.TACTILE, harmfulness_score=harm)
        for name, harm in [
            ("Textured fabric swatch", 0.01),
            ("Fidget cube", 0.02),
            ("Therapy putty", 0.02),
            ("Worry stone", 0.01),
            ("Kinetic sand", 0.02),
            ("Hair pulling", 0.85),
        ]
    }
    StimFactory(name="Weighted blanket", category=Category.PROPRIOCEPTIVE, harmfulness_score=0.02)
    model_scores.update(
        {
            "Kinetic sand": 0.99,  # dismissed
            "Hair pulling": 0.95,  # harmful
            "Weighted blanket": 0.9,  # another kind, scored above every tactile stim
            "Textured fabric swatch": 0.7,
            "Fidget cube": 0.5,
            "Therapy putty": 0.3,
            "Worry stone": 0.1,
        }
    )
    person = ProfileFactory(current_stims=[skin_picking]).user
    feedback(person, tactile["Kinetic sand"], "dismissed")

    found = recommendations_for_user(user=person)

    (alternatives,) = found.safer_alternatives
    assert alternatives.instead_of.name == "Skin picking"
    assert alternatives.instead_of.current
    assert names(alternatives.stims) == ["Textured fabric swatch", "Fidget cube", "Therapy putty"]
    assert all(stim.harm_band == "low" for stim in alternatives.stims)


def test_safer_alternatives_fall_back_to_the_nearest_kinds_in_order_when_none_of_its_own(
    model_scores,
):
    hand_biting = StimFactory(name="Hand biting", category=Category.ORAL, harmfulness_score=0.9)
    StimFactory(name="Nail biting", category=Category.ORAL, harmfulness_score=0.7)
    StimFactory(name="Stress ball", category=Category.TACTILE, harmfulness_score=0.02)
    for name in ("Weighted blanket", "Wall push-ups", "Bear hugs"):
        StimFactory(name=name, category=Category.PROPRIOCEPTIVE, harmfulness_score=0.02)
    StimFactory(name="Lava lamp", category=Category.VISUAL, harmfulness_score=0.01)
    model_scores.update(
        {
            "Nail biting": 0.99,
            "Lava lamp": 0.95,  # visual: not near oral
            "Weighted blanket": 0.9,
            "Wall push-ups": 0.8,
            "Bear hugs": 0.7,
            "Stress ball": 0.1,  # tactile: the nearest kind to oral, so first despite its score
        }
    )
    person = ProfileFactory(current_stims=[hand_biting]).user

    (alternatives,) = recommendations_for_user(user=person).safer_alternatives

    assert alternatives.instead_of.name == "Hand biting"
    assert names(alternatives.stims) == ["Stress ball", "Weighted blanket", "Wall push-ups"]


# -- the person's own feedback and current stims ------------------------------------------------


@pytest.mark.parametrize("kind", ["dismissed", "harm_reported"])
def test_a_stim_the_person_dismissed_or_reported_harm_for_is_never_recommended(model_scores, kind):
    stims = {name: StimFactory(name=name) for name in ("Fidget cube", "Slime", "Stress ball")}
    model_scores.update({"Slime": 0.9, "Fidget cube": 0.5, "Stress ball": 0.1})
    person = ProfileFactory().user
    feedback(person, stims["Slime"], kind)
    feedback(person, stims["Stress ball"], "rated")

    assert names(recommendations_for_user(user=person).stims) == ["Fidget cube", "Stress ball"]


@pytest.mark.parametrize(
    ("exclude_current", "expected"),
    [
        (False, [("Humming", True), ("Fidget cube", False), ("Pacing", False)]),
        (True, [("Fidget cube", False), ("Pacing", False)]),
    ],
)
def test_current_stims_are_kept_and_flagged_unless_excluded(
    model_scores, exclude_current, expected
):
    humming = StimFactory(name="Humming", category=Category.VOCAL)
    StimFactory(name="Fidget cube")
    StimFactory(name="Pacing", category=Category.MOVEMENT)
    model_scores.update({"Humming": 0.9, "Fidget cube": 0.5, "Pacing": 0.1})
    person = ProfileFactory(current_stims=[humming]).user

    found = recommendations_for_user(user=person, exclude_current=exclude_current)

    assert [(stim.name, stim.current) for stim in found.stims] == expected


def test_staff_unfiltered_lists_show_withheld_stims_with_why_and_are_never_cached(
    model_scores, monkeypatch, settings
):
    threshold = settings.RECOMMENDER_HARM_THRESHOLD
    harmful = StimFactory(
        name="Head banging", category=Category.PROPRIOCEPTIVE, harmfulness_score=0.95
    )
    dismissed, reported = StimFactory(name="Slime"), StimFactory(name="Ice chewing")
    StimFactory(name="Fidget cube")
    model_scores.update({"Head banging": 0.9, "Slime": 0.8, "Ice chewing": 0.7})
    person = ProfileFactory().user
    feedback(person, dismissed, "dismissed")
    feedback(person, reported, "harm_reported")
    filtered = recommendations_for_user(user=person)  # cached
    compute = mock.Mock(wraps=selectors._ranking_compute)
    monkeypatch.setattr(selectors, "_ranking_compute", compute)

    found = recommendations_for_user(user=person, unfiltered=True)

    assert found.unfiltered
    assert [(stim.name, stim.withheld) for stim in found.stims] == [
        (harmful.name, f"harmfulness at or above the threshold {threshold}"),
        (dismissed.name, "dismissed by this person"),
        (reported.name, "this person reported harm"),
        ("Fidget cube", ""),
    ]
    assert recommendations_for_user(user=person) == filtered
    assert compute.call_count == 1  # the filtered list came from the cache, untouched
    assert not filtered.unfiltered and names(filtered.stims) == ["Fidget cube"]


# -- the served model ---------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    """A few stims of the shipped catalogue, with their tags."""
    autism, adhd = ConditionFactory(name="Autism"), ConditionFactory(name="ADHD")
    music, coding = HobbyFactory(name="Music"), HobbyFactory(name="Coding")
    return [
        StimFactory(name="Fidget cube", conditions=[autism, adhd], hobbies=[coding]),
        StimFactory(name="Humming", category=Category.VOCAL, conditions=[autism], hobbies=[music]),
        StimFactory(name="Leg bouncing", category=Category.MOVEMENT, conditions=[adhd]),
        StimFactory(name="White noise", category=Category.AUDITORY, hobbies=[coding]),
        StimFactory(name="Weighted blanket", category=Category.PROPRIOCEPTIVE),
    ]


def scores_by_stim(found) -> dict[int, float]:
    return {stim.stim_id: stim.score for stim in found.stims}


def test_a_new_person_with_answers_gets_personal_scores_from_the_model(
    catalogue, activate_served_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = activate_served_model()
    child = ProfileFactory(
        age=9,
        gender=Profile.Gender.MAN,
        stimming_essentiality_score=0.95,
        neurodivergent_conditions=[ConditionFactory(name="Autism")],
        hobbies=[HobbyFactory(name="Music")],
    ).user
    adult = ProfileFactory(
        age=64,
        gender=Profile.Gender.WOMAN,
        stimming_essentiality_score=0.05,
        neurodivergent_conditions=[ConditionFactory(name="ADHD")],
        hobbies=[HobbyFactory(name="Coding")],
    ).user

    found = [recommendations_for_user(user=person) for person in (child, adult)]

    for ranked in found:
        assert (ranked.source, ranked.model_version, ranked.notice) == (
            SOURCE_MODEL,
            version.pk,
            "",
        )
    vectors = [[scores_by_stim(ranked)[stim.pk] for stim in catalogue] for ranked in found]
    assert np.isfinite(vectors).all()
    assert not np.allclose(*vectors)


def test_a_newly_activated_version_serves_at_once_and_a_request_keeps_the_model_it_holds(
    catalogue, activate_served_model, django_capture_on_commit_callbacks
):
    person = ProfileFactory().user
    with django_capture_on_commit_callbacks(execute=True):
        first = activate_served_model()
    assert recommendations_for_user(user=person).model_version == first.pk
    held = serving._Held.model
    before = (held.version_id, held.catalogue_token, held.scorer, held.prepared)

    with django_capture_on_commit_callbacks(execute=True):
        second = activate_served_model()
    found = recommendations_for_user(user=person)

    assert (found.source, found.model_version) == (SOURCE_MODEL, second.pk)
    assert serving._Held.model is not held and serving._Held.model.version_id == second.pk
    assert (held.version_id, held.catalogue_token, held.scorer, held.prepared) == before
    features = selectors._person_read(person).features
    assert held.scorer.score(encode_user(features), held.prepared).shape == (len(catalogue),)


# -- the popularity fallback --------------------------------------------------------------------


def rate(stim, ratings: list[int], conditions=()) -> None:
    """New people, one per rating, each with these conditions, rate the stim."""
    for rating in ratings:
        person = ProfileFactory(neurodivergent_conditions=list(conditions)).user
        InteractionFactory(user=person, stim=stim, rating=rating)


def test_without_an_active_model_the_stims_that_helped_most_people_serve_and_say_why(db):
    helped_most, helped_some, helped_few = (StimFactory(name=name) for name in "ABC")
    rate(helped_most, [5] * 6)
    rate(helped_some, [5] * 3 + [1] * 3)
    rate(helped_few, [4] + [2] * 5)

    found = recommendations_for_user(user=ProfileFactory().user)

    assert (found.source, found.model_version) == (SOURCE_POPULARITY, None)
    assert "no model version is active" in found.notice
    assert names(found.stims) == ["A", "B", "C"]
    assert all(stim.reason == "Popular with people here" for stim in found.stims)


def test_a_person_with_a_condition_gets_the_ranking_among_people_who_share_it(db):
    autism = ConditionFactory(name="Autism")
    loud, quiet = StimFactory(name="Drumming"), StimFactory(name="White noise")
    rate(loud, [5] * 10)
    rate(quiet, [1] * 10)
    for _ in range(MIN_CONDITION_FEEDBACK):  # autistic people: the other way round
        person = ProfileFactory(neurodivergent_conditions=[autism]).user
        InteractionFactory(user=person, stim=loud, rating=1)
        InteractionFactory(user=person, stim=quiet, rating=5)

    everyone = recommendations_for_user(user=ProfileFactory().user)
    autistic = recommendations_for_user(
        user=ProfileFactory(neurodivergent_conditions=[autism]).user
    )

    assert names(everyone.stims) == ["Drumming", "White noise"]
    assert names(autistic.stims) == ["White noise", "Drumming"]
    assert {stim.reason for stim in autistic.stims} == {"Popular with people who have Autism"}


def test_too_little_feedback_from_people_with_the_condition_keeps_the_overall_ranking(db):
    autism = ConditionFactory(name="Autism")
    loud, quiet = StimFactory(name="Drumming"), StimFactory(name="White noise")
    rate(loud, [5] * 10)
    rate(quiet, [1] * 10)
    rate(quiet, [5] * (MIN_CONDITION_FEEDBACK - 1), conditions=[autism])

    found = recommendations_for_user(user=ProfileFactory(neurodivergent_conditions=[autism]).user)

    assert names(found.stims) == ["Drumming", "White noise"]
    assert {stim.reason for stim in found.stims} == {"Popular with people here"}


def break_weights(folder) -> None:
    (folder / WEIGHTS_FILE).write_bytes(b"not an HDF5 file")


def drop_manifest(folder) -> None:
    (folder / MANIFEST_FILE).unlink()


@pytest.mark.parametrize(
    "damage", [break_weights, drop_manifest, shutil.rmtree], ids=["weights", "manifest", "deleted"]
)
def test_a_version_whose_artifact_cannot_load_is_logged_and_popularity_serves(
    catalogue, served_artifact, caplog, damage
):
    folder = Path(model_storage().path("model-broken"))
    shutil.copytree(served_artifact, folder)
    damage(folder)
    broken = ModelVersion.objects.create(status=ModelVersion.Status.ACTIVE, artifact="model-broken")

    with caplog.at_level(logging.ERROR, logger="recommender"):
        found = recommendations_for_user(user=ProfileFactory().user)

    assert (found.source, found.model_version) == (SOURCE_POPULARITY, None)
    assert f"model version {broken.pk} could not be loaded" in found.notice
    (error,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert f"model version {broken.pk} cannot serve" in error.getMessage()


def test_a_model_that_fails_while_scoring_is_logged_and_popularity_serves(
    catalogue, activate_served_model, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        version = activate_served_model()
    monkeypatch.setattr(Scorer, "score", mock.Mock(side_effect=RuntimeError("tensor on fire")))

    with caplog.at_level(logging.ERROR, logger="recommender"):
        found = recommendations_for_user(user=ProfileFactory().user)

    assert (found.source, found.model_version) == (SOURCE_POPULARITY, None)
    assert found.notice.startswith(f"model version {version.pk} failed;")
    assert "tensor on fire" not in found.notice  # the person is not shown the model's insides
    (error,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.getMessage() == f"scoring with model version {version.pk} failed"
    assert error.exc_info[0] is RuntimeError


@pytest.mark.parametrize("k", [0, -1, django_settings.RECOMMENDER_MAX_K + 1])
def test_k_outside_one_to_the_maximum_is_refused(user, k):
    with pytest.raises(ValueError, match="k must lie in"):
        recommendations_for_user(user=user, k=k)


def test_the_json_ready_rendering_is_the_shape_the_serializer_documents(db):
    """The API renders lists with as_dict (fast) and documents them with the serializer."""
    from recommender.serializers import RecommendationsSerializer

    harmful = StimFactory(name="Skin picking", harmfulness_score=0.85)
    StimFactory.create_batch(4)
    person = ProfileFactory(current_stims=[harmful]).user
    found = recommendations_for_user(user=person, k=3)
    assert found.safer_alternatives  # the nested parts are exercised too

    assert found.as_dict() == RecommendationsSerializer(found).data
