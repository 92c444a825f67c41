"""Official documents with a สารบัญ: page numbers from the printed PDF's own bookmarks.

Chromium cannot resolve ``target-counter()``, so a document is printed once with
placeholder numbers, where each chapter landed is read back (the สารบัญ links to each
chapter, so the PDF names its page), and it is printed again with each entry's page: the
สารบัญ has the same entries both times, so nothing moves.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tps_batch.pdf_outline import Bookmark, add_outline, bookmarks, destinations


def _norm(text: str) -> str:
    return " ".join(text.split())


def toc_pages(marks: Sequence[Bookmark], toc: Sequence[dict[str, Any]],
              dests: dict[str, int] | None = None) -> dict[str, int]:
    """``{entry id: page}``: from the named destination ``ch-<id>`` (the สารบัญ links to
    each chapter), else the entry's title matched, in order, to the next bookmark with the
    same text (a title that appears twice takes its own occurrence)."""
    pages: dict[str, int] = {}
    at = 0
    for entry in toc:
        if dests and f"ch-{entry['id']}" in dests:
            pages[entry["id"]] = dests[f"ch-{entry['id']}"]
            continue
        want = _norm(entry["title"])
        for i in range(at, len(marks)):
            if _norm(marks[i].title) == want:
                pages[entry["id"]] = marks[i].page
                at = i + 1
                break
    return pages


def toc_reviser(render_with: Callable[[dict[str, int]], str],
                toc: Sequence[dict[str, Any]]) -> Callable[[bytes], str | None]:
    """A ``Job.revise``: the HTML again with the page numbers read from ``pdf``, or None
    once they match what the last print showed."""
    shown: dict[str, int] = {}

    def revise(pdf: bytes) -> str | None:
        dests = destinations(pdf)
        pages = toc_pages([] if dests else bookmarks(pdf), toc, dests)
        if pages == shown:
            return None
        shown.clear()
        shown.update(pages)
        return render_with(pages)

    return revise


def toc_outline(toc: Sequence[dict[str, Any]],
                sections: Sequence[tuple[str, str, str]] = ()) -> Callable[[bytes], bytes]:
    """A ``Job.finish`` adding bookmarks: each สารบัญ entry (top level) and each of
    ``sections`` ``(chapter id, anchor id, title)`` under its chapter, at the page the PDF
    names for the anchor (``ch-<id>`` for chapters)."""
    def finish(pdf: bytes) -> bytes:
        dests = destinations(pdf)
        entries: list[tuple[str, int, int]] = []
        for e in toc:
            if f"ch-{e['id']}" in dests:
                entries.append((e["title"], 1, dests[f"ch-{e['id']}"]))
            entries += [(title, 2, dests[anchor]) for chapter, anchor, title in sections
                        if chapter == e["id"] and anchor in dests]
        return add_outline(pdf, entries)

    return finish


# --- the annual report as a document (and the six-month report, the same document) ---------

#: Chapters in print order: (id, title). Titles are what the สารบัญ and the bookmarks show.
CHAPTERS = (
    ("preface", "คำนำ"),
    ("summary", "บทที่ 1 บทสรุปสำหรับผู้บริหาร"),
    ("strategy", "บทที่ 2 ผลการดำเนินงานตามกลยุทธ์"),
    ("indicators", "บทที่ 3 ผลการดำเนินงานตามกรอบตัวชี้วัด"),
    ("groups", "บทที่ 4 ผลการดำเนินงานตามกลุ่ม"),
    ("projects", "บทที่ 5 ผลการดำเนินงานรายโครงการ"),
    ("problems", "บทที่ 6 ปัญหาอุปสรรคและข้อเสนอแนะ"),
    ("annex", "ภาคผนวก งบประมาณ"),
)
PREFACE_FILES = ("preface.txt", "คำนำ.txt")  # in the workspace, UTF-8, blank line = paragraph
EMBLEM_FILES = ("emblem.png", "emblem.jpg", "emblem.jpeg", "logo.png", "logo.jpg")
EMBLEM_MAX_BYTES = 2 << 20
EMBLEM_MAX_PIXELS = 4096 * 4096
NO_STRATEGY = "ไม่ระบุกลยุทธ์"


def annual_document(ws: Any, projects: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What makes the annual report a document: สารบัญ entries, คำนำ, the office emblem,
    and the reported projects by strategy (chapter 2)."""
    return {"toc": [{"id": key, "title": title} for key, title in CHAPTERS],
            "chapters": dict(CHAPTERS), "toc_pages": {},
            "toc_sections": [("projects", f"p-{p['code']}", f"{n}. {p['name']}")
                             for n, p in enumerate(projects, 1)],
            "preface": preface(Path(ws.workspace)), "emblem": emblem(Path(ws.workspace)),
            "strategies": by_strategy(projects)}


def document_title(title_th: str, fiscal_year: int) -> dict[str, str]:
    """A document's title with its fiscal year, said once: ``title`` on one line (คำนำ,
    running header, PDF title), ``lead`` and ``year`` the cover's two lines.

    "รายงานผลการดำเนินงานประจำปีงบประมาณ" -> "รายงานผลการดำเนินงาน" / "ประจำปีงบประมาณ พ.ศ.
    2567"; "รายงานผลการดำเนินงานรอบ 6 เดือน" -> itself / "ปีงบประมาณ พ.ศ. 2567".
    """
    title_th = " ".join(title_th.split())
    word = next((w for w in ("ประจำปีงบประมาณ", "ปีงบประมาณ") if title_th.endswith(w)), "")
    lead = title_th.removesuffix(word).strip() if word else title_th
    year = f"{word or 'ปีงบประมาณ'} พ.ศ. {fiscal_year}"
    title = f"{title_th} พ.ศ. {fiscal_year}" if word else f"{title_th} {year}"
    return {"title": title, "lead": lead or title_th, "year": year}


def preface(workspace: Path) -> list[str]:
    """The office's own คำนำ from the workspace, as paragraphs; [] means the default text."""
    for name in PREFACE_FILES:
        path = workspace / name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        paras = [" ".join(p.split()) for p in text.split("\n\n")]
        return [p for p in paras if p][:20]
    return []


def emblem(workspace: Path) -> str | None:
    """The office emblem as a PNG ``data:`` URL, decoded and re-encoded by Pillow within
    limits (the printed page then carries only pixels we wrote); None if absent or bad."""
    for name in EMBLEM_FILES:
        path = workspace / name
        try:
            if not path.is_file() or path.stat().st_size > EMBLEM_MAX_BYTES:
                continue
            from PIL import Image

            with Image.open(path) as img:
                if img.width * img.height > EMBLEM_MAX_PIXELS:
                    continue
                img.thumbnail((600, 600))
                buf = io.BytesIO()
                img.convert("RGBA").save(buf, "PNG")
        except Exception:  # noqa: BLE001 - a bad emblem is left out, never a failure
            continue
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return None


def by_strategy(projects: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reported projects grouped by the strategy their report names, in first-seen order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for p in projects:
        name = " ".join(str(p.get("strategy") or "").split()) or NO_STRATEGY
        out.setdefault(name, []).append(p)
    groups = [{"name": k, "projects": v,
               "allocated": round(sum(p["budget_total"]["allocated"] for p in v), 2),
               "disbursed": round(sum(p["budget_total"]["disbursed"] for p in v), 2)}
              for k, v in out.items()]
    return sorted(groups, key=lambda g: (g["name"] == NO_STRATEGY, g["name"]))
