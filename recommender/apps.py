from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommender"

    def ready(self) -> None:
        """Connects the serving cache to every change that makes a cached list wrong."""
        from stims.models import Condition, Hobby, Stim
        from stims.signals import catalogue_changed
        from users.models import Profile

        from . import receivers
        from .models import Interaction, ModelVersion

        def connect(signal, receiver, sender) -> None:
            uid = f"recommender.{receiver.__name__}.{sender.__name__}.{id(signal)}"
            signal.connect(receiver, sender=sender, dispatch_uid=uid)

        for model in (Stim, Condition, Hobby):
            connect(post_save, receivers.catalogue_changed, model)
            connect(post_delete, receivers.catalogue_changed, model)
        for field in (Stim.conditions, Stim.hobbies):
            connect(m2m_changed, receivers.catalogue_changed, field.through)
        catalogue_changed.connect(
            receivers.catalogue_changed, dispatch_uid="recommender.catalogue_changed"
        )
        for model in (ModelVersion,):
            connect(post_save, receivers.model_version_changed, model)
            connect(post_delete, receivers.model_version_changed, model)
        for model in (Profile, Interaction):
            connect(post_save, receivers.person_changed, model)
            connect(post_delete, receivers.person_changed, model)
        for field in (Profile.neurodivergent_conditions, Profile.hobbies, Profile.current_stims):
            connect(m2m_changed, receivers.profile_tags_changed, field.through)
