"""Hand-written coding, shell, SQL and regex items for ``generations.jsonl``.

Every item has a ``good`` answer, optionally an ``alt`` (a different, also
reasonable answer), a ``weak`` answer (correct but less helpful) and a list of
``flaws``: ``(old, new, description, severity)`` substitutions that turn
``good`` into a deliberately flawed answer.  ``alt_pref`` says which of
good/alt the writer prefers ("good", "alt" or "tie").
"""

from __future__ import annotations

from textwrap import dedent


def T(s: str) -> str:
    return dedent(s).strip("\n")


FENCE = "```"

ITEMS: list[dict] = []


def item(**kw) -> None:
    kw.setdefault("alt", None)
    kw.setdefault("alt_pref", "tie")
    kw.setdefault("weak", None)
    kw.setdefault("flaws", [])
    kw.setdefault("context", None)
    ITEMS.append(kw)


# ---------------------------------------------------------------------------- python
item(
    family="coding",
    prompt="How do I remove duplicates from a list in Python but keep the original order?",
    good=T("""
        Use `dict.fromkeys()`. Dictionary keys are unique and dicts keep insertion order (guaranteed since Python 3.7), so the first occurrence of each value wins:

        ```python
        items = [3, 1, 3, 2, 1, 5]
        unique = list(dict.fromkeys(items))
        print(unique)  # [3, 1, 2, 5]
        ```

        If the elements are not hashable (for example, lists of lists), fall back to a loop:

        ```python
        def dedupe(seq):
            out = []
            for x in seq:
                if x not in out:
                    out.append(x)
            return out
        ```

        That version is O(n²) because `x not in out` scans the list, so keep it for small inputs.
    """),
    alt=T("""
        A readable, general approach is to remember what you've already seen in a set:

        ```python
        def unique_in_order(items):
            seen = set()
            result = []
            for item in items:
                if item not in seen:
                    seen.add(item)
                    result.append(item)
            return result

        print(unique_in_order(["b", "a", "b", "c", "a"]))  # ['b', 'a', 'c']
        ```

        Set lookups are O(1) on average, so the whole function is O(n). The one-liner `list(dict.fromkeys(items))` does the same thing by relying on dicts preserving insertion order.
    """),
    weak=T("""
        You can just do `list(dict.fromkeys(my_list))`. It keeps the first time each element appears and drops the later copies, and the order stays the same as in the original list. It works for numbers and strings and anything else you could use as a dictionary key.
    """),
    flaws=[
        (
            "unique = list(dict.fromkeys(items))",
            "unique = list(set(items))",
            "The code uses set(), which does not preserve order, so it contradicts the explanation and the printed result.",
            "major",
        ),
        (
            "print(unique)  # [3, 1, 2, 5]",
            "print(unique)  # [1, 2, 3, 5]",
            "The expected output in the comment is sorted; dict.fromkeys would give [3, 1, 2, 5].",
            "minor",
        ),
    ],
)

item(
    family="coding",
    prompt=T("""
        Why does this keep growing every time I call it?

        ```python
        def add_tag(tag, tags=[]):
            tags.append(tag)
            return tags
        ```
    """),
    good=T("""
        This is the classic **mutable default argument** gotcha.

        Default values are evaluated once, when the `def` statement runs, not on every call. So every call that omits `tags` shares the *same* list object:

        ```python
        add_tag("a")  # ['a']
        add_tag("b")  # ['a', 'b']  <- same list as before
        ```

        The idiomatic fix is to use `None` as a sentinel and create a fresh list inside the function:

        ```python
        def add_tag(tag, tags=None):
            if tags is None:
                tags = []
            tags.append(tag)
            return tags
        ```

        Use `is None` rather than `if not tags:` so that a caller who deliberately passes their own empty list still gets it modified. The same issue applies to `{}` and `set()` defaults.
    """),
    weak=T("""
        Default arguments in Python are only created once, so the list is shared between calls. Change the signature to `tags=None` and then inside the function write `if tags is None: tags = []`. After that each call gets its own new list and it will stop growing.
    """),
    flaws=[
        (
            "Default values are evaluated once, when the `def` statement runs, not on every call.",
            "Default values are evaluated every time the function is called, but Python caches the result.",
            "The explanation is wrong: default values are evaluated once at definition time, not on every call.",
            "major",
        ),
        (
            "    if tags is None:\n",
            "    if not tags:\n",
            "The fix uses `if not tags:` while the text recommends `is None`; it silently replaces a caller's own empty list.",
            "minor",
        ),
    ],
)

item(
    family="coding",
    prompt="Can you make it a generator instead, and raise an error if n is not positive?",
    context=[
        {"role": "user", "content": "Write a Python function that splits a list into chunks of size n."},
        {
            "role": "assistant",
            "content": "Sure:\n\n```python\ndef chunks(items, n):\n    return [items[i:i + n] for i in range(0, len(items), n)]\n```\n\n`chunks([1, 2, 3, 4, 5], 2)` returns `[[1, 2], [3, 4], [5]]`.",
        },
    ],
    good=T("""
        Here's a generator version with input validation:

        ```python
        def chunked(items, n):
            \"\"\"Yield successive n-sized chunks from a sequence.\"\"\"
            if n <= 0:
                raise ValueError(f"n must be a positive integer, got {n}")
            for start in range(0, len(items), n):
                yield items[start:start + n]
        ```

        Usage:

        ```python
        >>> list(chunked([1, 2, 3, 4, 5], 2))
        [[1, 2], [3, 4], [5]]
        ```

        Notes:

        - Because it yields, nothing is copied until you iterate, which helps with long lists.
        - It needs a sequence (something with `len()` and slicing). For arbitrary iterables, Python 3.12 added `itertools.batched(iterable, n)`, which yields tuples.
    """),
    alt=T("""
        Sure, this version works on any iterable (not just lists), using `itertools.islice`:

        ```python
        from itertools import islice

        def chunked(iterable, n):
            if n < 1:
                raise ValueError("n must be >= 1")
            it = iter(iterable)
            while batch := list(islice(it, n)):
                yield batch
        ```

        `list(chunked(range(7), 3))` gives `[[0, 1, 2], [3, 4, 5], [6]]`. It's a little slower than slicing a list directly, but it also works with files, generators and other streams.
    """),
    alt_pref="alt",
    flaws=[
        (
            "yield items[start:start + n]",
            "yield items[start:start + n - 1]",
            "Off-by-one: the slice drops the last element of every chunk.",
            "major",
        ),
        (
            "Python 3.12 added `itertools.batched(iterable, n)`, which yields tuples.",
            "Python 3.10 added `itertools.chunked(iterable, n)`, which yields lists.",
            "Hallucinated API: there is no itertools.chunked; the real function is itertools.batched (3.12+), which yields tuples.",
            "minor",
        ),
    ],
)

item(
    family="coding",
    prompt="My CSV is 6 GB and pandas runs out of memory when I call read_csv. What can I do?",
    good=T("""
        A few techniques, roughly in order of how much they usually help:

        1. **Only load the columns you need** with `usecols`.
        2. **Use smaller dtypes**: `category` for repetitive strings, `float32`/`int32` where precision allows.
        3. **Process the file in chunks** with `chunksize`, aggregating as you go.

        ```python
        import pandas as pd

        dtypes = {"store_id": "int32", "region": "category", "amount": "float32"}
        totals = None

        for chunk in pd.read_csv("sales.csv", usecols=list(dtypes), dtype=dtypes, chunksize=500_000):
            part = chunk.groupby("region", observed=True)["amount"].sum()
            totals = part if totals is None else totals.add(part, fill_value=0)

        print(totals.sort_values(ascending=False))
        ```

        If you need the whole table in memory afterwards, convert it once to Parquet (`df.to_parquet`) and read only the columns you need from that; it's much faster and smaller than CSV. For really large data, tools like DuckDB or Polars can query the CSV without loading it all.
    """),
    weak=T("""
        Try passing `chunksize` to `read_csv` so it reads the file in pieces instead of all at once, then handle each piece in a loop. You can also use `usecols` to skip columns you don't need. Otherwise you may just need a machine with more RAM.
    """),
    flaws=[
        (
            "dtype=dtypes, chunksize=500_000",
            "dtype=dtypes, batch_size=500_000",
            "Hallucinated parameter: read_csv has no batch_size argument (it is chunksize).",
            "major",
        ),
        (
            "part if totals is None else totals.add(part, fill_value=0)",
            "part if totals is None else part",
            "Aggregation bug: each chunk overwrites the running total instead of adding to it.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="What's the difference between `==` and `is` in Python? My colleague says always use `is` for strings.",
    good=T("""
        They answer different questions:

        | Operator | Question it asks | Calls |
        |---|---|---|
        | `==` | Do these two objects have equal *values*? | `__eq__` |
        | `is` | Are these the *same object* in memory? | nothing, compares identity |

        ```python
        a = [1, 2, 3]
        b = [1, 2, 3]
        a == b   # True  - same contents
        a is b   # False - two different list objects
        ```

        For strings, `is` sometimes *appears* to work because CPython interns some strings, but that's an implementation detail:

        ```python
        s = "hello world"
        t = " ".join(["hello", "world"])
        s == t   # True
        s is t   # False (usually)
        ```

        So your colleague's advice is risky: comparing strings with `is` can give wrong results depending on how the strings were created. Use `is` only for singletons like `None`, `True`/`False` or sentinel objects (`if x is None:`), and `==` for everything else.
    """),
    alt=T("""
        `==` compares values and `is` compares identity (whether both names point to the same object).

        - Use `==` for strings, numbers, lists, and basically all data.
        - Use `is` for `None` (PEP 8 recommends `x is None`), and for your own sentinel objects.

        `"abc" is "abc"` may print `True` in the REPL because of string interning, but strings built at runtime (from input, slicing, joining, files) are often distinct objects, so `is` would return `False` even though the text is equal. Newer Python versions even emit a `SyntaxWarning` for `is` with a literal, precisely because it's a common bug.
    """),
    flaws=[
        (
            "Use `is` only for singletons like `None`, `True`/`False` or sentinel objects (`if x is None:`), and `==` for everything else.",
            "For performance-sensitive code, though, `is` is fine for strings since CPython interns them; use `==` only when you're unsure.",
            "Gives unsafe advice: string identity is not guaranteed, so `is` on strings can return False for equal text.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="Write a function that checks if a string is a palindrome, ignoring case, spaces and punctuation, without building a new string.",
    good=T("""
        A two-pointer approach walks in from both ends and skips anything that isn't alphanumeric, so it uses O(1) extra memory:

        ```python
        def is_palindrome(s: str) -> bool:
            left, right = 0, len(s) - 1
            while left < right:
                if not s[left].isalnum():
                    left += 1
                elif not s[right].isalnum():
                    right -= 1
                elif s[left].lower() != s[right].lower():
                    return False
                else:
                    left += 1
                    right -= 1
            return True
        ```

        Examples:

        ```python
        is_palindrome("A man, a plan, a canal: Panama")  # True
        is_palindrome("race a car")                      # False
        is_palindrome("")                                # True
        ```

        It runs in O(n) time. For full Unicode case-insensitivity (e.g. German ß) you could use `.casefold()` instead of `.lower()`.
    """),
    weak=T("""
        ```python
        def is_palindrome(s):
            t = "".join(c.lower() for c in s if c.isalnum())
            return t == t[::-1]
        ```

        This strips out everything that's not a letter or digit, lowercases the rest and compares it with its reverse. (It does build a new string, but it's the simplest version.)
    """),
    flaws=[
        (
            "left, right = 0, len(s) - 1",
            "left, right = 0, len(s)",
            "Off-by-one: right starts at len(s), so s[right] raises IndexError on the first comparison.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="How can I add automatic retries to my requests.get calls? The API I'm calling is flaky and sometimes returns 503.",
    good=T("""
        `requests` doesn't retry on its own, but you can mount an `HTTPAdapter` configured with urllib3's `Retry`:

        ```python
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        retry = Retry(
            total=5,
            backoff_factor=0.5,               # 0.5s, 1s, 2s, 4s ... between attempts
            status_forcelist=[429, 500, 502, 503, 504],
            allowed_methods=["GET", "HEAD"],
        )

        session = requests.Session()
        session.mount("https://", HTTPAdapter(max_retries=retry))

        resp = session.get("https://api.example.com/v1/items", timeout=10)
        resp.raise_for_status()
        data = resp.json()
        ```

        A few tips:

        - Always pass a `timeout`; without it a hung connection can block forever.
        - Only retry idempotent methods (GET, HEAD, PUT, DELETE) unless the API supports idempotency keys.
        - `Retry` honours the `Retry-After` header on 429/503 responses by default.
    """),
    alt=T("""
        If you'd rather not touch adapters, the `tenacity` library gives you a decorator:

        ```python
        import requests
        from tenacity import retry, stop_after_attempt, wait_exponential, retry_if_exception_type

        @retry(stop=stop_after_attempt(5),
               wait=wait_exponential(multiplier=0.5, max=10),
               retry=retry_if_exception_type(requests.RequestException))
        def fetch(url):
            resp = requests.get(url, timeout=10)
            resp.raise_for_status()   # turns 503 into an HTTPError, which triggers a retry
            return resp.json()
        ```

        This retries on connection errors and on any 4xx/5xx. If you don't want to retry on 404, narrow the condition with `retry_if_exception` and check `exc.response.status_code`.
    """),
    alt_pref="good",
    flaws=[
        (
            'resp = session.get("https://api.example.com/v1/items", timeout=10)',
            'resp = session.get("https://api.example.com/v1/items", timeout=10, verify=False)  # avoids SSL errors',
            "Unsafe suggestion: disables TLS certificate verification for no reason.",
            "major",
        ),
        (
            "`requests` doesn't retry on its own, but you can",
            "The simplest option is `requests.get(url, retries=5)`. For more control you can",
            "Hallucinated API: requests.get has no `retries` parameter.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt=T("""
        I have a list of dicts like `{"name": "Ana", "score": 91}`. How do I sort by score, highest first, and for equal scores by name A-Z?
    """),
    good=T("""
        Sort by a tuple key and negate the numeric part so that it sorts descending while the name still sorts ascending:

        ```python
        rows = [
            {"name": "Ana", "score": 91},
            {"name": "Ben", "score": 78},
            {"name": "Cleo", "score": 91},
            {"name": "Abe", "score": 78},
        ]

        ranked = sorted(rows, key=lambda r: (-r["score"], r["name"]))
        for r in ranked:
            print(r["score"], r["name"])
        ```

        Output:

        ```text
        91 Ana
        91 Cleo
        78 Abe
        78 Ben
        ```

        Negation only works for numbers. If both keys were strings, sort twice instead (Python's sort is stable): first by the secondary key, then by the primary key with `reverse=True`.
    """),
    alt=T("""
        Because Python's sort is **stable**, you can do it in two passes: sort by the tie-breaker first, then by the main key.

        ```python
        rows.sort(key=lambda r: r["name"])                 # secondary: A-Z
        rows.sort(key=lambda r: r["score"], reverse=True)  # primary: high to low
        ```

        Items with equal scores keep the A-Z order from the first pass. This trick works for any key types, including strings, where you can't just negate the value.
    """),
    flaws=[
        (
            'ranked = sorted(rows, key=lambda r: (-r["score"], r["name"]))',
            'ranked = sorted(rows, key=lambda r: (r["score"], r["name"]), reverse=True)',
            "reverse=True on the tuple also reverses the names, so ties come out Z-A and the printed output is wrong.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="Quick script to print the 10 most common words in a text file?",
    good=T("""
        `collections.Counter` does the heavy lifting:

        ```python
        import re
        import sys
        from collections import Counter

        path = sys.argv[1]
        with open(path, encoding="utf-8") as f:
            words = re.findall(r"[a-z']+", f.read().lower())

        for word, count in Counter(words).most_common(10):
            print(f"{count:6d}  {word}")
        ```

        Run it as `python top_words.py book.txt`.

        - Lowercasing first means "The" and "the" are counted together.
        - The regex keeps apostrophes so "don't" stays one word.
        - To skip filler words, filter with a stop-word set before counting: `words = [w for w in words if w not in STOP]`.
    """),
    weak=T("""
        ```python
        from collections import Counter
        text = open("file.txt").read()
        print(Counter(text.split()).most_common(10))
        ```

        This splits on whitespace and counts. Punctuation will stick to words ("end." vs "end") and capitalised words are counted separately, but it's fine for a quick look. If you need something more careful, normalise the case and strip punctuation first.
    """),
    flaws=[
        (
            "Counter(words).most_common(10)",
            "Counter(words).top(10)",
            "Hallucinated API: Counter has no top() method; it is most_common(10).",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="How do I fetch 20 URLs concurrently with asyncio instead of one by one?",
    good=T("""
        Use `aiohttp` with a single session and `asyncio.gather`. A semaphore keeps you from opening too many connections at once:

        ```python
        import asyncio
        import aiohttp

        URLS = [f"https://example.com/page/{i}" for i in range(20)]

        async def fetch(session, sem, url):
            async with sem:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=15)) as resp:
                    resp.raise_for_status()
                    return await resp.text()

        async def main():
            sem = asyncio.Semaphore(5)
            async with aiohttp.ClientSession() as session:
                results = await asyncio.gather(
                    *(fetch(session, sem, u) for u in URLS),
                    return_exceptions=True,
                )
            for url, res in zip(URLS, results):
                status = "error" if isinstance(res, Exception) else f"{len(res)} chars"
                print(url, status)

        asyncio.run(main())
        ```

        `return_exceptions=True` means one failing URL doesn't cancel the rest; you get the exception object in its slot instead.
    """),
    alt=T("""
        If you don't want to switch to an async HTTP library, a thread pool gives you most of the benefit for I/O-bound work:

        ```python
        from concurrent.futures import ThreadPoolExecutor
        import requests

        def fetch(url):
            r = requests.get(url, timeout=15)
            r.raise_for_status()
            return r.text

        with ThreadPoolExecutor(max_workers=5) as pool:
            pages = list(pool.map(fetch, URLS))
        ```

        Note that `pool.map` re-raises the first exception when you iterate the results, so wrap `fetch` in a try/except if you want partial results.
    """),
    alt_pref="good",
    flaws=[
        (
            "        results = await asyncio.gather(",
            "        results = asyncio.gather(",
            "Missing await: asyncio.gather is never awaited, so results is a pending future and the loop over it fails.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="How do I turn a string like '03/14/2025' into a datetime in Python?",
    good=T("""
        Use `datetime.strptime` with a format string that matches the input:

        ```python
        from datetime import datetime

        s = "03/14/2025"
        dt = datetime.strptime(s, "%m/%d/%Y")
        print(dt)          # 2025-03-14 00:00:00
        print(dt.date())   # 2025-03-14
        ```

        The directives are `%m` (month, 01-12), `%d` (day of month) and `%Y` (four-digit year). If your data uses day-first dates (14/03/2025), swap them to `"%d/%m/%Y"`.

        For a whole pandas column, use `pd.to_datetime(df["date"], format="%m/%d/%Y")`, which is much faster than calling `strptime` row by row.
    """),
    weak=T("""
        `datetime.strptime("03/14/2025", "%m/%d/%Y")` will give you a datetime object for March 14, 2025. The second argument describes the format of the string. Look up the strftime directives in the docs if your format is different. For example `%d` is the day, `%m` the month and `%Y` the four-digit year.
    """),
    flaws=[
        (
            'dt = datetime.strptime(s, "%m/%d/%Y")',
            'dt = datetime.strptime(s, "%d/%m/%Y")',
            "Day and month are swapped in the format string, so '03/14/2025' raises ValueError (month 14).",
            "major",
        ),
        (
            "Use `datetime.strptime` with a format string",
            "Use `datetime.parse` (or `strptime`) with a format string",
            "Hallucinated API: datetime has no parse() method.",
            "minor",
        ),
    ],
)

item(
    family="coding",
    prompt="Why does `[1, 10, 2, 21].sort()` in JavaScript give `[1, 10, 2, 21]`?",
    good=T("""
        By default, `Array.prototype.sort()` converts elements to **strings** and sorts them in UTF-16 code unit order. As strings, `"10"` comes before `"2"` because `"1"` < `"2"`.

        Pass a compare function to sort numerically:

        ```javascript
        const nums = [1, 10, 2, 21];
        nums.sort((a, b) => a - b);
        console.log(nums); // [1, 2, 10, 21]
        ```

        The compare function should return a negative number if `a` goes first, positive if `b` goes first, and `0` if they're equal. For descending order use `(a, b) => b - a`.

        Also note that `sort()` mutates the array in place. If you need a sorted copy, use `toSorted()` (ES2023) or `[...nums].sort((a, b) => a - b)`.
    """),
    weak=T("""
        JavaScript sorts arrays as strings unless you tell it otherwise. Use `nums.sort((a, b) => a - b)` and you'll get them in numeric order. That's just how the language works, it's a bit of a well-known quirk. Most people run into it at some point.
    """),
    flaws=[
        (
            "nums.sort((a, b) => a - b);\nconsole.log(nums); // [1, 2, 10, 21]",
            "nums.sort((a, b) => b - a);\nconsole.log(nums); // [1, 2, 10, 21]",
            "The compare function b - a sorts descending, so the shown output [1, 2, 10, 21] is wrong.",
            "major",
        ),
    ],
)

item(
    family="shell",
    prompt="Bash one-liner to list the 10 biggest files under the current directory?",
    good=T("""
        ```bash
        find . -type f -exec du -h {} + | sort -rh | head -n 10
        ```

        How it works:

        - `find . -type f` lists regular files recursively.
        - `-exec du -h {} +` prints each file's disk usage in human-readable units, batching many files per `du` call.
        - `sort -rh` sorts by those human-readable sizes (`-h` understands K/M/G), largest first.
        - `head -n 10` keeps the top ten.

        If you want apparent size rather than disk usage, GNU `find` can print bytes directly:

        ```bash
        find . -type f -printf '%s\\t%p\\n' | sort -rn | head -n 10
        ```
    """),
    alt=T("""
        With GNU coreutils:

        ```bash
        du -ah . 2>/dev/null | sort -rh | head -n 10
        ```

        `du -a` includes files as well as directories, so directories (including `.`) will show up in the list too; they'll usually dominate the top. If you only want files, use `find . -type f -exec du -h {} + | sort -rh | head -n 10` instead.
    """),
    alt_pref="good",
    flaws=[
        (
            "find . -type f -exec du -h {} + | sort -rh | head -n 10\n```",
            "find . -type f -exec du -h {} + | sort -rh | tail -n 10\n```",
            "Uses tail on a descending sort, which returns the 10 smallest files, not the largest.",
            "major",
        ),
    ],
)

item(
    family="shell",
    prompt="My PHP app gets 'Permission denied' when it writes to /var/www/myapp/uploads. How do I fix it?",
    good=T("""
        The web server runs as its own user (usually `www-data` on Debian/Ubuntu, `apache` or `nginx` on RHEL-based systems), and that user needs write access to the uploads directory only.

        1. Check which user the server runs as:

           ```bash
           ps -o user= -C apache2,nginx,php-fpm8.2 | sort -u
           ```

        2. Give that user ownership of the uploads folder:

           ```bash
           sudo chown -R www-data:www-data /var/www/myapp/uploads
           ```

        3. Set sensible permissions: directories `755`, files `644`:

           ```bash
           sudo find /var/www/myapp/uploads -type d -exec chmod 755 {} +
           sudo find /var/www/myapp/uploads -type f -exec chmod 644 {} +
           ```

        Keep the rest of the code owned by your deploy user, not the web server, so a compromised script can't rewrite your application. If SELinux is enabled, you may also need `sudo chcon -R -t httpd_sys_rw_content_t /var/www/myapp/uploads`.
    """),
    weak=T("""
        It's a permissions issue: the web server user can't write to that folder. Change the owner of the uploads folder to the web server user with `chown` (on Ubuntu it's `www-data`). Then try the upload again and it should work.
    """),
    flaws=[
        (
            "2. Give that user ownership of the uploads folder:\n\n   ```bash\n   sudo chown -R www-data:www-data /var/www/myapp/uploads\n   ```",
            "2. Open up the permissions so nothing can block it:\n\n   ```bash\n   sudo chmod -R 777 /var/www\n   ```",
            "Unsafe suggestion: chmod -R 777 on the whole web root makes every file world-writable.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="What's the right way to store user passwords in my Flask app? Right now I just save them in the users table.",
    good=T("""
        Never store the plain password. Store a **slow, salted hash** and compare hashes at login. Werkzeug (which Flask already depends on) has helpers:

        ```python
        from werkzeug.security import generate_password_hash, check_password_hash

        # at sign-up
        user.password_hash = generate_password_hash(form_password)

        # at login
        if not check_password_hash(user.password_hash, form_password):
            abort(401)
        ```

        `generate_password_hash` uses a salted, deliberately slow algorithm (scrypt by default in recent Werkzeug versions) and stores the method and salt inside the resulting string, so you only need one column.

        Other points:

        - Migrate existing rows: force a password reset, or hash on next successful login.
        - Rate-limit login attempts.
        - If you prefer a dedicated library, `argon2-cffi` (Argon2id) and `bcrypt` are both good choices.
        - Don't use fast hashes like MD5 or SHA-256 on their own; they are built for speed, which helps attackers brute-force them.
    """),
    weak=T("""
        You should hash them instead of storing them in plain text. Use `generate_password_hash` from `werkzeug.security` when the user signs up and `check_password_hash` when they log in. That way if your database leaks nobody can read the actual passwords. You'll also need to update the existing users.
    """),
    flaws=[
        (
            "user.password_hash = generate_password_hash(form_password)",
            "user.password_hash = hashlib.md5(form_password.encode()).hexdigest()",
            "Unsafe suggestion: the code stores an unsalted MD5 hash, contradicting the advice below it.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="What does `[x**2 for x in range(10) if x % 2]` return?",
    good=T("""
        It returns the squares of the **odd** numbers from 0 to 9:

        ```python
        [1, 9, 25, 49, 81]
        ```

        Step by step:

        - `range(10)` produces 0, 1, 2, ..., 9.
        - `if x % 2` keeps `x` only when `x % 2` is truthy, i.e. non-zero, which is true for odd numbers.
        - `x**2` squares each kept value: 1, 3, 5, 7, 9 become 1, 9, 25, 49, 81.

        It's equivalent to:

        ```python
        result = []
        for x in range(10):
            if x % 2 != 0:
                result.append(x ** 2)
        ```
    """),
    weak=T("""
        It gives you `[1, 9, 25, 49, 81]`. The `if x % 2` part filters to odd numbers, because the remainder is 1 for odd numbers (truthy) and 0 for even numbers (falsy), and then each one is squared. So 1, 3, 5, 7 and 9 become 1, 9, 25, 49 and 81.
    """),
    flaws=[
        (
            "It returns the squares of the **odd** numbers from 0 to 9:\n\n```python\n[1, 9, 25, 49, 81]",
            "It returns the squares of the **even** numbers from 0 to 9:\n\n```python\n[0, 4, 16, 36, 64]",
            "Wrong result: `if x % 2` keeps odd numbers, so the answer is [1, 9, 25, 49, 81].",
            "major",
        ),
    ],
)

item(
    family="shell",
    prompt="I accidentally committed to main instead of a feature branch (haven't pushed). How do I move the commit?",
    good=T("""
        Since it isn't pushed, this is quick. Assuming it's just the last commit:

        ```bash
        # 1. Create the feature branch pointing at the current commit
        git branch feature/my-change

        # 2. Move main back one commit (the work stays on the new branch)
        git reset --hard HEAD~1

        # 3. Switch to the feature branch and keep working
        git switch feature/my-change
        ```

        Check with `git log --oneline --graph --all` that `main` is back where `origin/main` is and the commit lives on `feature/my-change`.

        A couple of cautions:

        - `reset --hard` discards uncommitted changes, so commit or stash anything else first.
        - If you made more than one commit, use `HEAD~N`, or reset directly to `origin/main`.
    """),
    alt=T("""
        An alternative that never leaves you without a reference to the commit:

        ```bash
        git switch -c feature/my-change   # new branch at the current commit, now checked out
        git branch -f main origin/main    # move main back to the remote position
        ```

        `git branch -f` moves the `main` label without touching your working tree, and because you're on the new branch, nothing is lost. This handles any number of accidental commits at once.
    """),
    alt_pref="tie",
    flaws=[
        (
            "# 1. Create the feature branch pointing at the current commit\ngit branch feature/my-change\n\n# 2. Move main back one commit (the work stays on the new branch)\ngit reset --hard HEAD~1\n\n# 3. Switch to the feature branch and keep working\ngit switch feature/my-change",
            "# 1. Move main back one commit\ngit reset --hard HEAD~1\n\n# 2. Create the feature branch and switch to it\ngit switch -c feature/my-change",
            "Missing step / wrong order: resetting before creating the branch leaves the commit unreferenced (only recoverable via reflog).",
            "major",
        ),
    ],
)

item(
    family="shell",
    prompt="Can you write a Dockerfile for a small Flask app? It has app.py and requirements.txt.",
    good=T("""
        ```dockerfile
        FROM python:3.12-slim

        ENV PYTHONDONTWRITEBYTECODE=1 \\
            PYTHONUNBUFFERED=1

        WORKDIR /app

        # Install dependencies first so this layer is cached between code changes
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt gunicorn

        COPY . .

        # Don't run as root
        RUN useradd --create-home appuser
        USER appuser

        EXPOSE 8000
        CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
        ```

        Build and run:

        ```bash
        docker build -t flask-app .
        docker run --rm -p 8000:8000 flask-app
        ```

        Add a `.dockerignore` with `.git`, `__pycache__/` and `.venv/` so they aren't copied into the image. The `app:app` part assumes your Flask object is called `app` inside `app.py`.
    """),
    weak=T("""
        ```dockerfile
        FROM python:3.12
        COPY . /app
        WORKDIR /app
        RUN pip install -r requirements.txt
        CMD ["python", "app.py"]
        ```

        Build it with `docker build -t myapp .` and run with `docker run -p 5000:5000 myapp`. Make sure your app listens on 0.0.0.0.
    """),
    flaws=[
        (
            "# Install dependencies first so this layer is cached between code changes\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt gunicorn\n\nCOPY . .",
            "# Install dependencies first so this layer is cached between code changes\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt gunicorn",
            "Copies all source before pip install, so the dependency layer is rebuilt on every code change despite the comment.",
            "minor",
        ),
        (
            'EXPOSE 8000\nCMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]',
            'EXPOSE 8000\nCMD ["gunicorn", "--bind", "127.0.0.1:8000", "app:app"]',
            "Binds gunicorn to 127.0.0.1 inside the container, so the published port is unreachable from the host.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="Could you add type hints and a docstring to it?",
    context=[
        {"role": "user", "content": "Write a function that returns the n-th Fibonacci number."},
        {
            "role": "assistant",
            "content": "```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n```\n\n`fib(10)` returns 55.",
        },
    ],
    good=T("""
        Sure, here it is with type hints, a docstring and input validation:

        ```python
        def fib(n: int) -> int:
            \"\"\"Return the n-th Fibonacci number, with fib(0) == 0 and fib(1) == 1.

            Runs in O(n) time and O(1) memory.

            Raises:
                ValueError: if n is negative.
            \"\"\"
            if n < 0:
                raise ValueError("n must be non-negative")
            a, b = 0, 1
            for _ in range(n):
                a, b = b, a + b
            return a
        ```

        Quick check:

        ```python
        >>> [fib(i) for i in range(8)]
        [0, 1, 1, 2, 3, 5, 8, 13]
        ```
    """),
    weak=T("""
        ```python
        def fib(n: int) -> int:
            \"\"\"Fibonacci.\"\"\"
            a, b = 0, 1
            for _ in range(n):
                a, b = b, a + b
            return a
        ```

        I added `int` hints for the argument and the return value and a short docstring.
    """),
    flaws=[
        (
            "[0, 1, 1, 2, 3, 5, 8, 13]",
            "[0, 1, 1, 2, 3, 5, 8, 12]",
            "Wrong number in the example output: fib(7) is 13, not 12.",
            "minor",
        ),
        (
            "for _ in range(n):\n        a, b = b, a + b\n    return a\n```\n\nQuick",
            "for _ in range(n - 1):\n        a, b = b, a + b\n    return a\n```\n\nQuick",
            "Off-by-one: looping range(n - 1) returns fib(n - 1), so the example output no longer matches.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="Thanks. Now how do I make it case-insensitive and also count the number of matches?",
    context=[
        {
            "role": "user",
            "content": "How do I replace every occurrence of 'colour' with 'color' in a Python string?",
        },
        {
            "role": "assistant",
            "content": 'Use `str.replace`:\n\n```python\ntext = text.replace("colour", "color")\n```',
        },
    ],
    good=T("""
        `str.replace` can't ignore case, so switch to the `re` module. `re.subn` returns both the new string and the number of replacements:

        ```python
        import re

        text = "Colour, COLOUR and colour."
        new_text, n = re.subn(r"colour", "color", text, flags=re.IGNORECASE)
        print(new_text)  # color, color and color.
        print(n)         # 3
        ```

        Note that the replacement is always the literal `"color"`, so `"Colour"` becomes lowercase `"color"`. If you want to keep the original capitalisation, pass a function:

        ```python
        def keep_case(m):
            word = m.group(0)
            if word.isupper():
                return "COLOR"
            if word[0].isupper():
                return "Color"
            return "color"

        new_text, n = re.subn(r"colour", keep_case, text, flags=re.IGNORECASE)
        # 'Color, COLOR and color.', 3
        ```
    """),
    weak=T("""
        Use `re.sub` with `flags=re.IGNORECASE` to make it case-insensitive, and `len(re.findall(...))` with the same flag to count how many there were before replacing. Both are in the standard `re` module. Alternatively `re.subn` returns the new string and the count together, which saves you from running the pattern twice.
    """),
    flaws=[
        (
            'new_text, n = re.subn(r"colour", "color", text, flags=re.IGNORECASE)\nprint(new_text)',
            'new_text, n = re.subn(r"colour", "color", text, re.IGNORECASE)\nprint(new_text)',
            "Passes re.IGNORECASE positionally, where re.subn expects `count`, so the flag is silently treated as a count of 2 and matching stays case-sensitive.",
            "major",
        ),
    ],
)

item(
    family="coding",
    prompt="It works, but it's slow on 2 million rows. Any way to speed it up?",
    context=[
        {
            "role": "user",
            "content": "How do I add a column to a pandas DataFrame that says 'high' if price > 100 and 'low' otherwise?",
        },
        {
            "role": "assistant",
            "content": 'You can use `apply`:\n\n```python\ndf["tier"] = df["price"].apply(lambda p: "high" if p > 100 else "low")\n```',
        },
    ],
    good=T("""
        Yes: `apply` calls a Python function once per row. Use a vectorised operation instead, which runs in compiled code:

        ```python
        import numpy as np

        df["tier"] = np.where(df["price"] > 100, "high", "low")
        ```

        On a few million rows this is typically 50-100x faster than `apply`.

        If you later need more than two buckets, `pd.cut` is the cleanest option:

        ```python
        df["tier"] = pd.cut(
            df["price"],
            bins=[-np.inf, 20, 100, np.inf],
            labels=["low", "mid", "high"],
        )
        ```

        `pd.cut` returns a categorical column, which also uses far less memory than repeating the same strings two million times.
    """),
    alt=T("""
        Swap `apply` for a boolean mask with `.loc`:

        ```python
        df["tier"] = "low"
        df.loc[df["price"] > 100, "tier"] = "high"
        ```

        Both lines are vectorised, so this runs in well under a second for 2M rows. It also reads nicely when you add more conditions later, one `.loc` line per rule.
    """),
    flaws=[
        (
            'bins=[-np.inf, 20, 100, np.inf],\n    labels=["low", "mid", "high"],',
            'bins=[-np.inf, 20, 100, np.inf],\n    labels=["low", "mid", "high", "premium"],',
            "pd.cut needs exactly one label per bin; four labels for three bins raises a ValueError.",
            "major",
        ),
        (
            "On a few million rows this is typically 50-100x faster than `apply`.",
            "On a few million rows this is typically about 2x faster than `apply`; pandas also caches the result of `apply` automatically.",
            "Made-up claims: the speedup is understated and pandas does not cache apply results.",
            "minor",
        ),
    ],
)

# ---------------------------------------------------------------------------- SQL
item(
    family="sql",
    prompt=T("""
        Tables: `customers(id, name, country)` and `orders(id, customer_id, order_date, total)`.
        Write a SQL query for the top 5 customers by total spend in 2024.
    """),
    good=T("""
        ```sql
        SELECT c.id,
               c.name,
               SUM(o.total) AS total_spend
        FROM customers AS c
        JOIN orders AS o ON o.customer_id = c.id
        WHERE o.order_date >= DATE '2024-01-01'
          AND o.order_date <  DATE '2025-01-01'
        GROUP BY c.id, c.name
        ORDER BY total_spend DESC
        LIMIT 5;
        ```

        Notes:

        - The half-open date range (`>=` start, `<` next year) includes every timestamp on 31 December, which `BETWEEN '2024-01-01' AND '2024-12-31'` would miss if `order_date` has a time component.
        - Grouping by `c.id` as well as `c.name` keeps two customers with the same name separate.
        - On SQL Server use `SELECT TOP 5 ...` instead of `LIMIT 5`.
    """),
    weak=T("""
        ```sql
        SELECT name, SUM(total)
        FROM customers, orders
        WHERE customers.id = orders.customer_id AND YEAR(order_date) = 2024
        GROUP BY name
        ORDER BY 2 DESC
        LIMIT 5;
        ```

        This joins the two tables, adds up each customer's 2024 orders and keeps the five largest.
    """),
    flaws=[
        (
            "WHERE o.order_date >= DATE '2024-01-01'\n  AND o.order_date <  DATE '2025-01-01'",
            "WHERE o.order_date >= DATE '2024-01-01'\n  AND o.order_date <  DATE '2024-12-31'",
            "Off-by-one date boundary: `< '2024-12-31'` excludes all orders placed on 31 December.",
            "major",
        ),
        (
            "ORDER BY total_spend DESC\nLIMIT 5;",
            "ORDER BY total_spend\nLIMIT 5;",
            "Sorts ascending, so the query returns the 5 lowest spenders instead of the top 5.",
            "major",
        ),
    ],
)

item(
    family="sql",
    prompt="Same schema (customers, orders). How do I find customers who have never placed an order?",
    context=[
        {
            "role": "user",
            "content": "I have `customers(id, name, country)` and `orders(id, customer_id, order_date, total)` in Postgres.",
        },
        {"role": "assistant", "content": "Got it. What would you like to query?"},
    ],
    good=T("""
        Use an anti-join. The clearest form in Postgres is `NOT EXISTS`:

        ```sql
        SELECT c.id, c.name
        FROM customers AS c
        WHERE NOT EXISTS (
            SELECT 1
            FROM orders AS o
            WHERE o.customer_id = c.id
        )
        ORDER BY c.name;
        ```

        The equivalent `LEFT JOIN` version:

        ```sql
        SELECT c.id, c.name
        FROM customers AS c
        LEFT JOIN orders AS o ON o.customer_id = c.id
        WHERE o.id IS NULL;
        ```

        Avoid `WHERE c.id NOT IN (SELECT customer_id FROM orders)`: if any `orders.customer_id` is `NULL`, `NOT IN` returns no rows at all.
    """),
    weak=T("""
        ```sql
        SELECT * FROM customers
        WHERE id NOT IN (SELECT customer_id FROM orders);
        ```

        This selects every customer whose id does not appear in the orders table, i.e. the ones who never ordered. You can change `*` to just the columns you need, like `id` and `name`.
    """),
    flaws=[
        (
            "LEFT JOIN orders AS o ON o.customer_id = c.id\nWHERE o.id IS NULL;",
            "JOIN orders AS o ON o.customer_id = c.id\nWHERE o.id IS NULL;",
            "The second query uses an INNER JOIN, which can never produce o.id IS NULL, so it always returns zero rows.",
            "major",
        ),
    ],
)

item(
    family="sql",
    prompt="employees(id, name, department_id, salary), departments(id, name). Query for the highest-paid employee in each department?",
    good=T("""
        A window function handles ties and is easy to read:

        ```sql
        SELECT department, name, salary
        FROM (
            SELECT d.name AS department,
                   e.name,
                   e.salary,
                   RANK() OVER (PARTITION BY e.department_id ORDER BY e.salary DESC) AS rnk
            FROM employees AS e
            JOIN departments AS d ON d.id = e.department_id
        ) AS ranked
        WHERE rnk = 1
        ORDER BY department;
        ```

        - `RANK()` returns every employee tied for the top salary. If you want exactly one row per department, use `ROW_NUMBER()` and add a tie-breaker such as `e.id` to the `ORDER BY`.
        - Departments with no employees won't appear; switch to a `LEFT JOIN` from `departments` if you need them listed with `NULL`s.
    """),
    alt=T("""
        Without window functions (e.g. older MySQL), join against the per-department maximum:

        ```sql
        SELECT d.name AS department, e.name, e.salary
        FROM employees AS e
        JOIN departments AS d ON d.id = e.department_id
        JOIN (
            SELECT department_id, MAX(salary) AS max_salary
            FROM employees
            GROUP BY department_id
        ) AS m ON m.department_id = e.department_id
              AND m.max_salary = e.salary
        ORDER BY department;
        ```

        Ties produce several rows for a department, which is usually what you want.
    """),
    flaws=[
        (
            "RANK() OVER (PARTITION BY e.department_id ORDER BY e.salary DESC) AS rnk",
            "RANK() OVER (ORDER BY e.salary DESC) AS rnk",
            "Missing PARTITION BY: the ranking is company-wide, so only the single top earner overall is returned.",
            "major",
        ),
    ],
)

item(
    family="sql",
    prompt="How do I get the second highest salary from employees(id, name, salary)? If there isn't one it should return NULL.",
    good=T("""
        ```sql
        SELECT MAX(salary) AS second_highest_salary
        FROM employees
        WHERE salary < (SELECT MAX(salary) FROM employees);
        ```

        Why this shape:

        - The subquery finds the top salary; the outer query takes the maximum of everything strictly below it, which is the second-highest *distinct* value.
        - An aggregate over zero rows returns `NULL`, so if everyone earns the same (or the table has one row) you get `NULL` instead of an empty result.

        A version that generalises to the N-th highest:

        ```sql
        SELECT (
            SELECT DISTINCT salary
            FROM employees
            ORDER BY salary DESC
            LIMIT 1 OFFSET 1      -- N-1
        ) AS second_highest_salary;
        ```

        Wrapping the query in an outer `SELECT (...)` is what turns "no row" into `NULL`.
    """),
    weak=T("""
        ```sql
        SELECT salary FROM employees ORDER BY salary DESC LIMIT 1 OFFSET 1;
        ```

        This skips the highest salary and returns the next one. Note that if two people share the top salary you'll get that same value again, and if there is no second row you get an empty result rather than NULL.
    """),
    flaws=[
        (
            "    LIMIT 1 OFFSET 1      -- N-1",
            "    LIMIT 1 OFFSET 2      -- N-1",
            "Off-by-one: OFFSET 2 returns the third-highest salary, contradicting the N-1 comment.",
            "major",
        ),
    ],
)

item(
    family="sql",
    prompt="products(id, name, category, price) and order_items(order_id, product_id, quantity, unit_price). Revenue per category, biggest first?",
    good=T("""
        ```sql
        SELECT p.category,
               SUM(oi.quantity * oi.unit_price) AS revenue,
               COUNT(DISTINCT oi.order_id)      AS orders
        FROM order_items AS oi
        JOIN products AS p ON p.id = oi.product_id
        GROUP BY p.category
        ORDER BY revenue DESC;
        ```

        I used `oi.unit_price` rather than `p.price` on purpose: the price on the order line is what the customer actually paid, while `products.price` is today's list price and may have changed since.

        If you also want categories with no sales to show up as 0, start from `products` and `LEFT JOIN order_items`, then wrap the sum in `COALESCE(..., 0)`.
    """),
    weak=T("""
        ```sql
        SELECT category, SUM(price * quantity) AS revenue
        FROM products JOIN order_items ON products.id = order_items.product_id
        GROUP BY category
        ORDER BY revenue DESC;
        ```

        This multiplies price by quantity for each line and sums it per category. Categories with no sales at all won't appear in the result.
    """),
    flaws=[
        (
            "SUM(oi.quantity * oi.unit_price) AS revenue",
            "SUM(oi.quantity) * SUM(oi.unit_price) AS revenue",
            "Wrong aggregation: SUM(quantity) * SUM(unit_price) is not revenue; it must be SUM(quantity * unit_price).",
            "major",
        ),
    ],
)

item(
    family="sql",
    prompt="users(id, email, created_at), logins(user_id, logged_in_at). I need monthly active users for the last 6 months in Postgres.",
    good=T("""
        A user counts as active in a month if they logged in at least once that month:

        ```sql
        SELECT date_trunc('month', l.logged_in_at)::date AS month,
               COUNT(DISTINCT l.user_id)               AS monthly_active_users
        FROM logins AS l
        WHERE l.logged_in_at >= date_trunc('month', now()) - INTERVAL '5 months'
        GROUP BY 1
        ORDER BY 1;
        ```

        - `date_trunc('month', now()) - INTERVAL '5 months'` starts at the first day of the month five months ago, so you get the current month plus the five before it (6 rows, the current one partial).
        - `COUNT(DISTINCT user_id)` matters: without `DISTINCT` you'd be counting logins, not users.
        - An index on `logins(logged_in_at)` keeps this fast as the table grows.
    """),
    alt=T("""
        If you want months with zero logins to appear too, generate the months first and left join:

        ```sql
        SELECT m.month::date,
               COUNT(DISTINCT l.user_id) AS mau
        FROM generate_series(
                 date_trunc('month', now()) - INTERVAL '5 months',
                 date_trunc('month', now()),
                 INTERVAL '1 month') AS m(month)
        LEFT JOIN logins AS l
               ON l.logged_in_at >= m.month
              AND l.logged_in_at <  m.month + INTERVAL '1 month'
        GROUP BY m.month
        ORDER BY m.month;
        ```
    """),
    alt_pref="tie",
    flaws=[
        (
            "COUNT(DISTINCT l.user_id)               AS monthly_active_users",
            "COUNT(l.user_id)                        AS monthly_active_users",
            "Counts logins instead of distinct users, while the note below says DISTINCT is required.",
            "major",
        ),
    ],
)

item(
    family="sql",
    prompt="In MySQL, how do I delete duplicate rows from contacts(id, email, name), keeping the one with the lowest id for each email?",
    good=T("""
        Back up first (or run it inside a transaction), then:

        ```sql
        DELETE c1
        FROM contacts AS c1
        JOIN contacts AS c2
          ON c1.email = c2.email
         AND c1.id > c2.id;
        ```

        Each row `c1` that has another row `c2` with the same email and a *smaller* id gets deleted, so only the lowest id per email survives.

        Preview what would be removed with the same join as a `SELECT`:

        ```sql
        SELECT c1.*
        FROM contacts AS c1
        JOIN contacts AS c2 ON c1.email = c2.email AND c1.id > c2.id;
        ```

        Afterwards, stop it from happening again:

        ```sql
        ALTER TABLE contacts ADD UNIQUE KEY uq_contacts_email (email);
        ```
    """),
    weak=T("""
        You can do a self join where the emails match and delete the one with the bigger id. Make sure to test it on a copy of the table first, and then add a unique index on email so new duplicates can't be inserted.
    """),
    flaws=[
        (
            " AND c1.id > c2.id;\n```\n\nEach",
            " AND c1.id < c2.id;\n```\n\nEach",
            "The comparison is reversed: `c1.id < c2.id` deletes everything except the highest id, the opposite of what was asked.",
            "major",
        ),
        (
            "Back up first (or run it inside a transaction), then:",
            "Run this directly on production:",
            "Drops the advice to back up / use a transaction before a destructive DELETE.",
            "minor",
        ),
    ],
)

# ---------------------------------------------------------------------------- regex
item(
    family="regex",
    prompt="Regex to validate a US ZIP code (12345 or 12345-6789)?",
    good=T("""
        ```regex
        ^\\d{5}(?:-\\d{4})?$
        ```

        | Part | Meaning |
        |---|---|
        | `^` / `$` | anchor to the start and end, so nothing else is allowed |
        | `\\d{5}` | exactly five digits |
        | `(?:-\\d{4})?` | optionally, a hyphen and four more digits (ZIP+4) |

        In Python:

        ```python
        import re
        ZIP_RE = re.compile(r"^\\d{5}(?:-\\d{4})?$")
        bool(ZIP_RE.match("02139"))       # True
        bool(ZIP_RE.match("02139-4307"))  # True
        bool(ZIP_RE.match("2139"))        # False
        ```

        This checks the format only; it can't tell whether the ZIP code actually exists.
    """),
    weak=T("""
        `^\\d{5}(-\\d{4})?$` will match five digits, optionally followed by a dash and four digits. Use it with `re.match` in Python or `.test()` in JavaScript and it should cover both formats you mentioned. It won't check whether the ZIP code really exists, only the format.
    """),
    flaws=[
        (
            "```regex\n^\\d{5}(?:-\\d{4})?$\n```",
            "```regex\n\\d{5}(?:-\\d{4})?\n```",
            "The pattern shown has no anchors, so '123456789012' or 'abc12345xyz' would be accepted, contradicting the table.",
            "major",
        ),
    ],
)

item(
    family="regex",
    prompt="I need a regex for dates in YYYY-MM-DD format, with month 01-12 and day 01-31.",
    good=T("""
        ```regex
        ^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$
        ```

        - `\\d{4}` year
        - `(0[1-9]|1[0-2])` month 01-12
        - `(0[1-9]|[12]\\d|3[01])` day 01-31

        The regex can't know that February has 28 or 29 days or that April has 30, so `2025-02-31` still matches. Validate the real date in code afterwards:

        ```python
        from datetime import date

        def is_valid_iso_date(s: str) -> bool:
            try:
                date.fromisoformat(s)
                return True
            except ValueError:
                return False
        ```

        Honestly, for most applications `date.fromisoformat` alone (without the regex) is enough.
    """),
    weak=T("""
        `^\\d{4}-\\d{2}-\\d{2}$` matches the YYYY-MM-DD shape. It doesn't check that the month is 01-12 or the day is 01-31, so you'd want to parse it with a date library afterwards to be sure it's a real date. Something like `2025-13-45` would pass the regex.
    """),
    flaws=[
        (
            "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$",
            "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3\\d)$",
            "The day group uses 3\\d, which accepts days 32-39.",
            "major",
        ),
    ],
)

item(
    family="regex",
    prompt="How do I pull all hashtags out of a tweet in JavaScript?",
    good=T("""
        Use a global regex with `matchAll` and a Unicode-aware character class so tags like `#café` work:

        ```javascript
        const text = "Loving the #sunset at #Café_del_Mar! #travel2025 #";
        const tags = [...text.matchAll(/#([\\p{L}\\p{N}_]+)/gu)].map(m => m[1]);
        console.log(tags); // ["sunset", "Café_del_Mar", "travel2025"]
        ```

        - `\\p{L}` is any letter and `\\p{N}` any number; the `u` flag is required for those escapes.
        - The capture group drops the `#` itself; use `m[0]` if you want to keep it.
        - A lone `#` isn't matched because `+` needs at least one character.

        To get unique, case-insensitive tags: `[...new Set(tags.map(t => t.toLowerCase()))]`.
    """),
    weak=T("""
        ```javascript
        const tags = text.match(/#\\w+/g) || [];
        ```

        `match` with the `g` flag returns every hashtag (including the `#`). `\\w` only covers ASCII letters, digits and underscore, so accented tags get cut off. For plain English hashtags that's usually fine, though.
    """),
    flaws=[
        (
            "const tags = [...text.matchAll(/#([\\p{L}\\p{N}_]+)/gu)].map(m => m[1]);",
            "const tags = [...text.matchAll(/#([\\p{L}\\p{N}_]+)/g)].map(m => m[1]);",
            "Drops the `u` flag, without which \\p{L} is not a Unicode property escape; the text still says the flag is required.",
            "major",
        ),
    ],
)

item(
    family="regex",
    prompt="Regex for a CSS hex colour like #fff or #1a2b3c?",
    good=T("""
        ```regex
        ^#(?:[0-9a-fA-F]{3}){1,2}$
        ```

        `[0-9a-fA-F]{3}` is one group of three hex digits, and `{1,2}` allows one or two of those groups, so exactly 3 or 6 digits. A length of 4 or 5 is rejected.

        If you also want the 4- and 8-digit forms with an alpha channel (`#fff8`, `#1a2b3c80`), list the lengths explicitly:

        ```regex
        ^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$
        ```

        Python example:

        ```python
        import re
        HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
        [bool(HEX.match(s)) for s in ["#fff", "#1A2b3C", "#abcd", "fff"]]
        # [True, True, False, False]
        ```
    """),
    alt=T("""
        `^#([0-9a-f]{3}|[0-9a-f]{6})$` with the case-insensitive flag (`/i` in JavaScript, `re.IGNORECASE` in Python).

        Spelling out the two lengths as alternatives is a bit longer than the `{1,2}` trick but easier for the next person to read. Add `|[0-9a-f]{4}|[0-9a-f]{8}` if you need to allow alpha.
    """),
    flaws=[
        (
            "^#(?:[0-9a-fA-F]{3}){1,2}$\n```\n\n`[0-9a-fA-F]{3}`",
            "^#(?:[0-9a-fA-F]{3,6})$\n```\n\n`[0-9a-fA-F]{3}`",
            "The first pattern accepts 4 and 5 hex digits, contradicting the explanation that only 3 or 6 are allowed.",
            "major",
        ),
    ],
)

item(
    family="regex",
    prompt="How can I find accidentally doubled words like 'the the' in a document with Python?",
    good=T("""
        Use a backreference to "the same word again":

        ```python
        import re

        DOUBLED = re.compile(r"\\b(\\w+)\\s+\\1\\b", re.IGNORECASE)

        text = "This is is a test. The the cat sat on the mat."
        for m in DOUBLED.finditer(text):
            print(m.group(1), "at position", m.start())
        ```

        Output:

        ```text
        is at position 5
        The at position 19
        ```

        - `(\\w+)` captures a word, `\\s+` allows spaces or a line break, `\\1` must repeat the captured text.
        - The `\\b` word boundaries stop it from matching inside words, e.g. the `is is` hidden in `this isn't`.
        - To fix them automatically: `DOUBLED.sub(r"\\1", text)`.
    """),
    weak=T("""
        `re.findall(r"\\b(\\w+) \\1\\b", text)` finds words that are repeated. The `\\1` means "whatever the first group matched". Add `re.I` if you want "The the" to count too. It only catches doubles separated by a single space, so a line break in between will be missed.
    """),
    flaws=[
        (
            'DOUBLED = re.compile(r"\\b(\\w+)\\s+\\1\\b", re.IGNORECASE)',
            'DOUBLED = re.compile(r"\\b(\\w+)\\s+\\1\\b")',
            "Missing re.IGNORECASE, so 'The the' is not found, although the shown output claims it is.",
            "major",
        ),
    ],
)

item(
    family="regex",
    prompt="sed command to strip trailing whitespace from every line of a file in place?",
    good=T("""
        ```bash
        sed -i 's/[[:space:]]*$//' notes.txt
        ```

        - `[[:space:]]*$` matches any run of spaces or tabs at the end of a line.
        - `-i` edits the file in place. On macOS/BSD `sed`, `-i` needs an argument: `sed -i '' 's/[[:space:]]*$//' notes.txt`.
        - To keep a backup, use `-i.bak` (works on both).

        For a whole project:

        ```bash
        find . -name '*.py' -exec sed -i 's/[[:space:]]*$//' {} +
        ```

        Note that files with Windows line endings will also lose their `\\r`, since it counts as whitespace.
    """),
    weak=T("""
        `sed -i 's/ *$//' file.txt` removes spaces at the end of every line. It won't remove trailing tabs, and on a Mac you need to write `sed -i ''` instead of `sed -i`. Use `[[:space:]]` instead of the space if you want tabs removed as well.
    """),
    flaws=[
        (
            "sed -i 's/[[:space:]]*$//' notes.txt\n```",
            "sed -i 's/^[[:space:]]*//' notes.txt\n```",
            "The main command strips leading, not trailing, whitespace.",
            "major",
        ),
    ],
)

item(
    family="regex",
    prompt="Regex to match a price like $5, $1,299 or $1,299.99 (commas optional)?",
    good=T("""
        ```regex
        ^\\$(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d{2})?$
        ```

        Broken down:

        - `\\$` a literal dollar sign (escaped, since `$` means end-of-line).
        - `\\d{1,3}(?:,\\d{3})+` digits with correctly placed thousands separators, e.g. `1,299` or `12,000,000`.
        - `|\\d+` or plain digits with no commas, e.g. `1299`.
        - `(?:\\.\\d{2})?` optional cents, exactly two digits.

        | Input | Match? |
        |---|---|
        | `$5` | yes |
        | `$1,299.99` | yes |
        | `$1299` | yes |
        | `$12,34` | no |
        | `$5.5` | no |
    """),
    weak=T("""
        `\\$[\\d,]+(\\.\\d\\d)?` matches a dollar sign followed by digits and commas, with optional cents. It's loose, so things like `$1,2,3` would also match, but it's good enough for pulling prices out of text. Tighten it if you need strict validation of user input.
    """),
    flaws=[
        (
            "^\\$(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d{2})?$",
            "^$(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d{2})?$",
            "The dollar sign is not escaped, so `$` acts as an end anchor and the pattern never matches a price.",
            "major",
        ),
    ],
)
