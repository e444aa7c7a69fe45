"""Reading the catalogue for the pages: the active stims, one stim, and stims like it."""

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from .models import Category, Condition, Hobby, Stim


def stim_list(*, include_retired: bool = False) -> QuerySet[Stim]:
    """The catalogue by name: the active stims, or every stim for staff."""
    stims = Stim.objects.order_by("name")
    return stims if include_retired else stims.filter(is_active=True)


def stim_get(*, slug: str, include_retired: bool = False) -> Stim:
    """One stim with its conditions and hobbies; Stim.DoesNotExist if there is none (or it is
    retired and retired stims were not asked for)."""
    return (
        stim_list(include_retired=include_retired)
        .prefetch_related("conditions", "hobbies")
        .get(slug=slug)
    )


def stims_similar(*, stim: Stim, limit: int = 6) -> list[Stim]:
    """Active stims below the harm threshold that feed the same or a nearby sense
    (`Category.similar_to`), most shared conditions and hobbies first, then the same kind,
    then by name. One query."""
    shared = Count(
        "conditions", filter=Q(conditions__in=Condition.objects.filter(stims=stim)), distinct=True
    ) + Count("hobbies", filter=Q(hobbies__in=Hobby.objects.filter(stims=stim)), distinct=True)
    same_kind = Case(
        When(category=stim.category, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return list(
        stim_list()
        .filter(
            harmfulness_score__lt=settings.RECOMMENDER_HARM_THRESHOLD,
            category__in=Category.similar_to(stim.category),
        )
        .exclude(pk=stim.pk)
        .annotate(shared=shared, same_kind=same_kind)
        .order_by("-shared", "-same_kind", "name")[:limit]
    )
