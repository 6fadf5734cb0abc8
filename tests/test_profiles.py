"""Annotator profiles: versioned in the store, joined to decisions as of their time, kept
out of exports, usable as the groups of the group metrics."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.annotators import PREFER_NOT_TO_SAY, history, profile, profiles, with_profiles
from hitl_widgets.store import Store


def test_profiles_are_versioned_and_joined_to_each_decision_as_of_its_time(tmp_path):
    from hitl_widgets.store import utc_now

    store = Store(tmp_path / "p.db")
    with pytest.raises(ValueError, match="consent"):
        profile(store, "ann-1", {"gender": "woman"}, consent=False)
    with pytest.raises(ValueError, match=r"attributes\['age'\]: a value must be text"):
        profile(store, "ann-1", {"age": [30]}, consent=True)
    assert len(store.events()) == 0  # nothing written by bad input
    profile(store, "ann-1", {"gender": "woman", "age": "30-44", "locale": PREFER_NOT_TO_SAY}, consent=True)
    time.sleep(0.01)
    store.append(
        [
            {
                "event_id": "d1",
                "created_at": utc_now(),
                "task": "t",
                "item_id": "i1",
                "action": "correct",
                "label_after": "a",
                "model_label": "x",
                "annotator": "ann-1",
            },
            {
                "event_id": "d0",
                "created_at": utc_now(),
                "task": "t",
                "item_id": "i1",
                "action": "correct",
                "label_after": "b",
                "model_label": "x",
                "annotator": "ann-2",
            },
        ]
    )
    time.sleep(0.01)
    profile(store, "ann-1", {"gender": "woman", "age": "45-64"}, source="admin", consent=True)  # a birthday
    time.sleep(0.01)
    store.append(
        [
            {
                "event_id": "d2",
                "created_at": utc_now(),
                "task": "t",
                "item_id": "i2",
                "action": "correct",
                "label_after": "a",
                "model_label": "x",
                "annotator": "ann-1",
            }
        ]
    )
    h = history(store)
    assert list(h["version"]) == [1, 2] and list(h["age"]) == ["30-44", "45-64"]
    latest = profiles(store)
    assert len(latest) == 1 and latest.loc[0, "age"] == "45-64" and latest.loc[0, "source"] == "admin"
    assert profiles(store, as_of=h.loc[0, "recorded_at"]).loc[0, "age"] == "30-44"
    d = store.decisions("t")
    assert "age" not in d.columns  # not in a decision table unless asked for
    j = with_profiles(d, store).set_index(["annotator", "item_id"])
    assert j.loc[("ann-1", "i1"), "age"] == "30-44" and j.loc[("ann-1", "i1"), "profile_version"] == 1
    assert j.loc[("ann-1", "i2"), "age"] == "45-64" and j.loc[("ann-1", "i2"), "profile_version"] == 2
    assert pd.isna(j.loc[("ann-2", "i1"), "age"])  # no profile: missing, not guessed
    with pytest.raises(ValueError, match=r"fields: no profile has \['height'\]"):
        with_profiles(d, store, fields=["height"])
    # profiles are records: no decision, no export, no item of any task
    assert "(annotators)" not in set(store.decisions()["task"])
    assert len(store.decisions("(annotators)")) == 0
    store.close()


def test_profiles_give_the_groups_of_the_group_metrics(tmp_path):
    store = Store(tmp_path / "g.db")
    rng = np.random.default_rng(0)
    rows = []
    for a in range(12):
        name = f"ann-{a}"
        profile(store, name, {"group": "A" if a < 6 else "B"}, consent=True)
        for i in range(30):
            p_yes = 0.8 if a < 6 else 0.2  # group A reads "yes" far more often
            rows.append(
                {"item": f"i{i}", "annotator": name, "label": "yes" if rng.random() < p_yes else "no"}
            )
    ratings = pd.DataFrame(rows)
    groups = profiles(store)
    result = hw.metrics.group_test(ratings, groups, by="group", n_permutations=999, seed=0)
    assert "permuting" in str(result)
    assert dict(result.n_annotators) == {"A": 6, "B": 6}  # the groups came from the profiles
    assert result.p_value < 0.01 and (result.table["p_adjusted"] < 0.01).all(), result.table
    store.close()


def test_a_group_is_the_same_for_quotas_and_for_by_group(tmp_path):
    """An annotator who chose "prefer not to say" (or left blank text) gave no answer,
    everywhere: review quotas (`group_of`) never count them as a group, and neither does
    `by_group` (its "(not given)"); a number is one group whether stored as 3 or 3.0."""
    from hitl_widgets.annotators import group_key, group_of
    from hitl_widgets.metrics.groups import NOT_GIVEN, by_group, group_test, jury

    store = Store(tmp_path / "g.db")
    answers = {
        "a0": {"gender": "woman", "years": 3},
        "a1": {"gender": "woman", "years": 3.0},
        "a2": {"gender": "man", "years": 5},
        "a3": {"gender": "man", "years": 5},
        "a4": {"gender": PREFER_NOT_TO_SAY, "years": 3},
        "a5": {"gender": "  ", "years": 5},
    }
    for ann, attrs in answers.items():
        profile(store, ann, attrs, consent=True)
    assert [group_of(store, a, "gender") for a in answers] == ["woman", "woman", "man", "man", None, None]
    assert group_key(3.0) == group_key(3) == group_key("3") == "3"
    assert group_key(" woman ") == "woman" and group_key(float("nan")) is None
    ratings = pd.DataFrame(
        [(i, a, "A" if (i + k) % 3 else "B") for i in range(6) for k, a in enumerate(answers)],
        columns=["item", "annotator", "label"],
    )
    table = profiles(store)
    rep = by_group(ratings, table, "gender", min_annotators=1, n_boot=20)
    assert list(rep.groups.index) == ["man", "woman", NOT_GIVEN]
    assert rep.groups.loc[NOT_GIVEN, "n_annotators"] == 2  # a4 (prefer not to say) and a5 (blank)
    years = by_group(ratings, table, "years", min_annotators=1, n_boot=20)
    assert list(years.groups.index) == ["3", "5"]
    assert years.groups["n_annotators"].tolist() == [3, 3]
    assert list(group_test(ratings, table, "gender", min_annotators=1).n_annotators.index) == [
        "man",
        "woman",
        NOT_GIVEN,
    ]
    # a jury asked for "prefer not to say" draws from the annotators who gave no answer
    j = jury(ratings, table, "gender", composition={PREFER_NOT_TO_SAY: 2}, n_resamples=10)
    assert j.composition == {NOT_GIVEN: 2}
