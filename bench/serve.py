"""Serving latency: GET /api/me/recommendations/?k=10 through the whole Django stack.

One person asks for their list with token auth (`Authorization: Token <key>`) through
django.test.Client: in process, so every middleware, URL routing, DRF (authentication,
throttling, the query and response serializers), the request's transaction and the cache
are in the figure, and no WSGI server, socket or HTTP parsing is (nor opening a database
connection per request). The settings are the embedded mode's (SQLite, a local-memory
cache) with DEBUG off.

For catalogues of 100, 1,000 and 10,000 synthetic stims (fixed seed; names unique,
descriptions of a dozen words from a fixed list, random categories, about 10% of stims with
harmfulness >= 0.6, 0-3 conditions and hobbies each) the script measures four things:

- bare scoring: the held model's `scorer.score(encode_user(row), prepared)` alone, with the
  person's row read once beforehand (`recommender.data.user_row_read`);
- the trivial endpoint: GET /api/me/ (token auth and one small serializer);
- uncached: the list request after the person's cached list was deleted (outside the timed
  region), so it scores the catalogue, applies the harm policy and writes the cache;
- cached: the same request answered from the cached list.

They are interleaved in ROUNDS rounds, each running a burst of every kind in an order
rotated from round to round, so the noise of this shared 2-core machine falls on all alike.
A burst's first call is untimed, so every timed call follows one of its own kind: a light
request straight after TensorFlow's work runs with cold caches (about 0.6 ms slower here),
and a cached hit straight after an uncached request with warm ones, so with kinds mixed
call by call the ratios would depend on the order. Each figure is the median of its timed
calls (200; 80 bare scorings and uncached requests at 10,000 stims), after a warm-up (the
first requests load the model and prepare the catalogue).

The person has a profile (conditions, hobbies, two current stims, one of them harmful, so
the list carries safer alternatives) and a few interactions (a rating, a dismissal, a harm
report). One small model, trained once on the synthetic population with the default
dimensions (the full-size ScoreEstimator), serves every catalogue: it scores unseen stims
from their text. Each catalogue gets a new active model version and a clean cache and held
state.

The user throttle's rate is raised to 1,000,000 per second: high enough never to refuse,
and a one-second window keeps the history the throttle reads from and writes to the cache on
every request to the last second's requests (a per-minute window would hold every request
of the last minute, tens of thousands here, and slow every endpoint alike).

Everything lives in a temporary directory (database, model storage), removed at the end.

Targets, on the medians at 1,000 stims: uncached <= 1.5 x (bare scoring + trivial endpoint);
cached <= 1.2 x trivial endpoint. 100 and 10,000 stims are printed for information, and so
is a second table of the same figures at the 10th percentile of each kind's calls: on a busy
machine (the load average is printed) a millisecond request is often interrupted by other
processes, which moves medians more than the fastest tenth of the calls.

Run: `.venv/bin/python bench/serve.py`; with `--profile`, only 1,000 stims are measured
and cProfile's top entries for the uncached and the cached request are printed too. About
a minute.
"""

# ruff: noqa: E402  (Django is configured and set up before the project's modules are imported)
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Everything in a temporary directory, in the embedded mode, before Django reads its settings.
TEMPORARY = Path(tempfile.mkdtemp(prefix="bench-serve-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="stimsite.settings",
    DATABASE_URL=f"sqlite:///{TEMPORARY / 'bench.sqlite3'}",
    RECOMMENDER_MODEL_DIR=str(TEMPORARY / "models"),
    REDIS_URL="",  # the local-memory cache (empty, not unset, also overrides a .env entry)
    API_THROTTLE_USER="1000000/second",
    DEBUG="false",
    LOG_LEVEL="WARNING",
)

import recommender.ml  # noqa: F401  sets TF_USE_LEGACY_KERAS before anything loads TensorFlow

# isort: split
import django

django.setup()

# isort: split
import cProfile
import io
import pstats
import shutil
import statistics
import time
import uuid
import warnings

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils.text import slugify
from rest_framework.authtoken.models import Token

from bench._common import figure, finish, log, machine_load, result
from recommender import serving
from recommender.data import user_row_read
from recommender.ml.artifacts import save_artifact
from recommender.ml.preprocessing import encode_user
from recommender.ml.training import TrainingConfig, train_ranking_model
from recommender.models import Interaction, ModelVersion, model_storage
from recommender.services import model_version_activate
from recommender.synthetic import SEPARATOR, generate_population, load_catalogue, model_frames
from stims.models import Category, Condition, Hobby, Stim

SEED = 7
TRAINING_USERS = 300
LIST_URL, TRIVIAL_URL = "/api/me/recommendations/?k=10", "/api/me/"
# Every round runs a burst of each kind: one untimed call, then timed calls back to back.
ROUNDS, BURST = 20, 10
# stims -> timed calls per burst of bare scoring and of uncached requests
SIZES = {100: BURST, 1_000: BURST, 10_000: 4}
PROFILED_SIZE = 1_000
WARMUP = 10
PROFILED_REQUESTS = 100
UNCACHED_TARGET, CACHED_TARGET = 1.5, 1.2
HARMFUL_SHARE = 0.1
WORDS = (
    "soft", "squeeze", "press", "roll", "spin", "tap", "hum", "rock", "sway", "bounce", "chew",
    "stretch", "twist", "smooth", "rough", "cool", "warm", "heavy", "light", "quiet", "loud",
    "bright", "calm", "steady", "rhythm", "pattern", "texture", "pressure", "breath", "music",
    "colour", "sound", "motion", "balance", "hands", "fingers", "feet", "jaw", "voice", "eyes",
    "focus", "rest", "ground", "settle", "release", "repeat", "slow", "quick", "gentle", "firm",
    "ball", "band", "bead", "cloth", "putty", "ring", "blanket", "swing", "chair", "tube",
    "string", "spring", "coil", "button", "switch", "glitter",
)  # fmt: skip
KINDS = ("bare", "trivial", "uncached", "cached")


def model_artifact(folder: Path) -> Path:
    """Trains the small served model once: the default dimensions, one epoch."""
    catalogue = load_catalogue()
    population = generate_population(catalogue, n_users=TRAINING_USERS, seed=SEED)
    training = train_ranking_model(
        *model_frames(population, catalogue),
        config=TrainingConfig(epochs=1, early_stopping_patience=None),
    )
    save_artifact(training.trained, folder)
    return folder


def tags_create() -> tuple[list[Condition], list[Hobby]]:
    """The shipped catalogue's conditions and hobbies: names the model knows."""
    catalogue = load_catalogue()

    def names(column: str) -> list[str]:
        return sorted(
            {name for cell in catalogue[column] for name in cell.split(SEPARATOR) if name}
        )

    return (
        Condition.objects.bulk_create(
            Condition(name=name, slug=slugify(name)) for name in names("conditions")
        ),
        Hobby.objects.bulk_create(
            Hobby(name=name, slug=slugify(name)) for name in names("hobbies")
        ),
    )


def catalogue_create(n: int, conditions: list[Condition], hobbies: list[Hobby]) -> list[Stim]:
    """n synthetic stims with their tags, by bulk_create (the through rows too)."""
    rng = np.random.default_rng(SEED + n)
    harmful = rng.random(n) < HARMFUL_SHARE
    harm = np.where(harmful, rng.uniform(0.6, 1.0, n), rng.uniform(0.0, 0.5, n)).round(2)
    categories = rng.choice(Category.values, n)
    stims = Stim.objects.bulk_create(
        Stim(
            name=(name := f"{' '.join(rng.choice(WORDS, 2)).capitalize()} {n}-{i}"),
            slug=slugify(name),
            description=" ".join(rng.choice(WORDS, 12)).capitalize() + ".",
            category=categories[i],
            harmfulness_score=float(harm[i]),
        )
        for i in range(n)
    )
    for field, tags, column in (
        (Stim.conditions, conditions, "condition_id"),
        (Stim.hobbies, hobbies, "hobby_id"),
    ):
        field.through.objects.bulk_create(
            field.through(stim_id=stim.pk, **{column: tags[pick].pk})
            for stim in stims
            for pick in rng.choice(len(tags), rng.integers(0, 4), replace=False)
        )
    return stims


def person_create(conditions: list[Condition], hobbies: list[Hobby]):
    person = get_user_model().objects.create_user("bench-person", "person@example.org")
    profile = person.profile
    profile.age, profile.gender, profile.sexuality = 29, "non_binary", "queer"
    profile.stimming_essentiality_score = 0.8
    profile.save()
    profile.neurodivergent_conditions.set(c for c in conditions if c.name in {"ADHD", "Autism"})
    profile.hobbies.set(h for h in hobbies if h.name in {"Music", "Gaming", "Drawing"})
    return person, Token.objects.create(user=person).key


def person_stims_set(person, stims: list[Stim]) -> None:
    """Two current stims (one harmful) and a rating, a dismissal and a harm report."""
    safe = [stim for stim in stims if stim.harmfulness_score < settings.RECOMMENDER_HARM_THRESHOLD]
    harmful = next(s for s in stims if s.harmfulness_score >= settings.RECOMMENDER_HARM_THRESHOLD)
    person.profile.current_stims.set([safe[0], harmful])
    Interaction.objects.bulk_create(
        [
            Interaction(user=person, stim=safe[0], rating=5, still_using=True),
            Interaction(user=person, stim=safe[1], rating=4),
            Interaction(user=person, stim=safe[2], dismissed=True),
            Interaction(user=person, stim=safe[3], rating=1, harm_reported=True),
        ]
    )


def catalogue_replace(n: int, person, conditions, hobbies, artifact: Path) -> None:
    """The catalogue of n stims, a new active model version, and serving started afresh."""
    Interaction.objects.filter(user=person).delete()
    Stim.objects.all().delete()
    person_stims_set(person, catalogue_create(n, conditions, hobbies))
    name = f"model-{uuid.uuid4().hex}"
    shutil.copytree(artifact, model_storage().path(name))
    version = ModelVersion.objects.create(artifact=name, status=ModelVersion.Status.READY)
    model_version_activate(version=version, note="activated by bench/serve.py")
    cache.clear()
    serving.held_reset()


def list_check(client: Client, n: int, list_key: str) -> None:
    """The list the timed requests get: ranked by the model, ten stims, none harmful, safer
    alternatives for the harmful current stim; and cached by the request that made it."""
    cache.delete(list_key)
    response = client.get(LIST_URL)
    assert cache.get(list_key) is not None
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["source"] == "model", f"the model did not serve: {body['notice']}"
    assert len(body["stims"]) == 10, body["stims"]
    threshold = settings.RECOMMENDER_HARM_THRESHOLD
    assert all(stim["harmfulness_score"] < threshold for stim in body["stims"])
    assert len(body["safer_alternatives"]) == 1
    held = serving._Held.model
    assert held is not None and len(held.prepared) == n


def seconds_of(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def request_seconds(client: Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - start
    assert response.status_code == 200, response.content
    return seconds


def measure(n: int, client: Client, person) -> dict[str, list[float]]:
    """Seconds per timed call of each kind. Every round runs a burst of each kind, in an order
    rotated from round to round; a burst's first call is untimed, so every timed call follows
    one of its own kind (a light request straight after TensorFlow's work runs with cold
    caches, a cached hit straight after an uncached request with warm ones)."""
    list_key = serving.LIST_KEY.format(user_id=person.pk)
    for _ in range(WARMUP):
        cache.delete(list_key)
        client.get(LIST_URL)
        client.get(LIST_URL)
        client.get(TRIVIAL_URL)
    list_check(client, n, list_key)
    held, row = serving._Held.model, user_row_read(person.pk)

    def uncached() -> float:
        cache.delete(list_key)
        return request_seconds(client, LIST_URL)

    calls = {
        "bare": lambda: seconds_of(lambda: held.scorer.score(encode_user(row), held.prepared)),
        "trivial": lambda: request_seconds(client, TRIVIAL_URL),
        "uncached": uncached,
        "cached": lambda: request_seconds(client, LIST_URL),
    }
    burst = {"bare": SIZES[n], "trivial": BURST, "uncached": SIZES[n], "cached": BURST}
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for round_number in range(ROUNDS):
        shift = round_number % len(KINDS)
        for kind in KINDS[shift:] + KINDS[:shift]:
            calls[kind]()
            seconds[kind].extend(calls[kind]() for _ in range(burst[kind]))
    return seconds


def profile_print(client: Client, person) -> None:
    """cProfile over PROFILED_REQUESTS uncached, then as many cached, list requests."""
    list_key = serving.LIST_KEY.format(user_id=person.pk)
    for label, before in (("uncached", lambda: cache.delete(list_key)), ("cached", lambda: None)):
        profiler = cProfile.Profile()
        for _ in range(PROFILED_REQUESTS):
            before()
            profiler.enable()
            client.get(LIST_URL)
            profiler.disable()
        for order in ("tottime", "cumulative"):
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(30)
            print(f"\n--- {label} list request, {PROFILED_REQUESTS} of them, by {order}:")
            print(text.getvalue().strip(), flush=True)


def seconds_measure(sizes: list[int], *, profile: bool) -> dict[int, dict[str, list[float]]]:
    """Sets up the site, then measures each catalogue in turn."""
    call_command("migrate", verbosity=0)
    artifact = model_artifact(TEMPORARY / "trained" / "model")
    log(f"model trained on {TRAINING_USERS} synthetic people, one epoch, default dimensions")
    conditions, hobbies = tags_create()
    person, token = person_create(conditions, hobbies)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    seconds = {}
    for n in sizes:
        catalogue_replace(n, person, conditions, hobbies, artifact)
        seconds[n] = measure(n, client, person)
        log(
            f"{n:,} stims: "
            + ", ".join(
                f"{kind} {statistics.median(values) * 1e3:.3f} ms (median of {len(values)})"
                for kind, values in seconds[n].items()
            )
        )
        if profile:
            profile_print(client, person)
    return seconds


def table_print(title: str, figures: dict[int, dict[str, float]]) -> dict[int, tuple[float, float]]:
    """Prints a row per catalogue size; returns its (uncached / (bare + trivial), cached /
    trivial)."""
    header = (
        "stims",
        "bare scoring ms",
        "trivial endpoint ms",
        "uncached ms",
        "cached ms",
        "uncached / (bare + trivial)",
        "cached / trivial",
    )
    ratios = {
        n: (f["uncached"] / (f["bare"] + f["trivial"]), f["cached"] / f["trivial"])
        for n, f in figures.items()
    }
    rows = [
        (f"{n:,}", *(f"{f[kind] * 1e3:.3f}" for kind in KINDS), *map(figure, ratios[n]))
        for n, f in figures.items()
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}:")
    for cells in (header, tuple("-" * width for width in widths), *rows):
        print(" | ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True)))
    return ratios


def main() -> None:
    profile = "--profile" in sys.argv[1:]
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    log(machine_load())
    try:
        seconds = seconds_measure([PROFILED_SIZE] if profile else list(SIZES), profile=profile)
    finally:
        connections.close_all()
        shutil.rmtree(TEMPORARY, ignore_errors=True)
    log(machine_load())

    uncached, cached = table_print(
        "Medians (the targets' figures)",
        {
            n: {kind: statistics.median(values) for kind, values in by_kind.items()}
            for n, by_kind in seconds.items()
        },
    )[PROFILED_SIZE]
    table_print(
        "Fastest tenth (10th percentiles), for information: what a busy machine slows least",
        {
            n: {kind: statistics.quantiles(values, n=10)[0] for kind, values in by_kind.items()}
            for n, by_kind in seconds.items()
        },
    )
    print(flush=True)
    finish(
        [
            result(
                f"uncached_{PROFILED_SIZE}_vs_bare_plus_trivial", uncached, "<=", UNCACHED_TARGET
            ),
            result("cached_vs_trivial", cached, "<=", CACHED_TARGET),
        ]
    )


if __name__ == "__main__":
    main()
