"""The consolidated dataset (SQLAlchemy Core; SQLite by default, any URL from settings).

Content tables are generated from the spec's layouts — one per table, named by its key,
with columns named by the column keys of every template version — so the dataset, the
exports and the workbooks never drift apart; :mod:`tps_batch.dataset` adds what a new
layout brings to an existing dataset. Every row carries its ``submission_id``; reports read only the
*current* submission of each project (``submissions.is_current``), older ones stay as
history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tps_batch import indicator_spec, spec
from tps_batch.errors import Finding, has_errors
from tps_batch.read import Submission

_SQL_TYPES: dict[str, Any] = {
    "text": sa.Text, "longtext": sa.Text, "choice": sa.Text, "int": sa.Integer,
    "money": sa.Float, "percent": sa.Float, "decimal": sa.Float, "date": sa.Date,
}
#: header fields kept as ``projects`` columns: those of every layout but the sign-offs
PROJECT_FIELDS = spec.stored_fields()
#: (role key, Thai label) of each sign-off block; the roles are declared in the spec
SIGNOFF_ROLES = tuple((r.key, r.label_th) for r in spec.SIGNOFF_ROLES)

metadata = sa.MetaData()

submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("fiscal_year", sa.Integer, index=True),
    sa.Column("project_code", sa.Text, index=True),
    sa.Column("file_name", sa.Text, nullable=False),
    # one content may stand on several rows: a re-judged resend, a duplicate (revision 0005)
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.BigInteger),
    sa.Column("source", sa.Text, nullable=False),        # inbox | watched | email
    sa.Column("source_path", sa.Text),                  # relative to the workspace
    sa.Column("source_detail", sa.JSON),                # e.g. sender, message-id
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("template_version", sa.Text),
    # status: accepted | accepted-with-warnings | rejected | duplicate (see duplicate_of)
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("report_kind", sa.Text),
    sa.Column("as_of", sa.Date),
    sa.Column("errors", sa.Integer, nullable=False, default=0),
    sa.Column("warnings", sa.Integer, nullable=False, default=0),
    sa.Column("is_current", sa.Boolean, nullable=False, default=False, index=True),
    sa.Column("superseded_by", sa.Integer),
    sa.Column("kept_path", sa.Text),                    # archive/... or rejected/...
    sa.Column("receipt_path", sa.Text),
    sa.Column("annotated_path", sa.Text),
    sa.Column("receipt_done", sa.Boolean, nullable=False, default=False),
    # which workbook: None = the project report; "indicator" = the indicator result report,
    # whose current submission is per (fiscal year, group_name, round)
    sa.Column("kind", sa.Text),
    sa.Column("group_name", sa.Text, index=True),
    sa.Column("round", sa.Text),
    # a file identical to the stored submission it names: its own row and receipt, no content
    sa.Column("duplicate_of", sa.Integer),
)

findings = sa.Table(
    "findings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), index=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("message_th", sa.Text),
    sa.Column("message_en", sa.Text),
    sa.Column("sheet", sa.Text),
    sa.Column("cell", sa.Text),
    sa.Column("table_key", sa.Text),
    sa.Column("row", sa.Integer),
    sa.Column("column_key", sa.Text),
)

files_seen = sa.Table(
    "files_seen", metadata,
    sa.Column("path", sa.Text, primary_key=True),       # watched file, workspace-relative
    sa.Column("size", sa.BigInteger),
    sa.Column("mtime_ns", sa.BigInteger),
    sa.Column("sha256", sa.String(64)),
)


incoming = sa.Table(
    "incoming", metadata,
    # A file another source (e-mail) put in the inbox: where it really came from.
    sa.Column("path", sa.Text, primary_key=True),       # workspace-relative inbox path
    sa.Column("source", sa.Text, nullable=False),       # e.g. "email"
    sa.Column("detail", sa.JSON),                       # sender, message-id, subject, date
    sa.Column("received_at", sa.DateTime),              # when the message arrived
)


def _content_table(name: str, columns: list[tuple[str, str]]) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), index=True),
        sa.Column("project_code", sa.Text, index=True),
        sa.Column("seq", sa.Integer),
        *[sa.Column(key, _SQL_TYPES[typ]) for key, typ in columns],
    )


projects = sa.Table(
    "projects", metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), index=True),
    *[sa.Column(f.key, _SQL_TYPES[f.type]) for f in PROJECT_FIELDS],
)
signoffs = _content_table("signoffs", [("role", "text"), ("name", "text"),
                                        ("position", "text"), ("date", "date")])
CONTENT_TABLES: dict[str, sa.Table] = {
    key: _content_table(key, [(c.key, c.type) for c in spec.stored_columns(key)])
    for key in spec.stored_tables()
}
#: The indicator result report's rows (one per indicator, per report of a group and round).
indicator_results = sa.Table(
    "indicator_results", metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), index=True),
    sa.Column("group_name", sa.Text, index=True),
    sa.Column("round", sa.Text),
    sa.Column("seq", sa.Integer),
    *[sa.Column(c.key, _SQL_TYPES[c.type])
      for c in spec.stored_columns("results", indicator_spec.LAYOUTS)],
)
INDICATOR_KIND = "indicator"
#: Activity photos pasted on a report's attachments sheet, re-encoded as JPEG (revision
#: 0006). Not exported: the data exports are tables of figures and text.
photos = sa.Table(
    "photos", metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), index=True),
    sa.Column("project_code", sa.Text),
    sa.Column("seq", sa.Integer),
    sa.Column("attachment_seq", sa.Integer),  # the attachments line it sits beside, if any
    sa.Column("cell", sa.Text),               # where it was anchored, e.g. "D5"
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("content", sa.LargeBinary, nullable=False),  # JPEG
)
#: Every table of submitted content, in export order.
EXPORT_TABLES = ["submissions", "projects", *CONTENT_TABLES, "signoffs", "indicator_results",
                 "findings"]


def connect(url: str, *, migrate: bool = True) -> Engine:
    """The dataset's engine, its schema brought up to date first (:mod:`tps_batch.dataset`):
    a clear error, never a traceback, for a wrong, unreachable or newer dataset."""
    from tps_batch import dataset

    return dataset.connect(url, migrate=migrate)


DUPLICATE = "duplicate"
#: statuses whose content is stored (and may be current)
STORED = ("accepted", "accepted-with-warnings")


def status_of(items: list[Finding]) -> str:
    if has_errors(items):
        return "rejected"
    return "accepted-with-warnings" if items else "accepted"


@dataclass
class Incoming:
    """One file about to be stored: where it came from and what reading made of it."""

    file_name: str
    sha256: str
    size: int
    source: str
    source_path: str
    received_at: dt.datetime
    submission: Submission
    fiscal_year: int
    source_detail: dict[str, Any] | None = None
    duplicate_of: dict[str, Any] | None = None  # the stored row this file repeats


def insert_many(conn: Connection, items: list[Incoming],
                kept_path: Any = None) -> list[dict[str, Any]]:
    """Insert a batch of submissions with their findings and content; returns the
    submissions' rows as stored (with ``id`` and ``kept_path``), in the items' order.

    One INSERT per table per batch (not per file): the nightly run's cost stays close to
    the cost of reading the files. ``kept_path(sid, item)`` names each kept original, which
    depends on the id the database gives.
    """
    if not items:
        return []
    heads = []
    for item in items:
        sub, values = item.submission, item.submission.values
        heads.append({
            "fiscal_year": values.get("fiscal_year") or item.fiscal_year,
            "project_code": values.get("project_code"), "file_name": item.file_name,
            "sha256": item.sha256, "size": item.size, "source": item.source,
            "source_path": item.source_path, "source_detail": item.source_detail,
            "received_at": item.received_at, "template_version": sub.template_version,
            "status": status_of(sub.findings), "report_kind": values.get("report_kind"),
            "as_of": values.get("as_of"),
            "errors": sum(f.severity == "error" for f in sub.findings),
            "warnings": sum(f.severity == "warning" for f in sub.findings),
            "is_current": False, "kept_path": None, "receipt_done": False,
            "duplicate_of": None, **_indicator_head(sub)})
        if item.duplicate_of is not None:  # the stored one's identity, none of its content
            prev = item.duplicate_of
            heads[-1].update(
                status=DUPLICATE, duplicate_of=prev["id"], fiscal_year=prev["fiscal_year"],
                project_code=prev["project_code"], template_version=prev["template_version"],
                report_kind=prev["report_kind"], as_of=prev["as_of"], kind=prev.get("kind"),
                group_name=prev.get("group_name"), round=prev.get("round"))
    sids = [r[0] for r in conn.execute(
        submissions.insert().returning(submissions.c.id, sort_by_parameter_order=True), heads)]
    for sid, item, head in zip(sids, items, heads, strict=True):
        head["id"] = sid
        if kept_path is not None:
            head["kept_path"] = kept_path(sid, item)
    if kept_path is not None:
        conn.execute(submissions.update().where(submissions.c.id == sa.bindparam("sid"))
                     .values(kept_path=sa.bindparam("kp")),
                     [{"sid": h["id"], "kp": h["kept_path"]} for h in heads])
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COLUMNS}
    stored, reports = [], []
    for sid, item, head in zip(sids, items, heads, strict=True):
        sub = item.submission
        rows["findings"] += [(sid, f.code, f.severity, f.message_th, f.message_en, f.sheet,
                              f.cell, f.table, f.row, f.column) for f in sub.findings]
        if head["status"] in ("rejected", DUPLICATE):
            continue
        if head["kind"] == INDICATOR_KIND:
            rows["indicator_results"] += [
                (sid, head["group_name"], head["round"], i + 1,
                 *(r.get(k) for k in _COLUMNS["indicator_results"][4:]))
                for i, r in enumerate(sub.tables.get("results", ()))]
            reports.append((head["fiscal_year"], head["group_name"], head["round"]))
        else:
            _content_rows(rows, sid, sub)
            stored.append((head["fiscal_year"], head["project_code"]))
    for name, batch in rows.items():
        if batch:
            _bulk_insert(conn, metadata.tables[name], _COLUMNS[name], batch)
    refresh_current(conn, stored)
    refresh_current_reports(conn, reports)
    return heads


def _indicator_head(sub: Submission) -> dict[str, Any]:
    if not sub.is_indicator_report:
        return {"kind": None, "group_name": None, "round": None}
    return {"kind": INDICATOR_KIND, "group_name": sub.values.get("group"),
            "round": sub.values.get("round")}


_SEQ_KEYS = ("submission_id", "project_code", "seq")
#: the columns each batch insert fills, in the order _content_rows builds its tuples
_COLUMNS: dict[str, list[str]] = {
    "findings": ["submission_id", "code", "severity", "message_th", "message_en", "sheet",
                 "cell", "table_key", "row", "column_key"],
    "projects": ["submission_id", *(f.key for f in PROJECT_FIELDS)],
    "signoffs": [*_SEQ_KEYS, "role", "name", "position", "date"],
    **{key: [c.name for c in table.columns] for key, table in CONTENT_TABLES.items()},
    "indicator_results": [c.name for c in indicator_results.columns],
    "photos": [c.name for c in photos.columns],
}
_CONTENT_KEYS = {key: [c for c in cols if c not in _SEQ_KEYS] for key, cols in _COLUMNS.items()
                 if key in CONTENT_TABLES}


def _bulk_insert(conn: Connection, table: sa.Table, columns: list[str],
                 rows: list[tuple[Any, ...]]) -> None:
    """executemany of ready-made tuples, with the columns' own bind processors applied.

    On SQLite (qmark style) this skips SQLAlchemy's per-row statement parameter building,
    which costs more than the insert itself at tens of thousands of rows a night; other
    databases take the ordinary Core path.
    """
    dialect = conn.dialect
    if dialect.paramstyle != "qmark":
        conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])
        return
    procs = [(i, proc) for i, name in enumerate(columns)
             if (proc := table.c[name].type.bind_processor(dialect)) is not None]
    if procs:
        fixed = []
        for row in rows:
            values = list(row)
            for i, proc in procs:
                values[i] = proc(values[i])
            fixed.append(tuple(values))
        rows = fixed
    prep = dialect.identifier_preparer
    sql = (f"INSERT INTO {prep.format_table(table)} ({', '.join(map(prep.quote, columns))}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    conn.exec_driver_sql(sql, rows)


def _content_rows(rows: dict[str, list[tuple[Any, ...]]], sid: int, sub: Submission) -> None:
    values = sub.values
    code = values.get("project_code")
    rows["projects"].append((sid, *(values.get(f.key) for f in PROJECT_FIELDS)))
    rows["signoffs"] += [(sid, code, i + 1, role.key, values.get(role.name_field),
                          values.get(role.position_field), values.get(role.date_field))
                         for i, role in enumerate(spec.SIGNOFF_ROLES)]
    for key, keys in _CONTENT_KEYS.items():
        rows[key] += [(sid, code, i + 1, *(r.get(k) for k in keys))
                      for i, r in enumerate(sub.tables.get(key, ()))]
    rows["photos"] += [(sid, code, i + 1, p.attachment, p.cell, p.width, p.height, p.data)
                       for i, p in enumerate(sub.photos)]


def refresh_current(conn: Connection, projects_: list[tuple[int, str | None]]) -> None:
    """The current submission of a project is its accepted one with the latest
    (as-of date, received time, id); the others point to it as superseded."""
    wanted = {(fy, code) for fy, code in projects_ if code}
    if not wanted:
        return
    s = submissions
    found: dict[tuple[int, str], list[Any]] = {}
    codes = sorted({code for _fy, code in wanted})
    for i in range(0, len(codes), 500):
        for r in conn.execute(sa.select(s.c.id, s.c.fiscal_year, s.c.project_code, s.c.as_of,
                                        s.c.received_at)
                              .where(s.c.project_code.in_(codes[i:i + 500]),
                                     s.c.status.in_(STORED))):
            if (r.fiscal_year, r.project_code) in wanted:
                found.setdefault((r.fiscal_year, r.project_code), []).append(r)
    _mark_current(conn, found.values())


def _mark_current(conn: Connection, groups: Iterable[list[Any]]) -> None:
    """In each group of stored submissions of one thing (a project, or a group's report
    for a round), the one with the latest (as-of date, received time, id) is current and
    the others point to it as superseded."""
    updates = []
    for group in groups:
        best = max(group, key=lambda r: (r.as_of or dt.date.min, r.received_at, r.id)).id
        updates += [{"sid": r.id, "cur": r.id == best, "sup": None if r.id == best else best}
                    for r in group]
    if updates:
        s = submissions
        conn.execute(s.update().where(s.c.id == sa.bindparam("sid"))
                     .values(is_current=sa.bindparam("cur"), superseded_by=sa.bindparam("sup")),
                     updates)


def refresh_current_reports(conn: Connection,
                            reports: list[tuple[int, str | None, str | None]]) -> None:
    """The current indicator result report of a (fiscal year, group, round) is its
    accepted one with the latest (as-of date, received time, id): a resubmission
    supersedes the whole report, as a project's does."""
    wanted = {r for r in reports if r[1] and r[2]}
    if not wanted:
        return
    s = submissions
    found: dict[tuple[int, str, str], list[Any]] = {}
    groups = sorted({g for _fy, g, _r in wanted})
    for r in conn.execute(sa.select(s.c.id, s.c.fiscal_year, s.c.group_name, s.c.round,
                                    s.c.as_of, s.c.received_at)
                          .where(s.c.kind == INDICATOR_KIND, s.c.group_name.in_(groups),
                                 s.c.status.in_(STORED))):
        k = (r.fiscal_year, r.group_name, r.round)
        if k in wanted:
            found.setdefault(k, []).append(r)
    _mark_current(conn, found.values())


def known_hashes(conn: Connection, hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For each of these file hashes already stored, the submission it stands for: the
    latest judged one (a duplicate only points at it), with ``seen`` — the (source path,
    time received) of every row of that content, so a file a killed run left behind is
    told apart from the same content sent again (dedupe and crash recovery)."""
    wanted = list(set(hashes))
    out: dict[str, dict[str, Any]] = {}
    seen: dict[str, set[tuple[Any, Any]]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for row in conn.execute(sa.select(submissions).where(submissions.c.sha256.in_(chunk))
                                .order_by(submissions.c.id)):
            seen.setdefault(row.sha256, set()).add((row.source_path, row.received_at))
            if row.status != DUPLICATE:
                out[row.sha256] = dict(row._mapping)
    for sha, row in out.items():
        row["seen"] = seen[sha]
    return out


runs = sa.Table(
    "runs", metadata,
    # One nightly cycle (or a stopped attempt): the run log `tps status` shows.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),
    sa.Column("outcome", sa.Text),          # ok | partial | failed | stopped | running
    sa.Column("trigger", sa.Text),          # manual | schedule | catch-up
    sa.Column("counts", sa.JSON),
    sa.Column("error", sa.Text),
    sa.Column("findings", sa.JSON),         # what stopped it (e.g. the plan's findings)
)

plan_versions = sa.Table(
    "plan_versions", metadata,
    # Every version of plan.xlsx a command has seen, so past reports use the plan of their day.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("first_seen_at", sa.DateTime, nullable=False, index=True),
    sa.Column("file_name", sa.Text),
    sa.Column("size", sa.BigInteger),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

dataset_info = sa.Table(
    "dataset_info", metadata,
    # Facts about the dataset itself (e.g. the layout fingerprint, see tps_batch.dataset).
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text),
)

mail_messages = sa.Table(
    "mail_messages", metadata,
    # One e-mail taken from the mailbox: recorded so that no rerun or crash takes it twice.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("message_id", sa.Text, nullable=False, unique=True),  # or sha256:<raw message>
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("received_at", sa.DateTime),
    sa.Column("files", sa.JSON),                        # [{name, saved, staged, size, reason}]
    # status: staged (files not yet in the inbox) | saved | no-attachments | auto-submitted
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("handled_at", sa.DateTime, nullable=False),
    sa.Column("moved_at", sa.DateTime),                 # left the mailbox folder
)

mail_sent = sa.Table(
    "mail_sent", metadata,
    # Mail the SMTP server accepted (or could never be sent): never sent again.
    sa.Column("key", sa.Text, primary_key=True),        # receipt:<id> | reminder:<day>:<group>
    sa.Column("kind", sa.Text, nullable=False),         # receipt | reminder
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), index=True),
    sa.Column("group_name", sa.Text),
    sa.Column("day", sa.Date),
    sa.Column("recipient", sa.Text),
    sa.Column("message_id", sa.Text),
    sa.Column("status", sa.Text, nullable=False),       # sent | no-recipient
    sa.Column("sent_at", sa.DateTime, nullable=False),
)
