"""The per-file work of ingest, run in isolated worker processes: guard → read → validate,
plus the annotated copy when there are findings.

Everything that costs CPU per file happens here, on both cores, under the worker's memory
and time limits; the main process only stores, files away and writes receipts. A worker
loads the plan once (cached by path and mtime), not once per file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tps_batch import thai
from tps_batch.annotate import annotated_copy, needs_annotation
from tps_batch.guard import GuardLimits
from tps_batch.read import Submission, guard_and_read


@dataclass(frozen=True)
class CheckTask:
    path: str
    limits: GuardLimits
    macros: str = "warn"
    fiscal_year: int | None = None      # the year being followed (None: the file's own)
    plan_path: str | None = None        # None: no plan rules (a clerk's dry run)
    received: dt.date | None = None
    far_factor: float = 3.0
    annotate: bool = False


@dataclass
class Checked:
    submission: Submission
    annotated: bytes | None = None
    sha256: str | None = None  # of the bytes that were checked (None: not read whole)


_plans: dict[tuple[str, int], Any] = {}


def _plan(path: str | None) -> Any:
    if not path:
        return None
    from tps_batch.plan import read_plan

    key = (path, Path(path).stat().st_mtime_ns)
    if key not in _plans:
        _plans.clear()
        _plans[key] = read_plan(Path(path))
    return _plans[key]


def load_plan(path: str | None) -> None:
    """Worker initializer: read the plan at start-up, while the main process is still
    collecting files; an unreadable plan fails here, once per worker, with its reason."""
    _plan(path)


def check_file(task: CheckTask) -> Checked:
    from tps_batch.validate import validate

    sub, guarded = guard_and_read((task.path, task.limits, task.macros, task.fiscal_year))
    data = guarded.data
    fy = task.fiscal_year or sub.values.get("fiscal_year")
    if thai.is_be_year(fy):
        validate(sub, _plan(task.plan_path), fiscal_year=fy, received=task.received,
                 far_factor=task.far_factor)
    name = Path(task.path).name
    for f in sub.findings:
        f.file = name
    annotated = None
    if task.annotate and sub.readable and needs_annotation(sub.findings):
        annotated = annotated_copy(data if data is not None else Path(task.path), sub.findings)
    return Checked(sub, annotated, guarded.sha256)
