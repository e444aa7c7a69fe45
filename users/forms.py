"""Forms for signup and the profile, in plain language."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import Profile


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = (
            "age",
            "gender",
            "sexuality",
            "neurodivergent_conditions",
            "hobbies",
            "other_hobbies",
            "stimming_essentiality_score",
            "current_stims",
        )
        widgets = {
            "neurodivergent_conditions": forms.CheckboxSelectMultiple,
            "hobbies": forms.CheckboxSelectMultiple,
            "stimming_essentiality_score": forms.NumberInput(
                attrs={"type": "range", "min": 0, "max": 1, "step": 0.1}
            ),
        }
        labels = {
            "neurodivergent_conditions": "Conditions",
            "stimming_essentiality_score": "How much does stimming matter in your day?",
            "current_stims": "Stims you do now",
        }
        help_texts = {
            "age": "Optional. Some stims suit some ages better.",
            "gender": "Optional. Leave blank if you'd rather not say.",
            "sexuality": "Optional. Leave blank if you'd rather not say.",
            "neurodivergent_conditions": "Optional. Tick any that apply to you, diagnosed or not.",
            "hobbies": "Stims that fit what you already enjoy tend to stick.",
            "current_stims": "Optional. Hold Ctrl (or Cmd) to pick several.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["current_stims"].queryset = self.fields["current_stims"].queryset.filter(
            is_active=True
        )
