"""Activity photos pasted on a project workbook's attachments sheet: found, re-encoded
within limits, stored, printed in the per-project report's annex; a bad picture is a
warning naming its cell, never a refused report."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import subprocess
import zipfile
from pathlib import Path

import factories as fx
import pytest
from PIL import Image, ImageDraw

from tps_batch import errors, photos, reports, spec
from tps_batch.check import CheckTask, check_file
from tps_batch.guard import GuardLimits
from tps_batch.ingest import ingest
from tps_batch.photos import PhotoLimits, beside, reencode

SHEET = spec.S_ATTACHMENTS
LINES = [{"kind": "เอกสาร", "name": "คำสั่งแต่งตั้งคณะทำงาน"},
         {"kind": "ภาพถ่ายกิจกรรม", "name": "ภาพการประชุมชี้แจงผู้บริหารสถานศึกษา"}]
# the attachments table's lines sit on sheet rows 5 and 6 (header on row 4): D6 is
# beside the photo line, D30 below the table, D5 beside the document line
FIRST_LINE_ROW = spec.SPEC.table("attachments").first_row


def picture(color: str, size: tuple[int, int] = (2400, 1800), fmt: str = "PNG",
            **save: object) -> bytes:
    img = Image.new("RGB", size, color)
    ImageDraw.Draw(img).rectangle([0, 0, size[0] // 2, size[1] // 2], fill="white")
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def broken_png() -> bytes:
    """A PNG whose header is sound (xlsxwriter takes it) and whose pixels are garbage."""
    return picture("red")[:60] + b"\x00" * 300


def workbook(path: Path, pictures: list[tuple[str, bytes]], lines: list[dict] = LINES,
             received: dt.datetime | None = dt.datetime(2024, 5, 1, 9, 0)) -> Path:
    return fx.submission(path, tables={"attachments": lines}, received=received,
                         pictures={SHEET: pictures})


def checked(path: Path, limits: PhotoLimits | None = None):
    return check_file(CheckTask(str(path), GuardLimits(), photos=limits or PhotoLimits())
                      ).submission


# --- which line a picture belongs to ------------------------------------------------------

@pytest.mark.parametrize(("row", "expected"), [
    (5, 1), (6, 2),        # on a line's own row
    (7, 2),                # between lines 2 and 3 (a blank row): the line above
    (9, 3),                # the last line's row
    (4, None), (1, None),  # above the first line (the header, the title)
    (10, None),            # below the last line
    (None, None),          # anchored to the page, not a cell
])
def test_a_picture_belongs_to_the_line_beside_it(row, expected) -> None:
    assert beside(row, [5, 6, 9]) == expected


def test_no_lines_no_owner() -> None:
    assert beside(5, []) is None


# --- re-encoding ----------------------------------------------------------------------------

def test_a_large_picture_is_made_a_1600_pixel_jpeg() -> None:
    jpeg, w, h = reencode(picture("navy", (4000, 3000)))
    assert (w, h) == (1600, 1200)
    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.format == "JPEG" and img.size == (1600, 1200) and img.mode == "RGB"
        assert not img.info.get("exif")


def test_a_small_picture_keeps_its_size() -> None:
    _, w, h = reencode(picture("navy", (640, 480)))
    assert (w, h) == (640, 480)


def test_a_phone_photo_is_turned_upright_as_its_exif_says() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    raw = picture("green", (3000, 2000), fmt="JPEG", exif=exif.tobytes())
    _, w, h = reencode(raw)
    assert (w, h) == (1067, 1600)


def test_transparency_prints_on_white() -> None:
    img = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle([100, 0, 199, 99], fill=(0, 0, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    jpeg, _, _ = reencode(buf.getvalue())
    with Image.open(io.BytesIO(jpeg)) as out:
        left, right = out.getpixel((20, 50)), out.getpixel((180, 50))
    assert min(left) > 245                          # was transparent: white
    assert right[2] > 200 and max(right[:2]) < 40   # stays blue


def test_a_truncated_picture_is_refused_even_after_weasyprint_relaxed_pillow() -> None:
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES on import, for its own images."""
    from PIL import ImageFile

    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        with pytest.raises(OSError):
            reencode(broken_png())
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # and it is left as it was
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def test_a_picture_over_the_pixel_limit_is_refused_before_decoding() -> None:
    # 12000×10000 = 120 MP: over Pillow's own bomb limit too; ours speaks first
    raw = picture("black", (12000, 10000), fmt="PNG", compress_level=1)
    with pytest.raises(photos._TooLarge) as exc:
        reencode(raw, PhotoLimits(max_megapixels=50))
    assert (exc.value.width, exc.value.height) == (12000, 10000)


# --- reading a workbook ----------------------------------------------------------------------

def test_pictures_are_found_where_they_were_pasted(tmp_path: Path) -> None:
    path = workbook(tmp_path / "P01.xlsx", [("D6", picture("navy")), ("D30", picture("green")),
                                            ("D5", broken_png())])
    sub = checked(path)
    assert [(p.cell, p.attachment, p.width, p.height) for p in sub.photos] == [
        ("D6", 2, 1600, 1200), ("D30", None, 1600, 1200)]
    bad = [f for f in sub.findings if f.code.startswith("photo")]
    assert [(f.code, f.severity, f.sheet, f.cell) for f in bad] == [
        ("photo-unreadable", "warning", SHEET, "D5")]
    assert "D5" in bad[0].message_th and "JPEG" in bad[0].message_th
    assert "D5" in bad[0].message_en
    assert not errors.has_errors(sub.findings)


def test_openpyxl_pictures_are_found_too(tmp_path: Path) -> None:
    """Another writer's drawing (openpyxl's oneCellAnchor), as a clerk's tool may save it."""
    from openpyxl import load_workbook
    from openpyxl.drawing.image import Image as XlImage

    path = workbook(tmp_path / "P01.xlsx", [])
    wb = load_workbook(path)
    pic = XlImage(io.BytesIO(picture("purple", (800, 600))))
    wb[SHEET].add_image(pic, f"E{FIRST_LINE_ROW}")
    wb.save(path)
    sub = checked(path)
    assert [(p.cell, p.attachment, p.width) for p in sub.photos] == [("E5", 1, 800)]


def test_too_many_pictures_keeps_the_first_and_says_how_many_are_left_out(
        tmp_path: Path) -> None:
    pics = [(f"D{r}", picture("navy", (300, 200))) for r in (5, 6, 20, 40)]
    sub = checked(workbook(tmp_path / "P01.xlsx", pics), PhotoLimits(max_photos=2))
    assert [p.cell for p in sub.photos] == ["D5", "D6"]
    [warn] = [f for f in sub.findings if f.code == "photos-too-many"]
    assert warn.cell == "D20" and warn.params["count"] == 4 and warn.params["left_out"] == 2


def test_a_picture_over_the_limit_is_a_warning_with_its_size(tmp_path: Path) -> None:
    sub = checked(workbook(tmp_path / "P01.xlsx", [("D6", picture("navy", (1500, 1000)))]),
                  PhotoLimits(max_megapixels=1))
    assert sub.photos == []
    [warn] = [f for f in sub.findings if f.code == "photo-too-large"]
    assert warn.cell == "D6" and "1500×1000" in warn.message_th
    assert "1500×1000" in warn.message_en


def _rewrite(path: Path, change) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def _drawing(parts: dict[str, bytes]) -> str:
    return next(n for n in parts if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n))


def test_a_drawing_with_a_dtd_never_has_its_entities_read(tmp_path: Path) -> None:
    path = workbook(tmp_path / "P01.xlsx", [("D6", picture("navy", (300, 200)))])

    def dtd(parts: dict[str, bytes]) -> None:
        name = _drawing(parts)
        body = parts[name].split(b"?>", 1)[1]
        parts[name] = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + body)
    _rewrite(path, dtd)
    # the guard refuses the file before any reader sees it ...
    assert [f.code for f in checked(path).findings] == ["xml-entities"]
    # ... and the photo reader, on its own, refuses the DTD rather than read it
    found: list = []
    assert photos.extract(path.read_bytes(), SHEET, found) == []
    assert [(f.code, f.severity) for f in found] == [("photo-unreadable", "warning")]
    assert "DTD" in found[0].message_en


def test_a_picture_whose_file_is_missing_is_a_warning(tmp_path: Path) -> None:
    path = workbook(tmp_path / "P01.xlsx", [("D6", picture("navy", (300, 200)))])
    _rewrite(path, lambda parts: [parts.pop(n) for n in list(parts)
                                  if n.startswith("xl/media/")])
    sub = checked(path)
    [warn] = [f for f in sub.findings if f.code == "photo-unreadable"]
    assert sub.photos == [] and warn.cell == "D6"


def test_the_template_lets_pictures_be_pasted_on_the_attachments_sheet_only(
        tmp_path: Path) -> None:
    """Excel refuses to insert a picture on a sheet whose protection covers objects."""
    from tps_batch.template import write_workbook
    from tps_batch.xlsxpatch import sheet_parts

    path = write_workbook(tmp_path / "blank.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = sheet_parts(zf)
        protection = {s: re.search(rb"<sheetProtection[^>]*>", zf.read(parts[s])).group(0)
                      for s, _ in spec.SPEC.sheets}
    assert b'objects="1"' not in protection[SHEET]
    assert all(b'objects="1"' in p for s, p in protection.items() if s != SHEET)


# --- stored and printed -------------------------------------------------------------------

@pytest.mark.backends
def test_photos_are_stored_and_printed_beside_their_line(ws, tmp_path: Path) -> None:
    workbook(ws.path("inbox") / "P01.xlsx",
             [("D6", picture("navy")), ("D30", picture("green")), ("D5", broken_png())])
    result = ingest(ws)
    assert [s["status"] for s in result.submissions] == ["accepted-with-warnings"]
    assert fx.query(ws, "select seq, attachment_seq, cell, width, height from photos "
                        "order by seq") == [(1, 2, "D6", 1600, 1200), (2, None, "D30", 1600, 1200)]
    res = reports.generate(ws, as_of=dt.date(2024, 5, 15), formats=("html",),
                           only=("projects",), progress=None)
    assert not res.failures
    html = (ws.output_dir / "projects" / "P01.html").read_text(encoding="utf-8")
    annex = html[html.index('<section class="annex">'):]
    srcs = re.findall(r'<img src="data:image/jpeg;base64,([^"]+)"', annex)
    assert len(srcs) == 2
    with Image.open(io.BytesIO(base64.b64decode(srcs[0]))) as first:
        assert first.size == (1600, 1200) and first.getpixel((1200, 900))[2] > 100  # navy
    # the photo line names its picture; the one beside no line gets a line of its own
    assert "ภาพที่ 2.1 ภาพการประชุมชี้แจงผู้บริหารสถานศึกษา" in annex
    assert "ภาพที่ 2.2 ภาพกิจกรรม" in annex
    assert annex.index("ภาพการประชุมชี้แจง") < annex.index(srcs[0]) < annex.index(
        "2.2") < annex.index(srcs[1])


@pytest.mark.slow
def test_the_printed_report_carries_the_photos(ws, tmp_path: Path) -> None:
    fx.need("pdfimages")
    workbook(ws.path("inbox") / "P01.xlsx", [("D6", picture("navy")), ("D30", picture("green"))])
    ingest(ws)
    res = reports.generate(ws, as_of=dt.date(2024, 5, 15), formats=("pdf",),
                           only=("projects",), progress=None)
    assert not res.failures
    pdf = ws.output_dir / "projects" / "P01.pdf"
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    sizes = sorted((int(cols[3]), int(cols[4]), cols[8]) for cols in map(str.split, listing))
    assert sizes == [(1600, 1200, "jpeg"), (1600, 1200, "jpeg")]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "ภาพที่ 2.1 ภาพการประชุมชี้แจงผู้บริหารสถานศึกษา" in " ".join(text.split())


@pytest.mark.slow
def test_a_libreoffice_resave_keeps_the_pictures_and_their_places(tmp_path: Path) -> None:
    soffice = fx.need("soffice")
    src = workbook(tmp_path / "P01.xlsx", [("D6", picture("navy", (800, 600))),
                                           ("F30", picture("green", (640, 480)))])
    out = tmp_path / "lo"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'prof').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=120)
    sub = checked(out / src.name)
    assert [(p.cell, p.attachment, p.width, p.height) for p in sub.photos] == [
        ("D6", 2, 800, 600), ("F30", None, 640, 480)]


def test_the_demo_shows_photos_in_six_projects(demo_ingested: Path) -> None:
    """Every workbook of six demo projects has a made-up photo beside its photo line."""
    from tps_batch.settings import load

    ws = load(demo_ingested)
    rows = fx.query(ws, "select p.project_code, p.attachment_seq, p.width, p.height, "
                        "s.status from photos p join submissions s on s.id = p.submission_id")
    assert len({r[0] for r in rows}) == 6
    assert {r[1:4] for r in rows} == {(2, 960, 640)}
    assert {r[4] for r in rows} <= {"accepted", "accepted-with-warnings"}
    assert fx.query(ws, "select count(*) from findings where code like 'photo%'") == [(0,)]


# --- hostile or odd drawings ----------------------------------------------------------------

XDR = ('xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
       'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"')


def _pic(rid: str = "rId1") -> str:
    return (f'<xdr:pic><xdr:blipFill><a:blip r:embed="{rid}"/></xdr:blipFill></xdr:pic>')


def _anchor(col: int | str, row: int | str, inner: str) -> str:
    return (f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f'<xdr:ext cx="1" cy="1"/>{inner}<xdr:clientData/></xdr:oneCellAnchor>')


def with_drawing(tmp_path: Path, anchors: str, media: bytes | None = None) -> bytes:
    """A workbook whose attachments sheet's drawing is ``anchors`` (its picture rId1 is a
    300×200 PNG, or ``media``)."""
    path = workbook(tmp_path / "P01.xlsx", [("D6", picture("navy", (300, 200)))])

    def change(parts: dict[str, bytes]) -> None:
        parts[_drawing(parts)] = (f'<?xml version="1.0" encoding="UTF-8"?><xdr:wsDr {XDR}>'
                                  f"{anchors}</xdr:wsDr>").encode()
        if media is not None:
            parts[next(n for n in parts if n.startswith("xl/media/"))] = media
    _rewrite(path, change)
    return path.read_bytes()


def found(data: bytes, limits: PhotoLimits | None = None) -> tuple[list, list]:
    findings: list = []
    got = photos.extract(data, SHEET, findings, limits)
    return ([(p.cell, p.width) for p in got],
            [(f.code, f.cell, f.message_th, f.message_en) for f in findings])


def test_an_anchor_off_the_grid_is_a_picture_on_the_sheet(tmp_path: Path) -> None:
    """A negative or huge column must not hang the worker (col_letter(-5) looped)."""
    data = with_drawing(tmp_path, _anchor(-5, 5, _pic()) + _anchor(3, 99999999, _pic()))
    assert found(data) == ([("", 300), ("", 300)], [])
    with pytest.raises(ValueError):
        from tps_batch.layout import col_letter
        col_letter(-1)


def test_a_picture_in_both_branches_of_alternate_content_is_taken_once(
        tmp_path: Path) -> None:
    alt = (f"<mc:AlternateContent><mc:Choice Requires=\"a14\">{_anchor(3, 5, _pic())}"
           f"</mc:Choice><mc:Fallback>{_anchor(3, 5, _pic())}</mc:Fallback>"
           "</mc:AlternateContent>")
    assert found(with_drawing(tmp_path, alt)) == ([("D6", 300)], [])


def test_a_bullets_picture_is_not_a_photo(tmp_path: Path) -> None:
    shape = ('<xdr:sp><xdr:txBody><a:p><a:pPr><a:buBlip><a:blip r:embed="rId1"/></a:buBlip>'
             "</a:pPr></a:p></xdr:txBody></xdr:sp>")
    assert found(with_drawing(tmp_path, _anchor(3, 5, shape))) == ([], [])


def test_an_icon_file_is_not_opened(tmp_path: Path) -> None:
    """ICO decodes an embedded PNG while opening, before any size check: refused."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buf, "ICO")
    got, warns = found(with_drawing(tmp_path, _anchor(3, 5, _pic()), media=buf.getvalue()))
    assert got == [] and [(w[0], w[1]) for w in warns] == [("photo-unreadable", "D6")]
    assert "ไม่ใช่ภาพชนิดที่รองรับ" in warns[0][2] and "not a supported" in warns[0][3]
    assert "0x" not in warns[0][3]  # no object address: the same file, the same message


def test_one_picture_pasted_many_times_is_decoded_once(tmp_path: Path) -> None:
    anchors = "".join(_anchor(3, r, _pic()) for r in (5, 6, 7, 8))
    data = with_drawing(tmp_path, anchors, media=picture("navy", (3000, 2000)))
    calls = []
    real = photos._reencode

    def counting(raw: bytes, limits: PhotoLimits):
        calls.append(len(raw))
        return real(raw, limits)
    photos._reencode = counting
    try:
        got, warns = found(data)
    finally:
        photos._reencode = real
    assert len(calls) == 1 and warns == []
    assert got == [("D6", 1600), ("D7", 1600), ("D8", 1600), ("D9", 1600)]


def test_a_workbooks_pictures_are_bounded_in_all(tmp_path: Path) -> None:
    """6 MP decoded each, 10 MP allowed in all: the first two are decoded (12 MP by
    then), the third is left out with a warning naming its cell."""
    path = workbook(tmp_path / "P01.xlsx", [(f"D{r}", picture(c, (3000, 2000)))
                                            for r, c in ((5, "navy"), (6, "green"), (7, "red"))])
    got, warns = found(path.read_bytes(), PhotoLimits(max_total_megapixels=10))
    assert [c for c, _ in got] == ["D5", "D6"]
    assert [(w[0], w[1]) for w in warns] == [("photos-over-budget", "D7")]
    assert "ที่เซลล์ D7" in warns[0][2] and "รวม 1 ภาพ" in warns[0][2]
    assert "at D7" in warns[0][3] and "1 in all" in warns[0][3]
    # and by the bytes kept: 1 byte allowed, so only the first is kept
    got, warns = found(path.read_bytes(), PhotoLimits(max_total_mb=1e-6))
    assert [c for c, _ in got] == ["D5"] and warns[0][:2] == ("photos-over-budget", "D6")


def test_a_drawing_that_cannot_be_read_says_so_about_the_sheet(tmp_path: Path) -> None:
    data = with_drawing(tmp_path, "<xdr:oneCellAnchor><unclosed>")
    got, warns = found(data)
    assert got == [] and [(w[0], w[1]) for w in warns] == [("photo-unreadable", None)]
    assert warns[0][2].startswith("ภาพในชีตนี้ เปิดไม่ได้")
    assert warns[0][3].startswith("The picture on this sheet cannot be read")
