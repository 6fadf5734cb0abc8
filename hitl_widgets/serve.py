"""Serve a review as a web page, for people who do not use notebooks.

A notebook that builds a review (``hw.ClassificationReview(...)`` as the value of a cell)
is served by Voila as a page: no code, no cells, only the widgets. Each person opens a link
that names them; the notebook reads the name with :func:`annotator_from_link`::

    python -m hitl_widgets.serve pilot.ipynb --port 8866 --name ana --name bob
    # or: bash scripts/serve.sh pilot.ipynb --port 8866 --name ana --name bob

prints one link per person (``http://127.0.0.1:8866/?annotator=ana``) once the page answers.
Every page load starts a fresh kernel that runs the notebook top to bottom; the link's query
string reaches that kernel as ``os.environ["QUERY_STRING"]`` (Voila's doing), so in the
notebook::

    import hitl_widgets as hw
    from hitl_widgets.serve import annotator_from_link

    review = hw.ClassificationReview(df, labels=[...], store="pilot.db",
                                     annotator=annotator_from_link(default="guest"))
    review

Run in JupyterLab the same notebook has no query string and uses the default. Relative
store paths are relative to the notebook's folder (Voila starts the kernel there).

Voila (``pip install voila``) is an optional dependency; this module imports nothing from it.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs, urlencode

__all__ = ["annotator_from_link", "link_params", "main"]

_MAX_NAME = 64


def link_params(query: str | None = None) -> dict[str, str]:
    """The page link's query parameters (the last value of each), read from
    ``QUERY_STRING`` (set by Voila in the kernel of each page); ``{}`` outside Voila."""
    q = os.environ.get("QUERY_STRING", "") if query is None else query
    return {k: v[-1] for k, v in parse_qs(q, keep_blank_values=False).items() if v}


def annotator_from_link(
    default: str | None = None, *, param: str = "annotator", query: str | None = None
) -> str | None:
    """The annotator named in the page's link (``?annotator=ana``), else `default`.

    A name is 1-64 printable characters (letters of any script, digits, spaces and
    punctuation; no control characters); anything else raises ``ValueError`` naming the
    parameter, so a mistyped link never writes decisions under a garbled name."""
    raw = link_params(query).get(param)
    if raw is None:
        return default
    name = raw.strip()
    if not name:
        return default
    if len(name) > _MAX_NAME or any(unicodedata.category(c).startswith("C") for c in name):
        raise ValueError(f"{param}= in the link must be 1-{_MAX_NAME} printable characters, got {raw[:80]!r}")
    return name


# -- the command --------------------------------------------------------------------------------
def _is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _link_host(ip: str) -> str:
    if ip in ("0.0.0.0", "::", ""):
        return socket.gethostname()
    return f"[{ip}]" if ":" in ip else ip


def links(base: str, names: list[str], token: str | None, param: str = "annotator") -> list[str]:
    """One link per name (or the bare page when no name is given)."""
    out = []
    each: list[str | None] = list(names) or [None]
    for name in each:
        q = {}
        if token:
            q["token"] = token
        if name:
            q[param] = name
        out.append(base + ("?" + urlencode(q) if q else ""))
    return out


def voila_command(
    notebook: Path, port: int, ip: str, token: str | None, extra: list[str] | None = None
) -> list[str]:
    """The Voila command line: this port exactly (no retries), no browser, no code shown."""
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
    ]
    if token:
        cmd.append(f"--token={token}")
    return cmd + list(extra or [])


def _wait_listening(ip: str, port: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    host = "127.0.0.1" if ip in ("0.0.0.0", "", "localhost") else ("::1" if ip == "::" else ip)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hitl_widgets.serve",
        description="Serve a notebook that builds a review as a web page (Voila): people open a "
        "link with their name, review with the keys, and the decisions go to the "
        "notebook's store under that name.",
    )
    p.add_argument("notebook", type=Path, help="the notebook that builds and shows the review")
    p.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    p.add_argument(
        "--ip",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: "
        "every network interface, for people on other machines)",
    )
    p.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="NAME",
        help="print a link for this annotator (repeat for each person)",
    )
    p.add_argument("--param", default="annotator", help="query parameter of the name (default annotator)")
    tok = p.add_mutually_exclusive_group()
    tok.add_argument(
        "--token",
        default=None,
        help="require this token in the link (default: a random one when --ip is not a loopback address)",
    )
    tok.add_argument("--no-token", action="store_true", help="no token, even on a network address")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for Voila to start")
    return p


def _announce(nb: Path, ip: str, port: int, names: list[str], token: str | None, param: str) -> str:
    base = f"http://{_link_host(ip)}:{port}/"
    lines = [f"Serving {nb.name} as a page (Voila, no code shown). Open:"]
    each: list[str | None] = list(names) or [None]
    for name, url in zip(each, links(base, names, token, param), strict=True):
        lines.append(f"  {url}" + (f"    ({name})" if name else ""))
    if not names:
        lines.append(f"  each person adds {'&' if token else '?'}{param}=THEIR_NAME to the link")
    lines.append("Ctrl+C stops the server.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m hitl_widgets.serve NOTEBOOK [--port P] [--ip IP] [--name NAME ...]``:
    start Voila on the notebook, print one link per name once the page answers, serve
    until Ctrl+C (or SIGTERM), then stop Voila and its kernels. Other options pass to Voila."""
    p = _parser()
    args, extra = p.parse_known_args(argv)
    nb = args.notebook.expanduser().resolve()
    if not nb.is_file() or nb.suffix != ".ipynb":
        p.error(f"{args.notebook}: no such notebook (.ipynb)")
    import importlib.util

    if importlib.util.find_spec("voila") is None:
        print("Voila is not installed: pip install voila", file=sys.stderr)
        return 2
    for name in args.name:
        annotator_from_link(query=urlencode({"n": name}), param="n")  # the same rule as the page
    token = None if args.no_token else args.token
    if token is None and not args.no_token and not _is_loopback(args.ip):
        token = secrets.token_urlsafe(16)

    def stop(signum: int, frame: object) -> None:  # SIGTERM / SIGHUP: stop Voila too
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, stop)
    proc = subprocess.Popen(voila_command(nb, args.port, args.ip, token, extra), cwd=nb.parent)
    try:
        if not _wait_listening(args.ip, args.port, proc, args.timeout):
            code = proc.poll()
            print(
                f"Voila did not start on {args.ip}:{args.port}"
                + (f" (exit {code})" if code is not None else ""),
                file=sys.stderr,
            )
            return 1
        print(_announce(nb, args.ip, args.port, args.name, token, args.param), flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()  # Voila shuts its kernels down on SIGTERM
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
