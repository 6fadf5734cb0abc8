"""Agreement / consensus metrics benchmark: speed and agreement with the reference packages.

    python benchmarks/bench_metrics.py            # full sizes, writes the README section
    python benchmarks/bench_metrics.py --quick    # small sizes, README untouched unless --write-readme

Figures:
1. Krippendorff's alpha (all four levels) on 100,000 items x 5 annotators, 20% missing:
   ours vs the ``krippendorff`` package, best of 3, and the absolute difference.
2. Dawid-Skene on simulated 100,000 items x 5 annotators, 5 classes, annotators of
   accuracy 0.9 .. 0.5: time and accuracy vs crowd-kit's ``DawidSkene`` (and majority vote).
3. CIFAR-10H (``../shared/data/cifar10h`` from the repository root, 10,000 images x 10
   classes of human label counts): Fleiss' kappa, Krippendorff's alpha and per-class
   agreement, each with its time.

The printed figures also go between ``<!-- metrics:start -->`` and ``<!-- metrics:end -->``
in ``benchmarks/README.md`` (nothing else in that file is touched).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hitl_widgets.metrics import (  # noqa: E402
    dawid_skene,
    fleiss_kappa,
    krippendorff_alpha,
    majority_vote,
    per_label_agreement,
    percent_agreement,
    ratings_from_counts,
)

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- metrics:start -->", "<!-- metrics:end -->"
CIFAR = ROOT.parent / "shared" / "data" / "cifar10h" / "cifar10h-counts.npy"
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

LINES: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    LINES.append(text)


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time (seconds) over ``repeat`` runs, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def simulate_crowd(n: int, n_annotators: int, n_classes: int, seed: int, missing: float = 0.0):
    """Items x annotators labels from known confusion matrices (accuracy 0.9 .. 0.5)."""
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.full(n_classes, 5.0))
    truth = rng.choice(n_classes, size=n, p=prior)
    accs = np.linspace(0.9, 0.5, n_annotators)
    conf = np.empty((n_annotators, n_classes, n_classes))
    for a in range(n_annotators):
        for k in range(n_classes):
            conf[a, k] = np.insert(rng.dirichlet(np.ones(n_classes - 1)) * (1 - accs[a]), k, accs[a])
    cum = conf.cumsum(2)
    u = rng.random((n, n_annotators))
    x = np.empty((n, n_annotators))
    for a in range(n_annotators):
        x[:, a] = (u[:, a : a + 1] > cum[a, truth]).sum(1)
    x[rng.random(x.shape) < missing] = np.nan
    return x, truth, conf


# ---------------------------------------------------------------------------
def bench_alpha(n: int) -> None:
    say(f"### 1. Krippendorff's alpha: {n:,} items x 5 annotators, 20% missing, 5 values (best of 3)")
    rng = np.random.default_rng(0)
    truth = rng.integers(1, 6, size=(n, 1))
    x = np.where(rng.random((n, 5)) < 0.6, truth, rng.integers(1, 6, size=(n, 5))).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    try:
        import krippendorff
    except ImportError:
        krippendorff = None
        say("krippendorff package not installed (pip install krippendorff): reporting ours only")
    krippendorff_alpha(x[:1000], "nominal")  # warm-up (imports, first-call overheads)
    say("")
    say("| level | ours (ms) | krippendorff pkg (ms) | speed-up | alpha (ours) | abs difference |")
    say("|---|---:|---:|---:|---:|---:|")
    for level in ("nominal", "interval", "ordinal", "ratio"):
        t_ours, ours = best_of(lambda level=level: krippendorff_alpha(x, level))
        if krippendorff is not None:
            t_ref, ref = best_of(
                lambda level=level: krippendorff.alpha(reliability_data=x.T, level_of_measurement=level)
            )
            say(
                f"| {level} | {t_ours * 1e3:.1f} | {t_ref * 1e3:.1f} | {t_ref / t_ours:.1f}x | {ours:.6f} | "
                f"{abs(ours - ref):.1e} |"
            )
        else:
            say(f"| {level} | {t_ours * 1e3:.1f} | - | - | {ours:.6f} | - |")
    say("")


def bench_dawid_skene(n: int) -> None:
    say(f"### 2. Dawid-Skene: simulated {n:,} items x 5 annotators, 5 classes, accuracies 0.9..0.5")
    x, truth, conf = simulate_crowd(n, 5, 5, seed=0)
    t_ours, res = best_of(lambda: dawid_skene(x))
    acc = float(np.mean(res.labels.to_numpy() == truth))
    err = max(np.abs(res.confusion[a].to_numpy() - conf[a]).max() for a in range(5))
    t_mv, mv = best_of(lambda: majority_vote(x))
    acc_mv = float(np.mean(mv["label"].to_numpy().astype(float) == truth))
    say("")
    say("| method | time (s) | accuracy | note |")
    say("|---|---:|---:|---|")
    say(
        f"| ours `dawid_skene` (best of 3) | {t_ours:.3f} | {acc:.4f} | {res.n_iter} EM iterations, "
        f"max confusion-matrix error {err:.3f} |"
    )
    say(f"| ours `majority_vote` (best of 3) | {t_mv:.3f} | {acc_mv:.4f} | ties -> first label |")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from crowdkit.aggregation import DawidSkene
    except Exception as exc:
        say(
            f"| crowd-kit `DawidSkene` | - | - | NOT RUN: crowd-kit failed to import ({type(exc).__name__}: "
            f"{exc}); pip install crowd-kit |"
        )
    else:
        i, a = np.nonzero(~np.isnan(x))
        df = pd.DataFrame({"task": i, "worker": a, "label": x[i, a].astype(int)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            ck = DawidSkene(n_iter=100).fit_predict(df)
            t_ck = time.perf_counter() - t
        ck = ck.sort_index()
        acc_ck = float(np.mean(ck.to_numpy() == truth[ck.index.to_numpy()]))
        say(
            f"| crowd-kit `DawidSkene(n_iter=100)` (1 run) | {t_ck:.3f} | {acc_ck:.4f} | "
            f"ours is {t_ck / t_ours:.0f}x faster |"
        )
    say("")


def bench_dawid_skene_pool(n: int) -> None:
    """Crowd-style data: each item rated by 5 of 200 annotators (no pattern compression possible)."""
    rng = np.random.default_rng(1)
    pool, per, k = 200, 5, 5
    truth = rng.integers(0, k, n)
    acc = rng.uniform(0.5, 0.9, pool)
    ann = np.stack([rng.choice(pool, per, replace=False) for _ in range(n)])
    correct = rng.random((n, per)) < acc[ann]
    lab = np.where(correct, truth[:, None], (truth[:, None] + rng.integers(1, k, (n, per))) % k)
    df = pd.DataFrame({"item": np.repeat(np.arange(n), per), "annotator": ann.ravel(), "label": lab.ravel()})
    t_ds, res = best_of(lambda: dawid_skene(df))
    acc_ds = float(np.mean(res.labels.sort_index().to_numpy() == truth))
    mv = majority_vote(df).set_index("item").sort_index()
    acc_mv = float(np.mean(mv["label"].to_numpy().astype(int) == truth))
    say(
        f"Crowd pool variant: {n:,} items, each rated by 5 of 200 annotators (long DataFrame input, "
        f"parsing included): ours `dawid_skene` {t_ds:.3f} s (best of 3, {res.n_iter} iterations), "
        f"accuracy {acc_ds:.4f} vs majority vote {acc_mv:.4f}."
    )
    say("")


def bench_cifar(limit: int | None) -> None:
    say("### 3. CIFAR-10H (human label counts, 10 classes)")
    if not CIFAR.exists():
        say("")
        say(f"SKIPPED: {CIFAR} not found (the shared data folder is absent on this machine).")
        say("")
        return
    counts = np.load(CIFAR)
    if limit:
        counts = counts[:limit]
    per_item = counts.sum(1)
    t_build, _ = best_of(lambda: ratings_from_counts(counts, labels=CIFAR_CLASSES))
    say("")
    say(
        f"{counts.shape[0]:,} images, {int(counts.sum()):,} human labels, {per_item.min()}-{per_item.max()} "
        f"labels per image (so Fleiss' kappa uses the varying-raters generalisation). "
        f"Counts -> ratings conversion: {t_build * 1e3:.1f} ms (best of 3)."
    )
    say("")

    # every timing below starts from the raw counts table (conversion included, nothing cached)
    def fresh():
        return ratings_from_counts(counts, labels=CIFAR_CLASSES)

    t_fk, fk = best_of(lambda: fleiss_kappa(fresh()))
    t_ka, ka = best_of(lambda: krippendorff_alpha(fresh(), "nominal"))
    t_pa, pa = best_of(lambda: percent_agreement(fresh()))
    say("| metric | value | time from the counts table (ms, best of 3) |")
    say("|---|---:|---:|")
    say(f"| Fleiss' kappa | {float(fk):.4f} | {t_fk * 1e3:.1f} |")
    say(f"| Krippendorff's alpha (nominal) | {ka:.4f} | {t_ka * 1e3:.1f} |")
    say(f"| percent agreement | {float(pa):.4f} | {t_pa * 1e3:.1f} |")
    try:
        import krippendorff

        t_ref, ref = best_of(lambda: krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))
        say(f"| krippendorff pkg alpha from the same counts | {ref:.4f} | {t_ref * 1e3:.1f} |")
    except ImportError:
        pass
    say("")
    t_pl, table = best_of(lambda: per_label_agreement(fresh()))
    say(f"Per-class agreement ({t_pl * 1e3:.1f} ms, best of 3), least agreed-upon first:")
    say("")
    say("| class | ratings | specific agreement | kappa | most confused with | flagged |")
    say("|---|---:|---:|---:|---|---|")
    for row in table.itertuples(index=False):
        say(
            f"| {row.label} | {row.n_ratings:,} | {row.specific_agreement:.4f} | {row.kappa:.4f} | "
            f"{row.most_confused_with} ({row.confusion_share:.0%}) | {'yes' if row.flagged else 'no'} |"
        )
    say("")


# ---------------------------------------------------------------------------
def write_readme(text: str) -> None:
    """Replace only the text between the metrics markers (create / append the section if needed)."""
    block = f"{START}\n{text.rstrip()}\n{END}"
    if not README.exists():
        README.write_text(block + "\n")
        return
    body = README.read_text()
    if START in body and END in body and body.index(START) < body.index(END):
        a, b = body.index(START), body.index(END) + len(END)
        body = body[:a] + block + body[b:]
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    README.write_text(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--write-readme", action="store_true", help="write the README section even with --quick")
    ap.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    args = ap.parse_args()
    n = 20_000 if args.quick else 100_000
    cmd = "python benchmarks/bench_metrics.py" + (" --quick" if args.quick else "")
    say("## Agreement and consensus metrics (`hitl_widgets.metrics`)")
    say("")
    say(
        f"Reproduce: `{cmd}` (from the repository root). Machine: {os.cpu_count()} CPU cores, "
        f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}. Times are wall-clock on a machine shared with other jobs "
        f"(1-minute load average at start: {os.getloadavg()[0]:.1f}), so they are upper bounds."
    )
    say("")
    bench_alpha(n)
    bench_dawid_skene(n)
    bench_dawid_skene_pool(n)
    bench_cifar(2_000 if args.quick else None)
    write = (not args.quick or args.write_readme) and not args.no_readme
    if write:
        write_readme("\n".join(LINES))
        print(f"(figures written to {README.relative_to(ROOT)} between the metrics markers)")


if __name__ == "__main__":
    main()
