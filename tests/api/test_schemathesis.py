"""Schemathesis against a live server, with every check it has, as a person and as staff: no
server error, no response that breaks the schema, and nobody reaches another person's feedback.

Every built-in check runs (call_and_validate's default set) plus one of our own; only
max_response_time, off unless given a limit, stays off: a test here asserts no timing.

Run: .venv/bin/pytest tests/api/test_schemathesis.py -q
"""

import json
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from recommender.models import Interaction, ModelVersion, TrainingRun
from stims.models import Condition, Hobby, Stim
from tests.factories import (
    ConditionFactory,
    HobbyFactory,
    InteractionFactory,
    StaffUserFactory,
    StimFactory,
    UserFactory,
)
from tests.recommender.factories import ModelVersionFactory, ProfileFactory, TrainingRunFactory

INTERACTION_PATH = "/api/me/interactions/{id}/"
# Schema-valid requests these operations refuse with a 400, by rules no schema can carry: the
# stims, conditions and hobbies named must exist, a person gives feedback on a stim once and with
# some signal, health and identity answers need consent, a stim's name is unique, and a token
# needs a real password.
REFUSED_BY_RULES = [
    "POST /api/auth/token/",
    "GET /api/me/interactions/",
    "POST /api/me/interactions/",
    f"PUT {INTERACTION_PATH}",
    f"PATCH {INTERACTION_PATH}",
    "PUT /api/me/profile/",
    "PATCH /api/me/profile/",
    "POST /api/stims/",
    "PUT /api/stims/{id}/",
    "PATCH /api/stims/{id}/",
]
# ...so positive_data_acceptance takes a 400 from them, and the rest of what it expects.
ACCEPTED_FOR_VALID_DATA = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
ACCEPTED_NEGATIVE_DATA = "ST201"  # the failure negative_data_rejection reports
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    # The fixtures (live server, data, caller) are the same for every generated case.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def account(username: str, *, staff: bool, token: str):
    """A staff superuser, or a person with a profile and feedback on the first two stims."""
    if staff:
        person = StaffUserFactory(username=username, is_superuser=True)
    else:
        person = UserFactory(username=username)
        stims = list(Stim.objects.filter(harmfulness_score__lt=0.6).order_by("pk")[:2])
        ProfileFactory(user=person, current_stims=stims[:1])
        for stim in stims:
            InteractionFactory(user=person, stim=stim)
    Token.objects.get_or_create(user=person, defaults={"key": token})
    return person


@dataclass
class Caller:
    """Who the generated requests are sent as (with a token that outlives their account), the
    person whose reads of theirs are replayed ("two"), and the data they are sent against."""

    username: str
    staff: bool
    token: str = field(default_factory=Token.generate_key)
    peer_token: str = field(default_factory=Token.generate_key)  # person "two"'s
    others_interactions: frozenset[int] = frozenset()
    active_stims: list[int] = field(default_factory=list)

    def make_world(self) -> None:
        """Conditions, hobbies, stims (one harmful, one retired), person "one" and person "two"
        with feedback, the caller, a model version and a training run. Made again, the same,
        before each stateful scenario, so no scenario depends on what an earlier one did."""
        for model in (Interaction, TrainingRun, ModelVersion, get_user_model(), Stim):
            model.objects.all().delete()
        Condition.objects.all().delete()
        Hobby.objects.all().delete()
        conditions = ConditionFactory.create_batch(3)
        hobbies = HobbyFactory.create_batch(3)
        StimFactory.create_batch(5, conditions=conditions[:2], hobbies=hobbies[:1])
        StimFactory(name="Skin picking", harmfulness_score=0.8, conditions=conditions[2:])
        StimFactory(name="Retired", is_active=False)
        tokens = {"one": Token.generate_key(), "two": self.peer_token, self.username: self.token}
        for username, staff in {"one": False, "two": False, self.username: self.staff}.items():
            account(username, staff=staff, token=tokens[username])
        two = get_user_model().objects.get(username="two")
        ModelVersionFactory()
        TrainingRunFactory(requested_by=two)
        self.others_interactions = frozenset(two.interactions.values_list("pk", flat=True))
        self.active_stims = sorted(Stim.objects.filter(is_active=True).values_list("pk", flat=True))

    def ensure_account(self) -> None:
        """DELETE /api/me/ erases the caller: make them again, with the same token, so the
        cases after it are still signed in."""
        if not get_user_model().objects.filter(username=self.username).exists():
            account(self.username, staff=self.staff, token=self.token)

    def others_feedback_stays_theirs(self, ctx, response, case) -> None:
        """A custom check: a successful response never shows, nor acts on, another person's
        feedback."""
        if not 200 <= response.status_code < 300:
            return
        on_one = case.operation.path == INTERACTION_PATH
        reached = {case.path_parameters.get("id")} if on_one else set()
        shown = interaction_ids(response.json()) if response.content else set()
        leaked = (reached | shown) & self.others_interactions
        assert not leaked, f"{self.username} reached another person's feedback {sorted(leaked)}"


def interaction_ids(body) -> set[int]:
    """The ids of every interaction (the objects with a `stim_name`) in a JSON body; OPTIONS
    describes the fields instead, with no id."""
    if isinstance(body, list):
        return set().union(*map(interaction_ids, body))
    if not isinstance(body, dict):
        return set()
    found = {body["id"]} if "stim_name" in body and isinstance(body["id"], int) else set()
    return found.union(*map(interaction_ids, body.values()))


def coerced_or_empty(case) -> bool:
    """Whether a schema-violating request was only a change of type, which DRF coerces on
    purpose ("4" is 4, 0 is false, an object is the list of its keys; a filter it cannot read
    is no filter), or an empty query value, which django-filter reads as no filter. A value out
    of range, outside its enum, missing or too long is still a finding."""

    def empty(location, name) -> bool:
        return location == "query" and case.query.get(name) == ""

    data = case.meta.phase.data
    if getattr(data, "scenario", None) == "incorrect_type" or empty(
        data.parameter_location, data.parameter
    ):
        return True
    return bool(data.mutations) and all(
        m.operator == "change_type" or empty(m.parameter_location, m.parameter)
        for m in data.mutations
    )


@pytest.fixture(params=["person", "staff"])
def caller(request, transactional_db):
    staff = request.param == "staff"
    caller = Caller(username="admin" if staff else "one", staff=staff)
    caller.make_world()
    return caller


@pytest.fixture
def api_schema(request, live_server, caller, monkeypatch, tmp_path):
    # schemathesis 4.32.5's from_fixture reads `Node._nodeid`, which pytest 9.2 no longer has.
    request.node._nodeid = request.node.nodeid
    # No 429 in the run: the rates are read once, when DRF's throttle classes are made.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        dict.fromkeys(("anon", "user", "training"), "100000/minute"),
    )
    # POST /api/training-runs/ would train inline (Celery eager) in the live server's thread.
    monkeypatch.setattr("recommender.services._training_run_send", lambda training_run_id: None)
    # Requests go as the caller; object_level_authorization replays their reads as person "two"
    # (a Web Fuzzing Commons auth document names both).
    identities = [(caller.username, caller.token), ("two", caller.peer_token)]
    (tmp_path / "auth.json").write_text(
        json.dumps(
            {
                "auth": [
                    {
                        "name": name,
                        "fixedHeaders": [{"name": "Authorization", "value": f"Token {key}"}],
                    }
                    for name, key in identities
                ]
            }
        )
    )
    config = {
        "auth": {
            "wfc": {
                "path": str(tmp_path / "auth.json"),
                "user": caller.username,
                "peers": [caller.username, "two"],
            }
        },
        # Django refuses a NUL character in any text (PostgreSQL cannot store one): a 400.
        "generation": {"allow-x00": False},
        "operations": [
            {
                "include-name": REFUSED_BY_RULES,
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ACCEPTED_FOR_VALID_DATA}
                },
            }
        ],
    }
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/", config=schemathesis.Config.from_dict(config)
    )

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        """Most requests on one interaction name another person's."""
        if context.operation.path != INTERACTION_PATH:
            return st.just(path_parameters)
        others = ({"id": pk} for pk in sorted(caller.others_interactions))
        return st.sampled_from([path_parameters, *others])

    @schema.hook
    def flatmap_body(context, body):
        """Feedback names a stim that exists, which the generator cannot know (a stim of
        another type is left alone: that is a negative case)."""
        if not (isinstance(body, dict) and type(body.get("stim")) is int):
            return st.just(body)
        return st.sampled_from(caller.active_stims).map(lambda pk: {**body, "stim": pk})

    @schema.hook
    def filter_failure(context, failure, case, response):
        """negative_data_rejection, less DRF's and django-filter's deliberate leniency."""
        return failure.code != ACCEPTED_NEGATIVE_DATA or not coerced_or_empty(case)

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(SETTINGS, max_examples=15)
def test_no_operation_errs_breaks_its_schema_or_shows_anothers_feedback(case, caller):
    try:
        case.call_and_validate(additional_checks=[caller.others_feedback_stays_theirs])
    finally:
        caller.ensure_account()


def test_no_sequence_of_calls_uses_a_deleted_resource_or_misses_a_created_one(api_schema, caller):
    """Schemathesis' stateful phase: calls chained by the links it infers (read or make
    something, then read, change or delete it), where use_after_free and
    ensure_resource_availability apply, besides every other check."""

    class Workflow(api_schema.as_state_machine()):
        def setup(self):
            caller.make_world()

        def after_call(self, response, case):
            super().after_call(response, case)
            caller.ensure_account()

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            super().validate_response(
                response, case, additional_checks=[caller.others_feedback_stays_theirs], **kwargs
            )

    Workflow.run(settings=settings(SETTINGS, max_examples=20, stateful_step_count=8))
