"""finetune_causal_lm on the SFT export: a tiny GPT-2 built from a config (random weights)
and a tokenizer trained on the fly; non-assistant tokens are masked and the loss falls."""

from __future__ import annotations

import os
import uuid

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from hitl_widgets.exports import to_sft  # noqa: E402
from hitl_widgets.store import Store  # noqa: E402
from hitl_widgets.training import DEFAULT_CHAT_TEMPLATE, IGNORE_INDEX, build_sft_examples, finetune_causal_lm  # noqa: E402

PROMPTS = [
    ("What colour is the sky?", "The sky is blue."),
    ("What colour is grass?", "Grass is green."),
    ("What colour is snow?", "Snow is white."),
    ("What colour is coal?", "Coal is black."),
    ("What colour is a lemon?", "A lemon is yellow."),
    ("What colour is a tomato?", "A tomato is red."),
]


def gen_event(i, action, prompt, response, edited=None, context=None):
    data = {"prompt": prompt, "response": response, "context": context}
    if action == "edit":
        data.update(original=response, edited=edited)
    return {
        "event_id": uuid.uuid4().hex,
        "task": "answers",
        "kind": "generation",
        "item_id": f"g{i}",
        "content_hash": f"h{i}",
        "action": action,
        "annotator": "ann",
        "duration_ms": 5000.0,
        "data": data,
    }


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def sft_rows(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("sft") / "g.db")
    ev = []
    for i, (q, a) in enumerate(PROMPTS):
        if i == 1:  # edited: the edited text is what is trained on
            ev.append(gen_event(i, "edit", q, "Grass is purple.", edited=a))
        elif i == 2:  # a chat context with an earlier (unreviewed) assistant turn
            ev.append(
                gen_event(
                    i,
                    "accept",
                    q,
                    a,
                    context=[
                        {"role": "system", "content": "Answer in one sentence."},
                        {"role": "user", "content": "Hello"},
                        {"role": "assistant", "content": "Hello there."},
                    ],
                )
            )
        else:
            ev.append(gen_event(i, "accept", q, a))
    ev.append(gen_event(9, "reject", "What colour is mud?", "Mud is blue."))  # not exported
    store.append(ev)
    rows = to_sft(store, task="answers")
    assert len(rows) == len(PROMPTS)
    return rows


@pytest.fixture(scope="module")
def tok(sft_rows):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<|im_start|>", "<|im_end|>", "<eos>"]
    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    t.decoder = decoders.ByteLevel()
    corpus = [m["content"] for chat in sft_rows["messages"] for m in chat] + [
        "system user assistant Mud is blue"
    ] * 3
    t.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=t,
        pad_token="<pad>",
        eos_token="<eos>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    fast.chat_template = DEFAULT_CHAT_TEMPLATE
    return fast


def tiny_gpt2(tok):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    cfg = GPT2Config(
        vocab_size=len(tok),
        n_positions=128,
        n_embd=64,
        n_layer=2,
        n_head=2,
        n_inner=128,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    return GPT2LMHeadModel(cfg)


def test_only_assistant_tokens_are_trained(sft_rows, tok):
    examples, info = build_sft_examples(sft_rows, tok, max_length=128)
    assert len(examples) == len(PROMPTS) and not info["default_template"]
    for ex, chat in zip(examples, sft_rows["messages"], strict=True):
        kept = [t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab != IGNORE_INDEX]
        masked = [t for t, lab in zip(ex.input_ids, ex.labels, strict=True) if lab == IGNORE_INDEX]
        assert all(lab in (t, IGNORE_INDEX) for t, lab in zip(ex.input_ids, ex.labels, strict=True))
        trained = tok.decode(kept)
        # the reviewed answer (and the end-of-turn marker) is trained ...
        assert trained.startswith(chat[-1]["content"]) and "<|im_end|>" in trained
        # ... and nothing else: not the prompt, the roles, nor an earlier assistant turn
        assert chat[-2]["content"] not in trained and "user" not in trained
        assert "Hello there." not in trained
        assert chat[-2]["content"] in tok.decode(masked)
    assert tok.decode(
        [t for t, lab in zip(examples[1].input_ids, examples[1].labels, strict=True) if lab != IGNORE_INDEX]
    ).startswith("Grass is green.")  # the edit
    # train_on="all" also trains the context's assistant turn
    all_turns, _ = build_sft_examples(sft_rows, tok, max_length=128, train_on="all")
    assert "Hello there." in tok.decode(
        [t for t, lab in zip(all_turns[2].input_ids, all_turns[2].labels, strict=True) if lab != IGNORE_INDEX]
    )


def test_tiny_causal_lm_loss_falls_on_the_sft_export(sft_rows, tok, tmp_path):
    model = tiny_gpt2(tok)
    steps = []
    model, report = finetune_causal_lm(
        sft_rows,
        model,
        tok,
        epochs=20,
        batch_size=3,
        lr=3e-3,
        max_length=128,
        seed=0,
        progress=False,
        on_step=steps.append,
        output_dir=tmp_path / "lm",
    )
    assert report.n_examples == len(PROMPTS) and report.steps == 40 == len(steps)
    assert 0 < report.n_trained_tokens < report.n_tokens / 2
    assert report.loss_after < 0.5 * report.loss_before, str(report)
    assert (tmp_path / "lm" / "config.json").exists() and (tmp_path / "lm" / "tokenizer.json").exists()
    # the saved model has learnt the answer format: a colour sentence, then the end of its turn
    from transformers import GPT2LMHeadModel

    back = GPT2LMHeadModel.from_pretrained(tmp_path / "lm").eval()
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": PROMPTS[0][0]}], tokenize=False, add_generation_prompt=True
    )
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    out = back.generate(ids, max_new_tokens=10, do_sample=False, pad_token_id=tok.pad_token_id)
    answer = tok.decode(out[0, ids.shape[1] :])
    assert " is " in answer and ".<|im_end|>" in answer, answer


def test_default_template_when_the_tokenizer_has_none(sft_rows, tok):
    bare = tok.__class__(tokenizer_object=tok.backend_tokenizer, pad_token="<pad>", eos_token="<eos>")
    bare.chat_template = None
    examples, info = build_sft_examples(sft_rows, bare, max_length=128)
    assert info["default_template"] and len(examples) == len(PROMPTS)
