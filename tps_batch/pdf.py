"""PDF output: report HTML to A4 PDF with Chromium (default) or WeasyPrint.

Chromium (:mod:`tps_batch.pdf_chromium`) is the default because text copied from its PDFs
is the text printed; WeasyPrint stays selectable (``pdf_engine = "weasyprint"``) for
machines without a browser, with a known limit: copied Thai text can come out wrong
(see README, "PDF"). wkhtmltopdf was dropped: it loses Thai tone marks in copied text.

The HTML carries text from user workbooks, so neither engine may read a local file or
touch the network, whatever the markup asks for:

- Chromium: see :mod:`tps_batch.pdf_chromium` (JavaScript off, every request refused).
- WeasyPrint gets :func:`fetch_resource` as its only URL fetcher: it serves files inside
  ``templates_dir()`` (``print.css``, fonts or logos shipped with the templates), the
  Sarabun font files, and ``data:`` images up to 1 MiB; everything else (other ``file:``
  paths, ``..`` or symlink escapes, ``http(s):``, ``ftp:``, other ``data:``) is refused and
  the page renders without it.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from tps_batch import pdf_chromium
from tps_batch.atomic import atomic_path
from tps_batch.errors import TpsError
from tps_batch.pdf_chromium import Job, ProgressFn
from tps_batch.render import templates_dir

ENGINES = ("chromium", "weasyprint")
DEFAULT_ENGINE = "chromium"
PRINT_CSS = "print.css"
DATA_URL_LIMIT = 1 << 20  # bytes of a data: image; bigger ones are refused

__all__ = ["ENGINES", "Job", "available", "render_many", "render_pdf", "start_session"]

_WEASY_HINT = (
    "ยังไม่ได้ติดตั้ง WeasyPrint (รุ่น 68 ขึ้นไป): ใช้คำสั่ง pip install 'tps-batch[pdf]' "
    "และติดตั้ง Pango ด้วย scripts/setup-system",
    "WeasyPrint (68 or later) is not installed: pip install 'tps-batch[pdf]', "
    "and install Pango with scripts/setup-system",
)


def available(engine: str) -> bool:
    """Whether ``engine`` can run here (WeasyPrint raises OSError if Pango is missing)."""
    if engine == "chromium":
        return pdf_chromium.available()
    if engine == "weasyprint":
        try:
            import weasyprint
        except (ImportError, OSError):
            return False
        return hasattr(weasyprint, "URLFetcher")  # older ones cannot take our fetcher
    return False


def _check(engine: str) -> None:
    if engine not in ENGINES:
        raise TpsError(f"ไม่รู้จักโปรแกรมสร้าง PDF '{engine}' (ใช้ได้: {', '.join(ENGINES)})",
                       f"Unknown PDF engine '{engine}' (choose one of {', '.join(ENGINES)})")
    if engine == "chromium":
        pdf_chromium.check()
    elif not available(engine):
        raise TpsError(*_WEASY_HINT)


def render_pdf(html: str, out: Path, *, engine: str = DEFAULT_ENGINE, title: str = "",
               office_name: str = "", as_of_text: str = "", outline: bool = False) -> Path:
    """Write ``html`` as an A4 PDF to ``out``, whole or not at all, and return ``out``.

    The page header shows ``office_name`` and ``title`` (left) and ``as_of_text`` (right);
    the footer "หน้า N / M". ``outline``: PDF bookmarks from the headings (Chromium only).
    """
    job = Job(html, Path(out), office_name, title, as_of_text, outline)
    error = render_many([job], engine=engine)[0]
    if error is not None:
        raise error
    return job.out


def render_many(jobs: Sequence[Job], *, engine: str = DEFAULT_ENGINE,
                progress: ProgressFn | None = None) -> list[TpsError | None]:
    """Print every job (Chromium: one browser, pages in parallel); per job None or its error.

    An unknown or missing engine raises at once: no job could succeed.
    """
    if not jobs:
        return []
    session = start_session(engine, progress)
    for job in jobs:
        session.submit(job)
    return session.close()


def start_session(engine: str = DEFAULT_ENGINE, progress: ProgressFn | None = None) -> Any:
    """A print session: ``submit(job)`` as documents are written, ``close()`` for the
    per-job results. Chromium starts its browser at once and prints while the caller goes
    on; WeasyPrint prints one after the other at ``close()``. Raises if ``engine`` is
    unknown or missing here."""
    _check(engine)
    if engine == "chromium":
        return pdf_chromium.PrintSession(progress=progress)
    return _WeasySession(progress)


class _WeasySession:
    def __init__(self, progress: ProgressFn | None) -> None:
        self.jobs: list[Job] = []
        self.progress = progress

    def submit(self, job: Job) -> None:
        self.jobs.append(job)

    def close(self) -> list[TpsError | None]:
        results: list[TpsError | None] = []
        for n, job in enumerate(self.jobs, 1):
            try:
                with atomic_path(job.out) as tmp:
                    _weasyprint(job.html, tmp, (job.office, job.title, job.as_of))
                results.append(None)
            except TpsError as exc:
                results.append(exc)
            if self.progress is not None:
                self.progress(n, len(self.jobs))
        return results


# --- shared page furniture ---------------------------------------------------------------

@lru_cache(maxsize=1)
def print_css() -> str:
    """templates/print.css: A4, official margins, running header, "หน้า N / M" footer."""
    return (templates_dir() / PRINT_CSS).read_text(encoding="utf-8")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that no quote, backslash, brace or tag can end."""
    out = []
    for ch in text:
        if ch.isalnum() or ch == " " or (ord(ch) > 0x7F and ch.isprintable()):
            out.append(ch)
        else:  # the space ends the escape (and is eaten by it); NUL becomes U+FFFD
            out.append(f"\\{ord(ch) or 0xFFFD:x} ")
    return '"' + "".join(out) + '"'


def header_css(job: Job) -> str:
    """Office and title on the left (two lines), as-of date on the right, as an @page rule
    of escaped CSS strings: workbook text can never become markup or CSS."""
    boxes = (("top-left", "\n".join(s for s in (job.office, job.title) if s)),
             ("top-right", job.as_of))
    return "@page {" + "".join(f" @{box} {{ content: {css_string(text)}; }}"
                               for box, text in boxes if text) + " }"


# --- WeasyPrint --------------------------------------------------------------------------

def fetch_resource(url: str) -> tuple[bytes, str]:
    """Bytes and MIME type of a resource WeasyPrint may load; PermissionError otherwise."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "data":
        head, _, payload = url[5:].partition(",")
        mime = head.split(";")[0].strip().lower()
        if not mime.startswith("image/"):
            raise PermissionError(f"refused data: URL of type {mime or 'text/plain'}")
        body = (base64.b64decode(payload) if head.lower().endswith(";base64")
                else unquote_to_bytes(payload))
        if len(body) > DATA_URL_LIMIT:
            raise PermissionError(f"refused data: image of {len(body)} bytes")
        return body, mime
    parts = urlsplit(url)
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        raise PermissionError(f"refused {scheme}: URL (PDF rendering never uses the network)")
    root = templates_dir().resolve()
    try:  # resolve() follows symlinks and '..', so both are judged by where they land
        path = Path(url2pathname(parts.path)).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise PermissionError(f"refused missing file {parts.path}") from exc
    fonts = {f.resolve() for f in pdf_chromium.font_files()}
    if not (path.is_relative_to(root) or path in fonts) or not path.is_file():
        raise PermissionError(f"refused file outside the templates folder: {parts.path}")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), mime


def _weasy_fetcher() -> Any:
    """A ``weasyprint.URLFetcher`` that delegates to :func:`fetch_resource`, never to urllib."""
    import weasyprint

    class TemplateOnlyFetcher(weasyprint.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            body, mime = fetch_resource(url)
            if mime.startswith("text/") or mime == "image/svg+xml":
                mime += "; charset=utf-8"
            return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": mime})

    return TemplateOnlyFetcher()


def weasy_font_css() -> str:
    """Sarabun from the package's files (the fetcher serves exactly those), at the size
    that prints like TH Sarabun New 16 pt: WeasyPrint ignores ``size-adjust``."""
    rules = [f"@font-face {{ font-family: {pdf_chromium.FONT_FAMILY!r}; font-weight: {w}; "
             f"src: url({path.resolve().as_uri()}); }}"
             for w, path in zip(("400", "700"), pdf_chromium.font_files(), strict=True)]
    scale = float(pdf_chromium.SIZE_ADJUST.rstrip("%")) / 100
    return "\n".join(rules) + f"\nhtml {{ font-size: {16 * scale:.2f}pt; }}"


_SARA_AM = re.compile("([\u0e48-\u0e4b]?)\u0e33")


def spell_out_sara_am(text: str) -> str:
    """Write ำ as the nikhahit + sara aa that the shaper draws (น้ำ -> น + ํ + ้ + า).

    HarfBuzz splits ำ into two glyphs and reorders them around a tone mark; WeasyPrint
    then maps each glyph to one text run for the whole font, so after the first ำ every
    า copies out as ำ and tone marks vanish (สำนักงาน -> "สำนักงำน", ที่ -> "ที"). Spelt
    out, the page is pixel-identical and text copies out as ํา, as from most Thai PDFs.
    """
    return _SARA_AM.sub("\u0e4d\\1\u0e32", text)


def _weasyprint(html: str, tmp: Path, strings: tuple[str, str, str]) -> None:
    import weasyprint

    fetcher = _weasy_fetcher()
    css_url = (templates_dir().resolve() / PRINT_CSS).as_uri()  # absolute: immune to <base>
    head = f'<link rel="stylesheet" href="{css_url}"><style>{weasy_font_css()}</style>'
    page = spell_out_sara_am(inject(html, head=head))
    try:
        doc = weasyprint.HTML(string=page, base_url=templates_dir().resolve().as_uri() + "/",
                              url_fetcher=fetcher)
        header = weasyprint.CSS(string=spell_out_sara_am(header_css(Job("", tmp, *strings))),
                                url_fetcher=fetcher)
        doc.write_pdf(tmp, stylesheets=[header])
    except Exception as exc:  # re-raised: any engine failure becomes one clear TpsError
        raise TpsError(f"WeasyPrint สร้าง PDF ไม่สำเร็จ: {exc}",
                       f"WeasyPrint could not write the PDF: {exc}") from exc


# --- shared ------------------------------------------------------------------------------

_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)


def inject(html: str, *, head: str = "", body: str = "") -> str:
    """Add ``head`` at the end of <head> (after the page's CSS, so it wins) and ``body`` at
    the start of <body>; lacking those, after the doctype, so as not to force quirks mode."""
    head_end, body_start = _HEAD_END.search(html), _BODY_START.search(html)
    doctype = _DOCTYPE.match(html)
    at = next((m.end() for m in (body_start, head_end, doctype) if m), 0)
    if head_end and head_end.start() <= at:
        return html[:head_end.start()] + head + html[head_end.start():at] + body + html[at:]
    return html[:at] + head + body + html[at:]
