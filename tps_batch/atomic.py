"""Write every output whole or not at all: write a sibling temp file, then rename."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates 0600 files; outputs are meant to be read by others (a shared drive).
_MODE = 0o666 & ~_umask()


@contextmanager
def atomic_path(path: Path, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it replaces ``path`` atomically.

    ``fsync=False`` leaves durability to the caller, who syncs a whole batch at once
    (one ``os.sync`` instead of one flush per file: the nightly run writes thousands).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{os.getpid()}-", suffix=path.suffix,
                               dir=path.parent)
    os.close(fd)
    os.chmod(tmp, _MODE)
    try:
        yield Path(tmp)
        if fsync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


_serial = itertools.count()  # next() is atomic under the GIL: threads never share a name
# binary on Windows (O_BINARY), not inherited by children where the platform can say so
_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
           | getattr(os, "O_BINARY", 0))


def _create_temp(path: str) -> tuple[int, str]:
    """A new temp file beside ``path``, opened for writing, with the outputs' mode.

    Named by process and a counter rather than by ``mkstemp``'s random draw: the nightly
    run writes thousands of files, and one ``open`` each is the whole cost. A name left
    by a dead process with the same pid falls back to ``mkstemp``.
    """
    head, tail = os.path.split(path)
    suffix = os.path.splitext(tail)[1]
    tmp = os.path.join(head, f".tmp-{os.getpid()}-{next(_serial)}{suffix}")
    try:  # mode 0o666 minus the umask: the same as _MODE, without a chmod
        return os.open(tmp, _CREATE, 0o666), tmp
    except FileExistsError:
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{os.getpid()}-", suffix=suffix,
                                   dir=head or ".")
        os.chmod(tmp, _MODE)  # not fchmod: Windows has none
        return fd, tmp


def atomic_write(path: Path | str, data: bytes, *, fsync: bool = True) -> None:
    """Bytes to ``path`` whole or not at all, through the temp file's own descriptor: one
    open per file (opens are the dear part of writing thousands of receipts a night)."""
    path = os.fspath(path)
    try:
        fd, tmp = _create_temp(path)
    except FileNotFoundError:  # the folder is new (or was deleted): make it, once
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd, tmp = _create_temp(path)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if fsync:
            os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fsync_path(path: str, *, directory: bool = False) -> None:
    """fsync one file or folder; a folder that cannot be opened (Windows) is skipped."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def make_durable(paths: Iterable[str]) -> None:
    """Make these files (and their folders' entries) durable before anything depends on
    them. ``os.sync`` once where the platform has it (cheaper than thousands of fsyncs);
    elsewhere (Windows) an fsync of each file and each folder it sits in."""
    sync = getattr(os, "sync", None)
    if sync is not None:
        sync()
        return
    folders: set[str] = set()
    for path in paths:
        if os.path.exists(path):
            fsync_path(path)
        folders.add(os.path.dirname(os.path.abspath(path)))
    for folder in sorted(folders):
        fsync_path(folder, directory=True)


_TEMP = re.compile(r"\.tmp-(\d+)-")
STALE_AFTER_S = 3600.0  # a temp file whose writer cannot be identified, this old, is litter


def _writer_gone(name: str, mtime: float) -> bool:
    m = _TEMP.match(name)
    if m is None or sys.platform == "win32":  # no safe liveness probe there: go by age
        return time.time() - mtime > STALE_AFTER_S
    pid = int(m.group(1))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


def sweep_stale(folders: Iterable[Path]) -> int:
    """Remove the temp files (``.tmp-<pid>-…``) that killed commands left in these
    folders: those whose writer is no longer running. Safe without the workspace lock, so
    every command can do it first (a running one's temp files are left alone)."""
    removed = 0
    stack = [str(f) for f in folders]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.name.startswith(".tmp-"):
                        try:
                            if entry.is_file(follow_symlinks=False) and _writer_gone(
                                    entry.name, entry.stat(follow_symlinks=False).st_mtime):
                                os.unlink(entry.path)
                                removed += 1
                        except OSError:
                            pass
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return removed
