"""Writes for people and profiles."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import Profile

# Staff roles shipped with the product, so a new deployment has them after `migrate`.
STAFF_GROUPS = {
    "Catalogue editors": [
        "stims.add_stim", "stims.change_stim", "stims.delete_stim", "stims.view_stim",
        "stims.add_condition", "stims.change_condition", "stims.view_condition",
        "stims.add_hobby", "stims.change_hobby", "stims.view_hobby",
        "users.view_profile", "recommender.view_interaction",
    ],
    "Care team": ["users.view_profile", "users.view_health_data", "recommender.view_interaction"],
}  # fmt: skip


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
