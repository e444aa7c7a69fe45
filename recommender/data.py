"""The one place where the ORM becomes the DataFrames recommender.ml takes.

Each table and each many-to-many is read with one values() query, so a read costs the same
handful of queries whatever the data size. Retired stims and inactive (or deleted) users are
left out, and so is any interaction that names one of them.
"""

import hashlib
from dataclasses import dataclass

import pandas as pd

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
    stims = Stim.objects.filter(is_active=True)
    profiles = Profile.objects.filter(user__is_active=True).order_by("user_id")
    stims_df = _frame(
        stims.values_list("id", "name", "description", "category", "harmfulness_score"),
        STIM_COLUMNS[:5],
    )
    stims_df["conditions"] = _names_by_owner(
        Stim.conditions.through.objects.filter(stim__in=stims),
        "stim_id",
        "condition__name",
        stims_df["stim_id"],
    )
    stims_df["hobbies"] = _names_by_owner(
        Stim.hobbies.through.objects.filter(stim__in=stims),
        "stim_id",
        "hobby__name",
        stims_df["stim_id"],
    )

    users_df = _frame(
        profiles.values_list(
            "user_id", "age", "gender", "sexuality", "stimming_essentiality_score"
        ),
        ("user_id", "age", "gender", "sexuality", "stimming_essentiality_score"),
    )
    by_user = {"profile__user__is_active": True}
    for column, model, name in (
        ("neurodivergent_conditions", Profile.neurodivergent_conditions.through, "condition__name"),
        ("hobbies", Profile.hobbies.through, "hobby__name"),
        ("current_stims", Profile.current_stims.through, "stim__name"),
    ):
        users_df[column] = _names_by_owner(
            model.objects.filter(**by_user), "profile__user_id", name, users_df["user_id"]
        )
    users_df = users_df[list(USER_COLUMNS)]

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
