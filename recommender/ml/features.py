"""The one feature specification: every input the model reads, and how it is encoded.

Preprocessing, the towers, evaluation, artifacts and serving all read this module, so a
feature is added or changed in one place. Feature names are the seed's; the values are raw
(strings and numbers): vocabularies and text embeddings live inside the model.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal

FEATURE_SPEC_VERSION = 1

# Columns of the DataFrames preprocess_data takes (recommender.data builds them from the ORM).
USER_COLUMNS = (
    "user_id", "age", "gender", "sexuality", "neurodivergent_conditions", "hobbies",
    "stimming_essentiality_score", "current_stims",
)  # fmt: skip
STIM_COLUMNS = (
    "stim_id", "name", "description", "category", "harmfulness_score", "conditions", "hobbies",
)  # fmt: skip
INTERACTION_COLUMNS = (
    "user_id", "stim_id", "rating", "usage_frequency", "still_using", "harm_reported", "dismissed",
)  # fmt: skip

USER_KEY, STIM_KEY = "user_id", "stim_id"
LIST_PADDING = ""  # pads tag lists; the lookups treat it as their mask token
BLANK = ""  # a category left blank (gender, sexuality): a value of its own, never an error
# Age buckets: [0, 13), [13, 18) ... [65, inf); a missing age gets a bucket of its own.
AGE_BOUNDARIES = (13.0, 18.0, 25.0, 35.0, 50.0, 65.0)


@dataclass(frozen=True)
class Feature:
    """One model input.

    kind: "number" is a float used as is (documented range); "age" is bucketised by
    AGE_BOUNDARIES with NaN for missing; "category" is one string looked up in a vocabulary
    adapted on the training data (BLANK included); "tags" is a fixed-length list of strings
    padded and truncated to `length` with LIST_PADDING; "text" is free text, tokenised inside
    the model into `length` tokens.
    """

    name: str
    kind: Literal["number", "age", "category", "tags", "text"]
    source: tuple[str, ...]  # the DataFrame column(s) it is made from
    length: int | None = None
    vocabulary: str | None = None  # which shared vocabulary a category or tag list uses

    @property
    def dtype(self) -> str:
        return "float32" if self.kind in {"number", "age"} else "string"

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one example (the batch dimension comes first, not shown)."""
        return (self.length,) if self.kind == "tags" else ()


USER_FEATURES = (
    Feature("age", "age", ("age",)),
    Feature("gender", "category", ("gender",), vocabulary="gender"),
    Feature("sexuality", "category", ("sexuality",), vocabulary="sexuality"),
    Feature("neurodivergent_conditions", "tags", ("neurodivergent_conditions",), 6, "tags"),
    Feature("hobbies_embedding", "tags", ("hobbies",), 10, "tags"),
    Feature("stimming_essentiality_score", "number", ("stimming_essentiality_score",)),
    Feature("current_stims", "tags", ("current_stims",), 6, "stim_names"),
)
STIM_FEATURES = (
    Feature("name_embedding", "text", ("name",), 8),
    Feature("description_embedding", "text", ("description",), 48),
    Feature("harmfulness_score", "number", ("harmfulness_score",)),
    Feature("associated_conditions_hobbies", "tags", ("conditions", "hobbies"), 12, "tags"),
    Feature("category", "category", ("category",), vocabulary="category"),
)
FEATURES = {feature.name: feature for feature in (*USER_FEATURES, *STIM_FEATURES)}
TEXT_MAX_TOKENS = 5000  # words kept per text vocabulary, most frequent first


def spec_as_dict() -> dict:
    return {
        "version": FEATURE_SPEC_VERSION,
        "age_boundaries": list(AGE_BOUNDARIES),
        "text_max_tokens": TEXT_MAX_TOKENS,
        "user": [asdict(feature) for feature in USER_FEATURES],
        "stim": [asdict(feature) for feature in STIM_FEATURES],
    }


def spec_fingerprint() -> str:
    """A short hash of the spec: an artifact made under another spec must not be loaded."""
    canonical = json.dumps(spec_as_dict(), sort_keys=True).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]
