"""The annual report names the workbook's fields by the spec, never by a retyped label.

Every field, table, column and sign-off role of the layouts gets a new label; the annual
page and workbook then show the new labels and none of the old ones. Thai has no spaces
between words, so an old label counts as shown only where it stands alone (no Thai letter
right before or after it): "เป้าหมายสะสม" (cumulative target) is not the label "เป้าหมาย".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import factories as fx
import pytest
from python_calamine import CalamineWorkbook

from tps_batch import spec
from tps_batch.ingest import ingest
from tps_batch.reports import generate, project
from tps_batch.spec import WorkbookSpec

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_THAI = "\u0e00-\u0e7f"


def _stands_alone(label: str, text: str) -> bool:
    return re.search(rf"(?<![{_THAI}]){re.escape(label)}(?![{_THAI}])", text) is not None


def _thai_labels(layouts: dict[str, WorkbookSpec]) -> set[str]:
    out = set()
    for lay in layouts.values():
        out |= {f.label_th for f in lay.fields} | {r.label_th for r in lay.signoffs}
        out |= {t.label_th for t in lay.tables}
        out |= {c.label_th for t in lay.tables for c in t.columns}
    return out


def _new(key: str) -> tuple[str, str]:
    return f"ป้ายใหม่ {key}", f"New label {key}"


def _relabelled(lay: WorkbookSpec) -> WorkbookSpec:
    """The same layout (cells, keys, types) with every label replaced by ``_new(key)``."""
    def re_(item, key: str):
        th, en = _new(key)
        return dataclasses.replace(item, label_th=th, label_en=en)

    tables = tuple(dataclasses.replace(re_(t, t.key), columns=tuple(
        re_(c, f"{t.key}.{c.key}") for c in t.columns)) for t in lay.tables)
    return dataclasses.replace(lay, fields=tuple(re_(f, f.key) for f in lay.fields),
                               tables=tables,
                               signoffs=tuple(re_(r, f"role.{r.key}") for r in lay.signoffs))


@pytest.fixture
def relabelled(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Every registered layout relabelled; yields the old Thai labels."""
    old = _thai_labels(spec.LAYOUTS)
    new = {version: _relabelled(lay) for version, lay in spec.LAYOUTS.items()}
    for version, lay in new.items():
        monkeypatch.setitem(spec.LAYOUTS, version, lay)
    monkeypatch.setattr(spec, "SPEC", new[spec.TEMPLATE_VERSION])
    monkeypatch.setattr(spec, "SIGNOFF_ROLES", spec.signoff_roles())
    project.labels.cache_clear()
    yield old
    project.labels.cache_clear()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    """One project whose report fills every field and table (ingested with today's spec)."""
    ws = fx.make_workspace(tmp_path_factory.mktemp("ws"))
    fx.submission(ws.path("inbox") / "p01.xlsx",
                  values={"strategy": "กลยุทธ์ที่ 1", "rationale": "เพื่อให้มีแผนใช้ทั้งปี"},
                  received=dt.datetime(2024, 1, 12, 9))
    assert ingest(ws).accepted == 1
    return ws


def test_relabelling_changes_labels_only() -> None:
    lay = _relabelled(spec.SPEC)
    assert [(f.key, f.cell) for f in lay.fields] == [(f.key, f.cell) for f in spec.SPEC.fields]
    assert lay.table("budget").column("allocated").label_th == "ป้ายใหม่ budget.allocated"
    assert not _thai_labels({"x": lay}) & _thai_labels(spec.LAYOUTS)


@pytest.mark.parametrize("name", ["annual.html", "_project_form.html", "project.html"])
def test_templates_retype_no_spec_label(name: str) -> None:
    page = re.sub(r"\{#.*?#\}", "", (TEMPLATES / name).read_text("utf-8"), flags=re.S)
    assert [x for x in sorted(_thai_labels(spec.LAYOUTS)) if _stands_alone(x, page)] == []


def test_annual_report_takes_labels_from_the_spec(ws, relabelled: set[str]) -> None:
    generate(ws, as_of=dt.date(2024, 1, 20), formats=("html", "xlsx"), only=("annual",))
    html = (ws.output_dir / "annual.html").read_text("utf-8")
    content = html.split("</header>", 1)[1]  # the shared page head is report_base.html's

    # the seed form's columns (item 5: activity, date carried out, place, target group,
    # remarks; item 6: budget by source, expense lines; item 7: results)
    shown = [f"{t}.{c}" for t, cols in {
        "targets": ("kind", "description", "target_value", "achieved_value"),
        "activities": ("name", "planned_start", "actual_date", "place", "target_planned",
                       "target_reached", "remarks", "budget_planned", "budget_spent",
                       "result"),
        "budget": ("source", "allocated", "disbursed")}.items() for c in cols]
    # attachments are the per-project report's annex, not a chapter of the annual report
    # the form shows an optional field only when filled: these workbooks leave 1.2's
    # unspent-money fields empty
    filled = [f.key for f in spec.stored_fields() if not f.key.startswith("unspent_")]
    keys = (filled
            + [t.key for t in spec.SPEC.tables if t.key != "attachments"] + shown)
    assert [k for k in keys if _new(k)[0] not in content] == []
    assert [k for k in keys[:-len(shown)] if _new(k)[1] not in content] == []
    # the project's section follows the spec's order, as the per-project page does
    section = content.split('<section class="project', 1)[1].split("</section>", 1)[0]
    heads = re.findall(r"<h4>\d+\. ป้ายใหม่ ([\w.]+) <span", section)
    assert heads == ["objectives", "targets", "activities", "budget", "activities.result",
                     "problems", "suggestions", "indicators"]  # the seed's order, then new
    items = re.findall(r"<b>(?:\d\. )?ป้ายใหม่ (\w+)</b>", section)
    rows = re.findall(r"<tr><th[^>]*>ป้ายใหม่ (\w+) <span", section)
    assert items + rows == ["project_name", "owner", "group"] + [
        k for k in filled if k not in ("project_name", "owner", "group")]
    assert f"<p>{_new('problems')[0]}</p>" in content  # the problems chapter
    assert f"{_new('as_of')[0]} " in content.split('<section class="cover">')[1]  # the cover
    # charts name the report's own figures ("เป้าหมาย (target)" is the disbursement target)
    text = re.sub(r"<figure.*?</figure>", "", content, flags=re.S)
    assert [x for x in sorted(relabelled) if _stands_alone(x, text)] == []

    book = CalamineWorkbook.from_path(str(ws.output_dir / "annual.xlsx"))
    cells = {str(v).strip() for name in book.sheet_names
             for row in book.get_sheet_by_name(name).to_python() for v in row if v != ""}
    assert _new("status")[0] in book.sheet_names
    wanted = ["project_code", "project_name", "group", "owner", "status", "report_kind",
              "as_of", "problems", "suggestions", "budget.source", "budget.allocated",
              "budget.disbursed"]
    assert [k for k in wanted if _new(k)[0] not in cells] == []
    # "ประเภท" heads the problems sheet's kind (problem or suggestion), the report's own
    # column that only shares its word with the attachments' kind
    assert sorted((cells | set(book.sheet_names)) & relabelled) == ["ประเภท"]
