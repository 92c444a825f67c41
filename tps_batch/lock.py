"""One run at a time per workspace.

An OS file lock (``flock``) rather than a PID file: the kernel drops it when the holder
dies, even by SIGKILL, so a stale lock can never block the next night's run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tps_batch.errors import TpsError

LOCK_FILE = ".tps.lock"


_held: set[Path] = set()  # locks this process holds: `tps run` holds it across its stages


@contextmanager
def workspace_lock(workspace: Path) -> Iterator[None]:
    path = (Path(workspace) / LOCK_FILE).resolve()
    if path in _held:  # re-entered by the same process (run → ingest): already ours
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            raise TpsError(
                f"มีการทำงานอื่นกำลังใช้โฟลเดอร์งานนี้อยู่ (PID {holder}) กรุณารอให้เสร็จก่อน",
                f"another tps run holds this workspace (PID {holder}); wait for it to finish",
                exit_code=1) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
    finally:
        os.close(fd)  # closing the descriptor releases the lock
