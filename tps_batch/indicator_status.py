"""Where an indicator stands on an as-of date: its result against its target, per round.

The rules, each in one sentence (the README repeats them):

- A result counts once it was received by the as-of date; it is late when received after
  its round's deadline, and it still counts.
- A round is overdue the day after its deadline (a result on the deadline day is on time).
- ``not_reported``: a round whose deadline has passed has no result (the latest such round
  decides, so a missing twelve-month result is not hidden by a six-month one).
- ``not_due``: no deadline has passed and nothing has been reported yet.
- ``achieved``: the latest result meets the whole target (higher is better: value ≥ target;
  lower is better: value ≤ target; a level: at or above the target level; yes/no: yes).
- ``missed``: the final round's result, its deadline passed, does not meet the target.
- ``on_track`` / ``at_risk``: any other result. Higher-is-better numbers are held to the
  target pro-rated to the share of the year elapsed at that round's deadline, less a
  margin (setting ``indicator_margin_percent``): at or above is on track, below at risk;
  lower-is-better numbers, levels and yes/no items that do not meet the target yet are
  at risk.

Values are never added across indicators: each has its own unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["achieved", "on_track", "at_risk", "missed", "not_reported", "not_due"]
STATUSES: dict[str, tuple[str, str]] = {
    "achieved": ("บรรลุเป้าหมาย", "achieved"),
    "on_track": ("เป็นไปตามแผน", "on track"),
    "at_risk": ("มีความเสี่ยง", "at risk"),
    "missed": ("ไม่บรรลุเป้าหมาย", "missed"),
    "not_reported": ("ยังไม่รายงานผล", "not reported"),
    "not_due": ("ยังไม่ถึงกำหนด", "not due"),
}
KINDS = ("number", "percent", "score", "level", "yes_no")
DIRECTIONS = ("higher", "lower", "level")
YES = ("ใช่", "มี", "เผยแพร่แล้ว", "ดำเนินการแล้ว", "yes", "y", "true", "1")


@dataclass(frozen=True)
class Round:
    name: str
    deadline: dt.date


@dataclass(frozen=True)
class Indicator:
    """One catalog entry, typed: what is measured, how, against what, and by when."""

    framework: str
    code: str
    name: str
    kind: str = "number"                 # one of KINDS
    direction: str = "higher"            # one of DIRECTIONS ("level" for kinds level/yes_no)
    target: float | str | None = None    # a number, a level of ``scale``, or yes
    scale: tuple[str, ...] = ()          # levels, worst first (kind "level")
    rounds: tuple[Round, ...] = ()       # in deadline order; the last is the final round
    unit: str = ""
    fy_start: dt.date | None = None      # start of the fiscal year, for pro-rating


@dataclass(frozen=True)
class Result:
    round: str
    received: dt.date                    # when the office had it (file received)
    value: float | None = None
    level: str | None = None             # a level of the scale, or yes/no text


@dataclass
class Standing:
    status: Status
    round: str | None = None             # the round that decided
    deadline: dt.date | None = None
    result: Result | None = None
    late: bool = False
    next_deadline: dt.date | None = None
    trend: list[tuple[str, float | str | None]] = field(default_factory=list)

    @property
    def status_th(self) -> str:
        return STATUSES[self.status][0]


def is_yes(text: str | None) -> bool:
    return (text or "").strip().casefold() in YES


def meets(ind: Indicator, res: Result) -> bool | None:
    """Does this result meet the whole target? None when it cannot be judged."""
    if ind.kind == "yes_no":
        return is_yes(res.level)
    if ind.kind == "level":
        if res.level not in ind.scale or str(ind.target) not in ind.scale:
            return None
        return ind.scale.index(res.level) >= ind.scale.index(str(ind.target))
    if res.value is None or not isinstance(ind.target, (int, float)):
        return None
    if ind.direction == "lower":
        return res.value <= ind.target
    return res.value >= ind.target


def _share(ind: Indicator, deadline: dt.date) -> float:
    """Share of the year elapsed at ``deadline`` (the final deadline counts as the whole)."""
    final = ind.rounds[-1].deadline if ind.rounds else deadline
    start = ind.fy_start or (final - dt.timedelta(days=365))
    whole = (final - start).days
    if whole <= 0:
        return 1.0
    return min(1.0, max(0.0, (deadline - start).days / whole))


def standing(ind: Indicator, results: Iterable[Result], as_of: dt.date, *,
             margin_percent: float = 10.0, received_by: dt.date | None = None) -> Standing:
    """The indicator's status on ``as_of`` (see the module's rules), from the results
    received by then, or by ``received_by`` when a closed period is read after the fact
    (the six-month report: results on the half year sent in April)."""
    by_round: dict[str, Result] = {}
    cutoff = max(as_of, received_by or as_of)
    for r in sorted(results, key=lambda r: r.received):
        if r.received <= cutoff:
            by_round[r.round] = r  # a resubmission for the same round supersedes
    order = [r.name for r in ind.rounds]
    trend = [(r.name, _shown(by_round[r.name])) for r in ind.rounds if r.name in by_round]
    passed = [r for r in ind.rounds if r.deadline < as_of]
    upcoming = [r.deadline for r in ind.rounds if r.deadline >= as_of]
    nxt = upcoming[0] if upcoming else None
    if passed and passed[-1].name not in by_round:
        last = passed[-1]
        return Standing("not_reported", last.name, last.deadline, next_deadline=nxt,
                        trend=trend)
    reported = [name for name in order if name in by_round]
    if not reported:
        return Standing("not_due", next_deadline=nxt, trend=trend)
    name = reported[-1]
    rnd = ind.rounds[order.index(name)]
    res = by_round[name]
    out = Standing("at_risk", name, rnd.deadline, res, res.received > rnd.deadline, nxt, trend)
    ok = meets(ind, res)
    if ok:
        out.status = "achieved"
    elif rnd is ind.rounds[-1] and rnd.deadline < as_of:
        out.status = "missed"
    elif (ok is False and ind.direction == "higher" and ind.kind in ("number", "percent",
                                                                     "score")):
        expected = float(ind.target) * _share(ind, rnd.deadline)  # type: ignore[arg-type]
        on_track = res.value is not None and res.value >= expected * (1 - margin_percent / 100)
        out.status = "on_track" if on_track else "at_risk"
    return out


def _shown(res: Result) -> float | str | None:
    return res.value if res.value is not None else res.level
