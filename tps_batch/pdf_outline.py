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
