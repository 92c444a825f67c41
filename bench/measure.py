"""Run each benchmark step as a whole process and measure its wall time and peak RSS.

A step is one child process, started with ``subprocess.Popen``, timed with
``time.perf_counter`` from before the start to after the reap, and reaped with
``os.wait4`` for its rusage. The start and the reap happen in a tiny launcher process
(``python -S``, about 10 MB), not in this one: Linux starts a child through vfork and, at
exec, counts the *parent's* peak RSS into the child's ``ru_maxrss``, so a child of this
process (which holds a corpus's task list) would never show less than this process's peak.
``ru_maxrss`` (KiB on Linux) is the peak resident set of the child or of the largest
descendant it reaped itself — for ``tps ingest`` that is its main process (the reading
workers are children of the forkserver, which is not reaped before the command exits).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.corpus import FY, Corpus
from tps_batch import demo
from tps_batch.settings import SETTINGS_FILE, render_toml

REPO = Path(__file__).resolve().parent.parent
_INGEST = re.compile(r"\(accepted (\d+), with warnings (\d+), rejected (\d+), duplicates (\d+)")
_REPORT = re.compile(r"wrote (\d+) file\(s\), (\d+) unchanged")


@dataclass
class Step:
    """One measured step: a process, or the median of several runs of it."""

    step: str
    n: int                      # workbooks in the workspace (or folder) it worked on
    seconds: float              # the median of ``runs``
    peak_rss_mb: float          # the largest of the runs
    returncode: int             # the first non-zero exit code of the runs, else 0
    ms_per_workbook: float = 0.0
    ratio_to_floor: float | None = None  # per workbook: seconds / floor seconds at equal n
    note: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    runs: list[float] = field(default_factory=list)  # wall seconds of each run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _maxrss_mb(kib_or_bytes: int) -> float:
    """ru_maxrss in MB: KiB on Linux, bytes on macOS."""
    return kib_or_bytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def child_env() -> dict[str, str]:
    """The environment of every child: this repository first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("TPS_KILL_AT", None)
    return env


_LAUNCHER = """\
import os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL)
_pid, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - started
proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
with open(sys.argv[1], "w") as fh:
    fh.write(f"{seconds!r} {usage.ru_maxrss} {proc.returncode}")
"""


def run_process(argv: list[str], log_stem: Path, *, cwd: Path | None = None,
                ) -> tuple[float, float, int]:
    """Run ``argv`` to its end: (wall seconds, peak RSS MB, exit code). Output to log files."""
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    measured = log_stem.with_suffix(".rusage")
    measured.unlink(missing_ok=True)
    with open(log_stem.with_suffix(".out"), "wb") as out, \
            open(log_stem.with_suffix(".err"), "wb") as err:
        subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, str(measured), *argv],
                       stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=child_env(),
                       cwd=cwd or REPO, check=True)
    seconds, maxrss, code = measured.read_text(encoding="utf-8").split()
    return float(seconds), _maxrss_mb(int(maxrss)), int(code)


def tps(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "tps_batch.cli", *map(str, args)]


def reader(kind: str, folder: Path) -> list[str]:
    return [sys.executable, "-m", "bench.readers", kind, str(folder)]


#: ext4 without a journal steps around inodes freed in the last 60 s, or 360 s once their
#: inode-table block is dirty again (``recently_deleted`` in fs/ext4/ialloc.c), at a cost
#: for every new file; creating files in the same groups dirties those blocks. So thousands
#: of files deleted shortly before a step would be charged to it (measured: cold ingest
#: 30-80 % slower a minute after deleting the last run's workspaces).
INODE_REUSE_S = 360
_SETTLE_FILES = 1000  # fewer freed inodes than this cost nothing measurable
_DELETED = ".last-deletion"  # when (epoch seconds) and how many files, of the last clean-up


def shelve_workspaces(out: Path) -> Path | None:
    """Move the last run's workspaces aside (a rename frees no inode); they are deleted by
    :func:`delete_shelved` once this run has measured everything."""
    old = sorted(out.glob("ws-n*"))
    if not old:
        return None
    shelf = out / f"trash-{time.time_ns()}"
    shelf.mkdir()
    for path in old:
        path.rename(shelf / path.name)
    return shelf


def delete_shelved(out: Path) -> int:
    """Delete every shelved workspace (after the measurements); the time is recorded so that
    a run started soon after waits for the kernel to forget (see :data:`INODE_REUSE_S`)."""
    shelves = sorted(out.glob("trash-*"))
    count = sum(len(files) for shelf in shelves for _root, _dirs, files in os.walk(shelf))
    if count:
        note_deletion(out, count)  # first: an interrupted deletion still counts
    for shelf in shelves:
        shutil.rmtree(shelf)
    if count:
        os.sync()
        note_deletion(out, 0)  # the same files, their time now that they are gone
    return count


def _last_deletion(out: Path) -> tuple[float, int] | None:
    """(epoch seconds, files) of the last recorded deletion, if any."""
    try:
        at, count = (out / _DELETED).read_text(encoding="utf-8").split()
        return float(at), int(count)
    except (OSError, ValueError):
        return None


def note_deletion(out: Path, count: int) -> None:
    """Record that ``count`` files were deleted just now (see :func:`settle`), on top of an
    earlier deletion still within the kernel's window."""
    last = _last_deletion(out)
    if last and time.time() - last[0] < INODE_REUSE_S:
        count += last[1]
    (out / _DELETED).write_text(f"{time.time():.0f} {count}", encoding="utf-8")


def settle(out: Path, log: Callable[[str], None]) -> None:
    """Before a step that creates thousands of files: wait until the last large deletion
    is out of the kernel's window (only a benchmark run soon after another one waits; a
    nightly run never follows a mass deletion within minutes)."""
    last = _last_deletion(out)
    if last is None:
        return
    at, count = last
    left = at + INODE_REUSE_S + 2 - time.time()
    if count >= _SETTLE_FILES and left > 0:
        log(f"  (waiting {left:.0f} s: {count} files of an earlier run's workspaces were deleted "
            f"{time.time() - at:.0f} s ago, and ext4 would make new files pay for it)")
        time.sleep(left)


def make_workspace(path: Path, corpus: Corpus, *, inbox: bool = False) -> Path:
    """A fresh, empty workspace whose ``watched = ["corpus"]`` is the corpus (a symlink);
    with ``inbox``, a copy of every corpus file waits in its inbox instead (nothing watched)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    for folder in demo.FOLDERS:
        (path / folder).mkdir()
    (path / "plan.xlsx").symlink_to(os.path.relpath(corpus.plan, path))
    # the corpus is complete before any step starts: no settle time (settle_s) to wait out
    settings: dict[str, object] = {"office_name": demo.OFFICE, "fiscal_year": FY,
                                   "settle_s": 0}
    if inbox:
        for f in corpus.files():
            shutil.copyfile(f, path / "inbox" / f.name)
        os.sync()
    else:
        (path / "corpus").symlink_to(os.path.relpath(corpus.folder, path),
                                     target_is_directory=True)
        settings["watched"] = ["corpus"]
    (path / SETTINGS_FILE).write_text(render_toml(settings), "utf-8")
    return path


def warm(corpus: Corpus) -> None:
    """Read every file once, so that every step finds the corpus in the page cache."""
    for path in [corpus.plan, *corpus.files()]:
        path.read_bytes()


Argv = list[str] | Callable[[int], list[str]]


class Runner:
    """Runs steps one after another, keeps their logs under ``logs`` and their results."""

    def __init__(self, logs: Path, log: Callable[[str], None] = print) -> None:
        self.logs, self.log = logs, log
        self.steps: list[Step] = []

    def run(self, name: str, argv: Argv, n: int, *, note: str = "", repeat: int = 1) -> Step:
        """Run a step ``repeat`` times (``argv(i)`` for run i when it is callable, e.g. a
        fresh workspace each time) and keep the median: on a shared machine one run can
        be off by a second for reasons that have nothing to do with the code."""
        return self.alternate([(name, argv, n, note)], repeat)[0]

    def alternate(self, specs: list[tuple[str, Argv, int, str]], repeat: int) -> list[Step]:
        """Run several steps ``repeat`` times each, taking turns (a, b, a, b, ...), so that
        a step and the one it is compared with share whatever the machine was doing."""
        slugs = [f"{len(self.steps) + k + 1:02d}-"
                 + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                 for k, (name, *_rest) in enumerate(specs)]
        runs: list[list[tuple[float, float, int, Path]]] = [[] for _ in specs]
        for i in range(repeat):
            for k, (_name, argv, _n, _note) in enumerate(specs):
                if runs[k] and runs[k][-1][2] != 0:
                    continue  # a failed step is not run again
                stem = self.logs / (f"{slugs[k]}-run{i + 1}" if repeat > 1 else slugs[k])
                seconds, rss, code = run_process(argv(i) if callable(argv) else argv, stem)
                runs[k].append((seconds, rss, code, stem))
        return [self._step(name, n, note, done)
                for (name, _argv, n, note), done in zip(specs, runs, strict=True)]

    def _step(self, name: str, n: int, note: str,
              done: list[tuple[float, float, int, Path]]) -> Step:
        times = [seconds for seconds, *_ in done]
        seconds, stem = statistics.median(times), done[-1][3]
        failed = next((code for _s, _r, code, _p in done if code), 0)
        step = Step(name, n, seconds, max(rss for _s, rss, _c, _p in done), failed,
                    seconds * 1000 / max(n, 1), note=note, runs=times)
        _parse(step, stem.with_suffix(".out").read_text("utf-8", errors="replace"))
        if len(times) > 1:
            step.note = (f"median of {len(times)}: {', '.join(f'{t:.2f}' for t in times)} s; "
                         f"{step.note}")
        if failed:
            tail = stem.with_suffix(".err").read_text("utf-8", errors="replace")[-400:]
            step.note = f"{step.note}; exit {failed}: {tail.strip()}".lstrip("; ")
        self.steps.append(step)
        self.log(f"  {name:<44} {seconds:8.2f} s  {step.peak_rss_mb:7.1f} MB  {step.note}")
        return step


def _parse(step: Step, stdout: str) -> None:
    """What the child said it did: files read, submissions stored, reports written."""
    if m := _INGEST.search(stdout):
        keys = ("accepted", "warnings", "rejected", "duplicates")
        c = step.counts = dict(zip(keys, map(int, m.groups()), strict=True))
        read = c["accepted"] + c["warnings"] + c["rejected"]
        said = (f"read {read}: {c['accepted']} accepted, {c['warnings']} with warnings, "
                f"{c['rejected']} rejected")
        step.note = f"{step.note}; {said}" if step.note else said
    elif m := _REPORT.search(stdout):
        step.counts = {"written": int(m.group(1)), "unchanged": int(m.group(2))}
        said = f"{m.group(1)} files written, {m.group(2)} unchanged"
        step.note = f"{step.note}; {said}" if step.note else said
    elif stdout.startswith("{"):
        step.counts = json.loads(stdout.splitlines()[0])
        step.note = f"{step.counts['files']} files, {step.counts['cells']:,} cells"
