"""Reads of the recommender: a person's ranked stims under the harm policy, and their feedback.

The model only scores. Which stims a person may see is decided here, after scoring and outside
the model, so no model (however trained) can put a harmful stim in a list.
"""

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from stims.models import Category, HarmBand

from .data import user_row_read
from .models import Interaction
from .serving import (
    Catalogue,
    ModelUnavailable,
    Stamp,
    StimFacts,
    cache_outage_survived,
    cached_list_read,
    cached_list_write,
    catalogue_for,
    serving_model_for,
    serving_stamp,
)

logger = logging.getLogger(__name__)

SOURCE_MODEL, SOURCE_POPULARITY = "model", "popularity"
ALTERNATIVES_PER_STIM = 3
# Popularity: the share of people for whom a stim helped, pulled towards one half by this many
# imaginary interactions, so a stim tried once is not ranked above one tried by hundreds.
POPULARITY_PRIOR_WEIGHT = 5
MIN_CONDITION_FEEDBACK = 5  # below this, a stim's popularity among one's conditions is noise
POPULARITY_KEY, POPULARITY_TIMEOUT = "recommender:popularity", 10 * 60


@dataclass(frozen=True)
class RankedStim:
    stim_id: int
    name: str
    slug: str
    category: str
    harmfulness_score: float
    score: float
    reason: str
    current: bool = False  # the person does it now
    withheld: str = ""  # unfiltered lists only: why the harm policy keeps it from the person

    @property
    def harm_band(self) -> str:
        return HarmBand.of(self.harmfulness_score).value

    def as_dict(self) -> dict:
        return {**vars(self), "harm_band": self.harm_band}


@dataclass(frozen=True)
class SaferAlternatives:
    """Stims of a similar sensory kind, offered for a harmful stim the person does now."""

    instead_of: RankedStim
    stims: tuple[RankedStim, ...]


@dataclass(frozen=True)
class Recommendations:
    user_id: int
    source: str  # SOURCE_MODEL or SOURCE_POPULARITY
    model_version: int | None
    notice: str  # why the popularity ranking serves; empty when the model does
    unfiltered: bool
    stims: tuple[RankedStim, ...]
    safer_alternatives: tuple[SaferAlternatives, ...]

    def as_dict(self) -> dict:
        """JSON-ready, in the shape of serializers.RecommendationsSerializer (which documents
        it): DRF's nested serializers would cost more than the whole cached lookup."""
        return {
            **vars(self),
            "stims": [stim.as_dict() for stim in self.stims],
            "safer_alternatives": [
                {
                    "instead_of": offer.instead_of.as_dict(),
                    "stims": [stim.as_dict() for stim in offer.stims],
                }
                for offer in self.safer_alternatives
            ],
        }


@dataclass(frozen=True)
class _Person:
    features: dict  # USER_COLUMNS -> value, for encode_user
    conditions: frozenset[str]
    hobbies: frozenset[str]
    current: frozenset[str]  # stim names
    dismissed: frozenset[int]
    harm_reported: frozenset[int]


def recommendations_for_user(
    *, user, k: int | None = None, exclude_current: bool = False, unfiltered: bool = False
) -> Recommendations:
    """The top k stims for this person, with the source that ranked them.

    Args:
      k: how many (settings.RECOMMENDER_DEFAULT_K when None; at most RECOMMENDER_MAX_K).
      exclude_current: leave out the stims the person does already.
      unfiltered: every stim by score, with why the policy would withhold it: for staff only,
        never cached.
    """
    k = settings.RECOMMENDER_DEFAULT_K if k is None else k
    if not 1 <= k <= settings.RECOMMENDER_MAX_K:
        raise ValueError(f"k must lie in [1, {settings.RECOMMENDER_MAX_K}]")
    if unfiltered:
        ranked = _ranking_compute(user=user, stamp=serving_stamp(), unfiltered=True)
    else:
        stamp, ranked = cached_list_read(user_id=user.pk)
        if ranked is None:
            ranked = _ranking_compute(user=user, stamp=stamp, unfiltered=False)
            cached_list_write(
                user_id=user.pk,
                stamp=stamp,
                ranked=ranked,
                fallback=ranked.source != SOURCE_MODEL,
            )
    shown = [stim for stim in ranked.stims if not (exclude_current and stim.current)]
    return replace(ranked, stims=tuple(shown[:k]))


def _ranking_compute(*, user, stamp: Stamp, unfiltered: bool) -> Recommendations:
    """Scores the whole catalogue for the person and applies the harm policy. A cached ranking
    keeps RECOMMENDER_MAX_K stims beyond the person's current ones, so any k and either choice
    of exclude_current is answered from it."""
    catalogue = catalogue_for(stamp)
    person = _person_read(user)
    stims = catalogue.stims
    source, version, notice = SOURCE_MODEL, stamp.version_id, ""
    popular_with = np.full(len(stims), "", dtype=object)
    try:
        scores = _model_scores(stamp, catalogue, person)
    except Exception as error:  # never an error page because of the model: popularity serves
        why = str(error)  # ModelUnavailable says why in words fit for the person
        if not isinstance(error, ModelUnavailable):
            logger.exception("scoring with model version %s failed", stamp.version_id)
            why = f"model version {stamp.version_id} failed"  # the error's text is for the log
        source, version = SOURCE_POPULARITY, None
        notice = f"{why}; the stims most people found helpful are shown instead"
        scores, popular_with = _popularity_scores(catalogue, person)

    harmful = stims["harmfulness_score"].to_numpy() >= settings.RECOMMENDER_HARM_THRESHOLD
    ids = catalogue.stim_ids
    current = stims["name"].isin(person.current).to_numpy()
    withheld = np.full(len(stims), "", dtype=object)
    withheld[np.isin(ids, list(person.dismissed))] = "dismissed by this person"
    withheld[np.isin(ids, list(person.harm_reported))] = "this person reported harm"
    withheld[harmful] = (
        f"harmfulness at or above the threshold {settings.RECOMMENDER_HARM_THRESHOLD}"
    )
    order = np.argsort(-scores, kind="stable")
    if not unfiltered:
        order = order[withheld[order] == ""]
    keep = settings.RECOMMENDER_MAX_K + (int(current.sum()) if not unfiltered else 0)

    def ranked(row: int) -> RankedStim:
        stim = catalogue.facts[row]
        return RankedStim(
            stim_id=stim.stim_id,
            name=stim.name,
            slug=stim.slug,
            category=stim.category,
            harmfulness_score=stim.harmfulness_score,
            score=float(scores[row]),
            reason=_reason(stim, person, source, popular_with[row]),
            current=bool(current[row]),
            withheld=withheld[row] if unfiltered else "",
        )

    categories = stims["category"].to_numpy()
    safe_candidates = order[(withheld[order] == "") & ~current[order]]
    return Recommendations(
        user_id=user.pk,
        source=source,
        model_version=version,
        notice=notice,
        unfiltered=unfiltered,
        stims=tuple(ranked(row) for row in order[:keep]),
        safer_alternatives=tuple(
            SaferAlternatives(
                instead_of=ranked(row),
                stims=tuple(
                    ranked(pick) for pick in _alternatives(categories, row, safe_candidates)
                ),
            )
            for row in np.flatnonzero(current & harmful)
        ),
    )


def _model_scores(stamp: Stamp, catalogue: Catalogue, person: _Person) -> np.ndarray:
    from .ml.preprocessing import encode_user

    model = serving_model_for(stamp, catalogue)
    return model.scorer.score(encode_user(person.features), model.prepared)


def _alternatives(categories: np.ndarray, harmful_row: int, candidates: np.ndarray) -> list[int]:
    """The best-scored candidates of the harmful stim's own sensory kind, then of the nearest
    kinds, in that order: candidates come best first."""
    picks: list[int] = []
    for category in Category.similar_to(categories[harmful_row]):
        of_kind = candidates[categories[candidates] == category]
        picks += list(of_kind[: ALTERNATIVES_PER_STIM - len(picks)])
        if len(picks) == ALTERNATIVES_PER_STIM:
            break
    return picks


def _reason(stim: StimFacts, person: _Person, source: str, popular_with: str) -> str:
    """A short reason from what the person and the stim share, in plain words."""
    hobbies = sorted(person.hobbies & stim.hobbies)
    conditions = sorted(person.conditions & stim.conditions)
    parts = []
    if hobbies:
        parts.append(f"shares your interest in {_listed([name.lower() for name in hobbies])}")
    if conditions:
        parts.append(f"often helpful for {_listed(conditions)}")
    if source == SOURCE_POPULARITY:
        parts.append(f"popular with {popular_with or 'people here'}")
    elif not parts:
        parts.append("people with answers like yours found it helpful")
    reason = "; ".join(parts)
    return reason[0].upper() + reason[1:]


def _listed(names: list[str]) -> str:
    names = names[:2]
    return " and ".join(names)


def _person_read(user) -> _Person:
    row = user_row_read(user.pk) or {
        # a person made without a profile (fixtures, raw loads): every answer left blank
        "user_id": user.pk, "age": None, "gender": "", "sexuality": "",
        "stimming_essentiality_score": 0.0,
        "neurodivergent_conditions": [], "hobbies": [], "current_stims": [],
    }  # fmt: skip
    feedback = list(
        Interaction.objects.filter(user=user).values_list("stim_id", "dismissed", "harm_reported")
    )
    return _Person(
        features=row,
        conditions=frozenset(row["neurodivergent_conditions"]),
        hobbies=frozenset(row["hobbies"]),
        current=frozenset(row["current_stims"]),
        dismissed=frozenset(stim for stim, dismissed, _ in feedback if dismissed),
        harm_reported=frozenset(stim for stim, _, harm in feedback if harm),
    )


def _popularity_scores(catalogue: Catalogue, person: _Person) -> tuple[np.ndarray, np.ndarray]:
    """Scores from how many people a stim helped: among those who share one of the person's
    conditions where there is enough feedback, among everyone otherwise.

    Returns:
      (scores, popular_with): one each per catalogue stim; popular_with names the group.
    """
    overall, by_condition = _popularity_tables()
    ids = catalogue.stim_ids
    tried = overall["tried"].reindex(ids, fill_value=0).to_numpy(dtype=float)
    helped = overall["helped"].reindex(ids, fill_value=0).to_numpy(dtype=float)
    popular_with = np.full(len(ids), "", dtype=object)
    conditions = sorted(person.conditions & set(by_condition.index.get_level_values(0)))
    if conditions:
        shared = by_condition.loc[conditions].groupby(level="stim_id").sum()
        shared_tried = shared["tried"].reindex(ids, fill_value=0).to_numpy(dtype=float)
        enough = shared_tried >= MIN_CONDITION_FEEDBACK
        tried = np.where(enough, shared_tried, tried)
        helped = np.where(
            enough, shared["helped"].reindex(ids, fill_value=0).to_numpy(dtype=float), helped
        )
        popular_with[enough] = f"people who have {_listed(conditions)}"
    scores = (helped + 0.5 * POPULARITY_PRIOR_WEIGHT) / (tried + POPULARITY_PRIOR_WEIGHT)
    return scores.astype(np.float32), popular_with


def _popularity_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(by stim, by condition and stim) counts of people who tried and who were helped; two
    queries, cached for a few minutes: the fallback must stay cheap when it serves everyone."""
    tables = None
    with cache_outage_survived():
        tables = cache.get(POPULARITY_KEY)
    if tables is None:
        feedback = Interaction.objects.filter(user__is_active=True, stim__is_active=True)
        counts = {
            "tried": Count("pk"),
            "helped": Count(
                "pk",
                filter=(Q(rating__gte=4) | Q(still_using=True))
                & Q(harm_reported=False, dismissed=False),
            ),
        }
        overall = pd.DataFrame.from_records(
            list(feedback.values("stim_id").annotate(**counts)),
            columns=["stim_id", "tried", "helped"],
        ).set_index("stim_id")
        condition = "user__profile__neurodivergent_conditions__name"
        by_condition = pd.DataFrame.from_records(
            list(
                feedback.filter(**{f"{condition}__isnull": False})
                .values(condition, "stim_id")
                .annotate(**counts)
            ),
            columns=[condition, "stim_id", "tried", "helped"],
        ).set_index([condition, "stim_id"])
        tables = overall, by_condition
        with cache_outage_survived():
            cache.set(POPULARITY_KEY, tables, timeout=POPULARITY_TIMEOUT)
    return tables


def interaction_list(*, user) -> QuerySet[Interaction]:
    """The person's own feedback, newest first: the only interactions they may see."""
    return Interaction.objects.filter(user=user).select_related("stim")
