"""Collect: find the files that are new or changed in the workspace's sources.

The inbox is a drop folder (a handled file leaves it). Watched folders are shared drives
where groups edit workbooks in place: a file is read again only when its size or mtime
changed *and* then its sha256 did, so the nightly rerun over thousands of untouched
files costs one directory walk and one query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tps_batch.settings import Settings
from tps_batch.store import files_seen
from tps_batch.workspace import rel


@dataclass(slots=True)
class Candidate:
    path: Path
    source: str  # "inbox" | "watched"
    rel: str     # workspace-relative (or absolute outside the workspace) path, for the record
    size: int
    mtime_ns: int
    sha256: str = ""

    @property
    def received_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.mtime_ns / 1e9).replace(microsecond=0)


SYMLINK_PREFIX = b"tps-symlink-not-followed\n"


def link_bytes(path: Path | str) -> bytes:
    """What a symbolic link in the inbox stands for: its target as text, never followed.
    These are the bytes hashed, kept in rejected/ and compared before removal."""
    return SYMLINK_PREFIX + os.fsencode(os.readlink(path))


def sha256_of(path: Path | str) -> str:
    if os.path.islink(path):
        return hashlib.sha256(link_bytes(path)).hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


OURS = (".tmp-", ".tps-")  # our own temporary files and the mail staging folder


def owner_file(name: str) -> bool:
    """Excel's owner files (~$x.xlsx): a lock marker next to an open workbook, no data."""
    return name.startswith("~$")


def _ignored(name: str) -> bool:
    """In watched folders (shared drives full of other people's files): owner files,
    hidden files and temporary names. The inbox only skips owner files and our own."""
    return name.startswith(("~$", ".", "~"))


def walk(root: Path, *, skip: Callable[[str], bool] = _ignored) -> Iterator[os.DirEntry]:
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if skip(entry.name):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        yield entry
        except OSError:  # vanished, or unreadable (a share's "System Volume Information")
            continue


def _inbox_skip(name: str) -> bool:
    return name.startswith(OURS)


@dataclass
class Inbox:
    """Everything found in the inbox, each in exactly one list (``tps status`` counts)."""

    ready: list[Candidate] = field(default_factory=list)
    settling: list[Path] = field(default_factory=list)   # changed within the settle time
    owner_files: list[Path] = field(default_factory=list)  # ~$ files: skipped, counted

    @property
    def present(self) -> int:
        return len(self.ready) + len(self.settling) + len(self.owner_files)


def _open_for_writing() -> set[str]:
    """Paths some process holds open for writing, where the platform can tell (Linux's
    /proc; elsewhere an empty set, and the settle time alone decides)."""
    found: set[str] = set()
    proc = "/proc"
    if not os.path.isdir(os.path.join(proc, "self", "fdinfo")):
        return found
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fds = os.path.join(proc, pid, "fd")
        try:
            names = os.listdir(fds)
        except OSError:  # gone, or not ours to look at
            continue
        for fd in names:
            try:
                target = os.readlink(os.path.join(fds, fd))
                if not target.startswith("/"):
                    continue
                with open(os.path.join(proc, pid, "fdinfo", fd), encoding="ascii") as fh:
                    flags = next(int(line.split()[1], 8) for line in fh
                                 if line.startswith("flags:"))
            except (OSError, ValueError, IndexError, StopIteration):
                continue
            if flags & (os.O_WRONLY | os.O_RDWR):
                found.add(target)
    return found


def settled(st: os.stat_result, now_ns: int, settle_s: float) -> bool:
    """A file whose size or mtime changed within ``settle_s`` may still be being written
    (a copy that paused): it waits. An mtime far in the future (a share's skewed clock)
    does not hold a file forever."""
    age = (now_ns - st.st_mtime_ns) / 1e9
    return settle_s <= 0 or not (-settle_s < age < settle_s)


def scan_inbox(ws: Settings) -> Inbox:
    """Sort the inbox: files ready to take, files still settling, owner files."""
    found = Inbox()
    inbox = ws.path("inbox")
    if not inbox.is_dir():
        return found
    settle = float(ws.settle_s)
    now = time.time_ns()
    stack = [inbox]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if _inbox_skip(entry.name):
                        continue
                    path = Path(entry.path)
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(path)
                            continue
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue  # vanished
                    if owner_file(entry.name) and not entry.is_symlink():
                        found.owner_files.append(path)
                    elif not entry.is_symlink() and not stat.S_ISREG(st.st_mode):
                        continue  # a pipe or device: nothing a sender can drop
                    elif not settled(st, now, settle):
                        found.settling.append(path)
                    else:
                        found.ready.append(Candidate(path, "inbox", rel(ws, entry.path),
                                                     st.st_size, st.st_mtime_ns))
        except OSError:
            continue
    if settle > 0 and found.ready:  # held open for writing (a copy that paused): it waits
        writing = _open_for_writing()
        held = [c for c in found.ready if os.path.abspath(c.path) in writing]
        found.settling += [c.path for c in held]
        found.ready = [c for c in found.ready if c not in held]
    return found


def prune_inbox(ws: Settings) -> None:
    """Empty sub-folders of the inbox go (a sender's folder, once its files are handled)."""
    inbox = ws.path("inbox")
    if not inbox.is_dir():
        return
    for folder, _dirs, _files in os.walk(inbox, topdown=False):
        if folder == str(inbox):
            continue
        if any(part.startswith(OURS) for part in Path(folder).relative_to(inbox).parts):
            continue
        with contextlib.suppress(OSError):  # not empty (a file arrived, or a child stays)
            os.rmdir(folder)


def collect(ws: Settings, conn: Connection, inbox: Inbox | None = None) -> list[Candidate]:
    """Every settled inbox file, and every watched file whose content changed since last
    seen."""
    out: list[Candidate] = list((inbox or scan_inbox(ws)).ready)
    watched = [ws.workspace / w for w in ws.watched]
    if watched:
        now, settle = time.time_ns(), float(ws.settle_s)
        seen = {r.path: r for r in conn.execute(sa.select(files_seen))}
        for root in watched:
            for entry in walk(root):
                where = rel(ws, entry.path)
                st = entry.stat(follow_symlinks=False)
                old = seen.get(where)
                if old is not None and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
                    continue
                if not settled(st, now, settle):  # being saved: the next run reads it
                    continue
                out.append(Candidate(Path(entry.path), "watched", where, st.st_size,
                                     st.st_mtime_ns))
    out.sort(key=lambda c: (c.mtime_ns, c.rel))
    return out
