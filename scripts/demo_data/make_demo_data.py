"""Generate the demo data sets shipped with ``hitl_widgets``.

Writes, into ``hitl_widgets/data/`` of this checkout (or ``--out DIR``):

* ``claims.csv``        - 600 synthetic insurance-claim descriptions (6 classes)
* ``generations.jsonl`` - 120 synthetic LLM prompt/response records for review

Everything is written from hand-made templates in ``_generator/`` next to this
script (no external data sets) and is fully deterministic (fixed seeds, Python's
``random`` only), so re-running the script reproduces the committed files byte for
byte. This script and its templates live outside the package: only the two data
files and their loaders (``hitl_widgets/data/__init__.py``) are in the wheel.

Usage (from the repository root)::

    python scripts/demo_data/make_demo_data.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import random
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the templates (``_generator/``) sit next to this script
    sys.path.insert(0, str(HERE))

from _generator import claims_templates as ct  # noqa: E402  (after the sys.path line)
from _generator import items_code, items_param, items_text  # noqa: E402

SEED = 20250611
DATA_DIR = HERE.parents[1] / "hitl_widgets" / "data"  # where the shipped files live

# ===================================================================================== claims
LABEL_COUNTS = {
    "auto": 118,
    "property": 102,
    "theft": 92,
    "water_damage": 104,
    "medical": 84,
    "liability": 100,
}
P_AMBIGUOUS = 0.19
AMOUNT_SCALE = 0.85  # global calibration: ~12% of claims above $10k
DATE_START = dt.date(2025, 1, 2)
DATE_END = dt.date(2026, 9, 30)

# month restrictions so that frozen pipes happen in winter, hail in spring/summer, ...
SEASONS = {
    "frozen_pipe": {12, 1, 2, 3},
    "ice_slide": {12, 1, 2, 3},
    "snow_collapse": {12, 1, 2, 3},
    "ice_dam": {12, 1, 2, 3},
    "back_injury": {11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
    "hail_car": {4, 5, 6, 7, 8},
    "hail_house": {4, 5, 6, 7, 8},
    "hail_skylight": {4, 5, 6, 7, 8},
    "ac_condensate": {5, 6, 7, 8, 9},
    "deer": {9, 10, 11, 12, 1, 3, 4, 5, 6},
}
STICKY = {"nbr", "kid", "pet", "business", "city", "guest", "tree", "car_model"}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

COMMON_TYPOS = {
    "received": "recieved",
    "ceiling": "cieling",
    "basement": "basment",
    "accident": "accidnet",
    "definitely": "definately",
    "separate": "seperate",
    "their": "there",
    "until": "untill",
    "neighbor": "nieghbor",
    "window": "windw",
    "estimate": "estimte",
    "garage": "garge",
    "which": "wich",
    "receipts": "reciepts",
    "bathroom": "bathrom",
    "hospital": "hosptial",
    "through": "thru",
    "stolen": "stollen",
    "happened": "happend",
    "because": "becuase",
}
ADJ_PREFIX = [
    "Insd reports",
    "PH states",
    "Claimant advises",
    "Per PH,",
    "Caller reports",
    "Insd states",
    "Per insd,",
]
ADJ_NOUN_STARTS = {
    "A",
    "Someone",
    "Somebody",
    "The",
    "Hail",
    "Lightning",
    "Vandals",
    "Kids",
    "Thieves",
    "Burglars",
    "Police",
    "Water",
    "Pipes",
    "Half",
    "High",
    "Power",
    "Heavy",
    "Ice",
    "Toilet",
    "Sewer",
    "Meltwater",
    "Old",
    "Slow",
    "Fire",
    "Wind",
    "Brush",
    "Big",
    "Small",
    "Break-in",
    "Hailstorm",
    "Golf-ball",
    "Roads",
}
ADJ_ABBREV = [
    (r"\bvehicle\b", "veh"),
    (r"\bdamage\b", "dmg"),
    (r"\bestimate\b", "est"),
    (r"\binsurance\b", "ins"),
    (r"\bwith\b", "w/"),
    (r"\bapproximately\b", "approx"),
    (r"\bpolice report\b", "PR"),
    (r"\bappointment\b", "appt"),
]


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class ClaimWriter:
    """Fills templates for one claim (one voice, one date, one amount)."""

    _SLOT = re.compile(r"\{([^{}]*)\}")

    def __init__(self, rng: random.Random, voice: str, date: dt.date, amount: float):
        self.rng = rng
        self.voice = voice  # "i", "we" or "adj"
        self.date = date
        self.amount = amount
        self.sticky: dict[str, str] = {}
        self.used: set[str] = set()
        self.subject_said = False
        self.gender = rng.choice(["f", "m"])
        self.adj_subject = rng.choice(
            ["the insured", "insd", "PH", "the claimant", "the caller", "the insured"]
        )
        self.car_full = None
        self.car_short = None

    # -- voice-dependent tokens ----------------------------------------------------------
    def pron(self, key: str) -> str | None:
        v = self.voice
        he = self.gender == "m"
        table = {
            "I": {"i": "I", "we": "we"},
            "my": {"i": "my", "we": "our", "adj": "his" if he else "her"},
            "me": {"i": "me", "we": "us", "adj": "him" if he else "her"},
            "mine": {"i": "mine", "we": "ours", "adj": "his" if he else "hers"},
            "myself": {"i": "myself", "we": "ourselves", "adj": "himself" if he else "herself"},
            "was": {"i": "was", "we": "were", "adj": "was"},
            "have": {"i": "have", "we": "have", "adj": "has"},
            "am": {"i": "am", "we": "are", "adj": "is"},
            "need": {"i": "need", "we": "need", "adj": "needs"},
            "want": {"i": "want", "we": "want", "adj": "wants"},
            "dont": {"i": "don't", "we": "don't", "adj": "doesn't"},
            "Im": {"i": "I'm", "we": "we're", "adj": "he's" if he else "she's"},
            "Id": {"i": "I'd", "we": "We'd", "adj": "Insd would"},
            "we": {"i": "we", "we": "we", "adj": "they"},
            "our": {"i": "our", "we": "our", "adj": "their"},
        }
        if key not in table:
            return None
        if key == "I" and v == "adj":
            if not self.subject_said:
                self.subject_said = True
                return self.adj_subject
            return "he" if he else "she"
        return table[key][v]

    def when(self) -> str:
        d, r = self.date, self.rng
        if self.voice == "adj":
            return r.choice(
                [f"on {d.month}/{d.day}", f"on {d.month}/{d.day}/{d.year % 100}", f"on {d.month}/{d.day}", ""]
            )
        opts = [
            f"on {MONTHS[d.month - 1]} {d.day}",
            f"on {MONTHS[d.month - 1][:3]} {d.day}",
            f"on {d.month}/{d.day}",
            f"last {WEEKDAYS[d.weekday()]}",
            f"on {WEEKDAYS[d.weekday()]} {r.choice(['night', 'morning', 'afternoon', 'evening'])}",
            f"on the {_ordinal(d.day)}",
            "",
        ]
        if d.weekday() >= 5:
            opts.append("over the weekend")
        return r.choice(opts)

    def amt(self) -> str:
        a = self.amount
        if a >= 1000 and self.rng.random() < 0.5:
            return f"${a:,.0f}"
        if self.rng.random() < 0.3:
            return f"${a:,.2f}"
        return f"${a:,.0f}"

    def car(self) -> str:
        if self.car_full is None:
            model = self.vocab("car_model")
            self.car_full = model
            self.car_short = (
                model.split(" ", 2)[-1] if self.rng.random() < 0.5 else self.rng.choice(["car", "vehicle"])
            )
            if self.rng.random() < 0.25:
                generic = self.rng.choice(["car", "SUV", "truck", "minivan", "sedan"])
                self.car_full, self.car_short = generic, generic
            return self.car_full
        return self.car_short

    def vocab(self, key: str) -> str:
        if key in STICKY and key in self.sticky:
            return self.sticky[key]
        choices = ct.VOCAB[key]
        val = self.rng.choice(choices)
        for _ in range(4):  # avoid repeating e.g. the same street twice in one claim
            if val not in self.used:
                break
            val = self.rng.choice(choices)
        self.used.add(val)
        if key in STICKY:
            self.sticky[key] = val
        return val

    def token(self, key: str) -> str:
        if "|" in key:
            return self.rng.choice(key.split("|"))
        p = self.pron(key)
        if p is not None:
            return p
        d = self.date
        special = {
            "when": self.when,
            "amt": self.amt,
            "car": self.car,
            "callday": lambda: self.rng.choice(
                [f"{(d + dt.timedelta(days=k)).month}/{(d + dt.timedelta(days=k)).day}" for k in (0, 1, 1, 2)]
            ),
            "mdy": lambda: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
        }
        if key in special:
            return special[key]()
        if key in ct.VOCAB:
            return self.vocab(key)
        raise KeyError(f"unknown template slot {{{key}}}")

    def fill(self, template: str) -> str:
        prev = None
        while prev != template:
            prev = template
            template = self._SLOT.sub(lambda m: self.token(m.group(1)), template)
        return template


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    # capitalise sentence starts
    text = re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text


def _n_sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z#$0-9])", text) if s.strip()])


def _typo(text: str, rng: random.Random) -> str:
    words = list(COMMON_TYPOS)
    rng.shuffle(words)
    for w in words:
        if re.search(rf"\b{w}\b", text):
            return re.sub(rf"\b{w}\b", COMMON_TYPOS[w], text, count=1)
    # otherwise swap two adjacent letters in a longer word
    cands = [m for m in re.finditer(r"\b[a-z]{6,}\b", text)]
    if not cands:
        return text
    m = rng.choice(cands)
    w = m.group(0)
    i = rng.randrange(1, len(w) - 2)
    w2 = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    return text[: m.start()] + w2 + text[m.end() :]


def _amount(rng: random.Random, sc: ct.Scenario) -> float:
    a = AMOUNT_SCALE * math.exp(rng.gauss(math.log(sc.median), sc.sigma))
    if sc.median >= 6000 and rng.random() < 0.04:
        a *= rng.uniform(3.0, 8.0)  # the occasional severe loss / lawsuit: long tail
    a = min(max(a, 60.0), 250_000.0)
    r = rng.random()
    if a > 500 and r < 0.35:
        a = round(a / 50) * 50  # contractor-style round estimate
    elif r < 0.5:
        a = round(a)
    return round(a, 2)


def _pick_date(rng: random.Random, key: str) -> dt.date:
    span = (DATE_END - DATE_START).days
    for _ in range(200):
        d = DATE_START + dt.timedelta(days=rng.randrange(span + 1))
        if key not in SEASONS or d.month in SEASONS[key]:
            return d
    return d


def _voice(rng: random.Random, label: str) -> str:
    r = rng.random()
    if label in ("property", "water_damage", "theft") and r < 0.15:
        return "we"
    if r < 0.68:
        return "i"
    return "adj"


def make_claim(rng: random.Random, label: str, sc: ct.Scenario) -> dict:
    date = _pick_date(rng, sc.key)
    amount = _amount(rng, sc)
    voice = _voice(rng, label)
    w = ClaimWriter(rng, voice, date, amount)

    core_t = rng.choice(sc.core)
    prefix = None
    first = core_t.split()[0]
    if voice == "adj" and rng.random() < 0.5 and (first.startswith("{") or first in ADJ_NOUN_STARTS):
        prefix = rng.choice(ADJ_PREFIX)
        if first in ("{I}", "{my}"):
            w.subject_said = True  # "PH states her car ..." rather than "PH states PH ..."
    core = w.fill(core_t)
    if prefix:
        if not core_t.startswith(("{nbr}", "{I}")):
            core = core[0].lower() + core[1:]
        core = f"{prefix} {core}"
    k = rng.choices([0, 1, 2], weights=[0.25, 0.45, 0.30])[0]
    details = [w.fill(t) for t in rng.sample(sc.details, min(k, len(sc.details)))]
    opener = closer = None
    if voice == "adj":
        if rng.random() < 0.45:
            opener = w.fill(rng.choice(ct.OPENERS_ADJ))
        if rng.random() < 0.40:
            closer = w.fill(rng.choice(ct.CLOSERS_ADJ + sc.closers))
    else:
        if rng.random() < 0.25:
            opener = w.fill(rng.choice(ct.OPENERS_FIRST))
        if rng.random() < 0.25:
            closer = w.fill(rng.choice(ct.CLOSERS_FIRST + sc.closers))

    def assemble() -> str:
        parts = ([opener] if opener else []) + [core] + details + ([closer] if closer else [])
        return _tidy(" ".join(parts))

    text = assemble()
    while _n_sentences(text) > 4:
        if details:
            details.pop()
        elif opener:
            opener = None
        elif closer:
            closer = None
        else:
            break
        text = assemble()

    if voice == "adj" and rng.random() < 0.5:
        for pat, rep in ADJ_ABBREV:
            if rng.random() < 0.6:
                text = re.sub(pat, rep, text)
    if rng.random() < 0.05:
        text = _typo(text, rng)
    if voice == "i" and rng.random() < 0.02:
        text = text.lower()  # the occasional all-lowercase message

    since = max(1985, date.year - min(int(rng.expovariate(1 / 6.0)), 40))
    return {
        "text": text,
        "claim_type": label,
        "amount": amount,
        "date": date.isoformat(),
        "policy_holder_since": since,
        "_scenario": sc.key,
    }


def make_claims(seed: int = SEED) -> list[dict]:
    """Build the claims table.

    About ``P_AMBIGUOUS`` of the rows come from two-label scenarios; those are
    spread evenly over the ambiguous scenarios and split ~50/50 between the two
    plausible labels, so the text alone cannot decide them.
    """
    rng = random.Random(seed)
    clear = {lab: [s for s in ct.SCENARIOS if s.labels == (lab,)] for lab in ct.CLAIM_TYPES}
    amb = [s for s in ct.SCENARIOS if len(s.labels) > 1]
    n_amb = round(P_AMBIGUOUS * sum(LABEL_COUNTS.values()))
    plan = [(sc.labels[(j // len(amb)) % 2], sc) for j, sc in ((j, amb[j % len(amb)]) for j in range(n_amb))]
    left = Counter(LABEL_COUNTS)
    left.subtract(Counter(lab for lab, _ in plan))
    for lab in ct.CLAIM_TYPES:
        plan += [(lab, None) for _ in range(left[lab])]
    rng.shuffle(plan)
    rows, seen = [], set()
    for lab, sc in plan:
        for _ in range(50):
            row = make_claim(rng, lab, sc or rng.choice(clear[lab]))
            if row["text"] not in seen:
                break
        seen.add(row["text"])
        rows.append(row)
    rows.sort(key=lambda r: (r["date"], r["text"]))
    for i, r in enumerate(rows, 1):
        r["claim_id"] = f"CLM-{i:05d}"
    return rows


def write_claims(rows: list[dict], path: Path) -> None:
    cols = ["claim_id", "text", "claim_type", "amount", "date", "policy_holder_since"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "amount": f"{r['amount']:.2f}"})


# ================================================================================ generations
N_GENERATIONS = 120
FLAW_RATE = 0.35
TUTOR_SYSTEM = (
    "You are a patient maths tutor for adult learners. Show your working step by step "
    "and finish with a clearly marked answer."
)


def _check_markdown(text: str) -> None:
    """Responses are 40-400 words and every fenced block is closed and has a language."""
    n = len(text.split())
    assert 40 <= n <= 400, (n, text[:80])
    fences = re.findall(r"^\s*```(\S*)", text, re.M)
    assert len(fences) % 2 == 0, text[:80]
    assert all(lang for lang in fences[0::2]), text[:80]


def _apply_flaw(good: str, flaw) -> tuple[str, str, str]:
    if isinstance(flaw, dict):
        return flaw["text"], flaw["desc"], flaw["severity"]
    old, new, desc, severity = flaw
    assert old in good, (old[:60], good[:80])
    return good.replace(old, new, 1), desc, severity


def _score(kind: str, item: dict, severity: str | None = None) -> float:
    if kind == "good":
        return 3.0
    if kind == "alt":
        return {"good": 2.5, "alt": 3.5, "tie": 3.0}[item["alt_pref"]]
    if kind == "weak":
        return 2.0
    return 2.2 if severity == "minor" else 1.0  # flawed


def _collect_items(rng: random.Random) -> list[dict]:
    fixed = (
        items_code.ITEMS + items_text.ITEMS + items_param.build_support(rng) + items_param.build_email(rng)
    )
    maths = items_param.build_math(rng, N_GENERATIONS - len(fixed))
    for it in maths[:3]:
        it["context"] = [{"role": "system", "content": TUTOR_SYSTEM}]
    items = fixed + maths
    assert len(items) == N_GENERATIONS, len(items)
    return items


def make_generations(seed: int = SEED + 1) -> list[dict]:
    rng = random.Random(seed)
    items = _collect_items(rng)
    for it in items:
        assert it["flaws"], it["prompt"][:60]
    n_flawed = round(FLAW_RATE * len(items))
    order = list(range(len(items)))
    rng.shuffle(order)
    flawed_idx = set(order[:n_flawed])

    records = []
    for i, it in enumerate(items):
        variants = {"good": it["good"]}
        if it["alt"]:
            variants["alt"] = it["alt"]
        if it["weak"]:
            variants["weak"] = it["weak"]
        if i in flawed_idx:
            a_text, desc, sev = _apply_flaw(it["good"], rng.choice(it["flaws"]))
            a_score, flaw = _score("flawed", it, sev), desc
            b_kind = rng.choices(
                list(variants), weights=[{"good": 3, "alt": 2, "weak": 1.5}[k] for k in variants]
            )[0]
            b_text, b_score = variants[b_kind], _score(b_kind, it)
        else:
            flaw = None
            a_kind = rng.choices(
                list(variants), weights=[{"good": 4, "alt": 2, "weak": 1}[k] for k in variants]
            )[0]
            a_text, a_score = variants[a_kind], _score(a_kind, it)
            cands = [
                (k, variants[k], _score(k, it), {"good": 5, "alt": 5, "weak": 2}[k])
                for k in variants
                if k != a_kind
            ]
            if a_kind != "weak" or rng.random() < 0.5:
                b_flawed, _, b_sev = _apply_flaw(it["good"], rng.choice(it["flaws"]))
                cands.append(("flawed", b_flawed, _score("flawed", it, b_sev), 2))
            _, b_text, b_score, _ = rng.choices(cands, weights=[c[3] for c in cands])[0]
        better = "tie" if abs(a_score - b_score) < 1e-9 else "a" if a_score > b_score else "b"
        assert a_text != b_text
        for t in (a_text, b_text):
            _check_markdown(t)
        records.append(
            {
                "prompt": it["prompt"],
                "response": a_text,
                "context": it["context"],
                "flaw": flaw,
                "response_b": b_text,
                "better": better,
                "_family": it["family"],
            }
        )
    rng.shuffle(records)
    out = []
    for n, r in enumerate(records, 1):
        out.append(
            {
                "id": f"gen-{n:03d}",
                "prompt": r["prompt"],
                "response": r["response"],
                "context": r["context"],
                "flaw": r["flaw"],
                "response_b": r["response_b"],
                "better": r["better"],
                "_family": r["_family"],
            }
        )
    return out


def write_generations(records: list[dict], path: Path) -> None:
    keys = ["id", "prompt", "response", "context", "flaw", "response_b", "better"]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps({k: r[k] for k in keys}, ensure_ascii=False) + "\n")


# ====================================================================================== main
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        type=Path,
        default=DATA_DIR,
        help="output directory (default: hitl_widgets/data/ of this checkout)",
    )
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    claims = make_claims()
    write_claims(claims, args.out / "claims.csv")
    gens = make_generations()
    write_generations(gens, args.out / "generations.jsonl")

    counts = Counter(r["claim_type"] for r in claims)
    big = sum(r["amount"] > 10_000 for r in claims) / len(claims)
    print(f"claims.csv: {len(claims)} rows, {dict(counts)}, share > $10k: {big:.1%}")
    print(
        f"generations.jsonl: {len(gens)} records, flawed: {sum(r['flaw'] is not None for r in gens)}, "
        f"with context: {sum(r['context'] is not None for r in gens)}, "
        f"better: {dict(Counter(r['better'] for r in gens))}, "
        f"families: {dict(Counter(r['_family'] for r in gens))}"
    )


if __name__ == "__main__":
    main()
