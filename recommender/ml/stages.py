"""Time and peak memory of each stage of a training, for the run's record and the benches."""

import resource
import time
from contextlib import contextmanager


class StageClock:
    """Records, per named stage, its wall time and the process's peak resident memory after it.

    The peak is the process's high-water mark so far (getrusage), so it never goes down: a
    stage's figure is the most memory the process had needed by the end of that stage.
    """

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = {
                "seconds": round(time.perf_counter() - started, 3),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
