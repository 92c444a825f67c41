"""Reports come from one registry: ``--help``, ``--only`` and the dashboard's links list
every registered report, a report registered here shows up in all three with no other
change, and each aggregation is computed at most once a run, only when needed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import factories as fx
import pytest
from click.testing import CliRunner

import tps_batch.reports as reports_pkg
import tps_batch.reports.overdue as overdue_mod
from tps_batch.cli import main
from tps_batch.excel_report import XColumn, XSheet
from tps_batch.ingest import ingest
from tps_batch.reports import generate, overdue_items
from tps_batch.reports.data import load
from tps_batch.reports.overdue import overdue_rows
from tps_batch.reports.registry import Report, RunContext, registered, reports
from tps_batch.settings import Settings
from tps_batch.settings import load as load_settings

AS_OF = "2024-01-20"
FORMATS = "xlsx,html"  # PDF engines are exercised in test_reports and test_pdf
WAITING = {"six-month"}  # reports that write nothing as of AS_OF (before 1 April)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with one accepted submission, ingested once for the module."""
    ws = fx.make_workspace(tmp_path_factory.mktemp("reg") / "ws")
    fx.submission(ws.path("inbox") / "p01.xlsx", received=dt.datetime(2024, 1, 12, 9))
    ingest(ws)
    return ws.workspace


def _copy(small: Path, tmp_path: Path) -> Settings:
    shutil.copytree(small, tmp_path / "ws")
    return load_settings(tmp_path / "ws")


def _outputs(ws: Settings) -> set[str]:
    """What reports wrote in the output folder (ingest's receipts are not a report)."""
    return {p.name + ("/" if p.is_dir() else "") for p in ws.output_dir.iterdir()
            if p.name != "receipts" and not p.name.startswith(".")}


def _report(ws: Settings, *args: str) -> str:
    result = CliRunner().invoke(main, ["report", "-w", str(ws.workspace), "--as-of", AS_OF,
                                       "--format", FORMATS, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _help() -> str:
    result = CliRunner().invoke(main, ["report", "--help"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # click wraps lines


def test_help_names_every_registered_report() -> None:
    text = _help()
    names = [r.name for r in reports()]
    assert {"indicators", "overdue", "completeness", "projects", "annual",
            "dashboard"} <= set(names)
    for name in names:
        assert name in text, name


@pytest.mark.parametrize("name", [r.name for r in reports()])
def test_only_writes_that_report_alone(small: Path, tmp_path: Path, name: str) -> None:
    ws = _copy(small, tmp_path)
    report = next(r for r in reports() if r.name == name)
    _report(ws, "--only", name)
    written = _outputs(ws)
    # on 20 January the six-month report has nothing to report yet (see test_six_month)
    assert bool(written) == (name not in WAITING), name
    assert written == set(report.files(ws.output_dir)), name


def test_dashboard_links_every_report_with_files(small: Path, tmp_path: Path) -> None:
    ws = _copy(small, tmp_path)
    _report(ws)
    index = (ws.output_dir / "index.html").read_text("utf-8")
    linked = 0
    for report in reports():
        if report.dashboard:
            continue
        files = report.files(ws.output_dir)
        if report.name in WAITING:
            assert not files and report.title not in index, report.name
            continue
        assert files, report.name  # every other built-in report wrote something
        assert report.title in index, report.name
        for f in files:  # a folder is linked by its index page
            href = f"{f}index.html" if f.endswith("/") else f
            assert f'href="{href}"' in index, f
        linked += 1
    assert linked == len(reports()) - 1 - len(WAITING)


def _tiny(templates: Path) -> Report:
    """A report declared only here: its rows, its own template, its own sheet."""
    templates.mkdir()
    (templates / "tiny.html").write_text(
        '{% extends "report_base.html" %}{% block content %}'
        '<p class="tiny">โครงการ {{ rows | length }} โครงการ (projects)</p>'
        "{% for r in rows %}<p>{{ r.code }} {{ r.name }}</p>{% endfor %}{% endblock %}",
        encoding="utf-8")
    return Report(
        "tiny", "รายงานทดลอง", "Tiny test report",
        rows=lambda ctx: ctx.data.projects[["code", "name"]].to_dict("records"),
        template=templates / "tiny.html",
        sheets=lambda ctx: [XSheet("โครงการ", "รายชื่อโครงการ",
                                   [XColumn("code", "รหัส", "Code"),
                                    XColumn("name", "โครงการ", "Project")],
                                   ctx.rows("tiny"))])


def test_a_registered_report_appears_everywhere(small: Path, tmp_path: Path) -> None:
    ws = _copy(small, tmp_path)
    tiny = _tiny(tmp_path / "templates")
    assert "tiny" not in _help()
    with registered(tiny):
        assert "tiny" in _help()
        _report(ws, "--only", "tiny")
        assert _outputs(ws) == {"tiny.html", "tiny.xlsx"}
        page = (ws.output_dir / "tiny.html").read_text("utf-8")
        assert '<p class="tiny">โครงการ 3 โครงการ' in page and "P01" in page
        assert "รายงานทดลอง (Tiny test report)" in page
        _report(ws, "--only", "tiny,dashboard")
        index = (ws.output_dir / "index.html").read_text("utf-8")
        assert tiny.title in index
        assert 'href="tiny.html"' in index and 'href="tiny.xlsx"' in index
        # and with every report: the dashboard, written last, still links it
        result = generate(ws, as_of=dt.date(2024, 1, 20), formats=("html",))
        assert ws.output_dir / "tiny.html" in result.written
        assert result.written[-1] == result.dashboard
    gone = CliRunner().invoke(main, ["report", "-w", str(ws.workspace), "--only", "tiny"])
    assert gone.exit_code == 2 and "unknown report" in gone.output


def test_registering_a_taken_name_fails() -> None:
    with pytest.raises(ValueError, match="already registered"):
        with registered(Report("overdue", "ซ้ำ", "Duplicate")):
            pass
    assert sum(r.name == "overdue" for r in reports()) == 1


def test_each_aggregation_once_and_only_when_needed(small: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _copy(small, tmp_path)
    day = dt.date(2024, 1, 20)
    calls: list[str] = []
    real = reports_pkg.indicator_rows

    def counted(data: Any) -> list[dict[str, Any]]:
        calls.append("indicators")
        return real(data)

    monkeypatch.setattr(reports_pkg, "indicator_rows", counted)
    monkeypatch.setattr(overdue_mod, "indicator_rows", counted)
    result = generate(ws, as_of=day, formats=("xlsx", "html"))
    assert calls == ["indicators"]
    assert len(result.computed) == len(set(result.computed))
    assert {"indicators", "overdue", "completeness", "headline", "groups", "statuses",
            "quarters", "figures"} <= set(result.computed)
    assert generate(ws, as_of=day, formats=("html",), only=("completeness",)).computed \
        == ["completeness"]
    assert generate(ws, as_of=day, formats=("html",), only=("overdue",)).computed \
        == ["indicators", "overdue"]
    assert generate(ws, as_of=day, formats=("html",), only=("projects",)).computed == []


def test_run_context_computes_once(small: Path) -> None:
    ws = load_settings(small)
    ctx = RunContext(ws, load(ws, dt.date(2024, 1, 20)), ws.output_dir)
    made: list[int] = []
    assert ctx.once("x", lambda: made.append(1) or 7) == 7
    assert ctx.once("x", lambda: made.append(1) or 8) == 7
    assert made == [1] and ctx.computed == ["x"]


def test_overdue_items_is_the_overdue_list(small: Path) -> None:
    ws = load_settings(small)
    day = dt.date(2024, 5, 15)
    items = overdue_items(ws, day)
    expected = overdue_rows(load(ws, day)).to_dict("records")
    assert items and json.dumps(items, default=str) == json.dumps(expected, default=str)
