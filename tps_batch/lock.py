"""One run at a time per workspace.

An OS file lock rather than a PID file where the platform has one: the kernel drops it
when the holder dies, even by SIGKILL, so a stale lock can never block the next night's
run. ``flock`` on POSIX, ``msvcrt.locking`` on Windows; on a platform with neither, an
exclusively created marker file holding the PID, taken over when that process is gone.
Every platform-specific call of the locking lives here (see :func:`exclusive_fd`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tps_batch.errors import TpsError

LOCK_FILE = ".tps.lock"

try:  # POSIX
    import fcntl as _fcntl
except ImportError:  # Windows, or a platform without it
    _fcntl = None  # type: ignore[assignment]
try:  # Windows
    import msvcrt as _msvcrt
except ImportError:
    _msvcrt = None  # type: ignore[assignment]


_held: set[Path] = set()  # locks this process holds: `tps run` holds it across its stages


def _try_lock(fd: int, *, wait: bool = False) -> bool:
    """Lock ``fd`` exclusively with the OS lock; False if another process holds it.
    Raises :class:`NotImplementedError` where the platform has no OS lock."""
    if _fcntl is not None:
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX | (0 if wait else _fcntl.LOCK_NB))
            return True
        except BlockingIOError:
            return False
    if _msvcrt is not None:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:  # byte 0 only; LK_NBLCK fails at once, LK_LOCK retries for 10 s
                _msvcrt.locking(fd, _msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                if not wait:
                    return False
                import time

                time.sleep(0.2)
    raise NotImplementedError


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # only reached where there is no OS lock (never on Windows)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _marker_lock(marker: Path, *, wait: bool = False) -> bool:
    """The fallback: create ``marker`` exclusively; a marker whose PID is dead is stale."""
    import time

    while True:
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                holder = int(marker.read_text("ascii").strip() or 0)
            except (OSError, ValueError):
                holder = -1  # being written right now: treat as held
            if holder != -1 and not _pid_alive(holder):
                with contextlib.suppress(OSError):
                    marker.unlink()
                continue
            if not wait:
                return False
            time.sleep(0.2)
            continue
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(str(os.getpid()))
        return True


@contextmanager
def exclusive_fd(path: Path, *, wait: bool = False) -> Iterator[int | None]:
    """Hold an exclusive lock named by ``path``; yields its descriptor, or None if another
    process holds it (only when ``wait`` is false)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    marker: Path | None = None
    try:
        try:
            got = _try_lock(fd, wait=wait)
        except NotImplementedError:
            marker = path.with_name(path.name + ".pid")
            got = _marker_lock(marker, wait=wait)
            if not got:
                marker = None
        if not got:
            yield None
            return
        try:
            yield fd
        finally:
            if marker is not None:
                with contextlib.suppress(OSError):
                    marker.unlink()
    finally:
        os.close(fd)  # closing the descriptor releases an OS lock


def _holder(path: Path, fd: int) -> str:
    marker = path.with_name(path.name + ".pid")
    try:
        if marker.exists():
            return marker.read_text("ascii").strip() or "?"
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 64).decode("ascii", "replace").strip() or "?"
    except OSError:
        return "?"


@contextmanager
def workspace_lock(workspace: Path) -> Iterator[None]:
    path = (Path(workspace) / LOCK_FILE).resolve()
    if path in _held:  # re-entered by the same process (run → ingest): already ours
        yield
        return
    with exclusive_fd(path) as fd:
        if fd is None:
            probe = os.open(path, os.O_RDONLY)
            try:
                holder = _holder(path, probe)
            finally:
                os.close(probe)
            raise TpsError(
                f"มีการทำงานอื่นกำลังใช้โฟลเดอร์งานนี้อยู่ (PID {holder}) กรุณารอให้เสร็จก่อน",
                f"another tps run holds this workspace (PID {holder}); wait for it to finish",
                exit_code=1)
        if _msvcrt is None:  # Windows: a locked byte cannot be rewritten by its reader
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, str(os.getpid()).encode())
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
