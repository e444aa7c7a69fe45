"""Pages of the catalogue: search and filters, and one stim with stims like it."""

import re
from functools import reduce
from operator import or_

import django_filters
from django.db.models import Q
from django.http import Http404
from django.views.generic import DetailView, ListView
from rest_framework.filters import search_smart_split

from .apis import StimViewSet
from .filters import StimFilter
from .models import Category, Condition, HarmBand, Hobby, Stim
from .selectors import stim_get, stim_list, stims_similar

HARM_EXPLANATIONS = {
    HarmBand.LOW: "Low: gentle, and unlikely to hurt.",
    HarmBand.MODERATE: (
        "Moderate: usually fine, but it can strain or tire the body if done a lot or hard. "
        "Go gently, and stop if it starts to hurt."
    ),
    HarmBand.HIGH: (
        "High: this can hurt. We never recommend it; if you do it now, your list suggests "
        "gentler stims that feel similar."
    ),
}
HARM_BAND_CHOICES = [(HarmBand.LOW, "Low only"), (HarmBand.MODERATE, "Low or moderate")]
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SEARCH_FIELDS = StimViewSet.search_fields  # the API's search: the same fields


def _slug_choices(model):
    return lambda: list(model.objects.values_list("slug", "name"))


class StimPageFilter(StimFilter):
    """The API's filters (same names, same meaning) as one plain form, with the API's search
    and a choice of harm band."""

    search = django_filters.CharFilter(
        method="search_filter", label="Search by name or description"
    )
    category = django_filters.ChoiceFilter(
        choices=Category.choices, label="Sensory kind", empty_label="Any kind"
    )
    condition = django_filters.ChoiceFilter(
        field_name="conditions__slug",
        distinct=True,
        choices=_slug_choices(Condition),
        label="Condition",
        empty_label="Any condition",
    )
    hobby = django_filters.ChoiceFilter(
        field_name="hobbies__slug",
        distinct=True,
        choices=_slug_choices(Hobby),
        label="Hobby",
        empty_label="Any hobby",
    )
    harm = django_filters.ChoiceFilter(
        method="harm_filter", choices=HARM_BAND_CHOICES, label="Harm band", empty_label="Any"
    )

    def search_filter(self, stims, name, value):
        """Every word in the name or the description, as the API's `search` does."""
        for term in search_smart_split(value):
            stims = stims.filter(
                reduce(or_, (Q(**{f"{field}__icontains": term}) for field in SEARCH_FIELDS))
            )
        return stims

    def harm_filter(self, stims, name, band):
        """Stims in this band or a gentler one."""
        return stims.filter(harmfulness_score__lt=HarmBand.bounds()[band][1])


def first_sentence(text: str) -> str:
    return SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def cards(stims) -> list[tuple[Stim, str]]:
    """Each stim with the first sentence of its description, as a card shows it."""
    return [(stim, first_sentence(stim.description)) for stim in stims]


class StimListView(ListView):
    """The active stims, searched and filtered by one GET form; open to everyone."""

    template_name = "stims/stim_list.html"
    paginate_by = 24

    def get_queryset(self):
        self.filterset = StimPageFilter(self.request.GET, queryset=stim_list())
        if not self.filterset.is_valid():
            return Stim.objects.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        return {
            **context,
            "form": self.filterset.form,
            "cards": cards(page.object_list),
            "page_range": page.paginator.get_elided_page_range(page.number),
        }


class StimDetailView(DetailView):
    """One stim. A retired stim is there only for staff, with a notice."""

    template_name = "stims/stim_detail.html"
    context_object_name = "stim"

    def get_object(self, queryset=None) -> Stim:
        try:
            return stim_get(slug=self.kwargs["slug"], include_retired=self.request.user.is_staff)
        except Stim.DoesNotExist:
            raise Http404("There is no such stim.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stim = self.object
        return {
            **context,
            "harm_explanation": HARM_EXPLANATIONS[stim.harm_band],
            "similar_cards": cards(stims_similar(stim=stim)),
        }
