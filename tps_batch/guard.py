"""Container checks that run before any spreadsheet parser sees a submitted file.

Parsers are large native libraries fed with untrusted bytes, so the cheap, certain
rejections happen here, in the main process, using only the standard library:
the file type by its magic bytes (never by its extension), the zip central
directory (member count, each member's declared size and compression ratio), macro
parts, and the prolog of every XML part (a DOCTYPE or ENTITY is how billion-laughs
and XXE attacks start; no real workbook has one).

Division of labour: a zip's declared sizes can lie. The guard reads only the
central directory and at most 64 KiB of each XML part, so it stops the
honest-header bombs and the entity attacks cheaply, but a member whose header
understates its size passes. That is why the parser itself must run in a
memory- and time-limited worker process (:mod:`tps_batch.workers`); the guard is
the fast first gate, the worker is the wall.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tps_batch import ole
from tps_batch.errors import Finding, has_errors, make

MIB = 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_RATIO_MIN_BYTES = MIB  # small parts legitimately compress very well (repeated styles, empty cells)
_XML_HEAD = 65536  # how much of each XML part is inflated to look for a DTD, at most
_XML_FIRST = 512  # the first read (a prolog is ~60 bytes); more only while it has not ended
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_MAX_MEMBER_FINDINGS = 5  # one bomb with 1000 bad parts still gets a readable receipt
_MACRO_POLICIES = ("warn", "reject", "accept")
_BIG_DIRECTORY = 256 * 1024  # an xlsx's central directory is a few KB


@dataclass(frozen=True)
class GuardLimits:
    """Limits for one submitted file; the settings file may override each."""

    max_file_mb: float = 20
    max_members: int = 1000
    max_member_mb: float = 200
    max_ratio: float = 200


@dataclass
class GuardResult:
    """What the guard found, and what it thinks the file is (for wording and stats)."""

    findings: list[Finding] = field(default_factory=list)
    kind: str = "unknown"
    #: the file's bytes as the guard read them, so the parser reads the very same bytes
    #: (and the file is opened once); None unless the file is a zip the guard passed
    data: bytes | None = field(default=None, repr=False, compare=False)
    #: sha256 of the bytes read (None if the file was too large to read, or unreadable) and
    #: the size the guard found (None if unreadable): let the caller tell whether these are
    #: the bytes it hashed itself
    sha256: str | None = None
    size: int | None = None

    @property
    def ok(self) -> bool:
        """True when no error was found, so a (sandboxed) parser may open the file."""
        return not has_errors(self.findings)


def inspect(path: Path, limits: GuardLimits, *, macros: str = "warn") -> GuardResult:
    """Check one submitted file without handing it to a parser and without extracting it.

    ``macros`` is the office's policy for VBA: ``"warn"`` (accept, with a warning),
    ``"reject"`` or ``"accept"`` (silently). Never raises for bad input: every
    problem becomes a finding.
    """
    if macros not in _MACRO_POLICIES:
        raise ValueError(f"macros must be one of {_MACRO_POLICIES}, not {macros!r}")
    path = Path(path)
    name = path.name
    limit = int(limits.max_file_mb * MIB)
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            # the whole file, once (it is small or it is refused): every check below and
            # the parser work on these bytes, not on a file that may change meanwhile
            if size > limit:
                data = fh.read(8)
            else:  # read(size + 1), not read(limit + 1): a 20 MB buffer per file costs
                data = fh.read(size + 1)
                if len(data) > size:  # it grew since fstat: read on, up to the limit
                    data += fh.read(limit + 1 - len(data))
    except OSError as exc:
        return GuardResult([make("corrupt-workbook", file=name, detail=exc.strerror or str(exc))])
    if not data:
        return GuardResult([make("empty-file", file=name)], "empty",
                           sha256=hashlib.sha256(b"").hexdigest(), size=0)
    kind = _kind_from_magic(data[:8])
    if size > limit or len(data) > limit:
        return GuardResult([make("file-too-large", file=name, size_mb=_mb(max(size, len(data))),
                                 limit_mb=_num(limits.max_file_mb))], kind,
                           size=max(size, len(data)))
    try:
        if kind == "ole":
            result = _inspect_ole(data, path)
        elif kind == "zip":
            result = _inspect_zip(data, path, limits, macros)
            if result.ok:
                result.data = data
        elif kind == "empty-zip":
            result = _not_spreadsheet(path, kind, "an empty zip archive")
        else:
            kind, what = _sniff_other(data[:4096])
            result = _not_spreadsheet(path, kind, what)
    except Exception as exc:  # noqa: BLE001 - the file vanished, or a guard bug: never fatal
        result = GuardResult([make("corrupt-workbook", file=name, detail=_short(exc))], kind)
    result.sha256, result.size = hashlib.sha256(data).hexdigest(), len(data)
    return result


# --- OLE2 compound files (legacy .xls, and password-encrypted .xlsx) -----------------------

def _inspect_ole(data: bytes, path: Path) -> GuardResult:
    """An encrypted .xlsx is an OLE file holding EncryptionInfo + EncryptedPackage streams."""
    try:
        names = ole.entry_names(data)
    except (ValueError, struct.error):
        names = ole.names_by_scan(data)
    if names & {"encryptioninfo", "encryptedpackage"}:
        return GuardResult([make("encrypted-workbook", file=path.name)], "ole-encrypted")
    if names and not names & {"workbook", "book"}:
        return _not_spreadsheet(path, "ole", "an OLE document without a workbook (Word, ...)")
    return GuardResult([make("legacy-xls", file=path.name)], "xls")


# --- zip containers (xlsx, xlsm, xlsb, ods, docx, ...) ---------------------------------------

def _inspect_zip(data: bytes, path: Path, limits: GuardLimits, macros: str) -> GuardResult:
    name = path.name
    entries = _count_entries_cheaply(data)
    if entries is not None and entries > limits.max_members:
        return GuardResult([make("zip-too-many-members", file=name, count=entries,
                                 limit=limits.max_members)], "zip")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))  # reads the central directory, inflates nothing
    except Exception as exc:  # noqa: BLE001 - any failure here means an unreadable container
        return GuardResult([make("corrupt-zip", file=name, detail=_short(exc))], "zip")
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            return GuardResult([make("zip-too-many-members", file=name, count=len(infos),
                                     limit=limits.max_members)], "zip")
        # Part names are case-insensitive (OPC); some Windows exporters write backslashes.
        names = {info.filename.replace("\\", "/").lower().lstrip("/") for info in infos}
        bases = {n.rpartition("/")[2] for n in names}
        if "mimetype" in names and _mimetype(zf).startswith("application/vnd.oasis.opendocument"):
            return GuardResult([make("opendocument-not-supported", file=name)], "ods")
        if "workbook.bin" in bases:
            return GuardResult([make("xlsb-not-supported", file=name)], "xlsb")
        if "workbook.xml" not in bases:  # normally xl/workbook.xml; parsers follow _rels/.rels
            return _not_spreadsheet(path, "zip", _zip_what(names))
        has_macros = "vbaproject.bin" in bases or any("macrosheets/" in n for n in names)
        result = GuardResult([], "xlsm" if has_macros else "xlsx")
        if any(info.flag_bits & 0x1 for info in infos):
            result.findings.append(make("encrypted-workbook", file=name))
            return result
        if has_macros and macros != "accept":
            code = "macros-rejected" if macros == "reject" else "macros-present"
            result.findings.append(make(code, file=name))
        result.findings += _member_findings(zf, data, infos, limits, name)
        return result


def _count_entries_cheaply(data: bytes) -> int | None:
    """Count the entries of an unusually large central directory without parsing it.

    zipfile builds an object per entry: a 20 MB file of empty members costs it
    1.5 s and 50 MB. Counting entry signatures in the raw directory is C-fast.
    Returns None for normal (small) directories, which zipfile then reads as usual.
    """
    size = len(data)
    at = data.rfind(_EMPTY_ZIP_MAGIC, max(0, size - 65536 - 22))
    if at < 0 or at + 22 > size:
        return None
    cd_size = struct.unpack_from("<I", data, at + 12)[0]
    if cd_size < _BIG_DIRECTORY or cd_size > at:
        return None
    return data.count(b"PK\x01\x02", at - cd_size, at)


def _member_findings(zf: zipfile.ZipFile, data: bytes, infos: list[zipfile.ZipInfo],
                     limits: GuardLimits, name: str) -> list[Finding]:
    """Declared-size and ratio checks on every member, then a DTD scan of the sane XML parts."""
    findings: list[Finding] = []
    max_bytes = limits.max_member_mb * MIB
    suspicious = set()
    for info in infos:
        if len(findings) >= _MAX_MEMBER_FINDINGS:
            return findings
        if info.file_size > max_bytes:
            findings.append(make("zip-member-too-large", file=name, member=info.filename,
                                 size_mb=_mb(info.file_size),
                                 limit_mb=_num(limits.max_member_mb)))
            suspicious.add(id(info))
        elif info.file_size >= _RATIO_MIN_BYTES:
            ratio = info.file_size / info.compress_size if info.compress_size else float("inf")
            if ratio > limits.max_ratio:
                findings.append(make("zip-ratio-too-high", file=name, member=info.filename,
                                     ratio=_ratio(ratio), limit=_num(limits.max_ratio)))
                suspicious.add(id(info))
    sane = [info for info in infos if id(info) not in suspicious]
    if overlap := _overlapping(data, sane, zf.start_dir):
        return [*findings, make("corrupt-zip", file=name, detail=overlap)]
    for info in sane:
        if len(findings) >= _MAX_MEMBER_FINDINGS:
            break
        if not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        try:
            fast = _Inflater.of(data, info)
            if fast is not None:
                head, state = _read_head(fast)
            else:  # an unusual member (other method, mismatched header): zipfile's checks
                with zf.open(info) as fh:
                    head, state = _read_head(fh)
        except Exception as exc:  # noqa: BLE001 - bad CRC, unknown method, broken header
            findings.append(make("corrupt-zip", file=name,
                                 detail=f"{info.filename}: {_short(exc)}"))
            continue
        if _declares_entities(head, state):
            findings.append(make("xml-entities", file=name, member=info.filename))
    return findings


def _local_data(data: bytes, off: int) -> tuple[bytes, int]:
    """The part name in the local header at ``off``, and where the part's data start."""
    n_name, n_extra = struct.unpack_from("<HH", data, off + 26)
    return data[off + 30:off + 30 + n_name], off + 30 + n_name + n_extra


def _overlapping(data: bytes, infos: list[zipfile.ZipInfo], directory: int) -> str | None:
    """Why the members' data do not lie side by side before the central directory, if they
    don't: entries that share bytes are how "overlapping" zip bombs multiply one compressed
    stream (newer Pythons' zipfile refuses them too), and an offset outside the file points
    the parser somewhere else than the guard looked."""
    spans = []
    for info in infos:
        off = info.header_offset
        if off < 0 or off + 30 > directory:
            return f"{info.filename}: its local header lies outside the archive"
        spans.append((off, _local_data(data, off)[1] + info.compress_size, info.filename))
    spans.sort()
    for (_start, end, part), (next_start, _end, _next) in itertools.pairwise(spans):
        if end > next_start:
            return f"{part}: overlapping entries (possible zip bomb)"
    if spans and spans[-1][1] > directory:
        return f"{spans[-1][2]}: its data run into the central directory"
    return None


class _Inflater:
    """Just enough of a file object for :func:`_read_head`: a member's bytes inflated on
    demand straight from the file's bytes. ``zipfile.open`` does the same with a local-header
    read, a buffer object and a seek per part, which was most of the guard's time."""

    __slots__ = ("inflate", "raw")

    def __init__(self, raw: memoryview, deflated: bool) -> None:
        self.raw = raw
        self.inflate = zlib.decompressobj(-15) if deflated else None

    @classmethod
    def of(cls, data: bytes, info: zipfile.ZipInfo) -> _Inflater | None:
        """None unless the member is plainly stored or deflated, unencrypted, and its local
        header agrees with the central directory (anything else goes through zipfile)."""
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or \
                info.flag_bits & 0x61:  # encrypted, patched, strongly encrypted
            return None
        off = info.header_offset
        if off < 0 or off + 30 > len(data) or data[off:off + 4] != _ZIP_MAGIC:
            return None
        name, start = _local_data(data, off)
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        try:
            if name != info.orig_filename.encode(encoding):
                return None
        except UnicodeEncodeError:
            return None
        end = start + info.compress_size
        if end > len(data):
            return None
        return cls(memoryview(data)[start:end], info.compress_type == zipfile.ZIP_DEFLATED)

    def read(self, n: int) -> bytes:
        if self.inflate is None:
            out, self.raw = bytes(self.raw[:n]), self.raw[n:]
            return out
        out = self.inflate.decompress(self.raw, n)  # n > 0 always: 0 would mean "no limit"
        self.raw = memoryview(self.inflate.unconsumed_tail)
        while not out and not self.inflate.eof and self.raw:
            out = self.inflate.decompress(self.raw, n)
            self.raw = memoryview(self.inflate.unconsumed_tail)
        if not out and not self.inflate.eof:  # as zipfile says of a cut-off stream
            raise EOFError("compressed data ended before the end-of-stream marker")
        return out


_DTD = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)
_SPACE = re.compile(rb"[\s\xef\xbb\xbf\xff\xfe]*")


def _prolog(head: bytes) -> str:
    """Where ``head`` stands: "dtd" (a DOCTYPE/ENTITY), "root" (the root element reached
    without one), "open" (the prolog has not ended yet) or "unclosed" (a comment or
    processing instruction that does not end within ``head``).

    NUL bytes are dropped first so that UTF-16/32 text cannot hide the markup.
    """
    text = head.replace(b"\x00", b"")
    if _DTD.search(text):
        return "dtd"
    pos, end = 0, len(text)
    while True:
        pos = _SPACE.match(text, pos).end()
        if pos >= end:
            return "open"
        rest = text[pos:pos + 4]
        if rest.startswith(b"<?"):  # the end is searched for after the opener: "<?>" and
            close, marker = text.find(b"?>", pos + 2), 2  # "<!-->" do not close themselves
        elif rest == b"<!--":
            close, marker = text.find(b"-->", pos + 4), 3
        elif rest.startswith(b"<!"):
            # "<!" or "<!-" cut off at the end of the head may yet start a comment; any
            # other "<!" in a prolog is a DOCTYPE (or markup no prolog may hold)
            return "open" if b"<!--".startswith(rest) else "dtd"
        elif rest == b"<":
            return "open"  # cut off before the name: read on
        else:
            return "root"  # the root element (or non-XML text the parser will reject)
        if close < 0:
            return "unclosed"
        pos = close + marker  # past the whole end marker, "?>" or "-->"


def _read_head(fh: IO[bytes]) -> tuple[bytes, str]:
    """Inflate a part only as far as its root element (512 bytes nearly always, 64 KiB at most);
    returns the head and its :func:`_prolog` state."""
    head = fh.read(_XML_FIRST)
    state = _prolog(head)
    while len(head) < _XML_HEAD and state in ("open", "unclosed") and \
            (more := fh.read(min(len(head), _XML_HEAD - len(head)))):
        head += more
        state = _prolog(head)
    return head, state


def _declares_entities(head: bytes, state: str) -> bool:
    """True if the XML head has a DTD, or a prolog too long to see where the root starts.

    A DTD may only stand before the root element, so a prolog padded past 64 KiB with
    comments (to push the DOCTYPE out of sight) is treated as one.
    """
    if state == "open":
        return bool(head.replace(b"\x00", b"")) and len(head) >= _XML_HEAD
    return state in ("dtd", "unclosed")


def _mimetype(zf: zipfile.ZipFile) -> str:
    for info in zf.infolist():
        if info.filename.lower() == "mimetype" and info.file_size <= 1024:
            try:
                return zf.read(info).decode("ascii", "replace").strip()
            except Exception:  # noqa: BLE001 - a broken mimetype member is just "unknown"
                return ""
    return ""


def _zip_what(names: set[str]) -> str:
    if "word/document.xml" in names:
        return "a Word document (.docx)"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint file (.pptx)"
    return "a zip archive without xl/workbook.xml"


# --- everything else ---------------------------------------------------------------------------

_MAGIC_KINDS = (
    (_OLE_MAGIC, "ole"), (_ZIP_MAGIC, "zip"), (_EMPTY_ZIP_MAGIC, "empty-zip"),
)
_OTHER_MAGIC = (
    (b"%PDF", "pdf", "a PDF document"),
    (b"\x89PNG", "image", "a PNG image"), (b"\xff\xd8\xff", "image", "a JPEG image"),
    (b"GIF8", "image", "a GIF image"), (b"Rar!", "archive", "a RAR archive"),
    (b"7z\xbc\xaf", "archive", "a 7-Zip archive"), (b"\x1f\x8b", "archive", "a gzip file"),
)


def _kind_from_magic(magic: bytes) -> str:
    for prefix, kind in _MAGIC_KINDS:
        if magic.startswith(prefix):
            return kind
    return "unknown"


def _sniff_other(head: bytes) -> tuple[str, str]:
    """Name the non-spreadsheet (from the first 4 KiB) for the receipt: people send PDFs
    and web exports as .xlsx."""
    for prefix, kind, what in _OTHER_MAGIC:
        if head.startswith(prefix):
            return kind, what
    text = head.replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<table" in text:
        return "html", "an HTML page (a web export, not a real workbook)"
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in text:
        return "xml", "an Excel 2003 XML spreadsheet"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text", "a plain text file (CSV?)"
    return "unknown", "an unrecognised file format"


_WHAT_TH = {
    "an empty zip archive": "ไฟล์ zip ว่าง",
    "an OLE document without a workbook (Word, ...)": "เอกสาร OLE ที่ไม่มีสมุดงาน (เช่น Word)",
    "a Word document (.docx)": "เอกสาร Word (.docx)",
    "a PowerPoint file (.pptx)": "ไฟล์ PowerPoint (.pptx)",
    "a zip archive without xl/workbook.xml": "ไฟล์ zip ที่ไม่มีสมุดงาน (xl/workbook.xml)",
    "a PDF document": "เอกสาร PDF", "a PNG image": "รูปภาพ PNG", "a JPEG image": "รูปภาพ JPEG",
    "a GIF image": "รูปภาพ GIF", "a RAR archive": "ไฟล์บีบอัด RAR",
    "a 7-Zip archive": "ไฟล์บีบอัด 7-Zip", "a gzip file": "ไฟล์บีบอัด gzip",
    "an HTML page (a web export, not a real workbook)":
        "หน้าเว็บ HTML (ไฟล์ที่ส่งออกจากเว็บ ไม่ใช่สมุดงานจริง)",
    "an Excel 2003 XML spreadsheet": "ตารางงาน Excel 2003 แบบ XML",
    "a plain text file (CSV?)": "ไฟล์ข้อความธรรมดา (อาจเป็น CSV)",
    "an unrecognised file format": "ไฟล์รูปแบบที่ไม่รู้จัก",
}


def _not_spreadsheet(path: Path, kind: str, what: str) -> GuardResult:
    """The receipt names what the file is, in Thai and in English, each line whole."""
    suffix = path.suffix.lower()
    what_th = _WHAT_TH.get(what, what)
    detail = f"{what}, named {suffix}" if suffix else what
    detail_th = f"{what_th} ตั้งชื่อเป็น {suffix}" if suffix else what_th
    return GuardResult([make("not-a-spreadsheet", file=path.name, detail=detail,
                             detail_th=detail_th)], kind)


def _mb(size: float) -> str:
    return f"{size / MIB:.1f}"


def _num(value: float) -> str:
    return f"{value:g}"


def _ratio(ratio: float) -> str:
    return "∞" if ratio == float("inf") else f"{round(ratio):d}"


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
