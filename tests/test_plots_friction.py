"""What a new user tripped over in the plots and printouts, checked on the figure objects:

- ``LoopTracker.plot()``: counts on integer ticks (not 142 / 171.3 / 200.6), titles and
  legend inside the figure's margins, the "no threshold" label inside its panel;
- numbers printed by the loop (a round's row, ``Reroute``, the tracker) at 3-4
  significant digits, their values exact;
- ``annotator_timeline``: an empty "time per item" panel says why;
- ``confusion_matrix``: the tooltip counts the items a click opens, the recheck opens where
  it is seen and shows what people answered before;
- ``to_dataset`` prints no ``datasets`` progress bar ("Generating train split: 23/0").
"""

from __future__ import annotations

import math
import re
import uuid

import numpy as np
import pandas as pd
import pytest

import hitl_widgets as hw
from hitl_widgets.items import content_hash
from hitl_widgets.metrics import ratings
from hitl_widgets.plots import annotator_timeline, confusion_matrix
from hitl_widgets.store import Store
from hitl_widgets.training import LoopTracker

go = pytest.importorskip("plotly.graph_objects")

# A conservative width of one character of plotly's default sans-serif font, in ems
# (measured in Chromium: 0.47 em on average for these titles; 0.6 leaves room).
EM_PER_CHAR = 0.6
LONG_FLOAT = re.compile(r"\d*\.\d{5,}")  # 5 or more decimals: 0.592160701751709


def text_width(text: str, size: float) -> float:
    lines = re.split(r"<br\s*/?>", re.sub(r"</?(b|i|sup|sub|span)(\s[^>]*)?>", "", text))
    return max(len(line) for line in lines) * size * EM_PER_CHAR


def n_lines(text: str) -> int:
    return len(re.split(r"<br\s*/?>", text))


# --------------------------------------------------------------------------- LoopTracker.plot
def tracker_with_rounds(tmp_path, unbiased=(150, 200, 250), thresholds=(None, 0.592160701751709, 0.48)):
    tr = LoopTracker(Store(tmp_path / "t.db"), task="claims", sample_task="s", alpha=0.2, delta=0.1)
    people = 0.0
    for k, (u, th) in enumerate(zip(unbiased, thresholds, strict=True), start=1):
        people += 600.0 * k
        tr.rounds.append(
            dict(
                round=k,
                labelled=100 * k + 110,
                trained_on=60 * k,
                mode="head",
                unbiased=u,
                accuracy=0.75 + 0.04 * k,
                alpha=0.2,
                delta=0.1,
                threshold=th,
                routed_share=1.0 if th is None else 0.7 - 0.1 * k,
                pool=200 - 40 * k,
                people_s=people,
                people_round_s=600.0 * k,
                compute_s=3.1,
                needed=None,
                advice="",
                note="",
            )
        )
    return tr


def axis_ticks(ax) -> list[float]:
    lo, hi = ax.range
    n = math.floor((hi - ax.tick0) / ax.dtick + 1e-9)
    return [ax.tick0 + i * ax.dtick for i in range(n + 1) if ax.tick0 + i * ax.dtick >= lo]


@pytest.mark.parametrize("unbiased", [(150, 200, 250), (142, 171, 201), (3, 5, 8), (0, 0, 0)])
def test_loop_plot_counts_on_whole_number_ticks(tmp_path, unbiased):
    fig = tracker_with_rounds(tmp_path, unbiased=unbiased).plot(widget=False)
    items = fig.layout.yaxis3  # the random-sample reviews (right panel, secondary axis)
    assert items.title.text == "items"
    # whole numbers from 0 in integer steps, formatted as integers: never 171.3
    assert items.tickmode == "linear" and items.tick0 == 0
    assert float(items.dtick).is_integer() and items.dtick >= 1
    assert "d" in items.tickformat
    ticks = axis_ticks(items)
    assert 2 <= len(ticks) <= 8, ticks
    assert all(float(t).is_integer() for t in ticks), ticks
    assert items.range[0] == 0 and items.range[1] >= max(unbiased)
    assert items.showgrid is False  # no second grid fighting the minutes axis
    # rounds: 1, 2, 3 (not 1.5)
    for ax in (fig.layout.xaxis, fig.layout.xaxis2):
        assert ax.dtick == 1 and ax.tickformat == "d"
    # shares as percentages
    assert fig.layout.yaxis.tickformat == ".0%"


def test_loop_plot_titles_and_legend_fit_in_the_figure(tmp_path):
    fig = tracker_with_rounds(tmp_path).plot(widget=False)
    lay = fig.layout
    W, H = lay.width, lay.height
    m = lay.margin
    plot_w, plot_h = W - m.l - m.r, H - m.t - m.b
    titles = list(lay.annotations)
    assert len(titles) == 2
    for ann, ax in zip(titles, (lay.xaxis, lay.xaxis2), strict=True):
        size = ann.font.size or 16
        w = text_width(ann.text, size)
        center = m.l + ann.x * plot_w
        lo, hi = center - w / 2, center + w / 2
        # inside the figure, and inside its own panel (plus half the gap between panels)
        assert lo >= 0 and hi <= W, (ann.text, lo, hi, W)
        d0, d1 = ax.domain
        slack = 0.08 * plot_w
        assert lo >= m.l + d0 * plot_w - slack and hi <= m.l + d1 * plot_w + slack, (ann.text, lo, hi, d0, d1)
        # it sits above the panel, in the top margin: every line fits there
        assert n_lines(ann.text) * size * 1.3 <= m.t, (ann.text, m.t)
    # the legend below the panels fits in the bottom margin
    legend = lay.legend
    assert legend.orientation == "h" and legend.yanchor == "top"
    assert -legend.y * plot_h + 2 * 20 <= m.b, (legend.y, plot_h, m.b)
    # the "no threshold" label of a share at the top is drawn below its point
    share = next(t for t in fig.data if t.name == "share routed to people")
    for y, pos in zip(share.y, share.textposition, strict=True):
        assert pos == ("bottom center" if y > 0.85 else "top center"), (y, pos)


def test_old_long_title_would_not_fit():
    """The check above catches the reported clipping: the old left title, 16 px, one line."""
    old = "accuracy (random sample) and share to people at alpha=0.2"
    assert text_width(old, 16) > 0.45 * (900 - 80)


# --------------------------------------------------------------------------- printed numbers
LABELS = ["a", "b"]


def decision(item_id, text, action, label, task, duration_ms):
    return {
        "event_id": uuid.uuid4().hex,
        "task": task,
        "kind": "classification",
        "item_id": item_id,
        "content_hash": content_hash(text),
        "action": action,
        "label_after": label,
        "model_label": None,
        "annotator": "ann",
        "duration_ms": duration_ms,
        "data": None,
    }


def fake_proba(gold: pd.Series, conf: np.ndarray) -> np.ndarray:
    top = np.where(gold == "a", 0, 1)
    p = np.empty((len(gold), 2))
    p[np.arange(len(gold)), top] = conf
    p[np.arange(len(gold)), 1 - top] = 1 - conf
    return p


@pytest.fixture()
def one_round(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(300)],
            "text": [f"item text {k}" for k in range(300)],
            "gold": rng.choice(LABELS, 300),
        }
    )
    store = Store(tmp_path / "loop.db")
    store.append(
        [decision(r.id, r.text, "correct", r.gold, "s", 2345.678) for r in df.iloc[:150].itertuples()]
    )
    tr = LoopTracker(
        store, task="claims", sample_task="s", df=df, id="id", labels=LABELS, alpha=0.1, delta=0.1
    )
    sample = tr.unbiased()
    gold = df.set_index("id").loc[sample["item_id"], "gold"].reset_index(drop=True)
    pool = tr.unlabelled()
    rr = tr.reroute(
        pool=pool,
        proba=fake_proba(pool["gold"].reset_index(drop=True), np.linspace(0.5137, 0.99713, len(pool))),
        sample_proba=fake_proba(gold, np.linspace(0.50123, 0.99871, len(sample))),
    )
    row = tr.record(rr, compute_seconds=1.23456789)
    return tr, rr, row


def test_printed_numbers_are_short_and_values_exact(one_round):
    tr, rr, row = one_round
    assert rr.threshold is not None and LONG_FLOAT.search(repr(float(rr.threshold))), (
        "the fixture should produce a threshold with many digits"
    )
    # what the notebook prints: f"threshold {row['threshold']}"
    printed = f"threshold {row['threshold']}, routed to people: {row['routed_share']:.0%}"
    assert not LONG_FLOAT.search(printed), printed
    assert re.fullmatch(r"threshold 0\.\d{1,4}, .*", printed), printed
    # the value itself keeps every digit
    assert row["threshold"] == rr.threshold and float(row["threshold"]) == float(rr.threshold)
    assert f"{row['threshold']:.10f}" == f"{float(rr.threshold):.10f}"
    import json

    assert json.loads(json.dumps({"t": row["threshold"]}))["t"] == float(rr.threshold)
    # a round's row, the reroute, the tracker: no float printed with 5+ decimals
    for text in (str(row), repr(row), repr(rr), repr(tr), tr._repr_html_()):
        assert not LONG_FLOAT.search(text), text
    assert "threshold" in repr(rr) and "routed to people" in repr(rr)
    assert str(row["people_s"]) == "351.9" and str(row["compute_s"]) == "1.235"
    # and the table still holds exact floats
    t = tr.table()
    assert t["threshold"].dtype == float and t["threshold"].iloc[0] == float(rr.threshold)


def test_shown_float_formats():
    from hitl_widgets.training.loop import Shown

    assert str(Shown(0.592160701751709)) == "0.5922" and repr(Shown(1234.5678)) == "1235"
    assert f"{Shown(12345.678)}" == "12346" and f"{Shown(1e-7)}" == "1e-07"
    assert str(Shown(float("nan"))) == "nan" and f"{Shown(0.5):.3f}" == "0.500"
    import pickle

    assert pickle.loads(pickle.dumps(Shown(0.123456789))) == 0.123456789


# --------------------------------------------------------------------------- timeline
@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """12 items, three annotators (overlap 3) answering from Python, so no time per item;
    bob says auto for theft: some cells hold more ratings than items."""
    db = str(tmp_path_factory.mktemp("friction") / "team.db")
    labels = ["auto", "theft", "water"]
    ids = [f"c{i:02d}" for i in range(12)]
    df = pd.DataFrame(
        {
            "text": [f"claim text {i}" for i in range(12)],
            "pred": [labels[(i // 2) % 3] for i in range(12)],
            "confidence": 0.8,
            "truth": [labels[i % 3] for i in range(12)],
        },
        index=ids,
    )
    answers = {}
    for who in ("ann", "bob", "cy"):
        w = hw.ClassificationReview(df, labels=labels, store=db, annotator=who, overlap=3)
        while w.current is not None:
            item = w.current["item_id"]
            t = df.loc[item, "truth"]
            label = "auto" if (who == "bob" and t == "theft") else t
            w.correct(label)
            answers[(item, who)] = label
        w.close()
    return db, df, answers, labels


NOTE = "no time per item recorded: decisions made from Python carry none"


def top_panel_notes(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations if a.xref == "x domain" and a.yref == "y domain"]


def test_timeline_says_why_its_time_panel_is_empty(team):
    db, *_ = team
    fig = annotator_timeline(db)
    assert NOTE in top_panel_notes(fig)
    note = next(a for a in fig.layout.annotations if a.text == NOTE)
    assert 0 <= note.x <= 1 and 0 <= note.y <= 1 and note.showarrow is False
    # the top panel exists (plotly draws no subplot without a trace): empty pace lines
    top = [t for t in fig.data if t.yaxis == "y"]
    assert top and all(len(t.x) == 0 for t in top)
    assert {t.name for t in fig.data} == {"ann", "bob", "cy"}
    assert fig.layout.yaxis.showticklabels is False  # no made-up scale
    # with times recorded: no note
    r = ratings(db).copy()
    r["duration_ms"] = np.arange(len(r)) * 100.0 + 1000
    assert top_panel_notes(annotator_timeline(r, window=3)) == []
    # only some annotators timed: the note names the others
    r.loc[r["annotator"] == "bob", "duration_ms"] = np.nan
    notes = top_panel_notes(annotator_timeline(r, window=3))
    assert len(notes) == 1 and "bob" in notes[0] and "ann" not in notes[0], notes


# --------------------------------------------------------------------------- confusion matrix
def queued_ids(review) -> list[str]:
    return [review._items.item_id(review._queue.position(q)) for q in range(len(review._queue))]


def test_confusion_tooltip_counts_what_the_recheck_opens(team):
    db, df, _answers, labels = team
    view = confusion_matrix(db, labels=labels, items=df, review_kwargs={"text": "text"})
    heat = view.figure.data[0]
    hover = np.array(heat.hovertext, dtype=object)
    assert heat.hovertemplate == "%{hovertext}<extra></extra>"
    assert np.array_equal(np.array(heat.customdata), view.counts.to_numpy())  # ratings, as before
    more_ratings_than_items = 0
    for i, h in enumerate(labels):
        for j, m in enumerate(labels):
            n_ratings = int(view.counts.iat[i, j])
            ids = view.items_of(h, m)
            tip = hover[i, j]
            if not n_ratings:
                assert "no ratings" in tip
                continue
            n_items = len(ids)
            assert re.search(rf"\b{n_items} items?\b", tip) and f"{n_ratings} rating" in tip, tip
            assert f"recheck these {n_items} item" in tip, tip
            more_ratings_than_items += n_ratings > n_items
            review = view.open_cell(h, m)
            assert len(review._queue) == n_items == len(set(queued_ids(review)))
    assert more_ratings_than_items, "the fixture should have a cell where several people rated one item"
    assert view.figure.layout.meta["items"][0][0] == len(view.items_of(labels[0], labels[0]))


def test_recheck_items_show_what_people_answered_before(team):
    db, df, answers, labels = team
    view = confusion_matrix(db, labels=labels, items=df, review_kwargs={"text": "text"})
    review = view.open_cell("auto", "theft")
    assert review is not None
    for q in range(len(review._queue)):
        pos = review._queue.position(q)
        item = review._items.item_id(pos)
        chips = review._items.payload(pos)["reasons"]
        want = sorted(f"{who}: {answers[(item, who)]}" for who in ("ann", "bob", "cy"))
        assert sorted(chips) == want, (item, chips)
    # the caller's own reasons come first
    df2 = df.assign(why=[["routed: low confidence"]] * len(df))
    view2 = confusion_matrix(db, labels=labels, items=df2, review_kwargs={"text": "text", "reasons": "why"})
    r2 = view2.open_cell("auto", "theft")
    chips = r2._items.payload(r2._queue.position(0))["reasons"]
    assert chips[0] == "routed: low confidence" and len(chips) == 4, chips


def test_recheck_opens_where_it_is_seen(team):
    db, df, _answers, labels = team
    view = confusion_matrix(db, labels=labels, items=df, review_kwargs={"text": "text"})
    # figure and review side by side, wrapping on a narrow page
    assert view.layout.flex_flow == "row wrap"
    assert list(view.children) == [view.figure, view.output]
    review = view.open_cell("auto", "theft")
    shown = [o for o in view.output.outputs if o.get("output_type") == "display_data"]
    # the review, then the marker that scrolls it into view once painted
    assert len(shown) == 2
    model_ids = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for o in shown]
    assert model_ids[0] == review.model_id
    marker = view._scroll_marker
    assert model_ids[1] == marker.model_id and "scrollIntoView" in marker._esm
    assert "import" not in marker._esm  # nothing fetched
    # a second click closes the first review and its marker
    view.open_cell("water", "water")
    assert marker.comm is None and review.comm is None
    # no items frame: ids listed, no marker
    bare = confusion_matrix(db, labels=labels)
    assert bare.open_cell("auto", "theft") is None
    assert not any(o.get("output_type") == "display_data" for o in bare.output.outputs)
    tip = bare.figure.data[0].hovertext[0][1]
    assert "list the" in tip and "recheck" not in tip


def test_tooltip_escapes_labels():
    r = pd.DataFrame(
        {
            "item": ["x1", "x2"],
            "annotator": ["a", "b"],
            "label": ["<b>bold</b>", "ok"],
            "model_label": ["ok", "ok"],
        }
    )
    view = confusion_matrix(r)
    tips = " ".join(t for row in view.figure.data[0].hovertext for t in row)
    assert "<b>bold</b>" not in tips and "&lt;b&gt;bold&lt;/b&gt;" in tips


# --------------------------------------------------------------------------- datasets progress bar
def small_store(tmp_path, n=23):
    from hitl_widgets.training import to_dataset  # noqa: F401 - import errors show here

    rows = [{"claim_id": f"c{i}", "text": f"claim {i} text", "label": LABELS[i % 2]} for i in range(30)]
    store = Store(tmp_path / "ds.db")
    store.append(
        [
            {
                **decision(r["claim_id"], r["text"], "accept", r["label"], "claims", 1000.0),
                "model_label": r["label"],
            }
            for r in rows[:n]
        ]
    )
    return store, pd.DataFrame(rows)


def assert_silent(capfd) -> None:
    out, err = capfd.readouterr()
    both = out + err
    assert not re.search(r"\d+/0\b", both), both
    assert "Generating" not in both and "split" not in both and "%|" not in both, both


def test_to_dataset_prints_no_progress_bar(tmp_path, capfd):
    datasets = pytest.importorskip("datasets")
    from datasets.utils import logging as dlog

    from hitl_widgets.training import to_dataset

    store, df = small_store(tmp_path)
    capfd.readouterr()
    was = dlog.is_progress_bar_enabled()
    data = to_dataset(store, df, task="claims", id="claim_id", labels=LABELS, eval_size=0.0)
    assert data["train"].num_rows == 23 and data["eval"].num_rows == 0
    assert_silent(capfd)
    assert dlog.is_progress_bar_enabled() == was  # the user's setting is restored
    assert isinstance(data["train"], datasets.Dataset)


def test_to_dataset_silences_a_datasets_progress_bar(tmp_path, capfd, monkeypatch):
    """Whatever a `datasets` version draws while building (here: a bar like the reported
    "Generating train split: 23/0"), to_dataset shows none of it, and restores the switch."""
    datasets = pytest.importorskip("datasets")
    from datasets.utils import logging as dlog

    from hitl_widgets.training import to_dataset

    real = datasets.Dataset.from_dict.__func__

    def noisy(cls, mapping, *a, **kw):
        for _ in datasets.utils.tqdm(
            range(len(next(iter(mapping.values()), []))), total=0, desc="Generating train split"
        ):
            pass
        return real(cls, mapping, *a, **kw)

    monkeypatch.setattr(datasets.Dataset, "from_dict", classmethod(noisy))
    store, df = small_store(tmp_path)
    # the stand-in does draw a bar when progress bars are on
    dlog.enable_progress_bar()
    datasets.Dataset.from_dict({"a": [1, 2, 3]})
    out, err = capfd.readouterr()
    assert "Generating train split" in out + err
    data = to_dataset(store, df, task="claims", id="claim_id", labels=LABELS, eval_size=0.0)
    assert data["train"].num_rows == 23
    assert_silent(capfd)
    assert dlog.is_progress_bar_enabled()
    # switched off by the user: stays off
    dlog.disable_progress_bar()
    try:
        to_dataset(store, df, task="claims", id="claim_id", labels=LABELS, eval_size=0.0)
        assert not dlog.is_progress_bar_enabled()
    finally:
        dlog.enable_progress_bar()
    assert_silent(capfd)
