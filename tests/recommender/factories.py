"""factory_boy factories for profiles with answers, model versions and training runs."""

import struct
import zlib

import factory

from recommender.models import ModelVersion, TrainingRun
from tests.factories import UserFactory
from users.models import Profile


def png_bytes() -> bytes:
    """A valid 1x1 PNG: enough for a training curve that is served, never looked at."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def ranking(ndcg: float, *, k: int = 10, users: int = 6) -> dict:
    """One row of ModelVersion.metrics["ranking"], as training_run_execute stores it."""
    return {"ndcg": ndcg, "precision": ndcg / 2, "recall": ndcg / 3, "k": k, "users": users}


class ProfileFactory(factory.django.DjangoModelFactory):
    """Answers on the profile every user gets when created (users.services makes it empty)."""

    class Meta:
        model = Profile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    age = 30
    gender = Profile.Gender.WOMAN
    sexuality = ""
    stimming_essentiality_score = 0.5

    @classmethod
    def _create(cls, model_class, *args, user, **answers):
        profile = model_class.objects.get(user=user)
        for name, value in answers.items():
            setattr(profile, name, value)
        profile.save()
        return profile

    @factory.post_generation
    def neurodivergent_conditions(self, create, extracted, **kwargs):
        if create and extracted:
            self.neurodivergent_conditions.set(extracted)

    @factory.post_generation
    def hobbies(self, create, extracted, **kwargs):
        if create and extracted:
            self.hobbies.set(extracted)

    @factory.post_generation
    def current_stims(self, create, extracted, **kwargs):
        if create and extracted:
            self.current_stims.set(extracted)


class ModelVersionFactory(factory.django.DjangoModelFactory):
    """A version as a training run leaves it, without an artifact on disk."""

    class Meta:
        model = ModelVersion

    class Params:
        ndcg = 0.3
        with_curve = factory.Trait(
            training_curve=factory.django.FileField(filename="curve.png", data=png_bytes())
        )

    status = ModelVersion.Status.READY
    artifact = factory.Sequence(lambda n: f"model-{n:032x}")
    parameters = factory.LazyFunction(lambda: {"epochs": 2})
    data_snapshot = factory.LazyFunction(
        lambda: {
            "users": 33,
            "stims": 149,
            "interactions": 614,
            "latest_interaction_at": "2026-01-31T12:00:00+00:00",
            "fingerprint": "0123456789abcdef",
        }
    )
    metrics = factory.LazyAttribute(
        lambda version: {
            "k": 10,
            "held_out_users": 6,
            "ranking": {
                "model": ranking(version.ndcg),
                "popularity": ranking(0.2011),
                "tag_overlap": ranking(0.1502),
            },
            "rmse": {"model": 0.21, "popularity": 0.25},
        }
    )
    history = factory.LazyFunction(lambda: {"loss": [0.09, 0.05], "val_loss": [0.1, 0.07]})
    duration_seconds = 2.5


class TrainingRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRun

    state = TrainingRun.State.SUCCEEDED
    triggered_by = "command"
    parameters = factory.LazyFunction(lambda: {"epochs": 1})
