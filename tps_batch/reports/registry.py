"""The one list of reports.

``generate``, ``tps report --only`` and its ``--help``, and the dashboard's links all
iterate this registry, so adding a report is one module that calls :func:`register` and
one template: nothing else names it. A report's rows are computed through its run's
:class:`RunContext`, at most once a run and only when a wanted report asks for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tps_batch.errors import TpsError

if TYPE_CHECKING:
    from tps_batch.reports.data import ReportData
    from tps_batch.settings import Settings

FORMATS = ("xlsx", "html", "pdf", "json")


@dataclass(frozen=True)
class Report:
    """One report: what it is called, how its rows are built and how they are shown.

    ``rows`` is the row builder (its result is kept for the run: see
    :meth:`RunContext.rows`). ``page`` gives the HTML template's variables (default:
    ``{"rows": <rows>}``) and ``sheets`` the Excel workbook's sheets (``XSheet`` list); a
    report without ``template`` has no page, one without ``sheets`` no workbook. A report
    that writes its own files (the per-project pages) gives ``write(writer, ctx)`` and the
    ``folder`` they go to. ``dashboard`` marks the page that links the others: it is
    written after them. ``json`` gives the JSON document written as ``<stem>.json`` (its
    keys are documented in the README). ``context`` makes the report from a run context of
    its own (the same office, another as-of: the six-month report): given the run's, it
    returns that one, or None when there is nothing to report yet (no file is written).
    """

    name: str
    title_th: str
    title_en: str
    rows: Callable[[RunContext], Any] | None = None
    template: str | Path | None = None  # a name in templates/, or a template file of its own
    page: Callable[[RunContext], dict[str, Any]] | None = None
    sheets: Callable[[RunContext], list[Any]] | None = None
    write: Callable[[Any, RunContext], None] | None = None
    folder: str | None = None
    stem: str | None = None  # file name without suffix, when not ``name``
    formats: tuple[str, ...] = FORMATS
    dashboard: bool = False
    json: Callable[[RunContext], Any] | None = None
    context: Callable[[RunContext], RunContext | None] | None = None

    @property
    def title(self) -> str:
        return f"{self.title_th} ({self.title_en})"

    @property
    def file_stem(self) -> str:
        return self.stem or self.name

    def files(self, out: Path) -> list[str]:
        """This report's outputs present in ``out``, as links relative to it."""
        found = [f"{self.file_stem}.{ext}" for ext in ("html", "xlsx", "pdf", "json")
                 if ext in self.formats and (out / f"{self.file_stem}.{ext}").is_file()]
        if self.folder and (out / self.folder).is_dir():
            found.append(f"{self.folder}/")
        return found


_REGISTRY: dict[str, Report] = {}


def register(report: Report) -> Report:
    """Add ``report`` (after those registered before it); a name can be taken only once."""
    if report.name in _REGISTRY:
        raise ValueError(f"report {report.name!r} is already registered")
    if not report.name or "," in report.name or report.name != report.name.strip():
        raise ValueError(f"report name {report.name!r} cannot be given to --only")
    bad = [f for f in report.formats if f not in FORMATS]
    if bad:
        raise ValueError(f"report {report.name!r}: unknown formats {bad}")
    _REGISTRY[report.name] = report
    return report


def unregister(name: str) -> None:
    """Remove a report (for tests and plug-ins that registered one for a while)."""
    _REGISTRY.pop(name, None)


@contextmanager
def registered(report: Report) -> Iterator[Report]:
    """``report`` is registered inside the ``with`` block only."""
    register(report)
    try:
        yield report
    finally:
        unregister(report.name)


def _ensure_builtins() -> None:
    # the built-in reports are declared by the package; importing it registers them
    import tps_batch.reports  # noqa: F401


def reports() -> list[Report]:
    """Every registered report, in registration order."""
    _ensure_builtins()
    return list(_REGISTRY.values())


def names() -> list[str]:
    return [r.name for r in reports()]


def get(name: str) -> Report:
    _ensure_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise unknown([name]) from None


def unknown(bad: list[str]) -> TpsError:
    """The usage error for report names that are not registered."""
    return TpsError(f"ไม่รู้จักรายงาน {', '.join(bad)} (เลือกจาก {', '.join(names())})",
                    f"unknown report(s) {', '.join(bad)}; choose from {', '.join(names())}",
                    exit_code=2)


def select(only: tuple[str, ...] | list[str] = ()) -> list[Report]:
    """The reports ``only`` names (all when empty) in the order they are written: the
    dashboard last, since it links what the others wrote."""
    everything = reports()
    bad = [n for n in only if n not in _REGISTRY]
    if bad:
        raise unknown(bad)
    wanted = [r for r in everything if not only or r.name in only]
    return sorted(wanted, key=lambda r: r.dashboard)


@dataclass
class RunContext:
    """One run of ``generate``: its settings, data and output folder, and every
    aggregation made from them, each computed on first use and kept for the run."""

    ws: Settings
    data: ReportData
    out: Path
    computed: list[str] = field(default_factory=list)  # keys, in the order computed
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` the first time ``key`` is asked for in this run, then its result."""
        if key not in self._memo:
            self._memo[key] = compute()
            self.computed.append(key)
        return self._memo[key]

    def rows(self, name: str) -> Any:
        """The rows of the report called ``name``, built once a run."""
        report = get(name)
        if report.rows is None:
            raise ValueError(f"report {name!r} has no row builder")
        return self.once(name, lambda: report.rows(self))
