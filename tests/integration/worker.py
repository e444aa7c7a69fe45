"""A real `celery worker` process for the integration tests, and the broker's queues around it.

The worker is started exactly as the training worker is deployed (prefork, one child, a fresh
child per task), in its own process group so that stopping it never leaves a pool child behind.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("training", "celery")
READY_SECONDS = 60
STOP_SECONDS = 15


@dataclass
class Worker:
    process: subprocess.Popen
    nodename: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pool_children(self) -> list[int]:
        """The pids of the worker's pool processes (the main process's children)."""
        children = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            try:
                children += [int(pid) for pid in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue  # a thread that ended while we looked
        return sorted(set(children))

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL for the whole process group after a while."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):  # its own group: start_new_session=True
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_SECONDS)


def worker_start(*, app, env: dict[str, str], log_path: Path) -> Worker:
    """Starts a worker on the training and default queues and waits until it answers a ping."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "stimsite",
        "worker",
        "-Q",
        ",".join(QUEUES),
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--max-tasks-per-child",
        "1",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}@%h",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2", **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, f"{name}@{socket.gethostname()}", log_path)

    def answers() -> list:
        # A connection of its own: a pooled one may have died with a Redis restarted by an
        # earlier test, and a control broadcast does not reconnect.
        with app.connection_for_write() as connection:
            return app.control.ping(
                destination=[worker.nodename], timeout=0.5, connection=connection
            )

    try:
        wait_until(
            answers,
            timeout=READY_SECONDS,
            what=f"worker {worker.nodename} to answer a ping",
            worker=worker,
        )
    except BaseException:
        worker.stop()
        raise
    return worker


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str | Callable[[], str],
    worker: Worker | None = None,
    interval: float = 0.25,
):
    """Polls condition() until it is truthy and returns its value; fails with the worker's log
    when the time is up or the worker died. what (or what()) names what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if worker is not None and not worker.alive():
            problem = f"the worker exited ({worker.process.returncode}) while waiting for"
        elif time.monotonic() > deadline:
            problem = f"timed out after {timeout:.0f} s waiting for"
        else:
            time.sleep(interval)
            continue
        log = f"\n--- worker log ---\n{worker.log()}" if worker else ""
        pytest.fail(f"{problem} {what() if callable(what) else what}{log}")


def queues_purge(app) -> None:
    """Drops every message of the test queues, waiting or delivered but unacknowledged, so a
    leftover from an earlier test (or an interrupted run) never executes."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in QUEUES:
            channel.queue_purge(queue)
        client = channel.client
        for tag, payload in client.hgetall(channel.unacked_key).items():
            _message, _exchange, routing_key = json.loads(payload)
            if routing_key in QUEUES:
                client.pipeline().hdel(channel.unacked_key, tag).zrem(
                    channel.unacked_index_key, tag
                ).execute()


def queued_messages(app, queue: str) -> int:
    """How many messages wait in a queue of the broker."""
    with app.connection_for_write() as connection:
        return connection.default_channel._size(queue)


def run_wait(run, *, worker: Worker, timeout: float = 120):
    """Waits until the training run has finished (succeeded, failed or skipped)."""
    from recommender.models import TrainingRun

    def finished() -> bool:
        run.refresh_from_db()
        return run.state not in TrainingRun.IN_PROGRESS

    wait_until(
        finished,
        timeout=timeout,
        what=lambda: (
            f"training run {run.pk} to finish (it is {run.state}, attempt {run.attempts}, "
            f"progress {run.progress})"
        ),
        worker=worker,
    )
    return run
