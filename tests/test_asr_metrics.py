"""Speech metrics: word error rate against hand-worked cases and against jiwer, the
per-item table, time-weighted segment agreement on a hand-worked case, and the clip
label confusion from a review's decisions."""

from __future__ import annotations

import math
import random

import jiwer
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from hitl_widgets.metrics import (
    clip_label_confusion,
    segment_agreement,
    wer_table,
    word_error_rate,
)
from hitl_widgets.widgets import AudioReview


@pytest.mark.parametrize(
    ("ref", "hyp", "wer", "sdih"),
    [
        ("the cat sat", "the cat sat", 0.0, (0, 0, 0, 3)),
        ("the cat sat", "the bat sat", 1 / 3, (1, 0, 0, 2)),
        ("the cat sat on the mat", "the cat sat on mat", 1 / 6, (0, 1, 0, 5)),
        ("a b", "a x b y", 1.0, (0, 0, 2, 2)),
        ("one two three four", "", 1.0, (0, 4, 0, 0)),
        ("hello", "hello there my friend", 3.0, (0, 0, 3, 1)),
        # the minimum: 2 substitutions (not 1 deletion + 1 insertion + 1 substitution)
        ("a b c", "a x y", 2 / 3, (2, 0, 0, 1)),
        ("Hello, World", "hello world", 1.0, (2, 0, 0, 0)),  # no normalisation by default
    ],
)
def test_word_error_rate_on_hand_worked_cases(ref, hyp, wer, sdih):
    r = word_error_rate(ref, hyp)
    assert r.wer == pytest.approx(wer, abs=1e-12)
    assert (r.substitutions, r.deletions, r.insertions, r.hits) == sdih
    assert r.reference_words == len(ref.split()) and r.hypothesis_words == len(hyp.split())
    assert float(r) == r.wer and r.errors == sum(sdih[:3])


def test_normalisation_is_off_by_default_and_documented_options_turn_it_on():
    assert word_error_rate("Hello, World!", "hello world").wer == 1.0
    assert word_error_rate("Hello, World!", "hello world", lowercase=True).wer == 1.0
    assert word_error_rate("Hello, World!", "hello world", lowercase=True, strip_punctuation=True).wer == 0.0
    assert word_error_rate("don't stop", "dont stop", strip_punctuation=True).wer == 0.0


def test_an_empty_reference_has_no_rate():
    assert math.isnan(word_error_rate("", "something").wer)
    assert word_error_rate("", "a b").insertions == 2


def test_overall_is_total_edits_over_total_reference_words_not_the_mean():
    refs = ["a b c d", "x"]
    hyps = ["a b c d", "y"]
    r = word_error_rate(refs, hyps)
    assert r.wer == pytest.approx(1 / 5)  # the mean of the items would be 0.5
    assert r.substitutions == 1 and r.hits == 4 and r.reference_words == 5
    with pytest.raises(ValueError, match="one pair per item"):
        word_error_rate(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="both be strings"):
        word_error_rate("a", ["a"])


def _sentence(rng: random.Random, vocab: list[str], lo: int, hi: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi)))


def test_agrees_with_jiwer_on_random_sentences():
    rng = random.Random(13)
    refs, hyps = [], []
    for _ in range(400):
        vocab = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "it"][: rng.randint(2, 10)]
        ref = _sentence(rng, vocab, 1, 30)
        words = ref.split()
        # a hypothesis near the reference (as a model's would be): edits of every kind
        hyp = []
        for w in words:
            u = rng.random()
            if u < 0.1:
                continue
            hyp.append(rng.choice(vocab) if u < 0.25 else w)
            if rng.random() < 0.1:
                hyp.append(rng.choice(vocab))
        hyp_text = " ".join(hyp) if rng.random() > 0.3 else _sentence(rng, vocab, 0, 30)
        refs.append(ref)
        hyps.append(hyp_text)
        ours = word_error_rate(ref, hyp_text)
        theirs = jiwer.process_words(ref, hyp_text)
        assert round(ours.wer, 9) == round(theirs.wer, 9)
        assert (ours.substitutions, ours.deletions, ours.insertions, ours.hits) == (
            theirs.substitutions,
            theirs.deletions,
            theirs.insertions,
            theirs.hits,
        ), (ref, hyp_text)
    assert abs(word_error_rate(refs, hyps).wer - jiwer.wer(refs, hyps)) <= 1e-9


def test_wer_table_has_one_row_per_item_and_the_overall_rate():
    t = wer_table(["a b c", "d e"], ["a x c", "d e f"], ids=["u1", "u2"])
    assert list(t["item_id"]) == ["u1", "u2"]
    assert list(t["wer"]) == pytest.approx([1 / 3, 1 / 2])
    assert list(t["substitutions"]) == [1, 0] and list(t["insertions"]) == [0, 1]
    assert t.attrs["overall"].wer == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="hypothesis"):
        wer_table(["a"])


def test_segment_agreement_on_a_hand_worked_case():
    # 0-10 s. a: speech 0-4, music 6-10. b: speech 0-5, music 7-10.
    # agree: speech 0-4 (4 s), none 5-6 (1 s), music 7-10 (3 s) = 8 s of 10
    a = [{"start": 0, "end": 4, "label": "speech"}, {"start": 6, "end": 10, "label": "music"}]
    b = [{"start": 0, "end": 5, "label": "speech"}, {"start": 7, "end": 10, "label": "music"}]
    r = segment_agreement(a, b, 10.0)
    assert r.frames == 1000 and r.agreement == pytest.approx(0.8)
    # chance: a = speech .4, none .2, music .4; b = speech .5, none .2, music .3
    pe = 0.4 * 0.5 + 0.2 * 0.2 + 0.4 * 0.3
    assert r.kappa == pytest.approx((0.8 - pe) / (1 - pe))
    assert r.confusion.loc["speech", "speech"] == pytest.approx(4.0)
    assert r.confusion.loc["(none)", "speech"] == pytest.approx(1.0)
    assert r.confusion.loc["music", "(none)"] == pytest.approx(1.0)
    assert float(r.confusion.to_numpy().sum()) == pytest.approx(10.0)


def test_segment_agreement_pools_several_clips_and_checks_its_input():
    same = [{"start": 0, "end": 1, "label": "x"}]
    r = segment_agreement([same, []], [same, same], [1.0, 1.0])
    assert r.agreement == pytest.approx(0.5) and r.frames == 200
    assert math.isnan(segment_agreement([], [], 2.0).kappa)  # one label everywhere: kappa undefined
    with pytest.raises(ValueError, match="end"):
        segment_agreement([{"start": 2, "end": 1, "label": "x"}], [], 3.0)
    with pytest.raises(ValueError, match="frame"):
        segment_agreement([], [], 3.0, frame=0)


def test_clip_label_confusion_from_a_review(tmp_path):
    rate = 8000
    paths = []
    for i in range(4):
        p = tmp_path / f"c{i}.wav"
        sf.write(str(p), np.zeros(rate // 2, dtype=np.float32), rate)
        paths.append(str(p))
    df = pd.DataFrame(
        {"path": paths, "pred": ["speech", "speech", "music", "music"], "asr": ["a b", "c", "d", "e"]}
    )
    w = AudioReview(
        df,
        audio="path",
        labels=["speech", "music"],
        transcript="asr",
        store=str(tmp_path / "s.db"),
        annotator="ana",
    )
    w.accept()
    w.correct("music", transcript="c d")
    w.accept()
    w.skip()
    table = clip_label_confusion(w.decisions())
    assert table.loc["speech", "speech"] == 1 and table.loc["speech", "music"] == 1
    assert table.loc["music", "music"] == 1 and int(table.to_numpy().sum()) == 3
    t = wer_table(w.decisions())
    assert set(t["item_id"]) == {"0", "1", "2"}
    assert t.set_index("item_id").loc["1", "wer"] == pytest.approx(0.5)  # "c" against "c d"
