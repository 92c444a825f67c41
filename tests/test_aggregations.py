"""Golden files for the aggregations on a small fixed dataset, across period boundaries.

Regenerate after an intended change with ``TPS_UPDATE_GOLDEN=1 pytest tests/test_aggregations.py``
and review the diff: it is the clearest statement of what changed for directors.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import factories as fx
import pytest

from tps_batch.ingest import ingest
from tps_batch.reports.completeness import completeness_rows
from tps_batch.reports.data import load
from tps_batch.reports.indicators import indicator_rows
from tps_batch.reports.overdue import overdue_rows

GOLDEN = Path(__file__).parent / "golden"
P02 = {"project_code": "P02", "project_name": "นิเทศ ติดตามการจัดการเรียนรู้",
       "group": fx.GROUP_B, "owner": "นายสมชาย รักเรียน",
       "planned_start": dt.date(2023, 11, 1), "planned_end": dt.date(2024, 8, 31)}
P02_TABLES = {"budget": [{"source": "สพป.", "allocated": 50000, "disbursed": 10000}],
              "indicators": [{"framework": "ESA-STD", "code": "2.1"}]}


def _drop(ws, name: str, received: dt.datetime, **kwargs: Any) -> None:
    fx.submission(ws.path("inbox") / name, received=received, **kwargs)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    """Four submissions with known data dates and arrival times."""
    ws = fx.make_workspace(tmp_path_factory.mktemp("agg") / "ws")
    _drop(ws, "p01-q1.xlsx", dt.datetime(2024, 1, 10, 9),
          values={"as_of": dt.date(2023, 12, 31)})                       # on time
    _drop(ws, "p02-q1.xlsx", dt.datetime(2024, 1, 20, 9),
          values={**P02, "as_of": dt.date(2023, 12, 28)}, tables=P02_TABLES)  # late
    _drop(ws, "p01-bad.xlsx", dt.datetime(2024, 1, 22, 9),
          values={"as_of": dt.date(2024, 1, 21), "status": "ผิดรายการ"})  # rejected
    _drop(ws, "p02-q2.xlsx", dt.datetime(2024, 4, 2, 9),
          values={**P02, "as_of": dt.date(2024, 3, 31)},
          tables={**P02_TABLES, "budget": [{"source": "สพป.", "allocated": 50000,
                                            "disbursed": 20000}]})
    result = ingest(ws)
    assert (result.accepted + result.warnings, result.rejected) == (3, 1)
    return ws


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot(ws, as_of: dt.date) -> dict[str, Any]:
    data = load(ws, as_of)
    indicators = [{k: v for k, v in r.items() if k != "projects"} for r in indicator_rows(data)]
    return _plain({"overdue": overdue_rows(data).to_dict("records"),
                   "completeness": completeness_rows(data).to_dict("records"),
                   "indicators": indicators})


DATES = [
    dt.date(2023, 12, 31),  # last day of Q1: the period has ended, its report isn't due yet
    dt.date(2024, 1, 1),    # first day of Q2
    dt.date(2024, 1, 16),   # the day after the Q1 due date
    dt.date(2024, 3, 31),   # last day of Q2: disbursement target of Q1 applies
    dt.date(2024, 4, 1),    # first day of Q3: Q2 target applies, P02's Q2 report not yet in
    dt.date(2024, 9, 30),   # last day of FY 2567
    dt.date(2024, 10, 1),   # first day of FY 2568: the final period has ended
]


@pytest.mark.parametrize("as_of", DATES, ids=[d.isoformat() for d in DATES])
def test_golden(ws, as_of: dt.date) -> None:
    got = snapshot(ws, as_of)
    path = GOLDEN / f"aggregations-{as_of.isoformat()}.json"
    text = json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if os.environ.get("TPS_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with TPS_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_key_facts_at_the_boundaries(ws) -> None:
    """The goldens' most important facts, stated so a reviewer needn't read JSON."""
    q1_end = snapshot(ws, dt.date(2023, 12, 31))
    total = [r for r in q1_end["completeness"] if r["group"].startswith("รวม")]
    assert [(r["period"], r["state"]) for r in total] == [("ไตรมาส 1", "ยังไม่ถึงกำหนดส่ง")]
    assert not [r for r in q1_end["overdue"] if r["kind"] == "missing-report"]
    after_due = snapshot(ws, dt.date(2024, 1, 16))
    total = next(r for r in after_due["completeness"] if r["group"].startswith("รวม"))
    # P01 and P02 expected (P03 cancelled); P01 on time, P02 not yet received
    assert (total["expected"], total["received"], total["on_time"]) == (2, 1, 1)
    missing = [(r["project_code"], r["person"]) for r in after_due["overdue"]
               if r["kind"] == "missing-report"]
    assert missing == [("P02", "นายสมชาย รักเรียน")]
    later = snapshot(ws, dt.date(2024, 1, 23))
    total = next(r for r in later["completeness"] if r["group"].startswith("รวม"))
    assert (total["received"], total["on_time"], total["rate"]) == (2, 1, 100.0)
    rejected = [r for r in later["overdue"] if r["kind"] == "rejected-not-resubmitted"]
    assert [(r["project_code"], r["group"], r["days_overdue"]) for r in rejected] == \
        [("P01", fx.GROUP_A, 1)]
    fy_end = snapshot(ws, dt.date(2024, 10, 1))
    final = [r for r in fy_end["completeness"] if r["period"] == "สิ้นปีงบประมาณ"]
    assert final and all(r["received"] == 0 for r in final)  # no final report was sent
    no_final = {r["project_code"] for r in fy_end["overdue"] if r["kind"] == "no-final-report"}
    assert no_final == {"P01", "P02"}
    assert "P03" not in {r["project_code"] for r in fy_end["overdue"]}  # cancelled


def test_as_of_ignores_what_arrived_later(ws) -> None:
    """Regenerated for a past date, a report shows what was known then."""
    before = load(ws, dt.date(2024, 1, 15))
    assert set(before.submissions["file_name"]) == {"p01-q1.xlsx"}
    after = load(ws, dt.date(2024, 4, 2))
    p02 = after.projects.set_index("code").loc["P02"]
    assert p02["data_as_of"] == dt.date(2024, 3, 31) and p02["disbursed"] == 20000
