"""Activity photos pasted into a project workbook's attachments sheet, made safe to print.

The seed's form ends with the activity photos, and the staff's habit is to paste them into
the workbook beside the line that names them. A picture in an .xlsx is a drawing anchored
on a cell (``xl/drawings/drawingN.xml``) that points at a part in ``xl/media/``. This
module finds the pictures anchored on the attachments sheet, decodes each with Pillow
under a pixel limit and re-encodes it as a plain JPEG of bounded size, so the report
prints only pixels we wrote (no metadata, no embedded profile, no exotic codec reaches
the browser). Runs in the reading worker, under its memory and time limits. A picture
that cannot be used is a warning naming its cell; the report is never refused for one.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from tps_batch import errors
from tps_batch.errors import Finding
from tps_batch.layout import col_letter

XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
#: what Pillow may open: formats whose header gives the size without decoding the pixels
#: (ICO, for one, decodes an embedded PNG while opening); EMF/WMF screenshots are refused
FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF")  # JPEG opens MPO too
_MAX_ROW, _MAX_COL = 1048576, 16384  # Excel's grid
_ANCHORS = {f"{XDR_NS} twoCellAnchor", f"{XDR_NS} oneCellAnchor", f"{XDR_NS} absoluteAnchor"}
#: the longest side and JPEG quality of a printed photo: A4 at 16 cm wide is ~1900 px at
#: 300 dpi, and 1600 px keeps a page of photos small while looking sharp on paper
MAX_SIDE = 1600
JPEG_QUALITY = 82


@dataclass(frozen=True)
class PhotoLimits:
    """How many pictures are taken from one workbook and how large one may be decoded."""

    max_photos: int = 30
    max_megapixels: float = 50.0
    #: what one workbook's pictures may cost in all: pixels decoded (time in the worker)
    #: and JPEG bytes kept (memory until stored); past either, the rest are left out
    max_total_megapixels: float = 250.0
    max_total_mb: float = 8.0


@dataclass
class Photo:
    """One re-encoded picture and where it was anchored (1-based sheet row and column)."""

    row: int | None      # None: anchored to the page, not to a cell
    col: int | None
    data: bytes          # JPEG
    width: int
    height: int
    #: 1-based index of the attachment line it was pasted beside (None: none)
    attachment: int | None = None

    @property
    def cell(self) -> str:
        return f"{col_letter(self.col - 1)}{self.row}" if self.row and self.col else ""


@dataclass(frozen=True)
class _Anchor:
    row: int | None
    col: int | None
    embeds: tuple[str, ...]  # relationship ids of the pictures in this anchor


class _Unusable(Exception):
    """A drawing part we will not read (a DTD, broken XML)."""


def _parse(xml: bytes) -> list[_Anchor]:
    """A drawing part's anchors, read by expat; a DTD is refused before it is read, so no
    entity is ever declared, hence none expanded."""
    reader = _DrawingReader()

    def refuse(*_args: object) -> None:
        raise _Unusable("DTD in a package part")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise _Unusable(str(exc)) from None
    return reader.found


class _DrawingReader:
    """The anchors of a drawing part: the top-left cell (``<xdr:from>``) and every picture
    (``<a:blip r:embed>``) inside, a group's pictures included."""

    def __init__(self) -> None:
        self.found: list[_Anchor] = []
        self._depth = 0
        self._in_from = False
        self._field: str | None = None
        self._buf = ""
        self._pos: dict[str, int] = {}
        self._embeds: list[str] = []
        self._stack: list[str] = []
        self._fallback = 0  # inside <mc:Fallback>: the same picture again, for old readers

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        parent = self._stack[-1] if self._stack else ""
        self._stack.append(tag)
        if tag == f"{MC_NS} Fallback" or self._fallback:
            self._fallback += 1
            return
        if tag in _ANCHORS:
            self._depth += 1
            if self._depth == 1:
                self._pos, self._embeds = {}, []
        elif tag == f"{XDR_NS} from" and self._depth == 1:
            self._in_from = True
        elif self._in_from and tag in (f"{XDR_NS} row", f"{XDR_NS} col"):
            self._field, self._buf = tag.rsplit(" ", 1)[1], ""
        elif (tag == f"{A_NS} blip" and self._depth and attrs.get(f"{R_NS} embed")
              and parent.endswith(" blipFill")):  # a picture, not a bullet's image
            self._embeds.append(attrs[f"{R_NS} embed"])

    def text(self, data: str) -> None:
        if self._field:
            self._buf += data

    def end(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()
        if self._fallback:
            self._fallback -= 1
            return
        if self._field and tag.endswith(f" {self._field}"):
            try:
                self._pos[self._field] = int(self._buf.strip())
            except ValueError:
                pass
            self._field = None
        elif tag == f"{XDR_NS} from":
            self._in_from = False
        elif tag in _ANCHORS:
            self._depth -= 1
            if self._depth == 0 and self._embeds:
                row, col = self._pos.get("row"), self._pos.get("col")
                if row is None or col is None or not (0 <= row < _MAX_ROW
                                                      and 0 <= col < _MAX_COL):
                    row = col = None  # no cell on Excel's grid: placed on the sheet
                self.found.append(_Anchor(None if row is None else row + 1,
                                          None if col is None else col + 1,
                                          tuple(self._embeds)))


def _pictures(zf: zipfile.ZipFile, sheet_part: str) -> list[tuple[int | None, int | None, str]]:
    """(row, col, media part) of every picture anchored on the sheet, top to bottom."""
    from tps_batch.xlsxpatch import part_rels

    names = set(zf.namelist())
    out = []
    for drawing in part_rels(zf, sheet_part)[1].get("drawing", []):
        if drawing not in names:
            continue
        ids, by_type = part_rels(zf, drawing)
        images = set(by_type.get("image", []))
        media = {rid: target for rid, target in ids.items() if target in images}
        for anchor in _parse(zf.read(drawing)):
            out += [(anchor.row, anchor.col, media.get(rid, "")) for rid in anchor.embeds]
    return sorted(out, key=lambda p: (p[0] is None, p[0] or 0, p[1] or 0))


def beside(row: int | None, lines: list[int | None]) -> int | None:
    """Which attachment line (1-based index into ``lines``, their sheet rows) a picture
    anchored on ``row`` belongs to: the line on its row, else the nearest line above it
    when it sits within the table (a picture spanning down from a line beside it). Below
    the last line or above the first, it belongs to none."""
    if row is None:
        return None
    best = None
    for i, line in enumerate(lines, 1):
        if line is None or line > row:
            continue
        if best is None or line > lines[best - 1]:  # type: ignore[operator]
            best = i
    last = max((x for x in lines if x is not None), default=None)
    if best is None or last is None or row > last:
        return None
    return best


def _where(cell: str | None) -> dict[str, str]:
    """A picture's place in a finding's message, Thai and English."""
    if cell:
        return {"where_th": f"ที่เซลล์ {cell}", "where": f"at {cell}"}
    return {"where_th": "ในชีตนี้ (ไม่ได้ยึดกับเซลล์)", "where": "on this sheet (not on a cell)"}


def extract(data: bytes, sheet: str, findings: list[Finding],
            limits: PhotoLimits | None = None) -> list[Photo]:
    """The pictures anchored on ``sheet`` of the .xlsx ``data``, re-encoded, in sheet order
    (row, then column); what cannot be used is a warning in ``findings``, never an error."""
    from tps_batch.xlsxpatch import sheet_parts

    limits = limits or PhotoLimits()
    if b"drawings/drawing" not in data:  # the zip names no drawing part: most reports
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = sheet_parts(zf).get(sheet)
            if part is None:
                return []
            return _extract(zf, _pictures(zf, part), sheet, findings, limits)
    except Exception as exc:  # noqa: BLE001 - a bad drawing costs its photos, not the report
        findings.append(errors.make(
            "photo-unreadable", sheet=sheet, where_th="ในชีตนี้", where="on this sheet",
            detail_th="อ่านส่วนภาพวาดของชีตไม่ได้", detail=f"its drawing: {_short(exc)}"))
        return []


def _extract(zf: zipfile.ZipFile, pictures: list[tuple[int | None, int | None, str]],
             sheet: str, findings: list[Finding], limits: PhotoLimits) -> list[Photo]:
    photos: list[Photo] = []
    done: dict[str, tuple[bytes, int, int, int] | BaseException] = {}  # media part → result
    decoded = kept = 0.0  # megapixels decoded, bytes kept, so far
    names = set(zf.namelist())
    for n, (row, col, media) in enumerate(pictures):
        cell = f"{col_letter(col - 1)}{row}" if row and col else None
        left = len(pictures) - n
        if n >= limits.max_photos:
            findings.append(errors.make("photos-too-many", sheet=sheet, cell=cell,
                                        count=len(pictures), limit=limits.max_photos,
                                        left_out=left))
            break
        if decoded > limits.max_total_megapixels or kept > limits.max_total_mb * (1 << 20):
            findings.append(errors.make(
                "photos-over-budget", sheet=sheet, cell=cell, left_out=left, **_where(cell),
                megapixels=f"{limits.max_total_megapixels:g}", mb=f"{limits.max_total_mb:g}"))
            break
        result = done.get(media)
        if result is None:  # each media part is decoded once, however often it is pasted
            result = done[media] = _decode(zf, media, names, limits)
            if not isinstance(result, BaseException):
                decoded += result[3] / 1e6
        if isinstance(result, BaseException):
            findings.append(_unusable(result, sheet, cell, limits))
            continue
        jpeg, width, height, _source = result
        kept += len(jpeg)
        photos.append(Photo(row, col, jpeg, width, height))
    return photos


def _decode(zf: zipfile.ZipFile, media: str, names: set[str],
            limits: PhotoLimits) -> tuple[bytes, int, int, int] | BaseException:
    """(JPEG, width, height, pixels decoded) of one media part, or why not."""
    if not media or media not in names:
        return FileNotFoundError(media)
    try:
        return _reencode(zf.read(media), limits)
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a warning, not a crash
        return exc


def _unusable(exc: BaseException, sheet: str, cell: str | None,
              limits: PhotoLimits) -> Finding:
    from PIL import UnidentifiedImageError

    where = _where(cell)
    if isinstance(exc, _TooLarge):
        return errors.make("photo-too-large", sheet=sheet, cell=cell, **where,
                           width=exc.width, height=exc.height,
                           megapixels=f"{exc.width * exc.height / 1e6:.0f}",
                           limit=f"{limits.max_megapixels:g}")
    if isinstance(exc, FileNotFoundError):
        th, en = "ไม่พบไฟล์ภาพในสมุดงาน", "the picture's file is missing from the workbook"
    elif isinstance(exc, UnidentifiedImageError):
        th = f"ไม่ใช่ภาพชนิดที่รองรับ ({', '.join(FORMATS)})"
        en = f"not a supported picture format ({', '.join(FORMATS)})"
    else:
        th, en = "ข้อมูลภาพเสียหายหรือไม่ครบ", _short(exc)
    return errors.make("photo-unreadable", sheet=sheet, cell=cell, **where,
                       detail_th=th, detail=en)


class _TooLarge(Exception):
    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"{width}×{height}")
        self.width, self.height = width, height


def reencode(raw: bytes, limits: PhotoLimits | None = None) -> tuple[bytes, int, int]:
    """``raw`` decoded (its pixel count checked from the header first) and written again
    as an RGB JPEG at most :data:`MAX_SIDE` pixels on its longest side, turned upright as
    the camera's EXIF says; returns (JPEG bytes, width, height). A truncated picture is
    an error here, whatever another library (WeasyPrint) set for its own images."""
    jpeg, width, height, _source = _reencode(raw, limits or PhotoLimits())
    return jpeg, width, height


def _reencode(raw: bytes, limits: PhotoLimits) -> tuple[bytes, int, int, int]:
    from PIL import Image, ImageFile, ImageOps

    saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    # our own pixel limit is checked below, from the header, before anything is decoded
    Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = None, False
    try:
        with Image.open(io.BytesIO(raw), formats=FORMATS) as img:
            width, height = img.size
            if width * height > limits.max_megapixels * 1e6:
                raise _TooLarge(width, height)
            if img.format in ("JPEG", "MPO"):  # decode at a reduced scale: far less memory and time
                img.draft("RGB", (MAX_SIDE, MAX_SIDE))
            img.seek(0)  # an animated picture prints its first frame
            pic = ImageOps.exif_transpose(img)
            pic.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            if pic.mode in ("RGBA", "LA", "P", "PA") or "transparency" in pic.info:
                rgba = pic.convert("RGBA")  # transparency prints on white paper
                pic = Image.new("RGB", rgba.size, "white")
                pic.paste(rgba, mask=rgba.getchannel("A"))
            else:
                pic = pic.convert("RGB")
            buf = io.BytesIO()
            pic.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
            return buf.getvalue(), pic.width, pic.height, width * height
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _short(exc: BaseException) -> str:
    """An exception's text, one line, without object addresses (the same file must give
    the same message every run)."""
    text = re.sub(r"\s*<[^<>]* at 0x[0-9a-fA-F]+>", "", " ".join(str(exc).split()))
    return (text or type(exc).__name__)[:160]
