"""Nothing in the inbox is dropped silently: the same content sent again gets its own row
and receipt, a resend of a rejected file is judged again, and a file a killed run left
behind is still taken for what it is (no second row)."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import factories as fx
import pytest

from tps_batch.ingest import ingest
from tps_batch.plan import write_plan


@pytest.mark.backends
def test_resend_of_a_rejected_file_is_judged_again_after_the_plan_is_fixed(
        dataset_url: str, tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", database_url=dataset_url)
    unknown = {"project_code": "P09", "project_name": "โครงการใหม่กลางปี"}
    sent = fx.submission(tmp_path / "p09.xlsx", values=unknown)
    shutil.copyfile(sent, ws.path("inbox") / "p09.xlsx")
    assert ingest(ws).rejected == 1
    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["projects"].append({**rows["projects"][0], **{"code": "P09",
                                                       "name": "โครงการใหม่กลางปี"}})
    write_plan(ws.workspace / "plan.xlsx", rows)
    shutil.copyfile(sent, ws.path("inbox") / "p09-again.xlsx")  # the very same bytes
    got = ingest(ws)
    assert (got.accepted + got.warnings, got.rejected, got.duplicates) == (1, 0, 0)
    assert fx.query(ws, "select file_name, status, is_current from submissions order by id") \
        == [("p09.xlsx", "rejected", False), ("p09-again.xlsx", got.submissions[0]["status"],
                                               True)]


def test_two_empty_files_from_two_senders_each_get_a_receipt(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    for name in ("a.xlsx", "b.xlsx"):
        (ws.path("inbox") / name).write_bytes(b"")
    got = ingest(ws)
    assert (got.rejected, got.duplicates) == (1, 1)
    rows = fx.query(ws, "select file_name, status, duplicate_of, receipt_path, kept_path "
                        "from submissions order by id")
    assert [(r[1], r[2]) for r in rows] == [("rejected", None), ("duplicate", 1)]
    assert fx.query(ws, "select code, severity from findings where submission_id = 2") == [
        ("duplicate-submission", "warning")]
    assert {r[0] for r in rows} == {"a.xlsx", "b.xlsx"}
    for *_, receipt, kept in rows:
        assert (ws.workspace / receipt).is_file() and (ws.workspace / kept).is_file()
    assert list(ws.path("inbox").iterdir()) == []


def test_a_file_left_behind_by_a_killed_run_is_not_stored_twice(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    sent = fx.submission(ws.path("inbox") / "p01.xlsx")
    data, stamp = sent.read_bytes(), sent.stat().st_mtime
    assert ingest(ws).accepted == 1
    # as if the run had been killed after storing it, before the inbox copy went
    sent.write_bytes(data)
    os.utime(sent, (stamp, stamp))
    got = ingest(ws)
    assert (got.total, got.duplicates) == (0, 1)
    assert fx.query(ws, "select count(*) from submissions") == [(1,)]
    assert list(ws.path("inbox").iterdir()) == []
