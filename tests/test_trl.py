"""The exports feed TRL's own trainers: `SFTTrainer` on `to_sft(as_dataset=True)` and
`DPOTrainer` on `to_preferences(as_dataset=True)`, each a few steps on a tiny GPT-2 built
from a config, with a tokenizer trained on the fly (test_sft.py). What is checked is what
TRL made of our rows: the texts it tokenized are the reviewed ones, in their roles."""

from __future__ import annotations

import math
import os

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
import trl  # noqa: E402  (in the [test] extra: its absence is a failure, not a skip)
from test_sft import tiny_gpt2, tok  # noqa: E402,F401  (fixtures reused)

from hitl_widgets import GenerationReview, PairwiseReview  # noqa: E402
from hitl_widgets.exports import to_preferences, to_sft  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

QA = [
    ("What colour is the sky?", "The sky is green.", "The sky is blue."),
    ("What colour is grass?", "Grass is green.", None),
    ("What colour is snow?", "Snow is black.", "Snow is white."),
    ("What colour is coal?", "Coal is black.", None),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Reviews made through the widgets' Python actions: edits, accepts, a reject, pairs."""
    path = str(tmp_path_factory.mktemp("trl") / "r.db")
    g = GenerationReview(
        pd.DataFrame(
            {
                "id": [f"g{i}" for i in range(len(QA) + 1)],
                "prompt": [q for q, _, _ in QA] + ["What colour is mud?"],
                "response": [a for _, a, _ in QA] + ["Mud is blue."],
            }
        ),
        id="id",
        store=path,
        annotator="ana",
    )
    for _, _, fix in QA:
        g.edit(fix) if fix else g.accept()
    g.reject("wrong colour")
    g.close()
    p = PairwiseReview(
        pd.DataFrame(
            {
                "id": ["p0", "p1"],
                "prompt": ["What colour is a lemon?", "What colour is a tomato?"],
                "response_a": ["A lemon is yellow.", "A tomato is blue."],
                "response_b": ["A lemon is purple.", "A tomato is red."],
            }
        ),
        id="id",
        store=path,
        annotator="bob",
        seed=1,
    )
    p.choose("a")
    p.choose("b")
    p.close()
    return path


@pytest.fixture(scope="module", autouse=True)
def sft_rows():  # test_sft's tokenizer fixture trains on these texts
    return pd.DataFrame(
        {
            "messages": [
                [{"role": "user", "content": q}, {"role": "assistant", "content": a}] for q, a, _ in QA
            ]
            + [[{"role": "user", "content": "lemon tomato yellow red purple blue mud wrong"}]]
        }
    )


def _steps(trainer):
    return [h for h in trainer.state.log_history if "loss" in h]


def test_sft_trainer_trains_on_the_sft_export(store, tok, tmp_path):
    ds = to_sft(store, as_dataset=True, metadata=False)
    assert ds.column_names == ["messages"] and len(ds) == len(QA)  # the reject is left out
    cfg = trl.SFTConfig(
        output_dir=str(tmp_path / "sft"),
        max_steps=4,
        per_device_train_batch_size=2,
        learning_rate=3e-3,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        max_length=96,
        seed=0,
        dataloader_num_workers=0,
    )
    trainer = trl.SFTTrainer(model=tiny_gpt2(tok), args=cfg, train_dataset=ds, processing_class=tok)
    # what TRL tokenized: the chat template over our messages, the edited answers in them
    texts = [tok.decode(ids) for ids in trainer.train_dataset["input_ids"]]
    assert any("The sky is blue." in t and "What colour is the sky?" in t for t in texts), texts
    assert not any("The sky is green." in t or "Mud is blue." in t for t in texts)
    trainer.train()
    losses = [h["loss"] for h in _steps(trainer)]
    assert len(losses) == 4 and all(math.isfinite(x) for x in losses)


def test_dpo_trainer_trains_on_the_preference_export(store, tok, tmp_path):
    ds = to_preferences(store, as_dataset=True, metadata=False, conversational=True)
    assert sorted(ds.column_names) == ["chosen", "prompt", "rejected"] and len(ds) == 4  # 2 edits, 2 pairs
    cfg = trl.DPOConfig(
        output_dir=str(tmp_path / "dpo"),
        max_steps=2,
        per_device_train_batch_size=2,
        learning_rate=1e-3,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        max_length=96,
        seed=0,
        beta=0.1,
        dataloader_num_workers=0,
    )
    # the reference model: the same tiny model, frozen (TRL would load it from a hub path)
    trainer = trl.DPOTrainer(
        model=tiny_gpt2(tok), ref_model=tiny_gpt2(tok), args=cfg, train_dataset=ds, processing_class=tok
    )
    row = {
        (tok.decode(r["prompt_ids"]), tok.decode(r["chosen_ids"]), tok.decode(r["rejected_ids"]))
        for r in trainer.train_dataset
    }
    # the edited answer is chosen over the model's; the picked response over the other
    assert any("sky" in p and "The sky is blue." in c and "The sky is green." in r for p, c, r in row), row
    assert any("tomato" in p and "A tomato is red." in c and "A tomato is blue." in r for p, c, r in row), row
    trainer.train()
    steps = _steps(trainer)
    assert len(steps) == 2 and all(math.isfinite(h["loss"]) for h in steps)
    assert "rewards/chosen" in steps[0] or any(k.endswith("rewards/chosen") for k in steps[0]), steps[0]
