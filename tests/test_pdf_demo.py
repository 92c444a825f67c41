"""Every PDF the demo produces, read back as staff read it: copied text (pdftotext) must be
the workbooks' and the plan's own Thai, word for word, and Sarabun must be embedded.

The expected words are read here straight from the demo's files with openpyxl (the plan
and the newest kept workbook of each project), not through TPS: what staff typed is what
they must find when they search the PDF.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.factories import need
from tests.test_pdf import need_chromium
from tps_batch import spec
from tps_batch.demo import create_demo

pytestmark = pytest.mark.slow

THAI = re.compile(r"[\u0e01-\u0e5b]")
SARA_AM = "\u0e33"
STACKED = re.compile(r"[\u0e31\u0e34-\u0e37\u0e38\u0e39][\u0e48-\u0e4c]")  # vowel + tone mark
BELOW = re.compile(r"[\u0e38\u0e39\u0e3a]")  # sara u, sara uu, phinthu under the consonant
#: Sheets of the project workbook whose text the form prints (rows from 5; the first four
#: are the title, the hint and the Thai and English column heads).
PRINTED_SHEETS = ("2 วัตถุประสงค์ เป้าหมาย", "3 กิจกรรม", "5 ปัญหา ข้อเสนอแนะ", "6 เอกสารแนบ")
PLAN_SHEETS = {"โครงการ": (1, 2, 3), "กลุ่ม": (0,), "ตัวชี้วัด": (3,)}  # columns, 0-based


def interesting(word: str) -> bool:
    """Words where broken PDFs go wrong: ำ, a tone mark over a vowel, a vowel under the
    consonant, or a long name (which must not come out cut or reordered)."""
    thai = len(THAI.findall(word))
    return thai >= 2 and (SARA_AM in word or bool(STACKED.search(word))
                          or bool(BELOW.search(word)) or thai >= 12)


def words_of(text: object) -> set[str]:
    if not isinstance(text, str):
        return set()
    return {w.strip("()[],;:\"'") for w in text.split() if THAI.search(w)}


def newest_workbooks(ws: Path) -> dict[str, Path]:
    """Project code -> its newest kept original (the report the PDFs print)."""
    newest: dict[str, Path] = {}
    for path in sorted((ws / "archive").rglob("*.xlsx")):  # kept originals, in arrival order
        meta = openpyxl.load_workbook(path, read_only=True)["_meta"]
        if meta["B1"].value == "tps-indicator-report":  # no project: the indicator summary's
            continue
        newest[meta["B3"].value] = path
    return newest


def expected_words(ws: Path) -> set[str]:
    words: set[str] = set()
    plan = openpyxl.load_workbook(ws / "plan.xlsx", read_only=True)
    for sheet, cols in PLAN_SHEETS.items():
        for row in plan[sheet].iter_rows(min_row=5, values_only=True):
            for c in cols:
                words |= words_of(row[c] if c < len(row) else None)
    for path in newest_workbooks(ws).values():
        book = openpyxl.load_workbook(path, read_only=True)
        for cell in ("C15", "C16"):  # strategy and หลักการและเหตุผล, printed under item 2
            words |= words_of(book["1 โครงการ"][cell].value)
        for sheet in PRINTED_SHEETS:
            for row in book[sheet].iter_rows(min_row=5, values_only=True):
                # an attachment's kind (a listed value) is the annex's sub-heading instead
                for value in row[1:] if sheet == "6 เอกสารแนบ" else row:
                    words |= words_of(value)
    return {w for w in words if interesting(w)}


def pdf_text(path: Path) -> str:
    """pdftotext in drawing order, a line wrap inside Thai text joined back."""
    text = subprocess.run([need("pdftotext"), "-raw", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return re.sub(r"(?<=[\u0e01-\u0e5b])\n(?=[\u0e01-\u0e5b])", "", text)


@pytest.fixture(scope="module")
def demo_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    need_chromium()
    ws = create_demo(tmp_path_factory.mktemp("demo") / "ws").directory
    subprocess.run([sys.executable, "-m", "tps_batch.cli", "run", "-w", str(ws),
                    "--as-of", "2024-05-15"], check=True, capture_output=True)
    pdfs = sorted((ws / "output").rglob("*.pdf"))
    return ws, pdfs


def test_copied_text_is_the_workbooks_own(demo_pdfs: tuple[Path, list[Path]]) -> None:
    ws, pdfs = demo_pdfs
    assert len(pdfs) > 30  # per-project reports and the four documents
    text = "\n".join(pdf_text(p) for p in pdfs)
    words = expected_words(ws)
    assert len(words) >= 200, len(words)
    assert sum(SARA_AM in w for w in words) >= 50
    assert sum(bool(STACKED.search(w)) for w in words) >= 50
    assert sum(bool(BELOW.search(w)) for w in words) >= 30
    missing = sorted(w for w in words if w not in text)
    assert missing == [], f"{len(missing)} of {len(words)} words not found: {missing[:20]}"


def test_every_pdf_embeds_sarabun_only(demo_pdfs: tuple[Path, list[Path]]) -> None:
    _, pdfs = demo_pdfs
    for path in pdfs:
        lines = subprocess.run([need("pdffonts"), str(path)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        fonts = {ln.split()[0].split("+")[-1]: ln.split()[-5] for ln in lines}
        assert "Sarabun-Regular" in fonts, (path.name, fonts)
        assert set(fonts) <= {"Sarabun-Regular", "Sarabun-Bold"}, (path.name, fonts)
        assert set(fonts.values()) == {"yes"}, (path.name, fonts)  # embedded


def page_text(path: Path, page: int) -> str:
    return subprocess.run([need("pdftotext"), "-f", str(page), "-l", str(page), "-raw",
                           str(path), "-"], capture_output=True, text=True, check=True).stdout


def outline(path: Path) -> list[tuple[int, str, int]]:
    """(level, title, page) of every bookmark, as poppler reads them (pdftohtml -xml)."""
    xml = subprocess.run([need("pdftohtml"), "-xml", "-i", "-stdout", str(path)],
                         capture_output=True, text=True, check=True).stdout
    out, level = [], 0
    for m in re.finditer(r'<outline>|</outline>|<item page="(\d+)">([^<]*)</item>', xml):
        if m[0] == "<outline>":
            level += 1
        elif m[0] == "</outline>":
            level -= 1
        else:
            out.append((level, html.unescape(m[2]), int(m[1])))
    return out


def test_contents_page_numbers_match_the_bookmarks(demo_pdfs: tuple[Path, list[Path]]) -> None:
    """The สารบัญ's numbers are where each chapter's bookmark points, and that page really
    starts the chapter (its title is printed there); every reported project has a bookmark
    under chapter 5 on the page where its form begins."""
    _, pdfs = demo_pdfs
    annual = next(p for p in pdfs if p.name == "annual.pdf")
    marks = outline(annual)
    chapters = {" ".join(t.split()): page for level, t, page in marks if level == 1}
    assert next(iter(chapters)) == "คำนำ" and len(chapters) == 8, chapters
    toc_page = next(n for n in range(1, 6) if "สารบัญ" in page_text(annual, n).splitlines()
                    and page_text(annual, n).count("บทที่") >= 6)
    entries = {}
    for line in page_text(annual, toc_page).splitlines():  # "บทที่ 1 บทสรุป… 4"
        m = re.fullmatch(r"((?:คำนำ|บทที่|ภาคผนวก).*?)\s+(\d+)", line.strip())
        if m:
            entries[" ".join(m[1].split())] = int(m[2])
    assert entries == chapters  # same titles, same pages, same order
    assert list(entries.values()) == sorted(entries.values())
    for title, page in entries.items():
        assert title in " ".join(page_text(annual, page).split()), (title, page)
        assert page != toc_page
    projects = [(t, page) for level, t, page in marks if level == 2]
    assert len(projects) >= 30
    for title, page in projects:
        assert " ".join(title.split()) in " ".join(page_text(annual, page).split())
        assert chapters["บทที่ 5 ผลการดำเนินงานรายโครงการ"] < page < chapters[
            "บทที่ 6 ปัญหาอุปสรรคและข้อเสนอแนะ"]


def test_project_pdfs_follow_the_seed_form(demo_pdfs: tuple[Path, list[Path]]) -> None:
    ws, pdfs = demo_pdfs
    projects = [p for p in pdfs if p.parent.name == "projects"]
    assert len(projects) >= 30
    english = {f.label_en for f in spec.stored_fields()} | {t.label_en for t in spec.SPEC.tables}
    percent_targets: dict[str, list[int]] = {}
    for code, book_path in newest_workbooks(ws).items():
        rows = openpyxl.load_workbook(book_path, read_only=True)["2 วัตถุประสงค์ เป้าหมาย"]
        for row in rows.iter_rows(min_row=5, min_col=3, max_col=7, values_only=True):
            if row[2] == "ร้อยละ" and isinstance(row[3], int):
                percent_targets.setdefault(code, []).append(row[3])
    same_day = re.compile(r"(\d{1,2} \S+ \d{4}) – \1")
    seen_percent = 0
    for path in projects:
        text = " ".join(pdf_text(path).split())
        for item in ("1. ชื่อโครงการ", "2. ผู้รับผิดชอบโครงการ", "3. วัตถุประสงค์", "4. เป้าหมาย",
                     "5. การดำเนินงานตามกิจกรรม", "6. สรุปงบประมาณ", "7. ผลการดำเนินงาน",
                     "8. ปัญหาอุปสรรค", "9. ข้อเสนอแนะ"):
            assert item in text, (path.name, item)
        assert text.index("1. ชื่อโครงการ") < text.index("9. ข้อเสนอแนะ")
        for role in ("ผู้รายงาน", "ผู้อำนวยการศูนย์", "รองผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา"):
            assert text.count(role) == 1, (path.name, role)  # each block once, never twice
        assert not same_day.search(text), path.name
        assert [e for e in english if e in text] == [], path.name  # Thai only in print
        for value in percent_targets.get(path.stem, []):  # "ร้อยละ 80", not "80 ร้อยละ"
            assert f"ร้อยละ {value}" in text, (path.name, value)
            seen_percent += 1
    assert seen_percent >= 10


def test_every_link_of_the_html_pages_works(demo_pdfs: tuple[Path, list[Path]]) -> None:
    """Navigation: every report page but the dashboard links back to it (receipts are
    mailed, standalone), every relative link
    points at a file that exists (project pages, reported or not; the projects list), and
    every plan project has a page."""
    ws, _ = demo_pdfs
    out = next(p.parent for p in (ws / "output").rglob("index.html")
               if (p.parent / "annual.html").is_file())
    pages = sorted(out.rglob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        links = re.findall(r'href="([^"#:]+)"', text)
        broken = [h for h in links if not (page.parent / h).resolve().is_file()]
        assert broken == [], (page.relative_to(out), broken[:5])
        if page != out / "index.html" and 'class="report-head"' in text:  # not receipts
            assert re.search(r'href="(\.\./)*index\.html"', text), page.relative_to(out)
    codes = {r[0] for r in openpyxl.load_workbook(ws / "plan.xlsx", read_only=True)[
        "โครงการ"].iter_rows(min_row=5, values_only=True) if r[0]}
    assert {p.stem for p in (out / "projects").glob("*.html")} >= codes
    index = (out / "projects" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="../projects/{c}.html"' in index for c in codes)
    for name in ("overdue.html", "indicators.html", "annual.html"):
        assert re.search(r'href="projects/P2567-\d+\.html"', (out / name).read_text("utf-8"))
