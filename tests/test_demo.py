"""The demo workspace: deterministic, clean where it should be, and every planted item there.

Later stages (validate, store, overdue lists) test against the manifest, so a planted item
that is not really in its named cell — or a "clean" file with a stray error — would make
their tests lie. Reading here goes through the real readers (read_plan, read_submission).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tps_batch import errors, settings, thai
from tps_batch.demo import BANGKOK, FOLDERS, MANIFEST_FILE, DemoManifest, create_demo
from tps_batch.plan import Plan, project_indicator_links, read_plan
from tps_batch.read import Submission, read_submission
from tps_batch.spec import SPEC
from tps_batch.validate import validate

READ_CODES = {code for code, kind in errors.CATALOG.items() if kind.stage == "read"}
KINDS = {"late-activity", "missing-report", "thai-digit-date", "be-gregorian-date", "text-date",
         "group-alias", "invalid-choice", "invalid-number", "resubmission",
         "spent-over-allocated", "cancelled-project", "rescheduled"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return create_demo(tmp_path_factory.mktemp("demo") / "ws")


@pytest.fixture(scope="module")
def plan(demo: DemoManifest) -> Plan:
    return read_plan(demo.directory / "plan.xlsx")


@pytest.fixture(scope="module")
def subs(demo: DemoManifest) -> dict[str, Submission]:
    return {name: read_submission(demo.directory / "inbox" / name) for name in demo.files}


def _content(directory: Path) -> tuple[Any, Any]:
    """What a reader sees in a workspace: plan rows and each workbook's typed content."""
    subs = {p.name: read_submission(p) for p in sorted((directory / "inbox").glob("*.xlsx"))}
    return (read_plan(directory / "plan.xlsx").rows,
            {n: (s.values, s.tables, [f.to_dict() for f in s.findings]) for n, s in subs.items()})


def _typed(sub: Submission, sheet: str, cell: str) -> Any:
    """The typed value read_submission produced for one sheet+cell."""
    letters, row = re.fullmatch(r"([A-Z]+)(\d+)", cell).groups()  # type: ignore[union-attr]
    for f in SPEC.fields:
        if f.sheet == sheet and f.cell == cell:
            return sub.values[f.key]
    for t in SPEC.tables_on(sheet):
        for c in t.columns:
            if t.letter(c.key) == letters and t.first_row <= int(row) <= t.last_row:
                return sub.tables[t.key][int(row) - t.first_row][c.key]
    raise KeyError(f"{sheet}!{cell}")


def _latest(demo: DemoManifest, subs: dict[str, Submission]) -> dict[str, Submission]:
    """One submission per project: a resubmission replaces the file it supersedes, and the
    current report the project's earlier (history) reports."""
    old = {p["supersedes"] for p in demo.planted if p["kind"] == "resubmission"}
    old |= {h["file"] for h in demo.history}
    return {name: s for name, s in subs.items() if name not in old}


def _received(path: Path) -> dt.date:
    """The day a workbook was received (its mtime), on the office's clock."""
    return dt.datetime.fromtimestamp(path.stat().st_mtime, BANGKOK).date()


def test_workspace_layout(demo: DemoManifest) -> None:
    d = demo.directory
    assert all((d / f).is_dir() for f in FOLDERS)
    loaded = settings.load(d)
    assert loaded.fiscal_year == 2567 and "ตัวอย่าง เขต 1" in loaded.office_name
    assert sorted(p.name for p in (d / "inbox").iterdir()) == sorted(
        [*demo.files, *demo.indicator_files])
    text = (d / MANIFEST_FILE).read_text(encoding="utf-8")
    assert str(d) not in text and str(d.parent) not in text  # no machine paths in the file
    assert json.loads(text) == demo.to_dict() | {"directory": "."}
    assert demo.as_of == dt.date(2024, 5, 15)


def test_plan_reads_clean(demo: DemoManifest, plan: Plan) -> None:
    assert plan.findings == []
    assert len(plan.groups) == 10
    assert plan.frameworks() == ["ITA", "ESA-STD", "PA", "OBEC"]
    assert 38 <= len(plan.projects) <= 42
    assert [p["code"] for p in plan.projects] == [p["code"] for p in demo.projects]
    assert [p["plan_status"] for p in plan.projects].count("cancelled") == 1
    fy_start, fy_end = thai.fiscal_year_bounds(2567)
    catalog = {(i["framework"], i["code"]): i for i in plan.indicators(2567)}
    assert {fw for fw, _ in catalog} == set(plan.frameworks())
    deadlines = [i["deadline"] for i in catalog.values()]
    assert all(fy_start <= d <= fy_end for d in deadlines)
    assert any(d < demo.as_of for d in deadlines) and any(d > demo.as_of for d in deadlines)
    assert any(dt.timedelta(0) < d - demo.as_of <= dt.timedelta(14) for d in deadlines)
    assert all(plan.canonical_group(i["owner_group"]) for i in catalog.values())
    budgets = []
    for p in plan.projects:
        assert fy_start <= p["planned_start"] <= p["planned_end"] <= fy_end
        links = project_indicator_links(p)
        assert 1 <= len(links) <= 3 and all(link in catalog for link in links)
        budgets.append(sum(p[f"budget_{k}"] or 0 for k in ("obec", "esa", "other")))
    assert min(budgets) == 0 and max(budgets) > 1_000_000
    assert any(20_000 <= b <= 200_000 for b in budgets)
    calendar = plan.calendar(2567)
    assert [c["kind"] for c in calendar] == ["progress"] * 3 + ["final"]
    assert all(dt.timedelta(10) <= c["due"] - c["period_end"] <= dt.timedelta(15)
               for c in calendar)
    assert calendar[-1]["period_end"] == fy_end and calendar[-1]["due"].month == 10
    targets: dict[str, list[float]] = {}
    for t in sorted(plan.disbursement_targets(2567), key=lambda t: t["quarter"]):
        targets.setdefault(t["scope"], []).append(t["target_percent"])
    assert targets["overall"] == [30, 54, 77, 94]
    assert targets["recurrent"][-1] == 98 and targets["investment"][-1] == 80
    assert all(v == sorted(v) and len(v) == 4 for v in targets.values())


def test_deterministic(demo: DemoManifest, tmp_path: Path) -> None:
    again = create_demo(tmp_path / "same")
    assert _content(again.directory) == _content(demo.directory)
    assert again.to_dict() | {"directory": ""} == demo.to_dict() | {"directory": ""}
    times = [{p.name: p.stat().st_mtime_ns for p in (m.directory / "inbox").iterdir()}
             for m in (demo, again)]
    assert times[0] == times[1] and again.history == demo.history
    other = create_demo(tmp_path / "other", seed=7)
    assert read_plan(other.directory / "plan.xlsx").rows["projects"] != read_plan(
        demo.directory / "plan.xlsx").rows["projects"]
    assert other.planted != demo.planted and other.history != demo.history


def test_planted_kinds(demo: DemoManifest, plan: Plan) -> None:
    kinds = Counter(p["kind"] for p in demo.planted)
    assert set(kinds) == KINDS
    late = [p for p in demo.planted if p["kind"] == "late-activity"]
    assert len(late) >= 3 and len({p["group"] for p in late}) >= 2
    assert kinds["missing-report"] >= 2 and kinds["group-alias"] >= 2
    texts = [p["value"] for p in demo.planted if p["kind"] == "text-date"]
    assert any(re.fullmatch(r"\d{1,2} \S+ \d\d", t) for t in texts)
    assert any(re.fullmatch(r"\d\d/\d\d/25\d\d", t) for t in texts)
    assert all(p["expected_code"] in errors.CATALOG for p in demo.planted if p["expected_code"])
    for p in demo.planted:
        row = plan.project(p["project_code"])
        assert row is not None and (row["group"], row["owner"]) == (p["group"], p["owner"])
        if p["kind"] in ("missing-report", "cancelled-project"):
            assert p["project_code"] not in demo.files.values()
    codes = [p["code"] for p in demo.projects if p["plan_status"] == "approved"]
    missing = {p["project_code"] for p in demo.planted if p["kind"] == "missing-report"}
    assert set(codes) - set(demo.files.values()) == missing


def test_planted_cells(demo: DemoManifest, plan: Plan, subs: dict[str, Submission]) -> None:
    for item in demo.planted:
        if item["file"] is None:
            continue
        where = f"{item['kind']} {item['file']} {item['sheet']}!{item['cell']}"
        folder = demo.directory if item["file"] == "plan.xlsx" else demo.directory / "inbox"
        wb = openpyxl.load_workbook(folder / item["file"])
        raw = wb[item["sheet"]][item["cell"]].value
        raw = raw.date() if isinstance(raw, dt.datetime) else raw
        assert raw == item["value"], where
        if item["file"] == "plan.xlsx":
            assert plan.project(item["project_code"])["plan_status"] == item["expected_value"]
            continue
        sub = subs[item["file"]]
        here = [f for f in sub.findings if (f.sheet, f.cell) == (item["sheet"], item["cell"])]
        if item["expected_code"] in READ_CODES:
            assert [f.code for f in here] == [item["expected_code"]], where
            continue
        assert here == [], where
        typed = _typed(sub, item["sheet"], item["cell"])
        if item["kind"] == "group-alias":
            assert typed != item["expected_value"]
            assert plan.canonical_group(typed) == item["expected_value"], where
        else:
            assert typed == item["expected_value"], where


def test_clean_files_read_without_findings(demo: DemoManifest,
                                         subs: dict[str, Submission]) -> None:
    expected: dict[str, set[tuple]] = {name: set() for name in demo.files}
    for p in demo.planted:
        if p["expected_code"] in READ_CODES:
            expected[p["file"]].add((p["expected_code"], p["sheet"], p["cell"]))
    for name, sub in subs.items():
        assert sub.readable and sub.template_version == SPEC.version, name
        assert {(f.code, f.sheet, f.cell) for f in sub.findings} == expected[name], name


def test_content_is_consistent(demo: DemoManifest, plan: Plan,
                               subs: dict[str, Submission]) -> None:
    """What the validate stage will check holds, except where an item is planted."""
    fy_start, fy_end = thai.fiscal_year_bounds(2567)
    planted = {(p["file"], p["sheet"], p["cell"]) for p in demo.planted}
    late_found = set()
    for name, sub in _latest(demo, subs).items():
        v, t = sub.values, sub.tables
        row = plan.project(v["project_code"])
        assert row is not None and row["plan_status"] == "approved"
        assert (v["project_name"], v["owner"], v["fiscal_year"]) == (row["name"], row["owner"],
                                                                     2567)
        assert plan.canonical_group(v["group"]) == row["group"]
        assert {(i["framework"], i["code"]) for i in t["indicators"]} == set(
            project_indicator_links(row))
        assert v["as_of"] == demo.as_of and fy_start <= v["planned_start"] <= v["planned_end"]
        assert (v["planned_start"], v["planned_end"]) == (row["planned_start"],
                                                          row["planned_end"])
        for a in t["activities"]:
            assert v["planned_start"] <= a["planned_start"] <= a["planned_end"] <= fy_end, name
            assert a["actual_date"] is None or a["actual_date"] <= demo.as_of
            if a["budget_spent"] is not None:
                assert a["budget_spent"] <= a["budget_planned"], name
            if a["planned_end"] < demo.as_of and a["status"] not in ("done", None):
                cell = f"{SPEC.table('activities').letter('status')}{a['_row']}"
                late_found.add((name, SPEC.table("activities").sheet, cell))
        total = sum(a["budget_planned"] for a in t["activities"])
        assert total == sum(b["allocated"] for b in t["budget"]), name
        assert total == sum(row[f"budget_{k}"] or 0 for k in ("obec", "esa", "other"))
        for b in t["budget"]:
            cell = f"{SPEC.table('budget').letter('disbursed')}{b['_row']}"
            over = (name, SPEC.table("budget").sheet, cell) in planted
            assert (b["disbursed"] > b["allocated"]) == over, name
        statuses = [a["status"] for a in t["activities"]]
        assert (v["status"] == "completed") == (v["report_kind"] == "final"), name
        if v["status"] == "completed":
            assert set(statuses) <= {"done", None} and all(a["result"] for a in t["activities"])
        for target in t["targets"]:
            assert (target["achieved_value"] or 0) <= 3 * target["target_value"]
    late = {(p["file"], p["sheet"], p["cell"]) for p in demo.planted
            if p["kind"] == "late-activity"}
    assert late_found == late


def test_resubmission_supersedes(demo: DemoManifest, subs: dict[str, Submission]) -> None:
    (item,) = [p for p in demo.planted if p["kind"] == "resubmission"]
    first, second = subs[item["supersedes"]], subs[item["file"]]
    assert first.values["project_code"] == second.values["project_code"] == item["project_code"]
    assert first.values["as_of"] < second.values["as_of"] == item["expected_value"]
    assert first.tables["activities"] != second.tables["activities"]
    sent = [(demo.directory / "inbox" / n).stat().st_mtime for n in (item["supersedes"],
                                                                     item["file"])]
    assert sent[0] < sent[1] and item["supersedes"] < item["file"]


def test_history_reports(demo: DemoManifest, plan: Plan, subs: dict[str, Submission]) -> None:
    """Each project's earlier report for each past quarter it ran in: clean, most on time."""
    (resub,) = [p for p in demo.planted if p["kind"] == "resubmission"]
    without = {p["project_code"] for p in demo.planted
               if p["kind"] in ("missing-report", "cancelled-project")}
    superseded = subs[resub["supersedes"]].values["as_of"]  # stands for its quarter's report
    expected = set()
    for q, period in enumerate([c for c in plan.calendar(2567) if c["kind"] == "progress"], 1):
        first = thai.quarter_bounds(2567, q)[0]
        for p in plan.projects:
            if period["due"] < demo.as_of and p["code"] not in without \
                    and p["planned_start"] <= period["period_end"] and p["planned_end"] >= first \
                    and not (p["code"] == resub["project_code"]
                             and thai.fiscal_quarter_of(superseded) == q):
                expected.add((p["code"], period["period"], period["period_end"], period["due"]))
    assert {(h["project_code"], h["period"], h["as_of"], h["due"]) for h in demo.history} \
        == expected
    assert {h["period"] for h in demo.history} == {"ไตรมาส 1", "ไตรมาส 2"}
    assert len(expected) >= 40 and len({h["file"] for h in demo.history}) == len(demo.history)
    current = {v: k for k, v in demo.files.items() if k in _latest(demo, subs)}
    for h in demo.history:
        name, path = h["file"], demo.directory / "inbox" / h["file"]
        assert demo.files[name] == h["project_code"] and name.endswith(f"_Q{h['period'][-1]}.xlsx")
        assert name not in (resub["file"], resub["supersedes"])
        sub = subs[name]
        assert sub.findings == [], name
        assert validate(sub, plan, fiscal_year=2567, received=h["received"]) == [], name
        assert (sub.values["project_code"], sub.values["as_of"]) == (h["project_code"],
                                                                    h["as_of"])
        assert _received(path) == h["received"] and h["on_time"] == (h["received"] <= h["due"])
        assert h["as_of"] < h["received"] <= h["due"] + dt.timedelta(6)
        later = demo.directory / "inbox" / current[h["project_code"]]
        assert path.stat().st_mtime < later.stat().st_mtime and h["received"] < demo.as_of
        row = plan.project(h["project_code"])
        assert (sub.values["planned_start"], sub.values["planned_end"]) == (
            row["planned_start"], row["planned_end"])
        assert all(a["actual_date"] is None or a["actual_date"] <= h["as_of"]
                   for a in sub.tables["activities"])
    for period in {h["period"] for h in demo.history}:
        late = [h for h in demo.history if h["period"] == period and not h["on_time"]]
        assert late, period  # a few late in each quarter, most on time
    share = sum(h["on_time"] for h in demo.history) / len(demo.history)
    assert 0.7 <= share <= 0.95


def test_refuses_used_folder_and_bad_as_of(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x.txt").write_text("x")
    with pytest.raises(FileExistsError):
        create_demo(tmp_path / "used")
    with pytest.raises(ValueError):
        create_demo(tmp_path / "early", as_of=dt.date(2023, 10, 15))


def test_the_demo_has_a_made_up_emblem_for_its_covers(demo: DemoManifest) -> None:
    from PIL import Image

    from tps_batch.reports.document import emblem

    with Image.open(demo.directory / "emblem.png") as img:
        assert img.format == "PNG" and img.mode == "RGBA" and img.size == (480, 480)
        assert img.getpixel((0, 0))[3] == 0  # transparent around the ring
    assert (emblem(demo.directory) or "").startswith("data:image/png;base64,")
