"""The one place where the ORM becomes the DataFrames recommender.ml takes.

Each table and each many-to-many is read with one values() query, so a read costs the same
handful of queries whatever the data size. Retired stims and inactive (or deleted) users are
left out, and so is any interaction that names one of them.
"""

import functools
import hashlib
from dataclasses import dataclass

import pandas as pd
from django.db import connection
from django.db.models import CharField, QuerySet, Value

from stims.models import Stim
from users.models import Profile

from .ml.features import INTERACTION_COLUMNS, STIM_COLUMNS, USER_COLUMNS
from .models import Interaction

LIST_COLUMNS = {"conditions", "hobbies", "neurodivergent_conditions", "current_stims"}


@dataclass(frozen=True)
class TrainingData:
    interactions: pd.DataFrame
    users: pd.DataFrame
    stims: pd.DataFrame
    snapshot: dict  # counts, latest interaction time, fingerprint: recorded on the run

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(interactions, users, stims), in preprocess_data's argument order."""
        return self.interactions, self.users, self.stims


def training_data_read() -> TrainingData:
    """Reads every active user, active stim and their interactions into DataFrames."""
    stims_df = stims_frame(Stim.objects.filter(is_active=True))
    users_df = users_frame(Profile.objects.filter(user__is_active=True))

    interactions = Interaction.objects.filter(user__is_active=True, stim__is_active=True).order_by(
        "user_id", "stim_id"
    )
    interactions_df = _frame(
        interactions.values_list(*INTERACTION_COLUMNS, "created_at"),
        (*INTERACTION_COLUMNS, "created_at"),
    )
    latest = interactions_df["created_at"].max() if len(interactions_df) else None
    return TrainingData(
        interactions=interactions_df,
        users=users_df,
        stims=stims_df,
        snapshot={
            "users": len(users_df),
            "stims": len(stims_df),
            "interactions": len(interactions_df),
            "latest_interaction_at": latest.isoformat() if latest else None,
            "fingerprint": fingerprint(interactions_df, users_df, stims_df),
        },
    )


def stims_frame(stims: QuerySet[Stim]) -> pd.DataFrame:
    """The STIM_COLUMNS of these stims, in id order: three queries whatever their number."""
    stims_df = _frame(
        stims.order_by("id").values_list(
            "id", "name", "description", "category", "harmfulness_score"
        ),
        STIM_COLUMNS[:5],
    )
    for column, through, name in (
        ("conditions", Stim.conditions.through, "condition__name"),
        ("hobbies", Stim.hobbies.through, "hobby__name"),
    ):
        stims_df[column] = _names_by_owner(
            through.objects.filter(stim__in=stims), "stim_id", name, stims_df["stim_id"]
        )
    return stims_df


def users_frame(profiles: QuerySet[Profile]) -> pd.DataFrame:
    """The USER_COLUMNS of these profiles' people, in user id order: four queries."""
    users_df = _frame(
        profiles.order_by("user_id").values_list(
            "user_id", "age", "gender", "sexuality", "stimming_essentiality_score"
        ),
        ("user_id", "age", "gender", "sexuality", "stimming_essentiality_score"),
    )
    for column, through, name in (
        ("neurodivergent_conditions", Profile.neurodivergent_conditions.through, "condition__name"),
        ("hobbies", Profile.hobbies.through, "hobby__name"),
        ("current_stims", Profile.current_stims.through, "stim__name"),
    ):
        users_df[column] = _names_by_owner(
            through.objects.filter(profile__in=profiles),
            "profile__user_id",
            name,
            users_df["user_id"],
        )
    return users_df[list(USER_COLUMNS)]


def user_row_read(user_id: int) -> dict | None:
    """One person's USER_COLUMNS as plain values (the serving path, for encode_user): two
    queries, the three tag lists read by one UNION. None when they have no profile."""
    row = (
        Profile.objects.filter(user_id=user_id)
        .values("user_id", "age", "gender", "sexuality", "stimming_essentiality_score")
        .first()
    )
    if row is None:
        return None
    sql, params = _tags_union()
    row.update(neurodivergent_conditions=[], hobbies=[], current_stims=[])
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id if value == _ANY_USER_ID else value for value in params])
        for column, name in cursor.fetchall():
            row[column].append(name)
    for column in ("neurodivergent_conditions", "hobbies", "current_stims"):
        row[column].sort()  # as users_frame orders them: the same person, the same inputs
    return row


_ANY_USER_ID = -1  # no one's id: marks the parameters the person's id replaces


@functools.cache
def _tags_union() -> tuple[str, tuple]:
    """The UNION of a person's condition, hobby and current-stim names, compiled by the ORM
    once per process: composing it costs Django about 0.8 ms a call, four times what running
    it costs, on every list that is not cached."""
    tags = [
        through.objects.filter(profile__user_id=_ANY_USER_ID).values_list(
            Value(column, output_field=CharField()), name
        )
        for column, through, name in (
            (
                "neurodivergent_conditions",
                Profile.neurodivergent_conditions.through,
                "condition__name",
            ),
            ("hobbies", Profile.hobbies.through, "hobby__name"),
            ("current_stims", Profile.current_stims.through, "stim__name"),
        )
    ]
    return tags[0].union(*tags[1:], all=True).query.sql_with_params()


def fingerprint(*frames: pd.DataFrame) -> str:
    """A short hash of the frames' contents: the same data read twice gives the same value."""
    digest = hashlib.sha256()
    for frame in frames:
        flat = frame.assign(
            **{column: frame[column].map("\x1f".join) for column in LIST_COLUMNS & set(frame)}
        )
        digest.update(pd.util.hash_pandas_object(flat, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _frame(rows, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=list(columns))


def _names_by_owner(through, owner: str, name: str, owners: pd.Series) -> pd.Series:
    """One query over a many-to-many table -> a list of names per owner (sorted, [] if none)."""
    pairs = _frame(through.values_list(owner, name), ("owner", "name"))
    lists = pairs.sort_values("name").groupby("owner")["name"].agg(list)
    return owners.map(lists).map(lambda names: names if isinstance(names, list) else [])
