"""A PostgreSQL server of a test's own, with password authentication, that the test can
restart and stop (the store's reconnection, the widget's recovery, end to end too)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

SECRET = "Hunter2-s3cr3t-pw"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class PgServer:
    """A throwaway server with password authentication (scram-sha-256)."""

    def __init__(self) -> None:
        bindir = _pg_bin()
        if bindir is None:
            pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
        pytest.importorskip("psycopg")
        self.bindir = bindir
        self.base = tempfile.mkdtemp(prefix="hitl-pg-hostile-")
        self.data = os.path.join(self.base, "data")
        self.port = _free_port()
        self.run_as: list[str] = []
        pwfile = os.path.join(self.base, "pw")
        Path(pwfile).write_text(SECRET + "\n")
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use its own user
            shutil.chown(self.base, "postgres")
            shutil.chown(pwfile, "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [
                *self.run_as,
                f"{bindir}/initdb",
                "-D",
                self.data,
                "-A",
                "scram-sha-256",
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        self.start()

    def url(self, db: str = "postgres", *, password: str = SECRET) -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{db}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, f"{self.bindir}/pg_ctl", "-D", self.data, *args], check=True, capture_output=True
        )

    def start(self) -> None:
        self._ctl(
            "-l",
            os.path.join(self.base, "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self) -> None:
        self._ctl("-w", "-m", "fast", "stop")

    def restart(self) -> None:
        self._ctl(
            "-l",
            os.path.join(self.base, "log"),
            "-w",
            "-m",
            "fast",
            "-o",
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1",
            "restart",
        )

    def new_database(self) -> str:
        import psycopg

        name = "hostile_" + uuid.uuid4().hex[:10]
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def close(self) -> None:
        subprocess.run(
            [*self.run_as, f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(self.base, ignore_errors=True)
