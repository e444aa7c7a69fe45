"""Signal receivers that drop cached recommendations when what they were made from changes."""

from users.models import Profile

from . import serving
from .models import ModelVersion


def catalogue_changed(**_signal) -> None:
    serving.serving_stamp_reset()


def model_version_changed(*, instance: ModelVersion, **_signal) -> None:
    """Only the active version serves: activating one (which saves it) or deleting it counts."""
    if instance.status == ModelVersion.Status.ACTIVE:
        serving.serving_stamp_reset()


def person_changed(*, instance, **_signal) -> None:
    """A profile or an interaction: both name their person by user_id."""
    serving.cached_list_drop(user_id=instance.user_id)


def profile_tags_changed(*, instance, reverse: bool, action: str, **_signal) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Profile):
        serving.cached_list_drop(user_id=instance.user_id)
    else:  # changed from the other side (a condition's people): rare, so drop every list
        serving.serving_stamp_reset()
