"""Parameterised items for ``generations.jsonl``: maths word problems,
customer-support replies and email drafting.

Builders take a ``random.Random`` and return items in the same format as
``items_code.py``.  Flaws here are usually given as ready-made flawed texts
(``{"text", "desc", "severity"}``) because the wrong version needs numbers
computed differently, not a single substitution.
"""

from __future__ import annotations

import random
from fractions import Fraction

from .items_code import T

NAMES = [
    "Maya",
    "Jonas",
    "Priya",
    "Diego",
    "Hannah",
    "Kwame",
    "Lucia",
    "Tom",
    "Aiko",
    "Sam",
    "Fatima",
    "Oliver",
    "Rosa",
    "Ethan",
    "Noor",
    "Marek",
]


def _item(family, prompt, good, alt=None, weak=None, flaws=(), alt_pref="tie", context=None):
    return dict(
        family=family,
        prompt=prompt,
        good=good,
        alt=alt,
        weak=weak,
        flaws=list(flaws),
        alt_pref=alt_pref,
        context=context,
    )


def _flaw(text, desc, severity="major"):
    return {"text": text, "desc": desc, "severity": severity}


def num(x: float, nd: int = 2) -> str:
    """Format a number without trailing zeros: 2.0 -> '2', 1.50 -> '1.5'."""
    s = f"{x:,.{nd}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def money(x: float) -> str:
    return f"${x:,.2f}"


def hm(hours: float) -> str:
    h = int(hours)
    m = round((hours - h) * 60)
    if m == 60:
        h, m = h + 1, 0
    if m == 0:
        return f"{h} hour{'s' if h != 1 else ''}"
    if h == 0:
        return f"{m} minutes"
    return f"{h} hour{'s' if h != 1 else ''} {m} minutes"


# =============================================================================== maths
def math_avg_speed(rng: random.Random, who: str) -> dict:
    while True:
        v1, v2 = rng.sample([40, 48, 50, 60, 64, 70, 75, 80, 90, 96, 100], 2)
        t1, t2 = rng.sample([0.5, 1, 1.5, 2, 2.5, 3], 2)
        d1, d2 = v1 * t1, v2 * t2
        if d1 == int(d1) and d2 == int(d2):
            break
    D, Tt = d1 + d2, t1 + t2
    avg = D / Tt
    naive = (v1 + v2) / 2
    vehicle = rng.choice(["drives", "rides the train", "drives"])
    prompt = rng.choice(
        [
            f"{who} {vehicle} {num(d1)} km at {v1} km/h and then {num(d2)} km at {v2} km/h. What's the average speed for the whole trip?",
            f"Word problem: a delivery van covers {num(d1)} km at an average of {v1} km/h, then another {num(d2)} km at {v2} km/h. Find its average speed over the entire journey.",
        ]
    )
    slower_longer = (t1 > t2) == (v1 < v2)
    why = (
        "more of the time is spent at the slower speed"
        if slower_longer
        else "more of the time is spent at the faster speed"
    )
    good = T(f"""
        Average speed is **total distance ÷ total time**, not the average of the two speeds.

        **Step 1: time for each part**

        - Part 1: {num(d1)} km ÷ {v1} km/h = {num(t1)} h
        - Part 2: {num(d2)} km ÷ {v2} km/h = {num(t2)} h

        **Step 2: totals**

        - Distance: {num(d1)} + {num(d2)} = {num(D)} km
        - Time: {num(t1)} + {num(t2)} = {num(Tt)} h

        **Step 3: divide**

        {num(D)} km ÷ {num(Tt)} h = **{num(avg)} km/h**

        Simply averaging {v1} and {v2} would give {num(naive)} km/h, which is wrong here because {why}.
    """)
    alt = T(f"""
        Use average speed = total distance / total time.

        ```text
        t1 = {num(d1)} / {v1} = {num(t1)} h
        t2 = {num(d2)} / {v2} = {num(t2)} h
        average = ({num(d1)} + {num(d2)}) / ({num(t1)} + {num(t2)})
                = {num(D)} / {num(Tt)}
                ≈ {num(avg)} km/h
        ```

        **Answer: about {num(avg)} km/h.** (Note that it's a time-weighted average of the two speeds, which is why it isn't simply {num(naive)}.)
    """)
    weak = T(f"""
        The average speed is about {num(avg)} km/h. You get it by working out how long each part takes (distance divided by speed), adding the times together, and then dividing the total distance of {num(D)} km by the total time of {num(Tt)} hours.
    """)
    wrong_time = Tt + 0.5
    flaws = [
        _flaw(
            good.replace(f"**{num(avg)} km/h**", f"**{num(naive)} km/h**"),
            f"Wrong final answer: {num(D)} ÷ {num(Tt)} is {num(avg)} km/h; {num(naive)} is the naive average of the speeds the answer itself warns against.",
        ),
        _flaw(
            good.replace(
                f"- Time: {num(t1)} + {num(t2)} = {num(Tt)} h",
                f"- Time: {num(t1)} + {num(t2)} = {num(wrong_time)} h",
            ).replace(
                f"{num(D)} km ÷ {num(Tt)} h = **{num(avg)} km/h**",
                f"{num(D)} km ÷ {num(wrong_time)} h = **{num(D / wrong_time)} km/h**",
            ),
            f"Addition error: {num(t1)} + {num(t2)} = {num(Tt)} h, not {num(wrong_time)} h, so the final speed is wrong.",
        ),
    ]
    return _item("math", prompt, good, alt=alt, weak=weak, flaws=flaws, alt_pref="tie")


def math_discount_tax(rng: random.Random, who: str) -> dict:
    p = rng.choice([40, 65, 80, 120, 149, 250, 89, 180])
    d = rng.choice([15, 20, 25, 30, 40])
    t = rng.choice([6, 7, 8, 8.5, 9.5])
    thing = rng.choice(["jacket", "pair of boots", "blender", "desk chair", "backpack", "lamp"])
    disc = round(p * d / 100, 2)
    sale = round(p - disc, 2)
    tax = round(sale * t / 100, 2)
    final = round(sale + tax, 2)
    prompt = rng.choice(
        [
            f"A {thing} costs ${p}. It's {d}% off, and {num(t)}% sales tax is added after the discount. What does {who} pay?",
            f"Price is ${p}, discount {d}%, then {num(t)}% tax on the discounted price. Final price? Show the steps please.",
        ]
    )
    good = T(f"""
        **1. Apply the discount**

        {d}% of ${p} = {money(disc)}, so the sale price is ${p} − {money(disc)} = **{money(sale)}**.

        **2. Add the sales tax**

        {num(t)}% of {money(sale)} = {money(tax)} (rounded to the cent).

        **3. Final price**

        {money(sale)} + {money(tax)} = **{money(final)}**

        Shortcut in one line: `{p} × {num(1 - d / 100)} × {num(1 + t / 100, 3)} = {final:.2f}`.
    """)
    weak = T(f"""
        The final price is {money(final)}. First take {d}% off ${p}, which gives {money(sale)}, then add {num(t)}% tax on top of that. The tax is calculated on the discounted price, not the original price, because the discount is applied first. That order makes the total a little lower.
    """)
    tax_wrong = round(p * t / 100, 2)
    final_wrong = round(sale + tax_wrong, 2)
    flaws = [
        _flaw(
            good.replace(
                f"{num(t)}% of {money(sale)} = {money(tax)}", f"{num(t)}% of ${p} = {money(tax_wrong)}"
            )
            .replace(
                f"{money(sale)} + {money(tax)} = **{money(final)}**",
                f"{money(sale)} + {money(tax_wrong)} = **{money(final_wrong)}**",
            )
            .replace(f"= {final:.2f}`", f"= {final_wrong:.2f}`"),
            f"Tax is computed on the original price instead of the discounted price (the prompt says tax is added after the discount); correct total is {money(final)}.",
        ),
        _flaw(
            good.replace(f"**{money(final)}**", f"**{money(final + 10)}**"),
            f"Arithmetic slip in the final line: {money(sale)} + {money(tax)} = {money(final)}, not {money(final + 10)}.",
            "major",
        ),
    ]
    return _item("math", prompt, good, weak=weak, flaws=flaws)


def math_compound(rng: random.Random, who: str) -> dict:
    P = rng.choice([2000, 2500, 5000, 8000, 10000])
    r = rng.choice([3, 4, 4.5, 5, 6])
    n = rng.choice([5, 8, 10, 15, 20])
    A = P * (1 + r / 100) ** n
    simple = P * (1 + r / 100 * n)
    prompt = rng.choice(
        [
            f"If {who} invests ${P:,} at {num(r)}% interest compounded annually, how much will there be after {n} years?",
            f"Compound interest question: ${P:,}, {num(r)}% per year, compounded yearly, {n} years. Final amount and total interest?",
        ]
    )
    rows = "\n        ".join(f"| {y} | {money(P * (1 + r / 100) ** y)} |" for y in range(1, 4))
    good = T(f"""
        Use the compound interest formula:

        ```text
        A = P × (1 + r)^n
        ```

        with P = ${P:,}, r = {num(r)}% = {num(r / 100, 3)} and n = {n}:

        ```text
        A = {P} × {num(1 + r / 100, 3)}^{n}
          = {P} × {num((1 + r / 100) ** n, 4)}
          ≈ {A:,.2f}
        ```

        **After {n} years: {money(A)}**, of which **{money(A - P)}** is interest.

        For comparison, simple interest (no compounding) would give only {money(simple)}. The difference comes from earning interest on previous years' interest.
    """)
    alt = T(f"""
        Each year the balance is multiplied by {num(1 + r / 100, 3)}. The first few years look like this:

        | Year | Balance |
        |---|---|
        {rows}

        Continuing to year {n} is the same as computing {P:,} × {num(1 + r / 100, 3)}^{n}, which gives **{money(A)}**. Total interest earned: {money(A - P)}.
    """)
    weak = T(f"""
        You'd have about {money(A)} after {n} years. The formula is A = P(1 + r)^n, so you multiply ${P:,} by {num(1 + r / 100, 3)} raised to the power of {n}. That means the interest earned is about {money(A - P)}, noticeably more than simple interest would give over the same period.
    """)
    flawed = T(f"""
        Use the compound interest formula:

        ```text
        A = P × (1 + r × n)
        ```

        with P = ${P:,}, r = {num(r)}% = {num(r / 100, 3)} and n = {n}:

        ```text
        A = {P} × (1 + {num(r / 100, 3)} × {n})
          = {P} × {num(1 + r / 100 * n, 4)}
          = {simple:,.2f}
        ```

        **After {n} years: {money(simple)}**, of which **{money(simple - P)}** is interest.

        Compounding annually means interest is added once per year, which is what this formula assumes.
    """)
    flaws = [
        _flaw(
            flawed,
            f"Uses the simple-interest formula P(1 + rn) while calling it compound interest; the correct amount is {money(A)}.",
        )
    ]
    return _item("math", prompt, good, alt=alt, weak=weak, flaws=flaws, alt_pref="good")


def math_work_rate(rng: random.Random, who: str) -> dict:
    a, b = rng.choice([(3, 6), (4, 12), (2, 3), (5, 20), (6, 10), (8, 24), (4, 6), (3, 5)])
    together = a * b / (a + b)
    setting = rng.choice(
        [
            ("Pipe A can fill a tank in {a} hours and pipe B can fill it in {b} hours.", "fill the tank"),
            ("{who} can paint a fence in {a} hours; a friend takes {b} hours.", "paint the fence"),
            (
                "One printer finishes a print job in {a} hours, a second printer takes {b} hours for the same job.",
                "finish the job",
            ),
        ]
    )
    intro = setting[0].format(a=a, b=b, who=who)
    prompt = f"{intro} How long does it take working together?"
    frac = Fraction(1, a) + Fraction(1, b)
    good = T(f"""
        Work with **rates** (jobs per hour), because rates add up while times don't.

        - First: 1 job in {a} h → rate = 1/{a} per hour
        - Second: 1 job in {b} h → rate = 1/{b} per hour

        Combined rate:

        ```text
        1/{a} + 1/{b} = {frac.numerator}/{frac.denominator} per hour
        ```

        Time = 1 ÷ rate = {frac.denominator}/{frac.numerator} h = **{num(together)} hours** ({hm(together)}).

        Sanity check: the answer must be less than {min(a, b)} hours (the faster one working alone), and it is.
    """)
    weak = T(f"""
        Together it takes {hm(together)}. Add the rates 1/{a} and 1/{b} to get the combined rate per hour, then flip it to get the time. Together they're faster than either one alone, which is why the answer is shorter than {min(a, b)} hours.
    """)
    wrong = (a + b) / 2
    flawed = T(f"""
        When two things work together you can average their times.

        - First: {a} hours
        - Second: {b} hours

        ```text
        ({a} + {b}) / 2 = {num(wrong)}
        ```

        So working together it takes **{num(wrong)} hours** ({hm(wrong)}).

        This makes sense because the combined time should be somewhere between the two individual times.
    """)
    flaws = [
        _flaw(
            flawed,
            f"Averages the two times instead of adding rates; together it takes {num(together)} h, which must be less than {min(a, b)} h.",
        )
    ]
    return _item("math", prompt, good, weak=weak, flaws=flaws)


def math_percent(rng: random.Random, who: str) -> dict:
    x = rng.choice([10, 20, 25, 30, 50])
    y = rng.choice([10, 20, 25, 40, 50])
    net = (1 + x / 100) * (1 - y / 100) - 1
    start = rng.choice([100, 200, 40, 80])
    prompt = rng.choice(
        [
            f"A stock goes up {x}% on Monday and down {y}% on Tuesday. What's the overall percentage change?",
            f"{who}'s rent went up {x}% last year and then the landlord cut it by {y}%. Is it back to where it started? What's the net change?",
        ]
    )
    end = start * (1 + x / 100) * (1 - y / 100)
    good = T(f"""
        Percentage changes **multiply**, they don't add, because the second change applies to the new amount.

        ```text
        (1 + {num(x / 100)}) × (1 − {num(y / 100)}) = {num(1 + x / 100)} × {num(1 - y / 100)} = {num((1 + x / 100) * (1 - y / 100), 4)}
        ```

        So the overall change is **{"+" if net >= 0 else "−"}{num(abs(net) * 100)}%**.

        Example with {start}: up {x}% gives {num(start * (1 + x / 100))}, then down {y}% gives {num(end)}.

        Note that simply computing {x}% − {y}% = {x - y}% would be wrong: the {y}% drop is taken from the larger, already-increased amount.
    """)
    weak = T(f"""
        The net change is {"+" if net >= 0 else "−"}{num(abs(net) * 100)}%. Multiply {num(1 + x / 100)} by {num(1 - y / 100)} and subtract 1. It's not just {x} minus {y} because the second percentage is taken from a different starting value than the first one. Try it with 100 as the starting value to see it.
    """)
    flawed = T(f"""
        To combine the two changes, just add them up:

        ```text
        +{x}% + (−{y}%) = {x - y:+d}%
        ```

        So the overall change is **{x - y:+d}%**.

        Example with {start}: after both changes you end up with {num(start * (1 + (x - y) / 100))}, so that's the new value.

        The order of the two changes doesn't matter, since addition is commutative.
    """)
    flaws = [
        _flaw(
            flawed,
            f"Adds percentages instead of multiplying growth factors; the net change is {num(net * 100)}%, not {x - y}%.",
        )
    ]
    return _item("math", prompt, good, weak=weak, flaws=flaws)


def math_fuel(rng: random.Random, who: str) -> dict:
    l100 = rng.choice([5.8, 6.5, 7.2, 8.4, 9.1])
    price = rng.choice([1.65, 1.79, 1.92, 1.58])
    d = rng.choice([240, 380, 460, 615, 520])
    litres = d / 100 * l100
    cost = litres * price
    prompt = f"{who}'s car uses {num(l100)} L per 100 km and fuel costs €{price:.2f} per litre. How much will a {d} km trip cost?"
    good = T(f"""
        **1. Fuel needed**

        {num(l100)} L per 100 km means {num(l100)} ÷ 100 = {num(l100 / 100, 3)} L per km.

        {d} km × {num(l100 / 100, 3)} L/km = **{num(litres)} L**

        **2. Cost**

        {num(litres)} L × €{price:.2f}/L = **€{cost:.2f}**

        | | Value |
        |---|---|
        | Distance | {d} km |
        | Fuel used | {num(litres)} L |
        | Cost | €{cost:.2f} |

        Real-world consumption is often a bit higher in city traffic or with a loaded car, so budgeting around €{round(cost * 1.1):.0f} is sensible.
    """)
    weak = T(f"""
        About €{cost:.2f}. The trip uses {d}/100 × {num(l100)} = {num(litres)} litres of fuel, and {num(litres)} litres at €{price:.2f} each comes to €{cost:.2f}. It could be a bit more if you're driving in heavy traffic, with the air conditioning on, or with a fully loaded car.
    """)
    wrong_l = d / 10 * l100
    flaws = [
        _flaw(
            good.replace(
                f"{num(l100)} ÷ 100 = {num(l100 / 100, 3)} L per km",
                f"{num(l100)} ÷ 10 = {num(l100 / 10, 3)} L per km",
            )
            .replace(
                f"{d} km × {num(l100 / 100, 3)} L/km = **{num(litres)} L**",
                f"{d} km × {num(l100 / 10, 3)} L/km = **{num(wrong_l)} L**",
            )
            .replace(
                f"{num(litres)} L × €{price:.2f}/L = **€{cost:.2f}**",
                f"{num(wrong_l)} L × €{price:.2f}/L = **€{wrong_l * price:.2f}**",
            )
            .replace(f"| Fuel used | {num(litres)} L |", f"| Fuel used | {num(wrong_l)} L |")
            .replace(f"| Cost | €{cost:.2f} |", f"| Cost | €{wrong_l * price:.2f} |")
            .replace(f"around €{round(cost * 1.1):.0f}", f"around €{round(wrong_l * price * 1.1):.0f}"),
            f"Divides by 10 instead of 100, so fuel and cost are ten times too high (correct: {num(litres)} L, €{cost:.2f}).",
        ),
    ]
    return _item("math", prompt, good, weak=weak, flaws=flaws)


def math_ages(rng: random.Random, who: str) -> dict:
    k, m, n = rng.choice([(4, 3, 6), (3, 2, 14), (5, 3, 8), (4, 2, 10), (7, 4, 5), (3, 2, 12)])
    S = Fraction(n * (m - 1), k - m)
    S = int(S)
    M = k * S
    parent = who
    prompt = (
        f"{parent} is {k} times as old as her son. In {n} years she will be {m} times as old as him. "
        f"How old are they now?"
    )
    good = T(f"""
        Let the son's age now be **s**. Then {parent} is **{k}s**.

        In {n} years: son = s + {n}, {parent} = {k}s + {n}, and

        ```text
        {k}s + {n} = {m}(s + {n})
        {k}s + {n} = {m}s + {m * n}
        {k - m}s = {m * n - n}
        s = {S}
        ```

        **The son is {S} and {parent} is {M}.**

        Check: in {n} years they'll be {S + n} and {M + n}, and {m} × {S + n} = {m * (S + n)}. ✓
    """)
    weak = T(f"""
        The son is {S} and {parent} is {M}. If you set the son's age to s, then {k}s + {n} = {m}(s + {n}), and solving that gives s = {S}. In {n} years they'll be {S + n} and {M + n}, which works out.
    """)
    wrong_s = S + 2
    flawed = T(f"""
        Let the son's age now be **s**. Then {parent} is **{k}s**.

        In {n} years: son = s + {n}, {parent} = {k}s + {n}, and

        ```text
        {k}s + {n} = {m}(s + {n})
        {k}s + {n} = {m}s + {m * n}
        {k - m}s = {m * n - n + 2 * (k - m)}
        s = {wrong_s}
        ```

        **The son is {wrong_s} and {parent} is {k * wrong_s}.**
    """)
    flaws = [
        _flaw(
            flawed,
            f"Algebra slip when collecting terms; the right-hand side should be {m * n - n}, giving son {S} and mother {M}. The answer also skips the check, which would have caught it.",
        )
    ]
    return _item("math", prompt, good, weak=weak, flaws=flaws)


def math_dice(rng: random.Random, who: str) -> dict:
    s = rng.choice([4, 5, 6, 8, 9, 10, 7])
    pairs = [(i, s - i) for i in range(1, 7) if 1 <= s - i <= 6]
    c = len(pairs)
    fr = Fraction(c, 36)
    unordered = len({tuple(sorted(p)) for p in pairs})
    prompt = f"If I roll two fair six-sided dice, what's the probability the total is {s}?"
    listing = ", ".join(f"({a},{b})" for a, b in pairs)
    ex = next(p for p in pairs if p[0] != p[1])
    simp = f"**{c}/36**" if fr.denominator == 36 else f"{c}/36 = **{fr.numerator}/{fr.denominator}**"
    good = T(f"""
        There are 6 × 6 = **36** equally likely outcomes, counting the two dice separately (a red die and a blue die, say).

        Outcomes that add up to {s}:

        ```text
        {listing}
        ```

        That's **{c}** outcomes, so

        P(total = {s}) = {simp} **≈ {c / 36:.1%}**

        Note that ({ex[0]},{ex[1]}) and ({ex[1]},{ex[0]}) count as two different outcomes because the dice are different objects; forgetting this is the most common mistake.
    """)
    weak = T(f"""
        It's {fr.numerator}/{fr.denominator}. There are 36 possible combinations of two dice and {c} of them add up to {s}. So the probability is {c} out of 36, which simplifies to {fr.numerator}/{fr.denominator}, or roughly {c / 36:.0%}. Remember to count (2,3) and (3,2) as different rolls.
    """)
    flawed = T(f"""
        Count the different combinations of two dice. Ignoring order, there are 21 possible pairs (6 doubles plus 15 mixed pairs).

        Pairs that add up to {s}:

        ```text
        {", ".join(f"({a},{b})" for a, b in sorted({tuple(sorted(p)) for p in pairs}))}
        ```

        That's **{unordered}** pairs, so

        P(total = {s}) = {unordered}/21 ≈ **{unordered / 21:.1%}**
    """)
    flaws = [
        _flaw(
            flawed,
            f"Treats the 21 unordered pairs as equally likely; they aren't. The correct probability is {c}/36 ≈ {c / 36:.1%}.",
        )
    ]
    return _item("math", prompt, good, weak=weak, flaws=flaws)


def math_paint(rng: random.Random, who: str) -> dict:
    L, W = rng.choice([(4, 3), (5, 4), (6, 4), (4.5, 3.5), (5, 3)])
    H = rng.choice([2.4, 2.5, 2.7])
    cover = rng.choice([10, 12])
    doors, windows = 1, rng.choice([1, 2])
    walls = 2 * (L + W) * H
    openings = doors * 1.9 + windows * 1.5
    area = walls - openings
    litres = area * 2 / cover
    cans = -(-litres // 2.5)
    prompt = (
        f"{who} wants to paint the walls of a room {num(L)} m × {num(W)} m with {num(H)} m high ceilings, two coats. "
        f"There's one door (about 1.9 m²) and {windows} window{'s' if windows > 1 else ''} (about 1.5 m² each). "
        f"Paint covers {cover} m² per litre and comes in 2.5 L tins. How many tins?"
    )
    good = T(f"""
        **1. Wall area**

        Perimeter × height = 2 × ({num(L)} + {num(W)}) × {num(H)} = **{num(walls)} m²**

        **2. Subtract door and windows**

        1.9 + {windows} × 1.5 = {num(openings)} m², so paintable area = {num(walls)} − {num(openings)} = **{num(area)} m²**

        **3. Two coats**

        {num(area)} × 2 = {num(area * 2)} m²

        **4. Litres needed**

        {num(area * 2)} ÷ {cover} m²/L = **{num(litres)} L**

        **5. Tins**

        {num(litres)} ÷ 2.5 = {num(litres / 2.5)}, so round up to **{int(cans)} tins**.

        If you're painting over a much darker colour, consider a primer coat or one extra tin.
    """)
    weak = T(f"""
        You need {int(cans)} tins. The walls come to about {num(area)} m² once you take off the door and windows, two coats doubles that, and at {cover} m² per litre that's about {num(litres)} litres. Divide by 2.5 L per tin and round up.
    """)
    one_coat = area / cover
    cans1 = -(-one_coat // 2.5)
    flawed = T(f"""
        **1. Wall area**

        Perimeter × height = 2 × ({num(L)} + {num(W)}) × {num(H)} = **{num(walls)} m²**

        **2. Subtract door and windows**

        1.9 + {windows} × 1.5 = {num(openings)} m², so paintable area = {num(walls)} − {num(openings)} = **{num(area)} m²**

        **3. Litres needed**

        {num(area)} ÷ {cover} m²/L = **{num(one_coat)} L**

        **4. Tins**

        {num(one_coat)} ÷ 2.5 = {num(one_coat / 2.5)}, so round up to **{int(cans1)} tins**.

        If you're painting over a much darker colour, consider a primer coat or one extra tin.
    """)
    flaws = [
        _flaw(
            flawed,
            f"Missing step: ignores the second coat the user asked for, so it under-buys paint ({int(cans)} tins are needed).",
        )
    ]
    return _item("math", prompt, good, weak=weak, flaws=flaws)


MATH_BUILDERS = [
    math_avg_speed,
    math_discount_tax,
    math_compound,
    math_work_rate,
    math_percent,
    math_fuel,
    math_ages,
    math_dice,
    math_paint,
]


def build_math(rng: random.Random, n: int) -> list[dict]:
    out, seen = [], set()
    i = 0
    while len(out) < n:
        b = MATH_BUILDERS[i % len(MATH_BUILDERS)]
        who = (
            rng.choice(["Maya", "Priya", "Hannah", "Lucia", "Aiko", "Rosa", "Fatima", "Noor"])
            if b is math_ages
            else rng.choice(NAMES)
        )
        it = b(rng, who)
        key = it["prompt"].replace(who, "<name>")  # no two problems with the same numbers
        if key not in seen:
            seen.add(key)
            out.append(it)
        i += 1
    return out


# =============================================================================== support
SYS = {
    "parcelo": (
        "You are the customer support assistant for Parcelo, an online homeware store. Policies: returns are "
        "accepted within 30 days of delivery for unused items in their original packaging; Parcelo pays return "
        "shipping only for damaged or incorrect items (otherwise a $6.95 return label is deducted from the refund); "
        "refunds go to the original payment method within 5-7 business days after the return is received; "
        "standard shipping takes 3-5 business days; orders can be changed until their status is 'Packed'. "
        "Be warm and concise and sign off as 'Parcelo Support'. Never promise anything outside these policies; "
        "offer to escalate to a human agent if unsure."
    ),
    "brightline": (
        "You are Brightline Fiber's virtual support agent. Facts: all plans are month-to-month with no early "
        "termination fee; cancellations need 30 days' notice; outages longer than 24 hours get an automatic bill "
        "credit of one day's service per day affected; the live status page is status.brightlinefiber.example; "
        "technician visits are free if the fault is on Brightline's side and $79 otherwise. Be clear and friendly. "
        "Never ask customers for passwords or full card numbers."
    ),
    "tallyo": (
        "You are the in-app help assistant for Tallyo, a budgeting app. Plans: Monthly $6.99, Annual $59.99. "
        "Annual plans bought on the website can be refunded in full within 14 days of purchase; monthly plans are "
        "not refunded but can be cancelled any time and stay active until the end of the paid period. "
        "Subscriptions bought through the App Store or Google Play must be cancelled and refunded through Apple or "
        "Google. Password reset links expire after 30 minutes. Bank connections refresh automatically every 12 "
        "hours and users can force a refresh once per hour. Keep answers short; use numbered steps for instructions."
    ),
    "greencrate": (
        "You are GreenCrate's support assistant (meal-kit delivery). Rules: customers can skip or edit a delivery "
        "week until Wednesday 11:59 pm local time in the week before; subscriptions can be paused for up to 8 weeks "
        "at a time; missing or damaged ingredients reported within 7 days are credited to the GreenCrate account "
        "(not refunded to the card); deliveries arrive between 8 am and 8 pm on the delivery day. Be upbeat, "
        "empathetic and brief."
    ),
}


def _ctx(company: str, prior: list[tuple[str, str]] | None = None) -> list[dict]:
    msgs = [{"role": "system", "content": SYS[company]}]
    for role, content in prior or []:
        msgs.append({"role": role, "content": content})
    return msgs


def build_support(rng: random.Random) -> list[dict]:
    items = []

    def order_no():
        return f"PC-{rng.randint(100000, 999999)}"

    # ------------------------------------------------------------------ Parcelo
    name, on = rng.choice(NAMES), order_no()
    obj = rng.choice(["ceramic table lamp", "glass vase", "set of stoneware plates", "wall mirror"])
    good = T(f"""
        Hi {name},

        I'm so sorry your {obj} arrived damaged. That's not the experience we want for you.

        Here's how we'll fix it:

        1. Reply to this message with a photo or two of the damage and the box it came in.
        2. Once we have the photos, we'll email you a **free prepaid return label**; you won't pay anything for return shipping.
        3. Let us know whether you'd like a **replacement** or a **refund**. Refunds go back to your original payment method within 5-7 business days after the item reaches our warehouse.

        Please don't use the {obj.split()[-1]} in the meantime, in case there are sharp edges.

        Parcelo Support
    """)
    weak = T(f"""
        Hi {name}, sorry to hear that. Please return the item using the returns page on our website and we'll sort out a refund for you once it arrives back at our warehouse. Let us know if you have any other questions.

        Parcelo Support
    """)
    items.append(
        _item(
            "support",
            f"Hi, my order {on} arrived today and the {obj} is cracked right through. Really disappointed. What now?",
            good,
            weak=weak,
            context=_ctx("parcelo"),
            flaws=[
                (
                    "2. Once we have the photos, we'll email you a **free prepaid return label**; you won't pay anything for return shipping.",
                    "2. Once we have the photos, we'll email you a return label; the usual $6.95 return shipping fee will be deducted from your refund.",
                    "Contradicts the policy in the system prompt: return shipping is free for damaged items.",
                    "major",
                ),
                (
                    f"I'm so sorry your {obj} arrived damaged. That's not the experience we want for you.",
                    "Items sometimes get damaged in transit, that's just how shipping works.",
                    "Dismissive, unempathetic tone toward a customer with a damaged item.",
                    "major",
                ),
            ],
        )
    )

    name, on = rng.choice(NAMES), order_no()
    days = rng.choice([12, 18, 20, 25])
    good = T(f"""
        Hi {name},

        No problem at all. Since your order arrived {days} days ago, it's within our 30-day return window. Here's what to do:

        1. Make sure the throw is unused and back in its original packaging.
        2. Go to **My Orders → {on} → Return an item** and choose "Changed my mind".
        3. Print the return label. For change-of-mind returns, the $6.95 label cost is deducted from your refund.
        4. Drop the parcel off at any carrier location.

        Your refund will go back to your original payment method within 5-7 business days after we receive the return.

        Parcelo Support
    """)
    alt = T(f"""
        Hi {name}, thanks for reaching out!

        You're within the 30-day window, so you can return the throw as long as it's unused and in its packaging. Start the return from your account under My Orders ({on}). Because it's a change-of-mind return, $6.95 for the return label will come off the refund amount.

        Once the parcel reaches us, the refund takes 5-7 business days to show up on your original payment method. Anything else I can help with?

        Parcelo Support
    """)
    items.append(
        _item(
            "support",
            f"I bought a wool throw (order {on}) and it's just not the colour I expected. Can I send it back? It's been {days} days.",
            good,
            alt=alt,
            context=_ctx("parcelo"),
            flaws=[
                (
                    "Your refund will go back to your original payment method within 5-7 business days after we receive the return.",
                    "Your refund will be issued within 24 hours of you dropping off the parcel.",
                    "Wrong policy: refunds take 5-7 business days after the return is received, not 24 hours after drop-off.",
                    "major",
                ),
                (
                    "3. Print the return label. For change-of-mind returns, the $6.95 label cost is deducted from your refund.\n",
                    "3. Print the free return label.\n",
                    "Promises a free label for a change-of-mind return, which the policy doesn't allow.",
                    "major",
                ),
            ],
        )
    )

    name, on = rng.choice(NAMES), order_no()
    prior = [
        ("user", f"Can you check order {on} for me?"),
        (
            "assistant",
            f"Of course! Order {on} (2 linen pillowcases and a duvet cover) is currently **Packed** and will ship today with standard delivery, 3-5 business days.",
        ),
    ]
    good = T(f"""
        Thanks for letting me know, {name}. I'm sorry, but because the order's status is already **Packed**, I'm not able to change the delivery address on it anymore.

        Here are your options:

        - **Carrier redirect:** once you get the tracking email (usually later today), you can request a redirect to your new address on the carrier's website. Some carriers charge a small fee for this.
        - **Ask someone at the old address** to hold onto the parcel for you.
        - If neither works, the parcel can be **refused**; it will come back to us and we'll refund you once it arrives.

        If you'd like, I can also pass this to a human agent to see if there's anything else we can do.

        Parcelo Support
    """)
    weak = T(f"""
        Sorry {name}, the order has already been packed so the address can't be changed. Once it ships you'll get a tracking number and you might be able to contact the carrier about it. Sorry we can't do more on our side.

        Parcelo Support
    """)
    items.append(
        _item(
            "support",
            "Oh no, I moved last week and the address on that order is my old one. Can you change it to 14 Birchwood Lane?",
            good,
            weak=weak,
            context=_ctx("parcelo", prior),
            flaws=[
                (
                    "I'm sorry, but because the order's status is already **Packed**, I'm not able to change the delivery address on it anymore.",
                    "No problem, I've updated the delivery address to 14 Birchwood Lane, so it will go straight there.",
                    "Promises an address change the policy forbids once the order is Packed (and contradicts the options listed after it).",
                    "major",
                ),
            ],
        )
    )

    name, on = rng.choice(NAMES), order_no()
    good = T(f"""
        Hi {name},

        Thanks for your patience, and I'm sorry it's taking longer than expected. Standard shipping is usually 3-5 business days, and since you ordered 8 days ago (6 business days), it's now running late.

        Two quick things you can do:

        1. Check the tracking link in your shipping confirmation email; it sometimes shows a delivery attempt or a held-at-depot message.
        2. Check with neighbours or your building's mailroom in case it was left with someone.

        If tracking hasn't moved in the last 2 days, reply here and I'll escalate it to our shipping team so they can open a trace with the carrier and, if needed, send a replacement.

        Parcelo Support
    """)
    items.append(
        _item(
            "support",
            f"Where is my order?? {on}, placed 8 days ago, standard shipping. Nothing yet.",
            good,
            context=_ctx("parcelo"),
            weak=T(f"""
        Hi {name}, standard shipping takes 3-5 business days. Please check your tracking link for the latest updates, and check with your neighbours too. If it doesn't arrive soon, get back in touch and we'll take a look for you.

        Parcelo Support
    """),
            flaws=[
                (
                    "Thanks for your patience, and I'm sorry it's taking longer than expected.",
                    "As our website clearly says, shipping takes time, so please be patient.",
                    "Condescending tone; the order is actually late, so an apology is owed.",
                    "major",
                ),
            ],
        )
    )

    name, on = rng.choice(NAMES), order_no()
    good = T(f"""
        Hi {name},

        Thanks for getting in touch. I'm sorry, but our return window is 30 days from delivery, and order {on} was delivered 45 days ago, so I'm not able to set up a standard return for it.

        A couple of things that might still help:

        - If the cushion covers are **faulty** (not just unwanted), let me know what's wrong and I'll pass it to a human agent to review.
        - Unused items in original packaging are often easy to resell or gift.

        I know that's not the answer you were hoping for. If you'd like, I can escalate the request for a one-time review.

        Parcelo Support
    """)
    items.append(
        _item(
            "support",
            f"I need to return the cushion covers from order {on}. I know it's been 45 days but I was travelling. Please?",
            good,
            context=_ctx("parcelo"),
            weak=T(f"""
        Hi {name}, unfortunately our return policy only allows returns within 30 days of delivery. As it has been 45 days we can't accept a return for this order. Sorry about that, and let us know if there's anything else we can help you with.

        Parcelo Support
    """),
            flaws=[
                (
                    "I'm sorry, but our return window is 30 days from delivery, and order {on} was delivered 45 days ago, so I'm not able to set up a standard return for it.".replace(
                        "{on}", on
                    ),
                    "Since you were travelling, I've gone ahead and approved the return and a full refund.",
                    "Approves a return outside the 30-day policy, which the system prompt says never to promise.",
                    "major",
                ),
            ],
        )
    )

    # ------------------------------------------------------------------ Brightline
    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}, I'm sorry you've been without internet. That's really frustrating, especially when working from home.

        Let's check a few things:

        1. **Outage check:** look at status.brightlinefiber.example (on your phone's mobile data) to see whether there's a known outage in your area.
        2. **Restart the equipment:** unplug the fiber box (ONT) and the router, wait 30 seconds, plug in the fiber box first, wait 2 minutes, then the router.
        3. **Lights:** if the fiber box shows a red **LOS** light after restarting, the line itself is down and we'll need to send a technician. Since that would be a fault on our side, the visit is free.

        Also, because your service has been out for more than 24 hours, you'll automatically get a bill credit of one day's service for each day affected.

        Let me know what the lights show and I'll take it from there.
    """)
    items.append(
        _item(
            "support",
            "My internet has been down since yesterday afternoon. I work from home, this is a disaster. Help!",
            good,
            context=_ctx("brightline"),
            alt=T(f"""
        Hi {name}, sorry about the outage! First, please check status.brightlinefiber.example for any outage in your area. If there isn't one, restart both the fiber box and your router (fiber box first). If it still doesn't work, tell me what lights you see on the fiber box and I'll book a technician if needed. Outages longer than 24 hours get an automatic credit on your next bill.
    """),
            alt_pref="good",
            flaws=[
                (
                    "Let me know what the lights show and I'll take it from there.",
                    "To speed things up, please reply with your account password so I can log in and run a line test.",
                    "Asks the customer for their password, which the system prompt explicitly forbids.",
                    "major",
                ),
                (
                    "Also, because your service has been out for more than 24 hours, you'll automatically get a bill credit of one day's service for each day affected.\n\n",
                    "",
                    "Missing information: omits the automatic outage credit that applies after 24 hours.",
                    "minor",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}, sorry to see you go, and congratulations on the move!

        Here's how cancelling works:

        - **Notice:** we need 30 days' notice. If you ask today, your service ends 30 days from now, and you'll be billed up to that date.
        - **No fees:** all our plans are month-to-month, so there's **no early termination fee**.
        - **Timing tip:** if you move before the 30 days are up, you can still give notice now so the billing stops as soon as possible.

        Would you like me to start the cancellation now, or would you prefer to pick a specific end date?
    """)
    items.append(
        _item(
            "support",
            "I'm moving abroad next month and need to cancel. Is there a fee for cancelling early?",
            good,
            context=_ctx("brightline"),
            weak=T(f"""
        Hi {name}, you can cancel your service at any time by contacting us. We require 30 days' notice for cancellations, and you'll be billed until the end of that period. Let me know if you want to go ahead and I'll get it started for you.
    """),
            flaws=[
                (
                    "- **No fees:** all our plans are month-to-month, so there's **no early termination fee**.",
                    "- **Fees:** because you're cancelling within your contract term, there's a $150 early termination fee.",
                    "Hallucinated fee: the system prompt says plans are month-to-month with no early termination fee.",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Good question, {name}! It depends on where the problem turns out to be:

        | Cause of the problem | Cost |
        |---|---|
        | Fault on Brightline's side (our line, fiber box or network) | **Free** |
        | Problem on your side (your own router, in-home wiring, devices) | **$79** |

        Before booking, it's worth trying a quick restart of the fiber box and router and checking status.brightlinefiber.example for outages; many issues are fixed that way without a visit.

        If you'd still like a technician, tell me a couple of days and times that work and I'll check availability.
    """)
    items.append(
        _item(
            "support",
            "How much does it cost to get a technician out? My connection keeps dropping in the evenings.",
            good,
            context=_ctx("brightline"),
            weak=T(f"""
        Hi {name}, a technician visit costs $79 unless the problem is on our side, in which case it's free. Let me know if you'd like to book one and which days and times work for you, and I'll check what's available.
    """),
            flaws=[
                (
                    "| Problem on your side (your own router, in-home wiring, devices) | **$79** |",
                    "| Problem on your side (your own router, in-home wiring, devices) | **$129** |",
                    "Wrong price: the system prompt says $79 for customer-side faults.",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}, let's figure out whether the slowdown is the connection or the Wi-Fi.

        1. **Test wired:** plug a laptop into the router with an Ethernet cable and run a speed test. If it's close to your plan speed, the line is fine and the issue is Wi-Fi.
        2. **Restart:** power-cycle the router (unplug for 30 seconds).
        3. **Placement:** keep the router up high, in the open, away from microwaves and thick walls.
        4. **Use 5 GHz** for devices near the router; 2.4 GHz reaches further but is slower and more crowded.
        5. **Check for heavy users:** cloud backups or game downloads on one device can slow everyone down.

        If the wired test is also slow, tell me the result and I'll run checks on the line from our side.
    """)
    items.append(
        _item(
            "support",
            "We pay for 500 Mbps but the wifi is crawling, like 40 Mbps in the living room. What's going on?",
            good,
            context=_ctx(
                "brightline",
                [
                    ("user", "Hi, quick question about my speeds"),
                    ("assistant", f"Hi {name}! Happy to help. What are you seeing?"),
                ],
            ),
            alt=T(f"""
        Hi {name}! Wi-Fi speeds are almost always lower than the plan speed, especially through walls. A quick way to check: run a speed test with a laptop plugged into the router by cable. If you get close to 500 Mbps that way, the line is fine and you may want to move the router to a more central spot or add a mesh extender for the living room. If the wired speed is also low, let me know and I'll check the line.
    """),
            alt_pref="good",
            flaws=[
                (
                    "2. **Restart:** power-cycle the router (unplug for 30 seconds).",
                    "2. **Disable the firewall:** turn off the router's built-in firewall, which often slows traffic down.",
                    "Unsafe suggestion: turning off the router firewall exposes the home network and won't fix Wi-Fi speed.",
                    "major",
                ),
            ],
        )
    )

    # ------------------------------------------------------------------ Tallyo
    name = rng.choice(NAMES)
    days = rng.choice([3, 5, 9])
    good = T(f"""
        Hi {name}! Good news: annual plans bought on our website can be refunded in full within 14 days, and you bought yours {days} days ago.

        To request it:

        1. Go to **Settings → Subscription → Manage plan**.
        2. Tap **Cancel and request refund**.
        3. Confirm. You'll get an email confirmation right away.

        The full $59.99 goes back to the card you paid with; banks usually show it within 5-10 business days. Your premium features stop when the refund is processed.
    """)
    items.append(
        _item(
            "support",
            f"I bought the annual plan on your website {days} days ago but I'm not using it much. Can I get my money back?",
            good,
            context=_ctx("tallyo"),
            weak=T("""
        Yes, you can get a refund because it's within 14 days of buying the annual plan. You can request it from the subscription settings in the app, under Manage plan. The money goes back to your card after it's processed.
    """),
            flaws=[
                (
                    f"annual plans bought on our website can be refunded in full within 14 days, and you bought yours {days} days ago.",
                    f"annual plans can be refunded within 7 days, and you bought yours {days} days ago.",
                    "Wrong refund window: the policy is 14 days, not 7.",
                    "major" if days > 7 else "minor",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}, thanks for asking. Monthly plans can't be refunded, but you can cancel any time and you won't be charged again.

        1. Go to **Settings → Subscription → Manage plan**.
        2. Tap **Cancel subscription** and confirm.

        You'll keep premium features until the end of the month you've already paid for, so you still get the full value of this month's $6.99.
    """)
    items.append(
        _item(
            "support",
            "Can I get a refund for this month? I'm on monthly and I barely used it.",
            good,
            context=_ctx("tallyo"),
            alt=T(f"""
        Sorry {name}, we don't offer refunds on monthly plans. What you can do:

        1. Open **Settings → Subscription → Manage plan**.
        2. Choose **Cancel subscription**.

        Nothing else will be charged and your plan stays active until the end of the current billing period.
    """),
            flaws=[
                (
                    "Hi {name}, thanks for asking. Monthly plans can't be refunded, but you can cancel any time and you won't be charged again.".replace(
                        "{name}", name
                    ),
                    "Hi {name}. As stated very clearly in our terms, which you agreed to, monthly plans are not refunded. You can cancel if you want.".replace(
                        "{name}", name
                    ),
                    "Rude, condescending tone toward the customer.",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Sorry about that, {name}! Reset links expire after **30 minutes** for security, so an older email won't work anymore.

        1. On the login screen, tap **Forgot password?** again.
        2. Enter your email and open the new message **within 30 minutes**.
        3. If it doesn't arrive in a few minutes, check your spam or promotions folder.
        4. Make sure you open only the newest email; requesting a new link cancels the older ones.

        If it still doesn't work, let me know and I'll pass you to our account team.
    """)
    items.append(
        _item(
            "support",
            "The password reset link says it's expired. I requested it this morning.",
            good,
            context=_ctx("tallyo"),
            weak=T("""
        The reset links only last for 30 minutes. Please go to the login screen and request a new one by tapping Forgot password, then use it straight away. Check your spam folder if it doesn't show up within a few minutes, and only use the newest email you receive.
    """),
            flaws=[
                (
                    "Reset links expire after **30 minutes** for security",
                    "Reset links expire after **24 hours** for security",
                    "Wrong fact: reset links expire after 30 minutes (and a 24-hour expiry wouldn't explain a link from this morning failing).",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}, sorry your transactions aren't showing up. Bank connections refresh automatically every 12 hours, so very recent purchases can take a while to appear.

        1. Go to **Accounts**, pick the bank, and tap **Refresh now** (you can do this once per hour).
        2. If you see a **Reconnect** banner, tap it and sign in through your bank's own secure login screen. Your bank may ask for a one-time code.
        3. Still nothing after a refresh? Remove the bank and add it again.

        We never see or store your bank password; the connection is authorised on your bank's side.
    """)
    items.append(
        _item(
            "support",
            "My bank account hasn't updated in 2 days and I'm missing transactions.",
            good,
            context=_ctx("tallyo"),
            weak=T("""
        Try refreshing the connection from the Accounts screen. If that doesn't help, disconnect the bank and add it again, which usually fixes syncing issues. Bank data refreshes automatically every 12 hours, so some delay is normal for very recent transactions from the last day.
    """),
            flaws=[
                (
                    "2. If you see a **Reconnect** banner, tap it and sign in through your bank's own secure login screen. Your bank may ask for a one-time code.",
                    "2. If that doesn't work, reply here with your online banking username and password and I'll reconnect it for you.",
                    "Unsafe: asks the user to share bank credentials in chat (and contradicts the note that passwords are never seen).",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}, because you subscribed through the **App Store**, the payment went to Apple, so the refund has to be requested from Apple; we can't issue it from our side.

        1. Go to **reportaproblem.apple.com** and sign in with your Apple ID.
        2. Choose **Request a refund**, pick the reason, and select the Tallyo subscription.
        3. Submit. Apple usually replies within a couple of days.

        To stop future charges, cancel in **iPhone Settings → [your name] → Subscriptions → Tallyo**. Sorry for the extra hoops!
    """)
    items.append(
        _item(
            "support",
            "I subscribed through the App Store by accident. Please refund me.",
            good,
            context=_ctx("tallyo"),
            weak=T("""
        Subscriptions bought through the App Store are handled by Apple, so you need to ask Apple for the refund. You can do this on Apple's website. You can also cancel in your iPhone settings so you don't get charged again.
    """),
            flaws=[
                (
                    "the payment went to Apple, so the refund has to be requested from Apple; we can't issue it from our side.",
                    "I've gone ahead and refunded it for you from our side; you'll see it in 3-5 days.",
                    "Claims a refund the assistant cannot issue (App Store purchases must be refunded by Apple), then still lists Apple's steps.",
                    "major",
                ),
            ],
        )
    )

    # ------------------------------------------------------------------ GreenCrate
    name = rng.choice(NAMES)
    missing = rng.choice(["the salmon fillets", "the chicken thighs", "the two limes", "the tortillas"])
    good = T(f"""
        Oh no, {name}, I'm sorry {missing} were missing! Nobody wants to discover that halfway through a recipe.

        I've noted it, and since you're reporting it within 7 days, we'll add a **credit to your GreenCrate account** for the missing item. Credits apply automatically to your next box.

        Could you confirm which recipe it was for? That helps our packing team track down what went wrong.

        Happy cooking!
    """)
    items.append(
        _item(
            "support",
            f"My box came yesterday and {missing} were missing. Can I get my money back?",
            good,
            context=_ctx("greencrate"),
            weak=T("""
        Sorry about that! We'll add a credit for the missing item to your account and it'll be used on your next box. Let us know which recipe it was for so we can look into it with the packing team.
    """),
            flaws=[
                (
                    "we'll add a **credit to your GreenCrate account** for the missing item. Credits apply automatically to your next box.",
                    "we'll refund the cost of the missing item to your card within 3-5 days.",
                    "Wrong policy: missing items are credited to the GreenCrate account, not refunded to the card.",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}! I'm sorry, but the cutoff to skip or change next week's delivery was **Wednesday at 11:59 pm**, so next week's box is already locked in and being prepared.

        What you can still do:

        - **Skip the week after** (or any later week) from **Manage deliveries** right now.
        - Have next week's box sent anyway, and ask a neighbour or friend to grab it; it's packed with ice packs to stay cold.

        Tip: set a reminder for Wednesdays so it's easy to skip in time next time.
    """)
    items.append(
        _item(
            "support",
            "It's Thursday and I just realised I'll be away next week. Can you skip next week's box?",
            good,
            context=_ctx("greencrate", [("user", "hi"), ("assistant", f"Hi {name}! How can I help today?")]),
            weak=T("""
        Unfortunately the deadline to skip next week was Wednesday at 11:59 pm, so it can't be skipped now. You can skip future weeks in the Manage deliveries section of your account, as long as you do it before the Wednesday cutoff.
    """),
            flaws=[
                (
                    "I'm sorry, but the cutoff to skip or change next week's delivery was **Wednesday at 11:59 pm**, so next week's box is already locked in and being prepared.",
                    "Done! I've skipped next week's box for you, so you won't be charged.",
                    "Skips a week after the Wednesday cutoff, which the policy doesn't allow (and contradicts the options that follow).",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Sounds like an amazing trip, {name}!

        You can pause for up to **8 weeks** at a time, so a 3-month pause takes two steps:

        1. Go to **Account → Subscription → Pause** and choose 8 weeks.
        2. Set a reminder near the end of the pause and either pause again or skip the remaining weeks individually under **Manage deliveries**.

        Any weeks still open before Wednesday's cutoff can also simply be skipped. Enjoy your travels!
    """)
    items.append(
        _item(
            "support",
            "I'm travelling for 3 months. Can I pause my GreenCrate subscription for the whole time?",
            good,
            context=_ctx("greencrate"),
            alt=T(f"""
        Hi {name}! Pauses can be up to 8 weeks, so for 3 months you'd pause for 8 weeks now and then extend it or skip the remaining weeks when the pause ends. You can do all of this from your Subscription settings. Have a great trip!
    """),
            flaws=[
                (
                    "You can pause for up to **8 weeks** at a time, so a 3-month pause takes two steps:",
                    "You can pause for up to **16 weeks** at a time, so you can cover the whole trip in one go:",
                    "Wrong policy: the maximum pause is 8 weeks (the steps that follow also no longer match).",
                    "major",
                ),
            ],
        )
    )

    name = rng.choice(NAMES)
    good = T(f"""
        Hi {name}, I understand the worry! Deliveries can arrive any time between **8 am and 8 pm** on your delivery day, so there's still time for it to turn up.

        - Your tracking link in today's shipping email shows the driver's progress.
        - Boxes are packed with insulation and ice packs, so they stay cold for several hours after delivery.

        If it hasn't arrived by 8 pm, message us again and we'll add a credit or arrange a solution for the missing box.
    """)
    items.append(
        _item(
            "support",
            "It's 6 pm and my box still isn't here. Is it coming today?",
            good,
            context=_ctx("greencrate"),
            weak=T("""
        Deliveries can come any time up to 8 pm, so it should still arrive today. Please check your tracking link for more information. The box is insulated, so the food will stay cold for a while after it's delivered. Let us know if it doesn't turn up by then.
    """),
            flaws=[
                (
                    "Hi {name}, I understand the worry! Deliveries can arrive any time between **8 am and 8 pm** on your delivery day, so there's still time for it to turn up.".replace(
                        "{name}", name
                    ),
                    "Deliveries run until 8 pm. It's 6 pm. You'll have to wait like everyone else.",
                    "Curt, rude tone toward a worried customer.",
                    "major",
                ),
            ],
        )
    )
    return items


# =============================================================================== email
def build_email(rng: random.Random) -> list[dict]:
    items = []
    me = lambda: rng.choice(NAMES)  # noqa: E731

    # 1. time off
    mgr, sender = rng.choice(["Karen", "Luis", "Ade", "Mirela"]), me()
    d1, d2, dback = rng.choice(
        [
            ("May 12", "May 16", "May 19"),
            ("August 4", "August 8", "August 11"),
            ("October 20", "October 24", "October 27"),
        ]
    )
    prompt = (
        f"Write a short email to my manager {mgr} asking for time off from {d1} to {d2} for a family wedding. "
        f"Mention that Tomás can cover my tickets and I'll finish the Q3 report before I go."
    )
    good = T(f"""
        **Subject:** Time off request: {d1}-{d2}

        Hi {mgr},

        I'd like to request time off from **{d1} to {d2}** (five working days) to attend a family wedding. I'll be back on {dback}.

        To keep things running while I'm out:

        - **Tomás** has agreed to cover my support tickets.
        - I'll have the **Q3 report** finished and shared before I leave.

        Please let me know if those dates work or if you'd like to discuss anything.

        Thanks,
        {sender}
    """)
    weak = T(f"""
        **Subject:** Vacation

        Hi {mgr},

        I need some time off in a few weeks for a wedding. I'll make sure my work is covered while I'm away and that nothing important is left unfinished. Let me know if that's OK.

        Thanks,
        {sender}
    """)
    items.append(
        _item(
            "email",
            prompt,
            good,
            weak=weak,
            flaws=[
                (
                    f"I'd like to request time off from **{d1} to {d2}**",
                    f"I'd like to request time off from **{d1} to {dback}**",
                    f"Wrong dates: the user asked for {d1} to {d2}; {dback} is the return date.",
                    "major",
                ),
                (
                    "- I'll have the **Q3 report** finished and shared before I leave.\n",
                    "",
                    "Missing requested content: the email leaves out the Q3 report commitment.",
                    "major",
                ),
            ],
        )
    )

    # 2. interview follow-up
    who, sender, role = (
        rng.choice(["Ms. Alvarez", "Dr. Chen", "Mr. Osei"]),
        me(),
        rng.choice(["Data Analyst", "UX Designer", "Backend Engineer"]),
    )
    good = T(f"""
        **Subject:** Thank you - {role} interview

        Dear {who},

        Thank you for taking the time to speak with me on Tuesday about the {role} role. I enjoyed learning about how your team is rebuilding the customer onboarding flow, and our conversation made me even more excited about the position.

        I was particularly interested in your point about reducing drop-off in the first week. In my current role I led a similar project that cut early churn by 18%, and I'd love to bring that experience to your team.

        Please let me know if there's anything else I can provide. I look forward to hearing about next steps.

        Best regards,
        {sender}
    """)
    alt = T(f"""
        **Subject:** Following up on Tuesday's interview

        Dear {who},

        Thanks again for the conversation on Tuesday. It was great to hear more about the {role} position and the onboarding work your team is doing.

        I'm very interested in the role and happy to share work samples or references if that would help.

        Best,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"Help me write a thank-you email after my interview on Tuesday for the {role} job. Interviewer was {who}. We talked about their onboarding redesign and I mentioned I cut churn 18% at my current job.",
            good,
            alt=alt,
            alt_pref="good",
            flaws=[
                (
                    "cut early churn by 18%",
                    "cut early churn by 80%",
                    "Wrong number: the user said 18%, and an inflated claim could backfire in a job application.",
                    "major",
                ),
            ],
        )
    )

    # 3. decline meeting
    sender, org = me(), rng.choice(["Jordan", "Beth", "Rafael"])
    good = T(f"""
        **Subject:** Re: Vendor sync on Thursday

        Hi {org},

        Thanks for the invite. Unfortunately I have a conflicting deadline on Thursday afternoon and won't be able to join the vendor sync.

        Could we do either of these instead?

        - **Friday, 10:00-10:30**
        - **Monday, 2:00-2:30**

        If the meeting needs to go ahead Thursday, I'm happy to send my notes on the pricing proposal beforehand so the discussion isn't held up.

        Best,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"Draft a polite reply declining {org}'s Thursday vendor sync. Offer Friday 10-10:30 or Monday 2-2:30 instead, and offer to send my notes on the pricing proposal.",
            good,
            weak=T(f"""
        Hi {org},

        Sorry, I can't make Thursday because of another deadline. Can we move it to another day? I'm fairly free on Friday morning and Monday afternoon. Let me know what works for you and I'll make it happen.

        Thanks,
        {sender}
    """),
            flaws=[
                (
                    "- **Monday, 2:00-2:30**",
                    "- **Monday, 12:00-12:30**",
                    "Wrong time: the user offered Monday 2-2:30.",
                    "major",
                ),
                (
                    "Thanks for the invite. Unfortunately I have a conflicting deadline on Thursday afternoon and won't be able to join the vendor sync.",
                    "I can't do Thursday. These vendor syncs rarely need me anyway.",
                    "Curt, dismissive tone; the user asked for a polite reply.",
                    "major",
                ),
            ],
        )
    )

    # 4. deadline extension (with context, revision)
    sender, prof = me(), rng.choice(["Professor Nakamura", "Dr. Whitfield", "Professor Adeyemi"])
    draft = T(f"""
        Hi {prof},

        I was wondering if I could get an extension on the essay. I've been sick. Would next week be ok?

        Thanks,
        {sender}
    """)
    good = T(f"""
        **Subject:** Extension request: HIST 214 essay

        Dear {prof},

        I'm writing to ask whether I could have a short extension on the HIST 214 research essay, currently due this Friday. I was ill with the flu for most of last week and lost several days of work; I can provide a note from the campus health centre.

        I have completed my research and about half of the draft, and I'm confident I could submit a finished essay by **Wednesday, 5 pm**.

        Thank you for considering this request.

        Kind regards,
        {sender}
    """)
    items.append(
        _item(
            "email",
            "Can you make this more formal and specific? It's for HIST 214, due Friday, I had the flu last week and have a health centre note, and I'd like until Wednesday 5pm.",
            good,
            context=[
                {
                    "role": "user",
                    "content": "Write a quick email to my professor asking for an extension on my essay.",
                },
                {"role": "assistant", "content": draft},
            ],
            weak=T(f"""
        Dear {prof},

        I would like to request an extension for my HIST 214 essay due to illness. I have a note from the health centre. Would it be possible to submit it by Wednesday at 5 pm instead?

        Kind regards,
        {sender}
    """),
            flaws=[
                (
                    "I can provide a note from the campus health centre.",
                    "I'm sure you'll understand, since these things happen to everyone.",
                    "Drops the health-centre note the user asked to mention, replacing it with a presumptuous line.",
                    "major",
                ),
                (
                    "by **Wednesday, 5 pm**",
                    "by **Thursday, 5 pm**",
                    "Wrong deadline: the user asked for Wednesday 5 pm.",
                    "major",
                ),
            ],
        )
    )

    # 5. introduce colleagues
    sender = me()
    a, b = rng.sample(
        ["Grace (data engineering)", "Omar (customer success)", "Lena (finance)", "Victor (security)"], 2
    )
    an, bn = a.split()[0], b.split()[0]
    adept, bdept = a.split("(")[1].rstrip(")"), b.split("(")[1].rstrip(")")
    good = T(f"""
        **Subject:** Intro: {an} <> {bn}

        Hi {an} and {bn},

        I wanted to connect you two, as I think you'd both benefit from a quick chat.

        - **{an}** works in {adept} and is planning the new reporting pipeline for next quarter.
        - **{bn}** is on the {bdept} team and has been collecting requirements for exactly that kind of reporting.

        I'll let you take it from here; a 30-minute call in the next couple of weeks would probably be a great start.

        Cheers,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"Write a short intro email connecting {a} and {b}. {an} is planning a new reporting pipeline and {bn} has been gathering reporting requirements.",
            good,
            alt=T(f"""
        **Subject:** Connecting you two

        {an}, meet {bn}; {bn}, meet {an}.

        {an} is building the new reporting pipeline in {adept}, and {bn} has spent the last few weeks gathering reporting requirements on the {bdept} side. It seems like a perfect match, so I'll step back and let you two find a time.

        Best,
        {sender}
    """),
            flaws=[
                (
                    f"- **{an}** works in {adept} and is planning the new reporting pipeline for next quarter.\n- **{bn}** is on the {bdept} team and has been collecting requirements for exactly that kind of reporting.",
                    f"- **{an}** is on the {bdept} team and has been collecting requirements for reporting.\n- **{bn}** works in {adept} and is planning the new reporting pipeline for next quarter.",
                    "Swaps who does what: the user said the first person plans the pipeline and the second gathers requirements.",
                    "major",
                ),
            ],
        )
    )

    # 6. landlord heating
    sender, unit = me(), rng.choice(["3B", "12", "4A", "207"])
    good = T(f"""
        **Subject:** Heating not working in Apt {unit}, repair needed

        Dear Mr. Haldane,

        I'm writing to let you know that the heating in Apartment {unit} has not been working since Sunday evening. The radiators stay cold even with the thermostat set to 22°C, and the indoor temperature has dropped to about 14°C at night.

        Could you please arrange for a repair as soon as possible? I'm available to let a technician in any weekday after 4 pm, or on Saturday morning.

        Thank you for your help.

        Best regards,
        {sender}
        Apt {unit}
    """)
    items.append(
        _item(
            "email",
            f"Email my landlord Mr. Haldane: heating in apt {unit} broken since Sunday evening, radiators cold even at 22°C on the thermostat, it's about 14°C inside at night. I can let someone in weekdays after 4 or Saturday morning. Firm but polite.",
            good,
            weak=T(f"""
        Dear Mr. Haldane,

        The heating in my apartment isn't working and it's getting very cold, especially at night. Please can you send someone to fix it as soon as possible? Let me know when they can come so I can make sure I'm home.

        Thanks,
        {sender}
    """),
            flaws=[
                (
                    "Could you please arrange for a repair as soon as possible?",
                    "Frankly this is unacceptable and I expect it fixed today or I'll stop paying rent.",
                    "Hostile tone and a threat; the user asked for firm but polite.",
                    "major",
                ),
                (
                    "I'm available to let a technician in any weekday after 4 pm, or on Saturday morning.\n\n",
                    "",
                    "Missing requested detail: omits when the tenant can let a technician in.",
                    "minor",
                ),
            ],
        )
    )

    # 7. lost baggage
    sender = me()
    flight, ref = rng.choice(["AZ 612", "LH 1830", "BA 2540", "KL 1275"]), f"FRA{rng.randint(10000, 99999)}"
    good = T(f"""
        **Subject:** Delayed baggage claim {ref}, flight {flight}

        Dear Customer Relations team,

        My checked bag did not arrive on flight **{flight}** on 2 June. I reported it at the airport the same day and received file reference **{ref}**. It is now nine days later and the online tracker still shows "tracing in progress".

        Since the bag went missing I have had to buy essential clothing and toiletries, totalling €186.40. Receipts are attached.

        I would like:

        1. An update on the location of my bag and a delivery date.
        2. Reimbursement of the €186.40 in essential expenses.

        Please reply within 14 days. I can be reached at this email address.

        Yours sincerely,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"Write a complaint to the airline. Bag didn't arrive on {flight} on 2 June, reported same day, reference {ref}, still 'tracing' 9 days later. I spent €186.40 on essentials (have receipts). Want an update and reimbursement.",
            good,
            weak=T(f"""
        Hello,

        My bag never arrived after my flight and it has been over a week. This is really frustrating. I have had to buy a lot of things to replace what was in it. Please find my bag and pay me back for what I bought.

        {sender}
    """),
            flaws=[
                (
                    "totalling €186.40. Receipts are attached.",
                    "totalling €168.40. Receipts are attached.",
                    "Wrong number: transposes the expense amount (the user spent €186.40), which would not match the receipts.",
                    "major",
                ),
            ],
        )
    )

    # 8. mentor thank-you
    sender, mentor = me(), rng.choice(["Anita", "Gabriel", "Ruth"])
    good = T(f"""
        **Subject:** Thank you

        Hi {mentor},

        Now that the mentorship programme has wrapped up, I wanted to say a proper thank you. Our monthly chats over the past year made a real difference to me.

        In particular, your advice to "write the decision doc before the code" changed how I approach projects; the migration I led in the spring went far more smoothly because of it. And your encouragement gave me the confidence to apply for the team lead role, which I start next month.

        I hope we can keep in touch, and coffee is on me next time.

        With gratitude,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"I want to thank my mentor {mentor} now that our year-long mentorship is over. Her advice to write the decision doc before the code really helped with my spring migration project, and she encouraged me to apply for team lead (I got it, starting next month). Warm but not gushing.",
            good,
            alt=T(f"""
        **Subject:** A year of mentorship: thank you!

        Dear {mentor},

        I can't thank you enough for everything over this past year. You have been the most incredible, inspiring mentor anyone could ask for, and I truly don't know where I would be without you. Every conversation was a gift.

        Your advice about decision docs transformed my spring migration, and your belief in me is the reason I'm starting as team lead next month.

        Forever grateful,
        {sender}
    """),
            alt_pref="good",
            flaws=[
                (
                    "which I start next month.",
                    "which I start next year.",
                    "Wrong detail: the new role starts next month.",
                    "minor",
                ),
            ],
        )
    )

    # 9. reference letter
    sender, prof = me(), rng.choice(["Professor Lindqvist", "Dr. Mbeki", "Professor Hart"])
    good = T(f"""
        **Subject:** Reference request for MSc applications

        Dear {prof},

        I hope you're well. I took your Environmental Economics seminar in autumn 2023 (final grade A) and wrote my thesis on urban heat islands under your supervision.

        I'm applying to MSc programmes in Climate Policy, with the first deadline on **January 15**, and I'd be very grateful if you would be willing to write a reference letter for me.

        To make it as easy as possible, I can send:

        - my CV and personal statement,
        - a copy of my thesis,
        - the list of programmes with their submission links and deadlines.

        I completely understand if you're too busy at the moment. Thank you for considering it.

        Kind regards,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"Ask {prof} for a reference letter for MSc Climate Policy applications, first deadline January 15. I took her Environmental Economics seminar in autumn 2023 (got an A) and she supervised my thesis on urban heat islands. Offer to send CV, statement, thesis and the list of programmes.",
            good,
            weak=T(f"""
        Dear {prof},

        Would you be able to write me a reference letter for my master's applications? The first deadline is in January. I really enjoyed your class. Let me know if you need anything from me.

        Thank you,
        {sender}
    """),
            flaws=[
                (
                    "with the first deadline on **January 15**",
                    "with the first deadline on **January 5**",
                    "Wrong date: the first deadline is January 15.",
                    "major",
                ),
            ],
        )
    )

    # 10. invoice reminder (+ 11. revision of it with context)
    sender = me()
    client, inv, amt = (
        rng.choice(["Harbour Dental", "Lumen Studio", "Pine & Co."]),
        f"INV-{rng.randint(1000, 1999)}",
        rng.choice(["$2,400.00", "$1,850.00", "$3,125.00"]),
    )
    good = T(f"""
        **Subject:** Friendly reminder: invoice {inv} ({amt})

        Hi there,

        I hope all is well at {client}. This is a quick reminder that invoice **{inv}** for **{amt}**, sent on March 3 with 30-day terms, is now two weeks past due.

        I've attached a copy for convenience. If it has already been paid, please disregard this message, and if there's any issue with the invoice, just let me know and I'll be happy to help.

        Payment details are on the invoice; bank transfer or card both work.

        Thanks very much,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"Write a polite reminder to {client} about unpaid invoice {inv} for {amt}, sent March 3 with 30-day terms (now 2 weeks overdue).",
            good,
            weak=T(f"""
        Hi,

        Just a reminder that invoice {inv} hasn't been paid yet and is now past the due date. Please pay it as soon as possible. Let me know if you have any questions about it or if you need me to resend it.

        Thanks,
        {sender}
    """),
            flaws=[
                (
                    "is now two weeks past due.",
                    "is now two months past due.",
                    "Wrong detail: the invoice is two weeks overdue, not two months.",
                    "major",
                ),
                (
                    "If it has already been paid, please disregard this message, and if there's any issue with the invoice, just let me know and I'll be happy to help.",
                    "I'm sure you simply forgot, as clients often do, but I do need to get paid for my work.",
                    "Passive-aggressive tone in what was meant to be a polite reminder.",
                    "major",
                ),
            ],
        )
    )

    good2 = T(f"""
        **Subject:** Second reminder: invoice {inv} ({amt}) now four weeks overdue

        Dear {client} accounts team,

        I'm following up on invoice **{inv}** for **{amt}**, issued on March 3 with 30-day payment terms. I sent a reminder two weeks ago but have not yet received payment or a reply.

        Please arrange payment by **Friday, May 2**. If there is a problem with the invoice or you need to set up a payment plan, please contact me before that date so we can resolve it.

        As per the terms in our agreement, a late fee of 1.5% per month may apply to balances outstanding after that date.

        Kind regards,
        {sender}
    """)
    items.append(
        _item(
            "email",
            "They still haven't paid. Write a firmer second reminder: ask for payment by Friday May 2 and mention the 1.5% monthly late fee from our contract. Still professional.",
            good2,
            context=[
                {
                    "role": "user",
                    "content": f"Write a polite reminder to {client} about unpaid invoice {inv} for {amt}, sent March 3 with 30-day terms.",
                },
                {"role": "assistant", "content": good},
            ],
            weak=T(f"""
        Dear {client},

        This is a second reminder about invoice {inv} for {amt}, which is now overdue. I have not received a reply to my previous email. Please pay by May 2. Late fees may apply as per our agreement.

        Regards,
        {sender}
    """),
            flaws=[
                (
                    "a late fee of 1.5% per month may apply",
                    "a late fee of 15% per month may apply",
                    "Wrong number: the contract's late fee is 1.5% per month.",
                    "major",
                ),
            ],
        )
    )

    # 12. team offsite
    sender = me()
    good = T(f"""
        **Subject:** Team offsite, Thursday June 12 at Millpond Farm

        Hi team,

        Our summer offsite is confirmed! Here are the details:

        | | |
        |---|---|
        | **When** | Thursday, June 12, 9:30 am - 4:30 pm |
        | **Where** | Millpond Farm, 22 Orchard Road |
        | **Getting there** | Coach leaves the office at 8:45 am sharp |
        | **Food** | Breakfast, lunch and snacks provided |

        **Please reply by June 2** with any dietary requirements, and let me know if you'll drive yourself instead of taking the coach.

        The morning is for roadmap planning; the afternoon is a cooking workshop, so wear clothes you don't mind getting messy!

        See you there,
        {sender}
    """)
    items.append(
        _item(
            "email",
            "Write an email to my team announcing the offsite: Thu June 12, 9:30-4:30, Millpond Farm, 22 Orchard Road. Coach from the office at 8:45. Food provided. Dietary needs by June 2. Morning roadmap planning, afternoon cooking workshop.",
            good,
            weak=T(f"""
        Hi all,

        We're having a team offsite on June 12 at Millpond Farm. There will be planning in the morning and a fun activity in the afternoon. More details to follow soon. Let me know about any dietary requirements!

        {sender}
    """),
            flaws=[
                (
                    "| **Getting there** | Coach leaves the office at 8:45 am sharp |",
                    "| **Getting there** | Coach leaves the office at 9:45 am sharp |",
                    "Wrong time: the coach leaves at 8:45, and 9:45 would arrive after the 9:30 start.",
                    "major",
                ),
                (
                    "**Please reply by June 2** with any dietary requirements",
                    "**Please reply by June 12** with any dietary requirements",
                    "Wrong deadline: dietary requirements are due June 2, not the day of the event.",
                    "major",
                ),
            ],
        )
    )

    # 13. resignation
    sender, boss = me(), rng.choice(["Sandra", "Marcus", "Ines"])
    good = T(f"""
        **Subject:** Resignation - {sender}

        Dear {boss},

        Please accept this email as formal notice of my resignation from my position as Marketing Coordinator. In line with my four-week notice period, my last day will be **Friday, September 26**.

        I'm grateful for the opportunities I've had here over the past three years, especially the chance to lead the spring product launch campaign.

        Over the coming weeks I'll document my ongoing projects and help hand them over, including onboarding whoever takes on the newsletter.

        Thank you for your support and guidance.

        Best regards,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"I need to resign. Write the email to my manager {boss}. I'm Marketing Coordinator, 3 years here, 4-week notice so last day is Friday September 26. Thank her for the spring launch opportunity and offer to hand over, including the newsletter.",
            good,
            alt=T(f"""
        **Subject:** Notice of resignation

        Hi {boss},

        I wanted to let you know that I've decided to move on, and I'm resigning from my role as Marketing Coordinator. My last day will be Friday, September 26, which gives the four weeks' notice in my contract.

        Thank you for three great years, and particularly for trusting me with the spring launch. I'll make sure the newsletter and my other projects are handed over properly before I go.

        All the best,
        {sender}
    """),
            flaws=[
                (
                    "my last day will be **Friday, September 26**",
                    "my last day will be **Friday, September 19**",
                    "Wrong date: the last day is September 26 (September 19 would only be three weeks' notice).",
                    "major",
                ),
            ],
        )
    )

    # 14. apology to client
    sender, client = me(), rng.choice(["Tessa", "Mr. Ibrahim", "Colin"])
    good = T(f"""
        **Subject:** Apologies for the delayed design files

        Hi {client},

        I'm sorry that the final design files weren't delivered on Monday as promised. That's on us: a production issue with the print-ready exports took longer to fix than we expected, and we should have told you sooner.

        Here's where things stand:

        - The corrected files will be in your shared folder by **Thursday at noon**.
        - We're not charging for the rush proof you requested last week.

        Thank you for your patience, and I'm happy to jump on a call if that would help.

        Best regards,
        {sender}
    """)
    items.append(
        _item(
            "email",
            f"Apologise to our client {client}: final design files promised Monday, late due to a problem with print-ready exports, we should have warned them earlier. New delivery Thursday noon, and we'll waive the rush proof fee.",
            good,
            weak=T(f"""
        Hi {client},

        Sorry for the delay with the design files. We ran into some technical problems. They will be ready soon and we will send them to you as soon as they are done. Thank you for understanding, and sorry again for the inconvenience.

        {sender}
    """),
            flaws=[
                (
                    "That's on us: a production issue with the print-ready exports took longer to fix than we expected, and we should have told you sooner.",
                    "Unfortunately your late feedback in the last round caused some issues with the print-ready exports.",
                    "Shifts blame to the client, the opposite of the apology the user asked for.",
                    "major",
                ),
                (
                    "- We're not charging for the rush proof you requested last week.\n",
                    "",
                    "Missing requested content: the rush-proof fee waiver is not mentioned.",
                    "major",
                ),
            ],
        )
    )

    # 15. shorten (context revision)
    sender = me()
    long_draft = T(f"""
        Hi everyone,

        I hope this message finds you all well and that you had a restful weekend. I wanted to reach out to let you all know about an important change that will be happening soon regarding how we handle expense reports. Starting on the first of next month, which is July 1, we will no longer be accepting paper receipts for expense reports. Instead, all receipts will need to be uploaded through the new Expensa app, which you can download from the company portal. There will be a training session on Thursday at 3 pm in Room 4 for anyone who would like to learn how to use it. If you have any questions or concerns, please don't hesitate to reach out to me or anyone else on the finance team.

        Best wishes,
        {sender}
    """)
    good = T(f"""
        **Subject:** From July 1: expense receipts via Expensa only

        Hi all,

        From **July 1**, paper receipts will no longer be accepted. Please upload all receipts through the **Expensa** app (download it from the company portal).

        **Training:** Thursday, 3 pm, Room 4.

        Questions? Contact me or anyone in finance.

        Thanks,
        {sender}
    """)
    items.append(
        _item(
            "email",
            "This is way too long, can you cut it to the essentials?",
            good,
            context=[
                {
                    "role": "user",
                    "content": "Write an email to the office about the new expense app. No more paper receipts from July 1, use Expensa from the company portal, training Thursday 3pm in Room 4.",
                },
                {"role": "assistant", "content": long_draft},
            ],
            alt=T(f"""
        Hi all,

        Quick update: starting July 1, please submit all expense receipts through the Expensa app (available on the company portal) instead of on paper. There's a training session this Thursday at 3 pm in Room 4. Reach out to finance with any questions.

        Thanks,
        {sender}
    """),
            flaws=[
                (
                    "**Training:** Thursday, 3 pm, Room 4.",
                    "**Training:** Thursday, 3 pm, Room 14.",
                    "Wrong room: the training is in Room 4.",
                    "major",
                ),
            ],
        )
    )
    return items
