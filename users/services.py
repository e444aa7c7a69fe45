"""Writes for people and profiles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from stims.models import Condition, Hobby, Stim

from .models import Profile

# Staff roles shipped with the product, so a new deployment has them after `migrate`.
STAFF_GROUPS = {
    "Catalogue editors": [
        "stims.add_stim",
        "stims.change_stim",
        "stims.delete_stim",
        "stims.view_stim",
        "stims.add_condition",
        "stims.change_condition",
        "stims.view_condition",
        "stims.add_hobby",
        "stims.change_hobby",
        "stims.view_hobby",
        "users.view_profile",
        "recommender.view_interaction",
    ],
    "Care team": ["users.view_profile", "users.view_health_data", "recommender.view_interaction"],
}


def profile_create_for_new_user(*, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save receiver: every user gets an empty profile, however the user was created."""
    if created and not raw:
        Profile.objects.get_or_create(user=instance)


@transaction.atomic
def staff_groups_ensure(**kwargs) -> None:
    """post_migrate receiver: create the staff groups and grant the permissions that exist yet."""
    for group_name, permission_names in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = {tuple(name.split(".")) for name in permission_names}
        permissions = [
            permission
            for permission in Permission.objects.select_related("content_type").filter(
                codename__in={codename for _, codename in wanted}
            )
            if (permission.content_type.app_label, permission.codename) in wanted
        ]
        group.permissions.add(*permissions)


DEMO_PASSWORD = "demo-stims-2026"
DEMO_PROFILE = {
    "age": 27,
    "stimming_essentiality_score": 0.8,
    "conditions": ["ADHD", "Autism"],
    "hobbies": ["Music", "Drawing", "Gaming"],
    "current_stims": ["Skin picking", "Fidget cube"],
}


@transaction.atomic
def demo_accounts_ensure() -> dict[str, str]:
    """Create (or reset) the demo accounts, returning username -> role.

    `demo` is an end user whose profile includes a harmful current stim, so the demo shows
    safer alternatives; `admin` is a superuser; `editor` a catalogue editor without health data.
    """
    user_model = get_user_model()
    accounts = {
        "demo": ("end user", {}),
        "admin": ("superuser", {"is_staff": True, "is_superuser": True}),
        "editor": ("catalogue editor", {"is_staff": True}),
    }
    for username, (_, flags) in accounts.items():
        account, _ = user_model.objects.update_or_create(username=username, defaults=flags)
        account.set_password(DEMO_PASSWORD)
        account.save()
    user_model.objects.get(username="editor").groups.add(
        Group.objects.get(name="Catalogue editors")
    )

    profile = Profile.objects.get(user__username="demo")
    profile.age = DEMO_PROFILE["age"]
    profile.health_data_consent = True  # the demo person's health answers are shown by consent
    profile.stimming_essentiality_score = DEMO_PROFILE["stimming_essentiality_score"]
    profile.save()
    profile.neurodivergent_conditions.set(
        Condition.objects.filter(name__in=DEMO_PROFILE["conditions"])
    )
    profile.hobbies.set(Hobby.objects.filter(name__in=DEMO_PROFILE["hobbies"]))
    profile.current_stims.set(Stim.objects.filter(name__in=DEMO_PROFILE["current_stims"]))
    return {username: role for username, (role, _) in accounts.items()}


@transaction.atomic
def account_erase(*, user) -> None:
    """Deletes the person with their profile, feedback and API tokens (by cascade): nothing
    about them is left for the next training to read. Staff-requested training runs keep
    their record with the requester cleared."""
    user.delete()
