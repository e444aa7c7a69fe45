"""Forms for signup, the profile and erasing an account, in plain language."""

from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Q
from django.forms.boundfield import BoundWidget
from django.forms.models import ModelChoiceIteratorValue

from stims.models import Category, Stim

from .models import MAX_AGE, MIN_AGE, Profile, health_consent_error

PREFER_NOT_TO_SAY = "Prefer not to say"
# The "How much does stimming matter" scale: five named steps instead of a bare slider.
ESSENTIALITY_SCALE = (
    (0.0, "Hardly at all"),
    (0.25, "A little"),
    (0.5, "Somewhat"),
    (0.75, "A lot"),
    (1.0, "It's essential to me"),
)
STIM_SEARCH_MAX_LENGTH = 100


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = (
            "Any name you like; it does not need to be your real name. "
            "Letters, numbers and @ . + - _ only."
        )
        self.fields["password1"].help_text = (
            "At least 8 characters, and not easy to guess (not only numbers, not a common "
            "password, not like your username)."
        )
        self.fields["password2"].label = "Type the password again"
        self.fields["password2"].help_text = "So we know it has no typing mistake."


@dataclass(frozen=True)
class StimGroup:
    """One sensory kind of the "Stims you do now" checkboxes."""

    label: str
    options: list[BoundWidget]
    chosen: int


class ProfileForm(forms.ModelForm):
    """Every answer is optional; health and identity answers need the person's consent.

    `stim_search` narrows the stims shown (the ones already chosen always stay shown, so they
    stay ticked and are sent again); any active stim may still be submitted.
    """

    stimming_essentiality_score = forms.TypedChoiceField(
        label="How much does stimming matter in your day?",
        choices=ESSENTIALITY_SCALE,
        coerce=float,
        widget=forms.RadioSelect(attrs={"class": "choices scale"}),
        help_text="It helps us match you with people who stim about as much as you do.",
        error_messages={"required": "Please choose the answer closest to how you feel."},
    )

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
            "health_data_consent",
        )
        widgets = {
            "age": forms.NumberInput(attrs={"inputmode": "numeric", "class": "short"}),
            "gender": forms.RadioSelect(attrs={"class": "choices"}),
            "sexuality": forms.RadioSelect(attrs={"class": "choices columns"}),
            "neurodivergent_conditions": forms.CheckboxSelectMultiple(
                attrs={"class": "choices columns"}
            ),
            "hobbies": forms.CheckboxSelectMultiple(attrs={"class": "choices columns"}),
            "current_stims": forms.CheckboxSelectMultiple,
        }
        labels = {
            "age": "Your age",
            "gender": "Your gender",
            "sexuality": "Your sexuality",
            "neurodivergent_conditions": "Conditions you have",
            "hobbies": "Things you enjoy",
            "other_hobbies": "Anything else you enjoy",
            "current_stims": "Stims you do now",
            "health_data_consent": (
                "I agree that my answers about health and identity (conditions, age, gender, "
                "sexuality) are stored to personalise my suggestions. I can change or delete "
                "them at any time."
            ),
        }
        help_texts = {
            "age": "Optional. Some stims suit some ages better.",
            "gender": "Optional. People of different genders sometimes find different stims "
            "helpful, so your suggestions can take it into account.",
            "sexuality": "Optional. Asked only so your suggestions can learn from people who "
            "answered like you.",
            "neurodivergent_conditions": "Optional. Tick any that apply to you, diagnosed or "
            "not. Some stims help more with some conditions.",
            "hobbies": "Optional. Stims that fit what you already enjoy tend to stick.",
            "other_hobbies": "Optional. In your own words, for example: trains, knitting.",
            "current_stims": "Optional. If one of them can hurt you, we show safer "
            "alternatives you could try instead.",
            "health_data_consent": "Needed only if you answer a question about your age, "
            "gender, sexuality or conditions.",
        }

    def __init__(self, *args, stim_search: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gender"].choices = [("", PREFER_NOT_TO_SAY), *Profile.Gender.choices]
        self.fields["sexuality"].choices = [("", PREFER_NOT_TO_SAY), *Profile.Sexuality.choices]
        self.fields["age"].widget.attrs.update(min=MIN_AGE, max=MAX_AGE)
        self.initial["stimming_essentiality_score"] = nearest_scale_step(
            self.instance.stimming_essentiality_score
        )
        self.stim_search = stim_search.strip()[:STIM_SEARCH_MAX_LENGTH]
        stims = self.fields["current_stims"]
        stims.queryset = stims.queryset.filter(is_active=True)
        stims.widget.choices = [
            (ModelChoiceIteratorValue(stim.pk, stim), stim.name) for stim in self._shown_stims()
        ]

    def _shown_stims(self) -> list[Stim]:
        """Active stims matching the search, plus every one already chosen, by sensory kind."""
        shown = self.fields["current_stims"].queryset
        if self.stim_search:
            chosen = [str(pk) for pk in self["current_stims"].value() or []]
            shown = shown.filter(
                Q(name__icontains=self.stim_search)
                | Q(pk__in=[pk for pk in chosen if pk.isdigit()])
            )
        kind_order = {kind: position for position, kind in enumerate(Category.values)}
        return sorted(shown, key=lambda stim: (kind_order[stim.category], stim.name.lower()))

    @cached_property
    def stim_groups(self) -> list[StimGroup]:
        groups: dict[str, list[BoundWidget]] = {}
        for option in self["current_stims"].subwidgets:
            groups.setdefault(option.data["value"].instance.category, []).append(option)
        return [
            StimGroup(
                label=Category(kind).label,
                options=options,
                chosen=sum(option.data["selected"] for option in options),
            )
            for kind, options in groups.items()
        ]

    @cached_property
    def sections(self) -> dict[str, list[forms.BoundField]]:
        """The questions of each fieldset, as the template shows them."""
        names = {
            "about_you": ("age", "gender", "sexuality"),
            "health": ("neurodivergent_conditions",),
            "enjoy": ("hobbies", "other_hobbies"),
            "how_you_stim": ("stimming_essentiality_score",),
            "consent": ("health_data_consent",),
        }
        return {section: [self[name] for name in fields] for section, fields in names.items()}

    def clean(self):
        cleaned = super().clean()
        problem = health_consent_error(
            cleaned,
            consent=cleaned.get("health_data_consent", False),
            consented_before=self.instance.health_data_consent,
        )
        if problem:
            self.add_error("health_data_consent", problem)
        return cleaned


def nearest_scale_step(score: float) -> float:
    """The scale step closest to a score given elsewhere (the API takes any 0..1 value)."""
    return min((step for step, _ in ESSENTIALITY_SCALE), key=lambda step: abs(step - score))


class AccountDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that this erases my account and everything listed above, and "
        "that it cannot be undone.",
        error_messages={
            "required": "Please tick this box to confirm. If you want to keep your account, "
            "you can simply leave this page."
        },
    )
