"""Every API endpoint, once: who may call it and what a successful call sends.

test_permissions runs the shared permission cases against each row and fails when a route
under /api/ has no row, so a new endpoint cannot forget its permission tests; test_schema
checks that the schema documents each row.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from rest_framework.test import APIClient

from recommender.models import Interaction, ModelVersion, TrainingRun
from stims.models import Condition, Hobby, Stim
from tests.factories import (
    PASSWORD,
    ConditionFactory,
    HobbyFactory,
    InteractionFactory,
    StimFactory,
    UserFactory,
)
from tests.recommender.factories import ModelVersionFactory, TrainingRunFactory

# The signed-in roles, by fixture name, weakest first.
ROLES = ("user", "staff", "catalogue_editor", "superuser")


@dataclass(frozen=True)
class Access:
    """Who may call an endpoint: the roles let through, and whether nobody signed in is."""

    name: str
    roles: tuple[str, ...]
    anonymous: bool = False


OPEN = Access("anyone, signed in or not", ROLES, anonymous=True)
SIGNED_IN = Access("anyone signed in", ROLES)
STAFF = Access("staff", ROLES[1:])
CATALOGUE = Access("staff who may edit the catalogue", ("catalogue_editor", "superuser"))
MODELS = Access("staff who may steer the model", ("superuser",))


@dataclass(frozen=True)
class World:
    """What the endpoints act on, made for one caller."""

    caller: AbstractUser
    someone_else: AbstractUser
    stim: Stim  # nobody has given feedback on it: free to delete or to give feedback on
    condition: Condition
    hobby: Hobby
    interaction: Interaction  # the caller's
    their_interaction: Interaction  # someone else's, on the same stim
    version: ModelVersion  # ready, not serving
    run: TrainingRun  # finished


def world_for(caller: AbstractUser) -> World:
    someone_else, tried = UserFactory(), StimFactory()
    return World(
        caller=caller,
        someone_else=someone_else,
        stim=StimFactory(),
        condition=ConditionFactory(),
        hobby=HobbyFactory(),
        interaction=InteractionFactory(user=caller, stim=tried),
        their_interaction=InteractionFactory(user=someone_else, stim=tried),
        version=ModelVersionFactory(),
        run=TrainingRunFactory(),
    )


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the URL name in stimsite.api_urls
    access: Access
    url_args: tuple[tuple[str, str], ...] = ()  # (URL keyword, World attribute naming the id)
    body: Callable[[World], dict] | None = None
    success: int = 200
    theirs: str = ""  # the World attribute naming someone else's object in its place

    def __str__(self) -> str:
        return f"{self.method} {self.route}"

    def path(self, world: World, *, theirs: bool = False) -> str:
        swap = {attr: self.theirs for _, attr in self.url_args} if theirs else {}
        return reverse(
            self.route,
            kwargs={
                keyword: getattr(world, swap.get(attr, attr)).pk for keyword, attr in self.url_args
            },
        )

    def call(self, client: APIClient, world: World, *, theirs: bool = False):
        send = getattr(client, self.method.lower())
        return send(self.path(world, theirs=theirs), self.body(world) if self.body else None)


STIM = (("pk", "stim"),)
INTERACTION = (("pk", "interaction"),)


def _new_stim(world: World) -> dict:
    return {"name": "Weighted blanket", "category": "proprioceptive", "harmfulness_score": 0.05}


ENDPOINTS = (
    Endpoint(
        "POST",
        "api-token",
        OPEN,
        body=lambda world: {"username": world.caller.username, "password": PASSWORD},
    ),
    Endpoint("GET", "stim-list", SIGNED_IN),
    Endpoint("POST", "stim-list", CATALOGUE, body=_new_stim, success=201),
    Endpoint("GET", "stim-detail", SIGNED_IN, STIM),
    Endpoint("PUT", "stim-detail", CATALOGUE, STIM, body=_new_stim),
    Endpoint("PATCH", "stim-detail", CATALOGUE, STIM, body=lambda w: {"harmfulness_score": 0.2}),
    Endpoint("DELETE", "stim-detail", CATALOGUE, STIM, success=204),
    Endpoint("GET", "condition-list", SIGNED_IN),
    Endpoint("GET", "condition-detail", SIGNED_IN, (("pk", "condition"),)),
    Endpoint("GET", "hobby-list", SIGNED_IN),
    Endpoint("GET", "hobby-detail", SIGNED_IN, (("pk", "hobby"),)),
    Endpoint("GET", "api-profile", SIGNED_IN),
    Endpoint(
        "PUT", "api-profile", SIGNED_IN, body=lambda world: {"age": 30, "health_data_consent": True}
    ),
    Endpoint(
        "PATCH",
        "api-profile",
        SIGNED_IN,
        body=lambda world: {"gender": "non_binary", "health_data_consent": True},
    ),
    Endpoint("GET", "api-account", SIGNED_IN),
    Endpoint("DELETE", "api-account", SIGNED_IN, success=204),
    Endpoint("GET", "api-my-recommendations", SIGNED_IN),
    Endpoint("GET", "api-user-recommendations", STAFF, (("user_id", "someone_else"),)),
    Endpoint("GET", "interaction-list", SIGNED_IN),
    Endpoint(
        "POST",
        "interaction-list",
        SIGNED_IN,
        body=lambda world: {"stim": world.stim.pk, "rating": 4},
        success=201,
    ),
    Endpoint("GET", "interaction-detail", SIGNED_IN, INTERACTION, theirs="their_interaction"),
    Endpoint(
        "PUT",
        "interaction-detail",
        SIGNED_IN,
        INTERACTION,
        body=lambda world: {"stim": world.interaction.stim_id, "rating": 2},
        theirs="their_interaction",
    ),
    Endpoint(
        "PATCH",
        "interaction-detail",
        SIGNED_IN,
        INTERACTION,
        body=lambda world: {"still_using": True},
        theirs="their_interaction",
    ),
    Endpoint(
        "DELETE",
        "interaction-detail",
        SIGNED_IN,
        INTERACTION,
        success=204,
        theirs="their_interaction",
    ),
    Endpoint("GET", "api-export", SIGNED_IN),
    Endpoint("GET", "modelversion-list", STAFF),
    Endpoint("GET", "modelversion-detail", STAFF, (("pk", "version"),)),
    Endpoint("POST", "modelversion-activate", MODELS, (("pk", "version"),)),
    Endpoint("GET", "trainingrun-list", STAFF),
    Endpoint("POST", "trainingrun-list", MODELS, body=lambda world: {"epochs": 1}, success=202),
    Endpoint("GET", "trainingrun-detail", STAFF, (("pk", "run"),)),
)

# Routes that are not the API's own resources: the schema, its docs and the router's index.
EXEMPT_ROUTES = {"api-schema", "api-docs", "api-root"}
