"""Official documents with a สารบัญ: page numbers from the printed PDF's own bookmarks.

Chromium cannot resolve ``target-counter()``, so a document is printed once with
placeholder numbers, its bookmarks (one per heading) are read back, and it is printed
again with each entry's page: the สารบัญ has the same entries both times, so nothing moves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tps_batch.pdf_outline import Bookmark, bookmarks


def _norm(text: str) -> str:
    return " ".join(text.split())


def toc_pages(marks: Sequence[Bookmark], toc: Sequence[dict[str, Any]]) -> dict[str, int]:
    """``{entry id: page}``: each entry's title matched, in order, to the next bookmark
    with the same text (a title that appears twice takes its own occurrence)."""
    pages: dict[str, int] = {}
    at = 0
    for entry in toc:
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
        pages = toc_pages(bookmarks(pdf), toc)
        if pages == shown:
            return None
        shown.clear()
        shown.update(pages)
        return render_with(pages)

    return revise
