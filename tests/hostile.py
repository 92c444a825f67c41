"""Builders of hostile and malformed submissions, for the guard, worker and reader tests.

Each builder takes a directory, writes one file into it and returns its path. A file
that already exists is reused (files are written under a temporary name and renamed),
so a session-scoped directory builds the slow bombs once. The bombs are made without
ever holding their inflated content: a 1 MiB chunk is deflated once after a full
flush, and a full-flush block sequence can be repeated verbatim to form a valid
deflate stream (no back-references cross a full flush).
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

GIB = 1 << 30
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = _XML_DECL + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
ROOT_RELS = _XML_DECL + (
    f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = _XML_DECL + (
    f'<workbook xmlns="{NS}" xmlns:r="{_REL}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = _XML_DECL + (
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>'
)
SHEET_HEAD = _XML_DECL + f'<worksheet xmlns="{NS}"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"
SHEET_A1_STRING = SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL
ROW_UNIT = b"<row><c><v>1</v></c></row>"  # calamine places r-less rows one after another


# --- a raw zip writer: sizes, CRCs and flags exactly as we say, data streamed -----------------

@dataclass
class Deflated:
    """A member given as a raw deflate stream (pieces), with the header values to write."""

    pieces: Callable[[], Iterable[bytes]]
    crc: int
    file_size: int


def write_raw_zip(path: Path, members: list[tuple[str, bytes | Deflated]], *,
                  declared: dict[str, tuple[int, int]] | None = None,
                  flags: dict[str, int] | None = None, stored: Iterable[str] = ()) -> Path:
    """Write a zip by hand. ``declared`` maps a member to (compress_size, file_size) to
    put in both headers instead of the true values; ``flags`` sets general-purpose bits;
    members named in ``stored`` are not compressed."""
    declared, flags, stored = declared or {}, flags or {}, set(stored)
    central = io.BytesIO()
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as out:
        for name, data in members:
            raw_name = name.encode()
            method = 0 if name in stored else 8
            if isinstance(data, Deflated):
                pieces, crc, size = data.pieces(), data.crc, data.file_size
            else:
                pieces = [data if method == 0 else _deflate(data)]
                crc, size = zlib.crc32(data), len(data)
            offset = out.tell()
            out.write(b"\0" * (30 + len(raw_name)))
            csize = sum(out.write(piece) for piece in pieces)
            csize, size = declared.get(name, (csize, size))
            flag = flags.get(name, 0)
            out.seek(offset)
            out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flag, method, 0, 0x5821,
                                  crc, csize, size, len(raw_name), 0) + raw_name)
            out.seek(0, io.SEEK_END)
            central.write(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flag,
                                      method, 0, 0x5821, crc, csize, size, len(raw_name),
                                      0, 0, 0, 0, 0, offset) + raw_name)
        cd_offset = out.tell()
        out.write(central.getvalue())
        count = min(len(members), 0xFFFF)  # no zip64 here; readers walk the directory anyway
        out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count,
                              len(central.getvalue()), cd_offset, 0))
    tmp.replace(path)
    return path


def _deflate(data: bytes) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush()


def repeated(head: bytes, unit: bytes, total: int, tail: bytes, *, crc_upto: int | None = None
             ) -> Deflated:
    """A deflate stream of head + unit* + tail inflating to at least ``total`` bytes.

    ``crc_upto`` computes the CRC of only that many leading bytes (for a lying header),
    which also skips the one slow step, hashing the full inflated size.
    """
    chunk = unit * max(1, (1 << 20) // len(unit))
    count = -(-max(0, total - len(head) - len(tail)) // len(chunk))
    size = len(head) + count * len(chunk) + len(tail)

    def block(data: bytes, mode: int) -> bytes:
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        return comp.compress(data) + comp.flush(mode)

    first, body, last = (block(head, zlib.Z_FULL_FLUSH), block(chunk, zlib.Z_FULL_FLUSH),
                         block(tail, zlib.Z_FINISH))

    def pieces() -> Iterable[bytes]:
        yield first
        for _ in range(count):
            yield body
        yield last

    if crc_upto is not None:
        prefix = head + chunk * (crc_upto // len(chunk) + 1)
        return Deflated(pieces, zlib.crc32(prefix[:crc_upto]), size)
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    return Deflated(pieces, zlib.crc32(tail, crc), size)


def xlsx_members(sheet: bytes | Deflated, shared: bytes | Deflated | None = None
                  ) -> list[tuple[str, bytes | Deflated]]:
    members: list[tuple[str, bytes | Deflated]] = [
        ("[Content_Types].xml", CONTENT_TYPES.encode()), ("_rels/.rels", ROOT_RELS.encode()),
        ("xl/workbook.xml", WORKBOOK.encode()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.encode()),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    if shared is not None:
        members.append(("xl/sharedStrings.xml", shared))
    return members


def _write(path: Path, data: bytes) -> Path:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def _builder(name: str) -> Callable[[Callable[[Path], object]], Callable[[Path], Path]]:
    """Turn ``write(path)`` (which must write atomically) into a cached ``build(directory)``."""
    def wrap(write: Callable[[Path], object]) -> Callable[[Path], Path]:
        @functools.wraps(write)
        def build(directory: Path) -> Path:
            path = Path(directory) / name
            if not path.exists():
                write(path)
            return path
        return build
    return wrap


# --- the builders ------------------------------------------------------------------------------

@_builder("clean.xlsx")
def clean_xlsx(path: Path) -> None:
    """An ordinary workbook as xlsxwriter writes it: must pass every check."""
    tmp = path.with_name("tmp-" + path.name)
    book = xlsxwriter.Workbook(str(tmp))
    sheet = book.add_worksheet("โครงการ")
    sheet.write_row(0, 0, ["รหัสโครงการ", "ชื่อโครงการ", "งบประมาณ"])
    for row in range(1, 50):
        sheet.write_row(row, 0, [f"P{row:03d}", f"โครงการที่ {row}", row * 1000.5])
    book.close()
    tmp.replace(path)


@_builder("zip-bomb.xlsx")
def zip_bomb_xlsx(path: Path) -> None:
    """An xlsx whose sheet XML honestly declares >= 1 GiB (rows of one number each)."""
    sheet = repeated(SHEET_HEAD.encode(), ROW_UNIT, GIB, SHEET_TAIL.encode())
    write_raw_zip(path, xlsx_members(sheet))


@_builder("shared-string-bomb.xlsx")
def shared_string_bomb_xlsx(path: Path) -> None:
    """An xlsx whose sharedStrings.xml holds one string of 1 GiB (honest header)."""
    head = (_XML_DECL + f'<sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>').encode()
    shared = repeated(head, b"A" * 1024, GIB, b"</t></si></sst>")
    write_raw_zip(path, xlsx_members(SHEET_A1_STRING.encode(), shared))


LYING_DECLARED = 256 * 1024  # > the guard's 64 KiB look, so it never reaches the lie


@_builder("lying-bomb.xlsx")
def lying_bomb_xlsx(path: Path) -> None:
    """Sheet XML inflating to 1 GiB whose headers declare 256 KiB (a plausible ratio).

    The CRC matches the declared 256 KiB, so Python's zipfile sees a consistent member
    and the guard passes it; only the parser's own reader (or the worker's memory and
    time limits) can stop it. python-calamine's zip reader stops at the declared size.
    """
    sheet = repeated(SHEET_HEAD.encode(), ROW_UNIT, GIB, SHEET_TAIL.encode(),
                     crc_upto=LYING_DECLARED)
    compressed = sum(len(p) for p in sheet.pieces())
    write_raw_zip(path, xlsx_members(sheet), declared={
        "xl/worksheets/sheet1.xml": (compressed, LYING_DECLARED)})


@_builder("giant-range.xlsx")
def giant_range_xlsx(path: Path) -> None:
    """A 1 KB workbook with two cells, A1 and XFD1048576: honest headers, tiny XML.

    The guard cannot object, yet a parser that builds a dense range allocates
    16384 x 1048576 cells: python-calamine aborts the process (SIGABRT).
    """
    sheet = (SHEET_HEAD + '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
             '<c r="XFD1048576"><v>2</v></c></row>' + SHEET_TAIL)
    write_raw_zip(path, xlsx_members(sheet.encode()))


@_builder("billion-laughs.xlsx")
def billion_laughs_xlsx(path: Path) -> None:
    """sharedStrings.xml with the classic nested-entity expansion (10^9 "lol"s)."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1 if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10))
    shared = (_XML_DECL + f"<!DOCTYPE lolz [{entities}]>"
              f'<sst xmlns="{NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    write_raw_zip(path, xlsx_members(SHEET_A1_STRING.encode(), shared.encode()))


@_builder("xxe.xlsx")
def xxe_xlsx(path: Path) -> None:
    """A sheet whose inline string is an external entity reading /etc/passwd."""
    sheet = (_XML_DECL + '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
             f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
             "<is><t>&xxe;</t></is></c></row>" + SHEET_TAIL)
    write_raw_zip(path, xlsx_members(sheet.encode()))


def write_cfb(path: Path, streams: dict[str, bytes]) -> Path:
    return _write(path, cfb_bytes(streams))


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal, valid OLE2 compound file (v3, 512-byte sectors) holding ``streams``.

    Each stream is padded to 4096 bytes so it lives in ordinary sectors (no mini
    stream); one FAT sector and one directory sector, so at most 3 streams.
    """
    if len(streams) > 3:
        raise ValueError("at most 3 streams")
    end, free, fat_mark, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_mark, end]  # sector 0: the FAT, sector 1: the directory
    entries = [_dir_entry("Root Entry", 5, end, 0, child=1 if streams else none)]
    data = b""
    for index, (name, content) in enumerate(streams.items(), start=1):
        content = content.ljust(4096, b"\0")
        first, count = len(fat), -(-len(content) // 512)
        fat += [*range(first + 1, first + count), end]
        right = index + 1 if index < len(streams) else none
        entries.append(_dir_entry(name, 2, first, len(content), right=right))
        data += content.ljust(count * 512, b"\0")
    if len(fat) > 128:
        raise ValueError("streams too large for one FAT sector")
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                         b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0, 4096,
                         end, 0, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))
    fat_sector = struct.pack("<128I", *fat, *([free] * (128 - len(fat))))
    directory = b"".join(entries).ljust(512, b"\0")
    return header + fat_sector + directory + data


def _dir_entry(name: str, kind: int, start: int, size: int, *, child: int = 0xFFFFFFFF,
               right: int = 0xFFFFFFFF) -> bytes:
    raw = name.encode("utf-16-le")
    return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw) + 2, kind, 1, 0xFFFFFFFF, right,
                       child, b"\0" * 16, 0, 0, 0, start, size)


@_builder("encrypted.xlsx")
def encrypted_ole(path: Path) -> None:
    """What Excel writes for a password-protected .xlsx: an OLE file, not a zip."""
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + (
        _XML_DECL + '<encryption xmlns="http://schemas.microsoft.com/office/2006/'
        'encryption"/>').encode()
    write_cfb(path, {"EncryptionInfo": info, "EncryptedPackage": b"\x10" + b"\0" * 7})


@_builder("legacy.xls")
def legacy_xls(path: Path) -> None:
    """A BIFF8-like .xls: an OLE file with a Workbook stream and no encryption streams."""
    bof = struct.pack("<HHHHII", 0x0809, 16, 0x0600, 0x0005, 0, 0)
    write_cfb(path, {"Workbook": bof + struct.pack("<HH", 0x000A, 0)})


@_builder("truncated.xlsx")
def truncated_xlsx(path: Path) -> None:
    """A valid workbook cut in half, as an interrupted download or e-mail leaves it."""
    data = clean_xlsx(path.parent).read_bytes()
    _write(path, data[: len(data) // 2])


@_builder("macro.xlsm")
def macro_xlsm(path: Path) -> None:
    """A clean workbook plus xl/vbaProject.bin, as Excel saves an .xlsm."""
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(clean_xlsx(path.parent)) as src, \
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/vbaProject.bin", cfb_bytes({"VBA": b"Attribute VB_Name"}))
    tmp.replace(path)


@_builder("report-pdf.xlsx")
def pdf_as_xlsx(path: Path) -> None:
    _write(path, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")


@_builder("export-html.xlsx")
def html_as_xlsx(path: Path) -> None:
    """A web system's "Excel export": an HTML table saved with an .xlsx name."""
    _write(path, "<html><head><meta charset='utf-8'></head><body><table><tr><td>"
                 "โครงการ</td><td>1,000.00</td></tr></table></body></html>".encode())


@_builder("empty.xlsx")
def empty_file(path: Path) -> None:
    _write(path, b"")


@_builder("sheet.ods")
def ods_file(path: Path) -> None:
    """An OpenDocument spreadsheet: a zip with a stored ``mimetype`` member first."""
    mime = b"application/vnd.oasis.opendocument.spreadsheet"
    content = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:'
               b'office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    write_raw_zip(path, [("mimetype", mime), ("content.xml", content),
                         ("META-INF/manifest.xml", manifest)], stored=["mimetype"])


@_builder("binary.xlsb")
def xlsb_file(path: Path) -> None:
    """The binary workbook format: a zip with xl/workbook.bin instead of workbook.xml."""
    write_raw_zip(path, [("[Content_Types].xml", CONTENT_TYPES.encode()),
                         ("_rels/.rels", ROOT_RELS.encode()),
                         ("xl/workbook.bin", b"\x83\x01\x00")])


@_builder("many-members.xlsx")
def too_many_members_xlsx(path: Path) -> None:
    """A workbook plus 1001 tiny images: over the default limit of 1000 parts."""
    extra = [(f"xl/media/image{i}.png", b"\x89PNG") for i in range(1001)]
    write_raw_zip(path, xlsx_members(SHEET_A1_STRING.encode()) + extra)


@_builder("oversized.xlsx")
def oversized_file(path: Path) -> None:
    """A sparse 21 MB file, over the default 20 MB: only ``stat`` should look at it."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(21 * 1024 * 1024)
    tmp.replace(path)
