"""training_data_read: the ORM as preprocess_data's frames, in a bounded number of queries."""

from datetime import UTC, datetime, timedelta

import pytest

from recommender.data import training_data_read
from recommender.ml.features import INTERACTION_COLUMNS, STIM_COLUMNS, USER_COLUMNS
from recommender.models import Interaction
from stims.models import Stim
from tests.factories import (
    ConditionFactory,
    HobbyFactory,
    InteractionFactory,
    StimFactory,
    UserFactory,
)
from tests.recommender.factories import ProfileFactory
from users.models import Profile

START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def catalogue(db):
    adhd, autism = ConditionFactory(name="ADHD"), ConditionFactory(name="Autism")
    music, gaming = HobbyFactory(name="Music"), HobbyFactory(name="Gaming")
    return {
        "fidget cube": StimFactory(
            name="Fidget cube", conditions=[autism, adhd], hobbies=[gaming, music]
        ),
        "humming": StimFactory(name="Humming", category="auditory", hobbies=[music]),
        "rocking": StimFactory(name="Rocking", category="vestibular"),
        "retired": StimFactory(name="Old gadget", is_active=False, conditions=[adhd]),
        "conditions": (adhd, autism),
        "hobbies": (music, gaming),
    }


@pytest.fixture
def people(catalogue):
    """Robin (every answer), Sam (none) and Kim (inactive), with feedback on every stim."""
    adhd, autism = catalogue["conditions"]
    music, gaming = catalogue["hobbies"]
    robin = ProfileFactory(
        user=UserFactory(username="robin"),
        age=27,
        gender="non_binary",
        sexuality="queer",
        stimming_essentiality_score=0.8,
        neurodivergent_conditions=[autism, adhd],
        hobbies=[music, gaming],
        current_stims=[catalogue["humming"], catalogue["fidget cube"]],
    ).user
    sam = UserFactory(username="sam")
    kim = ProfileFactory(
        user=UserFactory(username="kim", is_active=False), neurodivergent_conditions=[adhd]
    ).user
    minutes = iter(range(100))
    for person in (robin, sam, kim):
        for stim in ("fidget cube", "humming", "retired"):
            InteractionFactory(
                user=person,
                stim=catalogue[stim],
                rating=4,
                created_at=START + timedelta(minutes=next(minutes)),
            )
    return {"robin": robin, "sam": sam, "kim": kim}


def test_frames_have_exactly_the_columns_preprocess_data_takes(people):
    data = training_data_read()
    assert list(data.users.columns) == list(USER_COLUMNS)
    assert list(data.stims.columns) == list(STIM_COLUMNS)
    assert list(data.interactions.columns) == [*INTERACTION_COLUMNS, "created_at"]
    assert data.frames() == (data.interactions, data.users, data.stims)


def test_list_columns_hold_sorted_lists_and_empty_lists_when_none(people, catalogue):
    data = training_data_read()
    users = data.users.set_index("user_id")
    robin, sam = people["robin"].pk, people["sam"].pk
    assert users.at[robin, "neurodivergent_conditions"] == ["ADHD", "Autism"]
    assert users.at[robin, "hobbies"] == ["Gaming", "Music"]
    assert users.at[robin, "current_stims"] == ["Fidget cube", "Humming"]
    assert users.at[robin, "age"] == 27
    assert (users.at[robin, "gender"], users.at[robin, "sexuality"]) == ("non_binary", "queer")
    assert users.at[robin, "stimming_essentiality_score"] == pytest.approx(0.8)
    assert users.loc[sam, ["neurodivergent_conditions", "hobbies", "current_stims"]].tolist() == [
        [],
        [],
        [],
    ]

    stims = data.stims.set_index("stim_id")
    cube, rocking = catalogue["fidget cube"].pk, catalogue["rocking"].pk
    assert stims.at[cube, "conditions"] == ["ADHD", "Autism"]
    assert stims.at[cube, "hobbies"] == ["Gaming", "Music"]
    assert stims.at[cube, "name"] == "Fidget cube"
    assert (stims.at[rocking, "conditions"], stims.at[rocking, "hobbies"]) == ([], [])


def test_retired_stims_and_inactive_or_deleted_users_are_left_out_with_their_feedback(
    people, catalogue
):
    data = training_data_read()
    active_stims = {catalogue[name].pk for name in ("fidget cube", "humming", "rocking")}
    assert set(data.stims["stim_id"]) == active_stims
    assert set(data.users["user_id"]) == {people["robin"].pk, people["sam"].pk}
    pairs = set(zip(data.interactions["user_id"], data.interactions["stim_id"], strict=True))
    assert pairs == {
        (people[person].pk, catalogue[stim].pk)
        for person in ("robin", "sam")
        for stim in ("fidget cube", "humming")
    }

    people["sam"].delete()
    data = training_data_read()
    assert set(data.users["user_id"]) == {people["robin"].pk}
    assert set(data.interactions["user_id"]) == {people["robin"].pk}


def test_snapshot_counts_what_was_read_and_the_latest_feedback(people):
    snapshot = training_data_read().snapshot
    latest = Interaction.objects.filter(user__is_active=True, stim__is_active=True).latest(
        "created_at"
    )
    assert latest.created_at != Interaction.objects.latest("created_at").created_at  # Kim's
    assert snapshot == {
        "users": 2,
        "stims": 3,
        "interactions": 4,
        "latest_interaction_at": latest.created_at.isoformat(),
        "fingerprint": snapshot["fingerprint"],
    }
    assert len(snapshot["fingerprint"]) == 16


def test_an_empty_database_reads_as_empty_frames(db):
    """A new deployment (or a catalogue with nobody in it yet) must not crash the schedule."""
    data = training_data_read()
    assert (len(data.users), len(data.stims), len(data.interactions)) == (0, 0, 0)
    assert data.snapshot["latest_interaction_at"] is None


def test_a_catalogue_without_people_reads_as_empty_user_and_interaction_frames(catalogue):
    data = training_data_read()
    assert len(data.stims) == 3
    assert (len(data.users), len(data.interactions)) == (0, 0)


def add_people(count: int, catalogue) -> None:
    """People with every kind of answer and feedback, so a per-row query would show."""
    stims = [catalogue[name] for name in ("fidget cube", "humming", "rocking")]
    for _ in range(count):
        profile = ProfileFactory(
            neurodivergent_conditions=catalogue["conditions"],
            hobbies=catalogue["hobbies"][:1],
            current_stims=stims[:1],
        )
        for stim in stims:
            InteractionFactory(user=profile.user, stim=stim)


def test_the_number_of_queries_does_not_grow_with_the_data(
    catalogue, django_assert_max_num_queries
):
    add_people(10, catalogue)
    with django_assert_max_num_queries(10) as small:
        assert len(training_data_read().users) == 10
    add_people(50, catalogue)
    with django_assert_max_num_queries(10) as large:
        assert len(training_data_read().interactions) == 180
    assert len(large.captured_queries) == len(small.captured_queries)


def fingerprint() -> str:
    return training_data_read().snapshot["fingerprint"]


def test_fingerprint_is_stable_for_the_same_data(people):
    assert fingerprint() == fingerprint()


def rating_changed(people, catalogue):
    Interaction.objects.filter(user=people["robin"]).update(rating=2)


def feedback_added(people, catalogue):
    InteractionFactory(user=people["robin"], stim=catalogue["rocking"])


def feedback_erased(people, catalogue):
    Interaction.objects.filter(user=people["sam"]).delete()


def profile_answer_changed(people, catalogue):
    Profile.objects.filter(user=people["sam"]).update(age=45)


def hobby_added(people, catalogue):
    people["sam"].profile.hobbies.add(catalogue["hobbies"][0])


def stim_condition_added(people, catalogue):
    catalogue["humming"].conditions.add(catalogue["conditions"][1])


def stim_added(people, catalogue):
    StimFactory(name="Chewing")


def stim_described(people, catalogue):
    Stim.objects.filter(pk=catalogue["rocking"].pk).update(description="Rocking, slowly.")


def stim_retired(people, catalogue):
    Stim.objects.filter(pk=catalogue["rocking"].pk).update(is_active=False)


@pytest.mark.parametrize(
    "change",
    [
        rating_changed,
        feedback_added,
        feedback_erased,
        profile_answer_changed,
        hobby_added,
        stim_condition_added,
        stim_added,
        stim_described,
        stim_retired,
    ],
)
def test_fingerprint_changes_with_the_data(people, catalogue, change):
    before = fingerprint()
    change(people, catalogue)
    assert fingerprint() != before


def test_fingerprint_ignores_what_training_does_not_read(people, catalogue):
    before = fingerprint()
    retired = catalogue["retired"]
    retired.description = "Nobody is offered this any more."
    retired.save()
    Profile.objects.filter(user=people["kim"]).update(age=70)
    people["robin"].last_login = START
    people["robin"].save()
    assert fingerprint() == before
