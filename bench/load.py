"""Load: many people on the production-like stack of `make serve` (gunicorn, a Celery worker
per queue, beat, PostgreSQL, Redis) for a bounded time, while retrainings run behind them.

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --workers 1 2 3 4 --think 0 --duration 30 --no-retrain

The database named by --database-url (PostgreSQL, created if missing; never the one in
DATABASE_URL, which this script empties) and the Redis database of --redis-url are emptied,
then seed_demo fills the database, a first model is trained and activated, and each seeded
person gets an API token. For each gunicorn worker count: `make serve` starts with that
WEB_CONCURRENCY on 127.0.0.1, /readyz is awaited, a staff client asks for a retraining
through the API and asks again whenever one finishes, and locust (bench/locustfile.py,
headless) runs --people simulated people, one token each, for --duration seconds; then
everything is stopped. Afterwards every feedback the server answered with a 201 is looked up
in the database.

Throttles stay on, with per-person and training rates raised so that the load itself is not
refused. Figures come from locust's JSON report, written once at the end: requests per second
over the first to the last request, percentiles over its response times (which locust rounds
above 100 ms to 10 ms, above 1 s to 100 ms), overall and per kind of request.

Targets: no failed request (locust counts any error status or refused connection), and no
acknowledged feedback missing from the database.
"""

import argparse
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ensure_database, finish, log, machine_load, result

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
STAFF = "load-staff"
RAISED_THROTTLES = {"API_THROTTLE_USER": "100000/minute", "API_THROTTLE_TRAINING": "10000/hour"}
FINISHED = {"succeeded", "failed"}


def prepare(arguments) -> tuple[list[str], str]:
    """Empties and seeds the database, trains the first model; returns the people's tokens
    and the staff token."""
    import django

    django.setup()
    import redis
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    redis.Redis.from_url(arguments.redis_url).flushdb()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    log(f"seeding {arguments.seeded:,} people")
    call_command(
        "seed_demo", users=arguments.seeded, seed=1, no_progress=True, stdout=io.StringIO()
    )
    log("training the first model")
    subprocess.run(
        [sys.executable, "manage.py", "train_model", "--force-activate", "--no-progress"],
        cwd=BASE_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    people = get_user_model().objects.filter(profile__isnull=False, is_staff=False).order_by("pk")
    tokens = [Token.objects.get_or_create(user=person)[0].key for person in people]
    staff = get_user_model().objects.create_superuser(STAFF, password=None)
    return tokens, Token.objects.create(user=staff).key


def serve(workers: int, port: int, folder: Path) -> subprocess.Popen:
    """`make serve` in its own process group, logging to a file; returns once /readyz is 200.
    workers 0 leaves the count to gunicorn.conf.py."""
    environment = {**os.environ, **RAISED_THROTTLES, "GUNICORN_BIND": f"{HOST}:{port}"}
    if workers:
        environment["WEB_CONCURRENCY"] = str(workers)
    with open(folder / f"serve-{workers}.log", "w") as log_file:  # the child keeps its own copy
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=BASE_DIR,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"make serve stopped (exit {process.returncode}); see its log")
        try:  # a worker's first /readyz loads TensorFlow and the model
            if requests.get(f"http://{HOST}:{port}/readyz", timeout=60).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(1)
    stop(process)
    raise SystemExit("make serve was not ready within 300 s")


def stop(process: subprocess.Popen) -> None:
    """Stops make serve and everything it started (its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Retrainer(threading.Thread):
    """A staff client asking for a retraining through the API, again whenever one finishes."""

    def __init__(self, base_url: str, token: str):
        super().__init__(daemon=True)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.base_url = base_url
        self.done = threading.Event()
        self.finished: list[dict] = []

    def run(self) -> None:
        while not self.done.is_set():
            answer = self.session.post(f"{self.base_url}/api/training-runs/", json={}, timeout=30)
            answer.raise_for_status()
            run_url = f"{self.base_url}/api/training-runs/{answer.json()['id']}/"
            while not self.done.wait(1):
                run = self.session.get(run_url, timeout=30).json()
                if run["state"] in FINISHED:
                    self.finished.append(run)
                    break


def swarm(arguments, port: int, folder: Path, tokens: list[str], workers: int) -> dict:
    """Runs locust headless; returns its aggregated figures and the acknowledged feedback."""
    prefix = folder / f"locust-{workers}"
    acknowledged = folder / f"acknowledged-{workers}.txt"
    tokens_file = folder / "tokens.txt"
    tokens_file.write_text("\n".join(tokens))
    subprocess.run(
        [
            *(str(VENV_BIN / "locust"), "-f", str(BASE_DIR / "bench" / "locustfile.py")),
            *("--headless", "--only-summary", "--loglevel", "WARNING"),
            *("--users", str(arguments.people), "--spawn-rate", str(max(1, arguments.people // 5))),
            *("--run-time", f"{arguments.duration}s"),
            *("--host", f"http://{HOST}:{port}", "--exit-code-on-error", "0"),
            *("--csv", str(prefix), "--json-file", str(prefix)),
        ],
        env={
            **os.environ,
            "LOAD_TOKENS": str(tokens_file),
            "LOAD_THINK": str(arguments.think),
            "LOAD_ACKNOWLEDGED": str(acknowledged),
        },
        check=True,
    )
    with open(f"{prefix}_failures.csv") as failures:  # written each second: for the reasons
        for row in csv.DictReader(failures):
            log(f"failed {row['Occurrences']}x: {row['Method']} {row['Name']}: {row['Error']}")
    entries = json.loads(Path(f"{prefix}.json").read_text())  # written once, at the end
    print(f"{'request':<18}{'count':>8}{'failed':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for entry in entries:
        times = entry["response_times"]
        print(
            f"{entry['name']:<18}{entry['num_requests']:>8}{entry['num_failures']:>8}"
            + "".join(f"{percentile(times, q):>8.0f}" for q in (0.5, 0.95, 0.99))
        )
    times = Counter()
    for entry in entries:
        times.update({float(ms): count for ms, count in entry["response_times"].items()})
    requests = sum(entry["num_requests"] for entry in entries)
    seconds = max(e["last_request_timestamp"] for e in entries) - min(
        e["start_time"] for e in entries
    )
    return {
        "requests": requests,
        "failures": sum(entry["num_failures"] for entry in entries),
        "rps": requests / seconds,
        **{f"p{round(q * 100)}": percentile(times, q) for q in (0.5, 0.95, 0.99)},
        "acknowledged": [
            tuple(map(int, line.split())) for line in acknowledged.read_text().splitlines()
        ],
    }


def percentile(times: dict, quantile: float) -> float:
    """The response time (locust's rounded ms) below which `quantile` of the requests fall."""
    counts = sorted((float(ms), count) for ms, count in times.items())
    wanted, seen = quantile * sum(count for _, count in counts), 0
    for ms, count in counts:
        seen += count
        if seen >= wanted:
            return ms
    return counts[-1][0]


def lost(acknowledged: list[tuple[int, int, int]]) -> int:
    """Acknowledged feedback not in the database as it was acknowledged."""
    from recommender.models import Interaction

    stored = {
        (pk, stim, rating)
        for pk, stim, rating in Interaction.objects.filter(
            pk__in=[interaction for interaction, _, _ in acknowledged]
        ).values_list("pk", "stim_id", "rating")
    }
    return sum(1 for entry in acknowledged if entry not in stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/stims_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--workers", type=int, nargs="+", default=[0], help="0: make serve's own")
    parser.add_argument("--people", type=int, default=50, help="simulated people at once")
    parser.add_argument("--seeded", type=int, default=200, help="people in the database")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between requests")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per run")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-retrain", dest="retrain", action="store_false")
    arguments = parser.parse_args()
    if arguments.people > arguments.seeded:
        parser.error("--people cannot exceed --seeded: each simulated person needs a token")
    if arguments.database_url == os.environ.get("DATABASE_URL"):
        parser.error("--database-url is emptied by this script: not the DATABASE_URL in use")

    ensure_database(arguments.database_url)
    os.environ.update(
        DATABASE_URL=arguments.database_url,
        REDIS_URL=arguments.redis_url,
        DJANGO_SETTINGS_MODULE="stimsite.settings",
        LOG_LEVEL="WARNING",
    )
    log(machine_load())
    tokens, staff_token = prepare(arguments)
    folder = Path(tempfile.mkdtemp(prefix="stims-load-"))
    log(f"logs and locust's CSV files in {folder}")

    runs = []
    for workers in arguments.workers:
        process = serve(workers, arguments.port, folder)
        retrainer = Retrainer(f"http://{HOST}:{arguments.port}", staff_token)
        try:
            if arguments.retrain:
                retrainer.start()
            log(f"load: {arguments.people} people for {arguments.duration} s, workers: {workers}")
            figures = swarm(arguments, arguments.port, folder, tokens, workers)
        finally:
            retrainer.done.set()
            stop(process)
        figures.update(workers=workers, retrainings=[run["state"] for run in retrainer.finished])
        figures["lost"] = lost(figures["acknowledged"])
        runs.append(figures)

    print(f"\n{machine_load()}")
    print(
        "| gunicorn workers | people | think s | requests | req/s | p50 ms | p95 ms | p99 ms "
        "| failures | feedback acknowledged | lost | retrainings finished |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run['workers'] or 'default'} | {arguments.people} | {arguments.think} "
            f"| {run['requests']:,} | {run['rps']:.1f} | {run['p50']:.0f} | {run['p95']:.0f} "
            f"| {run['p99']:.0f} | {run['failures']} | {len(run['acknowledged'])} | {run['lost']} "
            f"| {len(run['retrainings'])} ({', '.join(run['retrainings']) or 'none'}) |"
        )
    finish(
        [
            result("load_failed_requests", sum(run["failures"] for run in runs), "==", 0),
            result("load_acknowledged_feedback_lost", sum(run["lost"] for run in runs), "==", 0),
        ]
    )


if __name__ == "__main__":
    main()
