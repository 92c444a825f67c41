"""The benchmark corpus: an action plan and N filled workbooks, generated once and cached.

Content comes from the demo's data tables and renderer (:mod:`tps_batch.demo`), spread over
as many projects as needed: codes ``B0001…``, names varied by phase and district, three to
eight activities each, the demo's budget sizes, indicators, problems and suggestions. One
workbook in ``PLANT_EVERY`` carries a planted problem (mostly errors, some warnings), so
receipts with annotated copies occur at a realistic rate. The plan holds at most
``plan.P_PROJECTS.max_rows`` projects; past that, the extra files are the projects' earlier
quarterly reports (as the demo's history), as an office's watched folders would hold them.
Every file differs (its own code, dates and amounts), so every sha256 is distinct.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tps_batch import demo, thai
from tps_batch.plan import P_PROJECTS, write_plan
from tps_batch.template import write_workbook

GENERATOR_VERSION = 1  # bump when the content changes: cached corpora are keyed by it
SEED = 2567
FY = 2567
AS_OF = dt.date(2024, 5, 15)          # data date of each project's current report
CHANGED_AS_OF = dt.date(2024, 5, 22)  # data date of the "1 % changed" rewrites
REPORT_AS_OF = dt.date(2024, 5, 31)   # as-of date of the reports
HISTORY_QUARTERS = (2, 1)             # quarters of the extra (history) files, in that order
PLANT_EVERY = 20                      # one workbook in 20 has a planted problem (5 %)
PLANTS = ("spent-over-allocated", "not-in-choices", "wrong-type", "unknown-group",
          "end-before-start", "project-name-mismatch")  # the last one is a warning
STAFF_PER_GROUP = 12
WORKERS = 2
QUALIFIERS = ("ระยะที่ {k}", "รุ่นที่ {k}", "เครือข่ายที่ {k}", "อำเภอ{d} ระยะที่ {k}",
              "ศูนย์พัฒนาคุณภาพการศึกษาอำเภอ{d} รุ่นที่ {k}")
DISTRICTS = ("เมือง", "บ้านนา", "หนองบัว", "ท่าช้าง", "โพธิ์ทอง", "นาดี", "บางปลา", "ศรีสำโรง",
             "วังน้ำเย็น", "ดอนตูม", "คลองหลวง", "สามชุก")
MANIFEST = "corpus.json"
FILES = "corpus"
EXTRA = {"indicators.framework": [f[0] for f in demo.FRAMEWORKS]}


@dataclass(frozen=True)
class Corpus:
    """A generated corpus: ``plan.xlsx`` and ``corpus/`` (the workbooks) under ``root``."""

    root: Path
    n: int

    @property
    def plan(self) -> Path:
        return self.root / "plan.xlsx"

    @property
    def folder(self) -> Path:
        return self.root / FILES

    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.suffix == ".xlsx")

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))


# --- content ------------------------------------------------------------------------------------

def _office(rng: random.Random) -> dict[str, Any]:
    """The demo's office, with a dozen staff per group (2,000 projects need more owners)."""
    office = demo._office(rng)
    pairs = [(f, s) for f in demo.FIRST_NAMES for s in demo.LAST_NAMES]
    people = rng.sample(pairs, STAFF_PER_GROUP * len(office["groups"]))
    for i, group in enumerate(office["groups"].values()):
        group["staff"] = [
            (("นาย" if sex == "m" else rng.choice(("นาง", "นางสาว"))) + f"{first} {last}",
             f"{first_en}.{last_en}@example.org")
            for (first, first_en, sex), (last, last_en)
            in people[i * STAFF_PER_GROUP:(i + 1) * STAFF_PER_GROUP]]
    return office


def _kinds(rng: random.Random, template: str, tier: str) -> str:
    """Three to eight activities: plan, the work, report (a monthly meeting counts as one)."""
    n = rng.randint(3, 8)
    monthly = "A" if "A" in template else ""
    middle = [rng.choice("WTNS") for _ in range(n - 2 - len(monthly))]
    if tier == "L" and middle:
        middle[0] = "E"
    return monthly + "C" + "".join(middle) + "R"


def _project(rng: random.Random, i: int, office: dict[str, Any]) -> dict[str, Any]:
    """Project ``B{i:04d}``: the demo's project ``i`` (cycling) varied by phase and place."""
    rows = demo.PROJECTS
    g, slug, tier, btype, window, acts, links, name, topic = rows[(i - 1) % len(rows)]
    fy_start, fy_end = thai.fiscal_year_bounds(FY)
    first, last, shortest, longest = demo.WINDOWS[window]
    start = fy_start + dt.timedelta(rng.randint(first, last))
    end = min(start + dt.timedelta(rng.randint(shortest, longest)), fy_end)
    total = 1000 * {"0": 0, "S": rng.randint(20, 80), "M": rng.randint(80, 200),
                    "L": rng.randint(1050, 1150)}[tier]
    mix, part = rng.random(), total // 4000 * 1000
    sources = ([("none", 0)] if not total
               else [("obec", total - 2 * part), ("obec", 2 * part)] if total > 300_000
               else [("esa", total)] if mix < 0.2 else [("obec", total)] if mix >= 0.3
               else [("obec", total - part), ("other", part)])
    pairs = [tuple(x.split(":", 1)) for x in links.split("; ")]
    qualifier = rng.choice(QUALIFIERS).format(k=(i - 1) // len(rows) + 1,
                                              d=rng.choice(DISTRICTS))
    owner, email = rng.choice(office["groups"][g]["staff"])
    p = {"code": f"B{i:04d}", "slug": slug, "group": g, "owner": owner, "email": email,
         "fy": FY, "btype": btype, "acts": _kinds(rng, acts, tier), "links": pairs,
         "topic": topic, "planned_start": start, "planned_end": end, "budget_total": total,
         "name": name.replace("{fy1}", str(FY - 1)).replace("{fy}", str(FY)) + " " + qualifier,
         "sources": sources, "n_obj": rng.randint(2, 3), "satisfaction": rng.randint(82, 95),
         "strategy": demo.TEXTS["strategies"][next((int(c[0]) - 1 for fw, c in pairs
                                                    if fw == "OBEC"), 3)],
         "cancelled": False,
         "problems": rng.sample(demo.TEXTS["problems"], rng.randint(1, 3)),
         "suggestions": rng.sample(demo.TEXTS["suggestions"], rng.randint(1, 3))}
    p["activities"] = demo._activities(rng, p)
    counts, seen = Counter(a["name"] for a in p["activities"]), Counter()
    for a in p["activities"]:  # the same kind twice: number them
        if counts[a["name"]] > 1:
            seen[a["name"]] += 1
            a["name"] = f"{a['name']} ครั้งที่ {seen[a['name']]}"
    return p


def plan_size(n: int) -> int:
    """Projects in the plan of a corpus of ``n`` files."""
    return min(n, P_PROJECTS.max_rows)


def projects(n: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The office and the plan's projects of a corpus of ``n`` files (deterministic)."""
    rng = random.Random(f"{SEED}:{GENERATOR_VERSION}")
    office = _office(rng)
    return office, [_project(rng, i, office) for i in range(1, plan_size(n) + 1)]


def _plant(kind: str, values: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> None:
    """Put one problem a clerk might make into a rendered workbook."""
    acts, budget = tables["activities"], tables["budget"]
    if kind == "spent-over-allocated" and budget and budget[0]["allocated"]:
        budget[0]["disbursed"] = budget[0]["allocated"] + 3500
    elif kind in ("spent-over-allocated", "not-in-choices"):
        acts[0]["status"] = "เสร็จแล้ว"
    elif kind == "wrong-type":
        acts[0]["budget_spent"] = "สองหมื่น"
    elif kind == "unknown-group":
        values["group"] = "กลุ่มงานพิเศษเฉพาะกิจ"
    elif kind == "end-before-start":
        acts[-1]["planned_end"] = acts[-1]["planned_start"] - dt.timedelta(3)
    elif kind == "project-name-mismatch":
        values["project_name"] += " (ฉบับปรับปรุง)"


@dataclass(frozen=True)
class Task:
    """One workbook to write: which project, as of when, received when, what planted."""

    index: int            # 0-based file number
    project: dict[str, Any]
    as_of: dt.date
    received: float       # mtime (POSIX seconds)
    name: str
    plant: str | None = None
    note: str | None = None  # appended to the first problem (the "changed" rewrites)


def tasks(n: int, office_projects: list[dict[str, Any]]) -> list[Task]:
    """The ``n`` files: each project's current report, then earlier quarters' reports."""
    rng = random.Random(f"{SEED}:files")
    out: list[Task] = []
    bangkok = demo.BANGKOK
    for index in range(n):
        p = office_projects[index % len(office_projects)]
        rnd = index // len(office_projects)
        if rnd == 0:
            as_of, name = AS_OF, f"{p['code']}_{p['slug']}.xlsx"
        elif rnd <= len(HISTORY_QUARTERS):
            q = HISTORY_QUARTERS[rnd - 1]
            as_of, name = thai.quarter_bounds(FY, q)[1], f"{p['code']}_{p['slug']}_Q{q}.xlsx"
        else:
            raise ValueError(f"at most {len(office_projects) * (1 + len(HISTORY_QUARTERS))} "
                             "files: the plan is full")
        day = as_of + dt.timedelta(rng.randint(0, 5))
        received = dt.datetime.combine(day, dt.time(8 + index % 9, index % 60), bangkok)
        plant = PLANTS[index // PLANT_EVERY % len(PLANTS)] if index % PLANT_EVERY == 7 else None
        out.append(Task(index, p, as_of, received.timestamp(), name, plant))
    return out


_OFFICE: dict[str, Any] = {}


def _init(office: dict[str, Any]) -> None:
    _OFFICE.clear()
    _OFFICE.update(office)


def _write(job: tuple[Task, str]) -> None:
    """Render and write one workbook (in a generator worker)."""
    task, folder = job
    values, tables = demo._render(task.project, task.as_of, _OFFICE)
    if task.plant:
        _plant(task.plant, values, tables)
    if task.note:
        tables["problems"][0]["text"] += f" ({task.note})"
    path = write_workbook(Path(folder) / task.name, values=values, tables=tables,
                          extra_choices=EXTRA)
    os.utime(path, (task.received, task.received))


def write_all(office: dict[str, Any], jobs: Iterable[Task], folder: Path,
              workers: int = WORKERS) -> None:
    """Write the workbooks of ``jobs`` into ``folder`` with ``workers`` processes."""
    folder.mkdir(parents=True, exist_ok=True)
    items = [(t, str(folder)) for t in jobs]
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(max(1, min(workers, os.cpu_count() or 1)), _init, (office,)) as pool:
        for _ in pool.imap_unordered(_write, items, chunksize=8):
            pass


def ensure(out: Path, n: int, *, log: Any = print) -> Corpus:
    """The cached corpus of ``n`` files under ``out``, generated first if missing."""
    root = out / f"corpus-v{GENERATOR_VERSION}-n{n}"
    corpus = Corpus(root, n)
    if (root / MANIFEST).is_file() and len(corpus.files()) == n:
        return corpus
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    log(f"generating {n} workbooks in {root.name} ({WORKERS} processes)…")
    office, plan_projects = projects(n)
    jobs = tasks(n, plan_projects)
    root.mkdir(parents=True)
    rows = demo._plan_rows(plan_projects, office, FY, AS_OF)
    write_plan(corpus.plan, rows)
    write_all(office, jobs, corpus.folder)
    seconds = time.perf_counter() - started
    manifest = {"generator_version": GENERATOR_VERSION, "n": n, "projects": len(plan_projects),
                "fiscal_year": FY, "as_of": AS_OF.isoformat(),
                "planted": dict(Counter(t.plant for t in jobs if t.plant)),
                "seconds": round(seconds, 1)}
    (root / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    log(f"  {n} workbooks in {seconds:.1f} s")
    return corpus


def rewrite_changed(corpus: Corpus, fraction: float, nonce: str) -> list[Path]:
    """Rewrite ``fraction`` of the files, spread evenly, with new content (as-of, problem).

    ``nonce`` goes into the changed problem text, so each run's rewrite is new content
    even though the cached corpus keeps the previous run's rewrite.
    """
    office, plan_projects = projects(corpus.n)
    count = max(1, round(corpus.n * fraction))
    picked = {int((k + 0.5) * corpus.n / count) for k in range(count)}
    chosen = [t for t in tasks(corpus.n, plan_projects) if t.index in picked]
    changed = []
    for t in chosen:
        received = dt.datetime.combine(CHANGED_AS_OF + dt.timedelta(2),
                                       dt.time(9, t.index % 60), demo.BANGKOK).timestamp()
        path = corpus.folder / t.name  # a later mtime than the last rewrite's, as an edit has
        received = max(received, path.stat().st_mtime + 1) if path.exists() else received
        as_of = CHANGED_AS_OF if t.as_of == AS_OF else t.as_of  # history files keep their date
        changed.append(Task(t.index, t.project, as_of, received, t.name,
                            t.plant, note=f"ปรับปรุงข้อมูล {nonce}"))
    write_all(office, changed, corpus.folder)
    return [corpus.folder / t.name for t in changed]
