"""Every notebook in notebooks/ runs top to bottom, offline, in a fresh kernel.

Each runs in a temporary folder (its stores are written there, not in the repo), with
an extra last cell asserting what the notebook is for. Notebooks that have a test file
of their own (tests/test_notebook_NN.py) are executed there instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# What each notebook must have achieved, checked in its own kernel after the last cell.
CHECKS = {
    "01_quickstart.ipynb": (
        "assert clf.mode_used in ('head', 'full')\n"
        "assert accuracy > 0.5, accuracy  # real predictions, better than chance (1/6)\n"
        "assert review.total == len(pool) and review.queue_length == len(pool)\n"
        "assert review.current is not None and review.current['model_label'] in CLAIM_TYPES\n"
        "review.accept(); review.correct('theft')\n"
        "d = review.decisions()\n"
        "assert list(d['status']) == ['accepted', 'corrected'], d\n"
        "assert hw.open_store('quickstart.db').events()['action'].tolist() == ['accept', 'correct']\n"
    ),
    "04_guideline_pilot.ipynb": (
        "for m in ('krippendorff_alpha', 'fleiss_kappa', 'percent_agreement'):\n"
        "    assert report.loc['v2', m] > report.loc['v1', m], report.T  # agreement rises on v2\n"
        "assert unclear in ('theft', 'auto') and confused_with in ('theft', 'auto'), per_label_v1\n"
        "assert list(hw.open_store(STORE).guidelines('pilot')['version']) == ['v1', 'v2']\n"
        "assert you.guideline_version == 'v1' and you_v2.guideline_version == 'v2'\n"
        "assert set(ratings(STORE, task='pilot')['annotator']) >= {'ana', 'ben', 'cy'}\n"
        "assert view.open_cell(unclear, confused_with) is None or len(view.review) > 0\n"
    ),
    "05_loop.ipynb": (
        "t = tracker.table()\n"
        "assert list(t['round']) == [1, 2, 3], t\n"
        "assert (t['labelled'].diff().dropna() > 0).all(), t  # every round adds human labels\n"
        "assert list(t['unbiased']) == [150, 200, 250], t  # the random sample, growing\n"
        "assert t['accuracy'].notna().all() and t['accuracy'].iloc[-1] > 0.7, t\n"
        "assert t['accuracy'].iloc[-1] >= t['accuracy'].iloc[0], t\n"
        "assert ((t['routed_share'] > 0) & (t['routed_share'] <= 1)).all(), t\n"
        "_ev = hw.open_store(STORE).events()\n"
        "_ev = _ev[_ev['task'].isin(['claims', 'claims-sample']) & (_ev['action'] != 'route')]\n"
        "import math\n"
        "_cum = _ev['duration_ms'].cumsum().to_numpy() / 1000  # the store's times, in commit order\n"
        "assert all(math.isclose(p, _cum[n - 1]) for p, n in zip(t['people_s'], t['labelled'])), t\n"
        "assert t['threshold'].notna().any(), t  # the guarantee certifies a threshold at some round\n"
        "assert set(t['mode']) <= {'head', 'full'}\n"
        "held = set(tracker.unbiased()['item_id'])\n"
        "assert not held & set(data['train']['item_id'])  # the random sample is never trained on\n"
        "assert held <= set(data['eval']['item_id']) | set(more['claim_id'])\n"
        "assert hw.TextClassifier.load(report.checkpoint).mode_used == model.mode_used\n"
        "assert (t['reviews_calibration_only'] == t['unbiased']).all(), t\n"
        "assert (t['reviews_total'] == t['reviews_training'] + t['reviews_calibration_only']).all(), t\n"
        "from hitl_widgets.routing import routed as _routed\n"
        "_r = _routed(STORE, 'claims-rp')\n"
        "assert len(_r) == len(fresh) and _r['review_probability'].between(0.25, 1).all(), _r\n"
        "assert int(routed_rp.review_mask.sum()) < last['reviews_total']  # fewer reviews\n"
        "assert share_rp > 0.5, share_rp  # and the guarantee still certifies most claims\n"
    ),
    "06_images.ipynb": (
        "assert len(checked) == len(eights) and pages == -(-len(eights) // 12)  # every 8, a page at a time\n"
        "wrong8 = {i for i in eights['id'] if person.truth[i] != '8'}\n"
        "assert wrong8 and flagged == wrong8, (flagged, wrong8)  # the grid flags exactly the wrong ones\n"
        "fixed = store.decisions('digits').set_index('item_id').loc[sorted(wrong8)]\n"
        "assert (fixed['status'] == 'corrected').all() and (fixed['human_label'] != '8').all(), fixed\n"
        "assert len(y2) == len(train) + len(said) and after >= before, (before, after)\n"
        "_n = len(said)  # every accepted or corrected digit of the task is a training row\n"
        "assert len(reviewed['train']) == _n and len(train_df) == len(train) + _n, reviewed.report\n"
        "_acc = report.table().loc['accuracy']\n"
        "assert _acc['after'] > _acc['before'] >= 0.9, report.table()  # the CNN beats the model it started from\n"
        "assert len(model_boxes) > len(person_boxes) > 10 and float(ap) < float(ap50) <= 1\n"
        "assert set(changes['change']) <= {'kept', 'moved', 'relabelled', 'moved+relabelled', 'deleted', 'added'}\n"
        "assert len(boxes) >= 3 and result.loc[0, 'parts_decided'] == result.loc[0, 'parts'] == len(boxes)\n"
        "_c = lambda bs: sorted((b['x1'], b['y1'], b['x2'], b['y2']) for b in bs)\n"
        "assert _c(person_boxes) == _c(reference), 'the merged boxes are the person\\'s'\n"
        "_d = hw.open_store(STORE).decisions('boxes')\n"
        "assert len(_d) == len(boxes) and (_d['status'] == 'edited').all(), _d\n"
        "assert all(len(x['boxes_before']) <= 10 for x in _d['data']), 'small tasks'\n"
        "assert len(coco['annotations']) == len(person_boxes)\n"
        "assert view.table.loc['coin', '(spurious)'] > 0 and view.selection.images == ['coins.png']\n"
        "assert len(view.review) == len(boxes) and view.review.config['task'] == 'boxes-recheck'  # the recheck\n"
    ),
    "07_audio.ipynb": (
        "import io as _io\n"
        "import json as _json\n"
        "\n"
        "import datasets as _datasets\n"
        "import jiwer as _jiwer\n"
        "\n"
        "_d = hw.open_store(STORE).decisions('audio')\n"
        "assert review.current is None and len(_d) == len(review_set) == 36, _d  # every clip decided\n"
        "assert sorted(_d['item_id']) == sorted(review_set.index), _d\n"
        "assert {p.rsplit('.', 1)[1] for p in review_set['path']} == {'wav', 'flac', 'ogg'}\n"
        "_t = review_set.loc[list(_d['item_id'])]\n"
        "assert list(_d['human_label']) == list(_t['label']), _d  # the person's labels are the truth\n"
        "_wrong = (_t['pred'] != _t['label']).to_numpy()\n"
        "assert 2 <= _wrong.sum() <= 12, _wrong.sum()  # the model makes real mistakes, and they are corrected\n"
        "assert list(_d['status']) == ['corrected' if w else 'accepted' for w in _wrong], _d\n"
        "assert _t.loc[_wrong, 'snr_db'].mean() < _t.loc[~_wrong, 'snr_db'].mean()  # in the noisy clips\n"
        "for _x, (_, _r) in zip(_d['data'], _t.iterrows(), strict=True):\n"
        "    assert [(g['start'], g['end'], g['label']) for g in _x['regions_after']] == [(_r['start'], _r['end'], _r['label'])]\n"
        "    assert [(g['start'], g['end'], g['label']) for g in _x['regions_before']] == [\n"
        "        (g['start'], g['end'], g['label']) for g in _r['events']\n"
        "    ]  # the model's regions kept as before\n"
        "    assert _x['transcript_after'] == _r['reference'] and _x['transcript_before'] == _r['caption'], _x\n"
        "    assert _x['plays'] >= 1 and _x['ended'] is True and _x['listened_ms'] == listened[_r.name], _x\n"
        "_refs = [x['transcript_after'] for x in _d['data']]\n"
        "_hyps = [x['transcript_before'] for x in _d['data']]\n"
        "assert overall.wer > 0.05 and round(overall.wer, 9) == round(_jiwer.wer(_refs, _hyps), 9), overall\n"
        "_j = _jiwer.process_words(_refs, _hyps)\n"
        "assert (overall.substitutions, overall.deletions, overall.insertions) == (_j.substitutions, _j.deletions, _j.insertions)\n"
        "assert len(wer) == 36 and all(round(r.wer, 9) == round(_jiwer.wer(r.reference, r.hypothesis), 9) for r in wer.itertuples())\n"
        "assert 0.5 < seg.agreement < 1 and round(seg.confusion.to_numpy().sum(), 6) == round(seg.frames * seg.frame, 6), seg\n"
        "assert int(confusion.to_numpy().sum()) == 36 and int(confusion.to_numpy().trace()) == 36 - _wrong.sum()\n"
        "assert len(ds) == 36 and isinstance(ds.features['audio'], _datasets.Audio), ds\n"
        "assert ds.features['label'].names == LABELS and sorted(ds['text']) == sorted(review_set['reference'])\n"
        "_a = ds.data.column('audio')[0].as_py()\n"
        "assert sf.info(_io.BytesIO(_a['bytes'])).samplerate == RATE\n"
        "_lines = Path('audio_review.jsonl').read_text().splitlines()\n"
        "assert len(_lines) == len(_d) and {_json.loads(x)['item_id'] for x in _lines} == set(_d['item_id'])\n"
        "# real speech: pocketsphinx and espeak-ng are installed with the test extras (scripts/install.sh test)\n"
        "assert have_speech, 'pocketsphinx or espeak-ng missing: the real-speech section was skipped'\n"
        "assert (speech['speaker'] == 'person (alsa-utils)').sum() == 8 and len(speech) == 20\n"
        "assert all(len(c) == len(a.split()) for c, a in zip(speech['word_confidence'], speech['asr'], strict=True))\n"
        "assert any(min(c) < 0.5 for c in speech['word_confidence'] if c)  # some words marked as unsure\n"
        "_s = hw.open_store(STORE).decisions('speech')\n"
        "_n_routed = int(speech['routed'].sum())\n"
        "assert sorted(_s['item_id']) == sorted(speech.index[speech['routed']]) and len(_s) == _n_routed, _s\n"
        "assert 2 * _n_routed > len(speech), _n_routed  # most recordings go to the person\n"
        "assert (_s['status'] == 'accepted').all() and _s['human_label'].isna().all()  # no clip labels\n"
        "for _x, _i in zip(_s['data'], _s['item_id'], strict=True):\n"
        "    assert _x['transcript_before'] == speech.loc[_i, 'asr'] and _x['transcript_after'] == speech.loc[_i, 'truth'], _x\n"
        "assert _jiwer.wer(list(speech['truth']), list(speech['asr'])) > 0.2  # the recogniser's real mistakes\n"
        "assert round(o.wer, 9) == round(_jiwer.wer([x['transcript_after'] for x in _s['data']], [x['transcript_before'] for x in _s['data']]), 9)  # jiwer's WER\n"
        "assert after < before and len(speech_ds) == len(_s) and sorted(speech_ds['text']) == sorted(speech.loc[speech['routed'], 'truth'])\n"
    ),
    "10_diversity.ipynb": (
        "assert set(groups['group']) == {'A', 'B'} and len(groups) == 48\n"
        "t = pilot_test.table\n"
        "assert pilot_test.p_value < 0.01 and t.loc['theft', 'p_adjusted'] < 0.05, t  # found\n"
        "assert t.loc['property', 'p_adjusted'] < 0.05, t\n"
        "assert (t.drop(['theft', 'property'])['p_adjusted'] > 0.05).all(), t  # and only there\n"
        "assert control_test.p_value > 0.05 and (control_test.table['p_adjusted'] > 0.05).all()\n"
        "assert only_b.share_differs > mixed.share_differs, (only_b, mixed)\n"
        "assert 'locale' in groups.columns and 'locale' not in store.decisions('pilot').columns\n"
    ),
    "08_agent.ipynb": (
        "assert list(table['calls']) == [200, 200], table\n"
        "assert table.loc[2, 'held_share'] < table.loc[1, 'held_share'], table  # the share falls\n"
        "assert table.loc[2, 'held_unsure'] < table.loc[1, 'held_unsure'], table\n"
        "assert table.loc[2, 'model_accuracy'] > table.loc[1, 'model_accuracy'], table\n"
        "assert table.loc[2, 'overrides'] < table.loc[1, 'overrides'], table\n"
        "assert paid_without_approval == [], paid_without_approval\n"
        "big = [c for c, d, a in ledger if d == 'pay' and a > 10000]\n"
        "assert big, 'the demo must exercise the large-payment policy'\n"
        "assert len(prefs) > 0 and set(prefs['source']) == {'tool_call'}\n"
        "assert not gate.pending()  # nothing left waiting\n"
        "assert len(gate.calls()) == 400\n"
    ),
    "09_monitor.ipynb": (
        "print('data source:', SOURCE)\n"
        "assert not table.loc[: SWITCH - 1, 'alarm'].any(), table  # no alarm before the switch\n"
        "assert table.loc[SWITCH:, 'alarm'].any() and table['alarm'].iloc[-1], table  # it fires after\n"
        "assert first_alarm >= SWITCH and 1 <= delay <= ROUNDS_AFTER, (first_alarm, delay)\n"
        "_pre = drift_table.index < SWITCH\n"
        "assert not drift_fires[_pre].any() and drift_fires[~_pre].all(), drift_table  # drift only after\n"
        "_start = t_switch.floor(f'{WINDOW_S}s')\n"
        "assert len(fired) and (fired['window_start'] >= _start).all(), fired  # alerts only after\n"
        "assert (paused_round.frame['route'] == 'review').all()  # paused: everything to people\n"
        "assert all(r[0].startswith('automation paused by ana') for r in paused_round.frame['reasons'])\n"
        "assert m.paused and m.paused.by == 'ana'\n"
        "_f = live.refresh_now()\n"
        "assert _f['paused']['paused'] and _f['running']['alarm'] and _f['alerts'], _f\n"
        "live.close()\n"
        "assert not live.running\n"
    ),
}


def _own_test(nb: Path) -> bool:
    return (ROOT / "tests" / f"test_notebook_{nb.name[:2]}.py").exists()


@pytest.mark.slow
@pytest.mark.parametrize("path", [nb for nb in NOTEBOOKS if not _own_test(nb)], ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    work = tmp_path / "nb"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns("*.db*", ".ipynb_checkpoints"))
    nb = nbformat.read(work / path.name, as_version=4)
    if path.name in CHECKS:
        nb.cells.append(nbformat.v4.new_code_cell(CHECKS[path.name]))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}
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
