"""What serving holds: the catalogue and the active model, once per process, and people's lists
in the cache.

A *stamp* in the cache names what serves now: the active version's id and a token for the
catalogue. Changing the active version or the catalogue deletes the stamp; the next request
makes a new one (with a new token), so every process notices, reloads what it holds and stops
trusting every cached list, without a restart. A person's own changes (profile, feedback)
delete only their list.

A process swaps in a newly loaded model by replacing one reference, under a lock, after it is
fully built: requests in flight keep the object they started with.

When the cache cannot be reached, serving goes on without it (see `cache_outage_survived`):
lists are computed, not cached, under a stamp made from what this process holds.
"""

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from stims.models import Stim

from .data import stims_frame
from .models import ModelVersion

logger = logging.getLogger(__name__)

STAMP_KEY = "recommender:serving-stamp"
LIST_KEY = "recommender:list:{user_id}"
# Seconds a list, and the stamp, are kept: the bound on staleness should an invalidation be
# missed, as when the cache is down while something changes (its drop or reset fails, and a list
# or stamp cached before the outage may be served again once the cache returns).
LIST_TIMEOUT = 60 * 60
LOAD_RETRY_SECONDS = 60  # an artifact that failed to load is tried again after this long
CACHE_ERRORS = (RedisError, OSError)  # the cache cannot be reached (OSError: a socket's error)
CACHE_WARNING_SECONDS = 60  # an outage is logged once per this many seconds, not per request


@dataclass(frozen=True)
class Stamp:
    version_id: int | None
    catalogue_token: str


@dataclass(frozen=True)
class StimFacts:
    """What a list shows of one stim, as plain values: read per request, so no pandas."""

    stim_id: int
    name: str
    slug: str
    category: str
    harmfulness_score: float
    conditions: frozenset[str]
    hobbies: frozenset[str]


@dataclass(frozen=True)
class Catalogue:
    """The active stims, in the order the model scores them."""

    token: str
    stims: pd.DataFrame  # STIM_COLUMNS plus slug, one row per active stim, by id
    facts: tuple[StimFacts, ...]  # the same rows

    @classmethod
    def of(cls, token: str, stims: pd.DataFrame) -> "Catalogue":
        facts = tuple(
            StimFacts(
                stim_id=int(row.stim_id),
                name=row.name,
                slug=row.slug,
                category=row.category,
                harmfulness_score=float(row.harmfulness_score),
                conditions=frozenset(row.conditions),
                hobbies=frozenset(row.hobbies),
            )
            for row in stims.itertuples(index=False)
        )
        return cls(token=token, stims=stims, facts=facts)

    @property
    def stim_ids(self) -> np.ndarray:
        return self.stims["stim_id"].to_numpy()


@dataclass(frozen=True)
class ServingModel:
    version_id: int
    catalogue_token: str
    scorer: object  # recommender.ml.scoring.Scorer
    prepared: object  # its PreparedStims for the catalogue


class ModelUnavailable(Exception):
    """No model can serve: none is active, or its artifact cannot be loaded."""


class _CacheOutage:
    warned_at = float("-inf")  # time.monotonic() of the last warning


@contextmanager
def cache_outage_survived():
    """Runs the block's cache calls; should the cache be unreachable, logs a warning (once per
    CACHE_WARNING_SECONDS) and leaves the block, so the caller goes on without the cache."""
    try:
        yield
    except CACHE_ERRORS as error:
        now = time.monotonic()
        if now - _CacheOutage.warned_at >= CACHE_WARNING_SECONDS:
            _CacheOutage.warned_at = now
            logger.warning(
                "the cache cannot be reached, serving without it: %s: %s",
                type(error).__name__,
                error,
            )


def serving_stamp() -> Stamp:
    with cache_outage_survived():
        stamp = cache.get(STAMP_KEY)
        if stamp is None:  # first request, or the cache lost it
            stamp = _stamp_new()
            if not cache.add(STAMP_KEY, stamp, timeout=LIST_TIMEOUT):
                stamp = cache.get(STAMP_KEY, stamp)  # another request made one first: share it
        return stamp
    return _stamp_held()


def serving_stamp_reset(**_signal_arguments) -> None:
    """Makes every process reload the catalogue and active model and drop every cached list,
    once the current transaction commits (before that, other requests would reload old data).

    The new stamp is written, not just the old one deleted: a request that read the active
    version before the commit could otherwise add its out-of-date stamp back."""

    def reset() -> None:
        with cache_outage_survived():
            cache.set(STAMP_KEY, _stamp_new(), timeout=LIST_TIMEOUT)

    transaction.on_commit(reset)


def _stamp_new() -> Stamp:
    return Stamp(version_id=_active_version_id(), catalogue_token=uuid.uuid4().hex)


def _stamp_held() -> Stamp:
    """The stamp while the cache is down: the active version, read from the database, and the
    catalogue this process holds (a new token when it holds none, so it builds one and then
    keeps it: an outage costs no catalogue per request)."""
    held = _Held.catalogue
    token = held.token if held is not None else uuid.uuid4().hex
    return Stamp(version_id=_active_version_id(), catalogue_token=token)


def _active_version_id() -> int | None:
    return (
        ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )


def cached_list_drop(*, user_id: int) -> None:
    def drop() -> None:
        with cache_outage_survived():
            cache.delete(LIST_KEY.format(user_id=user_id))

    transaction.on_commit(drop)


def cached_list_read(*, user_id: int) -> tuple[Stamp, object | None]:
    """The stamp and the user's cached list when it was made under that stamp: one round trip.
    Without the cache: the stamp of what this process holds, and no list."""
    key = LIST_KEY.format(user_id=user_id)
    with cache_outage_survived():
        found = cache.get_many([STAMP_KEY, key])
        stamp = found.get(STAMP_KEY) or serving_stamp()
        entry = found.get(key)
        if entry is not None and entry[0] == stamp:
            return stamp, entry[1]
        return stamp, None
    return _stamp_held(), None


def cached_list_write(*, user_id: int, stamp: Stamp, ranked: object, fallback: bool) -> None:
    """fallback: the list was made without the model although one is active (it failed): kept
    only until the model is tried again, so the person gets its list once it loads."""
    timeout = LOAD_RETRY_SECONDS if fallback and stamp.version_id else LIST_TIMEOUT
    with cache_outage_survived():
        cache.set(LIST_KEY.format(user_id=user_id), (stamp, ranked), timeout=timeout)


class _Held:
    """This process's catalogue and model, replaced whole when the stamp changes."""

    lock = threading.Lock()
    catalogue: Catalogue | None = None
    model: ServingModel | None = None
    failed: tuple[Stamp, float, str] | None = None  # under which stamp, when, why


def catalogue_for(stamp: Stamp) -> Catalogue:
    held = _Held.catalogue
    if held is not None and held.token == stamp.catalogue_token:
        return held
    with _Held.lock:
        if _Held.catalogue is None or _Held.catalogue.token != stamp.catalogue_token:
            stims = Stim.objects.filter(is_active=True)
            frame = stims_frame(stims)
            slugs = dict(stims.values_list("id", "slug"))
            _Held.catalogue = Catalogue.of(
                stamp.catalogue_token, frame.assign(slug=frame["stim_id"].map(slugs))
            )
        return _Held.catalogue


def serving_model_for(stamp: Stamp, catalogue: Catalogue) -> ServingModel:
    """The active model, ready to score this catalogue; raises ModelUnavailable."""
    if stamp.version_id is None:
        raise ModelUnavailable("no model version is active yet")
    held = _Held.model
    if _fits(held, stamp):
        return held
    with _Held.lock:
        if not _fits(_Held.model, stamp):
            _Held.model = _serving_model_build(stamp, catalogue, reuse=_Held.model)
        return _Held.model


def _fits(held: ServingModel | None, stamp: Stamp) -> bool:
    return (
        held is not None
        and held.version_id == stamp.version_id
        and held.catalogue_token == stamp.catalogue_token
    )


def _serving_model_build(
    stamp: Stamp, catalogue: Catalogue, *, reuse: ServingModel | None
) -> ServingModel:
    from .ml.preprocessing import encode_stims

    if reuse is not None and reuse.version_id == stamp.version_id:
        scorer = reuse.scorer  # only the catalogue changed: keep the loaded model
    else:
        scorer = _scorer_load(stamp)
    return ServingModel(
        version_id=stamp.version_id,
        catalogue_token=stamp.catalogue_token,
        scorer=scorer,
        prepared=scorer.prepare_stims(encode_stims(catalogue.stims)),
    )


def _scorer_load(stamp: Stamp):
    """Loads the active version's artifact; a failure is logged once and remembered until the
    stamp changes or LOAD_RETRY_SECONDS pass, so a broken artifact costs one attempt per
    minute, not one per request."""
    from .artifact_storage import artifact_local_folder
    from .ml.artifacts import load_artifact
    from .ml.scoring import Scorer

    version_id = stamp.version_id
    failed = _Held.failed
    if failed and failed[0] == stamp and time.monotonic() - failed[1] < LOAD_RETRY_SECONDS:
        raise ModelUnavailable(failed[2])
    try:
        version = ModelVersion.objects.get(pk=version_id)
        scorer = Scorer(load_artifact(artifact_local_folder(version.artifact)).model)
    except Exception as error:  # whatever breaks in a model, the people it serves get a list
        logger.error(
            "model version %s cannot serve, the popularity ranking serves instead: %s",
            version_id,
            error,
        )
        reason = f"model version {version_id} could not be loaded"
        _Held.failed = (stamp, time.monotonic(), reason)
        raise ModelUnavailable(reason) from error
    _Held.failed = None
    logger.info("model version %s loaded for serving", version_id)
    return scorer


def warm_up() -> int | None:
    """Holds the catalogue and the active model now; returns the version that serves, or None
    when the popularity fallback does (none active, or it cannot serve: logged). /readyz calls
    it, and so does each gunicorn worker before its first request, so no request waits for
    TensorFlow and the artifact to load."""
    stamp = serving_stamp()
    catalogue = catalogue_for(stamp)
    try:
        return serving_model_for(stamp, catalogue).version_id
    except ModelUnavailable:  # none active, or its artifact failed (logged when it did)
        return None
    except Exception:  # a model that breaks otherwise: lists fall back to popularity too
        logger.exception("the active model cannot serve")
        return None


def held_reset() -> None:
    """Forgets what this process holds (tests; a worker that must start clean)."""
    with _Held.lock:
        _Held.catalogue = _Held.model = _Held.failed = None
