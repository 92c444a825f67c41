"""Progress of a long step (printing PDFs) for a person at a terminal.

On a terminal the line "สร้าง PDF n / N ไฟล์" is redrawn in place; elsewhere (cron, logs,
pipes) nothing is drawn, so logs keep the command's one summary line.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """A ``progress(done, total)`` callback that redraws one line at most 10 times a second."""

    def __init__(self, stream: TextIO | None = None, label_th: str = "สร้าง PDF",
                 label_en: str = "PDFs") -> None:
        self.stream = stream or sys.stderr
        self.label_th, self.label_en = label_th, label_en
        self._last = 0.0
        self.start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        line = (f"\r{self.label_th} {done} / {total} ไฟล์ ({self.label_en} {done} of {total}, "
                f"{now - self.start:.1f} s)")
        self.stream.write(line + ("\n" if done >= total else ""))
        self.stream.flush()


def terminal_progress() -> TerminalProgress | None:
    """A progress line when stderr is a terminal, else None (no output)."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        return None
    return TerminalProgress() if tty else None
