"""A small, fully known workspace for precise tests: two groups, three projects, one FY."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import sqlalchemy as sa

from tps_batch import settings
from tps_batch.plan import write_plan
from tps_batch.template import write_workbook

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "calamine"


def unavailable(reason: str) -> NoReturn:
    """A test's system tool is missing: it fails under CI (TPS_REQUIRE_TOOLS=1), skips
    locally, with ``reason``."""
    if os.environ.get("TPS_REQUIRE_TOOLS"):
        pytest.fail(f"required: {reason}")
    pytest.skip(reason)


def need(tool: str) -> str:
    """Path of a system tool; a test needing a missing one fails under CI, skips locally."""
    path = shutil.which(tool)
    if path is None:
        unavailable(f"{tool} not installed (see scripts/setup-system)")
    return path


def need_module(name: str, reason: str) -> None:
    """Like need, for a Python package."""
    import importlib.util

    if importlib.util.find_spec(name) is None:
        unavailable(reason)


def query(ws: settings.Settings, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one SQL statement on the workspace's dataset, whatever its backend (write it
    portable: booleans as ``where is_current``, not ``sum(is_current)``)."""
    url = sa.engine.make_url(ws.db_url)
    utf8 = {"client_encoding": "utf8"} if url.get_backend_name() == "postgresql" else {}
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=utf8)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


@contextlib.contextmanager
def lock_held_elsewhere(workspace: Path) -> Iterator[None]:
    """Another process holds the workspace lock until the block ends; then it is SIGKILLed,
    so no clean-up code of its own runs (a stale lock must not block anyone)."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from tps_batch.lock import workspace_lock\n"
         "with workspace_lock(sys.argv[1]):\n print('locked', flush=True); time.sleep(60)",
         str(workspace)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


FY = 2567  # 1 Oct 2023 – 30 Sep 2024
GROUP_A = "กลุ่มนโยบายและแผน"
GROUP_B = "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา"

PLAN_ROWS: dict[str, list[dict[str, Any]]] = {
    "projects": [
        {"code": "P01", "name": "จัดทำแผนปฏิบัติการประจำปี", "group": GROUP_A,
         "owner": "นางสาวสมศรี ใจดี", "budget_type": "งบประจำ", "budget_esa": 50000,
         "planned_start": dt.date(2023, 10, 1), "planned_end": dt.date(2024, 9, 30),
         "indicators": "ITA:O10"},
        {"code": "P02", "name": "นิเทศ ติดตามการจัดการเรียนรู้", "group": GROUP_B,
         "owner": "นายสมชาย รักเรียน", "budget_type": "งบพัฒนาคุณภาพการศึกษา",
         "budget_obec": 120000, "planned_start": dt.date(2023, 11, 1),
         "planned_end": dt.date(2024, 8, 31), "indicators": "ESA-STD:2.1"},
        {"code": "P03", "name": "โครงการที่ยกเลิก", "group": GROUP_A, "owner": "นายยก เลิก",
         "planned_start": dt.date(2023, 10, 1), "planned_end": dt.date(2024, 3, 31),
         "plan_status": "ยกเลิก"},
    ],
    "groups": [
        {"name": GROUP_A, "aliases": "นโยบายและแผน; กลุ่มแผน", "head": "นางวางแผน ดีเลิศ",
         "email": "plan@example.org"},
        {"name": GROUP_B, "aliases": "กลุ่มนิเทศ ติดตาม และประเมินผลการจัดการศึกษา; ศน.",
         "head": "นายนิเทศ ตั้งใจ", "email": "supervision@example.org"},
    ],
    "frameworks": [{"code": "ITA", "name_th": "ITA Online"},
                   {"code": "ESA-STD", "name_th": "มาตรฐานสำนักงานเขตพื้นที่การศึกษา"}],
    "indicators": [
        {"fiscal_year": FY, "framework": "ITA", "code": "O10", "name": "แผนดำเนินงานประจำปี",
         "owner_group": GROUP_A, "target": "เผยแพร่", "deadline": dt.date(2024, 1, 31),
         "owner": "นางวางแผน ดีเลิศ", "kind": "ใช่/ไม่ใช่", "system": "ITA"},
        {"fiscal_year": FY, "framework": "ESA-STD", "code": "2.1", "name": "การนิเทศ",
         "owner_group": "ศน.", "target": "ระดับ 4", "deadline": dt.date(2024, 9, 15),
         "kind": "ระดับ", "scale": "ระดับ 1;ระดับ 2;ระดับ 3;ระดับ 4;ระดับ 5",
         "system": "e-MES"},
    ],
    "calendar": [
        {"fiscal_year": FY, "period": "ไตรมาส 1", "kind": "รายงานความก้าวหน้า",
         "period_end": dt.date(2023, 12, 31), "due": dt.date(2024, 1, 15)},
        {"fiscal_year": FY, "period": "สิ้นปีงบประมาณ", "kind": "รายงานฉบับสมบูรณ์",
         "period_end": dt.date(2024, 9, 30), "due": dt.date(2024, 10, 15)},
    ],
    "disbursement": [
        {"fiscal_year": FY, "quarter": q, "scope": "ภาพรวม", "target_percent": p}
        for q, p in ((1, 30), (2, 54), (3, 77), (4, 94))
    ],
    # P02 was approved 120,000 from สพฐ.; the allocation came as 50,000 from สพป. instead
    "allocations": [
        {"code": "P02", "source": "สพฐ.", "allocated": 0, "effective": dt.date(2023, 10, 1),
         "note": "ไม่ได้รับจัดสรรจาก สพฐ."},
        {"code": "P02", "source": "สพป.", "allocated": 50000, "effective": dt.date(2023, 10, 1),
         "note": "สพป. จัดสรรแทน"},
    ],
}

GOOD_VALUES: dict[str, Any] = {
    "project_code": "P01", "project_name": "จัดทำแผนปฏิบัติการประจำปี", "fiscal_year": FY,
    "group": GROUP_A, "owner": "นางสาวสมศรี ใจดี", "report_kind": "รายงานความก้าวหน้า",
    "as_of": dt.date(2024, 1, 10), "status": "อยู่ระหว่างดำเนินการ",
    "planned_start": dt.date(2023, 10, 1), "planned_end": dt.date(2024, 9, 30),
    "reporter_name": "นางสาวสมศรี ใจดี", "reporter_position": "นักวิเคราะห์นโยบายและแผน",
}
GOOD_TABLES: dict[str, list[dict[str, Any]]] = {
    "objectives": [{"text": "เพื่อจัดทำแผนปฏิบัติการประจำปีงบประมาณ"}],
    "targets": [{"kind": "เชิงปริมาณ", "description": "แผนปฏิบัติการ", "unit": "เล่ม",
                 "target_value": 1, "achieved_value": 1}],
    "activities": [
        {"name": "ประชุมเชิงปฏิบัติการจัดทำแผน", "planned_start": dt.date(2023, 10, 16),
         "planned_end": dt.date(2023, 10, 17), "actual_date": dt.date(2023, 10, 16),
         "place": "ห้องประชุม สพป.", "target_planned": 60, "target_reached": 58,
         "status": "ดำเนินการแล้ว", "budget_planned": 30000, "budget_spent": 28750.5,
         "result": "ได้ร่างแผนปฏิบัติการ"},
        {"name": "จัดพิมพ์และเผยแพร่แผน", "planned_start": dt.date(2024, 1, 1),
         "planned_end": dt.date(2024, 2, 29), "place": "สพป.", "target_planned": 100,
         "status": "อยู่ระหว่างดำเนินการ", "budget_planned": 20000, "budget_spent": 0},
    ],
    "budget": [{"source": "สพป.", "allocated": 50000, "disbursed": 28750.5}],
    "indicators": [{"framework": "ITA", "code": "O10", "contribution": "เผยแพร่แผนบนเว็บไซต์"}],
    "problems": [{"text": "ระยะเวลาจัดทำแผนสั้น"}],
    "suggestions": [{"text": "ควรเริ่มจัดทำแผนตั้งแต่เดือนสิงหาคม"}],
    "attachments": [{"kind": "เอกสาร", "name": "แผนปฏิบัติการ 2567.pdf"}],
}


def sha(path: Path) -> str:
    """A file's sha256, as ingest hashes it."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def copy_workspace(source: Path, dest: Path) -> settings.Settings:
    """A copy of a workspace (dataset and files) to change, loaded."""
    shutil.copytree(source, dest)
    return settings.load(dest)


def make_workspace(path: Path, **overrides: Any) -> settings.Settings:
    """The small workspace; ``database_url=""`` (or none) is SQLite in it, as by default."""
    path.mkdir(parents=True, exist_ok=True)
    for folder in ("inbox", "archive", "rejected", "output", "workbooks"):
        (path / folder).mkdir(exist_ok=True)
    # files made by a test are taken at once (settle_s: tests of settling set their own)
    values = {"office_name": "สพป.ทดสอบ เขต 1", "fiscal_year": FY, "settle_s": 0, **overrides}
    (path / "tps.toml").write_text(settings.render_toml(values), encoding="utf-8")
    write_plan(path / "plan.xlsx", PLAN_ROWS)
    return settings.load(path)


def use_database(workspace: Path, url: str) -> settings.Settings:
    """Point a workspace's tps.toml at the dataset ``url`` (empty: its own SQLite file)."""
    import tomllib

    toml = workspace / settings.SETTINGS_FILE
    values = tomllib.loads(toml.read_text(encoding="utf-8"))
    toml.write_text(settings.render_toml({**values, "database_url": url}), encoding="utf-8")
    return settings.load(workspace)


def submission(path: Path, *, values: dict[str, Any] | None = None,
               tables: dict[str, list[dict[str, Any]]] | None = None,
               received: dt.datetime | None = None, **kwargs: Any) -> Path:
    """A filled workbook: the good one, with some values or table rows replaced.

    ``received`` sets the file's mtime, which ingest records as the time it arrived.
    """
    v = {**GOOD_VALUES, **(values or {})}
    t = copy.deepcopy(GOOD_TABLES)
    t.update(tables or {})
    path = write_workbook(path, values=v, tables=t, **kwargs)
    if received is not None:
        stamp = received.timestamp()
        os.utime(path, (stamp, stamp))
    return path


def activity(**changes: Any) -> list[dict[str, Any]]:
    """The good activities with the first one changed."""
    rows = copy.deepcopy(GOOD_TABLES["activities"])
    rows[0].update(changes)
    return rows
