#!/usr/bin/env python3
"""Checks that docs/FORMAT.md describes the format libquire writes.

1. Every table row of that document that gives a number and names a constant
   of core/format.h (or core/internal.h) is turned into a static assertion
   and compiled against those headers: an offset, size or section width
   that changes in the code without docs/FORMAT.md fails here.
2. An independent reader, written from docs/FORMAT.md alone (it shares no code with
   libquire; zstd frames are decompressed by libzstd through ctypes), parses
   corpora that the quire CLI packed from generated CSV, in both document
   orders, with small blocks, with both codecs and with dictionaries, checks
   every documented rule (layout, checksums, flags, extension table,
   dictionaries, orders, indexes, statistics, block cutting) and compares
   every document with what `quire export` prints.

usage: format_doc_test.py FORMAT_MD SOURCE_ROOT QUIRE_CLI WORK_DIR [CC]
"""

import csv
import ctypes
import ctypes.util
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NO_SOURCE = 0xFFFFFFFF
HEADER, FOOTER, CHUNK = 64, 288, 4096
META_RUN = 1 << 20  # the writer's runs of metadata blocks (docs/FORMAT.md)
WIDTHS = [1, 24, 4, 4, 32, 64, 32]  # the section list of docs/FORMAT.md


class FormatError(Exception):
    pass


def check(cond, what):
    if not cond:
        raise FormatError(what)


# ---- 1. the tables against format.h -------------------------------------


def format_section(format_md):
    """The whole of docs/FORMAT.md, which describes the format alone."""
    return open(format_md, encoding="utf-8").read()


def documented_constants(section):
    """(name, value, width or None) for every table row naming a constant."""
    found = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not re.fullmatch(r"\d+", cells[0]):
            continue
        names = [m.group(1) for c in cells
                 if (m := re.fullmatch(r"`(Q[A-Z0-9_]+)`", c))]
        if not names:
            continue
        width = None
        if names[0].startswith("QS_") and re.fullmatch(r"\d+", cells[2]):
            width = int(cells[2])
        found.append((names[0], int(cells[0]), width))
    return found


def check_constants(section, root, work, cc):
    rows = documented_constants(section)
    check(len(rows) >= 60, f"only {len(rows)} constants found in the tables")
    lines = ['#include "format.h"', '#include "internal.h"',
             "static const unsigned widths[] = QS_WIDTHS;"]
    for name, value, width in rows:
        lines.append(f'_Static_assert({name} == {value}ull, '
                     f'"docs/FORMAT.md gives {name} as {value}");')
        if width is not None:
            lines.append(f'_Static_assert(sizeof widths / sizeof *widths > {name}, "");')
            lines.append(f"int width_{name}(void);")
            lines.append(f"int width_{name}(void) {{ return widths[{name}] == {width}; }}")
    lines.append("int main(void) { return !(1")
    lines += [f"  && width_{n}()" for n, _, w in rows if w is not None]
    lines.append("); }")
    src = os.path.join(work, "format_constants.c")
    exe = os.path.join(work, "format_constants")
    with open(src, "w") as f:
        f.write("\n".join(lines) + "\n")
    build = subprocess.run(
        [cc, "-std=c11", "-Wall", "-Werror", "-I", os.path.join(root, "core"),
         "-I", os.path.join(root, "include"), "-o", exe, src],
        capture_output=True, text=True)
    check(build.returncode == 0,
          "docs/FORMAT.md's tables disagree with core/format.h:\n" +
          "\n".join(l for l in build.stderr.splitlines() if "FORMAT.md gives" in l
                    or "error" in l))
    check(subprocess.run([exe]).returncode == 0,
          "docs/FORMAT.md's section widths disagree with QS_WIDTHS")
    return len(rows)


# ---- 2. an independent reader -------------------------------------------


def u16(b, o): return struct.unpack_from("<H", b, o)[0]
def u32(b, o): return struct.unpack_from("<I", b, o)[0]
def u64(b, o): return struct.unpack_from("<Q", b, o)[0]
def i16(b, o): return struct.unpack_from("<h", b, o)[0]
def i64(b, o): return struct.unpack_from("<q", b, o)[0]
def crc(b): return zlib.crc32(b) & 0xFFFFFFFF


_zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
_zstd.ZSTD_createDCtx.restype = ctypes.c_void_p
_zstd.ZSTD_decompress_usingDict.restype = ctypes.c_size_t
_zstd.ZSTD_decompress_usingDict.argtypes = [
    ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
    ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
_zstd.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
_zstd.ZSTD_getFrameContentSize.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_zstd.ZSTD_isError.argtypes = [ctypes.c_size_t]
_dctx = _zstd.ZSTD_createDCtx()


def unzstd(data, size, dictionary):
    check(_zstd.ZSTD_getFrameContentSize(data, len(data)) == size,
          "a zstd frame does not state its block's size")
    out = ctypes.create_string_buffer(max(size, 1))
    d = dictionary or b""
    n = _zstd.ZSTD_decompress_usingDict(_dctx, out, size, data, len(data),
                                        d, len(d))
    check(not _zstd.ZSTD_isError(n) and n == size,
          "a zstd block does not decompress to its size")
    return out.raw[:size]


def decompress(flags, data, size, dicts):
    codec, number = flags & 0xFF, flags >> 8
    if codec == 0:
        check(number == 0, "a DEFLATE block names a dictionary")
        return inflate(data, size)
    check(codec == 1, "unknown codec")
    check(number <= len(dicts), "a block names a dictionary the file lacks")
    return unzstd(data, size, dicts[number - 1] if number else None)


def inflate(data, size):
    d = zlib.decompressobj(-15)  # raw DEFLATE, no wrapper
    out = d.decompress(data) + d.flush()
    check(d.eof and not d.unused_data, "a block is not one DEFLATE stream")
    check(len(out) == size, "a block does not inflate to its size")
    return out


def read_header(f):
    h = f[:HEADER]
    check(h[:8] == b"QUIRE\x00\r\n", "header magic")
    check((u16(h, 8), u16(h, 10)) == (1, 1), "header version")
    check(u32(h, 12) in (0, 1) and u32(h, 16) in (0, 1), "header flags")
    check(u32(h, 20) == HEADER and u64(h, 24) == len(f), "header sizes")
    check(h[32:60] == bytes(28), "header reserved bytes")
    check(crc(h[:60]) == u32(h, 60), "header CRC")


def read_footer(f):
    t = f[-FOOTER:]
    check(t[:8] == b"QUIREFTR" and t[280:] == b"QUIREEND", "footer magics")
    check(t[8:20] == f[8:20], "footer version and flags, as the header's")
    check(u32(t, 20) == FOOTER and u64(t, 24) == len(f), "footer sizes")
    check(crc(t[:276]) == u32(t, 276), "footer CRC")
    ft = dict(docs=u64(t, 32), sources=u64(t, 40), undated=u64(t, 48),
              blocks=u64(t, 56), meta_blocks=u64(t, 64), raw=u64(t, 72),
              min_date=i64(t, 80), max_date=i64(t, 88),
              block_size=u32(t, 96), order=u32(t, 100), sections=[],
              ext_size=u32(t, 272), required=u32(t, 12))
    for s in range(7):
        e = 104 + 24 * s
        ft["sections"].append((u64(t, e), u64(t, e + 8), u32(t, e + 16),
                               u32(t, e + 20)))
    return ft


def section_bytes(f, off, length, table_crc, what):
    data = f[off:off + length]
    chunks = (length + CHUNK - 1) // CHUNK
    table = f[off + length:off + length + 4 * chunks]
    check(crc(table) == table_crc, f"{what} table CRC")
    for c in range(chunks):
        check(crc(data[c * CHUNK:(c + 1) * CHUNK]) == u32(table, 4 * c),
              f"{what} chunk {c} CRC")
    return data, off + length + 4 * chunks


def read_sections(f, ft):
    """Checks widths, chunk tables and the layout after the blocks, then
    the extension sections and their table; returns each section's bytes,
    where the sections start, and the extension sections by kind."""
    out = []
    pos = ft["sections"][0][0]
    first = pos
    for s, (off, length, width, table_crc) in enumerate(ft["sections"]):
        check(width == WIDTHS[s] and length % width == 0, f"section {s} width")
        check(off == pos, f"section {s} is not where the order puts it")
        data, pos = section_bytes(f, off, length, table_crc, f"section {s}")
        out.append(data)
    ext = {}
    size = ft["ext_size"]
    check(size > 0, "a 1.1 file has an extension table")
    start = len(f) - FOOTER - size
    t = f[start:start + size]
    count, width = u32(t, 8), u32(t, 12)
    check(t[:8] == b"QUIRESEC" and width == 32 and 16 + 32 * count + 4 == size,
          "extension table head")
    check(crc(t[:-4]) == u32(t, size - 4), "extension table CRC")
    for i in range(count):
        kind, flags, off, length, w, table_crc = struct.unpack_from(
            "<IIQQII", t, 16 + 32 * i)
        check(kind not in ext and kind in (1, 2, 3, 5), f"extension kind {kind}")
        check(flags == (1 if kind == 1 else 0), f"extension {kind} flags")
        check(off == pos and w == 1, f"extension {kind} place and width")
        ext[kind], pos = section_bytes(f, off, length, table_crc,
                                       f"extension {kind}")
    check(pos == start, "the sections do not end at the extension table")
    check((1 in ext) <= (ft["required"] == 1),
          "dictionaries only with QF_REQ_CODECS")
    return out, first, ext


def read_dictionaries(ext):
    if 1 not in ext:
        return []
    d = ext[1]
    n = u32(d, 0)
    check(1 <= n <= 4096 and u32(d, 4) == 0, "dictionaries: count")
    dicts = []
    for k in range(n):
        did, use, off, size, c = struct.unpack_from("<IIQII", d, 8 + 24 * k)
        stored_zstd = use & 0x100
        check(off >= 8 + 24 * n and off + size <= len(d)
              and size >= (1 if stored_zstd else 256),
              f"dictionary {k + 1}: bounds")
        b = d[off:off + size]
        check(crc(b) == c, f"dictionary {k + 1}: CRC")
        if stored_zstd:
            full = _zstd.ZSTD_getFrameContentSize(b, len(b))
            check(256 <= full <= 16 << 20,
                  f"dictionary {k + 1}: stored frame's content size")
            b = unzstd(b, full, None)
            use &= ~0x100
        check(u32(b, 0) == 0xEC30A437 and u32(b, 4) == did and did != 0,
              f"dictionary {k + 1}: magic and id")
        check(use in (0, 1), f"dictionary {k + 1}: use")
        dicts.append(b)
    return dicts


def read_sources(sec, ft):
    names, table = sec[0], sec[1]
    check(len(table) == 24 * ft["sources"], "source table length")
    sources, pos, start = [], 0, 0
    for s in range(ft["sources"]):
        off, lst, n, docs = struct.unpack_from("<QQII", table, 24 * s)
        check(off == pos and names[off + n:off + n + 1] == b"\0",
              "source names: packed, each followed by a NUL")
        check(lst == start, "source index runs follow each other")
        sources.append((names[off:off + n], docs, lst))
        pos, start = off + n + 1, start + docs
    check(pos == len(names), "source names section length")
    check([s[0] for s in sources] == sorted(s[0] for s in sources),
          "sources are in bytewise order")
    return sources


def read_rows(sec, ft):
    table = sec[4]
    check(len(table) == 32 * ft["docs"], "document table length")
    rows = []
    for d in range(ft["docs"]):
        date, src, blk, off, n, moff, prec, tz, tzm = struct.unpack_from(
            "<qIIIIIBBh", table, 32 * d)
        check((date == INT64_MIN) == (prec == 0) and prec <= 5 and tz <= 2,
              f"row {d}: date, precision and zone kind")
        check(prec or tz == 0, f"row {d}: an undated row has zone kind 0")
        check(tz == 2 or tzm == 0, f"row {d}: zone minutes only for kind 2")
        check(src == NO_SOURCE or src < ft["sources"], f"row {d}: source")
        rows.append(dict(date=date, source=src, block=blk, offset=off,
                         length=n, meta_offset=moff, precision=prec, tz=tz,
                         tz_minutes=tzm))
    return rows


def check_block_layout(spans, first_section):
    """The blocks fill the bytes from the header to the first section, each
    kind in its own order; how the two kinds interleave is the writer's
    choice (this writer gathers metadata blocks into runs of up to 1 MiB)."""
    pos = HEADER
    for off, csize, kind, b in sorted(spans):
        check(off == pos, f"{kind} block {b}: a gap or an overlap before it")
        pos += csize
    check(pos == first_section, "the sections follow the last block")
    for kind in ("text", "metadata"):
        offsets = [off for off, _, k, _ in sorted(spans, key=lambda x: x[3]) if k == kind]
        check(offsets == sorted(offsets), f"{kind} blocks in file order")
    run = 0
    for off, csize, kind, b in sorted(spans):
        run = run + csize if kind == "metadata" else 0
        check(run <= META_RUN or run == csize,
              f"metadata block {b}: a run of metadata blocks past 1 MiB")


def read_blocks(f, sec, ft, rows, first_section, dicts):
    """Checks the block tables, the layout, the contents and the statistics;
    returns every document's (text, title, author, url)."""
    check(ft["meta_blocks"] == ft["blocks"], "as many metadata as text blocks")
    check(len(sec[5]) == 64 * ft["blocks"] and len(sec[6]) == 32 * ft["blocks"],
          "block table lengths")
    docs, next_doc = [None] * ft["docs"], 0
    sizes, spans = [], []
    for b in range(ft["blocks"]):
        t = struct.unpack_from("<QIIIIII", sec[5], 64 * b)
        m = struct.unpack_from("<QIIIIII", sec[6], 32 * b)
        check(ft["required"] == 1 or (m[6] == 0 and t[6] == 0),
              "block flags 0 without QF_REQ_CODECS")
        check(t[4:6] == m[4:6] and t[4] == next_doc and t[5] >= 1,
              f"block {b}: runs of consecutive documents, shared")
        for (off, csize, usize, c, *_), kind in ((t, "text"), (m, "metadata")):
            check(crc(f[off:off + csize]) == c, f"{kind} block {b} CRC")
            spans.append((off, csize, kind, b))
        text = decompress(t[6], f[t[0]:t[0] + t[1]], t[2], dicts)
        meta = decompress(m[6], f[m[0]:m[0] + m[1]], m[2], dicts)
        at = mat = 0
        for d in range(t[4], t[4] + t[5]):
            r = rows[d]
            check(r["block"] == b and r["offset"] == at and
                  text[at + r["length"]] == 0, f"document {d}: text")
            check(r["meta_offset"] == mat, f"document {d}: metadata record")
            lens = struct.unpack_from("<III", meta, mat)
            strings, p = [], mat + 12
            for n in lens:
                check(meta[p + n] == 0, f"document {d}: NUL after a string")
                strings.append(meta[p:p + n])
                p += n + 1
            docs[d] = (text[at:at + r["length"]], *strings)
            at, mat = at + r["length"] + 1, p
        check(at == len(text) and mat == len(meta), f"block {b}: packed")
        check_statistics(sec[5][64 * b:64 * b + 64], rows[t[4]:t[4] + t[5]], b)
        sizes.append((len(text), len(meta)))
        next_doc += t[5]
    check(next_doc == ft["docs"], "the blocks hold every document")
    check_block_layout(spans, first_section)
    check_cuts(sizes, docs, ft["block_size"])
    return docs


# ---- word summaries (docs/FORMAT.md, "Word summaries"), with Python's own Unicode


def fold_char(ch):
    for folded in (ch.casefold(), ch.lower()):
        if len(folded) == 1:
            return folded
    return ch


def summary_words(text):
    import unicodedata
    out, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LN":
            cur.append(fold_char(ch))
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def word_hash(word):
    h = 0xcbf29ce484222325
    for b in word.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & (2**64 - 1)
    for m in (0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53):
        h = ((h ^ (h >> 33)) * m) & (2**64 - 1)
    return (h ^ (h >> 33)) & 0xFFFFFFFF


def bloom_bit(h, i, m):
    x = (h + i * 0x9E3779B9) & 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    x = ((x ^ (x >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    return (x ^ (x >> 16)) % m


def check_word_summaries(s, ft, rows, docs):
    """Every word of a block's texts and titles is frequent or in its
    filter."""
    check(s[:8] == b"QUIREWSM" and u32(s, 8) == ft["blocks"], "summaries head")
    k, f = u32(s, 12), u32(s, 16)
    check(1 <= k <= 16, "summaries: bits per word")
    frequent = [u32(s, 24 + 4 * i) for i in range(f)]
    check(frequent == sorted(set(frequent)), "summaries: frequent words sorted")
    frequent = set(frequent)
    base = 24 + 4 * f
    offs = [u64(s, base + 8 * i) for i in range(ft["blocks"] + 1)]
    filters = base + 8 * (ft["blocks"] + 1)
    check(offs[0] == 0 and offs == sorted(offs) and filters + offs[-1] == len(s),
          "summaries: filter offsets")
    words = [set() for _ in range(ft["blocks"])]
    for r, (text, title, _, _) in zip(rows, docs):
        for field in (text, title):
            words[r["block"]].update(summary_words(field.decode()))
    for b, block_words in enumerate(words):
        bits = s[filters + offs[b]:filters + offs[b + 1]]
        for w in block_words:
            h = word_hash(w)
            check(h in frequent or (bits and all(
                bits[bit // 8] >> (bit % 8) & 1
                for bit in (bloom_bit(h, i, 8 * len(bits)) for i in range(k)))),
                f"summaries: block {b} lacks word {w!r}")


def varint(b, pos, end):
    """An unsigned LEB128 value and the position after it."""
    value, shift = 0, 0
    while True:
        check(pos < end and shift < 64, "postings: a varint runs past its record")
        byte = b[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def check_word_postings(s, ft, docs):
    """Each listed word is in exactly the documents of its record. Returns
    how many words are listed."""
    check(s[:8] == b"QUIREWPS" and u64(s, 16) == ft["docs"], "postings head")
    n, max_df = u32(s, 8), u32(s, 12)
    records = 24 + 8 * n
    check(records <= len(s), "postings: entries")
    entries = [(u32(s, 24 + 8 * i), u32(s, 28 + 8 * i)) for i in range(n)]
    check([k for k, _ in entries] == sorted(k for k, _ in entries),
          "postings: keys ascending")
    check([o for _, o in entries] == sorted(set(o for _, o in entries)),
          "postings: offsets ascending")
    where = {}
    for d, (text, title, _, _) in enumerate(docs):
        for w in set(summary_words(text.decode()) + summary_words(title.decode())):
            where.setdefault(w, []).append(d)
    for i, (key, off) in enumerate(entries):
        end = records + (entries[i + 1][1] if i + 1 < n else len(s) - records)
        pos = records + off
        length, pos = varint(s, pos, end)
        check(1 <= length <= 64 and pos + length <= end, "postings: word length")
        word = s[pos:pos + length].decode()
        pos += length
        check(word_hash(word) == key, f"postings: key of {word!r}")
        df, pos = varint(s, pos, end)
        check(1 <= df <= max_df, f"postings: df of {word!r}")
        listed, doc = [], 0
        for j in range(df):
            gap, pos = varint(s, pos, end)
            check(j == 0 or gap >= 1, "postings: gaps")
            doc += gap
            listed.append(doc)
        check(pos == end, f"postings: {word!r}'s record has bytes left over")
        check(listed == where.get(word, []),
              f"postings: {word!r} lists {listed}, documents {where.get(word)}")
    return n


def check_statistics(rec, rows, b):
    dates = [r["date"] for r in rows if r["precision"]]
    srcs = [r["source"] for r in rows if r["source"] != NO_SOURCE]
    bits = 0
    for s in srcs:
        bits |= 1 << (s % 64)
    want = (min(dates, default=INT64_MAX), max(dates, default=INT64_MIN),
            min(srcs, default=NO_SOURCE), max(srcs, default=NO_SOURCE), bits)
    check(struct.unpack_from("<qqIIQ", rec, 32) == want,
          f"text block {b}: statistics")


def check_cuts(sizes, docs, block_size):
    """A block is cut before a document that would take its text or its
    metadata past the block size, and only then."""
    index = 0
    for b, (text, meta) in enumerate(sizes):
        first = index
        t = m = 0
        while index < len(docs) and (t, m) != (text, meta):
            d = docs[index]
            t += len(d[0]) + 1
            m += 12 + len(d[1]) + len(d[2]) + len(d[3]) + 3
            check(index == first or (t <= block_size and m <= block_size),
                  f"block {b} grew past the block size")
            index += 1
        if index < len(docs):
            d = docs[index]
            over = (text + len(d[0]) + 1 > block_size or
                    meta + 12 + len(d[1]) + len(d[2]) + len(d[3]) + 3 > block_size)
            check(over, f"block {b} was cut although the next document fit")


def check_indexes(sec, ft, rows, sources):
    def key(d): return (rows[d]["date"], d)
    dates = [u32(sec[3], 4 * i) for i in range(len(sec[3]) // 4)]
    check(dates == sorted(range(ft["docs"]), key=key), "date index order")
    lists = [u32(sec[2], 4 * i) for i in range(len(sec[2]) // 4)]
    check(len(lists) == sum(1 for r in rows if r["source"] != NO_SOURCE),
          "the source index lists every document with a source once")
    for s, (_, count, start) in enumerate(sources):
        run = lists[start:start + count]
        want = sorted((d for d, r in enumerate(rows) if r["source"] == s), key=key)
        check(run == want, f"source {s}: its run of the source index")


def given_date(r):
    """The date text as docs/guide.md ("Dates") says a document gives it back."""
    if not r["precision"]:
        return ""
    local = r["date"] + (r["tz_minutes"] * 60 if r["tz"] == 2 else 0)
    days, rest = divmod(local, 86400)
    y, m, d = civil_from_days(days)
    parts = [f"{y:04d}", f"-{m:02d}", f"-{d:02d}",
             f"T{rest // 3600:02d}:{rest // 60 % 60:02d}", f":{rest % 60:02d}"]
    text = "".join(parts[:r["precision"]])
    if r["tz"] == 1:
        text += "Z"
    elif r["tz"] == 2:
        sign = "-" if r["tz_minutes"] < 0 else "+"
        text += f"{sign}{abs(r['tz_minutes']) // 60:02d}:{abs(r['tz_minutes']) % 60:02d}"
    return text


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def read_corpus(path):
    f = open(path, "rb").read()
    read_header(f)
    ft = read_footer(f)
    sec, first_section, ext = read_sections(f, ft)
    dicts = read_dictionaries(ext)
    check(len(ext.get(2, b"")) == 20, "writer settings")
    codec, level, block_size, dsize, msize = struct.unpack_from("<IiIII",
                                                               ext[2], 0)
    check(block_size == ft["block_size"] and codec in (0, 1) and
          1 <= level <= (22 if codec else 9), "writer settings: values")
    check(ft["required"] == (1 if codec == 1 or dicts else 0),
          "QF_REQ_CODECS set exactly for zstd or dictionaries")
    ft["codec"], ft["dicts"] = codec, len(dicts)
    sources = read_sources(sec, ft)
    rows = read_rows(sec, ft)
    check(len(sec[3]) == 4 * ft["docs"] and len(sec[2]) <= 4 * ft["docs"],
          "index lengths")
    docs = read_blocks(f, sec, ft, rows, first_section, dicts)
    check(u32(f, 16) == (1 if 3 in ext else 0),
          "QF_OPT_WORD_SUMMARIES set exactly with word summaries")
    if 3 in ext:
        check_word_summaries(ext[3], ft, rows, docs)
    ft["listed"] = check_word_postings(ext[5], ft, docs) if 5 in ext else 0
    check_indexes(sec, ft, rows, sources)
    dated = [r["date"] for r in rows if r["precision"]]
    check(ft["undated"] == len(rows) - len(dated), "footer: undated count")
    check((ft["min_date"], ft["max_date"]) ==
          (min(dated, default=INT64_MAX), max(dated, default=INT64_MIN)),
          "footer: date span")
    names = [s[0] for s in sources]
    out = []
    for r, (text, title, author, url) in zip(rows, docs):
        src = names[r["source"]] if r["source"] != NO_SOURCE else b""
        out.append(dict(source=src.decode(), date=given_date(r),
                        title=title.decode(), author=author.decode(),
                        url=url.decode(), text=text.decode(),
                        key=(r["source"], r["date"])))
    return ft, out


# ---- the corpora ----------------------------------------------------------


SOURCES = ["Zeitung", "Daily Planet", "", "Daily", "Ämter-Blatt", "Bugle"]
DATES = ["2016-01-31", "", "2016", "2016-02", "2017-05-08T09:22Z",
         "Mon, 08 May 2017 09:22:00 +0000", "2016-01-31T09:22:05+02:00",
         "1999-12-31T23:59", "", "Tue, 1 Mar 2016 10:00 EST", "2016-01-31"]


def input_rows(n=120):
    """Documents of every kind: sources and none, every date form and none,
    empty and multi-byte strings, texts small and larger than a block."""
    rows = []
    for i in range(n):
        text = f"Text {i}: " + "lorem ipsum dolor " * (i % 7) * (i % 5 + 1)
        if i % 37 == 0:
            text += "ä" * 3000  # a document bigger than a 4 KiB block
        rows.append(dict(source=SOURCES[i % len(SOURCES)],
                         date=DATES[i % len(DATES)], title=f"doc {i}",
                         author="" if i % 4 else f"Author {i % 3}",
                         url=f"http://example.org/{i}" if i % 3 else "",
                         text=text))
    return rows


def boundary_rows():
    """Texts that fill a 4 KiB block exactly, and that miss by one byte."""
    return [dict(source="", date="", title=str(i), author="", url="",
                 text=c * n) for i, (c, n) in
            enumerate(zip("abcd", (2047, 2048, 2047, 2047)))]


def pack(quire, work, name, rows, options):
    csv_path = os.path.join(work, name + ".csv")
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["source", "date", "title", "author", "url", "text"])
        w.writeheader()
        w.writerows(rows)
    out = os.path.join(work, name + ".quire")
    done = subprocess.run([quire, "pack", "-o", out, *options, csv_path],
                          capture_output=True, text=True)
    check(done.returncode == 0, f"quire pack {name} failed: {done.stderr}")
    return out


def export(quire, path):
    done = subprocess.run([quire, "export", path], check=True,
                          capture_output=True)
    return list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"),
                                           newline="")))


def check_corpus(quire, path, given, order, block_size):
    ft, docs = read_corpus(path)
    check(ft["order"] == order and ft["block_size"] == block_size,
          "footer: order and block size")
    raw = sum(len(r[k].encode()) for r in given for k in r)
    check(ft["raw"] == raw, "footer: raw size")
    titles = [d["title"] for d in docs]
    if order == 1:
        check(titles == [r["title"] for r in given], "input order")
    else:  # source name, no source last; then date; then input order
        number = {t: i for i, t in enumerate(r["title"] for r in given)}
        want = sorted(docs, key=lambda d: (d["source"] == "",
                                           d["source"].encode(),
                                           d["key"][1], number[d["title"]]))
        check(titles == [d["title"] for d in want], "clustered order")
    exported = export(quire, path)
    check(len(exported) == len(docs), "export row count")
    for i, (d, e) in enumerate(zip(docs, exported)):
        for k in ("source", "date", "title", "author", "url", "text"):
            check(d[k] == e[k], f"document {i}: {k} {d[k]!r} != export {e[k]!r}")
        check(e["id"] == str(i), f"document {i}: id")
    return ft


def main():
    format_md, root, quire, work = sys.argv[1:5]
    cc = sys.argv[5] if len(sys.argv) > 5 else "cc"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        count = check_constants(format_section(format_md), root, work, cc)
        given = input_rows()
        many = input_rows(1500)
        cases = [("clustered", given, [], 0, 64 << 10),
                 ("deflate", given, ["--codec", "deflate"], 0, 1 << 20),
                 ("deflate-4k", given, ["--codec", "deflate", "--block-size",
                                        "4k", "--level", "3"], 0, 4096),
                 ("dictionary", many, ["--block-size", "8k",
                                       "--dictionary-size", "16k"], 0, 8192),
                 ("dictionary-input", many, ["--block-size", "8k",
                                             "--input-order", "--threads",
                                             "2"], 1, 8192),
                 ("input-4k", given, ["--input-order", "--block-size", "4k"],
                  1, 4096),
                 ("clustered-8k", given, ["--block-size", "8k", "--threads", "2"],
                  0, 8192),
                 ("boundary", boundary_rows(), ["--input-order", "--block-size",
                                                "4k"], 1, 4096)]
        dictionaries = listed = 0
        for name, rows, options, order, block_size in cases:
            path = pack(quire, work, name, rows, options)
            ft = check_corpus(quire, path, rows, order, block_size)
            check(ft["codec"] == (0 if "deflate" in options else 1),
                  f"{name}: codec")
            dictionaries += ft["dicts"]
            listed += ft["listed"]
            if name.startswith("dictionary"):
                check(ft["dicts"] >= 1, f"{name}: no dictionary was trained")
        check(dictionaries >= 2, "dictionaries were read")
        check(listed >= 10, f"only {listed} words had postings")
        empty = pack(quire, work, "empty", [], ["--input-order"])
        ft, docs = read_corpus(empty)
        check(docs == [] and ft["blocks"] == 0, "an empty corpus")
    except FormatError as e:
        print(f"FAIL: {e}")
        return 1
    shutil.rmtree(work)
    print(f"docs/FORMAT.md agrees with format.h ({count} constants), and {len(cases) + 1}"
          " corpora read as docs/FORMAT.md describes them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
