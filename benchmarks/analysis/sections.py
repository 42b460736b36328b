#!/usr/bin/env python3
"""Where the bytes of a .quire file go: text blocks, metadata blocks and the
index sections, read from the footer (layout in core/format.h).

    python3 sections.py FILE.quire...
"""
import struct
import sys

FOOTER = 288
SECTIONS = ["source names", "source table", "source index", "date index",
            "document table", "text block table", "metadata block table"]
TEXT_TABLE, META_TABLE = 5, 6
RECORD = {TEXT_TABLE: 64, META_TABLE: 32}  # bytes per block record
CSIZE = 8  # offset of the compressed size in a block record


def section(footer, i):
    return struct.unpack_from("<QQII", footer, 104 + 24 * i)[:2]


def blocks_bytes(data, footer, table, count):
    off, _ = section(footer, table)
    return sum(struct.unpack_from("<I", data, off + RECORD[table] * i + CSIZE)[0]
               for i in range(count))


EXTENSIONS = {1: "dictionaries", 2: "writer settings", 3: "word summaries",
              4: "near-duplicate sigs", 5: "word postings"}


def extensions(data, footer):
    """Format 1.1: (name, length) of each extension section."""
    size, = struct.unpack_from("<I", footer, 272)
    if not size:
        return []
    table = data[len(data) - FOOTER - size:len(data) - FOOTER]
    count, = struct.unpack_from("<I", table, 8)
    out = []
    for i in range(count):
        kind, _, _, length = struct.unpack_from("<IIQQ", table, 16 + 32 * i)
        out.append((EXTENSIONS.get(kind, f"kind {kind}"), length))
    return out


def describe(path):
    with open(path, "rb") as f:
        data = f.read()
    footer = data[-FOOTER:]
    if footer[:8] != b"QUIREFTR":
        sys.exit(f"sections: {path}: no quire footer")
    docs, = struct.unpack_from("<Q", footer, 32)
    blocks, meta_blocks = struct.unpack_from("<QQ", footer, 56)
    total = len(data)
    text = blocks_bytes(data, footer, TEXT_TABLE, blocks)
    meta = blocks_bytes(data, footer, META_TABLE, meta_blocks)
    print(f"{path}: {total:,} bytes, {docs:,} documents")
    print(f"  text blocks      {blocks:6d} {text:14,} {text / total:7.2%}")
    print(f"  metadata blocks  {meta_blocks:6d} {meta:14,} {meta / total:7.2%}")
    for i, name in enumerate(SECTIONS):
        _, length = section(footer, i)
        print(f"  {name:22s} {length:14,} {length / total:7.2%}"
              f"  ({length / max(docs, 1):.1f} B/doc)")
    ext = extensions(data, footer)
    for name, length in ext:
        print(f"  {name:22s} {length:14,} {length / total:7.2%}")
    rest = (total - text - meta - sum(section(footer, i)[1] for i in range(len(SECTIONS)))
            - sum(length for _, length in ext))
    print(f"  header, footer, CRC tables {rest:10,} {rest / total:7.2%}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        describe(p)
