"""A small image classifier trained on reviewed labels, in the notebook, and what it gained.

>>> data = to_dataset(store, df, image="path", task="image", id="id")            # doctest: +SKIP
>>> model, report = finetune_images(data, before=dict(zip(df["id"], df["pred"])))  # doctest: +SKIP
>>> report          # accuracy / macro-F1 / F1 per label on held-out human labels, before and after

`ImageClassifier` is a small convolutional network (three 3 x 3 convolutions, two 2 x 2
poolings, a 128-unit hidden layer) on images resized to a fixed square (default the
training images' own size when it is at most 32 pixels, else 32), grey or RGB. It trains
from scratch in seconds to a minute or two on a laptop's CPU (the GPU when there is one),
seeded: on the CPU the same seed gives the same model.

`finetune_images` is `finetune`'s image counterpart: the same inputs (`to_dataset`'s
DatasetDict, or a Dataset / DataFrame with `eval_data`), the same live loss (`LiveLoss`),
the same `FinetuneReport` (an `ImageFinetuneReport`, which says "images") with metrics from
`classification_metrics`. "Before" is the model the review started from: its predictions
on the eval rows (a list, or a dict by item id), a callable on images, a fitted
`ImageClassifier`, or ``"start"`` (this network untrained).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from PIL import Image

from ..items import canonical
from ..items.image import load_image
from .finetune import (
    FinetuneReport,
    LiveLoss,
    _eval_is_random_sample,
    _json_default,
    _label_names,
    _splits_of,
    classification_metrics,
)
from .text_classifier import _progress, check_label_coverage, pick_device

#: Largest side images are resized to by default (smaller training images keep their size).
MAX_SIZE = 32
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "F", "P"}


# -- images ---------------------------------------------------------------------------------
def to_pil(value: Any) -> Image.Image:
    """A PIL image from what a review or a dataset holds: a PIL image, a ``{"bytes",
    "path"}`` dict (a `datasets.Image` column read without decoding, or ``to_pandas()``),
    or anything `hitl_widgets.items.load_image` reads (a path, bytes, a numpy array).
    Raises ValueError (an `ImageError`) on anything else."""
    if isinstance(value, Image.Image):
        return value
    if isinstance(value, Mapping) and (value.get("bytes") is not None or value.get("path")):
        value = value["bytes"] if value.get("bytes") is not None else value["path"]
    with Image.open(io.BytesIO(load_image(value).data)) as im:
        im.load()
        return im.copy()


def _is_grey(im: Image.Image) -> bool:
    if im.mode == "P":
        return im.convert("RGB").convert("L").convert("RGB").tobytes() == im.convert("RGB").tobytes()
    return im.mode in _GREY_MODES


def _pixels(images: Sequence[Any], size: int, channels: int) -> np.ndarray:
    """N x C x size x size float32 in [0, 1]: each image converted to grey (C = 1) or RGB
    (C = 3) and resized (bilinear) to a square of `size` pixels."""
    out = np.empty((len(images), channels, size, size), dtype=np.float32)
    mode = "L" if channels == 1 else "RGB"
    for i, v in enumerate(images):
        im = to_pil(v)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            back = Image.new("RGBA", im.size, (255, 255, 255, 255))  # transparency on white
            im = Image.alpha_composite(back, im.convert("RGBA"))
        im = im.convert(mode)
        if im.size != (size, size):
            im = im.resize((size, size), Image.Resampling.BILINEAR)
        a = np.asarray(im, dtype=np.float32) / 255.0
        out[i] = a[None] if channels == 1 else a.transpose(2, 0, 1)
    return out


# -- the network ----------------------------------------------------------------------------
def _network(channels: int, n_labels: int) -> Any:
    """Three 3 x 3 convolutions (32, 64, 64 filters; two 2 x 2 poolings), a 2 x 2 average
    pool, a 128-unit hidden layer and the output layer: any input of 8 pixels or more."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 4, 128),
        nn.ReLU(),
        nn.Linear(128, n_labels),
    )


class ImageClassifier:
    """A small CNN over a label set: `fit` on images and labels, `predict_proba` /
    `predict`, `save` / `load`.

    Parameters
    ----------
    labels:
        The label set, in order (compared as the store keeps labels: 1, 1.0 and "1" are
        one label).
    size:
        Side of the square images are resized to; default (None) the training images'
        largest side when it is at most `MAX_SIZE` (32), else 32. At least 8.
    grayscale:
        One grey channel (True) or RGB (False); default (None) grey when every training
        image is grey.
    seed, device:
        The seed (initial weights, batch order); the device (default: the GPU when there
        is one). On the CPU the same seed and data give the same model.
    """

    def __init__(
        self,
        labels: Sequence[Any],
        *,
        size: int | None = None,
        grayscale: bool | None = None,
        seed: int = 0,
        device: str | None = None,
    ) -> None:
        self.labels = [str(canonical(x)) for x in labels]
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels must be two or more distinct labels, got {list(labels)!r}")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 8):
            raise ValueError(f"size must be an int of at least 8 (pixels), got {size!r}")
        self.size = size
        self.grayscale = grayscale
        self.seed = int(seed)
        self.device = pick_device(device)
        self.mean, self.std = 0.0, 1.0
        self.history: list[dict[str, float]] = []
        self._net: Any | None = None

    # -- set-up ------------------------------------------------------------------------
    @property
    def channels(self) -> int:
        """1 (grey) or 3 (RGB)."""
        return 1 if self.grayscale else 3

    def describe(self) -> str:
        """What the network is, in words (the report's base model)."""
        colour = "grey" if self.grayscale else "RGB"
        return f"small CNN (3 conv layers) on {self.size}x{self.size} {colour} images"

    def _settle(self, pics: Sequence[Image.Image]) -> None:
        """Size and colour from the training images, where not given."""
        if self.size is None:
            side = max(max(im.size) for im in pics)
            self.size = int(min(MAX_SIZE, max(8, side)))
        if self.grayscale is None:
            self.grayscale = all(_is_grey(im) for im in pics)

    def _init_net(self) -> Any:
        """The network with its seeded initial weights (the starting point of `fit`)."""
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = _network(self.channels, len(self.labels))
        return net.to(self.device).train(False)  # inference mode; fit() switches training on

    def _targets(self, y: Sequence[Any]) -> np.ndarray:
        index = {lab: i for i, lab in enumerate(self.labels)}
        names = [str(canonical(v)) for v in y]
        unknown = sorted({v for v in names if v not in index})
        if unknown:
            raise ValueError(f"labels {unknown[:10]!r} are not in the label set {self.labels!r}")
        return np.asarray([index[v] for v in names], dtype=np.int64)

    # -- training ----------------------------------------------------------------------
    def fit(
        self,
        images: Sequence[Any],
        y: Sequence[Any],
        *,
        epochs: int = 15,
        batch_size: int = 64,
        lr: float = 2e-3,
        sample_weight: Sequence[float] | None = None,
        progress: bool = False,
        on_step: Callable[[dict[str, float]], None] | None = None,
        allow_missing_labels: bool = False,
    ) -> ImageClassifier:
        """Train from the seeded starting point on (images, labels) with Adam; every label
        of the set needs a training example (a ValueError names those without, unless
        `allow_missing_labels`). `on_step` gets ``{"step", "epoch", "loss"}`` per batch."""
        import torch
        import torch.nn.functional as F

        if len(images) != len(y):
            raise ValueError(f"{len(images)} images for {len(y)} labels")
        if not len(images):
            raise ValueError("no training images")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive int, got {epochs!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        target = self._targets(y)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
        if w is not None and (w.shape != (len(target),) or not np.all(np.isfinite(w)) or np.any(w < 0)):
            raise ValueError("sample_weight must hold one finite, non-negative weight per image")
        check_label_coverage(self.labels, target, w, allow_missing_labels=allow_missing_labels)
        pics = [to_pil(v) for v in images]
        self._settle(pics)
        assert self.size is not None
        x = _pixels(pics, self.size, self.channels)
        self.mean, self.std = float(x.mean()), float(x.std()) or 1.0
        xt = torch.from_numpy((x - self.mean) / self.std)
        yt = torch.from_numpy(target)
        wt = torch.from_numpy(w) if w is not None else None

        net = self._init_net().train()
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(self.seed)
        n_batches = (len(target) + batch_size - 1) // batch_size
        bar = _progress(epochs * n_batches, "training", progress)
        self.history, step = [], 0
        try:
            for epoch in range(epochs):
                order = torch.randperm(len(target), generator=gen)
                for b in range(n_batches):
                    idx = order[b * batch_size : (b + 1) * batch_size]
                    xb, yb = xt[idx].to(self.device), yt[idx].to(self.device)
                    losses = F.cross_entropy(net(xb), yb, reduction="none")
                    if wt is not None:
                        wb = wt[idx].to(self.device)
                        loss = (losses * wb).sum() / wb.sum().clamp_min(1e-12)
                    else:
                        loss = losses.mean()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    step += 1
                    rec = {
                        "step": float(step),
                        "epoch": epoch + (b + 1) / n_batches,
                        "loss": float(loss.detach()),
                    }
                    self.history.append(rec)
                    if on_step is not None:
                        on_step(rec)
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        self._net = net.train(False)
        return self

    # -- prediction --------------------------------------------------------------------
    def predict_proba(self, images: Sequence[Any], *, batch_size: int = 256) -> np.ndarray:
        """One probability per label for each image (rows x labels)."""
        import torch

        if self._net is None or self.size is None:
            raise ValueError("this ImageClassifier is not trained: call fit first (or load one)")
        if not len(images):
            return np.zeros((0, len(self.labels)))
        x = (_pixels(list(images), self.size, self.channels) - self.mean) / self.std
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                xb = torch.from_numpy(x[i : i + batch_size]).to(self.device)
                out.append(torch.softmax(self._net(xb), dim=1).cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    def predict(self, images: Sequence[Any]) -> list[str]:
        """The most probable label of each image."""
        p = self.predict_proba(images)
        return [self.labels[i] for i in p.argmax(1)]

    def evaluate(self, images: Sequence[Any], y: Sequence[Any]) -> dict[str, Any]:
        """`classification_metrics` of this model's predictions on (images, y)."""
        return classification_metrics(y, self.predict(images) if len(images) else [], self.labels)

    # -- checkpoints -------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], card: str | None = None) -> Path:
        """Save the weights (``model.pt``) and settings (``config.json``), with `card` as
        README.md; `ImageClassifier.load` restores it."""
        import torch

        if self._net is None:
            raise ValueError("this ImageClassifier is not trained: nothing to save")
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        torch.save(self._net.state_dict(), p / "model.pt")
        cfg = {
            "labels": self.labels,
            "size": self.size,
            "grayscale": self.grayscale,
            "seed": self.seed,
            "mean": self.mean,
            "std": self.std,
        }
        (p / "config.json").write_text(json.dumps(cfg, indent=2))
        if card is not None:
            (p / "README.md").write_text(card)
        return p

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> ImageClassifier:
        """A classifier saved by `save`."""
        import torch

        p = Path(path)
        if not (p / "config.json").is_file() or not (p / "model.pt").is_file():
            raise ValueError(
                f"path={str(p)!r}: no config.json and model.pt (not an ImageClassifier checkpoint)"
            )
        cfg = json.loads((p / "config.json").read_text())
        clf = cls(
            cfg["labels"], size=cfg["size"], grayscale=cfg["grayscale"], seed=cfg["seed"], device=device
        )
        clf.mean, clf.std = float(cfg["mean"]), float(cfg["std"])
        net = clf._init_net()
        net.load_state_dict(torch.load(p / "model.pt", map_location=clf.device, weights_only=True))
        clf._net = net.train(False)
        return clf


# -- the report -----------------------------------------------------------------------------
class ImageFinetuneReport(FinetuneReport):
    """`FinetuneReport` for images: the same fields, tables and JSON; its text says images
    and its model card loads an `ImageClassifier`."""

    def summary(self) -> str:
        return super().summary().replace(" training texts, ", " training images, ", 1)

    def model_card(self) -> str:
        card = super().model_card()
        card = card.replace("# Text classifier fine-tuned", "# Image classifier trained", 1)
        card = card.replace("- training texts:", "- training images:", 1)
        head, sep, _ = card.partition("## Load")
        if not sep:
            return card
        return head + (
            "## Load\n\n```python\nfrom hitl_widgets.training import ImageClassifier\n"
            "model = ImageClassifier.load('<this folder>')\nmodel.predict(images)\n```\n"
        )


# -- fine-tuning -----------------------------------------------------------------------------
#: What `before=` takes: "start", a fitted ImageClassifier, a callable on images (labels or
#: probabilities back), predictions for the eval rows (a sequence, or a dict by item id).
Before = str | ImageClassifier | Callable[[list[Image.Image]], Any] | Mapping[Any, Any] | Sequence[Any] | None


def _image_split(
    obj: Any, where: str
) -> tuple[list[Any], list[str], list[float] | None, list[str] | None, list[str] | None]:
    """(images, label names, weights, ClassLabel names, item ids) of a Dataset or frame
    with columns ``image`` and ``label`` (``weight``, ``item_id`` optional)."""
    if obj is None:
        return [], [], None, None, None
    if isinstance(obj, pd.DataFrame):
        missing = [c for c in ("image", "label") if c not in obj.columns]
        if missing:
            raise ValueError(
                f"{where}: a frame to train on needs columns 'image' and 'label' "
                f"(missing {missing!r}; has {list(obj.columns)[:10]!r})"
            )
        w = obj["weight"].astype(float).tolist() if "weight" in obj.columns else None
        ids = obj["item_id"].astype(str).tolist() if "item_id" in obj.columns else None
        return obj["image"].tolist(), _label_names(obj["label"].tolist(), where), w, None, ids
    if hasattr(obj, "features") and hasattr(obj, "column_names"):
        missing = [c for c in ("image", "label") if c not in obj.column_names]
        if missing:
            raise ValueError(
                f"{where}: a dataset to train on needs columns 'image' and 'label' "
                f"(missing {missing!r}; has {list(obj.column_names)[:10]!r}); for a text "
                "dataset use finetune"
            )
        feat = obj.features.get("label")
        names = [str(canonical(n)) for n in (getattr(feat, "names", None) or [])] or None
        raw = obj["label"]
        labs = [names[int(v)] for v in raw] if names else _label_names(list(raw), where)
        w = list(map(float, obj["weight"])) if "weight" in obj.column_names else None
        ids = [str(v) for v in obj["item_id"]] if "item_id" in obj.column_names else None
        return list(obj["image"]), labs, w, names, ids
    raise ValueError(
        f"{where}: expected a datasets.Dataset / DatasetDict or a DataFrame, got {type(obj).__name__}"
    )


def _before_predictions(
    before: Before, start: ImageClassifier, images: list[Any], ids: list[str] | None
) -> tuple[list[Any], str]:
    """(the "before" model's label for each eval image, its name)."""
    if isinstance(before, str):
        if before != "start":
            raise ValueError(f"before={before!r}: use 'start', a model, a callable or predictions")
        start._net = start._init_net()
        return start.predict(images), "this network untrained (training's starting point)"
    if isinstance(before, ImageClassifier):
        return before.predict(images), "the given ImageClassifier"
    if callable(before):
        out = before([to_pil(v) for v in images])
        arr = np.asarray(out, dtype=object)
        if arr.ndim == 2 and arr.shape == (len(images), len(start.labels)):
            labs = [start.labels[i] for i in np.asarray(out, dtype=np.float64).argmax(1)]
        else:
            labs = list(out)
        if len(labs) != len(images):
            raise ValueError(
                f"before: the callable gave {len(labs)} predictions for {len(images)} eval images"
            )
        return labs, "the given model (callable)"
    if isinstance(before, Mapping):
        if ids is None:
            raise ValueError("before: predictions by item id need an 'item_id' column in the eval data")
        keyed = {str(k): v for k, v in before.items()}
        missing = [i for i in ids if i not in keyed]
        if missing:
            raise ValueError(f"before: no prediction for eval items {missing[:5]!r} ({len(missing)} in all)")
        return [keyed[i] for i in ids], "the model the review started from (its predictions)"
    if isinstance(before, (Sequence, np.ndarray, pd.Series)):
        labs = list(before)
        if len(labs) != len(images):
            raise ValueError(
                f"before: {len(labs)} predictions for {len(images)} eval images (one per eval row)"
            )
        return labs, "the model the review started from (its predictions)"
    raise ValueError(
        f"before: 'start', an ImageClassifier, a callable or predictions, got {type(before).__name__}"
    )


def finetune_images(
    data: Any,
    *,
    eval_data: Any = None,
    labels: Sequence[Any] | None = None,
    epochs: int = 15,
    batch_size: int = 64,
    lr: float = 2e-3,
    size: int | None = None,
    grayscale: bool | None = None,
    seed: int = 0,
    device: str | None = None,
    before: Before = "start",
    use_weights: bool = True,
    progress: bool = True,
    live: str | bool | None = "auto",
    every: int = 10,
    output_dir: str | os.PathLike[str] | bool | None = None,
    on_step: Callable[[dict[str, float]], None] | None = None,
    allow_missing_labels: bool = False,
) -> tuple[ImageClassifier, ImageFinetuneReport]:
    """Train an `ImageClassifier` on reviewed image labels; return ``(model, report)``.

    Parameters
    ----------
    data:
        `to_dataset(..., image=...)`'s DatasetDict (``train`` and ``eval``), or a training
        Dataset / DataFrame (columns ``image``: PIL images, paths, bytes or arrays;
        ``label``; optional ``weight``, ``item_id``) with `eval_data`.
    eval_data:
        Held-out human labels to evaluate on (default: ``data["eval"]``), e.g. a frame of
        test images that were never reviewed.
    labels:
        The label set (default: the ClassLabel names, else the labels seen). Every label
        needs a training example unless `allow_missing_labels` (a ValueError names them).
    epochs, batch_size, lr:
        Adam's settings (the defaults train sklearn's 8 x 8 digits in a few seconds).
    size, grayscale:
        The network's input: see `ImageClassifier` (default: from the training images).
    seed, device:
        The seed (initial weights, batch order); default device the GPU when there is one.
    before:
        What to compare against: the model the review started from, as its predictions
        for the eval rows (a list in eval order, or a dict ``{item_id: label}``), a
        callable taking a list of PIL images and giving labels (or one probability per
        label), a fitted `ImageClassifier`; ``"start"`` (this network untrained: about
        chance), or None (no "before").
    use_weights:
        Use the data's ``weight`` column in the loss when there is one.
    progress, live, every, on_step:
        A tqdm.auto progress bar; the live loss (`LiveLoss`: ``"auto"``, ``"plot"``,
        ``"print"``, None) every `every` steps; a callable on each step's record.
    output_dir:
        Where to save the checkpoint (`ImageClassifier.save`) with its model card and
        ``training_report.json``; default ``checkpoints/finetune-images-<UTC time>``;
        False: no checkpoint.
    """
    train, eval_data, data_report = _splits_of(data, eval_data)
    images, y, weights, names, _ = _image_split(train, "data (training labels)")
    e_images, e_y, _, e_names, e_ids = _image_split(eval_data, "eval_data (held-out labels)")
    if not images:
        raise ValueError("no training images: review some items first (the train split is empty)")
    if labels is None:
        labels = names or e_names or sorted(set(y) | set(e_y))
    clf = ImageClassifier(labels, size=size, grayscale=grayscale, seed=seed, device=device)
    fit_weights = weights if (use_weights and weights is not None) else None
    # label checks before any image is decoded or anything trained
    target = clf._targets(y)
    clf._targets(e_y)
    check_label_coverage(
        clf.labels,
        target,
        None if fit_weights is None else np.asarray(fit_weights, dtype=float),
        allow_missing_labels=allow_missing_labels,
    )
    pics = [to_pil(v) for v in images]
    clf._settle(pics)

    # -- before ------------------------------------------------------------------------
    before_metrics, before_name = None, "none"
    if e_images and before is not None:
        start = ImageClassifier(clf.labels, size=clf.size, grayscale=clf.grayscale, seed=seed, device=device)
        pred, before_name = _before_predictions(before, start, e_images, e_ids)
        before_metrics = classification_metrics(e_y, pred, clf.labels)

    # -- train -------------------------------------------------------------------------
    train_s = LiveLoss(live, every=every, title="training loss (image classifier)").run(
        lambda step: clf.fit(
            pics,
            y,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            sample_weight=fit_weights,
            progress=progress,
            on_step=step,
            allow_missing_labels=True,
        ),
        on_step,
    )
    after_metrics = clf.evaluate(e_images, e_y) if e_images else None

    report = ImageFinetuneReport(
        mode="cnn",
        mode_reason="a small CNN trained from scratch on the reviewed images",
        base_model=clf.describe(),
        device=str(clf.device),
        seed=seed,
        labels=clf.labels,
        n_train=len(images),
        n_eval=len(e_images),
        eval_is_random_sample=_eval_is_random_sample(eval_data, data_report),
        data={k: v for k, v in data_report.items() if k not in ("dropped_items", "held_out_ids")},
        before=before_metrics,
        after=after_metrics,
        before_name=before_name,
        train_seconds=train_s,
        settings={
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "size": clf.size,
            "grayscale": clf.grayscale,
            "weights": fit_weights is not None,
        },
        history=list(clf.history),
    )
    if output_dir is not False:
        _save(clf, report, output_dir)
    return clf, report


def _save(
    clf: ImageClassifier,
    report: ImageFinetuneReport,
    output_dir: str | os.PathLike[str] | Literal[True] | None,
) -> None:
    """The checkpoint, its model card and ``training_report.json`` in `output_dir` (None or
    True: ``checkpoints/finetune-images-<UTC time>``)."""
    if output_dir is None or output_dir is True:
        output_dir = Path("checkpoints") / f"finetune-images-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    path = Path(output_dir)
    report.checkpoint = str(path)
    clf.save(path, card=report.model_card())
    (path / "training_report.json").write_text(json.dumps(report.to_json(), indent=2, default=_json_default))
