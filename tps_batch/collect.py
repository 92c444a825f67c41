"""Collect: find the files that are new or changed in the workspace's sources.

The inbox is a drop folder (a handled file leaves it). Watched folders are shared drives
where groups edit workbooks in place: a file is read again only when its size or mtime
changed *and* then its sha256 did, so the nightly rerun over thousands of untouched
files costs one directory walk and one query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
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


def sha256_of(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _ignored(name: str) -> bool:
    """Excel's owner files (~$x.xlsx), hidden files and our own temporary files."""
    return name.startswith(("~$", ".", "~"))


def walk(root: Path) -> Iterator[os.DirEntry]:
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if _ignored(entry.name):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        yield entry
        except OSError:  # vanished, or unreadable (a share's "System Volume Information")
            continue


def collect(ws: Settings, conn: Connection) -> list[Candidate]:
    """Every inbox file, and every watched file whose content changed since last seen."""
    out: list[Candidate] = []
    inbox = ws.path("inbox")
    if inbox.is_dir():
        for entry in walk(inbox):
            st = entry.stat(follow_symlinks=False)
            out.append(Candidate(Path(entry.path), "inbox", rel(ws, entry.path),
                                 st.st_size, st.st_mtime_ns))
    watched = [ws.workspace / w for w in ws.watched]
    if watched:
        seen = {r.path: r for r in conn.execute(sa.select(files_seen))}
        for root in watched:
            for entry in walk(root):
                where = rel(ws, entry.path)
                st = entry.stat(follow_symlinks=False)
                old = seen.get(where)
                if old is not None and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
                    continue
                out.append(Candidate(Path(entry.path), "watched", where, st.st_size,
                                     st.st_mtime_ns))
    out.sort(key=lambda c: (c.mtime_ns, c.rel))
    return out
