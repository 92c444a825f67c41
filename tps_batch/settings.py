"""Workspace settings, declared once as data (name, type, default, help) and validated on load.

The same declarations write the commented ``tps.toml`` of ``tps init``, check a loaded
file (unknown keys, wrong types, out-of-range values all named with their key), and
document themselves. Paths in the file are relative to the workspace folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tps_batch.errors import TpsError

SETTINGS_FILE = "tps.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    type: str  # str, int, float, bool, path, paths, choice, time
    default: Any
    help_th: str
    help_en: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None


def current_fiscal_year() -> int:
    today = dt.date.today()
    return today.year + 543 + (1 if today.month >= 10 else 0)


SETTINGS: tuple[Setting, ...] = (
    Setting("office_name", "str", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษา",
            "ชื่อสำนักงาน (แสดงบนรายงานทุกฉบับ)", "Office name, printed on every report"),
    Setting("fiscal_year", "int", None, "ปีงบประมาณที่ติดตาม (พ.ศ.)",
            "Fiscal year being followed (Buddhist Era); default: the current one", minimum=2400),
    Setting("plan", "path", "plan.xlsx", "ไฟล์แผนปฏิบัติการ", "The action plan workbook"),
    Setting("inbox", "path", "inbox", "โฟลเดอร์รับไฟล์ (ไฟล์จะถูกย้ายออกเมื่ออ่านแล้ว)",
            "Drop folder; files are moved out once handled"),
    Setting("settle_s", "float", 60.0, "รอให้ไฟล์นิ่งก่อนอ่าน (วินาที): ไฟล์ที่เพิ่งเปลี่ยนจะรออ่านรอบถัดไป",
            "Settle time (seconds): a file changed more recently waits for the next run, "
            "so a copy still in progress is never read half-written", minimum=0),
    Setting("watched", "paths", [], "โฟลเดอร์ที่กลุ่มแก้ไขไฟล์อยู่ (ไฟล์คงอยู่ที่เดิม)",
            "Watched folders: files stay, changed files are read again"),
    Setting("archive", "path", "archive", "โฟลเดอร์เก็บต้นฉบับที่รับแล้ว",
            "Where originals of stored submissions are kept"),
    Setting("rejected", "path", "rejected", "โฟลเดอร์เก็บต้นฉบับที่ไม่รับ",
            "Where originals of rejected submissions are kept"),
    Setting("workbooks", "path", "workbooks", "โฟลเดอร์แบบฟอร์มที่สร้างให้กลุ่ม",
            "Where generated blank workbooks are written"),
    Setting("output", "path", "output", "โฟลเดอร์รายงาน", "Output folder for reports"),
    Setting("database_url", "str", "", "ฐานข้อมูล (ว่าง = SQLite ในโฟลเดอร์งาน)",
            "SQLAlchemy URL; empty means the SQLite file tps.sqlite in the workspace"),
    Setting("db_lock_wait_s", "float", 30.0,
            "รอฐานข้อมูล SQLite ที่โปรแกรมอื่นล็อกไว้นานสุดกี่วินาที แล้วจึงหยุด",
            "How long to wait for a SQLite dataset another program holds locked (seconds)",
            minimum=0),
    Setting("run_time", "time", "02:00", "เวลาทำงานประจำคืน (HH:MM)", "Nightly run time, HH:MM"),
    Setting("timezone", "zone", "Asia/Bangkok", "เขตเวลา", "Time zone of run_time"),
    Setting("pdf_engine", "choice", "chromium",
            "โปรแกรมสร้าง PDF (chromium: ข้อความคัดลอกได้ถูกต้อง)",
            "PDF engine (chromium: text copies out exactly; weasyprint: no browser needed)",
            choices=("chromium", "weasyprint", "none")),
    Setting("macros", "choice", "warn", "ไฟล์ที่มีแมโคร: รับ/เตือน/ไม่รับ",
            "Workbooks with macros: accept, warn (read data, ignore macros) or reject",
            choices=("accept", "warn", "reject")),
    Setting("max_file_mb", "float", 20.0, "ขนาดไฟล์สูงสุด (MB)", "Largest file accepted (MB)",
            minimum=0.01),
    Setting("max_zip_members", "int", 1000, "จำนวนส่วนประกอบสูงสุดในไฟล์",
            "Most parts (zip members) a workbook may have", minimum=1),
    Setting("max_member_mb", "float", 200.0, "ขนาดสูงสุดของส่วนประกอบเมื่อขยาย (MB)",
            "Largest uncompressed size of one part (MB)", minimum=0.01),
    Setting("max_ratio", "float", 200.0, "อัตราการบีบอัดสูงสุด",
            "Highest compression ratio of a part", minimum=1),
    Setting("parse_timeout_s", "float", 30.0, "เวลาอ่านสูงสุดต่อไฟล์ (วินาที)",
            "Time limit for reading one file (seconds)", minimum=0.1),
    Setting("parse_memory_mb", "int", 1024, "หน่วยความจำสูงสุดต่อไฟล์ (MB)",
            "Memory limit of a reading worker (MB)", minimum=64),
    Setting("max_photos", "int", 30, "จำนวนภาพกิจกรรมสูงสุดที่พิมพ์จากสมุดงานหนึ่งไฟล์",
            "Most activity photos printed from one workbook's attachments sheet", minimum=0),
    Setting("photo_max_megapixels", "float", 50.0, "ขนาดภาพกิจกรรมสูงสุด (ล้านจุด)",
            "Largest activity photo decoded (megapixels); a larger one is left out with a "
            "warning", minimum=0.01),
    Setting("workers", "int", 2, "จำนวนตัวอ่านไฟล์พร้อมกัน", "Parallel reading workers",
            minimum=1),
    Setting("imap_host", "str", "", "เซิร์ฟเวอร์ IMAP (ว่าง = ไม่รับไฟล์ทางอีเมล)",
            "IMAP server of the office mailbox; empty: no e-mail intake"),
    Setting("imap_port", "int", 993, "พอร์ต IMAP", "IMAP port", minimum=1),
    Setting("imap_security", "choice", "ssl", "การเข้ารหัส IMAP", "IMAP security",
            choices=("ssl", "starttls", "plain")),
    Setting("imap_user", "str", "", "ชื่อผู้ใช้ IMAP", "IMAP user"),
    Setting("imap_password_env", "str", "TPS_IMAP_PASSWORD",
            "ชื่อตัวแปรสภาพแวดล้อมที่เก็บรหัสผ่าน IMAP (ห้ามใส่รหัสผ่านในไฟล์นี้)",
            "Environment variable holding the IMAP password (never put it in this file)"),
    Setting("imap_password_file", "path", "", "หรือไฟล์ที่เก็บรหัสผ่าน IMAP",
            "Or a file holding the IMAP password"),
    Setting("imap_folder", "str", "INBOX", "โฟลเดอร์อีเมลที่รับไฟล์", "Mailbox folder to read"),
    Setting("imap_processed_folder", "str", "TPS-processed",
            "โฟลเดอร์ที่ย้ายอีเมลไปเมื่อรับไฟล์แล้ว", "Folder processed messages move to"),
    Setting("smtp_host", "str", "", "เซิร์ฟเวอร์ SMTP (ว่าง = ไม่ส่งอีเมล)",
            "SMTP server for receipts and reminders; empty: no mail is sent"),
    Setting("smtp_port", "int", 587, "พอร์ต SMTP", "SMTP port", minimum=1),
    Setting("smtp_security", "choice", "starttls", "การเข้ารหัส SMTP", "SMTP security",
            choices=("ssl", "starttls", "plain")),
    Setting("smtp_user", "str", "", "ชื่อผู้ใช้ SMTP (ว่าง = ไม่ต้องล็อกอิน)",
            "SMTP user; empty: no login"),
    Setting("smtp_password_env", "str", "TPS_SMTP_PASSWORD",
            "ชื่อตัวแปรสภาพแวดล้อมที่เก็บรหัสผ่าน SMTP", "Environment variable holding the "
            "SMTP password"),
    Setting("smtp_password_file", "path", "", "หรือไฟล์ที่เก็บรหัสผ่าน SMTP",
            "Or a file holding the SMTP password"),
    Setting("mail_from", "str", "", "ที่อยู่อีเมลผู้ส่ง", "Sender address of receipts and "
            "reminders"),
    Setting("far_above_factor", "float", 3.0, "เตือนเมื่อผลที่ได้เกินเป้าหมายกี่เท่า",
            "Warn when reached exceeds planned by this factor", minimum=1),
    Setting("due_soon_days", "int", 14, "แสดงว่าใกล้ถึงกำหนดเมื่อเหลือไม่เกินกี่วัน",
            "An indicator deadline this many days away or fewer shows as due soon", minimum=0),
    Setting("indicator_margin_percent", "float", 10.0,
            "ตัวชี้วัดเป็นไปตามแผนเมื่อผลไม่ต่ำกว่าเป้าหมายเฉลี่ยตามเวลาถึงรอบนั้น หักส่วนเผื่อร้อยละเท่านี้",
            "An indicator is on track when its result is at least the target pro-rated to "
            "its round's deadline, less this margin (%)", minimum=0),
    Setting("disbursement_target", "choice", "quarter-end",
            "เทียบการเบิกจ่ายกับเป้าหมายของไตรมาสที่วันที่ข้อมูลอยู่: quarter-end = เป้าหมาย ณ สิ้นไตรมาส, "
            "pro-rated = เฉลี่ยตามจำนวนวันที่ผ่านไปในไตรมาส",
            "Disbursement is compared with the target of the quarter the as-of falls in: "
            "quarter-end = that quarter's cumulative target; pro-rated = from the previous "
            "quarter's target to this one's, by the days gone in the quarter",
            choices=("quarter-end", "pro-rated")),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass
class Settings:
    """Loaded, validated settings of one workspace. Paths are absolute."""

    workspace: Path
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def path(self, name: str) -> Path:
        cache = self.__dict__.setdefault("_paths", {})
        if name not in cache:  # resolve() touches the disk; asked thousands of times a run
            cache[name] = (self.workspace / self.values[name]).resolve()
        return cache[name]

    @property
    def db_url(self) -> str:
        """The dataset's URL; a relative SQLite path is relative to the workspace."""
        from tps_batch.dataset import resolve_url

        url = resolve_url(self.values["database_url"], self.workspace)
        if url.startswith("sqlite") and "timeout=" not in url:  # how long a locked file
            wait = self.values.get("db_lock_wait_s", 30.0)       # is waited for
            url += f"{'&' if '?' in url else '?'}timeout={wait:g}"
        return url

    @property
    def output_dir(self) -> Path:
        """Outputs of the fiscal year being followed: output/<fiscal year>/."""
        return self.path("output") / str(self.fiscal_year)


def _coerce(setting: Setting, value: Any) -> Any:
    name, typ = setting.name, setting.type
    bad = TpsError(f"ค่าตั้ง {name} ไม่ถูกต้อง: {value!r} ({setting.help_th})",
                   f"setting {name} is invalid: {value!r} (expected {typ}: {setting.help_en})")
    if typ in ("str", "path", "zone") and not isinstance(value, str):
        raise bad
    if typ in ("str", "path"):
        if not isinstance(value, str):
            raise bad
    elif typ == "paths":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
    elif typ == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
    elif typ == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        value = float(value)
    elif typ == "bool":
        if not isinstance(value, bool):
            raise bad
    elif typ == "choice":
        if value not in setting.choices:
            raise TpsError(f"ค่าตั้ง {name} ต้องเป็นหนึ่งใน {', '.join(setting.choices)}",
                           f"setting {name} must be one of {', '.join(setting.choices)}, "
                           f"not {value!r}")
    elif typ == "time":
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise bad
    elif typ == "zone":
        try:
            ZoneInfo(str(value))
        except (ValueError, ZoneInfoNotFoundError):
            raise bad from None
    if setting.minimum is not None and value < setting.minimum:
        raise TpsError(f"ค่าตั้ง {name} ต้องไม่น้อยกว่า {setting.minimum}",
                       f"setting {name} must be at least {setting.minimum}, not {value}")
    return value


def from_mapping(workspace: Path, data: dict[str, Any], *, source: str = SETTINGS_FILE) -> Settings:
    secrets = sorted(k for k in data if "password" in k and k not in _BY_NAME)
    if secrets:
        raise TpsError(f"{source}: ห้ามเก็บรหัสผ่านใน {source} ({', '.join(secrets)}) ให้ใช้ "
                       "ตัวแปรสภาพแวดล้อมหรือไฟล์รหัสผ่าน",
                       f"{source}: passwords must not be stored here ({', '.join(secrets)}); "
                       "use imap_password_env / imap_password_file (smtp_ likewise)",
                       exit_code=2)
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        raise TpsError(f"{source}: ไม่รู้จักค่าตั้ง {', '.join(unknown)}",
                       f"{source}: unknown setting(s) {', '.join(unknown)}", exit_code=2)
    values: dict[str, Any] = {}
    for s in SETTINGS:
        if s.name in data:
            values[s.name] = _coerce(s, data[s.name])
        else:
            values[s.name] = list(s.default) if isinstance(s.default, list) else s.default
    if values["fiscal_year"] is None:
        values["fiscal_year"] = current_fiscal_year()
    return Settings(workspace.resolve(), values)


def load(workspace: Path | str | None = None) -> Settings:
    """Load ``tps.toml`` of a workspace; a missing or broken file is fatal (exit 2)."""
    ws = Path(workspace or os.getcwd())
    path = ws / SETTINGS_FILE
    if not path.is_file():
        raise TpsError(f"ไม่พบ {SETTINGS_FILE} ในโฟลเดอร์ {ws} (สร้างด้วย tps init)",
                       f"no {SETTINGS_FILE} in {ws}; create a workspace with `tps init`",
                       exit_code=2)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TpsError(f"อ่าน {SETTINGS_FILE} ไม่ได้: {exc}",
                       f"cannot parse {SETTINGS_FILE}: {exc}", exit_code=2) from None
    return from_mapping(ws, data)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def render_toml(overrides: dict[str, Any] | None = None) -> str:
    """A commented tps.toml: every setting with its help, defaults commented out."""
    overrides = overrides or {}
    lines = ["# TPS batch — ค่าตั้งของโฟลเดอร์งาน (workspace settings)",
             "# แก้ค่าแล้วเอาเครื่องหมาย # ออก / uncomment a line to change it.", ""]
    for s in SETTINGS:
        lines.append(f"# {s.help_th} / {s.help_en}")
        if s.choices:
            lines.append(f"# ({' | '.join(s.choices)})")
        if s.name in overrides:
            lines.append(f"{s.name} = {_toml_value(overrides[s.name])}")
        elif s.default is None:
            lines.append(f"# {s.name} = {current_fiscal_year()}")
        else:
            lines.append(f"# {s.name} = {_toml_value(s.default)}")
        lines.append("")
    return "\n".join(lines)
