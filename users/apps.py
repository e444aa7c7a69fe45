from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "People and profiles"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from . import services

        post_save.connect(
            services.profile_create_for_new_user,
            sender=get_user_model(),
            dispatch_uid="users.profile_create_for_new_user",
        )
        post_migrate.connect(services.staff_groups_ensure, dispatch_uid="users.staff_groups_ensure")
