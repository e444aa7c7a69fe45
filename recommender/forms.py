"""Forms of the recommender's pages: how many stims to list, feedback in place on a card, and
a change to feedback given before. Labels in plain words."""

from django import forms
from django.conf import settings
from django.forms.models import construct_instance

from .models import MAX_RATING, MIN_RATING, Interaction, UsageFrequency

RATING_WORDS = {1: "not at all", 2: "a little", 3: "somewhat", 4: "quite", 5: "very"}
RATING_CHOICES = [(value, f"{value} {words}") for value, words in RATING_WORDS.items()]
RATING_ASK = f"Choose how helpful it was, from {MIN_RATING} (not at all) to {MAX_RATING} (very)."


class RecommendationQueryForm(forms.Form):
    """?k=: how many stims to list; anything else shows the default number."""

    k = forms.IntegerField(required=False, min_value=1, max_value=settings.RECOMMENDER_MAX_K)


class FeedbackForm(forms.Form):
    """One of a card's three forms: a rating, "I use this now" or "Not for me"."""

    RATE, USE, DISMISS = "rate", "use", "dismiss"

    action = forms.ChoiceField(
        choices=[(RATE, "Save rating"), (USE, "I use this now"), (DISMISS, "Not for me")],
        error_messages={
            "required": "Use one of the buttons on the stim.",
            "invalid_choice": "Use one of the buttons on the stim.",
        },
    )
    rating = forms.TypedChoiceField(
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": RATING_ASK},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("action") == self.RATE and cleaned.get("rating") is None:
            self.add_error("rating", RATING_ASK)
        return cleaned

    def signals(self) -> dict:
        """The feedback for services.interaction_feedback_give."""
        return {
            self.RATE: {"rating": self.cleaned_data["rating"]},
            self.USE: {"still_using": True},
            self.DISMISS: {"dismissed": True},
        }[self.cleaned_data["action"]]


class InteractionForm(forms.ModelForm):
    """A change to one's feedback on a stim; the model's own rules show as form errors."""

    rating = forms.TypedChoiceField(
        label="How helpful was it?",
        choices=[("", "No rating"), *RATING_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the ratings, or No rating."},
    )

    class Meta:
        model = Interaction
        fields = ("rating", "usage_frequency", "still_using", "harm_reported", "dismissed")
        labels = {
            "usage_frequency": "How often do you use it?",
            "still_using": "I still use it",
            "harm_reported": "It caused me harm or discomfort",
            "dismissed": "Not for me: don't suggest it again",
        }
        help_texts = {"harm_reported": "", "dismissed": ""}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")  # labels are phrases: "I still use it"
        super().__init__(*args, **kwargs)
        self.fields["usage_frequency"].choices = [("", "Not said"), *UsageFrequency.choices]

    def _post_clean(self) -> None:
        """ModelForm's own, but with the model's check constraints left out, as the API and
        the importer do: they restate the model's clean(), and would repeat its message as
        "Constraint ... is violated"."""
        exclude = self._get_validation_exclusions()
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields)
            self.instance.full_clean(
                exclude=exclude, validate_unique=False, validate_constraints=False
            )
        except forms.ValidationError as error:
            self._update_errors(error)
