import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from stims.models import Category, Condition, HarmBand, Stim
from tests.factories import StimFactory


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, HarmBand.LOW),
        (0.29, HarmBand.LOW),
        (0.3, HarmBand.MODERATE),
        (0.59, HarmBand.MODERATE),
        (0.6, HarmBand.HIGH),
        (1.0, HarmBand.HIGH),
    ],
)
def test_harm_band_edges(score, band):
    assert HarmBand.of(score) == band


@pytest.mark.django_db
@pytest.mark.parametrize("score", [-0.01, 1.01])
def test_harmfulness_outside_unit_interval_fails_validation(score):
    stim = Stim(name="Rocking", category=Category.VESTIBULAR, harmfulness_score=score)
    with pytest.raises(ValidationError) as error:
        stim.full_clean()
    assert "harmfulness_score" in error.value.message_dict


@pytest.mark.django_db
def test_harmfulness_outside_unit_interval_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        Stim.objects.create(
            name="Rocking", slug="rocking", category=Category.VESTIBULAR, harmfulness_score=2
        )


@pytest.mark.django_db
def test_unknown_category_fails_validation_and_the_database():
    stim = Stim(name="Rocking", category="telepathic", harmfulness_score=0.1)
    with pytest.raises(ValidationError) as error:
        stim.full_clean()
    assert "category" in error.value.message_dict
    with pytest.raises(IntegrityError):
        stim.save()


@pytest.mark.django_db
def test_names_are_unique_whatever_their_case():
    StimFactory(name="Weighted blanket")
    with pytest.raises(ValidationError):
        Stim(
            name="WEIGHTED BLANKET", slug="other", category=Category.TACTILE, harmfulness_score=0
        ).full_clean()
    Condition.objects.create(name="ADHD")
    with pytest.raises(IntegrityError):
        Condition.objects.create(name="adhd", slug="adhd-2")


@pytest.mark.django_db
def test_slug_is_made_from_the_name_and_description_may_be_blank():
    stim = Stim(name="Chewable necklace", category=Category.ORAL, harmfulness_score=0.02)
    stim.full_clean(exclude=["slug"])
    stim.save()
    assert stim.slug == "chewable-necklace"
    assert stim.description == ""
    assert stim.is_active is True
    assert stim.harm_band == HarmBand.LOW
