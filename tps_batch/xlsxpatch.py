"""Fill cells and attach notes in an .xlsx by patching its parts as text, not by loading it.

Why: openpyxl parses and re-writes every part of a workbook (~45 ms a file) to change a
handful of cells. Here only ``styles.xml``, the flagged sheets, their ``.rels`` and
``[Content_Types].xml`` are edited, with small textual insertions (everything else in
those parts stays byte-identical), new comment and VML parts are added, and every other
member is copied *compressed*, byte for byte, so nothing is re-deflated but what changed.

The price is generality: this handles what our xlsxwriter template and ordinary
Excel/LibreOffice saves look like, and raises :class:`Unsupported` for anything else (a
prefixed namespace, a sheet that already has notes, a flagged cell with no ``<c>``
element, ...). The caller then uses openpyxl, which is slow but general.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# worksheet children that the schema puts after <legacyDrawing> (CT_Worksheet sequence)
_AFTER_LEGACY = {"legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                 "webPublishItems", "tableParts", "extLst"}
# a start or end tag whose attribute values may hold any character but their own quote;
# "<!" / "<?" (comment, CDATA, PI) are matched so the caller can refuse them
_TAG = re.compile(r"""<(/?)([^\s/>!?]+)((?:[^>"'/]|"[^"]*"|'[^']*')*)(/?)>|<[!?]""")
_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Unsupported(Exception):
    """The file is outside what the fast path handles: use the slow, general path."""


@dataclass(frozen=True)
class Mark:
    """What one cell gets: a solid fill of colour ``rgb`` ("RRGGBB") and a note ``text``."""

    rgb: str
    text: str


def mark_cells(data: bytes, marks: Mapping[tuple[str, str], Mark], author: str) -> bytes:
    """``data`` (an .xlsx) with each ``(sheet name, "A1" ref)`` of ``marks`` filled and
    noted; sheets the workbook doesn't have are ignored. Raises :class:`Unsupported` (or
    whatever a malformed part provokes) when the file needs the general path."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = {i.filename for i in zf.infolist()}
    if len(names) != len(zf.infolist()) or any(i.flag_bits & 1 for i in zf.infolist()):
        raise Unsupported("duplicate or encrypted zip members")
    sheets, styles_part = _workbook_parts(zf)
    by_part: dict[str, dict[str, Mark]] = {}
    for (sheet, ref), mark in marks.items():
        if sheet in sheets:
            by_part.setdefault(sheets[sheet], {})[ref] = mark
    if not by_part:
        return data
    texts = {part: _text(zf.read(part)) for part in by_part}
    cells = {part: _find_cells(texts[part], list(refs)) for part, refs in by_part.items()}
    wanted = {(_style_of(texts[part][a:b]), by_part[part][ref].rgb)
              for part, found in cells.items() for ref, (a, b) in found.items()}
    styles, new_style = _patch_styles(_text(zf.read(styles_part)), sorted(wanted))

    types = _text(zf.read("[Content_Types].xml"))
    taken = {n.lower() for n in names} | {
        p.lower() for p in re.findall(r"""PartName=["']/([^"']+)""", types)}
    comment_names = _free("xl/comments{}.xml", taken)
    vml_names = _free("xl/drawings/vmlDrawing{}.vml", taken)
    in_use = _vml_ids_in_use(zf)
    vml_data_ids = (n for n in range(1, 65536) if n not in in_use)
    replaced = {styles_part: styles.encode()}
    added: list[tuple[str, bytes]] = []
    comment_parts = []
    for part, refs in by_part.items():
        text, comments, vml = texts[part], next(comment_names), next(vml_names)
        rels_part = _rels_path(part)
        old_rels = _text(zf.read(rels_part)) if rels_part in names else None
        vml_id, rels = _sheet_rels(old_rels, part, comments, vml)
        edits = [(a, b, _set_attr(text[a:b], "s", new_style[(_style_of(text[a:b]),
                                                               refs[ref].rgb)]))
                 for ref, (a, b) in cells[part].items()]
        replaced[part] = _apply(text, edits + _legacy_drawing_edits(text, vml_id)).encode()
        if old_rels is None:
            added.append((rels_part, rels))
        else:
            replaced[rels_part] = rels
        ordered = sorted(refs.items(), key=lambda kv: _row_col(kv[0]))
        added.append((comments, _comments_xml(author, ordered)))
        comment_parts.append(comments)
        added.append((vml, _vml_xml(next(vml_data_ids), ordered)))
    replaced["[Content_Types].xml"] = _content_types(types, comment_parts)
    return _write_zip(data, zf, replaced, added, template=zf.getinfo(styles_part))


def _workbook_parts(zf: zipfile.ZipFile) -> tuple[dict[str, str], str]:
    """Sheet name → worksheet part, and the styles part, from the package relationships."""
    workbook = _rels(zf, "")[1].get("officeDocument", [""])[0]
    ids, by_type = _rels(zf, workbook)
    sheets = {attrs["name"]: ids[attrs[f"{REL_NS} id"]]
              for tag, attrs in _elements(zf.read(workbook)) if tag == f"{MAIN_NS} sheet"}
    return sheets, by_type.get("styles", [""])[0]


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part (for readers that look at a sheet's XML)."""
    return _workbook_parts(zf)[0]


def _vml_ids_in_use(zf: zipfile.ZipFile) -> set[int]:
    """The ``o:idmap`` blocks other VML parts own: each is 1024 shape ids, never shared."""
    used: set[int] = set()
    for info in zf.infolist():
        if info.filename.lower().endswith(".vml"):
            for ids in re.findall(r"""idmap\b[^>]*\sdata=["']([^"']*)""",
                                  zf.read(info).decode("utf-8", "replace")):
                used.update(int(n) for n in re.findall(r"\d+", ids))
    return used


def _rels_path(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _sheet_rels(old: str | None, part: str, comments: str, vml: str) -> tuple[str, bytes]:
    """The sheet's .rels with the comments and VML relationships added (fresh ids), and
    the VML one's id; a sheet that already has either is left to openpyxl."""
    rel_ids = set()
    if old is not None:
        for tag, attrs in _elements(old.encode()):
            if tag == f"{PKG_NS} Relationship":
                rel_ids.add(attrs["Id"])
                if attrs["Type"].rsplit("/", 1)[-1] in ("comments", "vmlDrawing"):
                    raise Unsupported(f"{part} already has notes")
    free_ids = (f"rId{n}" for n in range(1, 100000) if f"rId{n}" not in rel_ids)
    vml_id, comments_id = next(free_ids), next(free_ids)
    here = posixpath.dirname(part)
    new = "".join(f'<Relationship Id="{rid}" Type="{REL_NS}/{kind}" '
                  f"Target={quoteattr(posixpath.relpath(target, here))}/>"
                  for rid, kind, target in ((vml_id, "vmlDrawing", vml),
                                            (comments_id, "comments", comments)))
    if old is None:
        return vml_id, f'{_DECL}<Relationships xmlns="{PKG_NS}">{new}</Relationships>'.encode()
    at = old.rfind("</Relationships>")
    if at < 0:
        raise Unsupported(f"{part}.rels: no </Relationships>")
    return vml_id, (old[:at] + new + old[at:]).encode()


def _content_types(types: str, comment_parts: list[str]) -> bytes:
    """[Content_Types].xml with an Override per new comments part at the end and, if
    missing, the vml Default after the last Default (the schema allows any order; every
    writer puts Defaults first, so we do too)."""
    end = types.rfind("</Types>")
    if end < 0:
        raise Unsupported("[Content_Types].xml: no </Types>")
    edits = [(end, end, "".join(f'<Override PartName="/{name}" ContentType="{COMMENTS_CT}"/>'
                                for name in comment_parts))]
    if not re.search(r"""<Default\s[^>]*Extension=["']vml["']""", types, re.I):
        defaults = [m.end() for m in re.finditer(r"<Default\s[^>]*>", types)]
        at = defaults[-1] if defaults else end
        edits.append((at, at, f'<Default Extension="vml" ContentType="{VML_CT}"/>'))
    return _apply(types, edits).encode()


def _elements(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """Start tags of a small XML part as ("namespace localname", attributes).

    expat used directly so a DTD is refused before it is read: no entity is ever declared,
    hence none can be expanded, whatever the guard upstream did or didn't check."""
    found: list[tuple[str, dict[str, str]]] = []

    def refuse(*_args: object) -> None:
        raise Unsupported("DTD in a package part")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = lambda tag, attrs: found.append((tag, attrs))
    parser.Parse(data, True)
    return found


def _rels(zf: zipfile.ZipFile, part: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A part's relationships: id → target part, and last type segment → target parts."""
    ids: dict[str, str] = {}
    by_type: dict[str, list[str]] = {}
    for tag, attrs in _elements(zf.read(_rels_path(part))):
        if tag == f"{PKG_NS} Relationship" and attrs.get("TargetMode") != "External":
            target = _target(posixpath.dirname(part), attrs["Target"])
            ids[attrs["Id"]] = target
            by_type.setdefault(attrs["Type"].rsplit("/", 1)[-1], []).append(target)
    return ids, by_type


def part_rels(zf: zipfile.ZipFile, part: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """:func:`_rels` of ``part``, empty when the part has no relationships (for readers
    that look at a sheet's drawing)."""
    if _rels_path(part) not in zf.NameToInfo:
        return {}, {}
    return _rels(zf, part)


def _target(base: str, target: str) -> str:
    return target[1:] if target.startswith("/") else posixpath.normpath(
        posixpath.join(base, target))


def _free(pattern: str, taken: set[str]) -> Iterator[str]:
    """Part names from ``pattern`` that neither the zip nor the content types use yet."""
    n = 0
    while True:
        n += 1
        if pattern.format(n).lower() not in taken:
            taken.add(pattern.format(n).lower())
            yield pattern.format(n)


def _text(data: bytes) -> str:
    """A part as text; only UTF-8 is edited as text (what every writer we know uses)."""
    head = re.match(rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding=["']([^"']+)""", data)
    if head and head.group(1).lower() not in (b"utf-8", b"utf8"):
        raise Unsupported("not UTF-8")
    return data.decode("utf-8")


def _row_col(ref: str) -> tuple[int, int]:
    """1-based (row, column) of an "A1" ref; anything else (ranges, "$A$1") is unusual."""
    m = _REF.fullmatch(ref)
    if not m:
        raise Unsupported(f"cell ref {ref!r}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    if col > 16384 or int(m.group(2)) > 1048576:
        raise Unsupported(f"cell ref {ref!r}")
    return int(m.group(2)), col


def _find_cells(text: str, refs: list[str]) -> dict[str, tuple[int, int]]:
    """The span of each ref's ``<c r="REF" ...>`` start tag, after checking the sheet is one we
    can edit as text: an unprefixed SpreadsheetML worksheet without notes."""
    root = re.match(r"""\ufeff?(?:<\?xml[^>]*\?>)?\s*<worksheet(\s[^>]*)?>""", text)
    if not root or not re.search(rf"""\sxmlns=["']{re.escape(MAIN_NS)}["']""",
                                 root.group(1) or ""):
        raise Unsupported("not a plain SpreadsheetML worksheet")
    if re.search(r"<[\w.-]+:(?:worksheet|sheetData|row|c)[\s/>]", text):
        raise Unsupported("prefixed cell elements")
    if "<legacyDrawing" in text.replace("<legacyDrawingHF", ""):
        raise Unsupported("sheet already has a legacy drawing")
    start, end = text.find("<sheetData>"), text.find("</sheetData>")
    if start < 0 or end < start:
        raise Unsupported("no sheetData")
    found = {}
    for ref in refs:  # str.find, not a regex per cell: 20x faster on a 20 KB sheet
        _row_col(ref)
        hits = []
        for needle in (f'r="{ref}"', f"r='{ref}'"):
            at = text.find(needle, start, end)
            while at >= 0:
                tag = text.rfind("<", start, at)
                close = text.find(">", at, end)
                # the attribute of a <c> start tag, not text content or another element
                if (text[tag:tag + 3] in ("<c ", "<c\t", "<c\n", "<c\r")
                        and text[at - 1].isspace() and ">" not in text[tag:at] and close > 0):
                    hits.append((tag, close + 1))
                at = text.find(needle, at + 1, end)
        if len(hits) != 1:
            raise Unsupported(f"{len(hits)} <c> elements for {ref}")
        found[ref] = hits[0]
    return found


def _style_of(tag: str) -> int:
    m = re.search(r"""\ss=["'](\d+)["']""", tag)
    return int(m.group(1)) if m else 0


def _set_attr(tag: str, name: str, value: int | str) -> str:
    """``tag`` (a start tag) with attribute ``name`` set, in place or appended after the
    element name; the rest of the tag is left as it was."""
    new, n = re.subn(rf"""(\s{name}=)(["'])[^"']*\2""", rf'\g<1>"{value}"', tag, count=1)
    return new if n else re.sub(r"^<[\w:]+", rf'\g<0> {name}="{value}"', tag, count=1)


def _patch_styles(text: str, wanted: list[tuple[int, str]]) -> tuple[str, dict[
        tuple[int, str], int]]:
    """styles.xml with one solid fill per colour and one cellXfs entry per (original
    style, colour) appended; returns the text and (style, colour) → new style index."""
    fills = re.search(r"<fills(\s[^>]*)?>(.*?)</fills>", text, re.S)
    xfs_m = re.search(r"<cellXfs(\s[^>]*)?>(.*?)</cellXfs>", text, re.S)
    if not fills or not xfs_m or fills.end() > xfs_m.start():
        raise Unsupported("styles.xml without plain <fills>/<cellXfs>")
    n_fills = len(re.findall(r"<fill[\s/>]", fills.group(2)))
    xf_pat = re.compile(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
    xfs = [m.group(0) for m in xf_pat.finditer(xfs_m.group(2))]
    if xf_pat.sub("", xfs_m.group(2)).strip():
        raise Unsupported("unexpected content in <cellXfs>")
    rgbs = sorted({rgb for _s, rgb in wanted})
    fill_id = {rgb: n_fills + i for i, rgb in enumerate(rgbs)}
    new_fills = [f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                 '<bgColor indexed="64"/></patternFill></fill>' for rgb in rgbs]
    new_xfs, index = [], {}
    for style, rgb in wanted:
        if style >= len(xfs):
            raise Unsupported(f"style {style} not in cellXfs")
        head = re.match(r"<xf\b[^>]*?(?=/?>)", xfs[style])
        assert head is not None  # xf_pat guarantees a start tag
        start = _set_attr(_set_attr(head.group(0), "fillId", fill_id[rgb]), "applyFill", 1)
        index[(style, rgb)] = len(xfs) + len(new_xfs)
        new_xfs.append(start + xfs[style][head.end():])
    edits = []
    for m, count, extra in ((fills, n_fills, new_fills), (xfs_m, len(xfs), new_xfs)):
        head = text[m.start():m.start(2)]
        declared = re.search(r"""\scount=["'](\d+)["']""", head)
        if declared and int(declared.group(1)) != count:
            raise Unsupported("styles.xml count attribute disagrees with its elements")
        if declared:
            edits.append((m.start(), m.start(2), _set_attr(head, "count", count + len(extra))))
        edits.append((m.end(2), m.end(2), "".join(extra)))
    return _apply(text, edits), index


def _legacy_drawing_edits(text: str, rid: str) -> list[tuple[int, int, str]]:
    """Insert ``<legacyDrawing r:id=..>`` where CT_Worksheet wants it (before the first
    top-level element that must follow it) and declare the ``r`` prefix if needed."""
    root = re.match(r"""\ufeff?(?:<\?xml[^>]*\?>)?\s*<worksheet(\s[^>]*)?>""", text)
    assert root is not None  # checked by _find_cells
    edits = []
    declared = re.search(r"""\sxmlns:r=(["'])([^"']*)\1""", root.group(0))
    if declared is None:
        edits.append((root.end() - 1, root.end() - 1, f' xmlns:r="{REL_NS}"'))
    elif declared.group(2) != REL_NS:
        raise Unsupported("prefix r bound to another namespace")
    depth = 0
    for m in _TAG.finditer(text, text.find("</sheetData>") + len("</sheetData>")):
        closing, name, empty = m.group(1), m.group(2), m.group(4)
        if name is None or (depth == 0 and ":" in name):
            raise Unsupported("comment, PI or prefixed element among worksheet children")
        if closing and depth == 0:
            if name != "worksheet":
                raise Unsupported("unbalanced worksheet")
            break
        if not closing and depth == 0 and name in _AFTER_LEGACY:
            break
        depth += -1 if closing else (0 if empty else 1)
    else:
        raise Unsupported("no </worksheet>")
    edits.append((m.start(), m.start(), f'<legacyDrawing r:id="{rid}"/>'))
    return edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end) span replaced; spans must not overlap."""
    out, pos = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < pos:
            raise Unsupported("overlapping edits")
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _comments_xml(author: str, items: list[tuple[str, Mark]]) -> bytes:
    body = "".join(f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">'
                   f"{escape(_XML_ILLEGAL.sub('', mark.text))}</t></text></comment>"
                   for ref, mark in items)
    return (f'{_DECL}<comments xmlns="{MAIN_NS}"><authors><author>{escape(author)}</author>'
            f"</authors><commentList>{body}</commentList></comments>").encode()


def _vml_xml(data_id: int, items: list[tuple[str, Mark]]) -> bytes:
    """One hidden note shape per comment, as xlsxwriter writes them (Excel wants the
    shape; the anchor places the pop-up right of the cell, sized to the text)."""
    shapes = []
    for i, (ref, mark) in enumerate(items, start=1):
        row, col = _row_col(ref)
        lines = min(30, max(4, mark.text.count("\n") + 1 + len(mark.text) // 50))
        top = max(row - 2, 0)
        shapes.append(
            f'<v:shape id="_x0000_s{data_id * 1024 + i}" type="#_x0000_t202" style="position:'
            f"absolute;margin-left:59.25pt;margin-top:1.5pt;width:240pt;height:{lines * 15}pt;"
            f'z-index:{i};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
            f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{col}, 15, {top}, 10, {col + 4}, "
            f"15, {top + lines}, 4</x:Anchor><x:AutoFill>False</x:AutoFill>"
            f"<x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column></x:ClientData></v:shape>")
    if len(shapes) > 1023:
        raise Unsupported("more notes than one VML id block holds")
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com'
            ':office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout '
            f'v:ext="edit"><o:idmap v:ext="edit" data="{data_id}"/></o:shapelayout>'
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,'
            '21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" '
            f'o:connecttype="rect"/></v:shapetype>{"".join(shapes)}</xml>').encode()


def _write_zip(data: bytes, zf: zipfile.ZipFile, replaced: Mapping[str, bytes],
               added: list[tuple[str, bytes]], template: zipfile.ZipInfo) -> bytes:
    """The zip again, members in their order, then ``added`` (dated like ``template``).
    Untouched members are copied still compressed (re-deflating them would cost more than
    all the patching); replaced ones keep their method, added ones are deflated."""
    out, central = bytearray(), bytearray()
    entries = [(i, i.filename, replaced.get(i.filename), i.compress_type) for i in zf.infolist()]
    entries += [(template, name, body, zipfile.ZIP_DEFLATED) for name, body in added]
    for info, name, body, method in entries:
        flags = 0
        if body is None:  # copy: the compressed bytes follow the local header's name + extra
            sig, n_name, n_extra = struct.unpack(
                "<4s22xHH", data[info.header_offset:info.header_offset + 30])
            if sig != b"PK\x03\x04":
                raise Unsupported("bad local header")
            at = info.header_offset + 30 + n_name + n_extra
            raw, crc, size = data[at:at + info.compress_size], info.CRC, info.file_size
            flags = info.flag_bits & 0x6  # deflate level hint; no data descriptor any more
        elif method == zipfile.ZIP_DEFLATED:
            deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw, crc, size = deflate.compress(body) + deflate.flush(), zlib.crc32(body), len(body)
        elif method == zipfile.ZIP_STORED:
            raw, crc, size = body, zlib.crc32(body), len(body)
        else:
            raise Unsupported(f"compression method {method}")
        try:
            fname = name.encode("ascii")
        except UnicodeEncodeError:
            fname, flags = name.encode("utf-8"), flags | 0x800
        y, mo, d, h, mi, s = info.date_time
        dos_time, dos_date = h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d
        if len(out) + len(raw) > 0xFFFFFFF0:
            raise Unsupported("zip64")
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, info.create_system, 20, 0,
                               flags, method, dos_time, dos_date, crc, len(raw), size,
                               len(fname), 0, 0, 0, info.internal_attr, info.external_attr,
                               len(out)) + fname
        out += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, flags, method, dos_time,
                           dos_date, crc, len(raw), size, len(fname), 0) + fname + raw
    if len(entries) > 0xFFFF:
        raise Unsupported("zip64")
    out += central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                                 len(central), len(out), 0)
    return bytes(out)
