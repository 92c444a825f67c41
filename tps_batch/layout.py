"""The machinery of a workbook layout: how a field, a table and a sign-off are declared,
how a layout evolves into the next version, and the checks every layout passes.

Kept apart from :mod:`tps_batch.spec` so that the spec reads as declarations only (the
listed values, the sheets and each version's cells); a new template version is declared
there, and nothing here changes for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

#: The hidden sheet that names a workbook's template and version.
META_SHEET = "_meta"

FieldType = Literal["text", "longtext", "int", "decimal", "money", "date", "choice",
                    "percent"]
TYPES: tuple[str, ...] = ("text", "longtext", "int", "decimal", "money", "date", "choice",
                          "percent")
#: How each type is named in a finding ("… is not a whole number").
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "text": ("ข้อความ", "text"), "longtext": ("ข้อความ", "text"),
    "decimal": ("ตัวเลข", "a number"),
    "int": ("จำนวนเต็ม", "a whole number"), "money": ("จำนวนเงิน (บาท)", "an amount in baht"),
    "date": ("วันที่", "a date"), "choice": ("ค่าในรายการ", "a listed value"),
    "percent": ("ร้อยละ", "a percentage"),
}


@dataclass(frozen=True)
class Choice:
    """A listed value: the Thai label is what the cell shows, the key is what is stored."""

    key: str
    th: str
    en: str

    @property
    def label(self) -> str:
        return self.th


def choice_key(choices: tuple[Choice, ...], value: str) -> str | None:
    """Map a cell's text to a choice key: the Thai label, the English label or the key,
    seen through the one text identity (:func:`tps_batch.textid.match_key`)."""
    from tps_batch.textid import match_key

    return _choice_keys(choices).get(match_key(value))


@functools.lru_cache(maxsize=256)
def _choice_keys(choices: tuple[Choice, ...]) -> dict[str, str]:
    """Every spelling a choice answers to → its key, made once per list (a nightly run
    looks up hundreds of thousands of cells in a handful of lists)."""
    from tps_batch.textid import match_key

    out: dict[str, str] = {}
    for c in choices:
        for name in (c.key.casefold(), match_key(c.en), match_key(c.th)):
            out.setdefault(name, c.key)
    return out


def choice_label(choices: tuple[Choice, ...], key: str | None) -> str:
    """A stored key as the form shows it; an unknown key is shown as it is, never lost."""
    for c in choices:
        if c.key == key:
            return c.th
    return key or ""


_CELL = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def parse_cell(ref: str) -> tuple[int, int]:
    """"C4" → (3, 2): 0-based row and column, as the reader's grids index them."""
    m = _CELL.fullmatch(ref)
    if m is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def col_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    if index < 0:
        raise ValueError(f"column index {index} is before column A")
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _find(items: Iterable[Any], key: str) -> Any:
    for item in items:
        if item.key == key:
            return item
    raise KeyError(key)


@dataclass(frozen=True)
class Column:
    key: str
    label_th: str
    label_en: str
    type: FieldType
    required: bool = False
    choices: tuple[Choice, ...] = ()
    width: float = 16
    help_th: str = ""


@dataclass(frozen=True)
class Field:
    """A single header cell at its declared ``cell``; the template puts the Thai label two
    cells to its left and the English one beside it, so a field never sits in A or B."""

    key: str
    label_th: str
    label_en: str
    type: FieldType
    required: bool = False
    choices: tuple[Choice, ...] = ()
    sheet: str = ""
    cell: str = ""
    help_th: str = ""

    @cached_property
    def _rc(self) -> tuple[int, int]:
        return parse_cell(self.cell)

    @property
    def row(self) -> int:  # 1-based
        return self._rc[0] + 1

    @property
    def col_index(self) -> int:  # 0-based
        return self._rc[1]


@dataclass(frozen=True)
class Table:
    """Rows of like items on one sheet, read from ``first_row`` until the first blank row.

    Declared by its ``title_row`` (1-based) and ``first_col`` (0-based); the rest follows
    one fixed convention: a note under the title, Thai then English column headers, data.
    """

    key: str
    label_th: str
    label_en: str
    sheet: str
    columns: tuple[Column, ...]
    max_rows: int
    first_col: int = 0  # 0-based index of the table's first column on its sheet
    title_row: int = 1
    help_th: str = ""

    @property
    def header_row(self) -> int:
        """Row of the Thai column headers (English headers sit one row below)."""
        return self.title_row + 2

    @property
    def first_row(self) -> int:
        return self.header_row + 2

    @property
    def last_row(self) -> int:
        return self.first_row + self.max_rows - 1

    def letter(self, key: str) -> str:
        return col_letter(self.first_col + self.columns.index(self.column(key)))

    def column(self, key: str) -> Column:
        return _find(self.columns, key)

    def evolve(self, *, add_columns: Iterable[Column] = (), drop_columns: Iterable[str] = (),
               **changes: Any) -> Table:
        """This table with columns appended or dropped and any declared attribute changed."""
        gone = set(drop_columns)
        columns = tuple(c for c in self.columns if c.key not in gone) + tuple(add_columns)
        return replace(self, columns=columns, **changes)


@dataclass(frozen=True)
class SignoffRole:
    """One signature block of the form: who signs, and the header fields that hold the
    signer's name, position and date (stored as one ``signoffs`` row per role)."""

    key: str
    label_th: str
    label_en: str
    name_field: str
    position_field: str
    date_field: str

    @property
    def fields(self) -> tuple[str, str, str]:
        return self.name_field, self.position_field, self.date_field


@dataclass(frozen=True)
class WorkbookSpec:
    """One layout: sheets, header fields at their cells, tables; checked when declared."""

    template_id: str
    version: str
    sheets: tuple[tuple[str, str], ...]  # (sheet name, English title) in workbook order
    fields: tuple[Field, ...]
    tables: tuple[Table, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    signoffs: tuple[SignoffRole, ...] = ()
    #: sheets whose protection lets the clerk paste pictures (the activity photos)
    picture_sheets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_layout(self)

    def field(self, key: str) -> Field:
        return _find(self.fields, key)

    def table(self, key: str) -> Table:
        return _find(self.tables, key)

    def fields_on(self, sheet: str) -> list[Field]:
        return [f for f in self.fields if f.sheet == sheet]

    def tables_on(self, sheet: str) -> list[Table]:
        return [t for t in self.tables if t.sheet == sheet]

    def evolve(self, version: str, *, add_fields: Iterable[Field] = (),
               move: Mapping[str, str] | None = None, replace_fields: Iterable[Field] = (),
               drop_fields: Iterable[str] = (), tables: Iterable[Table] = (),
               drop_tables: Iterable[str] = (),
               sheets: tuple[tuple[str, str], ...] | None = None,
               signoffs: tuple[SignoffRole, ...] | None = None,
               picture_sheets: tuple[str, ...] | None = None) -> WorkbookSpec:
        """The next layout: this one with fields added, moved (key → new cell), replaced
        (same key) or dropped, and tables replaced (same key), added or dropped.

        Nothing moves unless ``move`` says so: every cell of the new layout is still
        written out literally. Fields are ordered by sheet, then row, then column.
        """
        by_key = {f.key: f for f in self.fields}
        for key in drop_fields:
            del by_key[key]
        for f in replace_fields:
            if f.key not in by_key:
                raise KeyError(f"replace_fields: no field {f.key!r} in {self.version}")
            by_key[f.key] = f
        for key, cell in (move or {}).items():
            by_key[key] = replace(by_key[key], cell=cell)
        for f in add_fields:
            if f.key in by_key:
                raise KeyError(f"add_fields: {f.key!r} is already in {self.version}")
            by_key[f.key] = f
        sheets = self.sheets if sheets is None else sheets
        order = {name: i for i, (name, _title) in enumerate(sheets)}
        fields = sorted(by_key.values(),
                        key=lambda f: (order.get(f.sheet, len(order)), f.row, f.col_index))
        new_tables = {t.key: t for t in tables}
        gone = set(drop_tables)
        kept = [new_tables.pop(t.key, t) for t in self.tables if t.key not in gone]
        return WorkbookSpec(self.template_id, version, sheets, tuple(fields),
                            (*kept, *new_tables.values()), dict(self.extra),
                            self.signoffs if signoffs is None else signoffs,
                            self.picture_sheets if picture_sheets is None else picture_sheets)

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of ``tps spec --json``."""
        def item(x: Field | Column, **place: Any) -> dict[str, Any]:
            out = {"key": x.key, "label_th": x.label_th, "label_en": x.label_en,
                   "type": x.type, "required": x.required, **place}
            if x.choices:
                out.update(choices=[c.th for c in x.choices],
                           choice_keys={c.th: c.key for c in x.choices})
            return out

        return {
            "template": {"id": self.template_id, "version": self.version,
                         "meta_sheet": META_SHEET},
            "fields": [item(f, sheet=f.sheet, cell=f.cell) for f in self.fields],
            "tables": [{"key": t.key, "label_th": t.label_th, "label_en": t.label_en,
                        "sheet": t.sheet, "first_row": t.first_row, "max_rows": t.max_rows,
                        "columns": [item(c, column=t.letter(c.key)) for c in t.columns]}
                       for t in self.tables],
            "signoffs": [{"key": r.key, "label_th": r.label_th, "label_en": r.label_en,
                          "name": r.name_field, "position": r.position_field,
                          "date": r.date_field} for r in self.signoffs],
        }


def _check_layout(spec: WorkbookSpec) -> None:
    """Refuse a layout that collides with itself or names what isn't there: a cell read
    for two things, or a sign-off without its fields, would go wrong only in an office."""
    # (what, sheet, first row, last row, first col, last col), 0-based and inclusive
    places = [(f"the title of {s!r}", s, 0, 2, 0, 0) for s in {f.sheet for f in spec.fields}]
    places += [(f"field {f.key!r}", f.sheet, f.row - 1, f.row - 1, f.col_index - 2,
                f.col_index) for f in spec.fields]  # the two cells left hold its labels
    places += [(f"table {t.key!r}", t.sheet, t.title_row - 1, t.last_row - 1, t.first_col,
                t.first_col + len(t.columns) - 1) for t in spec.tables]
    problems = [f"{a[0]} overlaps {b[0]}" for i, a in enumerate(places) for b in places[:i]
                if a[1] == b[1] and a[2] <= b[3] and b[2] <= a[3] and a[4] <= b[5]
                and b[4] <= a[5]]
    sheets = {s for s, _ in spec.sheets}
    problems += [f"{p[0]} is on no sheet of the layout" for p in places if p[1] not in sheets]
    problems += [f"{p[0]} has no room for its labels" for p in places if p[4] < 0]
    keys = [f.key for f in spec.fields]
    for what, items in [("field", keys), ("table", [t.key for t in spec.tables]),
                        *[(f"column of {t.key!r}", [c.key for c in t.columns])
                          for t in spec.tables]]:
        problems += [f"{what} {k!r} twice" for k in sorted(set(items)) if items.count(k) > 1]
    problems += [f"sign-off {r.key!r} names unknown field {k!r}"
                 for r in spec.signoffs for k in r.fields if k not in keys]
    if problems:
        raise ValueError(f"layout {spec.template_id} {spec.version}: " + "; ".join(problems))

