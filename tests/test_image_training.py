"""Image corrections as a training set (to_dataset(image=...)) and the small image classifier
(finetune_images): corrected labels win, changed images and leaks are dropped, the splits
follow the text rules, and training on sklearn's digits beats chance by far, reproducibly."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pandas as pd
import pytest
from PIL import Image

pytest.importorskip("torch")
datasets = pytest.importorskip("datasets")
sk_datasets = pytest.importorskip("sklearn.datasets")

from hitl_widgets.items.image import load_image  # noqa: E402
from hitl_widgets.items.image_review import content_hash  # noqa: E402
from hitl_widgets.store import Store  # noqa: E402
from hitl_widgets.training import (  # noqa: E402
    ImageClassifier,
    ImageFinetuneReport,
    finetune_images,
    to_dataset,
)

LABELS = [str(d) for d in range(10)]


@pytest.fixture(scope="module")
def digits() -> pd.DataFrame:
    """sklearn's 1,797 8 x 8 digits as uint8 grey images (0-255), ids d0, d1, ..."""
    d = sk_datasets.load_digits()
    images = [np.round(im * 255 / 16).astype(np.uint8) for im in d.images]
    return pd.DataFrame(
        {"id": [f"d{i}" for i in range(len(images))], "image": images, "gold": [str(v) for v in d.target]}
    )


def decision(item_id, image, action, label, model, task="image", data=None):
    """An ImageReview decision event on `image` (anything load_image reads)."""
    return {
        "event_id": uuid.uuid4().hex,
        "task": task,
        "kind": "image",
        "item_id": str(item_id),
        "content_hash": content_hash(load_image(image).sha256),
        "action": action,
        "label_after": label,
        "model_label": model,
        "model_confidence": 0.5,
        "annotator": "ann",
        "duration_ms": 3000.0,
        "data": data,
    }


def wrong(label: str) -> str:
    return str((int(label) + 1) % 10)


def png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def names_of(split) -> list[str]:
    return [split.features["label"].int2str(int(v)) for v in split["label"]]


def test_corrections_changed_images_leaks_and_sample(tmp_path, digits):
    df = digits.iloc[:30].reset_index(drop=True).copy()
    img, gold = dict(zip(df["id"], df["image"], strict=True)), dict(zip(df["id"], df["gold"], strict=True))
    ev = [decision(f"d{i}", img[f"d{i}"], "correct", gold[f"d{i}"], wrong(gold[f"d{i}"])) for i in range(6)]
    ev += [decision(f"d{i}", img[f"d{i}"], "accept", gold[f"d{i}"], gold[f"d{i}"]) for i in range(6, 12)]
    # d12 was decided on another image than df's now holds (the file changed since)
    ev.append(decision("d12", img["d13"], "correct", "7", gold["d12"]))
    ev.append(decision("d13", img["d13"], "flag", None, gold["d13"]))
    ev.append(decision("zz", img["d0"], "accept", "1", "1"))  # not in df
    # a random sample reviewed in a task of its own: held out, the eval split
    ev += [
        decision(f"d{i}", img[f"d{i}"], "accept", gold[f"d{i}"], gold[f"d{i}"], task="image-sample")
        for i in range(20, 25)
    ]
    # d14 is the picture of sample item d20, given as PNG bytes (same pixels, other type)
    df.at[14, "image"] = png(img["d20"])
    ev.append(decision("d14", df.at[14, "image"], "accept", gold["d20"], gold["d20"]))
    store = Store(tmp_path / "s.db")
    store.append(ev)

    # task=None: the store's one image-review task (the sample task apart)
    data = to_dataset(store, df, image="image", id="id", sample_task="image-sample", labels=LABELS)
    train, evl, rep = data["train"], data["eval"], data.report
    assert isinstance(train.features["image"], datasets.Image)
    assert train.features["label"].names == LABELS and rep["tasks"] == ["image"]
    by_id = dict(zip(train["item_id"], names_of(train), strict=True))
    src = dict(zip(train["item_id"], train["source"], strict=True))
    # a corrected item carries the person's label, never the model's
    for i in range(6):
        assert by_id[f"d{i}"] == gold[f"d{i}"] != wrong(gold[f"d{i}"])
        assert src[f"d{i}"] == "human-corrected"
    assert {src[f"d{i}"] for i in range(6, 12)} == {"human-accepted"}
    assert sorted(train["item_id"], key=lambda s: int(s[1:])) == [f"d{i}" for i in range(12)]
    # the changed image, the flag, the missing item and the leak are dropped, and said so
    assert rep["dropped"]["decided on other image than df's"] == 1
    assert rep["dropped"]["flagged by a person"] == 1
    assert rep["dropped"]["no image (not in df)"] == 1
    assert rep["dropped"]["same image as a held-out item (leakage)"] == 1
    # the random sample is the eval split, all of it, and never trains
    assert sorted(evl["item_id"]) == [f"d{i}" for i in range(20, 25)]
    assert all(evl["sample"]) and rep["eval_random_sample"] == 5 and rep["eval_split"] == 0
    # the image column gives back df's pixels
    row = train[0]
    assert np.array_equal(np.asarray(row["image"].convert("L")), img[row["item_id"]])


def test_stratified_split_default_and_seed(tmp_path, digits):
    df = digits.iloc[:60]
    store = Store(tmp_path / "s.db")
    store.append([decision(r.id, r.image, "accept", r.gold, r.gold, task="digits") for r in df.itertuples()])
    data = to_dataset(store, df, image="image", id="id", task="digits", labels=LABELS, seed=1)
    rep, evl = data.report, data["eval"]
    # no random sample: a stratified 20% of the human labels is held out, and said so
    assert rep["eval_random_sample"] == 0 and rep["eval_split"] == len(evl) > 0
    per_label = pd.Series(names_of(data["train"]) + names_of(evl)).value_counts()
    ev_label = pd.Series(names_of(evl)).value_counts()
    for lab, n in per_label.items():
        assert ev_label.get(lab, 0) == min(max(round(0.2 * n), 1 if n >= 3 else 0), n - 1)
    assert not set(evl["item_id"]) & set(data["train"]["item_id"])
    assert "not a random sample" in str(rep)
    again = to_dataset(store, df, image="image", id="id", task="digits", labels=LABELS, seed=1)
    assert list(again["eval"]["item_id"]) == list(evl["item_id"])
    # the text dataset of the same store is untouched by the image option (no text column)
    with pytest.raises(ValueError, match="text='text'"):
        to_dataset(store, df, id="id", task="digits")


def test_bad_image_input_is_named(tmp_path, digits):
    df = digits.iloc[:4].copy()
    store = Store(tmp_path / "s.db")
    store.append([decision(r.id, r.image, "accept", r.gold, r.gold) for r in df.itertuples()])
    with pytest.raises(ValueError, match="image='path': no such column"):
        to_dataset(store, df, image="path", id="id")
    df["image"] = df["image"].astype(object)
    df.at[df.index[2], "image"] = "no/such/file.png"
    with pytest.raises(ValueError, match=r"image='image'.*rows"):
        to_dataset(store, df, image="image", id="id")


def _split(digits: pd.DataFrame, n_train: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(0).permutation(len(digits))
    frame = digits.rename(columns={"gold": "label", "id": "item_id"})
    return frame.iloc[order[:n_train]], frame.iloc[order[1300:]]


def test_finetune_on_digits_beats_the_start_and_is_reproducible(digits):
    train, test = _split(digits, 500)
    # the model the review started from: its predictions by item id (here: right on 3 in 10)
    rng = np.random.default_rng(1)
    start_pred = {
        i: (g if rng.random() < 0.3 else wrong(g))
        for i, g in zip(test["item_id"], test["label"], strict=True)
    }
    kw = dict(eval_data=test, labels=LABELS, epochs=10, seed=0, progress=False, live=None, output_dir=False)
    model, rep = finetune_images(train, before=start_pred, **kw)
    assert isinstance(rep, ImageFinetuneReport) and rep.n_train == 500 and rep.n_eval == len(test) == 497
    want = np.mean([start_pred[i] == g for i, g in zip(test["item_id"], test["label"], strict=True)])
    assert rep.before["accuracy"] == pytest.approx(want)
    # measured 0.974 on 2 CPU cores (10 epochs, 500 digits, under a second): chance is 0.1
    assert rep.after["accuracy"] >= 0.93 and rep.after["macro_f1"] >= 0.92
    assert rep.table().loc["accuracy", "change"] > 0.5
    assert "500 training images" in rep.summary() and model.size == 8 and model.grayscale
    # the same seed, the same model; another seed, another one
    kw.update(epochs=2, before=None)
    small, _ = _split(digits, 200)
    a, rep_a = finetune_images(small, **kw)
    b, rep_b = finetune_images(small, **kw)
    assert [h["loss"] for h in rep_a.history] == [h["loss"] for h in rep_b.history]
    some = list(test["image"][:50])
    np.testing.assert_array_equal(a.predict_proba(some), b.predict_proba(some))
    c, _ = finetune_images(small, **{**kw, "seed": 1})
    assert not np.array_equal(c.predict_proba(some), a.predict_proba(some))


def test_finetune_from_the_store_with_a_callable_before_and_a_checkpoint(tmp_path, digits):
    train, test = _split(digits, 300)
    sample = test.iloc[:100]
    store = Store(tmp_path / "s.db")
    # the model was wrong on every third training digit: a person corrected it
    ev = [
        decision(r.item_id, r.image, "correct", r.label, wrong(r.label))
        if k % 3 == 0
        else decision(r.item_id, r.image, "accept", r.label, r.label)
        for k, r in enumerate(train.itertuples())
    ]
    ev += [
        decision(r.item_id, r.image, "accept", r.label, r.label, task="image-sample")
        for r in sample.itertuples()
    ]
    store.append(ev)
    frame = pd.concat([train, sample])
    data = to_dataset(store, frame, image="image", id="item_id", sample_task="image-sample", labels=LABELS)
    assert data.report["train"] == 300 and data.report["eval"] == 100

    seen: list[int] = []

    def says_zero(images: list[Image.Image]) -> np.ndarray:  # probabilities: always "0"
        seen.append(len(images))
        p = np.zeros((len(images), 10))
        p[:, 0] = 1.0
        return p

    model, rep = finetune_images(
        data, epochs=12, seed=0, before=says_zero, progress=False, live=None, output_dir=tmp_path / "ckpt"
    )
    assert seen == [100] and rep.eval_is_random_sample
    assert rep.before["accuracy"] == pytest.approx(np.mean(sample["label"] == "0"))
    assert rep.after["accuracy"] >= 0.85  # measured 0.95 (300 digits, 12 epochs)
    assert rep.data["train_by_source"]["human-corrected"] == 100
    # the checkpoint reloads to the same predictions, with a model card saying what it is
    back = ImageClassifier.load(tmp_path / "ckpt")
    imgs = list(sample["image"][:20])
    np.testing.assert_allclose(back.predict_proba(imgs), model.predict_proba(imgs), rtol=1e-6)
    card = (tmp_path / "ckpt" / "README.md").read_text()
    assert "ImageClassifier.load" in card and "training images: 300" in card


def test_bad_training_input_is_named(digits):
    train, test = _split(digits, 40)
    kw = dict(eval_data=test, labels=LABELS, epochs=1, progress=False, live=None, output_dir=False)
    with pytest.raises(ValueError, match="before: 3 predictions for 497 eval images"):
        finetune_images(train, before=["1", "2", "3"], **kw)
    with pytest.raises(ValueError, match=r"columns 'image' and 'label' \(missing \['image'\]"):
        finetune_images(train.drop(columns="image"), **kw)
    with pytest.raises(ValueError, match=r"labels \['x'\] are not in the label set"):
        finetune_images(train.assign(label="x"), **kw)
    with pytest.raises(ValueError, match="size must be an int of at least 8"):
        ImageClassifier(LABELS, size=4)
