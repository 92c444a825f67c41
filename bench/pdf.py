"""PDF figures of the benchmark: the demo workspace's reports with each PDF engine.

Measured in the same run for the default engine (Chromium) and the old one (WeasyPrint):
per-project PDFs alone (``--only projects --format pdf``; seconds per PDF, the browser's
start included) and the whole ``tps report`` with PDFs, each from an empty output folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.measure import REPO, Runner, Step, child_env, tps

DEMO_AS_OF = "2024-05-15"
ENGINES = ("chromium", "weasyprint")  # the default first, then the old one
PROJECTS_STEP = "demo per-project PDFs, {engine}"
REPORT_STEP = "demo tps report with PDFs, {engine}"
STEPS = [name.format(engine=e) for e in ENGINES for name in (PROJECTS_STEP, REPORT_STEP)]
PER_PROJECT_TARGET_S = 0.2
REPORT_TARGET_S = 8.0


def _available(engine: str) -> bool:
    code = f"from tps_batch.pdf import available; raise SystemExit(not available({engine!r}))"
    return subprocess.run([sys.executable, "-c", code], env=child_env(), cwd=REPO,
                          check=False).returncode == 0


def demo_workspace(out: Path, engine: str) -> Path:
    """A fresh demo workspace set to ``engine``, its workbooks ingested (not measured)."""
    ws = out / f"demo-{engine}"
    shutil.rmtree(ws, ignore_errors=True)
    for argv in (tps("demo", ws), tps("ingest", "-w", ws)):
        subprocess.run(argv, env=child_env(), cwd=REPO, check=True, capture_output=True)
    toml = ws / "tps.toml"
    text = re.sub(r"(?m)^#?\s*pdf_engine\s*=.*$", "", toml.read_text(encoding="utf-8"))
    toml.write_text(text.rstrip() + f'\npdf_engine = "{engine}"\n', encoding="utf-8")
    return ws


def _fresh(ws: Path, *args: str) -> Callable[[int], list[str]]:
    """The step's argv, called just before it runs: the output folder emptied first, so
    every PDF is printed (none skipped as unchanged)."""
    def argv(_i: int) -> list[str]:
        shutil.rmtree(ws / "output", ignore_errors=True)
        return tps("report", "-w", ws, "--as-of", DEMO_AS_OF, *args)
    return argv


def demo_steps(runner: Runner, out: Path, log: Callable[[str], None]) -> None:
    """Both engines' steps, one after the other; an engine missing here is skipped."""
    for engine in ENGINES:
        if not _available(engine):
            log(f"  {engine}: not installed here, its PDF steps are skipped")
            continue
        ws = demo_workspace(out, engine)
        kept = len(list((ws / "archive").rglob("*.xlsx")))  # workbooks in the workspace
        runner.run(PROJECTS_STEP.format(engine=engine),
                   _fresh(ws, "--only", "projects", "--format", "pdf"), kept)
        runner.run(REPORT_STEP.format(engine=engine), _fresh(ws), kept)
        shutil.rmtree(ws, ignore_errors=True)


def per_pdf(step: Step) -> float | None:
    """Seconds per per-project PDF: the step's time over the PDFs it wrote."""
    written = step.counts.get("written")
    return step.seconds / written if written else None


def targets(steps: dict[str, Step]) -> list[dict[str, Any]]:
    """The two PDF targets for the default engine, the old engine's figures beside them."""
    from bench.suite import _target

    main, old = ENGINES
    projects, report = (steps.get(PROJECTS_STEP.format(engine=main)),
                        steps.get(REPORT_STEP.format(engine=main)))
    old_projects, old_report = (steps.get(PROJECTS_STEP.format(engine=old)),
                                steps.get(REPORT_STEP.format(engine=old)))
    out = []
    if projects and (each := per_pdf(projects)) is not None:
        was = per_pdf(old_projects) if old_projects else None
        measured = (f"{each:.3f} s each ({projects.counts['written']} PDFs in "
                    f"{projects.seconds:.2f} s, browser start included)"
                    + (f"; {old}: {was:.3f} s each" if was else ""))
        out.append(_target(f"per-project PDF ≤ {PER_PROJECT_TARGET_S} s each ({main})",
                           measured, each <= PER_PROJECT_TARGET_S, projects,
                           seconds_each=round(each, 3),
                           old_seconds_each=round(was, 3) if was else None))
    else:
        out.append(_target(f"per-project PDF ≤ {PER_PROJECT_TARGET_S} s each", "not measured",
                           None))
    if report:
        measured = f"{report.seconds:.2f} s" + (f"; {old}: {old_report.seconds:.2f} s"
                                                 if old_report else "")
        out.append(_target(f"demo tps report with PDFs ≤ {REPORT_TARGET_S:g} s ({main})",
                           measured, report.seconds <= REPORT_TARGET_S, report,
                           seconds=round(report.seconds, 3),
                           old_seconds=round(old_report.seconds, 3) if old_report else None))
    else:
        out.append(_target(f"demo tps report with PDFs ≤ {REPORT_TARGET_S:g} s",
                           "not measured", None))
    return out
