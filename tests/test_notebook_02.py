"""notebooks/02_generations.ipynb runs top to bottom, offline, and exports what it reviewed.

Executed with nbclient in a fresh python3 kernel, cwd = notebooks/ (the notebook writes
its store and exports to a temporary folder, not into the repo).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_generations.ipynb"

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _texts(nb) -> str:
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []) if c.cell_type == "code" else []:
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
    return "".join(out)


@pytest.mark.slow
def test_notebook_02_reviews_and_exports(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    # the kernel imports this checkout, installed or not
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    )
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit it without outputs"
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()

    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors

    # both widgets were displayed (a widget view, not a text repr) by the cells ending in them
    shown = {
        c.source.strip().splitlines()[-1]
        for c in nb.cells
        if c.cell_type == "code" and any(WIDGET_MIME in o.get("data", {}) for o in c.get("outputs", []))
    }
    assert {"review", "pairwise"} <= shown, shown
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("GenerationReview(" in s for s in sources) and any("PairwiseReview(" in s for s in sources)

    text = _texts(nb)
    line = next(ln for ln in text.splitlines() if ln.startswith("SUMMARY "))
    s = json.loads(line[len("SUMMARY ") :])
    counts, statuses = s["counts"], s["sft_statuses"]
    # the scripted review: accepted, a few edits, at least one rejection, rated, one undone + skipped
    assert counts["accepted"] >= 10 and 3 <= counts["edited"] <= 6 and counts["rejected"] >= 1
    assert counts.get("skipped") == 1
    # SFT = accepted + edited, nothing else (rejected / flagged / skipped excluded)
    assert s["sft_rows"] == counts["accepted"] + counts["edited"] == s["sft_jsonl_rows"]
    assert statuses == {"accepted": counts["accepted"], "edited": counts["edited"]}
    # preferences = pairwise a/b wins (ties and both-bad excluded) + one per edit
    assert s["preference_sources"] == {"pairwise": s["n_pairs"], "edit": counts["edited"]}
    assert s["preference_rows"] == s["n_pairs"] + counts["edited"]
    assert s["pairwise_counts"] == {"compared": 40} and 30 <= s["n_pairs"] < 40
    assert 0.0 <= s["left_rate"] <= 1.0
    assert s["dpo_columns"] == ["prompt", "chosen", "rejected"]
    assert "Dataset({" in text and "features: ['messages'" in text
