"""Fine-tune a text classifier on what people decided, in the notebook, and say what it gained.

>>> data = to_dataset(store, claims, task="claims", sample_task="claims-sample", id="claim_id")  # doctest: +SKIP
>>> model, report = finetune(data, mode="auto", seed=0, output_dir="checkpoints/round-1")     # doctest: +SKIP
>>> report                   # mode taken and why, accuracy / macro-F1 / per label, before and after

* a progress bar that works in notebooks (``tqdm.auto``) and a live loss: a small plotly
  ``FigureWidget`` in a notebook (offline), a printed line every ``every`` steps elsewhere;
* evaluation before and after on the held-out, human-labelled ``eval`` split (accuracy,
  macro-F1, precision / recall / F1 per label). "Before" is the starting point (the
  pre-trained encoder with a fresh head), or the model you pass as ``before=`` (e.g. the
  previous round's);
* ``mode="head"`` (fast: a softmax head on frozen mean-pooled sentence embeddings, the
  encoder untouched), ``mode="full"`` (every weight fine-tuned), or ``mode="auto"``, which
  picks head below `AUTO_FULL_FROM` training texts and full from there, and says so;
* the GPU when there is one, a seed;
* a checkpoint with a model card (README.md: data counts, the store it came from, the
  metrics) that ``TextClassifier.load`` restores.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..items import canonical
from .text_classifier import AUTO_FULL_FROM, TextClassifier, check_label_coverage


# -- metrics ------------------------------------------------------------------------------
def classification_metrics(
    y_true: Sequence[Any], y_pred: Sequence[Any], labels: Sequence[Any]
) -> dict[str, Any]:
    """Accuracy, macro-F1 (over labels that occur in truth or prediction, as scikit-learn
    does) and precision / recall / F1 / support per label. Labels are compared as the store
    keeps them (`hitl_widgets.items.canonical`: 1, 1.0 and "1" are one label)."""
    labels = [str(canonical(x)) for x in labels]
    t = np.asarray([canonical(v) for v in y_true], dtype=object)
    p = np.asarray([canonical(v) for v in y_pred], dtype=object)
    if len(t) != len(p):
        raise ValueError(f"{len(t)} true labels for {len(p)} predictions")
    rows, f1s = [], []
    for lab in labels:
        tp = int(np.sum((p == lab) & (t == lab)))
        n_pred = int(np.sum(p == lab))
        n_true = int(np.sum(t == lab))
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_true if n_true else 0.0
        f1 = 2 * prec * rec / (prec + rec) if (prec + rec) else 0.0
        rows.append({"label": lab, "precision": prec, "recall": rec, "f1": f1, "support": n_true})
        if n_true or n_pred:
            f1s.append(f1)
    return {
        "n": len(t),
        "accuracy": float(np.mean(t == p)) if len(t) else float("nan"),
        "macro_f1": float(np.mean(f1s)) if f1s else float("nan"),
        "per_label": pd.DataFrame(rows, columns=["label", "precision", "recall", "f1", "support"]),
    }


def evaluate(
    model: TextClassifier,
    texts: Sequence[str],
    y: Sequence[Any],
    *,
    embeddings: np.ndarray | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """`classification_metrics` of `model`'s predictions on (texts, y)."""
    texts = [str(t) for t in texts]
    if not texts:
        return classification_metrics([], [], model.labels)
    kw: dict[str, Any] = (
        {"embeddings": embeddings} if (embeddings is not None and model.mode_used == "head") else {}
    )
    p = model.predict_proba(texts, progress=progress, **kw)
    pred = [model.labels[i] for i in p.argmax(1)]
    return classification_metrics(y, pred, model.labels)


# -- live loss --------------------------------------------------------------------------------
def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    ip = get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


class LiveLoss:
    """A live training-loss view: ``"plot"`` (a plotly FigureWidget, offline), ``"print"``
    (a line every `every` steps), ``"auto"`` (plot in a notebook, print elsewhere) or
    None. Call it with each ``{"step", "epoch", "loss"}`` record (``on_step``)."""

    def __init__(
        self, mode: str | bool | None = "auto", every: int = 10, title: str = "training loss"
    ) -> None:
        if mode is True:
            mode = "auto"
        if mode in (False, None, "none"):
            mode = None
        if mode not in (None, "auto", "plot", "print"):
            raise ValueError(f"live must be 'auto', 'plot', 'print' or None, got {mode!r}")
        if mode == "auto":
            mode = "plot" if _in_notebook() else "print"
        self.mode = mode
        self.every = max(1, int(every))
        self.title = title
        self.steps: list[float] = []
        self.losses: list[float] = []
        self.figure: Any | None = None  # a plotly FigureWidget, once shown
        self._shown = 0

    def _ensure_figure(self) -> None:
        if self.figure is not None:
            return
        import plotly.graph_objects as go

        fig = go.FigureWidget(
            data=[go.Scatter(x=[], y=[], mode="lines", name="loss")],
            layout=go.Layout(
                title=self.title,
                height=260,
                width=520,
                margin=dict(l=50, r=20, t=40, b=40),
                xaxis_title="step",
                yaxis_title="loss",
            ),
        )
        self.figure = fig
        try:
            from IPython.display import display

            display(fig)
        except Exception:  # pragma: no cover - no IPython
            pass

    def __call__(self, rec: Mapping[str, float]) -> None:
        self.steps.append(float(rec["step"]))
        self.losses.append(float(rec["loss"]))
        if self.mode is None:
            return
        if len(self.steps) - self._shown < self.every:
            return
        self.flush()

    def run(
        self,
        train: Callable[[Callable[[dict[str, float]], None]], Any],
        on_step: Callable[[dict[str, float]], None] | None = None,
    ) -> float:
        """Call ``train(step)``, where each training step calls ``step(record)``: the record
        is shown here and passed on to `on_step`; every point is shown at the end. Returns
        the seconds training took."""

        def step(rec: dict[str, float]) -> None:
            self(rec)
            if on_step is not None:
                on_step(rec)

        t0 = time.perf_counter()
        train(step)
        seconds = time.perf_counter() - t0
        self.flush()
        return seconds

    def flush(self) -> None:
        """Show every point recorded so far."""
        if self.mode is None or not self.steps or self._shown == len(self.steps):
            return
        self._shown = len(self.steps)
        if self.mode == "plot":
            self._ensure_figure()
            fig = self.figure
            assert fig is not None  # made by _ensure_figure
            with fig.batch_update():
                fig.data[0].x = list(self.steps)
                fig.data[0].y = list(self.losses)
        else:
            print(f"  step {int(self.steps[-1]):5d}  loss {self.losses[-1]:.4f}", flush=True)


# -- report ---------------------------------------------------------------------------------
def _metrics_json(m: Mapping[str, Any] | None) -> Any:
    if m is None:
        return None
    out = {k: v for k, v in m.items() if k != "per_label"}
    out["per_label"] = m["per_label"].to_dict("records")
    return out


@dataclass
class FinetuneReport:
    """What `finetune` did: the mode and why, the data, metrics before and after, time."""

    mode: str
    mode_reason: str
    base_model: str
    device: str
    seed: int
    labels: list[str]
    n_train: int
    n_eval: int
    eval_is_random_sample: bool
    data: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    before_name: str
    train_seconds: float
    settings: dict[str, Any]
    history: list[dict[str, float]] = field(repr=False, default_factory=list)
    checkpoint: str | None = None

    def table(self) -> pd.DataFrame:
        """Accuracy, macro-F1 and F1 per label, before and after, with the change."""
        if self.after is None:
            return pd.DataFrame(columns=["before", "after", "change"])
        rows = {
            "accuracy": (self.before or {}).get("accuracy"),
            "macro-F1": (self.before or {}).get("macro_f1"),
        }
        after = {"accuracy": self.after["accuracy"], "macro-F1": self.after["macro_f1"]}
        b_pl = self.before["per_label"].set_index("label") if self.before else None
        for r in self.after["per_label"].itertuples(index=False):
            key = f"F1 {r.label}"
            after[key] = r.f1
            rows[key] = float(b_pl.loc[r.label, "f1"]) if b_pl is not None else None
        df = pd.DataFrame(
            {"before": pd.Series(rows, dtype="float64"), "after": pd.Series(after, dtype="float64")}
        )
        df["change"] = df["after"] - df["before"]
        return df

    def summary(self) -> str:
        lines = [
            f"mode: {self.mode} ({self.mode_reason}); device {self.device}; seed {self.seed}; "
            f"{self.n_train:,} training texts, trained in {self.train_seconds:.1f} s"
        ]
        if self.after is None:
            lines.append("no held-out human labels: nothing evaluated")
        else:
            kind = (
                "a random sample"
                if self.eval_is_random_sample
                else "a stratified split (not a random sample)"
            )
            b = self.before
            lines.append(
                f"held-out human labels: {self.n_eval:,} ({kind}); accuracy "
                + (f"{b['accuracy']:.3f} -> " if b else "")
                + f"{self.after['accuracy']:.3f}, macro-F1 "
                + (f"{b['macro_f1']:.3f} -> " if b else "")
                + f"{self.after['macro_f1']:.3f}"
                + (f" (before: {self.before_name})" if b else "")
            )
        if self.checkpoint:
            lines.append(f"checkpoint: {self.checkpoint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from html import escape

        head = "<br>".join(escape(s) for s in self.summary().splitlines())
        tab = self.table()
        return f"<div>{head}</div>" + (tab.to_html(float_format=lambda v: f"{v:.3f}") if len(tab) else "")

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["before"], d["after"] = _metrics_json(self.before), _metrics_json(self.after)
        return d

    def model_card(self) -> str:
        """The checkpoint's README.md: what it was trained on, where the labels came from,
        how it scored."""
        d = self.data
        out = [
            "# Text classifier fine-tuned on reviewed labels",
            "",
            f"Trained with `hitl_widgets.training.finetune` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            "## Model",
            f"- base model: `{self.base_model}`",
            f"- mode: **{self.mode}** ({self.mode_reason})",
            f"- labels: {', '.join(self.labels)}",
            "- settings: " + ", ".join(f"{k}={v}" for k, v in self.settings.items()),
            f"- device: {self.device}; training time {self.train_seconds:.1f} s",
            "",
            "## Data",
        ]
        if d.get("store"):
            out.append(
                f"- store: `{d['store']}` (store id `{d.get('store_id')}`), tasks "
                f"{', '.join(map(str, d.get('tasks') or [])) or '-'}; random-sample tasks "
                f"{', '.join(map(str, d.get('sample_tasks') or [])) or '-'}"
            )
        out.append(f"- training texts: {self.n_train:,}")
        for k, v in (d.get("train_by_source") or {}).items():
            out.append(f"  - {k}: {v:,}")
        if d.get("train_by_label"):
            out.append(
                "- per label (train): " + ", ".join(f"{k} {v:,}" for k, v in d["train_by_label"].items())
            )
        out.append(
            f"- held-out human labels (eval): {self.n_eval:,}, "
            + (
                "reviewed as a random sample"
                if self.eval_is_random_sample
                else "a stratified split of reviewed items (not a random sample: biased)"
            )
        )
        dropped = {k: v for k, v in (d.get("dropped") or {}).items() if v}
        if dropped:
            out.append("- left out: " + ", ".join(f"{k} {v:,}" for k, v in dropped.items()))
        out += ["", "## Evaluation (held-out human labels)"]
        if self.after is None:
            out.append("Not evaluated: no held-out human labels.")
        else:
            out.append(f"Before: {self.before_name}.")
            out.append("")
            out.append("| metric | before | after |")
            out.append("|---|---:|---:|")
            for name, r in self.table().iterrows():
                b = "-" if pd.isna(r["before"]) else f"{r['before']:.3f}"
                out.append(f"| {name} | {b} | {r['after']:.3f} |")
        out += [
            "",
            "## Load",
            "",
            "```python",
            "from hitl_widgets.training import TextClassifier",
            "model = TextClassifier.load('<this folder>')",
            "model.predict_proba(texts)",
            "```",
            "",
        ]
        return "\n".join(out)


# -- inputs ---------------------------------------------------------------------------------
def _label_names(raw: Sequence[Any], where: str) -> list[str]:
    """Labels as the store keeps them (`canonical`: 1, 1.0 and "1" are one label); a missing
    label is refused, naming the first rows (it would otherwise train a class "nan")."""
    out = [canonical(v) for v in raw]
    bad = [i for i, v in enumerate(out) if v is None]
    if bad:
        raise ValueError(
            f"{where}: missing labels (None or NaN) in {len(bad)} row(s), positions "
            f"{bad[:5]!r}: drop them or label them"
        )
    return out  # type: ignore[return-value]


def _split(
    obj: Any, labels: Sequence[Any] | None, where: str = "data"
) -> tuple[list[str], list[str], list[float] | None, list[str] | None]:
    """(texts, label names, weights, label names of the ClassLabel) from a Dataset or frame."""
    if obj is None:
        return [], [], None, None
    if isinstance(obj, pd.DataFrame):
        for c in ("text", "label"):
            if c not in obj.columns:
                raise ValueError(
                    f"a frame to train on needs columns 'text' and 'label' (has {list(obj.columns)[:10]!r})"
                )
        w = obj["weight"].astype(float).tolist() if "weight" in obj.columns else None
        return obj["text"].astype(str).tolist(), _label_names(obj["label"].tolist(), where), w, None
    if hasattr(obj, "features") and hasattr(obj, "column_names"):
        feat = obj.features.get("label")
        names = [str(canonical(n)) for n in (getattr(feat, "names", None) or [])] or None
        raw = obj["label"]
        labs = [names[int(v)] for v in raw] if names else _label_names(list(raw), where)
        w = list(map(float, obj["weight"])) if "weight" in obj.column_names else None
        return [str(t) for t in obj["text"]], labs, w, names
    raise ValueError(f"expected a datasets.Dataset / DatasetDict or a DataFrame, got {type(obj).__name__}")


def _untrained(clf: TextClassifier, mode: str, dim: int | None) -> TextClassifier:
    """The starting point of training: the pre-trained encoder with a fresh, seeded head."""
    import torch

    start = TextClassifier(
        clf.labels,
        clf.model_path,
        mode=mode,
        max_length=clf.max_length,
        seed=clf.seed,
        device=str(clf.device),
    )
    start._tok = clf._tok
    if mode == "head":
        start._encoder = clf._encoder
        gen = torch.Generator().manual_seed(clf.seed)
        head = torch.nn.Linear(dim or 384, len(clf.labels))
        with torch.no_grad():
            head.weight.normal_(0, 0.01, generator=gen)
            head.bias.zero_()
        start._head, start._scale = head.to(clf.device).train(False), 20.0
    else:
        from transformers import AutoModelForSequenceClassification

        torch.manual_seed(clf.seed)
        start._seqcls = (
            AutoModelForSequenceClassification.from_pretrained(clf.model_path, num_labels=len(clf.labels))
            .to(clf.device)
            .train(False)
        )
    start.mode_used = mode
    return start


def finetune(
    data: Any,
    *,
    eval_data: Any = None,
    labels: Sequence[Any] | None = None,
    model: str | os.PathLike[str] | None = None,
    mode: str = "auto",
    epochs: int = 3,
    batch_size: int = 16,
    lr: float | None = None,
    max_length: int = 128,
    seed: int = 0,
    device: str | None = None,
    before: TextClassifier | str | None = "start",
    use_weights: bool = True,
    progress: bool = True,
    live: str | bool | None = "auto",
    every: int = 10,
    output_dir: str | os.PathLike[str] | bool | None = None,
    on_step: Callable[[dict[str, float]], None] | None = None,
    allow_missing_labels: bool = False,
) -> tuple[TextClassifier, FinetuneReport]:
    """Fine-tune a sequence classifier on reviewed labels; return ``(model, report)``.

    Parameters
    ----------
    data:
        `to_dataset`'s DatasetDict (``train`` and ``eval``), or a training Dataset /
        DataFrame (columns ``text``, ``label``, optional ``weight``) with `eval_data`.
    eval_data:
        Held-out human labels to evaluate on (default: ``data["eval"]``).
    labels:
        The label set (default: the ClassLabel names, else the labels seen). Labels are
        compared as the store keeps them (`hitl_widgets.items.canonical`: 1, 1.0 and "1"
        are one label). Every label of the set needs a training example (of positive
        weight when weights are used): one without raises a ValueError naming it, before
        anything is trained.
    model:
        A transformers encoder (path or hub id); default the offline all-MiniLM-L6-v2.
    mode:
        ``"head"`` (fast, the encoder's weights untouched), ``"full"`` (every weight), or
        ``"auto"``: head below `AUTO_FULL_FROM` training texts, full from there.
    epochs, batch_size, lr, max_length:
        Full fine-tuning settings (head mode fits by full-batch L-BFGS).
    seed, device:
        The seed (data order, head initialisation); the device (default: the GPU when
        there is one).
    before:
        What to compare against: ``"start"`` (the pre-trained encoder with a fresh head,
        what training starts from), a fitted `TextClassifier` (e.g. last round's model),
        or None (no "before" evaluation).
    use_weights:
        Use the data's ``weight`` column in the loss when there is one.
    progress, live, every:
        tqdm.auto progress bars; the live loss (``"auto"``, ``"plot"``, ``"print"``,
        None) updated every `every` steps.
    output_dir:
        Where to save the checkpoint and its model card (README.md) and
        ``training_report.json``; default ``checkpoints/finetune-<UTC time>``; False: no
        checkpoint.
    allow_missing_labels:
        Train even when labels of the label set have no training example (a
        `MissingLabelWarning` names them; the model can then almost never predict them),
        e.g. in an early round where a rare label has not been reviewed yet.
    """
    train, eval_data, data_report = _splits_of(data, eval_data)
    texts, y, weights, names = _split(train, labels, "data (training labels)")
    e_texts, e_y, _, e_names = _split(eval_data, labels, "eval_data (held-out labels)")
    if not texts:
        raise ValueError("no training texts: review some items first (the train split is empty)")
    if labels is None:
        labels = names or e_names or sorted(set(y) | set(e_y))
    labels = [str(canonical(x)) for x in labels]
    clf = TextClassifier(labels, model, mode=mode, max_length=max_length, seed=seed, device=device)
    # every label of the set needs a training example; checked here, before the (slow)
    # evaluation of the starting point, and not again in `fit`
    fit_weights = weights if (use_weights and weights is not None) else None
    check_label_coverage(
        clf.labels,
        clf._targets(y),
        None if fit_weights is None else np.asarray(fit_weights, dtype=float),
        allow_missing_labels=allow_missing_labels,
    )
    chosen, reason = clf.choose_mode(len(texts))
    eval_random = _eval_is_random_sample(eval_data, data_report)

    # -- before ------------------------------------------------------------------------
    e_emb = None
    if chosen == "head" and e_texts:
        e_emb = clf.embed(e_texts, progress=progress)
    before_metrics, before_name = None, "none"
    if e_texts and before is not None:
        before_metrics, before_name = _evaluate_before(before, clf, chosen, e_texts, e_y, e_emb, progress)

    # -- train -------------------------------------------------------------------------
    train_s = LiveLoss(live, every=every, title=f"training loss ({chosen})").run(
        lambda step: clf.fit(
            texts,
            y,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            progress=progress,
            on_step=step,
            sample_weight=fit_weights,
            allow_missing_labels=True,
        ),
        on_step,
    )
    after_metrics = evaluate(clf, e_texts, e_y, embeddings=e_emb) if e_texts else None

    settings = {
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr or (5e-5 if chosen == "full" else None),
        "max_length": max_length,
        "weights": bool(use_weights and weights is not None),
        "auto_full_from": AUTO_FULL_FROM,
    }
    report = FinetuneReport(
        mode=chosen,
        mode_reason=reason,
        base_model=clf.model_path,
        device=str(clf.device),
        seed=seed,
        labels=labels,
        n_train=len(texts),
        n_eval=len(e_texts),
        eval_is_random_sample=eval_random,
        data={k: v for k, v in data_report.items() if k not in ("dropped_items", "held_out_ids")},
        before=before_metrics,
        after=after_metrics,
        before_name=before_name,
        train_seconds=train_s,
        settings=settings,
        history=list(clf.history),
    )
    if output_dir is not False:
        _save_checkpoint(clf, report, output_dir)
    return clf, report


def _splits_of(data: Any, eval_data: Any) -> tuple[Any, Any, dict[str, Any]]:
    """(train, eval, the data report): a DatasetDict's splits and `to_dataset`'s report,
    or `data` itself with `eval_data`."""
    if isinstance(data, Mapping) and "train" in data:
        if eval_data is None:
            eval_data = data.get("eval")
        return data["train"], eval_data, dict(getattr(data, "report", None) or {})
    return data, eval_data, {}


def _eval_is_random_sample(eval_data: Any, data_report: Mapping[str, Any]) -> bool:
    """Whether the eval data is a random sample: its ``sample`` column is true on every
    row; without that column, the data report says the eval split is all random sample."""
    sample_flags = None
    if eval_data is not None and hasattr(eval_data, "column_names") and "sample" in eval_data.column_names:
        sample_flags = list(eval_data["sample"])
    elif isinstance(eval_data, pd.DataFrame) and "sample" in eval_data.columns:
        sample_flags = eval_data["sample"].astype(bool).tolist()
    eval_random = bool(sample_flags and all(sample_flags))
    if eval_data is not None and sample_flags is None:
        eval_random = bool(data_report.get("eval_random_sample")) and not data_report.get("eval_split")
    return eval_random


def _evaluate_before(
    before: TextClassifier | str,
    clf: TextClassifier,
    chosen: str,
    e_texts: list[str],
    e_y: list[Any],
    e_emb: Any,
    progress: bool,
) -> tuple[Any, str]:
    """(metrics, name) of what the fine-tuned model is compared against: the given model,
    or the pre-trained encoder with a fresh head (``"start"``)."""
    if isinstance(before, TextClassifier):
        return (
            evaluate(before, e_texts, e_y, progress=progress),
            f"the given model ({before.mode_used} mode)",
        )
    if before == "start":
        start = _untrained(clf, chosen, None if e_emb is None else e_emb.shape[1])
        return (
            evaluate(start, e_texts, e_y, embeddings=e_emb),
            "the pre-trained encoder with a fresh head (training's starting point)",
        )
    raise ValueError(f"before must be 'start', a TextClassifier or None, got {before!r}")


def _save_checkpoint(
    clf: TextClassifier, report: FinetuneReport, output_dir: str | os.PathLike[str] | Literal[True] | None
) -> None:
    """Save the model with its model card, and ``training_report.json``, in `output_dir`
    (None or True: ``checkpoints/finetune-<UTC time>``)."""
    if output_dir is None or output_dir is True:
        output_dir = Path("checkpoints") / f"finetune-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    path = Path(output_dir)
    report.checkpoint = str(path)
    clf.save(path, card={"markdown": report.model_card()})
    (path / "training_report.json").write_text(json.dumps(report.to_json(), indent=2, default=_json_default))


def _json_default(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, pd.DataFrame):
        return v.to_dict("records")
    return str(v)
