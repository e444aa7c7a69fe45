"""The people of bench/load.py, for locust: each signs in with one seeded person's API token
and mixes recommendation views, catalogue browsing and feedback.

Read from the environment (bench/load.py sets them): LOAD_TOKENS, a file of one token per line
(one per simulated person, never shared, so no one's throttle is another's); LOAD_THINK, the
mean pause in seconds between a person's requests; LOAD_ACKNOWLEDGED, the file this writes, at
the end, with one line `<interaction id> <stim id> <rating>` for each feedback the server
answered with a 201.
"""

import os
import random
from pathlib import Path

from locust import HttpUser, between, constant, events, task

TOKENS = Path(os.environ["LOAD_TOKENS"]).read_text().split()
THINK = float(os.environ.get("LOAD_THINK", "0.5"))
ACKNOWLEDGED: list[tuple[int, int, int]] = []
_unused_tokens = iter(TOKENS)


class Person(HttpUser):
    wait_time = between(0, 2 * THINK) if THINK else constant(0)

    def on_start(self) -> None:
        token = next(_unused_tokens)  # more simulated people than tokens: locust stops here
        self.client.headers["Authorization"] = f"Token {token}"
        self.rated = self._rated_stims()
        self.seen: list[int] = []

    def _rated_stims(self) -> set[int]:
        rated, page = set(), 1
        while page:
            answer = self.client.get(
                "/api/me/interactions/", params={"page": page, "page_size": 100}, name="my feedback"
            ).json()
            rated |= {interaction["stim"] for interaction in answer["results"]}
            page = page + 1 if answer["next"] else 0
        return rated

    @task(5)
    def recommendations(self) -> None:
        answer = self.client.get(
            "/api/me/recommendations/", params={"k": 10}, name="recommendations"
        )
        if answer.ok:
            self.seen = [stim["stim_id"] for stim in answer.json()["stims"]]

    @task(3)
    def catalogue(self) -> None:
        page = self.client.get(
            "/api/stims/", params={"page": random.randint(1, 7)}, name="catalogue page"
        )
        if page.ok and page.json()["results"]:
            stim = random.choice(page.json()["results"])
            self.client.get(f"/api/stims/{stim['id']}/", name="stim detail")
            self.seen.append(stim["id"])

    @task(2)
    def feedback(self) -> None:
        unrated = [stim for stim in self.seen if stim not in self.rated]
        if not unrated:
            return
        stim, rating = random.choice(unrated), random.randint(1, 5)
        self.rated.add(stim)
        answer = self.client.post(
            "/api/me/interactions/", json={"stim": stim, "rating": rating}, name="feedback"
        )
        if answer.status_code == 201:
            ACKNOWLEDGED.append((answer.json()["id"], stim, rating))


@events.quitting.add_listener
def acknowledged_write(environment, **_) -> None:
    lines = "".join(
        f"{interaction} {stim} {rating}\n" for interaction, stim, rating in ACKNOWLEDGED
    )
    Path(os.environ["LOAD_ACKNOWLEDGED"]).write_text(lines)
