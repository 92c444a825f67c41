"""The one way TPS opens an xlsxwriter workbook: text from workbooks stays text.

xlsxwriter's ``write()`` turns strings that look like formulas, URLs or numbers into those
things; every output of TPS carries text typed by clerks, so all three conversions are
off for every workbook it writes (templates, reports, exports). Callers still use the
typed writers (``write_string``, ``write_number`` …), this is the second fence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEXT_SAFE_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def new_workbook(path: Path | str, **options: Any) -> Any:
    """An ``xlsxwriter.Workbook`` at ``path`` with the text-safe options (plus ``options``)."""
    import xlsxwriter

    return xlsxwriter.Workbook(str(path), {**TEXT_SAFE_OPTIONS, **options})
