"""`quire verify`, `quire verify --salvage` and the reading commands on damaged
files: exit status 1 with a message naming the damaged part, never a crash,
never output that is wrong or half-written.

The corpus has many small blocks (packed from a generated CSV with
--block-size 4k --input-order), so that one damaged block loses only its own
documents. Where each part lies is read from the footer's section table, as
core/format.h lays it out.
"""

import csv
import io
import struct

import pytest

from test_cli import parse_csv, quire, write_csv

HEADER = 64
FOOTER = 288
SECTIONS = 104  # the footer's section table: 7 entries of 24 bytes
ENTRY = 24
SECTION_NAMES = ["source names", "source table", "source index", "date index",
                 "document table", "text block table", "metadata block table"]
TEXT_BLOCKS, META_BLOCKS = 5, 6
ROWS = 80


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A packed corpus of ROWS documents in small blocks, and its export."""
    folder = tmp_path_factory.mktemp("damage")
    rows = []
    for i in range(ROWS):
        body = " ".join(f"word{i}-{k} Беларусь \"q\", 中国" for k in range(40 + i % 50))
        rows.append([f"Source {i % 5}", f"2016-{1 + i % 12:02d}-{1 + i % 28:02d}",
                     f"Title {i}, \"quoted\"", "Author" if i % 3 else "",
                     f"https://example.org/{i}", body])
    source = folder / "in.csv"
    write_csv(source, ["source", "date", "title", "author", "url", "text"], rows)
    path = folder / "corpus.quire"
    quire("pack", "-o", path, "--block-size", "4k", "--input-order", source)
    return path, quire("export", path).stdout


def sections(data):
    """(offset, length, width) of every section, from the footer."""
    footer = len(data) - FOOTER
    out = []
    for s in range(len(SECTION_NAMES)):
        off, length, width, _ = struct.unpack_from("<QQII", data, footer + SECTIONS + s * ENTRY)
        out.append((off, length, width))
    return out


def blocks(data, section):
    """(offset, compressed size, first document, documents) of each block."""
    off, length, width = sections(data)[section]
    out = []
    for r in range(length // width):
        at, csize, _usize, _crc, first, docs = struct.unpack_from("<QIIIII", data, off + r * width)
        out.append((at, csize, first, docs))
    return out


def damaged_copy(tmp_path, data, at, mask=0x40, name="damaged.quire"):
    copy = bytearray(data)
    copy[at] ^= mask
    path = tmp_path / name
    path.write_bytes(bytes(copy))
    return path


def without_ids(csv_bytes):
    return [{k: v for k, v in row.items() if k != "id"} for row in parse_csv(csv_bytes)]


def test_intact_corpus_verifies(corpus):
    path, _ = corpus
    out = quire("verify", path).stdout.decode()
    assert "ok" in out and f"{ROWS} documents" in out
    assert len(blocks(path.read_bytes(), TEXT_BLOCKS)) > 10


@pytest.mark.parametrize("section", range(len(SECTION_NAMES)))
def test_damage_in_every_section_is_named(corpus, tmp_path, section):
    path, _ = corpus
    data = path.read_bytes()
    off, length, _ = sections(data)[section]
    assert length > 0, SECTION_NAMES[section]
    for at in (off, off + length // 2, off + length - 1):
        result = quire("verify", damaged_copy(tmp_path, data, at), code=1)
        out = result.stdout.decode()
        assert SECTION_NAMES[section] in out, out
        assert "damaged, 1 damaged parts" in out, out


@pytest.mark.parametrize("section,kind", [(TEXT_BLOCKS, "text block"),
                                          (META_BLOCKS, "metadata block")])
def test_damage_in_a_block_is_named(corpus, tmp_path, section, kind):
    path, _ = corpus
    data = path.read_bytes()
    table = blocks(data, section)
    for number in (0, len(table) // 2, len(table) - 1):
        at, csize, _, _ = table[number]
        result = quire("verify", damaged_copy(tmp_path, data, at + csize // 2), code=1)
        assert f"{kind} {number}: damaged (checksum)" in result.stdout.decode()


@pytest.mark.parametrize("where", ["header", "footer", "truncated", "junk", "empty"])
def test_unopenable_files_fail_with_a_reason(corpus, tmp_path, where):
    path, _ = corpus
    data = path.read_bytes()
    broken = tmp_path / f"{where}.quire"
    if where == "header":
        broken = damaged_copy(tmp_path, data, 30, name="header.quire")
    elif where == "footer":
        broken = damaged_copy(tmp_path, data, len(data) - FOOTER + 40, name="footer.quire")
    elif where == "truncated":
        broken.write_bytes(data[: len(data) // 2])
    elif where == "junk":
        broken.write_bytes(b"source,date\n" * 100)
    else:
        broken.write_bytes(b"")
    reason = {"header": "header", "footer": "footer", "truncated": "truncated",
              "junk": "not a quire file", "empty": "empty"}[where]
    for command in (["verify"], ["info"], ["count"], ["export"], ["ls"]):
        result = quire(*command, broken, code=1)
        assert result.stdout == b"", command
        assert reason in result.stderr.decode(), (command, result.stderr)
    assert quire("verify", "--salvage", broken, "-o", tmp_path / "out.quire", code=1).stderr
    assert not (tmp_path / "out.quire").exists()


def test_export_of_a_damaged_block_fails_and_writes_no_file(corpus, tmp_path):
    path, _ = corpus
    data = path.read_bytes()
    at, csize, _, _ = blocks(data, TEXT_BLOCKS)[3]
    damaged = damaged_copy(tmp_path, data, at + 1)
    out = tmp_path / "out.csv"
    result = quire("export", damaged, "-o", out, code=1)
    assert "text block 3" in result.stderr.decode()
    assert not out.exists()
    # Documents in other blocks still read correctly.
    first_doc = blocks(data, TEXT_BLOCKS)[0][2]
    assert quire("cat", damaged, first_doc).stdout.decode().startswith(f"word{first_doc}-0 ")


@pytest.mark.parametrize("section", [TEXT_BLOCKS, META_BLOCKS])
def test_salvage_keeps_every_other_document(corpus, tmp_path, section):
    path, intact_csv = corpus
    data = path.read_bytes()
    table = blocks(data, section)
    at, csize, first, docs = table[len(table) // 2]
    assert docs > 0
    damaged = damaged_copy(tmp_path, data, at + csize // 2)
    saved = tmp_path / "saved.quire"
    result = quire("verify", "--salvage", damaged, "-o", saved)
    err = result.stderr.decode()
    lost = [int(line.split()[3]) for line in err.splitlines() if " lost: " in line]
    assert lost == list(range(first, first + docs)), err
    assert f"{ROWS - docs} documents saved" in err and f"{docs} lost" in err
    assert "ok" in quire("verify", saved).stdout.decode()
    want = [row for i, row in enumerate(without_ids(intact_csv)) if i not in lost]
    assert without_ids(quire("export", saved).stdout) == want


def test_dups_stops_at_a_damaged_text_block(corpus, tmp_path):
    """`quire dups` reads every text: a damaged block fails it with exit 1
    and a message, never a crash or a partial list of groups."""
    path, _ = corpus
    data = path.read_bytes()
    off, size, _first, _n = blocks(data, TEXT_BLOCKS)[1]
    bad = damaged_copy(tmp_path, data, off + size // 2)
    r = quire("dups", bad, code=1)
    assert r.stdout == b""
    assert r.stderr.startswith(b"quire dups: ") and b"document" in r.stderr
    assert quire("dups", "--kind", "url", bad).stdout.count(b"\n") == 1  # url only: metadata is whole
