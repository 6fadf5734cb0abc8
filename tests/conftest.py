"""Shared fixtures: a real PostgreSQL server for the store's PostgreSQL back end."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server on loopback (or $HITL_PG_URL when set).

    Skips, saying why, only where no server can be started (no PostgreSQL binaries).
    """
    if os.environ.get("HITL_PG_URL"):
        yield os.environ["HITL_PG_URL"]
        return
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb) on this machine: "
            "apt-get install postgresql, or set HITL_PG_URL"
        )
    pytest.importorskip("psycopg", reason="psycopg is needed for the PostgreSQL back end")
    base = tempfile.mkdtemp(prefix="hitl-pg-")
    data = os.path.join(base, "data")
    port = _free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use its own user
        shutil.chown(base, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run_as, f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            f"{bindir}/pg_ctl",
            "-D",
            data,
            "-l",
            os.path.join(base, "log"),
            "-w",
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=on",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    import psycopg

    for _ in range(100):
        try:
            psycopg.connect(url).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        subprocess.run(
            [*run_as, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the test server."""
    import psycopg

    name = "hitl_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    yield postgres_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a test module (``pytestmark = pytest.mark.usefixtures(...)``):
    tiny models gain nothing from two, and on a shared 2-core machine two threads thrash
    (measured 3x slower)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def pytest_collection_modifyitems(config, items):
    """The end-to-end tests run last. Their browser (Playwright's sync API, one per session)
    keeps an asyncio loop running on the main thread until the session ends, and a test
    after them would find itself "inside a running event loop" (as in a Jupyter kernel):
    the synchronous agent adapters rightly refuse to run there."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path).replace("\\", "/"))
