"""A real PostgreSQL for the dataset tests, on loopback, started without systemd.

One server per test session (see DESIGN.md, "Test infrastructure notes"): ``initdb`` with
trust authentication for the user ``tps`` in a temp folder, ``pg_ctl start`` on a free
port, ``pg_ctl stop`` and the folder removed at the end. As root the server runs as the
``postgres`` user (PostgreSQL refuses to run as root), so its folder lives in the system
temp dir, owned by that user, not in pytest's private tmp_path. Each test gets an empty
database of its own (``fresh_database``), dropped after it.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

USER = "tps"
PREFIX = "tps-postgres-"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest, else the PATH's."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
             if os.access(Path(p).parent / "initdb", os.X_OK)]
    if found:
        return max(found, key=lambda d: _version(d.parent.name))
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.split(".") if p.isdigit())


class PostgresServer:
    """One throwaway cluster; ``url(name)`` is a database of it, ``create()`` a new one."""

    def __init__(self, bin_dir: Path, root: Path | None = None) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = root or Path(tempfile.mkdtemp(prefix=PREFIX))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:  # the server refuses root: run as the postgres user
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.root.chmod(0o755)
        if root is None:
            (self.root / "owner.pid").write_text(str(os.getpid()))

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        cmd = [*self._as, str(self.bin_dir / tool), *args]
        done = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}"
                               f"{done.stderr}{log}")

    def start(self) -> PostgresServer:
        try:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER,
                      "-E", "UTF8", "--no-locale", "--no-sync")
            options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log),
                      "start", "-w", "-t", "60")
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            self.stop()
            pytest.fail(f"PostgreSQL did not start: {exc}")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", "-w")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # the folder goes anyway; a stray server dies with its data dir's lock
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, name: str = "postgres", user: str = USER) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{name}"

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser ``tps``, outside a transaction."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create(self, options: str = "") -> str:
        """A new empty database (``options`` as CREATE DATABASE takes them); its name."""
        name = f"tps_test_{os.getpid()}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" {options}')
        return name

    def drop(self, name: str) -> None:
        """Drop a database, ending whatever connections a test left open on it."""
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sweep_orphans(bin_dir: Path) -> None:
    """Stop and remove the servers of test sessions that were killed before their end."""
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((root / "owner.pid").read_text())
            os.kill(owner, 0)
            continue  # its session is still running
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # not ours to judge (being set up, or not a session's)
        PostgresServer(bin_dir, root).stop()


def start_server() -> PostgresServer:
    """A started server; skips (fails under TPS_REQUIRE_TOOLS) without PostgreSQL."""
    import factories as fx  # here: conftest imports this module before any test module
    bin_dir = find_bin_dir()
    if bin_dir is None:
        fx.unavailable("PostgreSQL (initdb, pg_ctl) is not installed: the PostgreSQL "
                       "variants need Debian's postgresql (see scripts/setup-system)")
    fx.need_module("psycopg", "the PostgreSQL variants need psycopg 3 (pip install psycopg)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            fx.unavailable("running as root without a postgres user to run PostgreSQL as")
        fx.need("runuser")
    sweep_orphans(bin_dir)
    return PostgresServer(bin_dir).start()


def fresh_database(server: PostgresServer) -> Iterator[str]:
    """The URL of a new empty database, dropped after the test."""
    name = server.create()
    try:
        yield server.url(name)
    finally:
        server.drop(name)
