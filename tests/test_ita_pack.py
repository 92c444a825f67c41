"""The ITA publication pack of the demo: the three documents ITA's open-data items ask for,
as HTML and PDF, with no receipt, file name or e-mail address in what is published (the
HTML and the text a reader copies out of the PDF)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import factories as fx
import pytest

from tps_batch.reports import generate

AS_OF = dt.date(2024, 5, 15)
DOCS = ("action-plan", "progress-6-months", "annual-results")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
FILE_NAME = re.compile(r"\.(xlsx|xlsm|xls|pdf|json|sqlite)\b|archive/|rejected/|inbox/|receipts?/"
                       r"|ใบรับ|[A-Za-z]:\\", re.IGNORECASE)


@pytest.fixture(scope="module")
def pack(demo_ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = fx.copy_workspace(demo_ingested, tmp_path_factory.mktemp("ita") / "ws")
    result = generate(ws, as_of=AS_OF, formats=("html", "pdf"), only=("ita",))
    assert not result.failures
    return ws.output_dir / "ita"


def _published(pack: Path, stem: str) -> list[tuple[str, str]]:
    """What a visitor gets: the HTML as text (its CSS aside) and the PDF's copied text."""
    html = (pack / f"{stem}.html").read_text(encoding="utf-8")
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    text = subprocess.run(["pdftotext", "-layout", str(pack / f"{stem}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(f"{stem}.html", html), (f"{stem}.pdf", text)]


def test_the_pack_has_the_three_documents(pack: Path) -> None:
    assert sorted(p.name for p in pack.iterdir()) == sorted(
        [f"{s}.{ext}" for s in DOCS for ext in ("html", "pdf")] + ["index.html"])
    plan = (pack / "action-plan.html").read_text(encoding="utf-8")
    # 40 projects in the demo's plan, one cancelled: 39 published
    assert "รวม 39 โครงการ" in plan and "แผนปฏิบัติการประจำปีงบประมาณ 2567" in plan
    six = (pack / "progress-6-months.html").read_text(encoding="utf-8")
    assert "ข้อมูล ณ วันที่ 31 มีนาคม พ.ศ. 2567" in six  # the second quarter's end
    annual = (pack / "annual-results.html").read_text(encoding="utf-8")
    assert "ข้อมูล ณ วันที่ 15 พฤษภาคม พ.ศ. 2567" in annual
    assert "ไม่บรรลุเป้าหมาย" in annual  # ITA O33 and OBEC 3.2, by the status rules


def test_no_receipt_file_name_or_email_is_published(pack: Path) -> None:
    for stem in DOCS:
        for name, text in _published(pack, stem):
            assert text.strip(), name
            assert not EMAIL.search(text), (name, EMAIL.search(text))
            assert not FILE_NAME.search(text), (name, FILE_NAME.search(text))
            assert "example.org" not in text, name  # neither mail domains nor evidence links
