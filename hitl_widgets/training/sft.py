"""Supervised fine-tuning of a causal language model on the accepted and edited generations.

The SFT export (`hitl_widgets.exports.to_sft`) gives one chat per reviewed generation:
``messages`` = the context, the user's prompt, and the assistant turn people accepted or
edited. `finetune_causal_lm` renders each chat with the tokenizer's chat template and
trains on the **assistant tokens only** (the prompt and the context are masked with -100,
so the model learns to answer, not to imitate users).

A real model (offline, from a local folder or the Hugging Face cache)::

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from hitl_widgets.exports import to_sft
    from hitl_widgets.training import finetune_causal_lm

    path = "Qwen/Qwen2.5-0.5B-Instruct"          # any chat model with a chat template
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16)
    model.gradient_checkpointing_enable()        # long chats on a small GPU
    data = to_sft("hitl.db", task="answers")     # DataFrame with a `messages` column
    model, report = finetune_causal_lm(data, model, tok, epochs=2, lr=1e-5, batch_size=4,
                                       max_length=1024, output_dir="sft-round-1")
    print(report)                                # loss before -> after, tokens trained on

On a GPU (used when there is one) the forward pass runs in bfloat16 autocast. For models
too large to fine-tune fully, wrap the model with PEFT/LoRA first (``peft.get_peft_model``)
and pass the wrapped model: only its trainable parameters are optimised. The same data also
works with TRL's ``SFTTrainer`` (``assistant_only_loss=True``) for multi-GPU runs.

A tokenizer without a chat template gets `DEFAULT_CHAT_TEMPLATE` (ChatML), and the report
says so; its ``<|im_start|>`` / ``<|im_end|>`` markers should then be tokens of the
vocabulary.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

IGNORE_INDEX = -100

DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _chats(data: Any) -> list[list[dict[str, str]]]:
    """The chats from a DataFrame / Dataset with a ``messages`` column, or a list of chats
    (or of dicts with ``messages``)."""
    if hasattr(data, "columns") or hasattr(data, "column_names"):
        cols = list(getattr(data, "column_names", None) or list(data.columns))
        if "messages" not in cols:
            raise ValueError(
                f"the SFT data needs a 'messages' column (has {cols[:10]!r}); "
                "use hitl_widgets.exports.to_sft(store)"
            )
        raw = list(data["messages"])
    else:
        raw = [d["messages"] if isinstance(d, Mapping) else d for d in data]
    chats = []
    for i, chat in enumerate(raw):
        if not isinstance(chat, (list, tuple)) or not all(isinstance(m, Mapping) for m in chat):
            raise ValueError(f"example {i}: messages must be a list of {{'role', 'content'}} dicts")
        chats.append([{"role": str(m["role"]), "content": str(m["content"])} for m in chat])
    return chats


def _render(tok: Any, messages: list[dict[str, str]], template: str | None, gen: bool) -> str:
    kw = {"chat_template": template} if template is not None else {}
    out = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen, **kw)
    return out if isinstance(out, str) else str(out)


@dataclass
class SFTExample:
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX on every token that is not an assistant turn's

    @property
    def n_trained(self) -> int:
        return sum(1 for v in self.labels if v != IGNORE_INDEX)


def build_sft_examples(
    data: Any,
    tokenizer: Any,
    *,
    max_length: int = 1024,
    chat_template: str | None = None,
    train_on: str = "last",
) -> tuple[list[SFTExample], dict[str, Any]]:
    """Tokenise each chat with the chat template; labels keep only assistant tokens.

    An assistant turn is the text between the rendering of the chat before it (with the
    generation prompt) and the rendering that includes it, so the turn's end marker is
    trained too (the model learns to stop). ``train_on="last"`` (default) trains the last
    assistant turn only - the one people accepted or edited; earlier assistant turns of
    the context were never reviewed - and ``"all"`` every assistant turn.
    Returns (examples, info)."""
    if train_on not in ("last", "all"):
        raise ValueError(f"train_on must be 'last' or 'all', got {train_on!r}")
    template = chat_template
    used_default = False
    if template is None and not getattr(tokenizer, "chat_template", None):
        template, used_default = DEFAULT_CHAT_TEMPLATE, True
    fast = bool(getattr(tokenizer, "is_fast", False))
    out: list[SFTExample] = []
    info = {"chats": 0, "truncated": 0, "no_assistant": 0, "default_template": used_default}
    for chat in _chats(data):
        info["chats"] += 1
        full = _render(tokenizer, chat, template, False)
        spans = _assistant_spans(tokenizer, chat, template, full)
        if not spans:
            info["no_assistant"] += 1
            continue
        if train_on == "last":
            spans = spans[-1:]
        ids, mask = _tokens_in_spans(tokenizer, full, spans, fast)
        if len(ids) > max_length:
            info["truncated"] += 1
            ids, mask = ids[:max_length], mask[:max_length]
        labels = [t if m else IGNORE_INDEX for t, m in zip(ids, mask, strict=True)]
        if not any(m for m in mask):
            info["no_assistant"] += 1
            continue
        out.append(SFTExample(ids, labels))
    return out, info


def _assistant_spans(
    tokenizer: Any, chat: list[dict[str, str]], template: str | None, full: str
) -> list[tuple[int, int]]:
    """(start, end) of each assistant turn in `full` (the rendered chat): from the end of
    the chat before it, rendered with the generation prompt, to the end of the chat that
    includes it."""
    spans = []
    for i, m in enumerate(chat):
        if m["role"] != "assistant":
            continue
        before = _render(tokenizer, chat[:i], template, True) if i else _render(tokenizer, [], template, True)
        upto = _render(tokenizer, chat[: i + 1], template, False)
        if not (upto.startswith(before) and full.startswith(upto)):
            raise ValueError(
                "the chat template does not render a chat as the prefix of a longer one, "
                "so assistant turns cannot be located; pass chat_template="
            )
        spans.append((len(before), len(upto)))
    return spans


def _tokens_in_spans(
    tokenizer: Any, full: str, spans: list[tuple[int, int]], fast: bool
) -> tuple[list[int], list[bool]]:
    """The token ids of `full` and, per token, whether it lies in one of the spans: from
    the offsets a fast tokenizer gives, else by tokenising the pieces one by one."""
    if fast:
        enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        mask = [any(a <= s < b for a, b in spans) and e > s for s, e in enc["offset_mapping"]]
        return ids, mask
    ids, mask, pos = [], [], 0
    for a, b in spans:
        for piece, in_span in ((full[pos:a], False), (full[a:b], True)):
            if piece:
                t = tokenizer(piece, add_special_tokens=False)["input_ids"]
                ids += t
                mask += [in_span] * len(t)
        pos = b
    if full[pos:]:
        t = tokenizer(full[pos:], add_special_tokens=False)["input_ids"]
        ids += t
        mask += [False] * len(t)
    return ids, mask


@dataclass
class SFTReport:
    """What `finetune_causal_lm` did."""

    n_chats: int
    n_examples: int
    n_tokens: int
    n_trained_tokens: int
    epochs: int
    steps: int
    loss_before: float | None
    loss_after: float | None
    seconds: float
    device: str
    info: dict[str, Any]
    history: list[dict[str, float]] = field(repr=False, default_factory=list)
    checkpoint: str | None = None

    def __str__(self) -> str:
        s = (
            f"{self.n_examples:,} chats ({self.n_trained_tokens:,} of {self.n_tokens:,} tokens are "
            f"assistant tokens, the only ones trained), {self.epochs} epoch(s), {self.steps} steps, "
            f"{self.seconds:.1f} s on {self.device}"
        )
        if self.loss_before is not None and self.loss_after is not None:
            s += f"; loss on assistant tokens {self.loss_before:.3f} -> {self.loss_after:.3f}"
        if self.info.get("default_template"):
            s += "; the tokenizer had no chat template: ChatML (DEFAULT_CHAT_TEMPLATE) was used"
        if self.checkpoint:
            s += f"; saved to {self.checkpoint}"
        return s


def _batches(examples: list[SFTExample], order: Sequence[int], batch_size: int, pad_id: int):
    import torch

    for i in range(0, len(order), batch_size):
        chunk = [examples[j] for j in order[i : i + batch_size]]
        n = max(len(e.input_ids) for e in chunk)
        ids = torch.full((len(chunk), n), pad_id, dtype=torch.long)
        lab = torch.full((len(chunk), n), IGNORE_INDEX, dtype=torch.long)
        att = torch.zeros((len(chunk), n), dtype=torch.long)
        for r, e in enumerate(chunk):
            k = len(e.input_ids)
            ids[r, :k] = torch.tensor(e.input_ids)
            lab[r, :k] = torch.tensor(e.labels)
            att[r, :k] = 1
        yield ids, att, lab


def sft_loss(
    model: Any, examples: list[SFTExample], *, batch_size: int = 8, pad_id: int = 0, device: Any = None
) -> float:
    """Mean cross-entropy per assistant token over `examples` (no training)."""
    import torch

    device = device or next(model.parameters()).device
    was = model.training
    model.train(False)
    total, count = 0.0, 0
    with torch.inference_mode():
        for ids, att, lab in _batches(examples, list(range(len(examples))), batch_size, pad_id):
            ids, att, lab = ids.to(device), att.to(device), lab.to(device)
            logits = model(input_ids=ids, attention_mask=att).logits.float()
            shift_logits, shift_lab = logits[:, :-1], lab[:, 1:]
            loss = torch.nn.functional.cross_entropy(
                shift_logits.reshape(-1, shift_logits.shape[-1]),
                shift_lab.reshape(-1),
                ignore_index=IGNORE_INDEX,
                reduction="sum",
            )
            total += float(loss)
            count += int((shift_lab != IGNORE_INDEX).sum())
    model.train(was)
    return total / count if count else float("nan")


def finetune_causal_lm(
    data: Any,
    model: Any,
    tokenizer: Any,
    *,
    epochs: int = 1,
    batch_size: int = 4,
    lr: float = 2e-5,
    weight_decay: float = 0.0,
    max_length: int = 1024,
    seed: int = 0,
    device: str | None = None,
    chat_template: str | None = None,
    train_on: str = "last",
    progress: bool = True,
    live: str | bool | None = None,
    every: int = 10,
    on_step: Callable[[dict[str, float]], None] | None = None,
    evaluate: bool = True,
    output_dir: str | os.PathLike[str] | None = None,
) -> tuple[Any, SFTReport]:
    """Fine-tune `model` (a transformers causal LM) on chats, loss on assistant tokens only.

    Parameters
    ----------
    data:
        `to_sft`'s DataFrame or Dataset (a ``messages`` column), or a list of chats.
    model, tokenizer:
        A ``AutoModelForCausalLM`` (or a PEFT-wrapped one) and its tokenizer.
    epochs, batch_size, lr, weight_decay, max_length:
        Training settings (AdamW, linear decay after a 10% warm-up); chats longer than
        `max_length` tokens are cut.
    seed, device:
        Seed of the data order; the device (default: the GPU when there is one).
    chat_template:
        A Jinja chat template overriding the tokenizer's.
    train_on:
        ``"last"``: the last assistant turn of each chat (the reviewed one); ``"all"``:
        every assistant turn.
    progress, live, every, on_step:
        A tqdm.auto bar; a live loss (``"auto"``, ``"plot"``, ``"print"``, None, as in
        `finetune`); a callback receiving ``{"step", "epoch", "loss"}``.
    evaluate:
        Measure the loss per assistant token on the data before and after training.
    output_dir:
        Save the model and tokenizer there (``save_pretrained``).

    Returns ``(model, report)``.
    """
    import torch

    from .finetune import LiveLoss
    from .text_classifier import _progress, pick_device

    examples, info = build_sft_examples(
        data, tokenizer, max_length=max_length, chat_template=chat_template, train_on=train_on
    )
    if not examples:
        raise ValueError(f"no chat with an assistant turn to train on ({info})")
    dev = pick_device(device)
    model.to(dev)
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    loss_before = (
        sft_loss(model, examples, batch_size=batch_size, pad_id=pad_id, device=dev) if evaluate else None
    )
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    steps_total = max(1, epochs * math.ceil(len(examples) / batch_size))
    warm = max(1, steps_total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / steps_total)
    )
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if dev.type == "cuda"
        else torch.autocast("cpu", enabled=False)
    )
    view = LiveLoss(live, every=every, title="SFT loss")
    bar = _progress(steps_total, "SFT", progress)
    history: list[dict[str, float]] = []
    model.train()
    t0 = time.perf_counter()
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(len(examples)).tolist()
        for ids, att, lab in _batches(examples, order, batch_size, pad_id):
            ids, att, lab = ids.to(dev), att.to(dev), lab.to(dev)
            with autocast:
                out = model(input_ids=ids, attention_mask=att, labels=lab)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            rec = {"step": float(step), "epoch": float(epoch + 1), "loss": float(out.loss.detach())}
            history.append(rec)
            view(rec)
            if on_step:
                on_step(rec)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{rec['loss']:.3f}")
    if bar is not None:
        bar.close()
    view.flush()
    seconds = time.perf_counter() - t0
    model.train(False)
    loss_after = (
        sft_loss(model, examples, batch_size=batch_size, pad_id=pad_id, device=dev) if evaluate else None
    )
    report = SFTReport(
        n_chats=info["chats"],
        n_examples=len(examples),
        n_tokens=sum(len(e.input_ids) for e in examples),
        n_trained_tokens=sum(e.n_trained for e in examples),
        epochs=epochs,
        steps=step,
        loss_before=loss_before,
        loss_after=loss_after,
        seconds=seconds,
        device=str(dev),
        info=info,
        history=history,
    )
    if output_dir is not None:
        path = Path(output_dir)
        path.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(path)
        if info.get("default_template") and not getattr(tokenizer, "chat_template", None):
            tokenizer.chat_template = DEFAULT_CHAT_TEMPLATE
        tokenizer.save_pretrained(path)
        report.checkpoint = str(path)
    return model, report
