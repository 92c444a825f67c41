"""The benchmark run: generate (or reuse) the corpora, measure every step, judge the targets."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import corpus as corpora
from bench import pdf as pdf_bench
from bench.measure import (
    REPO,
    Runner,
    Step,
    delete_shelved,
    make_workspace,
    note_deletion,
    reader,
    settle,
    shelve_workspaces,
    tps,
    warm,
)

FLOOR = "calamine floor"
OPENPYXL = "openpyxl baseline"
COLD = "tps ingest cold"
COLD_INBOX = "tps ingest cold, inbox"
RERUN = "tps ingest rerun, nothing new"
CHANGED = "tps ingest rerun, 1% changed"
REPORT = "tps report (no PDF)"
PDF = "tps report PDFs (projects)"
PDF_AGAIN = "tps report PDFs again (unchanged)"
COLD_SMALL = "tps ingest cold, --small"
COLD_BIG = "tps ingest cold, --big"
RERUN_BIG = "tps ingest rerun, nothing new, --big"
CHANGED_FRACTION = 0.01
#: the order of the table (the floor first, then what is compared with it)
ORDER = [FLOOR, OPENPYXL, COLD, RERUN, CHANGED, REPORT, PDF, PDF_AGAIN, *pdf_bench.STEPS,
         COLD_SMALL, COLD_BIG, RERUN_BIG, COLD_INBOX]


@dataclass(frozen=True)
class Options:
    n: int = 2000
    big: int = 10_000
    small: int = 1000
    out: Path = Path(__file__).resolve().parent / ".data"
    json: Path | None = None  # default: <out>/last-run.json
    skip_big: bool = False
    pdf: bool = False
    repeat: int = 3  # runs of the floor and of cold ingest at N; the median counts
    pdf_demo: bool = False  # only the demo's PDF steps, both engines (bench/pdf.py)


def run(opts: Options, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure every step; returns (and writes as JSON) the steps and the targets."""
    started = time.perf_counter()
    out = opts.out
    if opts.pdf_demo:
        return _pdf_demo_only(opts, log, started)
    main = corpora.ensure(out, opts.n, log=log)
    sizes = [] if opts.skip_big else [opts.small, opts.big]
    extra = {size: corpora.ensure(out, size, log=log) for size in sizes}
    runner = Runner(out / "logs", log)
    for old in runner.logs.glob("*.*"):
        old.unlink()
    shelve_workspaces(out)
    n, as_of = opts.n, corpora.REPORT_AS_OF.isoformat()

    log(f"measuring, N = {n}:")
    warm(main)
    runner.run(OPENPYXL, reader("openpyxl", main.folder), n)
    spaces = [make_workspace(out / f"ws-n{n}-{i + 1}", main) for i in range(opts.repeat)]
    settle(out, log)
    # the floor and cold ingest take turns, so that both see the machine in the same mood
    _floor, cold = runner.alternate([
        (FLOOR, reader("calamine", main.folder), n, ""),
        (COLD, lambda i: tps("ingest", "-w", spaces[i]), n, "")], opts.repeat)
    ws = spaces[len(cold.runs) - 1]  # the reruns and the report go on in the last one
    runner.run(RERUN, tps("ingest", "-w", ws), n)
    changed = corpora.rewrite_changed(main, CHANGED_FRACTION, nonce=f"{time.time_ns():x}")
    warm(main)
    runner.run(CHANGED, tps("ingest", "-w", ws), n, note=f"{len(changed)} files rewritten")
    runner.run(REPORT, tps("report", "-w", ws, "--as-of", as_of, "--format", "xlsx,html"), n,
               note=f"{corpora.plan_size(n)} projects")
    if opts.pdf:
        args = ("report", "-w", ws, "--as-of", as_of, "--only", "projects", "--format", "pdf")
        runner.run(PDF, tps(*args), n)
        runner.run(PDF_AGAIN, tps(*args), n)
        log("measuring the demo's PDFs, each engine:")
        pdf_bench.demo_steps(runner, out, log)
    for name, size in ((COLD_SMALL, opts.small), (COLD_BIG, opts.big)) if sizes else ():
        log(f"measuring, {name.rsplit(' ', 1)[-1]} = {size}:")
        warm(extra[size])
        big_ws = make_workspace(out / f"ws-n{size}", extra[size])
        settle(out, log)
        runner.run(name, tps("ingest", "-w", big_ws), size)
        if size == opts.big:
            runner.run(RERUN_BIG, tps("ingest", "-w", big_ws), size)
    # Last, and once: a run from the inbox removes its N originals at the end, and ext4 would
    # charge those freed inodes to any step that creates files in the next minute.
    log(f"measuring, N = {n}, from the inbox:")
    inbox_ws = make_workspace(out / f"ws-n{n}-inbox", main, inbox=True)
    runner.run(COLD_INBOX, tps("ingest", "-w", inbox_ws), n,
               note="one run; files copied into the inbox, which it empties")
    note_deletion(out, n)  # its inbox, emptied: a run started soon after must wait

    delete_shelved(out)  # the last run's workspaces, now that nothing is measured any more
    steps = sorted(runner.steps, key=lambda s: ORDER.index(s.step))
    floor = next(s for s in steps if s.step == FLOOR)
    for s in steps:  # per workbook, so that steps over another corpus size compare too
        s.ratio_to_floor = s.ms_per_workbook / floor.ms_per_workbook
    result = {"meta": _meta(opts, main, time.perf_counter() - started),
              "steps": [s.to_dict() for s in steps],
              "targets": targets({s.step: s for s in steps}, opts)}
    path = opts.json or out / "last-run.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def _meta(opts: Options, main: corpora.Corpus, seconds: float) -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit,
            "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "n": opts.n, "big": None if opts.skip_big else opts.big,
            "small": None if opts.skip_big else opts.small, "pdf": opts.pdf,
            "generator_version": corpora.GENERATOR_VERSION, "corpus": main.manifest(),
            "seconds": round(seconds, 1)}


def _target(title: str, measured: str, ok: bool | None, *steps: Step | None,
            **values: Any) -> dict[str, Any]:
    failed = [s.step for s in steps if s is not None and s.returncode != 0]
    status = "SKIP" if ok is None else "FAIL" if failed or not ok else "PASS"
    if failed:
        measured += f" (failed: {', '.join(failed)})"
    return {"target": title, "measured": measured, "status": status, **values}


def targets(steps: dict[str, Step], opts: Options) -> list[dict[str, Any]]:
    """The four targets with their measured figures: PASS, FAIL, or SKIP (not measured)."""
    floor, opx, cold = steps[FLOOR], steps[OPENPYXL], steps[COLD]
    ratio, faster = cold.seconds / floor.seconds, opx.seconds / cold.seconds
    out = [_target("cold ingest ≤ 3× the calamine floor (goal 1.5×), ≥ 3× faster than openpyxl",
                   f"{ratio:.2f}× the floor, {faster:.2f}× faster than openpyxl"
                   + (" — goal met" if ratio <= 1.5 else ""),
                   ratio <= 3 and faster >= 3, cold, ratio_to_floor=round(ratio, 3),
                   faster_than_openpyxl=round(faster, 3), goal_met=ratio <= 1.5)]
    rerun, small, big = steps.get(RERUN_BIG), steps.get(COLD_SMALL), steps.get(COLD_BIG)
    if rerun:
        out.append(_target(f"rerun with nothing new over {opts.big:,} files < 2 s",
                           f"{rerun.seconds:.2f} s", rerun.seconds < 2, rerun, big,
                           seconds=round(rerun.seconds, 3)))
    else:
        out.append(_target("rerun with nothing new over 10,000 files < 2 s", "not measured "
                           "(--skip-big)", None))
    if small and big:
        growth = big.peak_rss_mb / small.peak_rss_mb
        out.append(_target(f"peak RSS of cold ingest at {opts.big:,} ≤ 1.5× at {opts.small:,}",
                           f"{big.peak_rss_mb:.0f} MB vs {small.peak_rss_mb:.0f} MB = "
                           f"{growth:.2f}×", growth <= 1.5, small, big, growth=round(growth, 3)))
    else:
        out.append(_target("peak RSS of cold ingest at 10,000 ≤ 1.5× at 1,000", "not measured "
                           "(--skip-big)", None))
    report = steps[REPORT]
    out.append(_target(f"tps report without PDFs, {corpora.plan_size(opts.n):,} projects ≤ 30 s",
                       f"{report.seconds:.1f} s", report.seconds <= 30, report,
                       seconds=round(report.seconds, 3)))
    if opts.pdf:
        out += pdf_bench.targets(steps)
    return out


def _pdf_demo_only(opts: Options, log: Callable[[str], None], started: float) -> dict[str, Any]:
    """``--pdf-demo``: the demo's PDF steps alone, for both engines, and their targets."""
    runner = Runner(opts.out / "logs", log)
    log("measuring the demo's PDFs, each engine:")
    pdf_bench.demo_steps(runner, opts.out, log)
    steps = runner.steps
    meta = {"date": dt.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "python": platform.python_version(), "pdf_demo": True,
            "seconds": round(time.perf_counter() - started, 1)}
    result = {"meta": meta, "steps": [s.to_dict() for s in steps],
              "targets": pdf_bench.targets({s.step: s for s in steps})}
    path = opts.json or opts.out / "last-run.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def table(result: dict[str, Any]) -> str:
    """The steps as a fixed-width table, then the targets."""
    head = (f"{'step':<38} {'files':>6} {'seconds':>8} {'ms/wb':>7} {'peak RSS MB':>11} "
            f"{'× floor':>8}  note")
    lines = [head, "-" * len(head)]
    for s in result["steps"]:
        lines.append(f"{s['step']:<38} {s['n']:>6} {s['seconds']:>8.2f} "
                     f"{s['ms_per_workbook']:>7.2f} {s['peak_rss_mb']:>11.1f} "
                     + (f"{s['ratio_to_floor']:>8.2f}" if s["ratio_to_floor"] is not None
                        else f"{'-':>8}") + f"  {s['note']}")
    lines += ["", "targets:"]
    for i, t in enumerate(result["targets"], 1):
        lines.append(f" {i}. [{t['status']}] {t['target']}: {t['measured']}")
    return "\n".join(lines)
