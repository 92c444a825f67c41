"""Settings are validated on load; the CLI maps library errors to exit codes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from tps_batch import settings
from tps_batch.cli import main
from tps_batch.errors import CATALOG, TpsError, catalog_markdown

REPO = Path(__file__).resolve().parent.parent


def test_init_writes_a_loadable_commented_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = CliRunner().invoke(main, ["init", str(ws), "--fiscal-year", "2568"])
    assert result.exit_code == 0, result.output
    text = (ws / "tps.toml").read_text(encoding="utf-8")
    for s in settings.SETTINGS:  # every setting documented in the file
        assert f"{s.name} = " in text and s.help_en in text
    for folder in ("inbox", "archive", "rejected", "output", "workbooks"):
        assert (ws / folder).is_dir()
    loaded = settings.load(ws)
    assert loaded.fiscal_year == 2568
    assert loaded.db_url.endswith("tps.sqlite?timeout=30")  # db_lock_wait_s
    assert loaded.path("inbox") == (ws / "inbox").resolve()
    # a second init refuses to overwrite: usage error
    again = CliRunner().invoke(main, ["init", str(ws)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_init_files_are_readable_by_others(tmp_path: Path) -> None:
    """Under umask 022 every file ``tps init`` writes is 0644, like every other output
    (a temp file's 0600 must not survive the rename: the workspace sits on a share)."""
    old = os.umask(0o022)
    try:
        result = CliRunner().invoke(main, ["init", str(tmp_path / "ws")])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    files = [p for p in (tmp_path / "ws").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"tps.toml", "plan.xlsx"}
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} \
        == {p.name: oct(0o644) for p in files}


@pytest.mark.parametrize(("toml", "needle"), [
    ("fiscal_year = \"2567\"", "fiscal_year"),
    ("fiscal_year = 1999", "at least"),
    ("pdf_engine = \"word\"", "one of"),
    ("run_time = \"25:99\"", "run_time"),
    ("run_time = \"0200\"", "run_time"),
    ("timezone = \"Asia/Bangkokk\"", "timezone"),
    ("max_file_mb = -1", "at least"),
    ("colour = \"red\"", "unknown setting"),
    ("watched = \"shared\"", "watched"),
    ("office_name = ", "cannot parse"),
])
def test_bad_settings_are_named(tmp_path: Path, toml: str, needle: str) -> None:
    (tmp_path / "tps.toml").write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(TpsError) as info:
        settings.load(tmp_path)
    assert needle in info.value.message_en
    assert info.value.message_th  # Thai beside the English


def test_missing_workspace_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["template", "-w", str(tmp_path)])
    assert result.exit_code == 2
    assert "tps.toml" in result.output and "ไม่พบ" in result.output


def test_template_blank_and_per_project(demo_copy: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tps_batch.plan import read_plan
    from tps_batch.spec import SPEC

    out = tmp_path / "blank"
    result = CliRunner().invoke(main, ["template", "-w", str(demo_copy), "--blank",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.xlsx"))) == 1
    result = CliRunner().invoke(main, ["template", "-w", str(demo_copy)])
    assert result.exit_code == 0, result.output
    plan = read_plan(demo_copy / "plan.xlsx")
    active = [p for p in plan.projects if p.get("plan_status") != "cancelled"]
    files = sorted((demo_copy / "workbooks").glob("*.xlsx"))
    assert len(files) == len(active)
    # the header is prefilled from the plan
    project = active[0]
    match = [f for f in files if f.name.startswith(project["code"] + "_")]
    assert len(match) == 1
    ws = load_workbook(match[0])[SPEC.field("project_code").sheet]
    assert ws[SPEC.field("project_code").cell].value == project["code"]
    assert ws[SPEC.field("project_name").cell].value == project["name"]
    assert ws[SPEC.field("owner").cell].value == project["owner"]


def test_error_docs_are_generated_from_the_catalog() -> None:
    doc = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    assert doc == catalog_markdown(), "docs/errors.md is stale: run `tps errors --markdown`"
    for code in CATALOG:
        assert f"`{code}`" in doc
    result = CliRunner().invoke(main, ["errors", "--json"])
    assert result.exit_code == 0 and '"missing-required"' in result.output
