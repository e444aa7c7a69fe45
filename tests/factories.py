"""factory_boy factories for every model the tests create."""

import factory
from django.contrib.auth import get_user_model

from recommender.models import Interaction
from stims.models import Category, Condition, Hobby, Stim

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Condition {n}")


class HobbyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hobby
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Hobby {n}")


class StimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stim
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Stim {n}")
    description = factory.LazyAttribute(lambda stim: f"What {stim.name} feels like.")
    category = Category.TACTILE
    harmfulness_score = 0.05

    @factory.post_generation
    def conditions(self, create, extracted, **kwargs):
        if create and extracted:
            self.conditions.set(extracted)

    @factory.post_generation
    def hobbies(self, create, extracted, **kwargs):
        if create and extracted:
            self.hobbies.set(extracted)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    user = factory.SubFactory(UserFactory)
    stim = factory.SubFactory(StimFactory)
    rating = 4
