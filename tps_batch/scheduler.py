"""``tps schedule``: run the nightly cycle every day at ``run_time`` in ``timezone``.

On start it catches up: if the machine was off at the scheduled time, the last completed
run is older than the most recent slot, so it runs at once. The slot arithmetic is pure
functions of an injected clock, so it is tested without waiting for 02:00.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from tps_batch.errors import TpsError
from tps_batch.settings import Settings

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def last_slot(now: dt.datetime, run_time: str, tz: str) -> dt.datetime:
    """The most recent scheduled time at or before ``now`` (aware, in ``tz``)."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    at = dt.time.fromisoformat(run_time)
    slot = dt.datetime.combine(local.date(), at, tzinfo=zone)
    return slot if slot <= local else slot - dt.timedelta(days=1)


def next_slot(now: dt.datetime, run_time: str, tz: str) -> dt.datetime:
    return last_slot(now, run_time, tz) + dt.timedelta(days=1)


def needs_catch_up(last_success: dt.datetime | None, now: dt.datetime, run_time: str,
                   tz: str) -> bool:
    """True when no completed run started at or after the most recent slot."""
    if last_success is None:
        return True
    if last_success.tzinfo is None:  # the run log stores the machine's local time
        last_success = last_success.astimezone()
    return last_success < last_slot(now, run_time, tz)


class Scheduler:
    """Foreground loop; SIGTERM/SIGINT stop it after the run in progress."""

    def __init__(self, ws: Settings, *, clock: Clock = utc_now,
                 run: Callable[[str], Any] | None = None, as_of: dt.date | None = None) -> None:
        self.ws = ws
        self.clock = clock
        self.stop_event = threading.Event()
        self.runs: list[str] = []
        self._run = run or self._run_cycle
        self.as_of = as_of

    def _run_cycle(self, trigger: str) -> Any:
        from tps_batch.run import run_cycle

        return run_cycle(self.ws, trigger=trigger, as_of=self.as_of)

    def job(self, trigger: str = "schedule") -> None:
        """One scheduled run; a run already holding the lock means this slot is skipped."""
        from tps_batch.run import logger

        log = logger(self.ws)
        try:
            self._run(trigger)
            self.runs.append(trigger)
        except TpsError as exc:  # another run holds the lock: never overlap, never queue
            log.warning("scheduled run skipped: %s", exc.message_en)
            self.runs.append(f"skipped:{trigger}")
        except Exception:
            log.exception("scheduled run failed")
            self.runs.append(f"failed:{trigger}")

    def catch_up(self) -> bool:
        from tps_batch.run import last_success

        if needs_catch_up(last_success(self.ws), self.clock(), self.ws.run_time,
                          self.ws.timezone):
            self.job("catch-up")
            return True
        return False

    def stop(self, *_args: Any) -> None:
        self.stop_event.set()

    def serve(self, *, poll_seconds: float = 30.0) -> None:
        import schedule

        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.catch_up()
        scheduler = schedule.Scheduler()
        scheduler.every().day.at(self.ws.run_time, self.ws.timezone).do(self.job)
        while not self.stop_event.is_set():
            scheduler.run_pending()
            idle = scheduler.idle_seconds
            self.stop_event.wait(max(0.5, min(poll_seconds, idle if idle is not None else 60)))
