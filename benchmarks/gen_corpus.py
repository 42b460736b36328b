#!/usr/bin/env python3
"""Writes a deterministic, realistic news corpus as CSV for the benchmarks.

The CSV has the header source,date,title,author,url,text. The same seed and
document count always give the same bytes, whatever the machine or the
Python 3 version (only random.Random.random() and its integer helpers, whose
sequences Python keeps stable, are used).

What it imitates, and why:
  * ~200 sources with a Zipf-like popularity (weight 1/rank), as real
    collections are dominated by a few large outlets.
  * Dates over 2005-2024 in publication order (a crawl dump), of mixed
    precision: ~5% undated, ~10% month-only, ~2% year-only, ~3% with a UTC
    offset, the rest day or second precision.  Offset dates are local
    daytime with |offset| <= 5 h, so their UTC day equals their local day
    and comparing the ISO text (as SQLite and DuckDB do) agrees with quire's
    UTC comparison at year boundaries.
  * Bodies of lognormal length (median ~3.5 KB, tail to tens of KB) made of
    sentences from a word-level Markov chain trained on benchmarks/prose/,
    which the project owns; they compress about like real prose.

Speed: a Markov walk per word would take hours for 1,000,000 documents, so
a fixed pool of sentences is generated first and bodies are composed from
it. Run with --stats to see the gzip ratio of the bodies and the rate.
"""

import argparse
import bisect
import math
import os
import random
import sys
import time
import unicodedata
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
PROSE_DIR = os.path.join(HERE, "prose")

YEAR_FIRST, YEAR_LAST = 2005, 2024
POOL_SENTENCES = 200_000
BODY_MEDIAN = 3500  # bytes
BODY_SIGMA = 0.8  # of the lognormal: p99 is about 6.4x the median
BODY_MAX = 200_000
# Probability that a step of the chain uses two words of context rather
# than one: more context copies longer runs of the training prose (text
# compresses better), less makes it more random (compresses worse).
ORDER2_PROB = 0.55
# The prose has ~1,500 distinct words, far fewer than real news, whose long
# tail of rare words (names, places, terms) is what keeps it from compressing
# well. So this fraction of the words is swapped for a word of a synthetic
# lexicon drawn with a Zipf-like popularity, and numbers are redrawn.
RARE_WORD_PROB = 0.20
LEXICON_WORDS = 40_000

FIRST_NAMES = [
    "Anna", "Maria", "Jan", "Peter", "Sofia", "Lukas", "Elena", "David",
    "Léa", "Mateo", "Zoë", "Jiří", "Małgorzata", "Søren", "Ana", "João",
    "Ingrid", "Tomás", "Chloé", "Niamh", "Ahmed", "Fatima", "Yuki", "Chen",
    "Olga", "Dmitri", "Eszter", "Björn", "Aylin", "Paolo", "Grace", "Samuel",
]
LAST_NAMES = [
    "Novak", "Müller", "García", "Rossi", "Kowalski", "Dvořák", "Jensen",
    "Silva", "Conceição", "Łukašenka", "Horváth", "O'Brien", "Schäfer",
    "Lefèvre", "Andersson", "Yılmaz", "Petrov", "Nakamura", "Wang", "Smith",
    "Brown", "Fernández", "Øvergaard", "Kovač", "Moreau", "Bianchi",
    "Wójcik", "Papadopoulos", "Haddad", "Murphy", "Becker", "Costa",
]
PLACES = [
    "Northfield", "Riverside", "Zürich", "São Paulo", "Kraków", "Lyon",
    "Brno", "Aarhus", "Porto", "Gdańsk", "Graz", "Bergen", "Cork", "Turku",
    "Malmö", "Sevilla", "Plzeň", "Łódź", "Genève", "Köln", "Bratislava",
    "Tartu", "Split", "Ljubljana", "Vilnius", "Cluj", "Pécs", "Odense",
    "Bilbao", "Salzburg",
]
MASTHEADS = [
    "Gazette", "Courier", "Herald", "Tribune", "Post", "Observer", "Times",
    "Chronicle", "Daily", "Journal", "Record", "Express", "Independent",
    "Dispatch", "Monitor", "Wire",
]


# ---- the Markov chain --------------------------------------------------------

def read_prose(directory):
    """Returns the paragraphs of every .txt file in directory, as word lists."""
    paragraphs = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            for para in f.read().split("\n\n"):
                words = para.split()
                if words:
                    paragraphs.append(words)
    if not paragraphs:
        sys.exit(f"gen_corpus: no prose in {directory}")
    return paragraphs


ABBREVIATIONS = ("Dr.", "Mr.", "Mrs.", "Ms.", "St.")


def ends_sentence(word):
    if word.lstrip('"\'(') in ABBREVIATIONS:
        return False
    return word.rstrip('"\')').endswith((".", "?", "!"))


class Chain:
    """A word chain with one and two words of context. None marks the start
    of a sentence."""

    def __init__(self, paragraphs):
        self.next1 = {}
        self.next2 = {}
        for words in paragraphs:
            prev2, prev1 = None, None
            for w in words:
                self.next1.setdefault(prev1, []).append(w)
                self.next2.setdefault((prev2, prev1), []).append(w)
                if ends_sentence(w):
                    prev2, prev1 = None, None
                else:
                    prev2, prev1 = prev1, w

    def sentence(self, rng, lexicon=None, max_words=60):
        words = []
        prev2, prev1 = None, None
        while len(words) < max_words:
            choices = self.next2.get((prev2, prev1))
            if choices is None or rng.random() >= ORDER2_PROB:
                choices = self.next1.get(prev1) or self.next1[None]
            w = choices[int(rng.random() * len(choices))]
            words.append(w)
            if ends_sentence(w):
                break
            prev2, prev1 = prev1, w
        if lexicon is not None:
            words = [lexicon.vary(rng, w) for w in words]
        text = " ".join(words)
        if not ends_sentence(text):
            text += "."
        return balance_quotes(text)


class Lexicon:
    """Synthetic words built from syllables, with Zipf-like popularity."""

    ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k",
              "l", "m", "n", "p", "pr", "r", "s", "sch", "st", "t", "tr", "v",
              "w", "z", "ž", "š", "ł", "th", ""]
    VOWELS = ["a", "e", "i", "o", "u", "ea", "ou", "ie", "ä", "é", "ö", "y",
              "ã", "ø", "ü"]
    CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng"]

    def __init__(self, rng, count):
        seen = set()
        self.words = []
        while len(self.words) < count:
            word = "".join(self.syllable(rng)
                           for _ in range(1 + int(rng.random() * 3)))
            if len(word) > 1 and word not in seen:
                seen.add(word)
                self.words.append(word)
        self.cum = zipf_cumulative(count)

    def syllable(self, rng):
        # Accented vowels are rarer than plain ones, as in English text.
        vowel = self.VOWELS[int(rng.random() * (5 if rng.random() < 0.85 else
                                                len(self.VOWELS)))]
        return (self.ONSETS[int(rng.random() * len(self.ONSETS))] + vowel +
                self.CODAS[int(rng.random() * len(self.CODAS))])

    def vary(self, rng, word):
        """Returns word, or a rare word or a new number in its place, with
        the same capitalisation and punctuation around it."""
        head = len(word) - len(word.lstrip('"\'('))
        tail = len(word.rstrip('"\'),.;:?!'))
        core = word[head:tail]
        if not core:
            return word
        if core[0].isdigit():
            new = str(int(rng.random() * 10 ** len(core)))
        elif rng.random() < RARE_WORD_PROB:
            new = self.words[bisect.bisect_left(self.cum, rng.random())]
            if core[0].isupper():
                new = new[:1].upper() + new[1:]
        else:
            return word
        return word[:head] + new + word[tail:]


def balance_quotes(text):
    """A sentence cut from the middle of a quotation gets its closing mark,
    so that quotes pair up as in real text."""
    if text.count('"') % 2:
        text += '"'
    return text


# ---- metadata -----------------------------------------------------------------

def make_sources(rng, count=200):
    """Returns count distinct (name, domain) pairs, most popular first."""
    seen = set()
    sources = []
    while len(sources) < count:
        place = PLACES[int(rng.random() * len(PLACES))]
        mast = MASTHEADS[int(rng.random() * len(MASTHEADS))]
        name = f"{place} {mast}" if rng.random() < 0.7 else f"The {place} {mast}"
        if name in seen:
            continue
        seen.add(name)
        slug = ascii_slug(f"{place}{mast}")
        sources.append((name, f"www.{slug}.example"))
    return sources


def ascii_slug(text):
    """Lower-case ASCII letters and digits joined by single hyphens."""
    text = text.lower().translate(str.maketrans("łøßı", "losi"))
    text = unicodedata.normalize("NFKD", text)
    out = []
    for ch in text:
        if unicodedata.combining(ch):
            continue  # the accent of a decomposed letter
        out.append(ch if ch.isascii() and ch.isalnum() else "-")
    return "-".join(filter(None, "".join(out).split("-")))


def zipf_cumulative(count):
    weights = [1.0 / (rank + 1) for rank in range(count)]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    cum[-1] = 1.0
    return cum


def pick_cumulative(cum, r):
    return min(bisect.bisect_left(cum, r), len(cum) - 1)


def civil_from_days(days):
    """Days since 1970-01-01 to (year, month, day), proleptic Gregorian."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    mp = m + 9 if m <= 2 else m - 3
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


SPAN_FIRST = days_from_civil(YEAR_FIRST, 1, 1) * 86400
SPAN_LAST = days_from_civil(YEAR_LAST + 1, 1, 1) * 86400


def make_date(rng, index, count):
    """Dates advance with the document number (a crawl in publication
    order) with a little jitter; the precision varies."""
    t = SPAN_FIRST + int((index + rng.random()) / count * (SPAN_LAST - SPAN_FIRST))
    t = min(t, SPAN_LAST - 1)
    y, m, d = civil_from_days(t // 86400)
    r = rng.random()
    if r < 0.05:
        return ""
    if r < 0.15:
        return f"{y:04d}-{m:02d}"
    if r < 0.17:
        return f"{y:04d}"
    if r < 0.20:
        # Local daytime with a small offset: the UTC day is the same day.
        hour = 6 + int(rng.random() * 12)
        minute = int(rng.random() * 60)
        off = int(rng.random() * 11) - 5
        sign = "+" if off >= 0 else "-"
        return f"{y:04d}-{m:02d}-{d:02d}T{hour:02d}:{minute:02d}:00{sign}{abs(off):02d}:00"
    if r < 0.60:
        return f"{y:04d}-{m:02d}-{d:02d}"
    sec = t % 86400
    return f"{y:04d}-{m:02d}-{d:02d}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z"


def make_author(rng):
    r = rng.random()
    if r < 0.2:
        return ""
    first = FIRST_NAMES[int(rng.random() * len(FIRST_NAMES))]
    last = LAST_NAMES[int(rng.random() * len(LAST_NAMES))]
    name = f"{first} {last}"
    if r > 0.92:
        first2 = FIRST_NAMES[int(rng.random() * len(FIRST_NAMES))]
        last2 = LAST_NAMES[int(rng.random() * len(LAST_NAMES))]
        name += f" and {first2} {last2}"
    return name


def make_title(rng, chain):
    words = chain.sentence(rng).rstrip(".?!\"'").split()
    n = 5 + int(rng.random() * 8)
    title = " ".join(words[:n]).strip(",;:")
    if title.count('"') % 2:
        title = title.replace('"', "")
    return title[:1].upper() + title[1:]


def make_url(rng, domain, date, title, index):
    if rng.random() < 0.1:
        return ""
    path = date[:7].replace("-", "/") if len(date) >= 7 else "archive"
    slug = ascii_slug(title)[:60].strip("-")
    return f"https://{domain}/{path}/{slug}-{index}"


# ---- CSV ----------------------------------------------------------------------

def csv_field(text):
    """RFC 4180 quoting, only where needed."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


class BodyMaker:
    """Composes bodies from a pool of sentences, already CSV-escaped."""

    def __init__(self, chain, seed):
        rng = random.Random(f"pool-{seed}")
        lexicon = Lexicon(rng, LEXICON_WORDS)
        pool = [chain.sentence(rng, lexicon) for _ in range(POOL_SENTENCES)]
        self.escaped = [s.replace('"', '""') for s in pool]
        self.lengths = [len(s.encode("utf-8")) + 1 for s in pool]

    def body(self, rng):
        """Returns the quoted CSV cell of one body and its unquoted length."""
        target = BODY_MEDIAN * math.exp(rng.gauss(0.0, BODY_SIGMA))
        target = min(BODY_MAX, max(200, int(target)))
        parts = []
        size = 0
        npool = len(self.escaped)
        in_para = 0
        para_len = 1 + int(rng.random() * 4)
        while size < target:
            i = int(rng.random() * npool)
            if parts:
                if in_para >= para_len:
                    parts.append("\n\n")
                    in_para = 0
                    para_len = 1 + int(rng.random() * 4)
                else:
                    parts.append(" ")
            parts.append(self.escaped[i])
            size += self.lengths[i]
            in_para += 1
        return '"' + "".join(parts) + '"', size


def generate(out, count, seed, stats):
    chain = Chain(read_prose(PROSE_DIR))
    meta_rng = random.Random(f"sources-{seed}")
    sources = make_sources(meta_rng)
    cum = zipf_cumulative(len(sources))
    bodies = BodyMaker(chain, seed)
    rng = random.Random(f"docs-{seed}")
    sample = []
    out.write("source,date,title,author,url,text\n")
    for index in range(count):
        name, domain = sources[pick_cumulative(cum, rng.random())]
        if rng.random() < 0.01:
            name = ""  # a few documents without a source, as in the seeds
        date = make_date(rng, index, count)
        title = make_title(rng, chain)
        author = make_author(rng)
        url = make_url(rng, domain, date, title, index)
        body, _ = bodies.body(rng)
        out.write(",".join((csv_field(name), date, csv_field(title),
                            csv_field(author), csv_field(url), body)))
        out.write("\n")
        if stats and index < 2000:
            sample.append(body[1:-1].replace('""', '"'))
    return sample, [s[0] for s in sources]


def print_stats(sample, elapsed, path, count):
    raw = "\n".join(sample).encode("utf-8")
    for level in (6, 9):
        ratio = len(raw) / len(zlib.compress(raw, level))
        print(f"body gzip -{level} ratio: {ratio:.2f}", file=sys.stderr)
    lens = sorted(len(s.encode("utf-8")) for s in sample)
    print(f"body bytes: median {lens[len(lens) // 2]}, p99 "
          f"{lens[int(len(lens) * 0.99)]}, max {lens[-1]}", file=sys.stderr)
    size = os.path.getsize(path) if path != "-" else 0
    print(f"{count} documents, {size / 1e6:.1f} MB in {elapsed:.1f} s "
          f"({size / 1e6 / max(elapsed, 1e-9):.1f} MB/s)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--docs", type=int, required=True,
                    help="number of documents")
    ap.add_argument("-o", "--output", required=True,
                    help="CSV file to write (written atomically), or -")
    ap.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    ap.add_argument("--sources", metavar="FILE",
                    help="also write the source names, most popular first")
    ap.add_argument("--stats", action="store_true",
                    help="print compressibility and speed to stderr")
    args = ap.parse_args()
    if args.docs < 0:
        ap.error("--docs must be >= 0")
    start = time.monotonic()
    if args.output == "-":
        sample, names = generate(sys.stdout, args.docs, args.seed, args.stats)
    else:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="",
                  buffering=1 << 20) as f:
            sample, names = generate(f, args.docs, args.seed, args.stats)
        os.replace(tmp, args.output)
    if args.sources:
        with open(args.sources, "w", encoding="utf-8") as f:
            f.write("".join(n + "\n" for n in names))
    if args.stats:
        print_stats(sample, time.monotonic() - start, args.output, args.docs)


if __name__ == "__main__":
    main()
