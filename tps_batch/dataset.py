"""Opening the dataset: its URL, its schema version and its migrations (Alembic).

An office keeps one dataset for years while the form changes every fiscal year. So every
command that opens the dataset brings it up to date first:

1. the Alembic revisions under ``tps_batch/migrations`` (structural changes, written by
   hand and never edited once released; the first, ``c067db1``, is the schema of the
   release that had no migrations, so those datasets are stamped, not rebuilt);
2. then the *layout sync*: columns and tables that the workbook layouts ask for and the
   dataset lacks are added (a new field in a new template version is a new nullable
   column; nothing is ever dropped, old columns keep their history). A column whose type
   changes (say whole numbers to decimals) needs a revision of its own: the sync only adds.

A SQLite file is copied to ``tps.sqlite.bak-<old revision>`` before anything changes. A
dataset stamped with a revision this code does not know was made by a newer TPS: it is
refused, never touched. Opening an up-to-date dataset costs one query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tps_batch.errors import TpsError

#: The newest revision this code knows; a test checks it is the script directory's head.
HEAD = "0006"
BASELINE = "c067db1"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_DRIVER_HINT = {
    "postgresql": "pip install 'psycopg[binary]'  (URL: postgresql+psycopg://user@host/db)",
}


def resolve_url(url: str, workspace: Path) -> str:
    """The workspace's dataset URL: empty means ``tps.sqlite`` in the workspace; a relative
    SQLite path is relative to the workspace (not to wherever the command was started);
    ``postgresql://`` means the psycopg 3 driver TPS installs."""
    if not url.strip():
        return f"sqlite:///{Path(workspace) / 'tps.sqlite'}"
    try:
        parsed = sa.engine.make_url(url.strip())
    except sa.exc.ArgumentError:
        raise _bad_url(url, "รูปแบบไม่ถูกต้อง", "not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:") and \
                not Path(db).is_absolute():
            parsed = parsed.set(database=str(Path(workspace) / db))
    elif parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _bad_url(url: str, why_th: str, why_en: str) -> TpsError:
    shown = _mask(url)
    return TpsError(f"database_url ใช้ไม่ได้ ({why_th}): {shown}",
                    f"database_url is unusable ({why_en}): {shown}", exit_code=2)


def _mask(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("@")[-1]


def open_engine(url: str) -> Engine:
    """An engine that has connected once: a wrong, unreachable or driver-less URL is one
    clear :class:`TpsError` (exit 2), never a traceback."""
    # Thai text goes over the wire as UTF-8 whatever the server's default client encoding
    args = {"client_encoding": "utf8"} if url.startswith("postgresql") else {}
    try:
        engine = sa.create_engine(url, connect_args=args)
    except (sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:  # before ArgumentError,
        backend = url.split(":", 1)[0].split("+")[0]                 # its base class
        hint = _DRIVER_HINT.get(backend, "pip install the driver named in the URL")
        raise _bad_url(url, f"ไม่มีไดรเวอร์ฐานข้อมูล: {hint}",
                       f"no database driver ({exc}); {hint}") from None
    except sa.exc.ArgumentError:
        raise _bad_url(url, "รูปแบบไม่ถูกต้อง", "not a database URL") from None
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        db = engine.url.database
        if db and db != ":memory:" and not Path(db).parent.is_dir():
            raise _bad_url(url, f"ไม่มีโฟลเดอร์ {Path(db).parent}",
                           f"folder {Path(db).parent} does not exist")
    try:
        with engine.connect() as conn:
            encoding = (conn.exec_driver_sql("SHOW server_encoding").scalar()
                        if engine.dialect.name == "postgresql" else "UTF8")
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        reason = _reason(exc)
        raise TpsError(f"เชื่อมต่อฐานข้อมูลไม่ได้: {_mask(url)} — {reason}",
                       f"cannot open the database {_mask(url)}: {reason}",
                       exit_code=2) from None
    if str(encoding).upper() not in ("UTF8", "SQL_ASCII"):  # SQL_ASCII keeps bytes as sent
        engine.dispose()
        raise _bad_url(url, f"ฐานข้อมูลใช้รหัสอักขระ {encoding} ซึ่งเก็บภาษาไทยไม่ได้ ต้องเป็น UTF8",
                       f"the database's encoding is {encoding}; Thai text needs UTF8: "
                       "CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0")
    return engine


def _reason(exc: sa.exc.DBAPIError) -> str:
    """The driver's own first line: what a DBA needs, without SQLAlchemy's wrapping."""
    text = str(exc.orig).strip() if exc.orig is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__


def layout_fingerprint(metadata: sa.MetaData) -> str:
    """What the code expects of the dataset's tables and columns, as one hash."""
    parts = sorted(f"{t.name}.{c.name}:{type(c.type).__name__}"
                   for t in metadata.tables.values() for c in t.columns)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@dataclass
class DatasetState:
    url: str
    dialect: str
    revision: str | None          # None: empty dataset, or made by c067db1 (see ``legacy``)
    head: str = HEAD
    legacy: bool = False          # tables of release c067db1, no alembic_version yet
    layout_current: bool = False
    missing: list[str] = field(default_factory=list)  # table or table.column to be added

    @property
    def newer(self) -> bool:
        return self.revision is not None and self.revision not in _known_revisions()

    @property
    def current(self) -> bool:
        return self.revision == HEAD and self.layout_current

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "dialect": self.dialect, "revision": self.revision,
                "head": self.head, "legacy": self.legacy, "newer": self.newer,
                "layout_current": self.layout_current, "missing": self.missing,
                "current": self.current}


def _config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def script_head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_config()).get_current_head())


def _quick_state(engine: Engine, fingerprint: str) -> bool:
    """True when the dataset is at HEAD with the current layout (one round trip each)."""
    try:
        with engine.connect() as conn:
            rev = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if rev != HEAD:
                return False
            got = conn.execute(sa.text("SELECT value FROM dataset_info WHERE key = 'layout'")
                               ).scalar()
            return bool(got == fingerprint)
    except sa.exc.DBAPIError:
        return False


def _missing(conn: Connection, metadata: sa.MetaData) -> list[Any]:
    """Alembic's comparison of the dataset with the code, kept to what may be added."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    ctx = MigrationContext.configure(conn, opts={"compare_type": False,
                                                 "compare_server_default": False})
    keep = []
    for diff in compare_metadata(ctx, metadata):
        if isinstance(diff, tuple) and diff[0] in ("add_table", "add_column"):
            keep.append(diff)
    return keep


def _describe(diff: Any) -> str:
    return diff[1].name if diff[0] == "add_table" else f"{diff[2]}.{diff[3].name}"


def inspect_state(engine: Engine) -> DatasetState:
    """Where the dataset stands, without changing it (``tps db status``)."""
    from tps_batch.store import metadata

    url = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        revision = None
        if "alembic_version" in tables:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        state = DatasetState(url, engine.dialect.name, revision,
                             legacy="alembic_version" not in tables and "submissions" in tables)
        if state.newer:
            return state
        state.missing = [_describe(d) for d in _missing(conn, metadata)]
        state.layout_current = not state.missing
    return state


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One process migrates at a time (two commands may open an old dataset at once)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(7410567)")
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(7410567)")
                conn.commit()
        return
    db = engine.url.database
    if not db or db == ":memory:":
        yield
        return
    from tps_batch.lock import exclusive_fd  # the portable lock (flock, msvcrt or a marker)

    with exclusive_fd(Path(db).with_name(f".{Path(db).name}.migrate-lock"), wait=True):
        yield


def _backup(engine: Engine, revision: str) -> Path | None:
    """A consistent copy of a SQLite dataset (the backup API sees WAL content too)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:" or not Path(db).is_file():
        return None
    import sqlite3

    target = Path(f"{db}.bak-{revision}")
    if target.exists():
        target = Path(f"{db}.bak-{revision}-{dt.datetime.now():%Y%m%d%H%M%S}")
    src = sqlite3.connect(db)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


@dataclass
class UpgradeResult:
    before: str | None
    after: str
    added: list[str] = field(default_factory=list)
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after or bool(self.added)


def upgrade(engine: Engine) -> UpgradeResult:
    """Bring the dataset to HEAD and the current layout; refuse one made by a newer TPS."""
    from alembic import command

    from tps_batch.store import metadata

    fingerprint = layout_fingerprint(metadata)
    with _migration_lock(engine):
        state = inspect_state(engine)
        if state.newer:
            raise TpsError(
                f"ฐานข้อมูลนี้ถูกปรับโครงสร้างโดย TPS รุ่นที่ใหม่กว่า (revision {state.revision}) "
                "กรุณาติดตั้ง TPS รุ่นล่าสุด",
                f"this dataset was migrated by a newer TPS (revision {state.revision}, this "
                f"code knows up to {HEAD}); install the newer TPS", exit_code=2)
        before = BASELINE if state.legacy else state.revision
        result = UpgradeResult(before, HEAD)
        if state.current:
            _write_fingerprint(engine, fingerprint)
            return result
        if before is not None:
            result.backup = _backup(engine, before)
        with engine.connect() as conn:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:  # SQLite rebuilds a table to change it: references must not fire
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            try:
                with conn.begin():
                    cfg = _config(conn)
                    if state.legacy:
                        command.stamp(cfg, BASELINE)
                    command.upgrade(cfg, "head")
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
        with engine.begin() as conn:
            for diff in _missing(conn, metadata):
                result.added.append(_describe(diff))
                if diff[0] == "add_table":
                    diff[1].create(conn)
                else:
                    _add_column(conn, diff[2], diff[3])
        _write_fingerprint(engine, fingerprint)
    return result


def _add_column(conn: Connection, table: str, column: sa.Column) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    if not column.nullable:
        raise TpsError(f"เพิ่มคอลัมน์ {table}.{column.name} ที่ห้ามว่างไม่ได้",
                       f"cannot add the NOT NULL column {table}.{column.name} automatically; "
                       "write an Alembic revision for it", exit_code=2)
    Operations(MigrationContext.configure(conn)).add_column(
        table, sa.Column(column.name, column.type, nullable=True))


def _write_fingerprint(engine: Engine, fingerprint: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM dataset_info WHERE key = 'layout'"))
        conn.execute(sa.text("INSERT INTO dataset_info (key, value) VALUES ('layout', :v)"),
                     {"v": fingerprint})


def connect(url: str, *, migrate: bool = True) -> Engine:
    """The dataset's engine, brought up to date unless ``migrate`` is false."""
    from tps_batch.store import metadata

    engine = open_engine(url)
    if migrate and not _quick_state(engine, layout_fingerprint(metadata)):
        try:
            upgrade(engine)
        except sa.exc.DBAPIError as exc:
            engine.dispose()
            raise _cannot_migrate(url, exc) from None
        except BaseException:
            engine.dispose()
            raise
    return engine


def _cannot_migrate(url: str, exc: sa.exc.DBAPIError) -> TpsError:
    reason = _reason(exc)
    hint_th = hint_en = ""
    if url.startswith("postgresql") and "permission" in reason.casefold():
        hint_th = " (ให้สิทธิ์ GRANT CREATE ON SCHEMA public หรือให้ผู้ใช้นี้เป็นเจ้าของฐานข้อมูล)"
        hint_en = " (GRANT CREATE ON SCHEMA public, or make this role the database's owner)"
    return TpsError(
        f"สร้างหรือปรับรุ่นตารางของฐานข้อมูล {_mask(url)} ไม่ได้: {reason}{hint_th}",
        f"cannot create or upgrade the dataset's tables in {_mask(url)}: {reason}{hint_en}",
        exit_code=2)


def dataset_status(url: str) -> dict[str, Any]:
    """``tps db status``: where the dataset stands, changing nothing."""
    engine = open_engine(url)
    try:
        return inspect_state(engine).to_dict()
    finally:
        engine.dispose()


def upgrade_url(url: str) -> UpgradeResult:
    """``tps db upgrade``."""
    engine = open_engine(url)
    try:
        return upgrade(engine)
    except sa.exc.DBAPIError as exc:
        raise _cannot_migrate(url, exc) from None
    finally:
        engine.dispose()
