"""The demo's indicator result reports: two rounds of them, as the owner groups send them.

Most catalog items are reported once, at their own deadline (round ``รอบเดียว``); the ESA
office standards, the KRS self-assessment and OBEC's information and disbursement items are
reported at six months (the calendar's ``ไตรมาส 2``, due 10 April) and at year end. Each
workbook goes through the real template writer (code, name and target prefilled and
locked) and into the inbox beside the project workbooks, dated as received. Planted, so
that on 15 May 2567 the indicator summary shows every status: a group that never sends
its round (not reported), a level off the scale (the file is rejected), results received
after their deadline (late), results behind the pro-rated target or below the level (at
risk), a final result short of its target (missed), and one e-MES item entered with its
reference beside one not entered.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from tps_batch import indicator_spec, thai
from tps_batch.indicator_catalog import ONCE
from tps_batch.template import write_workbook

#: the two-round items: six months (calendar ไตรมาส 2) and the annual report
TWO_ROUNDS = {("ESA-STD", c) for c in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")} | {
    ("PA", "สพท.1"), ("OBEC", "4.1"), ("OBEC", "4.2")}
Q2 = thai.quarter_label(2)
FOLDER_PREFIX = "ตัวชี้วัด"

#: round ("once" or "q2") | group | received mm-dd | rows: framework:code=result
#: [@entered mm-dd ref] ; a result is a number, a level or ใช่/ไม่ใช่. Not sent: personnel's
#: once round (ITA O22), promotion's six-month round (ESA-STD 2.1).
REPORTS = [line.split("|") for line in """
once|dlict|12-27|ITA:O6=ใช่@12-27 ITA-2567-O6
once|finance|01-12|ITA:O16=ใช่@01-11 ITA-2567-O16;ITA:O19=ใช่@01-11 ITA-2567-O19
once|admin|01-25|ITA:O36=ใช่@01-24 ITA-2567-O36
once|plan|01-30|ITA:O10=ใช่@01-29 ITA-2567-O10;ITA:O12=ใช่@01-29 ITA-2567-O12
once|audit|03-29|ITA:O33=ไม่ใช่
once|supervision|04-26|OBEC:3.2=86.4
q2|develop|04-03|ESA-STD:2.2=ดีมาก@04-03 EMES-2567-0221
q2|plan|04-05|ESA-STD:1.1=ดีเยี่ยม@04-04 EMES-2567-0112;PA:สพท.1=ระดับ 4@04-05 KRS-2567-0031
q2|admin|04-08|ESA-STD:1.2=ดีมาก
q2|dlict|04-09|ESA-STD:1.3=ดี@04-09 EMES-2567-0135;OBEC:4.1=61
q2|finance|04-10|OBEC:4.2=38.5
q2|supervision|04-10|ESA-STD:2.3=ดีเลิศ@04-10 EMES-2567-0238
""".strip().splitlines()]
PROBLEMS = {
    "ITA:O16": ("เผยแพร่ล่าช้ากว่ากำหนด เนื่องจากรอการอนุมัติแผนการจัดซื้อจัดจ้าง",
                "จัดทำแผนให้แล้วเสร็จก่อนเริ่มปีงบประมาณ"),
    "ITA:O33": ("ยังประเมินความเสี่ยงการทุจริตไม่แล้วเสร็จ จึงยังไม่ได้เผยแพร่",
                "เร่งประเมินและเผยแพร่ก่อนการประเมิน ITA"),
    "OBEC:3.2": ("นักเรียนบางส่วนย้ายเข้ากลางปี ได้รับการสอนซ่อมเสริมไม่ครบ",
                 "จัดสอนซ่อมเสริมการอ่านเขียนตั้งแต่ภาคเรียนที่ 1"),
    "OBEC:4.2": ("ได้รับจัดสรรงบลงทุนล่าช้า การเบิกจ่ายต่ำกว่าเป้าหมาย",
                 "เร่งรัดการก่อหนี้ผูกพันและเบิกจ่ายงบลงทุน"),
}
#: the level the supervision group typed (the school standards' scale, not the office's)
OFF_SCALE = ("ESA-STD:2.3", "ดีเลิศ")


def rounds_text(framework: str, code: str, fiscal_year: int) -> str | None:
    """The catalog's rounds cell: two calendar periods, or empty (once, at the deadline)."""
    if (framework, code) in TWO_ROUNDS:
        return f"{Q2}; ประจำปีงบประมาณ {fiscal_year}"
    return None


def _day(fy: int, mmdd: str) -> dt.date:
    month, day = int(mmdd[:2]), int(mmdd[3:])
    return dt.date(fy - 543 - (month >= 10), month, day)


def write_indicator_reports(directory: Path, plan: dict[str, list[dict[str, Any]]],
                            office: dict[str, Any], fiscal_year: int, as_of: dt.date,
                            tz: dt.tzinfo) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Write the reports received before ``as_of`` into the inbox; return file → "group |
    round" and the planted indicator items (kind, file, indicator, cell, expectations)."""
    catalog = {f"{r['framework']}:{r['code']}": r for r in plan["indicators"]}
    files: dict[str, str] = {}
    planted: list[dict[str, Any]] = []
    table = indicator_spec.SPEC.table("results")
    for rnd_key, slug, received_text, rows_text in REPORTS:
        received = _day(fiscal_year, received_text)
        if received >= as_of:
            continue
        group = office["groups"][slug]
        rnd = Q2 if rnd_key == "q2" else ONCE
        reporter, _email = group["staff"][0]
        rows = []
        for i, item in enumerate(rows_text.split(";")):
            code, rest = item.split("=", 1)
            result, _, entered = rest.partition("@")
            ind = catalog[code]
            kind = ind["kind"]
            numeric = kind == "ร้อยละ"
            on, _, ref = entered.partition(" ")
            problems, steps = PROBLEMS.get(code, (None, None))
            link = (f"https://www.example.org/ita/{fiscal_year}/{ind['code'].lower()}"
                    if ind["framework"] == "ITA" else
                    f"https://drive.example.org/tps/ind/{ind['framework'].lower()}-{ind['code']}")
            rows.append({
                "code": code, "name": ind["name"], "target": ind["target"],
                "value": float(result) if numeric else None,
                "level": None if numeric else result,
                "evidence": f"ผลการดำเนินงานตามตัวชี้วัด {code} {ind['name']}",
                "evidence_link": link,
                "entered_on": _day(fiscal_year, on) if on else None,
                "entered_ref": ref or None, "problems": problems, "next_steps": steps})
            if (code, result) == OFF_SCALE:
                planted.append({"kind": "indicator-off-scale", "indicator": code,
                                "sheet": table.sheet,
                                "cell": f"{table.letter('level')}{table.first_row + i}",
                                "value": result, "expected_code": "indicator-level-off-scale"})
        data_as_of = thai.quarter_bounds(fiscal_year, 2)[1] if rnd_key == "q2" else received
        values = {"fiscal_year": fiscal_year, "group": group["name"], "round": rnd,
                  "as_of": data_as_of, "reporter_name": reporter,
                  "reporter_position": group["position"], "reporter_date": received}
        name = _file(slug, rnd)
        path = directory / "inbox" / name
        write_workbook(path, values=values, tables={"results": rows}, spec=indicator_spec.SPEC,
                       locked=[f"results.{c}" for c in indicator_spec.PREFILLED],
                       title=("แบบรายงานผลการดำเนินงานตามตัวชี้วัด", "Indicator result report"))
        at = dt.datetime.combine(received, dt.time(15, 30), tz).timestamp()
        os.utime(path, (at, at))  # dated as received
        files[name] = f"{group['name']} | {rnd}"
        for item in planted:
            item.setdefault("file", name)
            item.setdefault("group", group["name"])
            item.setdefault("round", rnd)
    planted += [
        {"kind": "indicator-missing-round", "indicator": "ITA:O22", "round": ONCE,
         "group": office["groups"]["personnel"]["name"], "file": None},
        {"kind": "indicator-missing-round", "indicator": "ESA-STD:2.1", "round": Q2,
         "group": office["groups"]["promotion"]["name"], "file": None},
        {"kind": "indicator-late", "indicator": "ITA:O16", "file": _file("finance", ONCE)},
        {"kind": "indicator-late", "indicator": "ITA:O19", "file": _file("finance", ONCE)},
        {"kind": "indicator-at-risk", "indicator": "OBEC:4.2", "file": _file("finance", Q2)},
        {"kind": "indicator-missed", "indicator": "ITA:O33", "file": _file("audit", ONCE)},
        {"kind": "indicator-missed", "indicator": "OBEC:3.2",
         "file": _file("supervision", ONCE)},
        {"kind": "indicator-entered", "indicator": "ESA-STD:1.1", "system": "e-MES",
         "file": _file("plan", Q2)},
        {"kind": "indicator-not-entered", "indicator": "ESA-STD:1.2", "system": "e-MES",
         "file": _file("admin", Q2)}]
    return files, [p for p in planted if p["file"] is None or p["file"] in files]


def _file(slug: str, rnd: str) -> str:
    return f"{FOLDER_PREFIX}_{slug}_{rnd.replace(' ', '')}.xlsx"
