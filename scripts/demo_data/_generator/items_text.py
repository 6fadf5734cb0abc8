"""Hand-written explanation and summarisation items for ``generations.jsonl``.

Same item format as ``items_code.py``.  The passages to summarise are
original, fictional texts written for this demo.
"""

from __future__ import annotations

from .items_code import T

ITEMS: list[dict] = []


def item(**kw) -> None:
    kw.setdefault("alt", None)
    kw.setdefault("alt_pref", "tie")
    kw.setdefault("weak", None)
    kw.setdefault("flaws", [])
    kw.setdefault("context", None)
    ITEMS.append(kw)


# ---------------------------------------------------------------------------- explanations
item(
    family="explanation",
    prompt="Can you explain what a p-value actually is? My stats textbook is confusing me.",
    good=T("""
        A **p-value** answers this question:

        > *If the null hypothesis were true, how likely is it that I'd see data at least as extreme as what I actually observed?*

        A worked example: you flip a coin 100 times and get 61 heads. The null hypothesis is "the coin is fair". If it were fair, getting 61 or more heads (or 39 or fewer) happens only about 3.5% of the time. So the two-sided p-value is about 0.035.

        What it is **not**:

        - It is *not* the probability that the null hypothesis is true.
        - It is *not* the probability that your result happened "by chance".
        - A small p-value doesn't mean the effect is large or important; with huge samples, tiny effects get tiny p-values.

        The usual 0.05 threshold is a convention, not a law of nature. Report the effect size and a confidence interval alongside the p-value so readers can judge how big the effect is.
    """),
    alt=T("""
        Think of it as a "surprise score" under a skeptical assumption.

        1. Assume nothing interesting is going on (the **null hypothesis**), e.g. a new drug works no better than a placebo.
        2. Compute how unusual your data would be in that boring world.
        3. The p-value is the probability of getting results at least that unusual.

        A p-value of 0.01 means: *if the drug really did nothing*, results this strong would show up about 1 time in 100. That makes the "does nothing" assumption hard to believe, so you reject it.

        Common trap: 0.01 does **not** mean there's a 99% chance the drug works. The p-value is computed assuming the null is true, so it can't tell you the probability that the null is true.
    """),
    weak=T("""
        The p-value is a number between 0 and 1 that tells you whether your results are statistically significant. If it's below 0.05 your result is significant and you can reject the null hypothesis; if it's above 0.05 you can't. Smaller is better.
    """),
    flaws=[
        (
            "- It is *not* the probability that the null hypothesis is true.\n",
            "- It *is* the probability that the null hypothesis is true, which is why 0.035 means the coin is 96.5% likely to be biased.\n",
            "States the classic misinterpretation: a p-value is not the probability that the null hypothesis is true.",
            "major",
        ),
        (
            "happens only about 3.5% of the time",
            "happens only about 0.35% of the time",
            "Wrong number: 61+ or 39- heads out of 100 fair flips happens about 3.5% of the time, matching the stated p of 0.035.",
            "minor",
        ),
    ],
)

item(
    family="explanation",
    prompt="What's the difference between TCP and UDP, and when would I use each?",
    good=T("""
        Both are transport-layer protocols on top of IP, but they make very different promises.

        | | TCP | UDP |
        |---|---|---|
        | Connection | handshake first (SYN, SYN-ACK, ACK) | none, just send datagrams |
        | Delivery | guaranteed, retransmits lost segments | best effort, packets may be lost |
        | Ordering | bytes arrive in order | no ordering guarantee |
        | Flow/congestion control | yes | no (the app must handle it) |
        | Header size | 20+ bytes | 8 bytes |

        **Use TCP** when every byte matters and order matters: web pages (HTTP/1.1 and HTTP/2), email, file transfers, database connections, SSH.

        **Use UDP** when low latency matters more than perfection, or when you want to build your own reliability: live video and voice calls, online games, DNS lookups, and QUIC (which HTTP/3 runs on) implements its own reliability on top of UDP.

        Rule of thumb: a late packet in a video call is useless, so dropping it (UDP) beats waiting for a retransmission (TCP).
    """),
    weak=T("""
        TCP is reliable and UDP is not. TCP makes sure all your data arrives in the right order, and UDP just sends it and hopes for the best, which makes it faster. Use TCP for most things and UDP for games or streaming.
    """),
    flaws=[
        (
            "| Ordering | bytes arrive in order | no ordering guarantee |",
            "| Ordering | bytes arrive in order | ordered, but without retransmission |",
            "Factual error: UDP does not guarantee ordering.",
            "major",
        ),
        (
            "| Header size | 20+ bytes | 8 bytes |",
            "| Header size | 20+ bytes | 4 bytes |",
            "Wrong number: the UDP header is 8 bytes.",
            "minor",
        ),
    ],
)

item(
    family="explanation",
    prompt="How does HTTPS keep my data private? Like, what actually happens when I open a site?",
    good=T("""
        When you open `https://example.com`, your browser and the server run a **TLS handshake** before any page data is sent. Simplified (TLS 1.3):

        1. **Client hello.** Your browser says which TLS versions and ciphers it supports and sends its half of a key exchange (an ephemeral Diffie-Hellman public value).
        2. **Server hello + certificate.** The server replies with its half of the key exchange and its **certificate**, which binds the domain name to the server's public key and is signed by a certificate authority your browser trusts.
        3. **Proof of identity.** The server signs the handshake with its *private* key. Your browser checks that signature with the public key in the certificate, so an impostor without the private key can't pass.
        4. **Shared secret.** Both sides combine the Diffie-Hellman values to derive the same session keys. The keys themselves never travel over the network.
        5. **Encrypted traffic.** From then on, requests and responses are encrypted and integrity-protected with a fast symmetric cipher such as AES-GCM or ChaCha20-Poly1305.

        What HTTPS hides: the page contents, URL paths, cookies and form data. What it doesn't hide: the IP address you connect to and, usually, the domain name.
    """),
    weak=T("""
        HTTPS encrypts the data between your browser and the website using SSL/TLS. The website has a certificate that proves it's really who it says it is, and then everything you send, like passwords, is scrambled so nobody in between can read it. That's what the padlock icon means.
    """),
    flaws=[
        (
            "3. **Proof of identity.** The server signs the handshake with its *private* key. Your browser checks that signature with the public key in the certificate, so an impostor without the private key can't pass.",
            "3. **Proof of identity.** The server sends its private key to the browser, encrypted with the certificate, so the browser can decrypt the traffic.",
            "Factual error: the server's private key is never sent; the server proves possession by signing.",
            "major",
        ),
        (
            "4. **Shared secret.** Both sides combine the Diffie-Hellman values to derive the same session keys. The keys themselves never travel over the network.\n",
            "",
            "Missing step: the key-exchange step that produces the session keys is left out, so step 5's encryption keys come from nowhere.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="git merge vs git rebase: which should my team use?",
    good=T("""
        Both integrate changes from one branch into another; they differ in the history they leave behind.

        **Merge** creates a merge commit that ties the two histories together.

        - History is an accurate record of what happened, including when branches diverged.
        - Never rewrites existing commits, so it's always safe on shared branches.
        - Busy repos can end up with a tangled graph.

        **Rebase** replays your commits on top of the target branch, creating *new* commits with new hashes.

        - Produces a clean, linear history that's easy to read and bisect.
        - Rewrites history: if someone else already has the old commits, they'll get conflicts and duplicated work.

        A common team policy:

        1. Rebase your *own, unpushed or personal* feature branch onto `main` to keep it up to date (`git pull --rebase`).
        2. Merge (or squash-merge) the feature branch into `main` through a pull request.
        3. Never rebase a branch other people have based work on, and never force-push to `main`.
    """),
    alt=T("""
        Short version: **rebase locally, merge publicly.**

        - `git rebase main` on your feature branch rewrites your commits so they sit on top of the latest `main`. Great for tidying up (`git rebase -i` lets you squash "fix typo" commits) before anyone reviews.
        - `git merge` keeps history exactly as it happened and doesn't rewrite anything, so use it (or your Git host's merge button) to bring finished work into shared branches.

        The one hard rule: don't rebase commits that others have already pulled. If you must update a pushed feature branch after a rebase, use `git push --force-with-lease`, never a plain `--force`.
    """),
    flaws=[
        (
            "3. Never rebase a branch other people have based work on, and never force-push to `main`.",
            "3. It's fine to rebase `main` itself to clean it up periodically; just force-push afterwards so everyone gets the tidy history.",
            "Unsafe suggestion: rebasing and force-pushing a shared main branch rewrites everyone's history.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="What is overfitting in machine learning, in plain English?",
    good=T("""
        **Overfitting** is when a model memorises the training data, including its noise and quirks, instead of learning the general pattern. It looks brilliant on the data it was trained on and disappointing on new data.

        An analogy: a student who memorises the answers to last year's exam gets 100% on that paper but fails this year's, because they never learned the underlying material.

        How to spot it: training accuracy keeps improving while validation accuracy stalls or gets worse.

        Common remedies:

        - **More data**, or data augmentation.
        - **Simpler models** or fewer features.
        - **Regularisation** (L1/L2 penalties, dropout in neural networks).
        - **Early stopping**: stop training when validation loss starts rising.
        - **Cross-validation** to get an honest estimate of performance.

        The opposite problem, **underfitting**, is a model too simple to capture the pattern at all; it does badly on both training and validation data.
    """),
    weak=T("""
        Overfitting means your model is too fitted to the training data. It learned the training set too well so it doesn't generalise. You can fix it with regularisation or more data. It's one of the most common problems in machine learning.
    """),
    flaws=[
        (
            "- **Simpler models** or fewer features.",
            "- **More features**: adding extra input columns always reduces overfitting.",
            "Wrong advice: adding features usually increases the risk of overfitting.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="Why is binary search O(log n)? I get that it's fast but not why.",
    good=T("""
        Because every comparison throws away **half** of the remaining candidates.

        Start with `n` sorted items. After one comparison you have at most `n/2` left, after two `n/4`, after `k` comparisons `n/2^k`. You stop when one item is left:

        ```text
        n / 2^k = 1   =>   2^k = n   =>   k = log2(n)
        ```

        So the number of steps grows with the logarithm of `n`:

        | n | max comparisons |
        |---|---|
        | 1,000 | about 10 |
        | 1,000,000 | about 20 |
        | 1,000,000,000 | about 30 |

        Multiplying the input by a thousand only adds about 10 steps. Compare that with a linear scan, where a thousand times more data means a thousand times more work.

        The catch: the data must already be **sorted**, and you need random access (an array, not a linked list). Sorting first costs O(n log n), so binary search pays off when you search the same data many times.
    """),
    weak=T("""
        Binary search halves the search space each time, and halving repeatedly is what a logarithm measures, so it takes log2(n) steps. For a million items that's about 20 steps instead of a million. It only works if the list is sorted, though, so you need to sort it first.
    """),
    flaws=[
        (
            "| 1,000,000 | about 20 |",
            "| 1,000,000 | about 200 |",
            "Wrong number: log2(1,000,000) is about 20, not 200.",
            "major",
        ),
        (
            "The catch: the data must already be **sorted**, and you need random access (an array, not a linked list).",
            "The nice thing is that it works on any list, sorted or not, as long as it supports indexing.",
            "Factual error: binary search requires sorted data.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="What's a race condition? Give me a simple example.",
    good=T("""
        A **race condition** happens when the result of a program depends on the unpredictable timing of two or more threads (or processes) touching shared data.

        Classic example: two threads each add 1 to a shared counter 100,000 times.

        ```python
        import threading

        counter = 0

        def work():
            global counter
            for _ in range(100_000):
                counter += 1   # read, add, write: three steps, not one

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(counter)  # expected 200000, can come out lower
        ```

        `counter += 1` is really *read* the value, *add* one, *write* it back. If both threads read 41 before either writes, both write 42 and one increment is lost.

        The fix is to make the read-modify-write atomic with a lock:

        ```python
        lock = threading.Lock()

        def work():
            global counter
            for _ in range(100_000):
                with lock:
                    counter += 1
        ```

        How often you actually see the wrong total depends on the Python version and interpreter, which is exactly what makes race conditions so nasty: the bug can hide for months.
    """),
    weak=T("""
        A race condition is when two threads access the same data at the same time and the result depends on which one gets there first. For example two threads incrementing the same counter can lose updates. You fix it by using locks.
    """),
    flaws=[
        (
            "        with lock:\n            counter += 1",
            "        counter += 1\n        with lock:\n            pass",
            "The 'fixed' code increments outside the lock, so the race is still there.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="Why is the sky blue but sunsets are orange?",
    good=T("""
        Both come from **Rayleigh scattering**: air molecules scatter sunlight, and they scatter short wavelengths far more than long ones. The strength goes roughly as 1/λ⁴, so blue light (~450 nm) is scattered nearly 6 times more than red light (~700 nm).

        **During the day**, sunlight takes a fairly short path through the atmosphere. Blue light gets bounced around the sky in every direction, so wherever you look away from the sun, you see scattered blue light.

        *Why not violet, which is even shorter?* The sun emits less violet, some is absorbed high in the atmosphere, and our eyes are less sensitive to it.

        **At sunset**, the light reaches you at a low angle and passes through much more air. Most of the blue has been scattered out of the beam long before it reaches you, leaving the oranges and reds. Dust, smoke and pollution particles add extra scattering, which is why sunsets after wildfires can be so intensely red.
    """),
    weak=T("""
        The sky is blue because air scatters blue light more than other colours. At sunset the light has to go through more atmosphere so the blue gets scattered away before it reaches you and you mostly see the red and orange light instead.
    """),
    flaws=[
        (
            "The strength goes roughly as 1/λ⁴, so blue light (~450 nm) is scattered nearly 6 times more than red light (~700 nm).",
            "The strength goes roughly as 1/λ², so blue light (~450 nm) is scattered about 2 times more than red light (~700 nm).",
            "Wrong physics: Rayleigh scattering scales as 1/λ^4 (about 5-6x between blue and red), not 1/λ^2.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="Explain DNS to me like I'm a new junior developer.",
    good=T("""
        DNS is the internet's phone book: it turns names like `shop.example.com` into IP addresses like `93.184.216.34` that computers actually connect to.

        What happens when your code calls `https://shop.example.com`:

        1. **Local caches.** The OS (and often the browser) checks whether it looked this name up recently. If so, done.
        2. **Recursive resolver.** Otherwise the query goes to a resolver, usually run by your ISP, company, or a public service such as 1.1.1.1 or 8.8.8.8.
        3. **Root servers.** The resolver asks a root server, which answers "ask the `.com` servers".
        4. **TLD servers.** The `.com` servers answer "ask the authoritative servers for `example.com`".
        5. **Authoritative server.** This one actually holds the records and returns the address.
        6. The resolver caches the answer for the record's **TTL** and hands it back.

        Record types you'll meet: `A` (IPv4 address), `AAAA` (IPv6), `CNAME` (alias to another name), `MX` (mail servers), `TXT` (verification strings, SPF).

        Debugging tip: `dig shop.example.com` or `nslookup shop.example.com` shows what a name resolves to. And when you change a record, old answers can linger until their TTL expires: "it's always DNS".
    """),
    weak=T("""
        DNS stands for Domain Name System. It translates domain names into IP addresses so your browser knows which server to connect to. When you type a website name, your computer asks a DNS server for the IP address and then connects to it.
    """),
    flaws=[
        (
            "`A` (IPv4 address), `AAAA` (IPv6), `CNAME` (alias to another name), `MX` (mail servers)",
            "`A` (IPv4 address), `AAAA` (IPv6), `CNAME` (mail servers), `MX` (alias to another name)",
            "Swaps the meanings of CNAME and MX records.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="What's the difference between RAM and storage? My laptop has 16 GB and 512 GB and I don't get which is which.",
    good=T("""
        Your **16 GB** is RAM (memory) and your **512 GB** is storage (the SSD).

        | | RAM (16 GB) | Storage (512 GB SSD) |
        |---|---|---|
        | What it holds | programs and files you're using *right now* | everything: the OS, apps, photos, documents |
        | Speed | extremely fast | fast, but much slower than RAM |
        | When power is off | forgets everything | keeps everything |
        | If it fills up | the computer slows down as it swaps to disk | you can't save new files |

        A desk analogy: storage is the filing cabinet, RAM is the desk. You pull what you need onto the desk to work on it; a bigger desk lets you have more open at once, a bigger cabinet lets you keep more stuff.

        For everyday work (browser, office apps, video calls), 16 GB of RAM is comfortable. If you edit video or run virtual machines, more RAM helps.
    """),
    weak=T("""
        RAM is short-term memory and storage is long-term memory. The 16 GB is RAM and the 512 GB is your hard drive or SSD. RAM is faster but gets wiped when you turn the computer off, storage keeps your files.
    """),
    flaws=[
        (
            "| When power is off | forgets everything | keeps everything |",
            "| When power is off | keeps its contents for a few days | keeps everything |",
            "Factual error: RAM loses its contents when power is removed.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="Simple explanation of compound interest vs simple interest, with numbers?",
    good=T("""
        **Simple interest** is paid only on the original amount. **Compound interest** is paid on the original amount *plus* the interest already earned.

        Example: $1,000 at 5% per year for 3 years.

        | Year | Simple interest balance | Compound (annual) balance |
        |---|---|---|
        | 0 | $1,000.00 | $1,000.00 |
        | 1 | $1,050.00 | $1,050.00 |
        | 2 | $1,100.00 | $1,102.50 |
        | 3 | $1,150.00 | $1,157.63 |

        Formulas:

        - Simple: `A = P × (1 + r × t)`
        - Compound: `A = P × (1 + r)^t`

        The gap looks tiny after 3 years but grows fast: after 30 years the simple balance is $2,500 while the compound balance is about $4,322. That's why starting to save early matters so much, and why credit card debt (which compounds) snowballs.
    """),
    weak=T("""
        Simple interest is only calculated on the money you put in. Compound interest is calculated on the money you put in plus the interest you've already earned, so it grows faster over time. For example $1,000 at 5% is $1,050 after a year with either method, but after that compound pulls ahead.
    """),
    flaws=[
        (
            "| 3 | $1,150.00 | $1,157.63 |",
            "| 3 | $1,150.00 | $1,152.50 |",
            "Wrong number: 1000 × 1.05^3 = $1,157.63, not $1,152.50.",
            "major",
        ),
        (
            "the compound balance is about $4,322",
            "the compound balance is about $3,200",
            "Wrong number: 1000 × 1.05^30 is about $4,322.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="What does the CAP theorem say, and does it matter for my Postgres app?",
    good=T("""
        The **CAP theorem** says that a distributed data store, when a **network partition** happens (some nodes can't talk to others), must choose between:

        - **Consistency**: every read sees the latest write (or gets an error), and
        - **Availability**: every request to a non-failed node gets a response, even if it might be stale.

        You can't have both *during a partition*. When the network is healthy, you can have both, so "pick two of three" is a misleading summary: partitions aren't optional in a real network, so the real choice is C or A *when things go wrong*.

        For a typical Postgres app:

        - A **single Postgres server** isn't distributed, so CAP doesn't really apply; your concern is ordinary high availability and backups.
        - With **streaming replication**, reads from a replica may be slightly stale (favouring availability), while synchronous replication waits for the replica to confirm writes (favouring consistency, at the cost of write latency and availability if the replica is down).

        The related **PACELC** idea is often more useful day to day: even without partitions, you trade **latency** against **consistency**.
    """),
    weak=T("""
        CAP says you can only have two out of Consistency, Availability and Partition tolerance in a distributed system. Postgres is usually described as a CP system. For most apps with one database server you don't need to worry about it much.
    """),
    flaws=[
        (
            "- A **single Postgres server** isn't distributed, so CAP doesn't really apply; your concern is ordinary high availability and backups.\n",
            "- A **single Postgres server** is an AP system, so it may return stale reads under load.\n",
            "Factual error: a single Postgres server is not a distributed system and does not return stale reads under load.",
            "major",
        ),
    ],
)

item(
    family="explanation",
    prompt="What is an index in a database and why does it make queries faster? When shouldn't I add one?",
    good=T("""
        An **index** is a separate, sorted data structure (usually a B-tree) that maps column values to the rows that contain them, like the index at the back of a book.

        Without an index, `SELECT * FROM orders WHERE customer_id = 42` has to scan every row. With an index on `customer_id`, the database walks the B-tree in a handful of steps (O(log n)) and jumps straight to the matching rows.

        Indexes help most for:

        - columns in `WHERE`, `JOIN ... ON` and `ORDER BY` clauses,
        - selective conditions that match a small fraction of rows,
        - multi-column filters, using a **composite index** whose column order matches the query (`(customer_id, order_date)` helps `WHERE customer_id = ? AND order_date > ?`).

        When **not** to add one:

        - Write-heavy tables: every `INSERT`/`UPDATE`/`DELETE` must also update each index.
        - Low-selectivity columns (e.g. a boolean `is_active` that's true for 95% of rows); the planner will usually ignore it.
        - Tiny tables, where a full scan is already instant.

        Use `EXPLAIN ANALYZE` to confirm a query actually uses the index before and after adding it.
    """),
    weak=T("""
        An index makes lookups faster because the database doesn't have to look through every row. You should add indexes to columns you search on a lot. Too many indexes can slow down inserts, so don't add them to everything. Use EXPLAIN to check whether a query uses one.
    """),
    flaws=[
        (
            "(`(customer_id, order_date)` helps `WHERE customer_id = ? AND order_date > ?`)",
            "(`(order_date, customer_id)` is the best choice for `WHERE customer_id = ? AND order_date > ?`)",
            "Wrong advice: with an equality on customer_id and a range on order_date, customer_id should lead the composite index.",
            "minor",
        ),
    ],
)

item(
    family="explanation",
    prompt="How do mRNA vaccines work? Keep it short please.",
    good=T("""
        In short, an mRNA vaccine gives your cells temporary instructions to make one harmless piece of a virus, so your immune system can practise on it.

        1. **The message.** The vaccine contains messenger RNA coding for a single viral protein (for COVID-19, the spike protein), wrapped in a tiny fat bubble called a lipid nanoparticle.
        2. **Reading it.** Cells near the injection site take up the particles and their ribosomes read the mRNA to make the protein. The mRNA never enters the cell nucleus and can't change your DNA.
        3. **Cleanup.** The mRNA is fragile and is broken down within days.
        4. **Training.** The immune system sees the protein, makes antibodies against it, and builds memory B and T cells.
        5. **Real infection.** If the actual virus shows up later, the immune system recognises the protein and responds much faster.

        Side effects like a sore arm or fever for a day or two are signs of that immune response getting started.
    """),
    weak=T("""
        They give your body instructions (mRNA) to make a protein from the virus. Your immune system learns to recognise that protein and makes antibodies, so if you get infected later it can fight the virus off quicker. The mRNA breaks down after a short time.
    """),
    flaws=[
        (
            "The mRNA never enters the cell nucleus and can't change your DNA.",
            "The mRNA enters the nucleus and is copied into your DNA, which is why protection lasts for years.",
            "Dangerous misinformation: vaccine mRNA does not enter the nucleus or alter DNA.",
            "major",
        ),
    ],
)

# ---------------------------------------------------------------------------- summaries
PASSAGES = {
    "council": T("""
        At Tuesday's meeting, the Millbrook City Council voted 5-2 to approve the Eastside Mobility Plan, which adds 4.2 miles of protected bike lanes along Harper Avenue and Ninth Street. The $1.8 million project will be paid for mostly by a state transportation grant, with the city covering about $300,000 from its capital budget. Construction is scheduled to begin in April and finish by October. Councilmember Ruiz, who voted against, said the plan removes 140 on-street parking spaces and that local businesses were not consulted enough. Supporters pointed to eleven cyclist injuries on Harper Avenue in the past two years. The council also asked staff to report back in January on loading zones for delivery vehicles.
    """),
    "release": T("""
        Version 2.4 of the Notewell app is rolling out this week on iOS and Android. The headline feature is offline sync: notes edited without a connection are now saved locally and merged automatically when the device reconnects, with a conflict view if the same note changed in two places. Dark mode now follows the system setting by default. Search is about three times faster on large notebooks thanks to a new on-device index. We fixed a bug where images attached to shared notes sometimes failed to upload, and a crash when exporting notes longer than 50 pages to PDF. Please note that this release drops support for Android 8; devices on that version will stay on 2.3.
    """),
    "postmortem": T("""
        On March 12 between 14:05 and 14:52 UTC, roughly 60% of requests to the public API returned errors. The cause was an expired TLS certificate on one of our two load balancers; the certificate had been renewed, but the renewal job failed to deploy it to the second load balancer because of a permissions change made in February. Monitoring alerted on the error rate after six minutes, but the on-call engineer initially suspected a database issue, which delayed diagnosis. Service recovered once the certificate was deployed manually. Action items: add certificate-expiry checks for every load balancer, alert 21 days before any expiry, fix the deploy job's permissions, and add "check TLS" to the API outage runbook.
    """),
    "hybrid": T("""
        Starting September 8, all teams at the Denver and Austin offices will move to a hybrid schedule, with Tuesday, Wednesday and Thursday as in-office days. Mondays and Fridays are flexible. Teams may agree on a different set of three days with their director's approval, but at least one day must overlap with the company-wide Wednesday. Employees who were hired as fully remote are not affected. The desk-booking system will open on August 25, and parking passes will be reissued to anyone who requests one by August 29. Questions should go to your HR business partner rather than the facilities team.
    """),
    "study": T("""
        A study of 312 first-year university students looked at whether sleep in the week before exams was linked to exam results. Students wore activity trackers for the full term. Those who averaged at least seven hours of sleep in exam week scored on average 6 percentage points higher than those who averaged under six hours, after adjusting for high-school grades and course load. Surprisingly, sleeping more on weekends did not make up for short sleep during the week. The authors caution that the study was observational, so it cannot show that sleep causes better grades, and that students who sleep well may differ in other ways. They call for a randomised trial.
    """),
    "complaint": T("""
        I ordered the Halvorsen standing desk on June 3 and was promised delivery within 10 business days. It arrived on July 1, almost four weeks later, and one of the two legs was bent so the desk wobbles at any height above 90 cm. I contacted support on July 2 and was told a replacement leg would ship in 'a few days'. It is now July 19 and nothing has arrived, and my last two emails have not been answered. I paid $649 for this desk. I would like either the replacement leg shipped by express this week or a full refund with collection of the desk. If I do not hear back by Friday I will dispute the charge with my bank.
    """),
    "bridge": T("""
        The Harlow Street Bridge in the town of Eddington was built in 1911 to replace a wooden crossing that washed away in the flood of 1908. Its three stone arches span 96 metres of the River Tane. For most of the century it carried trams as well as carts and cars, but the tram lines were removed in 1953. By 2015 engineers found serious cracking in the central arch, and the bridge was closed to vehicles. After a four-year restoration costing £7.4 million, funded jointly by the county and a heritage grant, it reopened in 2021 to pedestrians and cyclists only. The old toll house at the east end now houses a small café.
    """),
    "earnings": T("""
        Calder Foods reported third-quarter revenue of $412 million, up 6% from a year earlier, driven by its frozen meals line, which grew 14%. Snacks revenue fell 3% as the company cut back on discounting. Gross margin improved to 31.5% from 29.8%, helped by lower freight costs. Net income was $27 million, compared with $31 million last year, because of a one-time $9 million charge for closing its Ohio plant. The company raised its full-year revenue forecast to between $1.62 and $1.65 billion and said it expects to finish moving Ohio production to its Kansas facility by the end of the first quarter.
    """),
    "lunch": T("""
        From Monday, January 12, lunch at Westbrook Elementary will be served in two sittings instead of three. Kindergarten through second grade will eat from 11:15 to 11:45, and third through fifth grade from 11:50 to 12:20. The change gives every class a full 30 minutes, up from 22. Because the sittings are larger, students will now line up by class at the cafeteria doors rather than in the hallway. Families who pay for school lunch online should make sure accounts have a positive balance, as the new card readers will not allow negative balances. Students bringing lunch from home are not affected, except for the new times.
    """),
    "standup": T("""
        Notes from the payments team sync. Priya reported that the refund service migration is done in staging, but load testing showed p95 latency of 480 ms against a target of 300 ms, mostly due to an N+1 query in the ledger lookup. She'll fix that before we schedule the production cutover, now planned for the week of the 17th rather than the 10th. Marco said the fraud-rule UI is ready for review and asked for two reviewers; Jen and Sam volunteered. We agreed to drop support for the legacy v1 webhook format on June 30 and to email affected merchants this week. Open question: who owns the on-call runbook updates? Leaving it with Priya until the next sync.
    """),
}


def summary_item(key, prompt_tpl, good, alt=None, weak=None, flaws=(), alt_pref="tie", context=None):
    item(
        family="summarise",
        prompt=prompt_tpl.format(text=PASSAGES[key]),
        good=good,
        alt=alt,
        weak=weak,
        flaws=list(flaws),
        alt_pref=alt_pref,
        context=context,
    )


summary_item(
    "council",
    "Summarise this news item in 3 bullet points:\n\n{text}",
    good=T("""
        - **Approved:** Millbrook City Council voted 5-2 for the Eastside Mobility Plan, adding 4.2 miles of protected bike lanes on Harper Avenue and Ninth Street; construction runs April to October.
        - **Cost:** $1.8 million, mostly from a state transportation grant, with about $300,000 from the city's capital budget.
        - **Debate:** Opponents cited the loss of 140 parking spaces and limited business consultation; supporters cited 11 cyclist injuries on Harper Avenue in two years. Staff will report on delivery loading zones in January.
    """),
    alt=T("""
        Millbrook's council approved (5-2) a $1.8 million plan for 4.2 miles of protected bike lanes on Harper Avenue and Ninth Street, mostly grant-funded, to be built between April and October.

        - Councilmember Ruiz objected to losing 140 parking spaces and to how little local businesses were consulted.
        - Backers pointed to eleven cyclist injuries on Harper in two years.
        - Staff must report back in January on loading zones.
    """),
    weak=T("""
        - The city council approved new bike lanes.
        - Some people are worried about parking.
        - Construction starts in the spring and will be finished later in the year, and there will be a follow-up report about deliveries.
- The project is paid for mostly with outside money.
    """),
    flaws=[
        (
            "voted 5-2 for",
            "voted unanimously for",
            "Wrong fact: the vote was 5-2, not unanimous (one councilmember is even quoted opposing it).",
            "major",
        ),
        (
            "with about $300,000 from the city's capital budget",
            "with about $800,000 from the city's capital budget",
            "Wrong number: the city's share is about $300,000.",
            "major",
        ),
    ],
)

summary_item(
    "release",
    "Turn these release notes into a short changelog section in markdown:\n\n{text}",
    good=T("""
        ## Notewell 2.4

        ### New
        - **Offline sync:** edits made without a connection are saved locally and merged when you reconnect, with a conflict view when a note changed in two places.

        ### Improved
        - Dark mode follows the system setting by default.
        - Search is about 3x faster on large notebooks (new on-device index).

        ### Fixed
        - Images attached to shared notes sometimes failed to upload.
        - Crash when exporting notes longer than 50 pages to PDF.

        ### Removed
        - Android 8 is no longer supported; those devices stay on 2.3.
    """),
    weak=T("""
        ## 2.4

        - Offline sync
        - Dark mode changes
        - Faster search
        - Bug fixes
        - Android 8 no longer supported

        Available this week on iOS and Android. See the full release notes for more details about what changed in this version.
    """),
    flaws=[
        (
            "- Android 8 is no longer supported; those devices stay on 2.3.",
            "- Android 8 support has been improved.",
            "Reverses a fact: the release drops Android 8 support.",
            "major",
        ),
        (
            "- Search is about 3x faster on large notebooks (new on-device index).",
            "- Search is about 3x faster on large notebooks (new cloud search index).",
            "Hallucinated detail: the notes say the index is on-device, not in the cloud.",
            "minor",
        ),
    ],
)

summary_item(
    "postmortem",
    "Give me a TL;DR of this incident report for the exec update (2-3 sentences max):\n\n{text}",
    good=T("""
        **TL;DR:** On March 12 the public API was partly down for 47 minutes (14:05-14:52 UTC, ~60% of requests failing) because an expired TLS certificate was left on one of two load balancers after a renewal job silently failed. Diagnosis took longer than it should have because the first suspicion was the database. We're adding certificate-expiry monitoring on every load balancer with 21-day warnings, fixing the deploy job's permissions, and updating the outage runbook.
    """),
    alt=T("""
        **TL;DR:** An expired certificate on one load balancer caused errors for about 60% of API requests for 47 minutes on March 12. Root cause was a renewal job that couldn't deploy after a February permissions change. Fixes: expiry alerts 21 days ahead for all load balancers, corrected permissions, and a runbook update.

        Customer impact was partial rather than total, since the second load balancer kept serving traffic.
    """),
    weak=T("""
        There was an API outage on March 12 because of a certificate problem. It took a while to figure out what was wrong but it's fixed now and the team has some action items to stop it happening again, including better monitoring.
    """),
    flaws=[
        (
            "partly down for 47 minutes (14:05-14:52 UTC",
            "partly down for 74 minutes (14:05-14:52 UTC",
            "Wrong number: 14:05-14:52 is 47 minutes.",
            "major",
        ),
        (
            "because an expired TLS certificate was left on one of two load balancers after a renewal job silently failed",
            "because of a database failover that took longer than expected",
            "Wrong root cause: the report blames an expired TLS certificate; the database was only the initial wrong suspicion.",
            "major",
        ),
    ],
)

summary_item(
    "hybrid",
    "Summarise this announcement for a Slack post, keep it friendly:\n\n{text}",
    good=T("""
        :office: **Hybrid schedule starts Sept 8** (Denver & Austin)

        - In-office days: **Tue, Wed, Thu**. Mondays and Fridays are flexible.
        - Teams can pick a different set of three days with director approval, as long as one of them is **Wednesday**.
        - Fully remote hires: nothing changes for you.
        - Desk booking opens **Aug 25**. Need a parking pass? Request it by **Aug 29**.

        Questions? Ping your HR business partner (not facilities). Thanks all!
    """),
    weak=T("""
        Hi all! From September we're going hybrid, three days a week in the office. Check the full announcement for the details about desk booking and parking, there are a couple of deadlines in August. Reach out to HR if you have any questions!
    """),
    flaws=[
        (
            "- Fully remote hires: nothing changes for you.\n",
            "",
            "Missing key point: omits that fully remote employees are not affected.",
            "minor",
        ),
        (
            "Request it by **Aug 29**",
            "Request it by **Sept 29**",
            "Wrong date: the parking pass deadline is August 29.",
            "major",
        ),
    ],
)

summary_item(
    "study",
    "Can you summarise this for a general audience? Be careful not to overstate the findings.\n\n{text}",
    good=T("""
        Researchers followed 312 first-year university students with activity trackers for a whole term. Students who slept at least seven hours a night in exam week scored about **6 percentage points higher** on exams than those who slept under six hours, even after accounting for their high-school grades and course load. Catching up on sleep at weekends didn't seem to close the gap.

        **The caveat:** this was an observational study, so it shows a link, not proof that more sleep *causes* better grades. Students who sleep well might differ in other ways (stress, habits, health). The authors say a randomised trial is needed to settle it.
    """),
    weak=T("""
        A new study shows that sleeping more before exams leads to better grades. Students who got seven hours of sleep did better than students who got less than six. So if you have exams coming up, make sure you get enough sleep!
    """),
    flaws=[
        (
            "Students who slept at least seven hours a night in exam week scored about **6 percentage points higher**",
            "Students who slept at least seven hours a night in exam week scored about **16 percentage points higher**",
            "Wrong number: the difference was 6 percentage points.",
            "major",
        ),
        (
            "Catching up on sleep at weekends didn't seem to close the gap.",
            "Catching up on sleep at weekends fully made up for short nights.",
            "Reverses a finding: weekend sleep did not compensate for short weekday sleep.",
            "major",
        ),
    ],
)

summary_item(
    "complaint",
    "Summarise this customer email for our support ticket: what happened, what they want, any deadline.\n\n{text}",
    good=T("""
        **What happened**
        - Ordered the Halvorsen standing desk on June 3 ($649), promised within 10 business days.
        - Delivered July 1 with one bent leg; the desk wobbles above 90 cm.
        - Support promised a replacement leg on July 2; nothing has arrived as of July 19 and two follow-up emails went unanswered.

        **What they want**
        - Replacement leg shipped express this week, **or** a full refund with the desk collected.

        **Deadline**
        - Reply by Friday, otherwise they'll dispute the charge with their bank.

        **Priority:** high (chargeback risk, repeated missed follow-ups).
    """),
    alt=T("""
        Customer received a $649 Halvorsen standing desk four weeks late (July 1) with a bent leg. A replacement leg promised on July 2 never shipped and their last two emails got no reply. They want express shipping of the leg this week or a full refund plus pickup, and will file a chargeback if there's no answer by Friday.
    """),
    weak=T("""
        Customer is unhappy about a late and damaged standing desk and wants it sorted out. They have emailed before and haven't had an answer. They mention disputing the charge with their bank if nobody replies, so this should be looked at soon.
    """),
    flaws=[
        (
            "- Replacement leg shipped express this week, **or** a full refund with the desk collected.",
            "- A full refund and they will keep the desk.",
            "Misstates the request: they want an express replacement leg or a refund with the desk collected, not to keep it.",
            "major",
        ),
    ],
)

summary_item(
    "bridge",
    "Please summarise this paragraph in one or two sentences.\n\n{text}",
    good=T("""
        Eddington's three-arched stone Harlow Street Bridge, built in 1911 after a flood destroyed the earlier wooden crossing, was closed to vehicles in 2015 because of cracking in its central arch. After a four-year, £7.4 million restoration paid for by the county and a heritage grant, it reopened in 2021 for pedestrians and cyclists only, with a café in the old toll house.
    """),
    alt=T("""
        Built in 1911 and once used by trams (until 1953), the Harlow Street Bridge was shut to traffic in 2015 after its central arch cracked. A £7.4 million restoration reopened it in 2021 as a walking and cycling bridge; the former toll house at its east end is now a café.
    """),
    weak=T("""
        The Harlow Street Bridge is an old stone bridge that was closed for a few years for repairs and has now reopened. People can walk and cycle across it and there is a café at one end. The repairs cost quite a lot of money.
    """),
    flaws=[
        (
            "was closed to vehicles in 2015",
            "was closed to vehicles in 1953",
            "Wrong date: 1953 is when tram lines were removed; the closure was in 2015.",
            "major",
        ),
        (
            "it reopened in 2021 for pedestrians and cyclists only",
            "it reopened in 2021 to all traffic",
            "Wrong fact: it reopened to pedestrians and cyclists only.",
            "major",
        ),
    ],
)

summary_item(
    "earnings",
    "Summarise Calder's quarter in a few bullets for an investor newsletter:\n\n{text}",
    good=T("""
        **Calder Foods, Q3**

        - **Revenue:** $412M, +6% year on year. Frozen meals +14%; snacks -3% after reduced discounting.
        - **Margin:** gross margin up to 31.5% (from 29.8%) on lower freight costs.
        - **Profit:** net income $27M vs $31M a year ago, reflecting a one-time $9M Ohio plant closure charge; excluding it, profit would have been up.
        - **Outlook:** full-year revenue guidance raised to $1.62-1.65B. Ohio production moves to Kansas by end of Q1.
    """),
    weak=T("""
        - Revenue went up this quarter.
        - Frozen meals did well and snacks did worse.
        - Profit was down because of a plant closure.
        - They raised their forecast for the full year.
        - Margins got better thanks to cheaper shipping.
    """),
    flaws=[
        (
            "- **Margin:** gross margin up to 31.5% (from 29.8%) on lower freight costs.",
            "- **Margin:** gross margin down to 29.8% (from 31.5%) on higher freight costs.",
            "Reverses the margin trend: gross margin improved from 29.8% to 31.5% on lower freight costs.",
            "major",
        ),
        (
            "guidance raised to $1.62-1.65B",
            "guidance raised to $1.72-1.75B",
            "Wrong numbers: the raised guidance is $1.62-1.65 billion.",
            "major",
        ),
    ],
)

summary_item(
    "lunch",
    "Rewrite this as a short, clear note for parents (bullet points are fine):\n\n{text}",
    good=T("""
        **New lunch schedule from Monday, January 12**

        - **K-2nd grade:** 11:15-11:45
        - **3rd-5th grade:** 11:50-12:20
        - Every class now gets a full **30 minutes** for lunch (up from 22).
        - Students will line up by class at the cafeteria doors instead of in the hallway.
        - **If you pay online:** please keep your child's account above zero. The new card readers won't allow a negative balance.

        Bringing lunch from home? Only the times change for you.
    """),
    weak=T("""
        Dear parents, lunch times are changing in January. There will be two lunch sittings instead of three and students will get more time to eat. Please make sure your child's lunch account has money on it, because the new system won't let it go negative. Thank you!
    """),
    flaws=[
        (
            "- **3rd-5th grade:** 11:50-12:20",
            "- **3rd-5th grade:** 12:50-1:20",
            "Wrong time: grades 3-5 eat from 11:50 to 12:20.",
            "major",
        ),
    ],
)

summary_item(
    "standup",
    "Extract the decisions and action items from these meeting notes as a table.\n\n{text}",
    good=T("""
        **Decisions**

        - Production cutover of the refund service moves to the week of the 17th (was the 10th).
        - Legacy v1 webhook format will be dropped on June 30.

        **Action items**

        | Owner | Action | When |
        |---|---|---|
        | Priya | Fix the N+1 query in ledger lookup (p95 480 ms vs 300 ms target) | before cutover |
        | Jen, Sam | Review the fraud-rule UI | not set |
        | Team (owner not named) | Email merchants affected by the v1 webhook removal | this week |
        | Priya (interim) | Own on-call runbook updates | until next sync |

        **Open question:** permanent owner for the on-call runbook.
    """),
    weak=T("""
        | Item | Owner |
        |---|---|
        | Refund migration | Priya |
        | Fraud UI review | Jen and Sam |
        | Webhook emails | ? |

        The cutover date moved and v1 webhooks are being dropped in June. Someone still needs to take over the runbook.
    """),
    flaws=[
        (
            "| Priya | Fix the N+1 query in ledger lookup (p95 480 ms vs 300 ms target) | before cutover |",
            "| Marco | Fix the N+1 query in ledger lookup (p95 480 ms vs 300 ms target) | before cutover |",
            "Wrong owner: Priya, not Marco, is fixing the N+1 query.",
            "major",
        ),
        (
            "- Production cutover of the refund service moves to the week of the 17th (was the 10th).",
            "- Production cutover of the refund service stays on the week of the 10th.",
            "Wrong date: the cutover moved from the 10th to the week of the 17th.",
            "major",
        ),
    ],
)

summary_item(
    "postmortem",
    "Now write it as a short note to customers. No internal details about who did what.",
    context=[
        {"role": "user", "content": "Here's our incident report:\n\n" + PASSAGES["postmortem"]},
        {
            "role": "assistant",
            "content": "Thanks, I've read it. Expired certificate on one load balancer, 47 minutes of partial errors on March 12, and four action items. What would you like me to do with it?",
        },
    ],
    good=T("""
        **Service incident on March 12: API errors**

        Between 14:05 and 14:52 UTC on March 12, about 60% of requests to our public API failed. The cause was an expired security certificate on part of our infrastructure. Service was fully restored at 14:52 UTC, and no data was lost or exposed.

        We're sorry for the disruption. To prevent this from happening again, we are:

        - monitoring certificate expiry on every load balancer, with alerts three weeks in advance;
        - fixing the automated process that should have installed the renewed certificate;
        - updating our incident procedures so this kind of problem is identified faster.

        If you saw failed requests in that window, retrying them is safe. Contact support if you need help.
    """),
    weak=T("""
        On March 12 some API requests failed for about 47 minutes because of a certificate issue. It's fixed now and we're putting measures in place so it doesn't happen again. Sorry for the inconvenience. You can retry any requests that failed during that time.
    """),
    flaws=[
        (
            "Service was fully restored at 14:52 UTC, and no data was lost or exposed.",
            "Service was fully restored at 14:52 UTC after our on-call engineer, who first blamed the database, finally found the certificate.",
            "Includes the internal blame detail the user asked to leave out.",
            "major",
        ),
    ],
)
