"""Helpers the bench scripts share: the RESULT line, progress lines, peak memory, BLAS rate,
a PostgreSQL database of their own.

No TensorFlow here, so a script can import this before or after `recommender.ml`.
"""

import json
import operator
import os
import subprocess
import sys
import time
from urllib.parse import urlparse

_OPERATORS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}
_STARTED = time.perf_counter()


def log(message: str) -> None:
    """A progress line, stamped with the seconds since the script started."""
    print(f"[{time.perf_counter() - _STARTED:7.1f} s] {message}", flush=True)


def machine_load() -> str:
    """The load averages and core count, to read a run's figures by."""
    with open("/proc/loadavg") as loadavg:
        one, five, fifteen = loadavg.read().split()[:3]
    return f"load average {one} {five} {fifteen} on {os.cpu_count()} cores"


def figure(value: float) -> str:
    """An int as it is; a float with three significant digits, never in exponent form."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:#.3g}"
    return f"{value:.0f}" if "e" in text else text.rstrip(".")


def result(name: str, value: float, op: str, bound: float) -> bool:
    """Prints `RESULT <name> <value> target <op> <bound> PASS|FAIL`; True if it passed."""
    passed = bool(_OPERATORS[op](value, bound))
    print(
        f"RESULT {name} {figure(value)} target {op} {bound} {'PASS' if passed else 'FAIL'}",
        flush=True,
    )
    return passed


def finish(passed: list[bool]) -> None:
    """Exits non-zero if any target failed."""
    sys.exit(0 if all(passed) else 1)


# --- Peak memory: the resident set's high-water mark (VmHWM), reset just before the call.


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_rss() -> None:
    """Sets VmHWM back to the current RSS (Linux: writing 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def rss_mib() -> float:
    return _status_kib("VmRSS") / 1024


def peak_rss_mib() -> float:
    return _status_kib("VmHWM") / 1024


# --- The machine's float32 matrix-multiply rate, measured by NumPy in a child process.

_MATMUL_CHILD_CODE = """
import ctypes, json, sys, time
import numpy as np

size = int(sys.argv[1])
rng = np.random.default_rng(0)
a = rng.standard_normal((size, size), dtype=np.float32)
b = rng.standard_normal((size, size), dtype=np.float32)
for _ in range(3):
    a @ b

core, threads = "unknown", None
blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
with open("/proc/self/maps") as maps:
    libraries = sorted({p for p in maps.read().split() if "openblas" in p and ".so" in p})
for path in libraries:
    library = ctypes.CDLL(path)
    for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", "")):
        corename = getattr(library, f"{prefix}_get_corename{suffix}", None)
        if corename is not None:
            corename.restype = ctypes.c_char_p
            core = corename().decode()
            threads = getattr(library, f"{prefix}_get_num_threads{suffix}")()
            break
print(json.dumps({
    "blas": f"{blas.get('name')} {blas.get('version')}",
    "core": core,
    "threads": threads,
    "numpy": np.__version__,
}), flush=True)
for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    print(json.dumps(times), flush=True)
"""


class MatmulClock:
    """A child process that times NumPy float32 size x size matmuls whenever asked.

    The child runs with the `unset` environment variables removed (OpenBLAS reads its
    variables when it loads, so they cannot be changed in a running process). It stays
    alive so that its products can be interleaved with the timings they are compared to,
    and both see the same load on a shared machine. `info` holds the BLAS library, the
    OpenBLAS kernel (core) and thread count it chose, and numpy's version.
    """

    def __init__(self, *, unset: tuple[str, ...] = (), size: int = 2048):
        environment = {name: value for name, value in os.environ.items() if name not in unset}
        self.size = size
        self._child = subprocess.Popen(
            [sys.executable, "-c", _MATMUL_CHILD_CODE, str(size)],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info = json.loads(self._child.stdout.readline())

    def seconds(self, count: int) -> list[float]:
        """Wall time of each of `count` products, run back to back."""
        self._child.stdin.write(f"{count}\n")
        self._child.stdin.flush()
        return json.loads(self._child.stdout.readline())

    def gflops(self, seconds: float) -> float:
        return 2.0 * self.size**3 / seconds / 1e9

    def close(self) -> None:
        self._child.stdin.close()
        self._child.wait(timeout=60)

    def __enter__(self) -> "MatmulClock":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# --- A PostgreSQL database for a bench script's own data.


def ensure_database(url: str) -> None:
    """Creates the PostgreSQL database named in the URL if it does not exist yet."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")
