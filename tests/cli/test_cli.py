"""End-to-end tests of the `quire` command.

ctest runs them with QUIRE_BIN (the built executable) and QUIRE_SEEDS_DIR (the
sample in ../shared/seeds) in the environment. Whatever `quire export` writes
is read back with Python's csv module, a parser independent of libquire's.
"""

import csv
import gzip
import io
import os
import pathlib
import random
import shutil
import stat
import subprocess

import pytest

QUIRE = os.path.abspath(os.environ["QUIRE_BIN"]) if os.environ.get("QUIRE_BIN") else ""
REPO = pathlib.Path(__file__).resolve().parents[2]
SEEDS = pathlib.Path(os.environ.get("QUIRE_SEEDS_DIR", REPO.parent / "shared" / "seeds"))
COMMANDS = ["pack", "append", "merge", "info", "count", "ls", "export", "cat", "stats",
            "verify", "dups", "split"]

if not QUIRE or not os.access(QUIRE, os.X_OK):
    pytest.fail(f"QUIRE_BIN must name the built quire executable (got {QUIRE!r})",
                pytrace=False)


def quire(*args, code=0):
    """Runs quire with args; checks the exit code; returns the result."""
    result = subprocess.run([QUIRE, *map(str, args)], capture_output=True)
    assert result.returncode == code, (
        f"quire {' '.join(map(str, args))}: exit {result.returncode}, want {code}\n"
        f"stderr: {result.stderr.decode(errors='replace')}")
    return result


def parse_csv(data):
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


# ---- the seeds ---------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds():
    if not (SEEDS / "manifest.csv").exists():
        pytest.skip(f"the seeds folder {SEEDS} is not here: seeds tests skipped")
    with open(SEEDS / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["text"] = (SEEDS / row["file"]).read_text(encoding="utf-8", errors="strict")
    return rows


@pytest.fixture(scope="module")
def packed(seeds, tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds") / "seeds.quire"
    result = quire("pack", "-o", out, "--manifest", SEEDS / "manifest.csv", SEEDS)
    assert result.stdout == b"", "pack writes nothing on stdout"
    assert out.exists()
    return out


def by_title(rows):
    return {row["title"]: row for row in rows}


def test_export_matches_the_manifest_field_by_field(seeds, packed):
    exported = parse_csv(quire("export", packed).stdout)
    assert len(exported) == len(seeds) == 5
    assert list(exported[0].keys()) == ["id", "source", "date", "title", "author", "url", "text"]
    assert sorted(int(r["id"]) for r in exported) == list(range(5))
    got = by_title(exported)
    for want in seeds:
        row = got[want["title"]]
        for field in ("source", "date", "author", "url", "text"):
            assert row[field] == want[field], f"{want['file']}: {field}"


def test_date_filter_gives_the_2016_articles(seeds, packed):
    want = {r["title"] for r in seeds if r["date"].startswith("2016")}
    assert len(want) == 2
    assert any(r["date"] == "2016-01" for r in seeds), "the month-dated one"
    rows = parse_csv(quire("export", packed, "--from", "2016", "--to", "2016").stdout)
    assert {r["title"] for r in rows} == want
    assert quire("count", packed, "--from", "2016", "--to", "2016").stdout == b"2\n"
    # --undated adds the one undated article.
    undated = quire("count", packed, "--from", "2016", "--to", "2016", "--undated")
    assert undated.stdout == b"3\n"
    assert quire("count", packed, "--from", "2016-02", "--to", "2016").stdout == b"1\n"
    assert quire("count", packed, "--to", "2015").stdout == b"0\n"


def test_source_filter(seeds, packed):
    rows = parse_csv(quire("export", packed, "--source", "Belarus in Focus").stdout)
    assert len(rows) == 2 and {r["source"] for r in rows} == {"Belarus in Focus"}
    both = quire("count", packed, "--source", "Belarus in Focus",
                 "--source", "Eurasia Daily Monitor")
    assert both.stdout == b"3\n"
    assert quire("count", packed, "--source", "Nobody").stdout == b"0\n"
    mixed = parse_csv(quire("export", packed, "--source", "Belarus in Focus",
                            "--from", "2017").stdout)
    assert [r["date"] for r in mixed] == ["2017-05-08T09:22"]


def test_ls_and_cat(seeds, packed):
    lines = quire("ls", packed).stdout.decode().splitlines()
    assert len(lines) == 5
    want = by_title(seeds)
    for line in lines:
        number, date, source, title = line.split("\t")
        row = want[title]
        assert date == (row["date"] or "-")
        assert source == (row["source"] or "-")
        assert quire("cat", packed, number).stdout.decode() == row["text"]
    assert sorted(int(line.split("\t")[0]) for line in lines) == list(range(5))
    filtered = quire("ls", packed, "--source", "Eurasia Daily Monitor").stdout
    assert filtered.decode().count("\n") == 1


def test_info(seeds, packed):
    out = quire("info", packed).stdout.decode()
    fields = dict(line.split(":", 1) for line in out.splitlines())
    assert fields["documents"].strip() == "5"
    assert fields["sources"].strip() == "3"
    assert fields["undated"].strip() == "1"
    assert fields["format"].strip() == "1.1"
    assert fields["codec"].strip() == "zstd, level %d" % 5
    assert fields["block size"].strip().startswith("65536 bytes")
    assert fields["dates"].strip() == "2016-01-01 to 2024-08-01"
    raw = int(fields["raw size"].split()[0])
    disk = int(fields["on disk"].split()[0])
    assert disk == packed.stat().st_size
    assert raw >= sum(len(r["text"].encode()) for r in seeds)
    assert float(fields["ratio"].split()[0]) == pytest.approx(raw / disk, abs=0.01)
    selected = quire("info", packed, "--from", "2016", "--to", "2016").stdout.decode()
    assert "selected:    2" in selected


def test_stats(seeds, packed):
    lines = quire("stats", packed).stdout.decode().splitlines()
    header = lines[0].split()
    assert header == ["source", "2016", "2017", "2024", "undated", "total"]
    table = {}
    for line in lines[1:]:
        cells = line.split()
        name = " ".join(cells[: len(cells) - 5])
        table[name] = [int(c) for c in cells[-5:]]
    assert table["Belarus in Focus"] == [1, 1, 0, 0, 2]
    assert table["Eurasia Daily Monitor"] == [1, 0, 0, 0, 1]
    assert table["South China Morning Post"] == [0, 0, 1, 0, 1]
    assert table["(no source)"] == [0, 0, 0, 1, 1]
    assert table["total"] == [2, 1, 1, 1, 5]
    only = quire("stats", packed, "--source", "Belarus in Focus").stdout.decode()
    assert only.splitlines()[0].split() == ["source", "2016", "2017", "total"]


def test_verify_whole_damaged_and_salvaged(packed, tmp_path):
    assert b"ok" in quire("verify", packed).stdout
    data = bytearray(packed.read_bytes())
    damaged = tmp_path / "damaged.quire"
    # One flipped byte in the middle, where the compressed text blocks are.
    data[len(data) // 3] ^= 0xFF
    damaged.write_bytes(bytes(data))
    result = quire("verify", damaged, code=1)
    assert b"damaged" in result.stdout
    saved = tmp_path / "saved.quire"
    quire("verify", "--salvage", damaged, "-o", saved)
    assert b"ok" in quire("verify", saved).stdout
    kept = int(quire("count", saved).stdout)
    assert 0 <= kept < 5
    # Not a quire file at all, and no file at all.
    junk = tmp_path / "junk.quire"
    junk.write_bytes(b"hello, world\n" * 10)
    assert quire("verify", junk, code=1).stderr
    assert quire("verify", tmp_path / "missing.quire", code=1).stderr


def test_round_trip_through_the_command(packed, tmp_path):
    first = tmp_path / "first.csv"
    quire("export", packed, "-o", first)
    assert first.read_bytes() == quire("export", packed).stdout
    again = tmp_path / "again.quire"
    quire("pack", "-o", again, first)
    assert quire("export", again).stdout == first.read_bytes()


def test_export_into_a_pipe_leaves_the_pipe(packed, tmp_path):
    """A defect: `-o` naming a pipe (or /dev/null) replaced it with a file."""
    want = quire("export", packed).stdout
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo, 0o600)
    command = subprocess.Popen([QUIRE, "export", packed, "-o", fifo],
                               stderr=subprocess.PIPE)
    with open(fifo, "rb") as pipe:  # waits for quire to open its end
        got = pipe.read()
    assert command.wait(timeout=60) == 0, command.stderr.read()
    command.stderr.close()
    assert got == want
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert stat.S_IMODE(os.lstat(fifo).st_mode) == 0o600


def test_descriptor_names_write_through_the_descriptor(packed, tmp_path):
    """`-o /dev/fd/1` is standard output as the shell set it up."""
    want = quire("export", packed).stdout
    assert quire("export", packed, "-o", "/dev/fd/1").stdout == want
    log = tmp_path / "log.csv"
    log.write_bytes(b"before\n")
    with open(log, "ab") as out:
        subprocess.run([QUIRE, "export", packed, "-o", "/dev/fd/1"], stdout=out, check=True)
    assert log.read_bytes() == b"before\n" + want
    corpus = tmp_path / "through.quire"
    with open(corpus, "wb") as out:
        subprocess.run([QUIRE, "pack", "-o", "/dev/fd/1", REPO / "examples" / "sample.csv"],
                       stdout=out, check=True)
    assert quire("export", corpus).stdout == quire(
        "export", quire_pack_sample(tmp_path)).stdout


def quire_pack_sample(tmp_path):
    out = tmp_path / "sample.quire"
    quire("pack", "-o", out, REPO / "examples" / "sample.csv")
    return out


def test_pack_refuses_a_pipe(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo, 0o600)
    command = subprocess.Popen([QUIRE, "pack", "-o", fifo, REPO / "examples" / "sample.csv"],
                               stderr=subprocess.PIPE)
    with open(fifo, "rb") as pipe:
        assert pipe.read() == b""
    assert command.wait(timeout=60) == 1
    assert b"cannot seek" in command.stderr.read()
    command.stderr.close()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_excel_dialect(packed):
    out = quire("export", packed, "--excel", "--columns", "title,text").stdout
    assert out.startswith(b"\xef\xbb\xbftitle,text\r\n")
    rows = list(csv.reader(io.StringIO(out[3:].decode(), newline="")))
    assert len(rows) == 6


# ---- packing CSV files -----------------------------------------------------------


def test_generated_csv_survives_pack_and_export(tmp_path):
    rng = random.Random(3)
    words = ["Minsk", "trade,", '"talks"', "Beijing", "line\nbreak", "Россия",
             " edge ", "crlf\r\n", "=formula", "🚀"]
    rows = []
    for i in range(2000):
        date = rng.choice(["", f"{rng.randint(1990, 2024)}",
                           f"{rng.randint(1990, 2024)}-{rng.randint(1, 12):02d}",
                           f"{rng.randint(1990, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
        rows.append([rng.choice(["Reuters", "AP", "", "Ünï, Press"]), date,
                     f"Title {i} " + rng.choice(words), rng.choice(["", "A. Writer"]),
                     f"https://example.org/{i}",
                     " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))])
    source = tmp_path / "gen.csv"
    write_csv(source, ["source", "date", "title", "author", "url", "text"], rows)
    out = tmp_path / "gen.quire"
    quire("pack", "-o", out, "--input-order", "--block-size", "16k", "--level", "1",
          "--threads", "2", source)
    assert quire("count", out).stdout == b"2000\n"
    exported = parse_csv(quire("export", out).stdout)
    assert len(exported) == 2000
    for want, got in zip(rows, exported):
        assert [got[k] for k in ("source", "date", "title", "author", "url", "text")] == want
    # The same corpus split in two files packs to the same export.
    half = tmp_path / "half.csv"
    write_csv(half, ["source", "date", "title", "author", "url", "text"], rows[1000:])
    write_csv(source, ["source", "date", "title", "author", "url", "text"], rows[:1000])
    two = tmp_path / "two.quire"
    quire("pack", "-o", two, "--input-order", source, half)
    assert quire("export", two).stdout == quire("export", out).stdout


def test_aliases_and_unknown_columns_warn(tmp_path):
    source = tmp_path / "alias.csv"
    write_csv(source, ["Headline", "Publication", "pubdate", "mood", "Body"],
              [["T", "P", "2020-02", "happy", "B"]])
    out = tmp_path / "alias.quire"
    result = quire("pack", "-o", out, source)
    assert b"warning" in result.stderr and b'"mood"' in result.stderr
    rows = parse_csv(quire("export", out).stdout)
    assert [(r["title"], r["source"], r["date"], r["text"]) for r in rows] == [
        ("T", "P", "2020-02", "B")]


def test_failed_pack_leaves_no_file(tmp_path):
    source = tmp_path / "bad.csv"
    write_csv(source, ["title", "date", "text"],
              [["a", "2016", "x"], ["b", "yesterday", "y"], ["c", "2017", "z"]])
    out = tmp_path / "out.quire"
    result = quire("pack", "-o", out, source, code=1)
    message = result.stderr.decode()
    assert "row 3, column date" in message and "yesterday" in message
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"], "no temporary left"
    # Malformed CSV: unbalanced quotes, and a short row.
    broken = tmp_path / "broken.csv"
    broken.write_text('title,text\na,"open\n', encoding="utf-8")
    assert b"unbalanced quotes" in quire("pack", "-o", out, broken, code=1).stderr
    broken.write_text("title,text\na,b\nc\n", encoding="utf-8")
    assert b"row 3" in quire("pack", "-o", out, broken, code=1).stderr
    broken.write_bytes(b"title,text\na,\xff\n")
    assert b"row 2, column text" in quire("pack", "-o", out, broken, code=1).stderr
    assert not out.exists()
    # An existing corpus is left as it was by a failed pack.
    good = tmp_path / "good.csv"
    write_csv(good, ["title"], [["kept"]])
    quire("pack", "-o", out, good)
    before = out.read_bytes()
    quire("pack", "-o", out, source, code=1)
    assert out.read_bytes() == before


def test_pack_reads_gzip_zstd_and_standard_input(tmp_path):
    sample = REPO / "examples" / "sample.csv"
    plain = tmp_path / "plain.quire"
    quire("pack", "-o", plain, sample)
    want = plain.read_bytes()
    gz = tmp_path / "sample.csv.gz"
    gz.write_bytes(gzip.compress(sample.read_bytes(), mtime=0))
    inputs = {"gzip": gz}
    if shutil.which("zstd"):
        zst = tmp_path / "sample.zst"  # recognized by its bytes, not its name
        subprocess.run(["zstd", "-q", sample, "-o", zst], check=True)
        inputs["zstd"] = zst
    for kind, path in inputs.items():
        out = tmp_path / f"{kind}.quire"
        quire("pack", "-o", out, path)
        assert out.read_bytes() == want, kind
        # "-": standard input, here a pipe
        piped = subprocess.run([QUIRE, "pack", "-o", out, "-"], input=path.read_bytes(),
                               capture_output=True)
        assert piped.returncode == 0, piped.stderr
        assert out.read_bytes() == want, f"{kind} from standard input"
    # A compressed file cut short is refused, naming the file; nothing is written.
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gz.read_bytes()[: len(gz.read_bytes()) // 2])
    out = tmp_path / "cut.quire"
    message = quire("pack", "-o", out, cut, code=1).stderr.decode()
    assert "cut.csv.gz" in message and "gzip data ends early" in message
    assert not out.exists()
    # append takes standard input too
    more = tmp_path / "more.csv"
    write_csv(more, ["title", "text"], [["appended", "from a pipe"]])
    appended = subprocess.run([QUIRE, "append", plain, "-"], input=more.read_bytes(),
                              capture_output=True)
    assert appended.returncode == 0, appended.stderr
    assert quire("count", plain).stdout == b"%d\n" % (len(parse_csv(sample.read_bytes())) + 1)


def test_split_reads_compressed_csv_and_standard_input(tmp_path):
    sample = REPO / "examples" / "sample.csv"
    gz = tmp_path / "sample.csv.gz"
    gz.write_bytes(gzip.compress(sample.read_bytes(), mtime=0))

    def shards(folder):
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}

    quire("split", "-o", tmp_path / "plain", "--shards", "2", sample)
    quire("split", "-o", tmp_path / "gz", "--shards", "2", gz)
    piped = subprocess.run([QUIRE, "split", "-o", tmp_path / "stdin", "--shards", "2", "-"],
                           input=gz.read_bytes(), capture_output=True)
    assert piped.returncode == 0, piped.stderr
    want = shards(tmp_path / "plain")
    assert list(want) == ["part-00000.quire", "part-00001.quire"]
    assert shards(tmp_path / "gz") == want == shards(tmp_path / "stdin")


def test_manifest_from_standard_input(seeds, packed, tmp_path):
    out = tmp_path / "stdin.quire"
    manifest = (SEEDS / "manifest.csv").read_bytes()
    # its text files are found in the folder given, or in the current one
    for args, cwd in ((["--manifest", "-", SEEDS], tmp_path), (["--manifest", "-"], SEEDS)):
        result = subprocess.run([QUIRE, "pack", "-o", out, *map(str, args)],
                                input=gzip.compress(manifest), capture_output=True, cwd=cwd)
        assert result.returncode == 0, result.stderr
        assert quire("export", out).stdout == quire("export", packed).stdout


def test_skip_bad_rows(tmp_path):
    source = tmp_path / "some-bad.csv"
    write_csv(source, ["title", "date", "text"],
              [["a", "2016", "x"], ["b", "yesterday", "y"], ["c", "2017", "z"]])
    out = tmp_path / "out.quire"
    result = quire("pack", "-o", out, "--skip-bad-rows", source)
    assert b"skipped 1 bad rows" in result.stderr
    assert b"row 3, column date" in result.stderr
    assert quire("count", out).stdout == b"2\n"


# ---- the command line itself ----------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(command):
    result = quire(command, "--help")
    assert result.stdout.startswith(f"usage: quire {command}".encode())
    assert result.stderr == b""


def test_top_level_help_and_version():
    assert all(c.encode() in quire("--help").stdout for c in COMMANDS)
    assert quire("--version").stdout.startswith(b"quire ")
    assert quire(code=2).stderr


@pytest.mark.parametrize("args", [
    ["frobnicate"],
    ["pack", "in.csv"],                      # no -o
    ["pack", "-o", "x.quire"],               # no input
    ["pack", "-o", "x.quire", "-", "-"],     # standard input twice
    ["pack", "-o", "x.quire", "--manifest", "m.csv", "-"],  # - is not a FOLDER
    ["pack", "-o", "x.quire", "--level", "23", "a.csv"],
        ["pack", "-o", "x.quire", "--codec", "lz4", "a.csv"],
        ["pack", "-o", "x.quire", "--dictionary-size", "5G", "a.csv"],
    ["pack", "-o", "x.quire", "--block-size", "12zz", "a.csv"],
    ["ls"],                                  # no FILE
    ["ls", "a.quire", "b.quire"],
    ["count", "a.quire", "--from", "not-a-date"],
    ["count", "a.quire", "--bogus"],
    ["export", "a.quire", "-o"],             # -o without a value
    ["cat", "a.quire"],
    ["cat", "a.quire", "seven"],
    ["verify", "--salvage", "a.quire"],      # no -o
    ["verify", "a.quire", "-o", "b.quire"],  # -o without --salvage
])
def test_usage_errors_exit_2(args, tmp_path):
    result = subprocess.run([QUIRE, *args], capture_output=True, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == b""
    assert result.stderr


def test_usage_errors_that_need_a_corpus(packed):
    result = quire("export", packed, "--columns", "title,bogus", code=2)
    assert b"bogus" in result.stderr and result.stdout == b""
    result = quire("cat", packed, "99", code=1)
    assert b"99" in result.stderr and result.stdout == b""


def test_failures_exit_1(tmp_path):
    missing = tmp_path / "missing.quire"
    for command in ("info", "count", "ls", "export", "stats"):
        result = quire(command, missing, code=1)
        assert result.stdout == b"" and b"missing.quire" in result.stderr
    assert quire("pack", "-o", tmp_path / "x.quire", tmp_path / "none.csv", code=1).stderr
