"""PDF output: report HTML to A4 PDF with WeasyPrint (default) or wkhtmltopdf.

The HTML carries text from user workbooks, so neither engine may read a local file or
touch the network, whatever the markup asks for:

- WeasyPrint gets :func:`fetch_resource` as its only URL fetcher: it serves files inside
  ``templates_dir()`` (``print.css``, fonts or logos shipped with the templates) and
  ``data:`` images up to 1 MiB; everything else (other ``file:`` paths, ``..`` or symlink
  escapes, ``http(s):``, ``ftp:``, other ``data:``) is refused and the page renders without it.
- wkhtmltopdf runs with local file access and JavaScript off, no images (charts are inline
  SVG, which still renders; QtWebKit's image decoders are old code better left unused) and
  a proxy on a local port we hold but never listen on, so any fetch, even to localhost, and
  any DNS lookup (``--proxy-hostname-lookup``) fails.
"""

from __future__ import annotations

import base64
import html as html_lib
import mimetypes
import os
import re
import shutil
import socket
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from tps_batch.atomic import atomic_path
from tps_batch.errors import TpsError
from tps_batch.render import templates_dir

ENGINES = ("weasyprint", "wkhtmltopdf")
PRINT_CSS = "print.css"
DATA_URL_LIMIT = 1 << 20  # bytes of a data: image; bigger ones are refused
WKHTMLTOPDF_TIMEOUT = 300  # seconds; a nightly run must not hang on one report

_INSTALL_HINT = {
    "weasyprint": (
        "ยังไม่ได้ติดตั้ง WeasyPrint (รุ่น 68 ขึ้นไป): ใช้คำสั่ง pip install 'tps-batch[pdf]' "
        "และติดตั้ง Pango ด้วย scripts/setup-system",
        "WeasyPrint (68 or later) is not installed: pip install 'tps-batch[pdf]', "
        "and install Pango with scripts/setup-system",
    ),
    "wkhtmltopdf": (
        "ไม่พบโปรแกรม wkhtmltopdf: ติดตั้งด้วย apt-get install wkhtmltopdf (scripts/setup-system)",
        "wkhtmltopdf is not installed: apt-get install wkhtmltopdf (see scripts/setup-system)",
    ),
}


def available(engine: str) -> bool:
    """Whether ``engine`` can run here (WeasyPrint raises OSError if Pango is missing)."""
    if engine == "weasyprint":
        try:
            import weasyprint
        except (ImportError, OSError):
            return False
        return hasattr(weasyprint, "URLFetcher")  # older ones cannot take our fetcher
    if engine == "wkhtmltopdf":
        return shutil.which("wkhtmltopdf") is not None
    return False


def render_pdf(html: str, out: Path, *, engine: str = "weasyprint", title: str = "",
               office_name: str = "", as_of_text: str = "") -> Path:
    """Write ``html`` as an A4 PDF to ``out``, whole or not at all, and return ``out``.

    The page header shows ``office_name``, ``title`` and ``as_of_text``; the footer shows
    "หน้า N / M". wkhtmltopdf is the fallback: Debian's build uses unpatched Qt, which
    ignores ``--header-*``/``--footer-*`` (only a static build with patched Qt honours
    them), so the three strings are a block at the top of page 1 and there are no page
    numbers; it also neither repeats table heads nor keeps rows whole across pages, has no
    landscape pages, and follows a ``<meta http-equiv=refresh>`` (to a blocked page).
    """
    if engine not in ENGINES:
        raise TpsError(f"ไม่รู้จักโปรแกรมสร้าง PDF '{engine}' (ใช้ได้: {', '.join(ENGINES)})",
                       f"Unknown PDF engine '{engine}' (choose one of {', '.join(ENGINES)})")
    if not available(engine):
        raise TpsError(*_INSTALL_HINT[engine])
    out = Path(out)
    with atomic_path(out) as tmp:
        if engine == "weasyprint":
            _weasyprint(html, tmp, (office_name, title, as_of_text))
        else:
            _wkhtmltopdf(html, tmp, (office_name, title, as_of_text))
    return out


# --- fonts -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def has_th_sarabun() -> bool:
    """Whether a real TH Sarabun New is installed (``fc-list`` skips fontconfig aliases)."""
    fc_list = shutil.which("fc-list")
    for family in ("TH Sarabun New", "THSarabunNew") if fc_list else ():
        try:
            found = subprocess.run([fc_list, family, "family"], capture_output=True,
                                   text=True, timeout=30, check=False).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return False
        if found:
            return True
    return False


def font_css() -> str:
    """CSS that puts Laksaman first when TH Sarabun New is not really installed.

    Debian's fonts-tlwg-laksaman answers "TH Sarabun" with Laksaman drawn at 0.66 scale
    through a fontconfig matrix. WeasyPrint takes the scaled advances but draws full-size
    glyphs, so letters pile onto each other; named directly, at 10.5pt (16pt x 0.66),
    Laksaman prints what TH Sarabun New 16pt would, in both engines.
    """
    if has_th_sarabun():
        return ""
    return 'html { font-family: "Laksaman", "Sarabun", sans-serif; font-size: 10.5pt; }'


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
    if not path.is_relative_to(root) or not path.is_file():
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


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that no quote, backslash, brace or tag can end."""
    out = []
    for ch in text:
        if ch.isalnum() or ch == " " or (ord(ch) > 0x7F and ch.isprintable()):
            out.append(ch)
        else:  # the space ends the escape (and is eaten by it); NUL becomes U+FFFD
            out.append(f"\\{ord(ch) or 0xFFFD:x} ")
    return '"' + "".join(out) + '"'


def _header_css(strings: tuple[str, str, str]) -> str:
    """Office and title on the left (two lines), as-of date on the right."""
    office, title, as_of = strings
    boxes = (("top-left", "\n".join(s for s in (office, title) if s)), ("top-right", as_of))
    return "@page {" + "".join(f" @{box} {{ content: {css_string(text)}; }}"
                               for box, text in boxes if text) + " }"


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
    head = f'<link rel="stylesheet" href="{css_url}"><style>{font_css()}</style>'
    page = spell_out_sara_am(_inject(html, head=head))
    try:
        doc = weasyprint.HTML(string=page, base_url=templates_dir().resolve().as_uri() + "/",
                              url_fetcher=fetcher)
        header = weasyprint.CSS(string=spell_out_sara_am(_header_css(strings)),
                                url_fetcher=fetcher)
        doc.write_pdf(tmp, stylesheets=[header])
    except Exception as exc:  # re-raised: any engine failure becomes one clear TpsError
        raise TpsError(f"WeasyPrint สร้าง PDF ไม่สำเร็จ: {exc}",
                       f"WeasyPrint could not write the PDF: {exc}") from exc


# --- wkhtmltopdf -------------------------------------------------------------------------

def _wkhtmltopdf(html: str, tmp: Path, strings: tuple[str, str, str]) -> None:
    css = (templates_dir() / PRINT_CSS).read_text(encoding="utf-8")
    spans = "".join(f'<span class="{cls}">{html_lib.escape(text)}</span>'
                    for cls, text in zip(("office", "title", "as-of"), strings, strict=True))
    page = _inject(html, head=f"<style>{css}\n{font_css()}</style>",
                   body=f'<div class="tps-print-header">{spans}</div>' if any(strings) else "")
    with tempfile.TemporaryDirectory(prefix="tps-wk-") as run_dir, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as dead:
        dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        argv = [
            shutil.which("wkhtmltopdf") or "wkhtmltopdf", "--quiet",
            "--page-size", "A4", "--encoding", "utf-8",
            "--margin-top", "15mm", "--margin-bottom", "15mm",
            "--margin-left", "18mm", "--margin-right", "15mm",
            "--disable-local-file-access", "--disable-javascript", "--disable-plugins",
            "--no-images", "--disable-external-links", "--disable-internal-links",
            "--proxy", f"http://127.0.0.1:{dead.getsockname()[1]}", "--proxy-hostname-lookup",
            "--load-error-handling", "ignore", "--load-media-error-handling", "ignore",
            "-", str(tmp),
        ]
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env |= {"XDG_RUNTIME_DIR": run_dir, "QT_QPA_PLATFORM": "offscreen"}  # no X display
        try:
            proc = subprocess.run(argv, input=page.encode("utf-8"), capture_output=True,
                                  env=env, cwd=run_dir, timeout=WKHTMLTOPDF_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TpsError(f"wkhtmltopdf ทำงานไม่สำเร็จ: {exc}",
                           f"wkhtmltopdf failed to run: {exc}") from exc
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    # A resource we blocked (file:, network) makes it exit 1 although the PDF is complete.
    blocked_only = proc.returncode == 1 and "network error" in stderr
    if (proc.returncode != 0 and not blocked_only) or not _is_pdf(tmp):
        detail = stderr[-500:] or f"exit code {proc.returncode}"
        raise TpsError(f"wkhtmltopdf สร้าง PDF ไม่สำเร็จ: {detail}",
                       f"wkhtmltopdf could not write the PDF: {detail}")


def _is_pdf(path: Path) -> bool:
    with open(path, "rb") as fh:
        start = fh.read(5)
        fh.seek(max(0, path.stat().st_size - 1024))
        return start == b"%PDF-" and b"%%EOF" in fh.read()


# --- shared ------------------------------------------------------------------------------

_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)


def _inject(html: str, *, head: str = "", body: str = "") -> str:
    """Add ``head`` at the end of <head> (after the page's CSS, so it wins) and ``body`` at
    the start of <body>; lacking those, after the doctype, so as not to force quirks mode."""
    head_end, body_start = _HEAD_END.search(html), _BODY_START.search(html)
    doctype = _DOCTYPE.match(html)
    at = next((m.end() for m in (body_start, head_end, doctype) if m), 0)
    if head_end and head_end.start() <= at:
        return html[:head_end.start()] + head + html[head_end.start():at] + body + html[at:]
    return html[:at] + head + body + html[at:]
