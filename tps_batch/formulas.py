"""Formula cells whose value cannot be trusted: no saved value, or an error.

A workbook keeps each formula's last computed value beside it; python-calamine reads that
value and nothing else. A file written by a script (or saved by a tool that does not
compute) has formulas with no value at all, and ``=1/0`` saves ``#DIV/0!``: both read as
an empty cell, so the clerk would be told "required but empty" about a cell they filled.
This module finds such cells in the sheets' XML so that the reader can say what really
happened ("open and save the file in Excel").
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb"""\br=["']([A-Z]{1,3}[0-9]{1,7})["']""")
_ERROR_TYPE = re.compile(rb"""\bt=["']e["']""")
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_HAS_FORMULA = re.compile(rb"<f[\s>/]")  # a formula element, not <formula1> or <fill>


@dataclass(frozen=True)
class FormulaCell:
    """Stands in a grid for a formula cell whose saved value is missing or an error."""

    error: str | None = None  # the saved error (#DIV/0!, #REF! …); None: no value saved

    def __str__(self) -> str:
        return self.error or ""


def problem_cells(data: bytes, sheets: Iterable[str]) -> dict[str, dict[str, FormulaCell]]:
    """Sheet → cell ref → what is wrong, for the named sheets' formula cells."""
    from tps_batch.xlsxpatch import sheet_parts

    out: dict[str, dict[str, FormulaCell]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        # the usual workbook has no formula at all: look at the worksheets' XML first, and
        # only map sheet names to parts when one has a formula (<formula1> is a dropdown's)
        with_formulas = {}
        for info in zf.infolist():
            name = info.filename
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = zf.read(info)
                if _HAS_FORMULA.search(xml):
                    with_formulas[name] = xml
        if not with_formulas:
            return out
        parts = sheet_parts(zf)
        for sheet in sheets:
            xml = with_formulas.get(parts.get(sheet, ""))
            if xml is None:
                continue
            found = {}
            for m in _CELL.finditer(xml):
                body = m.group(2) or b""
                if not _HAS_FORMULA.search(body):
                    continue
                ref = _REF.search(m.group(1))
                if ref is None:
                    continue
                value = _VALUE.search(body)
                if value is None or not value.group(1).strip():
                    found[ref.group(1).decode()] = FormulaCell()
                elif _ERROR_TYPE.search(m.group(1)):
                    found[ref.group(1).decode()] = FormulaCell(
                        value.group(1).decode("utf-8", "replace"))
            if found:
                out[sheet] = found
    return out


def mark(grids: dict[str, list[list[Any]]], path: Path, data: bytes | None) -> None:
    """Put a :class:`FormulaCell` in ``grids`` where a formula's value is missing or an
    error, so that reading that cell gives its own finding instead of "empty"."""
    from tps_batch.spec import parse_cell

    try:
        raw = data if data is not None else Path(path).read_bytes()
        problems = problem_cells(raw, grids)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return  # the reader has already read the file; this is only a better message
    for sheet, cells in problems.items():
        grid = grids[sheet]
        for ref, cell in cells.items():
            row, col = parse_cell(ref)
            while len(grid) <= row:
                grid.append([])
            if len(grid[row]) <= col:
                grid[row].extend([""] * (col + 1 - len(grid[row])))
            if grid[row][col] in ("", None):  # calamine gave nothing for it
                grid[row][col] = cell
