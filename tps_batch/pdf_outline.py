"""Where things are in a PDF Chromium wrote: its named destinations (one per element with an
``id`` that a link points to) and its bookmarks (outline: title, level and page of each
heading).

The annual report's สารบัญ prints page numbers; Chromium has no ``target-counter()``, so
the report is printed once, its bookmarks read here, and printed again with the numbers.
Chromium's PDF backend (Skia) writes plain, uncompressed object dictionaries and no
object streams, which is all this small reader handles; anything else reads as no outline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OBJ = re.compile(rb"(\d+) 0 obj\s*<<(.*?)>>\s*(?:stream|endobj)", re.S)
_REF = rb"(\d+) 0 R"


@dataclass(frozen=True)
class Bookmark:
    title: str
    level: int  # 1 = top level
    page: int   # 1-based


def _objects(pdf: bytes) -> dict[int, bytes]:
    objs: dict[int, bytes] = {}
    for m in _OBJ.finditer(pdf):
        objs[int(m[1])] = m[2]
    return objs


def _ref(body: bytes, key: bytes) -> int | None:
    m = re.search(rb"/" + key + rb"\s+" + _REF, body)
    return int(m[1]) if m else None


def _text(raw: bytes) -> str:
    """A PDF string: ``<FEFF...>`` hex UTF-16BE, or a literal ``(...)``."""
    raw = raw.strip()
    if raw.startswith(b"<"):
        data = bytes.fromhex(raw[1:-1].decode("ascii"))
        if data.startswith(b"\xfe\xff"):
            return data[2:].decode("utf-16-be", "replace")
        return data.decode("latin-1")
    inner = raw[1:-1]
    inner = re.sub(rb"\\([\\()])", rb"\1", inner)
    if inner.startswith(b"\xfe\xff"):
        return inner[2:].decode("utf-16-be", "replace")
    return inner.decode("latin-1")


def _title(body: bytes) -> str:
    m = re.search(rb"/Title\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))", body, re.S)
    return _text(m[1]) if m else ""


def _pages(objs: dict[int, bytes], node: int, seen: set[int]) -> list[int]:
    """Page object numbers in order, walking nested /Pages nodes."""
    if node in seen or node not in objs:
        return []
    seen.add(node)
    body = objs[node]
    kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)
    if re.search(rb"/Type\s*/Pages\b", body) and kids:
        out: list[int] = []
        for k in re.findall(_REF, kids[1]):
            out += _pages(objs, int(k), seen)
        return out
    return [node]


def bookmarks(pdf: bytes) -> list[Bookmark]:
    """Every bookmark in reading order; [] when there is no outline or it cannot be read."""
    objs = _objects(pdf)
    catalog = next((b for b in objs.values() if re.search(rb"/Type\s*/Catalog\b", b)), None)
    if catalog is None:
        return []
    root, outlines = _ref(catalog, b"Pages"), _ref(catalog, b"Outlines")
    if root is None or outlines is None or outlines not in objs:
        return []
    page_no = {obj: n for n, obj in enumerate(_pages(objs, root, set()), 1)}
    out: list[Bookmark] = []
    seen: set[int] = set()

    def walk(item: int | None, level: int) -> None:
        while item is not None and item in objs and item not in seen:
            seen.add(item)
            body = objs[item]
            dest = re.search(rb"/Dest\s*\[\s*" + _REF, body)
            out.append(Bookmark(_title(body), level,
                                page_no.get(int(dest[1]), 0) if dest else 0))
            walk(_ref(body, b"First"), level + 1)
            item = _ref(body, b"Next")

    walk(_ref(objs[outlines], b"First"), 1)
    return out


def destinations(pdf: bytes) -> dict[str, int]:
    """``{name: page}`` of the named destinations (Chromium writes them for the targets of
    ``<a href="#id">`` links, tagged or not)."""
    objs = _objects(pdf)
    catalog = next((b for b in objs.values() if re.search(rb"/Type\s*/Catalog\b", b)), None)
    if catalog is None:
        return {}
    root, dests = _ref(catalog, b"Pages"), _ref(catalog, b"Dests")
    if root is None or dests is None or dests not in objs:
        return {}
    page_no = {obj: n for n, obj in enumerate(_pages(objs, root, set()), 1)}
    out: dict[str, int] = {}
    for name, page in re.findall(rb"/([^\s/\[<>()]+)\s*\[\s*" + _REF, objs[dests]):
        key = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), name)
        out[key.decode("utf-8", "replace")] = page_no.get(int(page), 0)
    return out


def _pdf_string(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def add_outline(pdf: bytes, entries: list[tuple[str, int, int]]) -> bytes:
    """``pdf`` with bookmarks ``(title, level, page)`` added as an incremental update (the
    original bytes stay as they are; new objects, a new catalog and xref are appended).

    Chromium makes bookmarks only for a tagged PDF, which takes twice as long to print;
    the annual report's chapters and projects are known, so they are written here instead.
    A PDF this reader cannot follow is returned unchanged.
    """
    objs = _objects(pdf)
    cat_no = next((n for n, b in objs.items() if re.search(rb"/Type\s*/Catalog\b", b)), None)
    start = re.findall(rb"startxref\s+(\d+)", pdf)
    trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", pdf, re.S)
    if cat_no is None or not start or not trailer or not entries or b"/Outlines" in objs[cat_no]:
        return pdf
    root = _ref(objs[cat_no], b"Pages")
    pages = _pages(objs, root, set()) if root is not None else []
    entries = [(t, max(1, lvl), p) for t, lvl, p in entries if 1 <= p <= len(pages)]
    if not entries:
        return pdf
    size = max(int(x) for x in re.findall(rb"/Size\s+(\d+)", trailer[-1])) if re.search(
        rb"/Size", trailer[-1]) else max(objs) + 1
    first_new = max(size, max(objs) + 1)
    outline_no = first_new
    nums = list(range(first_new + 1, first_new + 1 + len(entries)))
    # parent, children and siblings from the levels (a level deeper than its parent + 1
    # hangs under the nearest shallower entry)
    parent: list[int] = []
    stack: list[tuple[int, int]] = []  # (level, index)
    for i, (_t, level, _p) in enumerate(entries):
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent.append(stack[-1][1] if stack else -1)
        stack.append((level, i))
    children: dict[int, list[int]] = {}
    for i, par in enumerate(parent):
        children.setdefault(par, []).append(i)
    body: dict[int, str] = {}
    top = children.get(-1, [])
    body[outline_no] = (f"<< /Type /Outlines /First {nums[top[0]]} 0 R /Last {nums[top[-1]]} 0 R"
                        f" /Count {len(top)} >>")
    for par, kids in children.items():
        for k, i in enumerate(kids):
            title, _level, page = entries[i]
            parts = [f"/Title {_pdf_string(title)}",
                     f"/Parent {outline_no if par == -1 else nums[par]} 0 R",
                     f"/Dest [{pages[page - 1]} 0 R /XYZ null null null]"]
            if k:
                parts.append(f"/Prev {nums[kids[k - 1]]} 0 R")
            if k + 1 < len(kids):
                parts.append(f"/Next {nums[kids[k + 1]]} 0 R")
            if i in children:
                own = children[i]
                parts += [f"/First {nums[own[0]]} 0 R", f"/Last {nums[own[-1]]} 0 R",
                          f"/Count {-len(own)}"]  # closed: chapters first, projects on demand
            body[nums[i]] = "<< " + " ".join(parts) + " >>"
    catalog = objs[cat_no].decode("latin-1")
    body[cat_no] = f"<<{catalog}\n/Outlines {outline_no} 0 R /PageMode /UseOutlines>>"
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets: dict[int, int] = {}
    for n in sorted(body):
        offsets[n] = len(out)
        out += f"{n} 0 obj\n{body[n]}\nendobj\n".encode("latin-1")
    xref_at = len(out)
    out += b"xref\n"
    for n in sorted(offsets):
        out += f"{n} 1\n{offsets[n]:010d} 00000 n \n".encode("ascii")
    info = re.search(rb"/Info\s+\d+ 0 R", trailer[-1])
    new_size = max(size, nums[-1] + 1)
    out += (f"trailer\n<< /Size {new_size} /Root {cat_no} 0 R /Prev {int(start[-1])}"
            f"{' ' + info[0].decode() if info else ''} >>\nstartxref\n{xref_at}\n%%EOF\n"
            ).encode("ascii")
    return bytes(out)
