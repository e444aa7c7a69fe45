import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from recommender.models import Interaction
from tests.factories import InteractionFactory, StimFactory, UserFactory


@pytest.fixture
def pair(db):
    return {"user": UserFactory(), "stim": StimFactory()}


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_outside_one_to_five_fails_validation_and_the_database(pair, rating):
    interaction = Interaction(**pair, rating=rating)
    with pytest.raises(ValidationError) as error:
        interaction.full_clean()
    assert "rating" in error.value.message_dict
    with pytest.raises(IntegrityError):
        interaction.save()


def test_one_interaction_per_person_and_stim(pair):
    InteractionFactory(**pair)
    with pytest.raises(ValidationError):
        Interaction(**pair, rating=2).full_clean()
    with pytest.raises(IntegrityError):
        Interaction.objects.create(**pair, rating=2)


def test_dismissed_stim_cannot_be_still_in_use(pair):
    interaction = Interaction(**pair, dismissed=True, still_using=True)
    with pytest.raises(ValidationError) as error:
        interaction.full_clean()
    assert "still_using" in error.value.message_dict
    with pytest.raises(IntegrityError):
        interaction.save()


def test_an_interaction_without_any_signal_is_refused(pair):
    interaction = Interaction(**pair)
    with pytest.raises(ValidationError, match="at least one piece of feedback"):
        interaction.full_clean()
    with pytest.raises(IntegrityError):
        interaction.save()


@pytest.mark.parametrize(
    "signals",
    [
        {"rating": 3},
        {"usage_frequency": 0},
        {"still_using": True},
        {"harm_reported": True},
        {"dismissed": True},
    ],
)
def test_any_one_signal_is_enough(pair, signals):
    interaction = Interaction(**pair, **signals)
    interaction.full_clean()
    interaction.save()


def test_a_stim_with_feedback_is_retired_not_deleted(pair):
    from django.db.models import ProtectedError

    InteractionFactory(**pair)
    with pytest.raises(ProtectedError):
        pair["stim"].delete()
