"""Windows offices: `tps ingest` and `tps run` where fcntl, resource and os.sync are missing.

A ``sitecustomize`` on PYTHONPATH hides them from the command and from every worker it
starts (an import hook refuses ``fcntl`` and ``resource``; ``os.sync`` is deleted), as
on Windows; nothing may be lost and the workspace lock must stay exclusive.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

HIDE = '''
import importlib.abc, os, sys

class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in ("fcntl", "resource"):
            raise ImportError(f"No module named {name!r} (hidden: as on Windows)")
        return None

for _name in ("fcntl", "resource"):
    sys.modules.pop(_name, None)
sys.meta_path.insert(0, _Hide())
if hasattr(os, "sync"):
    del os.sync
'''


def _env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TPS_KILL_AT"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _tps(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tps_batch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_hook_really_hides(tmp_path: Path) -> None:
    env = _env(tmp_path)
    probe = ("import os\n"
             "for m in ('fcntl', 'resource'):\n"
             "    try:\n        __import__(m); print(m, 'present')\n"
             "    except ImportError:\n        print(m, 'hidden')\n"
             "print('sync', 'present' if hasattr(os, 'sync') else 'hidden')\n"
             "import tps_batch.lock as l, tps_batch.workers as w\n"
             "print('cap', w.address_space_cap(), 'flock', l._fcntl is not None)\n")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[:5] == ["fcntl hidden", "resource hidden", "sync hidden",
                       "cap False flock False", ""]


@pytest.mark.slow
def test_ingest_and_run_without_posix_calls(demo_copy: Path, tmp_path: Path) -> None:
    ws = demo_copy
    env = _env(tmp_path)
    inbox = sorted(p for p in (ws / "inbox").rglob("*") if p.is_file())
    hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in inbox}
    assert len(inbox) > 10

    # the lock is still exclusive: a second command finds the first one holding it
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from tps_batch.lock import "
         "workspace_lock\nwith workspace_lock(Path(sys.argv[1])):\n"
         "    print('held', flush=True); time.sleep(60)", str(ws)],
        env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = _tps(env, "ingest", "-w", str(ws))
        assert busy.returncode == 1
        assert f"PID {holder.pid}" in busy.stderr
        assert len([p for p in (ws / "inbox").rglob("*") if p.is_file()]) == len(inbox)
    finally:
        holder.kill()
        holder.wait()
    # a marker left by the killed holder is stale: its PID is gone
    done = _tps(env, "ingest", "-w", str(ws))
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr

    engine = sa.create_engine(f"sqlite:///{ws / 'tps.sqlite'}")
    with engine.connect() as conn:
        stored = {r.sha256: r.kept_path for r in conn.execute(sa.text(
            "SELECT sha256, kept_path FROM submissions"))}
    engine.dispose()
    assert set(stored) == hashes  # every file stored once
    for kept in stored.values():  # and every original kept, byte for byte
        assert hashlib.sha256((ws / kept).read_bytes()).hexdigest() in hashes
    assert not [p for p in (ws / "inbox").rglob("*") if p.is_file()]

    ran = _tps(env, "run", "-w", str(ws), "--as-of", "2024-05-15", "--format", "xlsx,html")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr
    assert not list(ws.glob(".tps.lock.pid"))  # released
    log = (ws / "logs" / "tps.log").read_text(encoding="utf-8")
    assert "run 1 ended: ok" in log
    assert "no RLIMIT_AS on this platform" in log


def test_marker_lock_is_exclusive_and_survives_a_kill(tmp_path: Path) -> None:
    """The fallback lock alone (no fcntl, no msvcrt): a live holder excludes, a dead one
    does not."""
    env = _env(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    code = ("import sys, time; from pathlib import Path; from tps_batch.lock import "
            "workspace_lock\nwith workspace_lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(60)")
    first = subprocess.Popen([sys.executable, "-c", code, str(ws)], env=env,
                             stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None and first.stdout.readline().strip() == "held"
    second = subprocess.run([sys.executable, "-c", code, str(ws)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode != 0 and f"PID {first.pid}" in second.stderr
    first.kill()
    first.wait()
    assert (ws / ".tps.lock.pid").read_text().strip() == str(first.pid)  # left by the kill
    third = subprocess.Popen([sys.executable, "-c", code, str(ws)], env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert third.stdout is not None and third.stdout.readline().strip() == "held"
    finally:
        third.kill()
        third.wait()
    time.sleep(0)
    shutil.rmtree(ws)
