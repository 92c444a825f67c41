"""``tps db`` and ``tps plan``: the commands that look after the dataset and the plan.

Kept apart from :mod:`tps_batch.cli` (which imports this module, and so registers them
on its ``main``) so that each file stays a readable size; the same thin-command rules
apply: one library call, clear exit codes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tps_batch.cli import (
    _echo_finding,
    _json,
    _settings,
    handles_errors,
    main,
    workspace_option,
)


@main.group()
def db() -> None:
    """ฐานข้อมูล: รุ่นโครงสร้างและการปรับรุ่น / The dataset's schema version and upgrades.

    Every command upgrades the dataset by itself; these are for doing it explicitly.
    """


@db.command("status")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="JSON output")
@handles_errors
def db_status(workspace: Path, as_json: bool) -> None:
    """รุ่นโครงสร้างของฐานข้อมูล (ไม่แก้ไขอะไร) / Schema version, changing nothing."""
    from tps_batch.dataset import dataset_status

    data = dataset_status(_settings(workspace).db_url)
    if as_json:
        _json(data)
        return
    click.echo(f"ฐานข้อมูล / dataset: {data['url']} ({data['dialect']})")
    rev = data["revision"] or ("c067db1 (ยังไม่มีรุ่น / unversioned)" if data["legacy"]
                               else "ว่าง / empty")
    click.echo(f"รุ่นโครงสร้าง / revision: {rev}; ล่าสุด / head: {data['head']}")
    if data["newer"]:
        click.echo("สร้างโดย TPS รุ่นใหม่กว่า / made by a newer TPS: upgrade TPS")
    elif data["current"]:
        click.echo("เป็นปัจจุบัน / up to date")
    else:
        click.echo("ต้องปรับรุ่น / needs an upgrade (tps db upgrade, or any command does it)")
        for item in data["missing"]:
            click.echo(f"  + {item}")
    sys.exit(0 if data["current"] else 1)


@db.command("upgrade")
@workspace_option
@handles_errors
def db_upgrade(workspace: Path) -> None:
    """ปรับรุ่นฐานข้อมูลให้เป็นปัจจุบัน / Upgrade the dataset to this code's schema."""
    from tps_batch.dataset import upgrade_url

    got = upgrade_url(_settings(workspace).db_url)
    if not got.changed:
        click.echo(f"เป็นปัจจุบันอยู่แล้ว / already up to date (revision {got.after})")
        return
    click.echo(f"ปรับรุ่นแล้ว / upgraded: {got.before or 'ว่าง / empty'} → {got.after}")
    for item in got.added:
        click.echo(f"  + {item}")
    if got.backup:
        click.echo(f"สำเนาก่อนปรับรุ่น / backup: {got.backup}")


@main.group()
def plan() -> None:
    """แผนปฏิบัติการ (plan.xlsx) / The action plan workbook."""


@plan.command("check")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="JSON output")
@handles_errors
def plan_check(workspace: Path, as_json: bool) -> None:
    """ตรวจแผนปฏิบัติการ / Check plan.xlsx: every finding by sheet and cell."""
    from tps_batch.errors import has_errors
    from tps_batch.plan import read_plan

    ws = _settings(workspace)
    got = read_plan(ws.path("plan"))
    if as_json:
        _json({"file": ws.path("plan").name, "findings": [f.to_dict() for f in got.findings]})
    else:
        n_err = sum(f.severity == "error" for f in got.findings)
        click.echo(f"{ws.path('plan').name}: ข้อผิดพลาด {n_err} · คำเตือน "
                   f"{len(got.findings) - n_err} (errors {n_err}, warnings "
                   f"{len(got.findings) - n_err}); โครงการ {len(got.projects)} · กลุ่ม "
                   f"{len(got.groups)} (projects {len(got.projects)}, groups {len(got.groups)})")
        for f in got.findings:
            _echo_finding(f)
    sys.exit(1 if has_errors(got.findings) else 0)
