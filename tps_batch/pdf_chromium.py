"""The default PDF engine: the machine's own Chromium, driven by Playwright.

Why Chromium: its PDF backend records the real text of every Thai glyph cluster, so text
copied or searched in the PDF is exactly the text printed (WeasyPrint maps each glyph to
one string, and ำ, stacked tone marks and sara u come out wrong with every Thai font).

Isolation (the HTML carries text from user workbooks):

- the page is written from a string into ``about:blank`` (never a file URL) with JavaScript
  off, in a context that is offline, blocks service workers and refuses every request with
  a route handler: stylesheets, images, frames, objects, fonts, ``@import``, ``<base>``-
  relative links all fail before leaving the browser; ``file:`` from ``about:blank`` is
  refused by Chromium itself;
- the browser's proxy is a loopback port we hold bound but never listen on, loopback
  included (``<-loopback>``), so even a preconnect or DNS prefetch that skips the route
  handler reaches nothing;
- Sarabun comes from the ``fontpkg-sarabun`` package: on Linux the browser alone is given
  its folder through a fontconfig file and pages name it (decoded once a run, not once a
  page); elsewhere as ``data:`` URLs. Every page has a time limit.

One browser per run; pages print in parallel, one tab per CPU.
"""

from __future__ import annotations

import asyncio
import base64
import os
import queue
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape as html_escape
from pathlib import Path

from tps_batch.atomic import atomic_write
from tps_batch.errors import TpsError

PAGE_TIMEOUT = 60.0  # seconds for one document: a nightly run must not hang on one report
REVISIONS = 2  # reprints a document's revise() may ask for (page numbers settle in one)
FONT_FAMILY = "TPS Sarabun"
#: Sarabun draws its glyphs about 1.5 times the size TH Sarabun New does at the same point
#: size (x-height 0.50 em against 0.33 em); scaled to 66 %, "16pt" prints as the official
#: 16 pt TH Sarabun New does, and lines fit as many words as in the office's Word files.
SIZE_ADJUST = "66%"
CHROMIUM_ARGS = (
    "--no-sandbox",  # root cannot use the setuid sandbox; isolation is the route + proxy
    "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--no-pings", "--disable-domain-reliability",
    "--disable-features=NetworkPrediction,DnsOverHttps,MediaRouter,OptimizationHints",
    "--dns-prefetch-disable",
)
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
             "microsoft-edge", "microsoft-edge-stable")
_WINDOWS_CHANNELS = ("msedge", "chrome")

INSTALL_HINT = (
    "ไม่พบเบราว์เซอร์ Chromium สำหรับสร้าง PDF: บน Debian/Ubuntu ใช้คำสั่ง "
    "scripts/setup-system runtime (ติดตั้งแพ็กเกจ chromium), บน Windows ใช้ Microsoft Edge "
    "หรือ Google Chrome ที่ติดตั้งไว้ หรือใช้คำสั่ง playwright install chromium; "
    "กำหนดตำแหน่งเองได้ด้วยตัวแปร TPS_CHROMIUM",
    "No Chromium browser found for PDF output: on Debian/Ubuntu run "
    "scripts/setup-system runtime (installs the chromium package); on Windows the installed "
    "Microsoft Edge or Google Chrome is used; otherwise run: playwright install chromium. "
    "Set TPS_CHROMIUM to the browser's path to choose one.",
)
PLAYWRIGHT_HINT = (
    "ยังไม่ได้ติดตั้ง Playwright: ใช้คำสั่ง pip install playwright (ติดตั้งมาพร้อม tps-batch)",
    "Playwright is not installed: pip install playwright (a dependency of tps-batch)",
)


@dataclass
class Job:
    """One document: its HTML, where the PDF goes and the running-header strings."""

    html: str
    out: Path
    office: str = ""
    title: str = ""
    as_of: str = ""
    #: PDF bookmarks from every heading; Chromium then writes a tagged PDF, which takes
    #: twice as long (the annual report writes its own through ``finish`` instead).
    outline: bool = False
    #: Given the printed PDF, the HTML to print instead (None: keep it). The annual report
    #: fills its สารบัญ's page numbers from the first print this way.
    revise: Callable[[bytes], str | None] | None = None
    #: The last print's bytes -> the bytes written (the annual report adds its bookmarks).
    finish: Callable[[bytes], bytes] | None = None


# --- the browser ------------------------------------------------------------------------

def _playwright_installed() -> bool:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def find_browser() -> tuple[str, str] | None:
    """``("path", exe)`` or ``("channel", name)`` of the browser to drive, or None.

    TPS_CHROMIUM first, then the system's Chromium/Chrome/Edge, then the installed Edge or
    Chrome channel on Windows, then a browser fetched by ``playwright install chromium``.
    """
    env = os.environ.get("TPS_CHROMIUM", "").strip()
    if env:
        return ("path", env) if Path(env).is_file() else None
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return ("path", found)
    if sys.platform == "win32":
        for base in (os.environ.get("PROGRAMFILES(X86)", ""), os.environ.get("PROGRAMFILES", "")):
            for rel, channel in ((r"Microsoft\Edge\Application\msedge.exe", "msedge"),
                                 (r"Google\Chrome\Application\chrome.exe", "chrome")):
                if base and (Path(base) / rel).is_file():
                    return ("channel", channel)
    if sys.platform == "darwin":
        for app in ("Google Chrome", "Microsoft Edge", "Chromium"):
            exe = Path(f"/Applications/{app}.app/Contents/MacOS/{app}")
            if exe.is_file():
                return ("path", str(exe))
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", "")
                 or Path.home() / ".cache" / "ms-playwright")
    for exe in sorted(cache.glob("chromium-*/chrome-*/chrome"), reverse=True):
        if exe.is_file():
            return ("path", str(exe))
    return None


def available() -> bool:
    return _playwright_installed() and find_browser() is not None


def check() -> None:
    """Raise the install hint (Thai and English) when the engine cannot run here."""
    if not _playwright_installed():
        raise TpsError(*PLAYWRIGHT_HINT)
    if find_browser() is None:
        raise TpsError(*INSTALL_HINT)


# --- fonts and page furniture -------------------------------------------------------------

@lru_cache(maxsize=1)
def _font_files() -> dict[str, Path]:
    """Regular and bold Sarabun from ``fontpkg-sarabun`` (its ``ROOT/files``)."""
    try:
        import fontpkg_sarabun
    except ImportError as exc:
        raise TpsError("ยังไม่ได้ติดตั้งฟอนต์ Sarabun: pip install fontpkg-sarabun",
                       "The Sarabun font is not installed: pip install fontpkg-sarabun") from exc
    root = Path(fontpkg_sarabun.ROOT) / "files"
    return {w: root / f"Sarabun-{name}.ttf" for w, name in (("400", "Regular"), ("700", "Bold"))}


def font_files() -> list[Path]:
    return list(_font_files().values())


_LOCAL_NAMES = {"400": ("Sarabun Regular", "Sarabun-Regular"),
                "700": ("Sarabun Bold", "Sarabun-Bold")}


@lru_cache(maxsize=2)
def font_face_css(local: bool = False) -> str:
    """``@font-face`` rules for Sarabun: the font bytes inline (no request ever fetches a
    font), or, where the browser was given the package's font folder through fontconfig
    (:func:`_fontconfig`), the font by name, which it then decodes once, not per page."""
    rules = []
    for weight, path in _font_files().items():
        if local:
            src = ", ".join(f"local({name!r})" for name in _LOCAL_NAMES[weight])
        else:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            src = f"url(data:font/ttf;base64,{data}) format('truetype')"
        rules.append(f"@font-face {{ font-family: {FONT_FAMILY!r}; font-weight: {weight}; "
                     f"font-style: normal; size-adjust: {SIZE_ADJUST}; src: {src}; }}")
    return "\n".join(rules)


def _fontconfig(folder: Path) -> dict[str, str]:
    """On Linux: a fontconfig file in ``folder`` that adds Sarabun's folder to the system's
    fonts, for the browser alone (``FONTCONFIG_FILE``); {} elsewhere."""
    if not sys.platform.startswith("linux"):
        return {}
    fonts = {p.parent for p in _font_files().values()}
    system = Path("/etc/fonts/fonts.conf")
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        + (f"<include ignore_missing=\"yes\">{system}</include>\n" if system.is_file() else "")
        + "".join(f"<dir>{html_escape(str(d))}</dir>\n" for d in sorted(fonts))
        + f"<cachedir>{html_escape(str(folder / 'cache'))}</cachedir>\n</fontconfig>\n",
        encoding="utf-8")
    return {"FONTCONFIG_FILE": str(conf)}




# --- printing -----------------------------------------------------------------------------

ProgressFn = Callable[[int, int], None]


def print_jobs(jobs: Sequence[Job], *, workers: int | None = None,
               progress: ProgressFn | None = None) -> list[TpsError | None]:
    """Print every job with one browser; per job, None or the error that stopped it.

    A job that fails (time limit, engine error) leaves no file and does not stop the others.
    """
    if not jobs:
        return []
    session = PrintSession(workers=workers, progress=progress)
    for job in jobs:
        session.submit(job)
    return session.close()


def _weight(job: Job) -> int:
    """Print order: the biggest documents first, so the annual report (printed twice) does
    not start last and hold the run up while the other tabs sit idle."""
    return len(job.html) * (3 if job.revise else 1)


class PrintSession:
    """One browser for a whole run, started at once in its own thread: documents are
    submitted as the report run writes them and print in parallel tabs (one per CPU,
    biggest waiting document first) while Python goes on with the next report.

    ``close()`` waits for every document and returns, per submitted job in order, None or
    its error; a browser that cannot start fails every job with the install hint.
    """

    def __init__(self, *, workers: int | None = None,
                 progress: ProgressFn | None = None) -> None:
        check()
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.progress = progress
        self.jobs: list[Job] = []
        self.results: list[TpsError | None] = []
        self._waiting: queue.PriorityQueue[tuple[int, int]] = queue.PriorityQueue()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._done = 0
        self._failure: TpsError | None = None
        self.font_css = ""  # set once the browser starts (by name or inline)
        self._thread = threading.Thread(target=self._run, name="tps-pdf", daemon=True)
        if progress is not None:
            progress(0, 0)  # the line appears while the browser starts
        self._thread.start()

    def submit(self, job: Job) -> None:
        with self._lock:
            index = len(self.jobs)
            self.jobs.append(job)
            self.results.append(None)
        self._waiting.put((-_weight(job), index))

    def close(self) -> list[TpsError | None]:
        self._closed.set()
        self._thread.join()
        if self._failure is not None:
            return [self._failure] * len(self.jobs)
        return list(self.results)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except TpsError as exc:
            self._failure = exc
        except Exception as exc:  # noqa: BLE001 - reported per job, never a traceback
            self._failure = _as_error(exc)

    def _next(self) -> int | None:
        """The next waiting job's index; None once the run is closed and nothing waits."""
        try:
            return self._waiting.get_nowait()[1]
        except queue.Empty:
            return -1 if not self._closed.is_set() else None

    def _tick(self) -> None:
        with self._lock:
            self._done += 1
            done, total = self._done, len(self.jobs)
        if self.progress is not None:
            self.progress(done, max(total, done))

    async def _serve(self) -> None:
        from playwright.async_api import async_playwright

        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as dead, \
                tempfile.TemporaryDirectory(prefix="tps-pdf-") as scratch:
            dead.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
            env = _fontconfig(Path(scratch))
            self.font_css = font_face_css(local=bool(env))
            async with async_playwright() as pw:
                try:
                    browser = await pw.chromium.launch(
                        **_launch_options(dead.getsockname()[1], env))
                except Exception as exc:  # a broken or wrong browser: one clear error
                    raise TpsError(
                        f"เปิด Chromium ไม่สำเร็จ: {_first_line(exc)} — {INSTALL_HINT[0]}",
                        f"Chromium could not start: {_first_line(exc)}. {INSTALL_HINT[1]}",
                    ) from exc
                try:
                    context = await browser.new_context(
                        java_script_enabled=False, offline=True, service_workers="block",
                        accept_downloads=False, bypass_csp=False)
                    await context.route("**/*", lambda route: route.abort("blockedbyclient"))
                    await asyncio.gather(*(self._worker(context)
                                           for _ in range(self.workers)))
                finally:
                    await browser.close()

    async def _worker(self, context: object) -> None:
        page = None
        while (i := self._next()) is not None:
            if i < 0:  # nothing waiting yet: the run is still writing its reports
                await asyncio.sleep(0.01)
                continue
            if page is None:
                page = await context.new_page()  # type: ignore[attr-defined]
            try:
                await asyncio.wait_for(_print_one(page, self.jobs[i], self.font_css),
                                       PAGE_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - one bad page must not stop the run
                self.results[i] = _as_error(exc)
                await page.close()
                page = None
            self._tick()
        if page is not None:
            await page.close()


def _launch_options(dead_port: int, env: dict[str, str] | None = None) -> dict[str, object]:
    kind, value = find_browser() or ("", "")
    opts: dict[str, object] = {
        "args": list(CHROMIUM_ARGS), "headless": True,
        "proxy": {"server": f"http://127.0.0.1:{dead_port}", "bypass": "<-loopback>"},
        "env": {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | (env or {}),
    }
    opts["channel" if kind == "channel" else "executable_path"] = value
    return opts


async def _print_one(page: object, job: Job, font_css: str) -> None:
    # shared with WeasyPrint: print.css (A4, margins, header, "หน้า N / M") after the page's CSS
    from tps_batch.pdf import header_css, inject, print_css

    head = f"<style>{font_css}\n{print_css()}\n{header_css(job)}</style>"
    html, draft = job.html, job.revise is not None
    for _ in range(REVISIONS + 1):
        await page.set_content(inject(html, head=head),  # type: ignore[attr-defined]
                               wait_until="load")
        # a draft is printed only to learn where things land: backgrounds change no page
        pdf = await page.pdf(  # type: ignore[attr-defined]
            print_background=not draft, prefer_css_page_size=True, outline=job.outline,
            tagged=job.outline)
        if not pdf.startswith(b"%PDF-"):
            raise RuntimeError("the browser returned no PDF")
        revised = job.revise(pdf) if job.revise is not None else None
        if revised is None and not draft:
            break
        html, draft = revised or html, False
    if job.finish is not None:
        pdf = job.finish(pdf)
    atomic_write(job.out, pdf)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _as_error(exc: BaseException) -> TpsError:
    if isinstance(exc, TpsError):
        return exc
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return TpsError(f"Chromium สร้าง PDF ไม่เสร็จใน {PAGE_TIMEOUT:g} วินาที",
                        f"Chromium did not finish the PDF within {PAGE_TIMEOUT:g} s")
    return TpsError(f"Chromium สร้าง PDF ไม่สำเร็จ: {_first_line(exc)}",
                    f"Chromium could not write the PDF: {_first_line(exc)}")
