"""Adding a field is one file: a new template version declared in spec.py, nothing else.

The test copies the package, declares layout 1.3 in the copy's spec.py (one more header
field, inserted at C9 so every field below moves down a row) and runs the copy against a
workspace whose dataset the real package made: the dataset gains the column by itself,
1.1 and 1.2 workbooks still read with their own cells, and the new field is stored.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import factories as fx
from click.testing import CliRunner

from tps_batch import dataset
from tps_batch.cli import main
from tps_batch.spec import SPEC_1_1

REPO = Path(__file__).resolve().parent.parent
DECLARATION = '''    "1.3": SPEC_1_2.evolve(
        "1.3", add_fields=(_f("C9", "budget_code", "รหัสงบประมาณ", "Budget code", "text"),),
        move={f.key: f"C{f.row + 1}" for f in SPEC_1_2.fields if f.row >= 9}),
'''

WRITE_1_2 = """
import datetime as dt
import sys
from pathlib import Path

import factories as fx
from tps_batch import spec

assert spec.SPEC.version == "1.3", spec.SPEC.version
fx.submission(Path(sys.argv[1]),
              values={"budget_code": "งป.2567/015", "as_of": dt.date(2024, 2, 20)})
print(spec.__file__)
"""


def _copy_with_new_layout(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "tps_batch", dest / "tps_batch", ignore=ignore)
    shutil.copytree(REPO / "templates", dest / "templates", ignore=ignore)
    spec_py = dest / "tps_batch" / "spec.py"
    text = spec_py.read_text(encoding="utf-8")
    anchor = '    "1.1": SPEC_1_1,\n'
    assert text.count(anchor) == 1
    spec_py.write_text(text.replace(anchor, anchor + DECLARATION), encoding="utf-8")
    return dest


def _changed_files(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out: list[str] = []

    def walk(c: filecmp.dircmp, prefix: str) -> None:
        out.extend(prefix + n for n in c.left_only + c.right_only + c.diff_files)
        for name, sub in c.subdirs.items():
            walk(sub, f"{prefix}{name}/")
    walk(cmp, "")
    return sorted(out)


def test_a_new_template_version_is_declared_in_spec_py_alone(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    root = ws.workspace
    fx.submission(root / "inbox" / "p01-v12.xlsx")  # today's release writes 1.2
    got = CliRunner().invoke(main, ["ingest", "-w", str(root), "--json"])
    assert got.exit_code == 0 and json.loads(got.output)["accepted"] == 1, got.output

    pkg = _copy_with_new_layout(tmp_path / "pkg")
    assert _changed_files(REPO / "tps_batch", pkg / "tps_batch") == ["spec.py"]
    assert _changed_files(REPO / "templates", pkg / "templates") == []

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pkg), str(REPO / "tests")])}
    run = [sys.executable, "-c"]
    made = subprocess.run([*run, WRITE_1_2, str(root / "inbox" / "p01-v13.xlsx")], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith(str(pkg))  # the copy ran, not the repository
    # and a 1.1 workbook arrives with it (written with that layout)
    fx.submission(root / "inbox" / "p02-v11.xlsx", spec=SPEC_1_1, values={
        "project_code": "P02", "project_name": "นิเทศ ติดตามการจัดการเรียนรู้",
        "group": fx.GROUP_B, "owner": "นายสมชาย รักเรียน", "as_of": dt.date(2024, 1, 12),
        "status": "รอการเบิกจ่าย"})

    tps = [sys.executable, "-m", "tps_batch.cli"]
    got = subprocess.run([*tps, "ingest", "-w", str(root), "--json"], env=env,
                         capture_output=True, text=True, cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    result = json.loads(got.stdout)
    assert (result["accepted"] + result["warnings"], result["rejected"]) == (2, 0), (
        result, fx.query(ws, "select cell, message_en from findings"))

    rows = fx.query(ws, "select s.file_name, s.template_version, p.project_code, p.owner, "
                        "p.status, p.as_of, p.budget_code from projects p join submissions s "
                        "on s.id = p.submission_id order by s.file_name")
    assert [(r[0], r[1], r[2], r[3], r[4], str(r[5]), r[6]) for r in rows] == [
        ("p01-v12.xlsx", "1.2", "P01", "นางสาวสมศรี ใจดี", "in_progress", "2024-01-10", None),
        ("p01-v13.xlsx", "1.3", "P01", "นางสาวสมศรี ใจดี", "in_progress", "2024-02-20",
         "งป.2567/015"),
        ("p02-v11.xlsx", "1.1", "P02", "นายสมชาย รักเรียน", "awaiting_disbursement", "2024-01-12",
         None),
    ]
    old = fx.query(ws, "select code from findings f join submissions s on s.id = "
                       "f.submission_id where s.file_name = 'p02-v11.xlsx'")
    assert old == [("template-version-old",)]
    assert (root / f"tps.sqlite.bak-{dataset.HEAD}").is_file()  # copied before the column was added

    status = subprocess.run([*tps, "db", "status", "-w", str(root), "--json"], env=env,
                            capture_output=True, text=True, cwd=tmp_path)
    assert json.loads(status.stdout)["current"] is True, status.stdout
    spec_json = json.loads(subprocess.run([*tps, "spec", "--json"], env=env, cwd=tmp_path,
                                          capture_output=True, text=True).stdout)
    cells = {f["key"]: f["cell"] for f in spec_json["fields"]}
    assert (spec_json["template"]["version"], cells["budget_code"], cells["report_kind"],
            cells["deputy_date"]) == ("1.3", "C9", "C10", "C27")

