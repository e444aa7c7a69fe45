"""Pages of the recommender: one's ranked stims with feedback in place, and one's feedback
history to change or delete. Everything is read from request.user: no URL names a person."""

from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import DeleteView, ListView, TemplateView, UpdateView

from stims.models import Category, HarmBand, Stim

from . import selectors, services
from .data import user_row_read
from .forms import (
    RATING_CHOICES,
    RATING_WORDS,
    FeedbackForm,
    InteractionForm,
    RecommendationQueryForm,
)
from .models import MAX_RATING
from .selectors import SOURCE_MODEL, RankedStim, Recommendations

# (lowest score, words): how well a stim suits the person, best first.
MATCH_WORDS = (
    (0.75, "A very good match"),
    (0.5, "A good match"),
    (0.3, "Might suit you"),
    (float("-inf"), "A long shot"),
)
# What a person may tell us that their list is made from (user_row_read's names).
PROFILE_ANSWERS = (
    "age", "gender", "sexuality", "neurodivergent_conditions", "hobbies", "current_stims",
)  # fmt: skip


def rating_words(rating: int | None) -> str:
    if rating is None:
        return "Not rated"
    return f"{RATING_WORDS[rating].capitalize()} helpful ({rating} of {MAX_RATING})"


def match_words(score: float) -> str:
    return next(words for lowest, words in MATCH_WORDS if score >= lowest)


@dataclass(frozen=True)
class Card:
    """One stim as a card shows it. dom_id is unique on the page: a stim can be both in the
    list and a safer alternative (to more than one stim)."""

    stim: RankedStim
    description: str
    dom_id: str

    @property
    def kind(self) -> str:
        return Category(self.stim.category).label

    @property
    def match(self) -> str:
        return match_words(self.stim.score)

    @property
    def meter_value(self) -> str:
        """The score within the meter's 0..1 (a model's raw score may stray outside)."""
        return f"{min(max(self.stim.score, 0.0), 1.0):.2f}"

    @property
    def harm(self) -> str:
        """The harm band's name, or "" for a low one."""
        band = HarmBand(self.stim.harm_band)
        return "" if band == HarmBand.LOW else band.label


def _cards(found: Recommendations) -> tuple[list[Card], list[tuple[RankedStim, list[Card]]]]:
    """The list's cards, and each harmful current stim with its alternatives' cards; the
    descriptions read with one query (the cached list does not carry them)."""
    listed = [*found.stims, *(stim for offer in found.safer_alternatives for stim in offer.stims)]
    descriptions = dict(
        Stim.objects.filter(pk__in={stim.stim_id for stim in listed}).values_list(
            "pk", "description"
        )
    )

    def card(stim: RankedStim, dom_id: str) -> Card:
        return Card(stim=stim, description=descriptions.get(stim.stim_id, ""), dom_id=dom_id)

    return (
        [card(stim, f"stim-{stim.stim_id}") for stim in found.stims],
        [
            (
                offer.instead_of,
                [
                    card(stim, f"safer-{offer.instead_of.stim_id}-stim-{stim.stim_id}")
                    for stim in offer.stims
                ],
            )
            for offer in found.safer_alternatives
        ],
    )


def _profile_is_empty(user) -> bool:
    row = user_row_read(user.pk)
    return row is None or not any(row[answer] for answer in PROFILE_ANSWERS)


class RecommendationsView(LoginRequiredMixin, TemplateView):
    """The person's ranked stims, each with feedback in place, and safer alternatives."""

    template_name = "recommender/recommendations.html"

    def get_context_data(self, **kwargs):
        query = RecommendationQueryForm(self.request.GET)
        k = query.cleaned_data["k"] if query.is_valid() else None
        k = k or settings.RECOMMENDER_DEFAULT_K
        # One more than shown, to know whether "Show more" would show more.
        found = selectors.recommendations_for_user(
            user=self.request.user, k=min(k + 1, settings.RECOMMENDER_MAX_K)
        )
        more_k = min(k + settings.RECOMMENDER_DEFAULT_K, settings.RECOMMENDER_MAX_K)
        more_k = more_k if len(found.stims) > k else None
        found = replace(found, stims=found.stims[:k])
        cards, offers = _cards(found)
        return {
            **super().get_context_data(**kwargs),
            "found": found,
            "by_model": found.source == SOURCE_MODEL,
            "cards": cards,
            "offers": offers,
            "more_k": more_k,
            "profile_empty": _profile_is_empty(self.request.user),
            "rating_choices": RATING_CHOICES,
        }


class FeedbackView(LoginRequiredMixin, View):
    """A card's feedback: records it, then back to the list with a calm message."""

    THANKS = {
        FeedbackForm.RATE: "Saved your rating for {name}.",
        FeedbackForm.USE: "Thanks, we noted that you use {name} now.",
        FeedbackForm.DISMISS: "Thanks, we won't suggest {name} again.",
    }

    def post(self, request, stim_id: int):
        stim = get_object_or_404(Stim, pk=stim_id, is_active=True)
        form = FeedbackForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.errors)
            services.interaction_feedback_give(user=request.user, stim=stim, **form.signals())
        except ValidationError as error:
            messages.error(
                request, f"Nothing was saved for {stim.name}. {' '.join(error.messages)}"
            )
        else:
            messages.success(request, self.THANKS[form.cleaned_data["action"]].format(name=stim))
        # Back to the start of the content (the message, then the list), not the page's top:
        # a keyboard user need not Tab through the navigation again.
        return redirect(reverse("recommender:recommendations") + "#main")


class HistoryMixin(LoginRequiredMixin):
    """The person's own feedback only: anyone else's is a 404."""

    def get_queryset(self):
        return selectors.interaction_list(user=self.request.user)


class HistoryView(HistoryMixin, ListView):
    template_name = "recommender/history.html"
    context_object_name = "interactions"
    paginate_by = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = [(each, rating_words(each.rating)) for each in context["interactions"]]
        return {**context, "rows": rows}


class HistoryEditView(HistoryMixin, SuccessMessageMixin, UpdateView):
    form_class = InteractionForm
    template_name = "recommender/history_edit.html"
    context_object_name = "interaction"
    success_url = reverse_lazy("recommender:history")

    def get_success_message(self, cleaned_data) -> str:
        return f"Saved your feedback on {self.object.stim}."


class HistoryDeleteView(HistoryMixin, SuccessMessageMixin, DeleteView):
    template_name = "recommender/history_delete.html"
    context_object_name = "interaction"
    success_url = reverse_lazy("recommender:history")

    def get_success_message(self, cleaned_data) -> str:
        return f"Deleted your feedback on {self.object.stim}."
