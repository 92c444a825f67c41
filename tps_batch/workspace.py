"""Create workspaces and the blank workbooks a planning group hands out.

This module owns the workspace's layout: its folders (:data:`FOLDERS`) and how a path in
it is recorded (:func:`rel`); other modules ask here rather than spell them again.
"""

from __future__ import annotations

import re
from pathlib import Path

from tps_batch import settings as settings_mod
from tps_batch.atomic import atomic_write
from tps_batch.errors import TpsError
from tps_batch.plan import Plan, project_indicator_links, read_plan, write_plan
from tps_batch.settings import Settings
from tps_batch.template import write_workbook

#: The folders of a workspace, named by their settings (the defaults are these names).
FOLDERS = ("inbox", "archive", "rejected", "output", "workbooks")
RECEIPTS = "receipts"  # under the year's output folder, beside the reports that link them


def receipts_dir(ws: Settings) -> Path:
    """Where receipts (and annotated copies) of the fiscal year being followed go."""
    return ws.output_dir / RECEIPTS


def rel(ws: Settings, path: Path | str) -> str:
    """``path`` as the dataset records it: relative to the workspace, so a workspace can
    move, or absolute when it lies outside the workspace (a watched share elsewhere)."""
    try:
        return str(Path(path).relative_to(ws.workspace))
    except ValueError:
        return str(path)


def make_folders(directory: Path) -> None:
    """The workspace folders under ``directory`` (existing ones are kept)."""
    for name in FOLDERS:
        (directory / name).mkdir(parents=True, exist_ok=True)


def init_workspace(directory: Path, *, office_name: str | None = None,
                   fiscal_year: int | None = None) -> Path:
    """A new workspace: folders, a commented tps.toml and an empty plan workbook."""
    directory = Path(directory)
    if (directory / settings_mod.SETTINGS_FILE).exists():
        raise TpsError(f"มีโฟลเดอร์งานอยู่แล้วที่ {directory}",
                       f"a workspace already exists in {directory}", exit_code=2)
    directory.mkdir(parents=True, exist_ok=True)
    make_folders(directory)
    # the year is written, not left to "the current one": on 1 October a default would
    # switch the office to the new year while the old year's final reports still arrive
    overrides: dict[str, object] = {"fiscal_year": settings_mod.current_fiscal_year()}
    if office_name:
        overrides["office_name"] = office_name
    if fiscal_year:
        overrides["fiscal_year"] = fiscal_year
    atomic_write(directory / settings_mod.SETTINGS_FILE,
                 settings_mod.render_toml(overrides).encode("utf-8"))
    write_plan(directory / "plan.xlsx")
    return directory


def safe_name(text: str, limit: int = 60) -> str:
    """A file-name part that is safe on every OS: no separators, no control characters."""
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" ._")
    return text[:limit] or "file"


def write_templates(ws: Settings, *, blank: bool = False, out: Path | None = None) -> list[Path]:
    """One prefilled workbook per plan project (or one generic blank) in ``workbooks/``."""
    out = Path(out) if out else ws.path("workbooks")
    fy = ws.fiscal_year
    if blank:
        return [write_workbook(out / f"แบบรายงานโครงการ-{fy}.xlsx",
                               values={"fiscal_year": fy})]
    plan: Plan = read_plan(ws.path("plan"))
    frameworks = plan.frameworks()
    extra = {"indicators.framework": frameworks} if frameworks else {}
    paths = []
    for p in plan.projects:
        if p.get("plan_status") == "cancelled":
            continue
        values = {"project_code": p["code"], "project_name": p["name"], "fiscal_year": fy,
                  "group": plan.canonical_group(p["group"]) or p["group"],
                  "owner": p["owner"], "planned_start": p["planned_start"],
                  "planned_end": p["planned_end"]}
        budget = [{"source": src, "allocated": p.get(col)}
                  for src, col in (("สพฐ.", "budget_obec"), ("สพป.", "budget_esa"),
                                   ("อื่น ๆ", "budget_other")) if p.get(col)]
        indicators = [{"framework": fw, "code": code}
                      for fw, code in project_indicator_links(p)]
        name = f"{safe_name(p['code'], 30)}_{safe_name(p['name'], 40)}.xlsx"
        paths.append(write_workbook(out / name, values=values,
                                    tables={"budget": budget, "indicators": indicators},
                                    extra_choices=extra))
    return paths + write_indicator_templates(plan, fy, out / INDICATOR_FOLDER)


#: where ``tps template`` puts the indicator result reports, beside the project workbooks
INDICATOR_FOLDER = "ตัวชี้วัด"


def write_indicator_templates(plan: Plan, fiscal_year: int, out: Path) -> list[Path]:
    """One indicator result report per owner group per round, prefilled with the group's
    indicators due in that round (code, name and target locked)."""
    from tps_batch import indicator_spec
    from tps_batch.indicator_catalog import key, rounds_of, target_of

    due: dict[tuple[str, str], list[dict[str, object]]] = {}
    for row in plan.indicators(fiscal_year):
        group = plan.canonical_group(row["owner_group"]) or row["owner_group"]
        for rnd in rounds_of(plan, row):
            target = row.get("target") or target_of(row)
            unit = row.get("unit") or ""
            due.setdefault((group, rnd.name), []).append({
                "code": key(row["framework"], row["code"]), "name": row["name"],
                "target": f"{target:g}" if isinstance(target, float) else target,
                **({"target": f"{target:g} {unit}"} if isinstance(target, float) and unit
                   else {})})
    paths = []
    for (group, rnd), rows in due.items():
        values = {"fiscal_year": fiscal_year, "group": group, "round": rnd}
        name = f"{safe_name(group, 60)}_{safe_name(rnd, 30)}.xlsx"
        paths.append(write_workbook(
            out / name, values=values, tables={"results": rows}, spec=indicator_spec.SPEC,
            locked=[f"results.{c}" for c in indicator_spec.PREFILLED],
            title=("แบบรายงานผลการดำเนินงานตามตัวชี้วัด", "Indicator result report")))
    return paths
