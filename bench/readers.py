"""Reference readers, each run as its own process: ``python -m bench.readers KIND FOLDER``.

``calamine`` opens every workbook with python-calamine and reads every sheet with
``to_python()``: sequential, in one process, no checks — the floor a hand-written reader
can't beat. ``openpyxl`` is what a hand-written script would do instead: a read-only,
values-only load and a pass over every row of every sheet. Both print a JSON line
(files, cells) so the caller can tell that every file was read.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path


def _files(folder: Path) -> list[str]:
    with os.scandir(folder) as it:
        return sorted(e.path for e in it if e.name.endswith(".xlsx") and e.is_file())


def read_calamine(paths: list[str]) -> int:
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in paths:
        wb = CalamineWorkbook.from_path(path)
        for name in wb.sheet_names:
            cells += sum(len(row) for row in wb.get_sheet_by_name(name).to_python())
        close = getattr(wb, "close", None)  # older python-calamine has no close()
        if close:
            close()
    return cells


def read_openpyxl(paths: list[str]) -> int:
    import openpyxl

    cells = 0
    for path in paths:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
        wb.close()
    return cells


READERS: dict[str, Callable[[list[str]], int]] = {"calamine": read_calamine,
                                                  "openpyxl": read_openpyxl}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in READERS:
        print(f"usage: python -m bench.readers {{{','.join(READERS)}}} FOLDER", file=sys.stderr)
        return 2
    paths = _files(Path(argv[1]))
    cells = READERS[argv[0]](paths)
    print(json.dumps({"files": len(paths), "cells": cells}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
