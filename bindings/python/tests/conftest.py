"""Fixtures shared by the tests: sample documents, the paths of the repo's
header, the seeds sample and the quire CLI when they are there."""

from __future__ import annotations

import csv
import os
import random
import shutil
from pathlib import Path
from typing import Dict, List, Optional

import pytest

import quire

REPO = Path(__file__).resolve().parents[3]

# Every field of these must come back exactly: empty strings, Cyrillic,
# emoji, no source, no date, each date precision, quotes and newlines.
ROUND_TRIP_DOCS: List[Dict[str, Optional[str]]] = [
    {"source": "Belarus in Focus", "date": "2016-04-22T18:38", "title": "Sino-Belarusian cooperation",
     "author": "", "url": "http://www.belarusinfocus.info/x", "text": "First line.\nSecond, \"quoted\" line."},
    {"source": None, "date": None, "title": "", "author": "", "url": "", "text": ""},
    {"source": "Белта", "date": "2016-01", "title": "Минск и Пекин", "author": "Алесь Бяляцкі",
     "url": "https://belta.by/статья", "text": "Беларусь развивает сотрудничество с Китаем."},
    {"source": "Emoji 📰", "date": "2017", "title": "🇧🇾🤝🇨🇳", "author": "👩‍💻",
     "url": "", "text": "Text with emoji 😀 and a zero-width joiner 👨‍👩‍👧."},
    {"source": "", "date": "2024-08-31", "title": "no source, a day", "author": "A", "url": "",
     "text": "x" * 10000},
    {"source": "Belarus in Focus", "date": "2017-05-08T09:22:05", "title": "seconds", "author": "B",
     "url": "u", "text": "Tab\tand CRLF\r\nand comma, all kept"},
    {"source": "South China Morning Post", "date": "", "title": "empty date string", "author": "",
     "url": "", "text": "undated"},
]


@pytest.fixture
def header_path() -> Path:
    return Path(os.environ.get("QUIRE_HEADER", REPO / "include" / "quire.h"))


@pytest.fixture
def seeds_dir() -> Path:
    path = Path(os.environ.get("QUIRE_SEEDS_DIR", REPO.parent / "shared" / "seeds"))
    if not (path / "manifest.csv").is_file():
        pytest.skip(f"seeds sample not found at {path}: skipping the seeds tests")
    return path


@pytest.fixture
def seeds(seeds_dir, tmp_path):
    """The seeds sample packed through the binding's Writer from
    manifest.csv and the .txt files: (path, manifest rows)."""
    with open(seeds_dir / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    path = tmp_path / "seeds.quire"
    with quire.Writer(path, order="input") as writer:
        for row in rows:
            text = (seeds_dir / row["file"]).read_text(encoding="utf-8")
            writer.add(source=row["source"], date=row["date"], title=row["title"],
                       author=row["author"], url=row["url"], text=text)
    return path, rows


@pytest.fixture
def cli() -> Optional[str]:
    """The quire command-line tool, or None when it is not built."""
    path = os.environ.get("QUIRE_CLI")
    if path and os.access(path, os.X_OK):
        return path
    return shutil.which("quire")


def write_corpus(path: Path, docs, **options) -> Path:
    with quire.Writer(path, **options) as writer:
        for doc in docs:
            writer.add(**doc)
    return path


@pytest.fixture
def round_trip_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "round.quire", ROUND_TRIP_DOCS, order="input")


SOURCES = ["Belarus in Focus", "Eurasia Daily Monitor", "South China Morning Post", "Белта", "Xinhua"]


def model_docs(n: int = 600, seed: int = 7) -> List[Dict[str, Optional[str]]]:
    """n documents with sources, dates of every precision and gaps, drawn
    from a seeded generator so every run tests the same corpus."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        year = rng.randint(2014, 2019)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        hour, minute, second = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        date = rng.choice([
            None,
            f"{year}",
            f"{year}-{month:02d}",
            f"{year}-{month:02d}-{day:02d}",
            f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}",
            f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}",
        ])
        words = " ".join(rng.choice(["Minsk", "Beijing", "Moscow", "trade", "ties", "Лукашенко", "😀"])
                         for _ in range(rng.randint(0, 300)))
        docs.append({
            "source": rng.choice(SOURCES + [None]),
            "date": date,
            "title": f"doc-{i}",
            "author": rng.choice(["", "Nikola Mikovic", "Юрий"]),
            "url": f"https://example.org/{i}",
            "text": words,
        })
    return docs
