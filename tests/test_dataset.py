"""The dataset evolves without breaking an office: migrations, backups, clear failures.

The c067db1 fixtures were written by that release (see tests/fixtures/c067db1/README.md);
the counts expected here are what that release's own `tps status` printed for them.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import factories as fx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tps_batch import dataset, store
from tps_batch.cli import main
from tps_batch.settings import load

FIXTURES = Path(__file__).parent / "fixtures" / "c067db1"


def _unpack(name: str, dest: Path) -> Path:
    dest.mkdir()
    with tarfile.open(FIXTURES / name) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _tables(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    finally:
        con.close()


def _invoke(*args: str) -> tuple[int, str]:
    got = CliRunner().invoke(main, list(args))
    assert got.exception is None or isinstance(got.exception, SystemExit), got.output
    return got.exit_code, got.output


def test_head_is_the_script_directorys_head() -> None:
    assert dataset.script_head() == dataset.HEAD


def test_c067db1_demo_workspace_is_migrated_in_place_and_reports(tmp_path: Path) -> None:
    ws = _unpack("demo-workspace.tar.xz", tmp_path / "ws")
    assert "alembic_version" not in _tables(ws / "tps.sqlite")

    code, out = _invoke("db", "status", "-w", str(ws))
    assert code == 1 and "c067db1" in out and "plan_versions" in out

    code, out = _invoke("status", "-w", str(ws), "--json")
    assert code == 0, out
    import json

    counts = json.loads(out)["dataset"]
    # c067db1's own `tps status`: submissions 97, accepted 94, rejected 3, current 37
    assert counts == {"submissions": 97, "accepted": 94, "rejected": 3,
                      "current_projects": 37}
    assert (ws / "tps.sqlite.bak-c067db1").is_file()
    old = _tables(ws / "tps.sqlite.bak-c067db1")
    assert "alembic_version" not in old and "submissions" in old
    con = sqlite3.connect(ws / "tps.sqlite.bak-c067db1")
    assert con.execute("select count(*) from submissions").fetchone() == (97,)
    con.close()
    assert fx.query(load(ws), "select version_num from alembic_version") == [(dataset.HEAD,)]

    code, out = _invoke("report", "-w", str(ws), "--as-of", "2024-05-15",
                        "--format", "html,xlsx")
    assert code == 0, out
    out_dir = ws / "output" / "2567"
    for name in ("indicators", "overdue", "completeness", "annual"):
        assert (out_dir / f"{name}.html").stat().st_size > 1000
        assert (out_dir / f"{name}.xlsx").stat().st_size > 1000
    assert (out_dir / "index.html").is_file()
    # a page for each of the plan's 40 projects (37 reported), and the list of them
    assert len(list((out_dir / "projects").glob("P2567-*.html"))) == 40
    assert (out_dir / "projects" / "index.html").is_file()

    code, out = _invoke("db", "status", "-w", str(ws))
    assert code == 0 and dataset.HEAD in out
    # a second opening changes nothing and makes no second backup
    _invoke("status", "-w", str(ws))
    assert sorted(p.name for p in ws.glob("tps.sqlite.bak-*")) == ["tps.sqlite.bak-c067db1"]


def test_c067db1_empty_workspace_is_migrated(tmp_path: Path) -> None:
    ws = _unpack("empty-workspace.tar.xz", tmp_path / "ws")
    code, out = _invoke("db", "upgrade", "-w", str(ws))
    assert code == 0 and f"c067db1 → {dataset.HEAD}" in out, out
    assert {"plan_versions", "runs", "dataset_info", "alembic_version"} <= _tables(
        ws / "tps.sqlite")
    code, out = _invoke("ingest", "-w", str(ws), "--json")
    assert code == 0, out
    code, out = _invoke("report", "-w", str(ws), "--format", "html,xlsx")
    assert code == 0, out
    assert (ws / "output").is_dir()


def test_a_dataset_from_a_newer_tps_is_refused_untouched(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    assert _invoke("ingest", "-w", str(ws.workspace))[0] == 0
    con = sqlite3.connect(ws.workspace / "tps.sqlite")
    con.execute("update alembic_version set version_num = '0099'")
    con.commit()
    con.close()
    before = (ws.workspace / "tps.sqlite").read_bytes()
    code, out = _invoke("ingest", "-w", str(ws.workspace))
    assert code == 2
    assert "newer TPS" in out and "0099" in out and "Traceback" not in out
    assert (ws.workspace / "tps.sqlite").read_bytes() == before
    assert not list(ws.workspace.glob("tps.sqlite.bak-*"))


@pytest.mark.backends
def test_fresh_dataset_is_at_head_with_nothing_missing(dataset_url: str,
                                                       tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", database_url=dataset_url)
    engine = store.connect(ws.db_url)
    try:
        state = dataset.inspect_state(engine)
    finally:
        engine.dispose()
    assert (state.revision, state.missing, state.current) == (dataset.HEAD, [], True)


@pytest.mark.backends
def test_old_revision_is_upgraded_on_both_backends(dataset_url: str, tmp_path: Path) -> None:
    """A dataset left at the first revision (as on an office's server) is upgraded by the
    next command that opens it; its rows survive."""
    from alembic import command

    ws = fx.make_workspace(tmp_path / "ws", database_url=dataset_url)
    engine = dataset.open_engine(ws.db_url)
    with engine.begin() as conn:
        command.upgrade(dataset._config(conn), dataset.BASELINE)
        conn.execute(sa.text(
            "insert into submissions (file_name, sha256, source, received_at, status, errors, "
            "warnings, is_current, receipt_done) values ('a.xlsx', 'ab', 'inbox', "
            "'2024-01-02 03:04:05', 'rejected', 1, 0, false, true)"))
    engine.dispose()
    code, out = _invoke("db", "status", "-w", str(ws.workspace))
    assert code == 1 and "c067db1" in out and "plan_versions" in out
    code, out = _invoke("status", "-w", str(ws.workspace), "--json")
    assert code == 0, out
    assert fx.query(ws, "select version_num from alembic_version") == [(dataset.HEAD,)]
    assert fx.query(ws, "select file_name, status from submissions") == [
        ("a.xlsx", "rejected")]
    assert fx.query(ws, "select count(*) from plan_versions") == [(0,)]


def test_relative_sqlite_path_is_relative_to_the_workspace(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", database_url="sqlite:///data/tps.sqlite")
    (ws.workspace / "data").mkdir()
    fx.submission(ws.workspace / "inbox" / "p01.xlsx")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cmd = [sys.executable, "-m", "tps_batch.cli"]
    got = subprocess.run([*cmd, "ingest", "-w", str(ws.workspace)], cwd=elsewhere,
                         capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    got = subprocess.run([*cmd, "status", "-w", str(ws.workspace), "--json"], cwd=elsewhere,
                         capture_output=True, text=True)
    assert '"submissions": 1' in got.stdout, got.stdout
    assert (ws.workspace / "data" / "tps.sqlite").is_file()
    assert not list(elsewhere.iterdir())


@pytest.mark.parametrize(("url", "says"), [
    ("postgresql+psycopg://tps@127.0.0.1:1/nothing", "cannot open the database"),
    ("nosuchdb://x/y", "no database driver"),
    ("postgresql+psycopg2://tps@127.0.0.1/x", "no database driver"),
    ("not a url at all", "not a database URL"),
    ("sqlite:////no/such/folder/tps.sqlite", "does not exist"),
])
def test_bad_database_urls_are_one_clear_line_and_exit_2(tmp_path: Path, url: str,
                                                         says: str) -> None:
    pytest.importorskip("psycopg")
    if "psycopg2" in url:
        import importlib.util

        if importlib.util.find_spec("psycopg2") is not None:
            pytest.skip("psycopg2 is installed here")
    ws = fx.make_workspace(tmp_path / "ws", database_url=url)
    fx.submission(ws.workspace / "inbox" / "p01.xlsx")
    for args in (["ingest"], ["status"], ["report"], ["db", "status"]):
        got = subprocess.run([sys.executable, "-m", "tps_batch.cli", *args, "-w",
                              str(ws.workspace)], capture_output=True, text=True)
        assert got.returncode == 2, (args, got.stdout, got.stderr)
        assert says in got.stderr and "Traceback" not in got.stderr, got.stderr
        assert "ผิดพลาด" in got.stderr  # Thai first, English beside
    assert (ws.workspace / "inbox" / "p01.xlsx").is_file()
