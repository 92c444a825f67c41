"""The spec is the contract: its JSON shape, and every field really sits where it says."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import need
from openpyxl import load_workbook

from tps_batch.cli import main
from tps_batch.spec import META_SHEET, SPEC, TYPES
from tps_batch.template import write_workbook

REQUIRED_FIELDS = {"project_code", "project_name", "fiscal_year", "group", "owner",
                   "report_kind", "as_of", "status", "planned_start", "planned_end"}
REQUIRED_TABLES = {
    "activities": {"name", "planned_start", "planned_end", "actual_date", "place",
                   "target_planned", "target_reached", "status", "budget_planned",
                   "budget_spent", "result", "remarks"},
    "budget": {"source", "allocated", "disbursed"},
    "indicators": {"framework", "code", "contribution"},
    "problems": {"text"}, "suggestions": {"text"},
}


@pytest.fixture(scope="module")
def spec_json() -> dict:
    result = CliRunner().invoke(main, ["spec", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_spec_json_shape(spec_json: dict) -> None:
    assert spec_json["template"]["id"] == SPEC.template_id
    assert re.fullmatch(r"\d+\.\d+", spec_json["template"]["version"])
    keys = {f["key"] for f in spec_json["fields"]}
    assert REQUIRED_FIELDS <= keys
    for f in spec_json["fields"]:
        assert set(f) >= {"key", "label_th", "label_en", "type", "required", "sheet", "cell"}
        assert f["type"] in TYPES
        assert re.fullmatch(r"[A-Z]+[1-9]\d*", f["cell"])
        assert ("choices" in f) == (f["type"] == "choice")
    tables = {t["key"]: t for t in spec_json["tables"]}
    for key, cols in REQUIRED_TABLES.items():
        assert cols <= {c["key"] for c in tables[key]["columns"]}
    assert {"objectives", "targets", "attachments"} <= set(tables)
    for t in spec_json["tables"]:
        assert isinstance(t["first_row"], int) and t["first_row"] > 1 and t["max_rows"] > 0
        for c in t["columns"]:
            assert re.fullmatch(r"[A-Z]+", c["column"]) and c["type"] in TYPES
            assert set(c) >= {"key", "label_th", "label_en", "type", "required", "column"}


def test_no_two_spec_places_overlap(spec_json: dict) -> None:
    """Two tables on one sheet must not share a column, fields must not share a cell."""
    cells = [(f["sheet"], f["cell"]) for f in spec_json["fields"]]
    assert len(cells) == len(set(cells))
    cols = [(t["sheet"], c["column"]) for t in spec_json["tables"] for c in t["columns"]]
    assert len(cols) == len(set(cols))


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("tpl") / "blank.xlsx",
                          extra_choices={"indicators.framework": ["ITA", "OBEC"]})


def test_every_field_points_at_its_labelled_cell(spec_json: dict, blank: Path) -> None:
    wb = load_workbook(blank)
    for f in spec_json["fields"]:
        ws = wb[f["sheet"]]
        row, col = ws[f["cell"]].row, ws[f["cell"]].column  # labels: the two cells left
        assert ws.cell(row, col - 2).value.rstrip(" *") == f["label_th"], f["key"]
        assert ws.cell(row, col - 1).value == f["label_en"], f["key"]
        assert ws[f["cell"]].protection.locked is False, f["key"]
        assert ws.cell(row, col - 2).protection.locked is True
    for t in spec_json["tables"]:
        ws = wb[t["sheet"]]
        for c in t["columns"]:
            head_th = ws[f"{c['column']}{t['first_row'] - 2}"].value
            head_en = ws[f"{c['column']}{t['first_row'] - 1}"].value
            assert head_th.rstrip(" *") == c["label_th"], (t["key"], c["key"])
            assert head_en == c["label_en"], (t["key"], c["key"])
            for r in (t["first_row"], t["first_row"] + t["max_rows"] - 1):
                assert ws[f"{c['column']}{r}"].protection.locked is False
        assert ws[f"{t['columns'][0]['column']}{t['first_row'] - 2}"].protection.locked


def _validations(ws) -> dict[str, object]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0]] = dv
    return out


def check_template_features(path: Path) -> None:
    """Dropdowns, input messages, protection, BE date formats and the meta sheet."""
    wb = load_workbook(path)
    meta = wb[META_SHEET]
    assert meta.sheet_state in ("hidden", "veryHidden")
    assert meta["B1"].value == SPEC.template_id and meta["B2"].value == SPEC.version
    for f in SPEC.fields:
        ws = wb[f.sheet]
        assert ws.protection.sheet, f.sheet
        dv = _validations(ws)[f.cell]
        assert dv.prompt, f.key
        if f.type == "choice":
            assert dv.type == "list"
            listed = dv.formula1.strip('"').split(",")
            assert listed == [c.th for c in f.choices]
        if f.type == "date":
            fmt = ws[f.cell].number_format
            assert "107041E" in fmt, fmt  # Thai Buddhist calendar
    for t in SPEC.tables:
        ws = wb[t.sheet]
        dvs = _validations(ws)
        for c in t.columns:
            dv = dvs[f"{t.letter(c.key)}{t.first_row}"]
            assert dv.prompt
            if c.type == "choice":
                assert dv.type == "list"
    assert wb[SPEC.sheets[0][0]].page_setup.paperSize in (9, "9")


def test_template_features_openpyxl(blank: Path) -> None:
    check_template_features(blank)


@pytest.mark.slow
def test_template_survives_libreoffice(blank: Path, tmp_path: Path) -> None:
    soffice = need("soffice")
    out = tmp_path / "lo"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "xlsx", "--outdir", str(out), str(blank)],
                   check=True, capture_output=True, timeout=180)
    check_template_features(out / blank.name)


def test_template_text_is_never_a_formula(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "x.xlsx", values={"project_name": "=HYPERLINK(\"x\")"},
                          tables={"problems": [{"text": "+cmd|' /C calc'!A0"}]})
    wb = load_workbook(path)
    f = SPEC.field("project_name")
    assert wb[f.sheet][f.cell].data_type == "s"
    t = SPEC.table("problems")
    assert wb[t.sheet][f"{t.letter('text')}{t.first_row}"].data_type == "s"
