"""Export the consolidated dataset for other systems: one CSV per table, or one workbook.

Columns are named by the spec's keys, in the spec's order (the current layout's first,
then those only older layouts had), and dates are ISO 8601, so an export is a stable
interface; a ``_columns`` table (sheet or CSV) gives each column's Thai and English label
from the spec. By default only each project's current submission is exported.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tps_batch import spec, store
from tps_batch.atomic import atomic_path
from tps_batch.settings import Settings
from tps_batch.xlsxsafe import new_workbook

#: The dataset's own columns on every content table (not in the workbook, so not in the spec).
_LINKS = {"submission_id": ("รหัสการส่งรายงาน", "Submission id"),
          "seq": ("ลำดับแถวในแบบรายงาน", "Row number in the workbook")}
_SIGNER = {"name": ("ชื่อผู้ลงนาม", "Signer's name", "text"),
           "position": ("ตำแหน่งผู้ลงนาม", "Signer's position", "text"),
           "date": ("วันที่ลงนาม", "Date signed", "date")}
DICTIONARY = "_columns"


def _spec_columns(name: str) -> list[tuple[str, str, str, str]]:
    """(column, label_th, label_en, type) of a table's spec-declared columns, in order."""
    code = spec.SPEC.field("project_code")
    links = [("submission_id", *_LINKS["submission_id"], "int"),
             ("project_code", code.label_th, code.label_en, "text"),
             ("seq", *_LINKS["seq"], "int")]
    if name == "projects":
        return [links[0], *((f.key, f.label_th, f.label_en, f.type)
                            for f in spec.stored_fields())]
    if name == "signoffs":  # one row per role (spec.SIGNOFF_ROLES) and submission
        roles = spec.SIGNOFF_ROLES
        role = ("role", "ผู้ลงนาม (" + ", ".join(f"{r.key} = {r.label_th}" for r in roles) + ")",
                "Sign-off role (" + ", ".join(f"{r.key} = {r.label_en}" for r in roles) + ")",
                "text")
        return [*links, role, *((key, *labels) for key, labels in _SIGNER.items())]
    if name in spec.stored_tables():
        return [*links, *((c.key, c.label_th, c.label_en, c.type)
                          for c in spec.stored_columns(name))]
    if name == "indicator_results":  # the indicator result report's rows
        from tps_batch import indicator_spec

        head = {f.key: f for f in indicator_spec.SPEC.fields}
        return [links[0], *((k, head[f].label_th, head[f].label_en, "text")
                            for k, f in (("group_name", "group"), ("round", "round"))),
                links[2], *((c.key, c.label_th, c.label_en, c.type)
                            for c in spec.stored_columns("results", indicator_spec.LAYOUTS))]
    return []


def _ordered(table: sa.Table) -> list[sa.Column]:
    """The table's columns in the spec's order; columns the spec doesn't know follow."""
    first = [key for key, *_ in _spec_columns(table.name) if key in table.c]
    return [table.c[k] for k in first] + [c for c in table.c if c.name not in first]


def _dictionary() -> tuple[list[str], list[tuple]]:
    rows = [(name, *col) for name in store.EXPORT_TABLES for col in _spec_columns(name)
            if col[0] in store.metadata.tables[name].c]
    return ["table", "column", "label_th", "label_en", "type"], rows


def _rows(conn: sa.Connection, name: str, current_only: bool) -> tuple[list[str], list[tuple]]:
    table = store.metadata.tables[name]
    subs = store.submissions
    query = sa.select(*_ordered(table))
    if name == "submissions":
        if current_only:
            query = query.where(subs.c.is_current.is_(True))
        query = query.order_by(subs.c.id)
    else:
        if current_only:
            query = query.join(subs, subs.c.id == table.c.submission_id).where(
                subs.c.is_current.is_(True))
        order = [table.c.submission_id] + ([table.c.seq] if "seq" in table.c else [])
        query = query.order_by(*order)
    result = conn.execute(query)
    return list(result.keys()), [tuple(r) for r in result]


def _iso(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (``=cmd|' /C calc'!A0``) gets a leading
    apostrophe, as OWASP advises for CSV; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export(ws: Settings, out: Path, *, fmt: str = "csv", current_only: bool = True,
           raw: bool = False) -> list[Path]:
    """The dataset as CSV or Excel. CSV text that looks like a formula is neutralised
    unless ``raw`` (for machines that read the bytes, not people opening it in Excel)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    engine = store.connect(ws.db_url)
    tables: dict[str, tuple[list[str], list[tuple]]] = {}
    with engine.connect() as conn:
        for name in store.EXPORT_TABLES:
            tables[name] = _rows(conn, name, current_only)
    engine.dispose()
    tables[DICTIONARY] = _dictionary()
    if fmt == "csv":
        paths = []
        for name, (cols, rows) in tables.items():
            path = out / f"{name}.csv"
            with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh)
                writer.writerow(cols)
                cell = _iso if raw else (lambda v: neutralise(_iso(v)))
                writer.writerows([cell(v) for v in row] for row in rows)
            paths.append(path)
        return paths
    path = out / f"tps-dataset-{ws.fiscal_year}.xlsx"
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        time_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        head = wb.add_format({"bold": True, "bg_color": "#D9E2F3"})
        for name, (cols, rows) in tables.items():
            sheet = wb.add_worksheet(name[:31])
            sheet.write_row(0, 0, cols, head)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, dt.datetime):
                        sheet.write_datetime(r, c, value, time_fmt)
                    elif isinstance(value, dt.date):
                        sheet.write_datetime(r, c, dt.datetime(value.year, value.month,
                                                               value.day), date_fmt)
                    elif isinstance(value, bool):
                        sheet.write_boolean(r, c, value)
                    elif isinstance(value, (int, float)):
                        sheet.write_number(r, c, value)
                    else:
                        sheet.write_string(r, c, str(_iso(value)))
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(rows), 1), max(len(cols) - 1, 0))
        wb.close()
    return [path]
