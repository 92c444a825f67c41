"""The per-file work of ingest, run in isolated worker processes: guard → read → validate,
plus the annotated copy when there are findings.

Everything that costs CPU per file happens here, on both cores, under the worker's memory
and time limits; the main process only stores, files away and writes receipts. A worker
loads the plan once (cached by path and mtime), not once per file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tps_batch import thai
from tps_batch.annotate import annotated_copy, needs_annotation
from tps_batch.guard import GuardLimits
from tps_batch.photos import PhotoLimits
from tps_batch.read import Submission, read_guarded


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
    sha256: str | None = None           # what the caller hashed; None: don't compare
    size: int | None = None             # and the size it found
    photos: PhotoLimits = field(default_factory=PhotoLimits)  # activity photos' limits


@dataclass
class Checked:
    submission: Submission
    annotated: bytes | None = None
    #: the file is no longer what the caller hashed (rewritten, cut short, gone): nothing
    #: was checked, and the file is left for the next run
    changed: bool = False


def _differs(guarded: Any, task: CheckTask) -> bool:
    if guarded.sha256 is not None:
        return bool(guarded.sha256 != task.sha256)
    return bool(guarded.size is None or guarded.size != task.size)  # unreadable, or too big


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
    from tps_batch.guard import inspect
    from tps_batch.validate import validate

    if os.path.islink(task.path):  # never followed: it could point anywhere on this machine
        return _symlink(task)
    guarded = inspect(Path(task.path), task.limits, macros=task.macros)
    if task.sha256 is not None and _differs(guarded, task):
        return Checked(Submission(), changed=True)
    sub, data = read_guarded(task.path, guarded, task.fiscal_year), guarded.data
    fy = task.fiscal_year or sub.values.get("fiscal_year")
    if thai.is_be_year(fy):
        validate(sub, _plan(task.plan_path), fiscal_year=fy, received=task.received,
                 far_factor=task.far_factor)
    if sub.readable and not task.plan_path:
        sub.findings.append(_skipped())
    if sub.readable and data is not None and not sub.is_indicator_report:
        _photos(sub, data, task)
    sub.findings[:] = in_order(sub.findings, sub.template_version)
    name = Path(task.path).name
    for f in sub.findings:
        f.file = name
    annotated = None
    # readable implies the guard passed a zip, whose bytes it kept
    if task.annotate and sub.readable and data is not None and needs_annotation(sub.findings):
        annotated = annotated_copy(data, sub.findings)
    return Checked(sub, annotated)


def _photos(sub: Submission, data: bytes, task: CheckTask) -> None:
    """The pictures pasted on the attachments sheet, re-encoded, each linked to the
    attachment line it was placed beside (see :func:`tps_batch.photos.beside`)."""
    from tps_batch import photos, spec

    layout = spec.layout(sub.template_version)
    table = next((t for t in layout.tables if t.key == "attachments"), None) if layout else None
    if table is None or task.photos.max_photos <= 0:
        return
    sub.photos = photos.extract(data, table.sheet, sub.findings, task.photos)
    lines = [r.get("_row") for r in sub.tables.get("attachments", [])]
    for photo in sub.photos:
        photo.attachment = photos.beside(photo.row, lines)


def in_order(findings: list[Any], version: str | None) -> list[Any]:
    """Findings as a clerk works through the file: the file itself first, then sheet by
    sheet in the workbook's order, cell by cell (row, then column) within a sheet."""
    from tps_batch import spec

    sheets = [s for s, _ in (spec.layout(version) or spec.SPEC).sheets]

    def key(f: Any) -> tuple[int, int, str, int, int]:
        if not f.sheet or f.sheet == spec.META_SHEET:  # about the file as a whole
            return (0, 0, "", 0, 0)
        try:
            row, col = spec.parse_cell(f.cell or "")
        except ValueError:  # a place without a cell (a whole sheet, a table's row)
            row, col = (f.row or 0) - 1, -1
        pos = sheets.index(f.sheet) if f.sheet in sheets else len(sheets)
        return (1, pos, f.sheet, row, col)
    return sorted(findings, key=key)  # stable: same cell keeps the order it was found in


def _symlink(task: CheckTask) -> Checked:
    """A symbolic link is judged as what it is (its target's name), never opened."""
    from tps_batch import errors
    from tps_batch.collect import link_bytes

    try:
        data = link_bytes(task.path)
    except OSError:
        return Checked(Submission(), changed=True)  # gone since it was hashed
    if task.sha256 is not None and hashlib.sha256(data).hexdigest() != task.sha256:
        return Checked(Submission(), changed=True)
    finding = errors.make("symlink-not-followed", target=os.readlink(task.path))
    finding.file = Path(task.path).name
    return Checked(Submission(findings=[finding]))


PLAN_CHECKS = (  # what validate checks against the plan, said when there is none
    ("รหัสโครงการ", "project code"), ("ชื่อโครงการ", "project name"),
    ("กลุ่มและเจ้าของโครงการ", "group and owner"), ("งบประมาณที่อนุมัติ", "approved budget"),
    ("ตัวชี้วัด", "indicators"))


def _skipped() -> Any:
    from tps_batch import errors

    return errors.make("plan-checks-skipped",
                       checks_th=", ".join(th for th, _ in PLAN_CHECKS),
                       checks_en=", ".join(en for _, en in PLAN_CHECKS))
