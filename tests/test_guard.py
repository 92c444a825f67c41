"""The guard: each hostile container gets its own finding, before any parser runs."""

from __future__ import annotations

import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import hostile
import pytest

from tps_batch import guard
from tps_batch.guard import GuardLimits, GuardResult, inspect

LIMITS = GuardLimits()


@pytest.fixture(scope="session")
def hdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the builders per session (shared with test_workers)."""
    path = tmp_path_factory.getbasetemp() / "hostile"
    path.mkdir(exist_ok=True)
    return path


def codes(result: GuardResult) -> list[str]:
    return [f.code for f in result.findings]


CASES: list[tuple[Callable[[Path], Path], str, str]] = [
    (hostile.zip_bomb_xlsx, "zip-member-too-large", "xlsx"),
    (hostile.shared_string_bomb_xlsx, "zip-member-too-large", "xlsx"),
    (hostile.billion_laughs_xlsx, "xml-entities", "xlsx"),
    (hostile.xxe_xlsx, "xml-entities", "xlsx"),
    (hostile.encrypted_ole, "encrypted-workbook", "ole-encrypted"),
    (hostile.legacy_xls, "legacy-xls", "xls"),
    (hostile.truncated_xlsx, "corrupt-zip", "zip"),
    (hostile.pdf_as_xlsx, "not-a-spreadsheet", "pdf"),
    (hostile.html_as_xlsx, "not-a-spreadsheet", "html"),
    (hostile.empty_file, "empty-file", "empty"),
    (hostile.ods_file, "opendocument-not-supported", "ods"),
    (hostile.xlsb_file, "xlsb-not-supported", "xlsb"),
    (hostile.too_many_members_xlsx, "zip-too-many-members", "zip"),
    (hostile.oversized_file, "file-too-large", "zip"),
]


@pytest.mark.parametrize(("build", "code", "kind"), CASES, ids=[c[0].__name__ for c in CASES])
def test_each_reason_has_its_code(hdir: Path, build: Callable[[Path], Path], code: str,
                                  kind: str) -> None:
    result = inspect(build(hdir), LIMITS)
    assert codes(result) == [code]
    assert not result.ok
    assert result.kind == kind
    finding = result.findings[0]
    assert finding.severity == "error"
    assert finding.file == build(hdir).name
    assert "{" not in finding.message_en + finding.message_th  # every placeholder filled


def test_clean_workbook_passes(hdir: Path) -> None:
    result = inspect(hostile.clean_xlsx(hdir), LIMITS)
    assert result.ok and result.findings == [] and result.kind == "xlsx"


def test_bomb_rejected_from_the_directory_alone(hdir: Path, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    """The 1 GiB sheet is judged by its declared size; it is never opened, let alone inflated."""
    path = hostile.zip_bomb_xlsx(hdir)
    opened: list[str] = []
    real_open, real_inflater = zipfile.ZipFile.open, guard._Inflater.of

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kw: object
            ) -> object:
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, *args, **kw)

    def spy_inflater(cls: type, data: bytes, info: zipfile.ZipInfo) -> object:
        opened.append(info.filename)
        return real_inflater(data, info)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    monkeypatch.setattr(guard._Inflater, "of", classmethod(spy_inflater))
    result = inspect(path, LIMITS)
    finding = result.findings[0]
    assert finding.code == "zip-member-too-large"
    assert finding.params["member"] == "xl/worksheets/sheet1.xml"
    assert float(finding.params["size_mb"]) >= 1024
    assert "xl/worksheets/sheet1.xml" not in opened
    assert "xl/workbook.xml" in opened  # the sane parts were still scanned


def test_lying_bomb_passes_the_guard(hdir: Path) -> None:
    """By design: its headers are consistent and small. The worker's limits must stop it."""
    assert inspect(hostile.lying_bomb_xlsx(hdir), LIMITS).ok


def test_ratio_limit_spares_small_parts(tmp_path: Path) -> None:
    base = hostile.xlsx_members(hostile.SHEET_A1_STRING.encode())
    big = hostile.write_raw_zip(tmp_path / "ratio.xlsx",
                                [*base, ("xl/media/zeros.bin", b"\0" * (2 << 20))])
    result = inspect(big, LIMITS)
    assert codes(result) == ["zip-ratio-too-high"]
    assert int(result.findings[0].params["ratio"]) > 200
    small = hostile.write_raw_zip(tmp_path / "small.xlsx",
                                  [*base, ("xl/media/zeros.bin", b"\0" * 500_000)])
    assert inspect(small, LIMITS).ok


def test_member_too_large_by_its_header(tmp_path: Path) -> None:
    base = hostile.xlsx_members(hostile.SHEET_A1_STRING.encode())
    path = hostile.write_raw_zip(tmp_path / "big.xlsx", [*base, ("xl/media/a.bin", b"x")],
                                 declared={"xl/media/a.bin": (2 << 20, 300 << 20)})
    assert codes(inspect(path, LIMITS)) == ["zip-member-too-large"]
    # limits come from settings: under a higher one, only the lying header is left
    lied = inspect(path, GuardLimits(max_member_mb=400)).findings
    assert [f.code for f in lied] == ["corrupt-zip"]
    assert "central directory" in lied[0].params["detail"]


def test_huge_central_directory_is_counted_cheaply(tmp_path: Path) -> None:
    names = [f"xl/media/{'n' * 90}{i}.bin" for i in range(3000)]
    path = hostile.write_raw_zip(tmp_path / "many.xlsx", [(n, b"") for n in names],
                                 stored=names)
    result = inspect(path, LIMITS)
    assert codes(result) == ["zip-too-many-members"]
    assert result.findings[0].params["count"] == 3000


@pytest.mark.parametrize(("policy", "expected", "ok"), [
    ("warn", ["macros-present"], True), ("reject", ["macros-rejected"], False),
    ("accept", [], True)])
def test_macro_policy(hdir: Path, policy: str, expected: list[str], ok: bool) -> None:
    result = inspect(hostile.macro_xlsm(hdir), LIMITS, macros=policy)
    assert codes(result) == expected
    assert result.ok is ok
    assert result.kind == "xlsm"


def test_unknown_macro_policy_is_a_programming_error(hdir: Path) -> None:
    with pytest.raises(ValueError, match="macros"):
        inspect(hostile.clean_xlsx(hdir), LIMITS, macros="maybe")


def _xlsx_with_sheet(path: Path, sheet: bytes) -> Path:
    return hostile.write_raw_zip(path, hostile.xlsx_members(sheet))


def test_doctype_pushed_past_64k_by_a_comment(tmp_path: Path) -> None:
    sheet = (b'<?xml version="1.0"?><!--' + b"x" * 70_000 + b'--><!DOCTYPE w [<!ENTITY a "b">]>'
             + hostile.SHEET_A1_STRING.encode().split(b"\n", 1)[1])
    path = _xlsx_with_sheet(tmp_path / "padded.xlsx", sheet)
    assert codes(inspect(path, LIMITS)) == ["xml-entities"]


def test_doctype_in_utf16(tmp_path: Path) -> None:
    sheet = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY a "b">]>'
             + hostile.SHEET_A1_STRING.split("\n", 1)[1]).encode("utf-16")
    path = _xlsx_with_sheet(tmp_path / "utf16.xlsx", sheet)
    assert codes(inspect(path, LIMITS)) == ["xml-entities"]


def test_big_sheet_without_dtd_passes(tmp_path: Path) -> None:
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i)
                    for i in range(1, 20_000))
    sheet = hostile.SHEET_HEAD.encode() + rows + hostile.SHEET_TAIL.encode()
    assert inspect(_xlsx_with_sheet(tmp_path / "rows.xlsx", sheet), LIMITS).ok


def test_zip_level_encryption(tmp_path: Path) -> None:
    members = hostile.xlsx_members(hostile.SHEET_A1_STRING.encode())
    path = hostile.write_raw_zip(tmp_path / "zipcrypto.xlsx", members,
                                 flags={"xl/worksheets/sheet1.xml": 0x1})
    assert codes(inspect(path, LIMITS)) == ["encrypted-workbook"]


def test_other_zips_and_ole_documents(tmp_path: Path) -> None:
    docx = hostile.write_raw_zip(tmp_path / "letter.xlsx", [("word/document.xml", b"<w/>")])
    result = inspect(docx, LIMITS)
    assert codes(result) == ["not-a-spreadsheet"] and "Word" in result.findings[0].message_en
    doc = hostile.write_cfb(tmp_path / "letter.doc", {"WordDocument": b"\xec\xa5"})
    assert codes(inspect(doc, LIMITS)) == ["not-a-spreadsheet"]
    empty_zip = tmp_path / "empty.xlsx"
    empty_zip.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    assert codes(inspect(empty_zip, LIMITS)) == ["not-a-spreadsheet"]


def test_odd_but_readable_packages_pass(tmp_path: Path) -> None:
    """Backslashed names (some Windows exporters) and a root-level workbook.xml: calamine
    reads both, so the guard must not call them "not a spreadsheet"."""
    members = [(name.replace("/", "\\"), data)
               for name, data in hostile.xlsx_members(hostile.SHEET_A1_STRING.encode())]
    assert inspect(hostile.write_raw_zip(tmp_path / "bs.xlsx", members), LIMITS).ok
    flat = hostile.write_raw_zip(tmp_path / "flat.xlsx", [("workbook.xml", b"<workbook/>")])
    assert inspect(flat, LIMITS).ok


def test_named_by_content_not_extension(hdir: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "really-a-workbook.pdf"
    renamed.write_bytes(hostile.clean_xlsx(hdir).read_bytes())
    assert inspect(renamed, LIMITS).ok
    text = tmp_path / "data.xlsx"
    text.write_text("code,name\nP001,โครงการ\n", encoding="utf-8")
    result = inspect(text, LIMITS)
    assert codes(result) == ["not-a-spreadsheet"] and result.kind == "text"


def test_unreadable_path_is_a_finding(tmp_path: Path) -> None:
    assert codes(inspect(tmp_path, LIMITS)) == ["corrupt-workbook"]  # a directory


def test_never_raises_on_mangled_input(hdir: Path, tmp_path: Path) -> None:
    """Truncations and byte flips of a real workbook and of an OLE file: findings, no crash."""
    rng = random.Random(2567)
    for source in (hostile.clean_xlsx(hdir), hostile.encrypted_ole(hdir)):
        data = source.read_bytes()
        for i in range(60):
            mangled = bytearray(data[: rng.randrange(1, len(data) + 1)])
            for _ in range(i % 8):
                mangled[rng.randrange(len(mangled))] = rng.randrange(256)
            path = tmp_path / f"m{i}{source.suffix}"
            path.write_bytes(bytes(mangled))
            result = inspect(path, LIMITS)
            assert isinstance(result, GuardResult)
            assert all(f.code and f.message_th for f in result.findings)


def test_fast_inflater_reads_what_zipfile_reads(tmp_path: Path) -> None:
    """The guard inflates part heads straight from the file's bytes; for stored and deflated
    parts, whatever the read sizes, that must be byte for byte what zipfile gives."""
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i)
                    for i in range(1, 3000))
    members = [("a.xml", body), ("b.xml", body[:100]), ("c.xml", b""), ("d.xml", body)]
    path = hostile.write_raw_zip(tmp_path / "parts.zip", members, stored={"d.xml", "b.xml"})
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            for size in (1, 7, 512, 4096, 70_000):
                fast = guard._Inflater.of(data, info)
                assert fast is not None
                got = b"".join(iter(lambda f=fast, n=size: f.read(n), b""))
                assert got == zf.read(info), (info.filename, size)


def test_member_whose_local_header_disagrees_goes_through_zipfile(tmp_path: Path) -> None:
    """A local header naming another part is not read by the fast path; zipfile's own check
    then rejects the file as a corrupt zip (what a parser would do, without the parser)."""
    members = hostile.xlsx_members(hostile.SHEET_A1_STRING.encode())
    path = hostile.write_raw_zip(tmp_path / "odd.xlsx", members)
    data = bytearray(path.read_bytes())
    name_at = data.index(b"PK\x03\x04") + 30  # the first local header's part name
    data[name_at] = ord("X") if data[name_at] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert guard._Inflater.of(bytes(data), zf.infolist()[0]) is None
    assert codes(inspect(path, LIMITS)) == ["corrupt-zip"]


def _directory_entries(data: bytes) -> list[int]:
    """Positions of the central directory records (after the last local header's data)."""
    start = struct.unpack_from("<I", data, data.rindex(b"PK\x05\x06") + 16)[0]
    return [i for i in range(start, len(data)) if data.startswith(b"PK\x01\x02", i)]


def test_offsets_pointing_before_the_archive_are_refused(tmp_path: Path) -> None:
    """Raising the end record's directory offset makes every part's offset negative for
    zipfile; Python slicing would then read from the end of the file, a decoy's place."""
    path = hostile.xxe_xlsx(tmp_path)
    data = bytearray(path.read_bytes())
    eocd = data.rindex(b"PK\x05\x06")
    struct.pack_into("<I", data, eocd + 16, struct.unpack_from("<I", data, eocd + 16)[0] + 4096)
    path.write_bytes(bytes(data))
    result = inspect(path, LIMITS)
    assert codes(result) == ["corrupt-zip"] and "outside" in result.findings[0].params["detail"]


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    """Two directory entries sharing one stream: the overlapping-bomb construction."""
    members = hostile.xlsx_members(hostile.SHEET_A1_STRING.encode())
    path = hostile.write_raw_zip(tmp_path / "overlap.xlsx", members)
    data = bytearray(path.read_bytes())
    first, second = _directory_entries(bytes(data))[:2]
    struct.pack_into("<I", data, second + 42, struct.unpack_from("<I", data, first + 42)[0])
    path.write_bytes(bytes(data))
    result = inspect(path, LIMITS)
    assert codes(result) == ["corrupt-zip"]
    assert "overlapping" in result.findings[0].params["detail"]


def test_a_cut_off_deflate_stream_is_a_corrupt_zip(tmp_path: Path) -> None:
    """A part whose compressed data ends early: zipfile raised EOFError, so must we."""
    sheet = hostile.SHEET_A1_STRING.encode()
    members = hostile.xlsx_members(sheet)
    name = "xl/worksheets/sheet1.xml"
    path = hostile.write_raw_zip(tmp_path / "cut.xlsx", members,
                                 declared={name: (8, len(sheet))})
    result = inspect(path, LIMITS)
    assert codes(result) == ["corrupt-zip"] and name in result.findings[0].params["detail"]


@pytest.mark.parametrize("at", [512, 1024, 4096, 32_768])
def test_doctype_whose_opening_bracket_ends_a_read(tmp_path: Path, at: int) -> None:
    """The head is read in doubling steps; a "<" that is the last byte of one step must not
    pass for the root element when "!DOCTYPE" follows in the next."""
    decl = b'<?xml version="1.0"?>'
    sheet = (decl + b" " * (at - 1 - len(decl)) + b'<!DOCTYPE w [<!ENTITY a "b">]>'
             + hostile.SHEET_A1_STRING.encode().split(b"\n", 1)[1])
    assert sheet[at - 1:at] == b"<"
    path = _xlsx_with_sheet(tmp_path / "edge.xlsx", sheet)
    assert codes(inspect(path, LIMITS)) == ["xml-entities"]


@pytest.mark.parametrize("at", [512, 1024, 4096])
def test_doctype_after_a_comment_cut_by_a_read(tmp_path: Path, at: int) -> None:
    """A comment, then a DOCTYPE whose name a read cuts off ("<!D"): the scan must step past
    the whole "-->" and see the DOCTYPE starting, not take the comment's end for the root."""
    decl = b'<?xml version="1.0"?><!--'
    prefix = decl + b"x" * (at - 3 - len(decl) - 3) + b"-->"
    sheet = (prefix + b'<!DOCTYPE w [<!ENTITY a "b">]>'
             + hostile.SHEET_A1_STRING.encode().split(b"\n", 1)[1])
    assert sheet[at - 3:at] == b"<!D"
    path = _xlsx_with_sheet(tmp_path / "comment.xlsx", sheet)
    assert codes(inspect(path, LIMITS)) == ["xml-entities"]


@pytest.mark.parametrize("opener", [b"<!-->", b"<?>"])
def test_a_comment_or_instruction_does_not_close_itself(tmp_path: Path, opener: bytes) -> None:
    """"<!-->" opens a comment that the "-->" inside it does not close (nor does "<?>" close
    an instruction): what looks like the root after it is inside the comment, and the
    DOCTYPE after the real end must still be seen."""
    closer = b"-->" if opener.startswith(b"<!") else b"?>"
    sheet = (b'<?xml version="1.0"?>' + opener + b" <x> " + b"y" * 2000 + b" " + closer
             + b'<!DOCTYPE w [<!ENTITY a "b">]>'
             + hostile.SHEET_A1_STRING.encode().split(b"\n", 1)[1])
    path = _xlsx_with_sheet(tmp_path / "opener.xlsx", sheet)
    assert codes(inspect(path, LIMITS)) == ["xml-entities"]
