"""One layout per template version: workbooks written by release c067db1 (1.1) read with
their own cells, and a newer layout declared beside them changes nothing for them.

Expected values below were copied by hand from the fixture files as openpyxl shows them,
not computed with the reader under test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tps_batch import spec
from tps_batch.plan import read_plan
from tps_batch.read import read_submission
from tps_batch.spec import S_PROJECT, SPEC_1_1, Field
from tps_batch.template import write_workbook
from tps_batch.validate import validate

FIXTURES = Path(__file__).parent / "fixtures" / "c067db1"
D = dt.date


@pytest.fixture(scope="module")
def demo_1_1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace c067db1 wrote (kept originals in archive/ and rejected/)."""
    dest = tmp_path_factory.mktemp("c067db1")
    with tarfile.open(FIXTURES / "demo-workspace.tar.xz") as tar:
        tar.extractall(dest, filter="data")
    return dest


def _codes(sub) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.sheet, f.cell) for f in sub.findings]


# --- layout 1.1 as c067db1 wrote it --------------------------------------------------------

def test_layout_1_1_cells_are_those_c067db1_wrote() -> None:
    """The 1.1 header cells, as the release's blank template has their labels (A/B)."""
    cells = {f.key: f.cell for f in SPEC_1_1.fields}
    assert cells == {
        "project_code": "C4", "project_name": "C5", "fiscal_year": "C6", "group": "C7",
        "owner": "C8", "report_kind": "C9", "as_of": "C10", "status": "C11",
        "planned_start": "C12", "planned_end": "C13", "strategy": "C15", "rationale": "C16",
        "reporter_name": "C18", "reporter_position": "C19", "reporter_date": "C20",
        "head_name": "C21", "head_position": "C22", "head_date": "C23",
        "deputy_name": "C24", "deputy_position": "C25", "deputy_date": "C26"}
    assert {f.sheet for f in SPEC_1_1.fields} == {"1 โครงการ"}
    places = {t.key: (t.sheet, t.letter(t.columns[0].key), t.first_row, t.last_row)
              for t in SPEC_1_1.tables}
    assert places == {
        "objectives": ("2 วัตถุประสงค์ เป้าหมาย", "A", 5, 24),
        "targets": ("2 วัตถุประสงค์ เป้าหมาย", "C", 5, 34),
        "activities": ("3 กิจกรรม", "A", 5, 64),
        "budget": ("4 งบประมาณ ตัวชี้วัด", "A", 5, 14),
        "indicators": ("4 งบประมาณ ตัวชี้วัด", "E", 5, 24),
        "problems": ("5 ปัญหา ข้อเสนอแนะ", "A", 5, 24),
        "suggestions": ("5 ปัญหา ข้อเสนอแนะ", "C", 5, 24),
        "attachments": ("6 เอกสารแนบ", "A", 5, 44)}
    assert SPEC_1_1.table("activities").letter("remarks") == "L"


def test_versions_registered() -> None:
    assert spec.SUPPORTED_VERSIONS == ("1.0", "1.1", "1.2") == spec.versions()
    assert spec.TEMPLATE_VERSION == "1.2" and spec.SPEC is spec.SPEC_1_2
    assert spec.layout("1.1") is SPEC_1_1
    assert spec.layout("1.0") is SPEC_1_1  # 1.0 never had a layout of its own
    assert spec.layout("1.9") is None and spec.layout(None) is None


def test_blank_template_of_c067db1() -> None:
    sub = read_submission(FIXTURES / "template-1.1-blank.xlsx")
    assert sub.template_version == "1.1"
    assert sub.values["fiscal_year"] == 2567
    assert all(v is None for k, v in sub.values.items() if k != "fiscal_year")
    assert all(rows == [] for rows in sub.tables.values())
    missing = {f.cell for f in sub.findings if f.code == "missing-required"}
    assert missing == {"C4", "C5", "C7", "C8", "C9", "C10", "C11", "C12", "C13", "C18"}
    # read with its own 1.1 layout, and told that 1.2 is current
    assert {f.code for f in sub.findings} == {"missing-required", "template-version-old"}


def test_prefilled_template_of_c067db1() -> None:
    sub = read_submission(FIXTURES / "template-1.1-P2567-01.xlsx")
    v = sub.values
    assert (v["project_code"], v["project_name"], v["fiscal_year"], v["group"], v["owner"]) \
        == ("P2567-01", "โครงการพัฒนาระบบงานสารบรรณอิเล็กทรอนิกส์", 2567, "กลุ่มอำนวยการ",
            "นายวรวุฒิ จันทร์เพ็ญ")
    assert (v["planned_start"], v["planned_end"]) == (D(2024, 1, 9), D(2024, 5, 26))
    assert v["report_kind"] is None and v["as_of"] is None and v["reporter_name"] is None
    assert [(r["_row"], r["source"], r["allocated"], r["disbursed"])
            for r in sub.tables["budget"]] == [(5, "obec", 56000.0, None)]
    assert [(r["framework"], r["code"]) for r in sub.tables["indicators"]] == \
        [("ESA-STD", "1.2"), ("ESA-STD", "1.3")]


def test_archived_workbook_of_c067db1(demo_1_1: Path) -> None:
    sub = read_submission(demo_1_1 / "archive/2567/000069-P2567-10_annual-report.xlsx")
    assert sub.template_version == "1.1"
    assert _codes(sub) == [("template-version-old", "_meta", "B2")]
    assert sub.values == {
        "project_code": "P2567-10",
        "project_name": "โครงการจัดทำรายงานผลการดำเนินงานประจำปีงบประมาณ 2566",
        "fiscal_year": 2567, "group": "กลุ่มนโยบายและแผน", "owner": "นายธนพล สุวรรณรัตน์",
        "report_kind": "final", "as_of": D(2024, 5, 15), "status": "completed",
        "planned_start": D(2023, 10, 30), "planned_end": D(2024, 1, 8),
        "strategy": "กลยุทธ์ที่ 4 ด้านประสิทธิภาพ",
        "rationale": "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต 1 มีภารกิจด้านการจัดทำ"
                     "รายงานประจำปี ตามนโยบายของ สพฐ. จึงจัดทำโครงการจัดทำรายงานผลการดำเนินงาน"
                     "ประจำปีงบประมาณ 2566",
        "reporter_name": "นายธนพล สุวรรณรัตน์",
        "reporter_position": "นักวิเคราะห์นโยบายและแผนชำนาญการ", "reporter_date": D(2024, 5, 15),
        "head_name": "นายพงศกร สุวรรณรัตน์", "head_position": "ผู้อำนวยการกลุ่มนโยบายและแผน",
        "head_date": D(2024, 5, 15), "deputy_name": "นางสาวอรุณี ทองดี",
        "deputy_position": "รองผู้อำนวยการสำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต 1",
        "deputy_date": D(2024, 5, 15)}
    t = sub.tables
    assert [len(t[k]) for k in ("objectives", "targets", "activities", "budget", "indicators",
                                "problems", "suggestions", "attachments")] == [3, 3, 3, 1, 1, 2,
                                                                             1, 2]
    assert t["activities"][1] == {
        "_row": 6, "name": "ประชุมเชิงปฏิบัติการเรื่องการจัดทำรายงานประจำปี",
        "planned_start": D(2023, 11, 24), "planned_end": D(2023, 11, 25),
        "actual_date": D(2023, 11, 24), "place": "ห้องประชุมใหญ่ สพป.ตัวอย่าง เขต 1",
        "target_planned": 86, "target_reached": 82, "status": "done",
        "budget_planned": 29400.0, "budget_spent": 26870.0,
        "result": "ผู้เข้าร่วม 82 คน ได้ผลงานตามเป้าหมาย ความพึงพอใจระดับมาก", "remarks": None}
    assert t["targets"][0] == {"_row": 5, "kind": "quantitative",
                               "description": "ผู้เข้าร่วมกิจกรรมตามโครงการด้านการจัดทำรายงานประจำปี",
                               "unit": "คน", "target_value": 124, "achieved_value": 120}
    assert (t["budget"][0]["allocated"], t["budget"][0]["disbursed"]) == (44000.0, 40773.0)
    assert (t["indicators"][0]["framework"], t["indicators"][0]["code"]) == ("ITA", "O12")
    assert t["suggestions"][0]["text"] == "ควรจัดทำระบบรายงานออนไลน์เพื่อลดภาระเอกสารของโรงเรียน"
    assert (t["attachments"][1]["kind"], t["attachments"][1]["link"]) == \
        ("photo", "https://drive.example.org/tps/P2567-10/photos")


def test_rejected_workbook_of_c067db1(demo_1_1: Path) -> None:
    sub = read_submission(demo_1_1 / "rejected/2567/000065-P2567-04_office-5s.xlsx")
    assert _codes(sub) == [("template-version-old", "_meta", "B2"),
                           ("not-in-choices", "3 กิจกรรม", "H5")]
    v = sub.values
    assert (v["project_code"], v["as_of"], v["status"]) == ("P2567-04", D(2024, 5, 15),
                                                           "in_progress")
    assert (v["head_name"], v["head_date"]) == ("นางสาวกมลวรรณ สุวรรณรัตน์", D(2024, 5, 15))
    assert v["deputy_name"] is None and v["deputy_date"] is None
    t = sub.tables
    assert [r["_row"] for r in t["objectives"]] == [5, 6]  # A7 is blank
    assert [r["achieved_value"] for r in t["targets"]] == [104, 83, None]
    assert [r["status"] for r in t["activities"]] == [None, "done", "in_progress"]
    assert t["activities"][2]["remarks"] == "อยู่ระหว่างดำเนินการ"
    assert [(r["source"], r["allocated"], r["disbursed"]) for r in t["budget"]] == \
        [("obec", 47000.0, 47000.0), ("other", 15000.0, 766.0)]
    assert (len(t["problems"]), len(t["suggestions"])) == (1, 2)


def test_every_c067db1_submission_reads_to_what_that_release_found(demo_1_1: Path) -> None:
    """Each kept original, read and checked again, gives (at least) the findings c067db1
    recorded for it, at the same sheet and cell; the accepted ones get no error."""
    plan = read_plan(demo_1_1 / "plan.xlsx")
    db = sqlite3.connect(demo_1_1 / "tps.sqlite")
    subs = db.execute("SELECT id, kept_path, status, received_at, project_code "
                      "FROM submissions").fetchall()
    found = {}
    for sid, code, severity, sheet, cell in db.execute(
            "SELECT submission_id, code, severity, sheet, cell FROM findings"):
        found.setdefault(sid, set()).add((code, severity, sheet, cell))
    db.close()
    assert len(subs) == 97
    for sid, kept, status, received, code in subs:
        sub = read_submission(demo_1_1 / kept, fiscal_year=2567)
        assert sub.template_version == "1.1" and sub.values["project_code"] == code, kept
        validate(sub, plan, fiscal_year=2567, received=dt.datetime.fromisoformat(received).date())
        now = {(f.code, f.severity, f.sheet, f.cell) for f in sub.findings}
        assert found.get(sid, set()) <= now, kept
        errors = [f for f in sub.findings if f.severity == "error"]
        assert bool(errors) == (status == "rejected"), (kept, errors)


def test_a_workbook_stamped_1_0_is_read_with_its_layout(tmp_path: Path) -> None:
    wb = load_workbook(FIXTURES / "template-1.1-P2567-01.xlsx")
    wb["_meta"]["B2"] = "1.0"
    wb.save(old := tmp_path / "1.0.xlsx")
    sub = read_submission(old)
    assert sub.template_version == "1.0"
    assert [f.code for f in sub.findings if f.severity == "warning"] == ["template-version-old"]
    assert sub.values["owner"] == "นายวรวุฒิ จันทร์เพ็ญ"
    assert sub.values["planned_end"] == D(2024, 5, 26)


# --- a newer layout, declared beside 1.1 -------------------------------------------------

_NEW = Field("budget_code", "รหัสงบประมาณ", "Budget code", "text", False, (), S_PROJECT, "C9")
#: 1.9, a future version: one field inserted after the owner, so every header cell below
#: it moves one row.
SPEC_NEXT = SPEC_1_1.evolve("1.9", add_fields=(_NEW,), move={
    "report_kind": "C10", "as_of": "C11", "status": "C12", "planned_start": "C13",
    "planned_end": "C14", "strategy": "C16", "rationale": "C17", "reporter_name": "C19",
    "reporter_position": "C20", "reporter_date": "C21", "head_name": "C22",
    "head_position": "C23", "head_date": "C24", "deputy_name": "C25",
    "deputy_position": "C26", "deputy_date": "C27"})
LAYOUTS_NEXT = {**spec.LAYOUTS, "1.9": SPEC_NEXT}

GOOD = {"project_code": "P01", "project_name": "โครงการทดสอบ", "fiscal_year": 2567,
        "group": "กลุ่มนโยบายและแผน", "owner": "นางสาวทดสอบ ระบบดี",
        "budget_code": "งบ-2567-001", "report_kind": "รายงานความก้าวหน้า",
        "as_of": D(2024, 1, 10), "status": "อยู่ระหว่างดำเนินการ",
        "planned_start": D(2023, 11, 1), "planned_end": D(2023, 10, 20),
        "reporter_name": "นางสาวทดสอบ ระบบดี", "deputy_date": D(2024, 1, 11)}


def test_evolve_declares_only_what_it_says() -> None:
    assert [f.key for f in SPEC_NEXT.fields][4:7] == ["owner", "budget_code", "report_kind"]
    assert SPEC_NEXT.field("deputy_date").cell == "C27"
    assert SPEC_NEXT.field("owner").cell == "C8"  # not moved, not counted
    assert SPEC_NEXT.tables == SPEC_1_1.tables and SPEC_NEXT.signoffs == SPEC_1_1.signoffs
    assert SPEC_1_1.field("report_kind").cell == "C9"  # the old layout is untouched
    assert SPEC_1_1.to_json()["template"]["version"] == "1.1"


def test_a_layout_that_collides_is_refused() -> None:
    with pytest.raises(ValueError, match="overlaps field 'report_kind'"):
        SPEC_1_1.evolve("1.9", add_fields=(_NEW,))  # C9 is taken and nothing moved
    with pytest.raises(ValueError, match="no room for its labels"):
        SPEC_1_1.evolve("1.9", add_fields=(Field("x", "x", "x", "text", sheet=S_PROJECT,
                                                 cell="B40"),))
    with pytest.raises(ValueError, match="table 'targets' overlaps table 'objectives'"):
        SPEC_1_1.evolve("1.9", tables=(SPEC_1_1.table("targets").evolve(first_col=0),))
    with pytest.raises(ValueError, match="unknown field 'head_name'"):
        SPEC_1_1.evolve("1.9", drop_fields=("head_name",))


def test_new_layout_reads_new_workbooks_and_old_ones_keep_theirs(tmp_path: Path) -> None:
    new = write_workbook(tmp_path / "1.9.xlsx", values=GOOD, spec=SPEC_NEXT)
    ws = load_workbook(new)[S_PROJECT]
    assert (ws["A9"].value, ws["C9"].value, ws["C10"].value) == \
        ("รหัสงบประมาณ", "งบ-2567-001", "รายงานความก้าวหน้า")
    assert load_workbook(new)["_meta"]["B2"].value == "1.9"

    sub = read_submission(new, layouts=LAYOUTS_NEXT)
    assert sub.template_version == "1.9" and sub.findings == []
    assert sub.values["budget_code"] == "งบ-2567-001"
    assert (sub.values["report_kind"], sub.values["as_of"], sub.values["status"]) == \
        ("progress", D(2024, 1, 10), "in_progress")
    assert sub.values["deputy_date"] == D(2024, 1, 11)
    # a rule's finding points at the cell of the layout the workbook was written with
    validate(sub, None, fiscal_year=2567, layout=SPEC_NEXT)
    assert ("end-before-start", S_PROJECT, "C14") in _codes(sub)

    old = read_submission(FIXTURES / "template-1.1-P2567-01.xlsx", layouts=LAYOUTS_NEXT)
    assert old.template_version == "1.1"
    assert ("template-version-old", "_meta", "B2") in _codes(old)
    assert "budget_code" not in old.values
    assert (old.values["owner"], old.values["planned_start"], old.values["planned_end"]) == \
        ("นายวรวุฒิ จันทร์เพ็ญ", D(2024, 1, 9), D(2024, 5, 26))
    assert old.values["report_kind"] is None  # C9 of 1.1, not the 1.9 row below it

    # the registry in use today doesn't know 1.9: refused, not misread
    today = read_submission(new)
    assert _codes(today) == [("unsupported-template-version", "_meta", "B2")]
    assert not today.readable


def test_stored_fields_and_columns_are_the_union_over_layouts() -> None:
    keys = [f.key for f in spec.stored_fields()]
    assert keys == ["project_code", "project_name", "fiscal_year", "group", "owner",
                    "report_kind", "as_of", "status", "planned_start", "planned_end",
                    "strategy", "rationale", "unspent_action", "unspent_amount"]
    roles = spec.SIGNOFF_ROLES
    assert [(r.key, r.label_th) for r in roles] == [
        ("reporter", "ผู้รายงาน"), ("head", "ผู้อำนวยการศูนย์"),
        ("deputy", "รองผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา")]
    assert roles[1].fields == ("head_name", "head_position", "head_date")

    assert [f.key for f in spec.stored_fields(LAYOUTS_NEXT)][4:6] == ["owner", "budget_code"]
    # 2.0 drops a field and a column and adds a column: the dataset keeps all of them
    acts = SPEC_NEXT.table("activities")
    wider = acts.evolve(drop_columns=("remarks",), add_columns=(
        spec.Column("evidence", "หลักฐาน", "Evidence", "text"),))
    spec_2_0 = SPEC_NEXT.evolve("2.0", drop_fields=("rationale",), tables=(wider,))
    layouts = {**LAYOUTS_NEXT, "2.0": spec_2_0}
    stored = [f.key for f in spec.stored_fields(layouts)]
    # 2.0's own fields first, then rationale (only 1.9 and older have it), then 1.2's
    assert stored[-4:] == ["strategy", "rationale", "unspent_action", "unspent_amount"]
    assert "budget_code" in stored
    assert not {"reporter_name", "head_date"} & set(stored)
    cols = [c.key for c in spec.stored_columns("activities", layouts)]
    assert cols[-2:] == ["evidence", "remarks"] and cols[:2] == ["name", "planned_start"]
    assert spec.stored_tables(layouts) == spec.stored_tables()
    with pytest.raises(KeyError):
        spec.stored_columns("no-such-table")


def test_spec_json_of_the_current_layout() -> None:
    data = spec.SPEC.to_json()
    assert data["template"] == {"id": "tps-project-report", "version": "1.2",
                                "meta_sheet": "_meta"}
    assert [(f["key"], f["cell"]) for f in data["fields"]][8:10] == \
        [("planned_start", "C12"), ("planned_end", "C13")]
    acts = next(t for t in data["tables"] if t["key"] == "activities")
    assert acts["first_row"] == 5 and acts["max_rows"] == 60
    assert [c["column"] for c in acts["columns"]][-2:] == ["K", "L"]
    assert data["signoffs"][0] == {"key": "reporter", "label_th": "ผู้รายงาน",
                                   "label_en": "Reporter", "name": "reporter_name",
                                   "position": "reporter_position", "date": "reporter_date"}


# --- a new version is declared in spec.py only ---------------------------------------------

_DECLARE_NEXT = '''
SPEC_NEXT = SPEC_1_1.evolve("1.9", add_fields=(
    _f("C9", "budget_code", "รหัสงบประมาณ", "Budget code", "text"),), move={
    "report_kind": "C10", "as_of": "C11", "status": "C12", "planned_start": "C13",
    "planned_end": "C14", "strategy": "C16", "rationale": "C17", "reporter_name": "C19",
    "reporter_position": "C20", "reporter_date": "C21", "head_name": "C22",
    "head_position": "C23", "head_date": "C24", "deputy_name": "C25",
    "deputy_position": "C26", "deputy_date": "C27"})

'''

_CHECK = '''
import json, sys
from pathlib import Path
from click.testing import CliRunner
from tps_batch import spec, store
from tps_batch.cli import main
from tps_batch.read import read_submission
from tps_batch.template import write_workbook

out = Path(sys.argv[1])
cli = json.loads(CliRunner().invoke(main, ["spec", "--json"]).output)
new = write_workbook(out / "new.xlsx", values={"budget_code": "B-1", "status": "ยกเลิกโครงการ"})
sub = read_submission(new)
old = read_submission(Path(sys.argv[2]))
print(json.dumps({
    "module": spec.__file__, "current": spec.TEMPLATE_VERSION,
    "supported": spec.SUPPORTED_VERSIONS,
    "cli": {f["key"]: f["cell"] for f in cli["fields"]}, "cli_version": cli["template"],
    "new": [sub.template_version, sub.values.get("budget_code"), sub.values.get("status")],
    "old": [old.template_version, old.values.get("owner"), [f.code for f in old.findings]],
    "stored": [f.key for f in spec.stored_fields()],
    "projects_columns": list(store.projects.c.keys()),
}, ensure_ascii=False))
'''


def test_new_version_is_one_declaration_and_one_line_in_spec_py(tmp_path: Path) -> None:
    """In a copy of the package, 1.9 is declared and registered in spec.py alone; the
    command line, template writer, reader and dataset follow."""
    import tps_batch

    pkg = tmp_path / "src" / "tps_batch"
    shutil.copytree(Path(tps_batch.__file__).parent, pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    source = (pkg / "spec.py").read_text("utf-8")
    registry = "# --- the registry ---"
    line = '    "1.1": SPEC_1_1,\n'
    assert source.count(registry) == 1 and source.count(line) == 1
    source = source.replace(registry, _DECLARE_NEXT + registry)
    source = source.replace(line, line + '    "1.9": SPEC_NEXT,\n')  # the one line
    (pkg / "spec.py").write_text(source, "utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    result = subprocess.run(
        [sys.executable, "-c", _CHECK, str(tmp_path),
         str(FIXTURES / "template-1.1-P2567-01.xlsx")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert Path(got["module"]).is_relative_to(tmp_path)
    assert got["current"] == "1.9" and got["supported"] == ["1.0", "1.1", "1.2", "1.9"]
    assert got["cli_version"]["version"] == "1.9"
    assert (got["cli"]["owner"], got["cli"]["budget_code"], got["cli"]["report_kind"],
            got["cli"]["deputy_date"]) == ("C8", "C9", "C10", "C27")
    assert got["new"] == ["1.9", "B-1", "cancelled"]
    assert got["old"] == ["1.1", "นายวรวุฒิ จันทร์เพ็ญ", [
        "template-version-old", *["missing-required"] * 4]]
    assert got["stored"][4:6] == ["owner", "budget_code"]
    assert "budget_code" in got["projects_columns"]


# --- labels and order from the spec: the per-project page and the export ------------------

def _spec_labels() -> set[str]:
    out = {f.label_th for lay in spec.LAYOUTS.values() for f in lay.fields}
    out |= {t.label_th for lay in spec.LAYOUTS.values() for t in lay.tables}
    out |= {c.label_th for lay in spec.LAYOUTS.values() for t in lay.tables for c in t.columns}
    return out | {r.label_th for r in spec.SIGNOFF_ROLES}


@pytest.mark.parametrize("name", ["project.html", "_project_form.html"])
def test_project_page_retypes_no_spec_label(name: str) -> None:
    """The page and the form it shares with the annual report (tests/test_labels.py)."""
    import re

    page = (Path(__file__).parent.parent / "templates" / name).read_text("utf-8")
    page = re.sub(r"\{#.*?#\}", "", page, flags=re.S)  # comments may name the form
    assert [label for label in _spec_labels() if label in page] == []


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory):
    import factories as fx

    from tps_batch.ingest import ingest
    from tps_batch.reports import generate

    ws = fx.make_workspace(tmp_path_factory.mktemp("ws"))
    fx.submission(ws.path("inbox") / "p01.xlsx", values={"strategy": "กลยุทธ์ที่ 1"},
                  received=dt.datetime(2024, 1, 12, 9))
    assert ingest(ws).accepted == 1
    generate(ws, as_of=dt.date(2024, 1, 20), formats=("html",), only=("projects",))
    return ws


def test_project_page_takes_labels_and_order_from_the_spec(reported) -> None:
    import re

    html = (reported.output_dir / "projects" / "P01.html").read_text("utf-8")
    # items 1 and 2 of the seed form, then the other header fields in the spec's order
    top = ("project_name", "owner", "group")
    items = re.findall(r'<b>(?:\d\. )?([^<]+)</b>(?: <span class="en">([^<]+)</span>)?', html)
    assert [th for th, _ in items[:3]] == [spec.SPEC.field(k).label_th for k in top]
    heads = re.findall(r'<tr><th[^>]*>([^<]+) <span class="en">([^<]+)</span></th><td>', html)
    shown = [f for f in spec.stored_fields()
             if (f.required or f.key == "strategy") and f.key not in top]
    assert heads == [(f.label_th, f.label_en) for f in shown]
    assert "<td>กลยุทธ์ที่ 1</td>" in html and "หลักการและเหตุผล" not in html  # blank: left out
    # the seed's numbered items, its order; a table the seed lacks follows; attachments last
    sections = re.findall(r'<h3>(?:(\d+)\. )?([^<]+) <span class="en">([^<]+)</span></h3>', html)
    t = spec.SPEC.table
    result = t("activities").column("result")
    assert sections == [
        ("3", t("objectives").label_th, t("objectives").label_en),
        ("4", t("targets").label_th, t("targets").label_en),
        ("5", t("activities").label_th, t("activities").label_en),
        ("6", t("budget").label_th, t("budget").label_en),
        ("7", result.label_th, result.label_en),
        ("8", t("problems").label_th, t("problems").label_en),
        ("9", t("suggestions").label_th, t("suggestions").label_en),
        ("10", t("indicators").label_th, t("indicators").label_en),
        ("", t("attachments").label_th, t("attachments").label_en)]
    column_heads = re.findall(r"<th[^>]*>([^<]+)</th>", html.split("<h3>")[2])
    assert column_heads == ["ที่", *(spec.SPEC.table("targets").column(k).label_th for k in (
        "kind", "description", "target_value", "achieved_value")), "ผลการประเมิน"]
    signs = html.split('<div class="sign">', 1)[1].split("<section", 1)[0]
    assert [r.label_th for r in spec.SIGNOFF_ROLES if r.label_th in signs] == [
        r.label_th for r in spec.SIGNOFF_ROLES]


def test_export_names_and_orders_columns_by_the_spec(reported, tmp_path: Path) -> None:
    import csv

    from tps_batch.export import export

    export(reported, tmp_path)
    with open(tmp_path / "projects.csv", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    assert header == ["submission_id", *(f.key for f in spec.stored_fields())]
    with open(tmp_path / "activities.csv", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    assert header == ["submission_id", "project_code", "seq",
                      *(c.key for c in spec.stored_columns("activities"))]
    with open(tmp_path / "_columns.csv", encoding="utf-8-sig") as fh:
        labels = {(r["table"], r["column"]): (r["label_th"], r["label_en"])
                  for r in csv.DictReader(fh)}
    assert labels[("projects", "as_of")] == ("ข้อมูล ณ วันที่", "Data as of")
    assert labels[("activities", "budget_spent")] == ("ใช้จ่ายจริง (บาท)", "Budget spent (THB)")
    assert "head = ผู้อำนวยการศูนย์" in labels[("signoffs", "role")][0]
    export(reported, tmp_path, fmt="xlsx")
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(tmp_path / "tps-dataset-2567.xlsx"))
    assert book.sheet_names[-1] == "_columns"
