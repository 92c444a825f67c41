"""The ``tps`` command: each subcommand calls one library function.

Library exceptions (:class:`TpsError`) become a Thai + English message on stderr and an
exit code: 0 ok, 1 findings or failures, 2 usage. Heavy modules are imported inside the
commands so that ``tps status`` or a nightly rerun with nothing new starts fast.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from tps_batch.errors import TpsError

WORKSPACE_HELP = "โฟลเดอร์งาน / workspace folder (default: the current folder)"


def _fail(exc: TpsError) -> None:
    click.echo(f"ผิดพลาด: {exc.message_th}\nError: {exc.message_en}", err=True)
    for f in exc.findings:
        _echo_finding(f, err=True)
    sys.exit(exc.exit_code)


def _echo_finding(f: Any, *, err: bool = False) -> None:
    place = " ".join(p for p in (f.file, f.location) if p) or "-"
    click.echo(f"  [{f.severity}] {place}  {f.code}: {f.message_th}", err=err)
    click.echo(f"      {f.message_en}", err=err)


def _sweep(workspace: Path | None) -> None:
    """Temp files that killed commands left behind go first, whatever the command."""
    if workspace is None or not (Path(workspace) / "tps.toml").is_file():
        return
    from tps_batch.fileaway import sweep_stale_temporaries

    try:
        sweep_stale_temporaries(_settings(workspace))
    except TpsError:  # unreadable settings: the command itself says so
        pass


def handles_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _sweep(kwargs.get("workspace"))
            return fn(*args, **kwargs)
        except TpsError as exc:
            _fail(exc)
        except Exception as exc:  # a full disk, a read-only folder, a locked database
            from tps_batch.faults import explain, log_fault

            fault = explain(exc)
            if fault is None:
                raise
            log_fault(kwargs.get("workspace"), fault, f"tps {fn.__name__}")
            _fail(fault)
    return wrapper


def workspace_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path),
                        default=".", show_default=True, help=WORKSPACE_HELP)(fn)


def _settings(workspace: Path) -> Any:
    from tps_batch.settings import load

    return load(workspace)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


_USAGE_TH = (  # click's English messages, said in Thai (the English follows on its own line)
    (re.compile(r"No such command '(.+?)'"), "ไม่มีคำสั่ง '{0}'"),
    (re.compile(r"No such option[:]? '?([^'\s]+)'?"), "ไม่มีตัวเลือก {0}"),
    (re.compile(r"Missing argument '(.+?)'"), "ขาดค่า {0}"),
    (re.compile(r"Missing option '(.+?)'"), "ขาดตัวเลือก {0}"),
    (re.compile(r"Invalid value for '(.+?)'"), "ค่าของ {0} ไม่ถูกต้อง"),
    (re.compile(r"Got unexpected extra arguments? \((.+?)\)"), "มีค่าเกินมา ({0})"),
    (re.compile(r"Option '(.+?)' requires an argument"), "ตัวเลือก {0} ต้องมีค่าตามหลัง"),
    (re.compile(r"Missing command"), "ยังไม่ได้ระบุคำสั่ง"),
)


def usage_th(message: str) -> str:
    for pattern, th in _USAGE_TH:
        m = pattern.search(message)
        if m:
            return th.format(*m.groups())
    return "คำสั่งไม่ถูกต้อง"


class _ThaiUsageGroup(click.Group):
    """Usage errors in Thai with English beside (click says them in English only)."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            message = exc.format_message()
            if exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
            command = exc.ctx.command_path if exc.ctx is not None else "tps"
            click.echo(f"ใช้คำสั่งไม่ถูกต้อง: {usage_th(message)} (ดูวิธีใช้: {command} --help)\n"
                       f"Usage error: {message} (see {command} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("ยกเลิก / Aborted", err=True)
            sys.exit(1)
        sys.exit(0)


@click.group(cls=_ThaiUsageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tps-batch")
def main() -> None:
    """TPS batch — ติดตามโครงการตามแผนปฏิบัติการ จากสมุดงาน Excel สู่รายงานผู้บริหาร.

    Follow every approved project of an ESA office's action plan.
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--office-name", help="ชื่อสำนักงาน / office name")
@click.option("--fiscal-year", type=int, help="ปีงบประมาณ พ.ศ. / fiscal year (B.E.)")
@handles_errors
def init(directory: Path, office_name: str | None, fiscal_year: int | None) -> None:
    """สร้างโฟลเดอร์งานใหม่ / Create a new workspace."""
    from tps_batch.workspace import init_workspace

    path = init_workspace(directory, office_name=office_name, fiscal_year=fiscal_year)
    click.echo(f"สร้างโฟลเดอร์งานแล้ว / workspace created: {path}")
    click.echo("ขั้นต่อไป / next: กรอก plan.xlsx แล้วสั่ง / fill plan.xlsx, then: "
               f"tps template -w {path}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=2567, show_default=True, help="random seed")
@click.option("--fiscal-year", type=int, default=2567, show_default=True)
@click.option("--force", is_flag=True, help="ลบตัวอย่างเดิมแล้วสร้างใหม่ / replace an existing "
              "demo workspace")
@handles_errors
def demo(directory: Path, seed: int, fiscal_year: int, force: bool) -> None:
    """สร้างโฟลเดอร์งานตัวอย่าง / Create a demo workspace with a plan and filled workbooks."""
    from tps_batch.demo import create_demo

    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise TpsError(f"โฟลเดอร์ {directory} มีไฟล์อยู่แล้ว (ใช้ --force เพื่อสร้างตัวอย่างใหม่แทน)",
                           f"{directory} is not empty (--force replaces a demo workspace)",
                           exit_code=2)
        from tps_batch.demo import MANIFEST_FILE

        if not (directory / MANIFEST_FILE).is_file():  # never wipe an office's workspace
            raise TpsError(f"โฟลเดอร์ {directory} ไม่ใช่โฟลเดอร์ตัวอย่าง จึงไม่ลบ",
                           f"{directory} is not a demo workspace; not replacing it",
                           exit_code=2)
        import shutil

        shutil.rmtree(directory)
    manifest = create_demo(directory, seed=seed, fiscal_year=fiscal_year)
    click.echo(f"สร้างตัวอย่างแล้ว / demo created: {directory} — "
               f"{len(manifest.projects)} projects in the plan, "
               f"{len(manifest.files)} project workbooks and "
               f"{len(manifest.indicator_files)} indicator result reports in inbox/, "
               f"{len(manifest.planted) + len(manifest.indicator_planted)} planted cases")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output")
@click.option("--template", "which", type=click.Choice(["project-report", "indicator-report"]),
              default="project-report", show_default=True,
              help="แบบรายงานโครงการ หรือแบบรายงานผลตามตัวชี้วัด / the project report or the "
                   "indicator result report")
def spec(as_json: bool, which: str) -> None:
    """แสดงโครงสร้างแบบรายงาน / Print the workbook spec (fields and tables)."""
    from tps_batch import indicator_spec
    from tps_batch.spec import SPEC

    data = (indicator_spec.SPEC if which == indicator_spec.SHORT_NAME else SPEC).to_json()
    if as_json:
        _json(data)
        return
    click.echo(f"{data['template']['id']} v{data['template']['version']}")
    for f in data["fields"]:
        click.echo(f"  {f['sheet']}!{f['cell']:<5} {f['key']:<18} {f['type']:<8} {f['label_th']}")
    for t in data["tables"]:
        click.echo(f"  {t['sheet']} [{t['key']}] rows {t['first_row']}…"
                   f"{t['first_row'] + t['max_rows'] - 1}")
        for c in t["columns"]:
            click.echo(f"      {c['column']:<3} {c['key']:<16} {c['type']:<8} {c['label_th']}")


@main.command()
@workspace_option
@click.option("--blank", is_flag=True, help="แบบว่างหนึ่งไฟล์ / one generic blank workbook")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="โฟลเดอร์ปลายทาง / output folder (default: workbooks/)")
@handles_errors
def template(workspace: Path, blank: bool, out: Path | None) -> None:
    """สร้างแบบรายงานให้แต่ละโครงการ / Write blank workbooks (one per plan project)."""
    from tps_batch.workspace import write_templates

    paths = write_templates(_settings(workspace), blank=blank, out=out)
    click.echo(f"เขียนแบบรายงาน {len(paths)} ไฟล์ / wrote {len(paths)} workbook(s) "
               f"in {paths[0].parent if paths else out or 'workbooks/'}")


def _print_findings(rows: list[tuple[Path, Any]]) -> None:
    for path, sub in rows:
        from tps_batch.store import status_of

        click.echo(f"{path.name}: {status_of(sub.findings)}")
        for f in sub.findings:
            click.echo(f"  [{f.severity}] {f.location or '-'}  {f.code}: {f.message_th}")
            click.echo(f"      {f.message_en}")


@main.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="JSON output")
@handles_errors
def validate(files: tuple[Path, ...], workspace: Path, as_json: bool) -> None:
    """ตรวจไฟล์ก่อนส่ง (ไม่บันทึก) / Check workbooks without storing anything."""
    from tps_batch.errors import has_errors
    from tps_batch.ingest import check_files
    from tps_batch.settings import SETTINGS_FILE

    ws = _settings(workspace) if (workspace / SETTINGS_FILE).is_file() else None
    rows = check_files(list(files), ws)
    if as_json:
        _json([{"file": str(p), "findings": [f.to_dict() for f in s.findings]} for p, s in rows])
    else:
        _print_findings(rows)
    sys.exit(1 if any(has_errors(s.findings) for _, s in rows) else 0)


@main.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="JSON output")
@handles_errors
def ingest(workspace: Path, as_json: bool) -> None:
    """รับไฟล์ใหม่เข้าสู่ฐานข้อมูล / Ingest new and changed workbooks, with receipts."""
    from tps_batch.ingest import ingest as run_ingest

    ws = _settings(workspace)
    bar = None
    update = None
    if sys.stderr.isatty() and not as_json:
        bar = click.progressbar(length=1, label="อ่านไฟล์ / reading", file=sys.stderr)

        def update(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

    try:
        result = run_ingest(ws, progress=update)
    finally:
        if bar is not None:
            bar.render_finish()
    if as_json:
        _json({"accepted": result.accepted, "warnings": result.warnings,
               "rejected": result.rejected, "duplicates": result.duplicates,
               "recovered": result.recovered, "changed": result.changed,
               "seconds": round(result.seconds, 3),
               "submissions": result.submissions})
    else:
        click.echo(result.summary())


@main.command()
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--all", "history", is_flag=True, help="รวมฉบับเก่า / include superseded history")
@click.option("--raw", is_flag=True, help="CSV ตามข้อมูลจริง ไม่ใส่ ' หน้าข้อความที่ดูเหมือนสูตร / "
              "CSV text as stored, without the apostrophe before formula-like text")
@handles_errors
def export(workspace: Path, fmt: str, out: Path, history: bool, raw: bool) -> None:
    """ส่งออกข้อมูลรวม / Export the consolidated dataset (CSV per table, or one workbook)."""
    from tps_batch.export import export as run_export

    paths = run_export(_settings(workspace), out, fmt=fmt, current_only=not history, raw=raw)
    click.echo(f"ส่งออก {len(paths)} ไฟล์ / exported {len(paths)} file(s) to {out}")


class _ReportsOption(click.Option):
    """``--only``: its help lists the registered reports when shown, not when this module
    loads (the registry is slow to import, and a plug-in may register more)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from tps_batch.reports.registry import reports

        self.help = ("รายงานที่ต้องการ คั่นด้วยจุลภาค / comma-separated reports (default: all): "
                     + ", ".join(r.name for r in reports()))
        return super().get_help_record(ctx)


@main.command()
@workspace_option
@click.option("--as-of", "as_of", help="ข้อมูล ณ วันที่ / as-of date (default: today, at most "
              "the fiscal year's last day), e.g. 2024-05-15 or 15/05/2567")
@click.option("--format", "formats", default="xlsx,html,pdf,json", show_default=True,
              help="comma-separated: xlsx, html, pdf, json")
@click.option("--only", default="", cls=_ReportsOption)
@handles_errors
def report(workspace: Path, as_of: str | None, formats: str, only: str) -> None:
    """สร้างรายงานผู้บริหาร / Generate the directors' reports."""
    from tps_batch.reports import FORMATS, generate
    from tps_batch.reports.registry import get as get_report

    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise click.BadParameter(f"unknown format(s) {', '.join(bad)}", param_hint="--format")
    result = generate(_settings(workspace), as_of=parse_as_of(as_of) if as_of else None,
                      formats=fmts,
                      only=tuple(n.strip() for n in only.split(",") if n.strip()))
    click.echo(f"เขียนรายงาน {len(result.written)} ไฟล์ (ไม่เปลี่ยน {result.skipped}) / "
               f"wrote {len(result.written)} file(s), {result.skipped} unchanged")
    for name in result.not_yet:
        r = get_report(name)
        click.echo(f"{r.title_th}: ยังไม่เขียน เพราะรอบของรายงานยังไม่สิ้นสุด ณ วันที่ข้อมูลนี้ / "
                   f"{r.title_en}: not written, its period has not ended by this as-of")
    for failure in result.failures:
        click.echo(f"ผิดพลาด / failed: {failure}", err=True)
    if result.dashboard:
        click.echo(f"ภาพรวม / dashboard: {result.dashboard}")
    sys.exit(1 if result.failures else 0)


@main.command()
@workspace_option
@click.option("--as-of", "as_of", help="ข้อมูล ณ วันที่ของรายงาน / reports' as-of date "
              "(default: today, at most the fiscal year's last day)")
@click.option("--format", "formats", default="xlsx,html,pdf,json", show_default=True,
              help="comma-separated: xlsx, html, pdf, json (json is always written)")
@handles_errors
def run(workspace: Path, as_of: str | None, formats: str) -> None:
    """รอบงานประจำคืน / One nightly cycle: mail in, ingest, report, mail out."""
    from tps_batch.reports import FORMATS
    from tps_batch.run import run_cycle

    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not fmts or [f for f in fmts if f not in FORMATS]:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)}", param_hint="--format")
    result = run_cycle(_settings(workspace), as_of=parse_as_of(as_of) if as_of else None,
                       formats=fmts)
    for stage in result.stages:
        mark = "✓" if stage.ok else "✗"
        click.echo(f"{mark} {stage.label}  {stage.seconds:.1f} วินาที (s)  "
                   f"{stage.summary or stage.error}")
    click.echo(f"รอบที่ {result.run_id}: {result.outcome} / run {result.run_id}: {result.outcome}")
    if result.dashboard:
        click.echo(f"ภาพรวม / dashboard: {result.dashboard}")
    sys.exit(result.exit_code)


@main.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="JSON output")
@handles_errors
def status(workspace: Path, as_json: bool) -> None:
    """สถานะ / Last runs, files waiting, dataset counts, next scheduled run."""
    from tps_batch.status import workspace_status

    data = workspace_status(_settings(workspace))
    if as_json:
        _json(data)
        return
    from tps_batch.status import status_lines

    lines = status_lines(data)
    click.echo(lines[0])
    p = data["plan"]
    click.echo(f"แผนปฏิบัติการ / plan {p['file']}: ข้อผิดพลาด {p['errors']} · คำเตือน "
               f"{p['warnings']} (errors {p['errors']}, warnings {p['warnings']})"
               + (" — การรับไฟล์จะหยุดจนกว่าจะแก้ไข / intake stops until fixed"
                  if p["errors"] else ""))
    if p.get("fatal"):
        click.echo(f"  {p['fatal']}")
    from tps_batch.errors import Finding

    for f in p["findings"][:20]:
        _echo_finding(Finding(**{k: f[k] for k in ("code", "severity", "message_th",
                                                   "message_en", "file", "sheet", "cell")}))
    for line in lines[1:]:
        click.echo(line)


@main.command()
@workspace_option
@click.option("--as-of", "as_of", help="fixed as-of date for the reports (default: each day)")
@handles_errors
def schedule(workspace: Path, as_of: str | None) -> None:
    """ทำงานทุกคืนตามเวลา run_time / Stay in the foreground and run nightly."""
    from tps_batch.scheduler import Scheduler, next_slot, utc_now

    ws = _settings(workspace)
    click.echo(f"ทำงานทุกวันเวลา {ws.run_time} ({ws.timezone}) — รอบถัดไป / next: "
               f"{next_slot(utc_now(), ws.run_time, ws.timezone):%Y-%m-%d %H:%M %Z}; "
               "Ctrl-C / SIGTERM to stop")
    Scheduler(ws, as_of=parse_as_of(as_of) if as_of else None).serve()
    click.echo("หยุดแล้ว / stopped")


@main.command("errors")
@click.option("--markdown", is_flag=True, help="the docs page (docs/errors.md)")
@click.option("--json", "as_json", is_flag=True, help="JSON output")
def errors_cmd(markdown: bool, as_json: bool) -> None:
    """รายการรหัสข้อผิดพลาด / The error catalog."""
    from dataclasses import asdict

    from tps_batch.errors import CATALOG, catalog_markdown

    if as_json:
        _json([asdict(k) for k in CATALOG.values()])
    elif markdown:
        click.echo(catalog_markdown(), nl=False)
    else:
        for k in CATALOG.values():
            click.echo(f"{k.code:<32} {k.severity:<8} {k.en}")


def parse_as_of(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    from tps_batch import thai

    try:
        return thai.parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


# `tps db` and `tps plan` register themselves on ``main`` (they use the helpers above)
from tps_batch import cli_admin  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    # `python -m tps_batch.cli`: run the module's canonical copy, where every command is
    from tps_batch.cli import main as canonical

    canonical()
