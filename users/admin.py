"""Profile admin. Health and identity answers are shown only to staff allowed to see them."""

from django.contrib import admin

from .models import HEALTH_FIELDS, Profile

HEALTH_DATA_PERMISSION = "users.view_health_data"


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "stimming_essentiality_score", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    autocomplete_fields = ("current_stims",)
    filter_horizontal = ("hobbies", "neurodivergent_conditions")
    readonly_fields = ("user", "created_at", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False  # profiles are created with their user

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ("user", "created_at", "updated_at")}),
            (
                "Stimming",
                {
                    "fields": (
                        "stimming_essentiality_score",
                        "current_stims",
                        "hobbies",
                        "other_hobbies",
                    )
                },
            ),
        ]
        if request.user.has_perm(HEALTH_DATA_PERMISSION):
            fieldsets.append(("Health and identity", {"fields": HEALTH_FIELDS}))
        return fieldsets

    def get_list_filter(self, request):
        if request.user.has_perm(HEALTH_DATA_PERMISSION):
            return ("neurodivergent_conditions", "gender")
        return ()
