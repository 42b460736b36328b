"""Terms (match= and match_any=) against a brute-force reference built from
docs/guide.md's rules with Python's own Unicode tables: a word is a run of
characters of category L or N; characters fold by simple case folding,
which is str.casefold() when that gives one character, else str.lower()
when that does, else the character itself."""

from __future__ import annotations

import random
import unicodedata

import pytest

import quire
from conftest import write_corpus


def fold(ch: str) -> str:
    for folded in (ch.casefold(), ch.lower()):
        if len(folded) == 1:
            return folded
    return ch


def words(text: str):
    out, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LN":
            cur.append(fold(ch))
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def holds(field_words, term: str) -> bool:
    t = words(term)
    return any(field_words[i:i + len(t)] == t for i in range(len(field_words) - len(t) + 1))


def matches(doc, match=(), match_any=()) -> bool:
    fields = (words(doc["title"]), words(doc["text"]))

    def has(term):
        return any(holds(f, term) for f in fields)
    return all(map(has, match)) and (not match_any or any(map(has, match_any)))


# Letters whose folding is the point: Cyrillic, Greek with its final sigma
# and accents, Latin with diacritics, ß and ẞ, dotted and dotless i, the
# Kelvin sign and long s, titlecase digraphs, Cherokee, digits of other
# scripts and superscripts.
LETTERS = ("abcdeiksABCDEIKS019" "лукашенкоЛУКАШЕНКОёЁ" "σςΣάΆΐΰ"
           "éÉüÜçÇßẞİıǄǅǆſKµÅå" "Ꭰꭰ" "٣²日本")
SEPARATORS = [" ", " ", " ", "-", "’", "'", "_", ".", ", ", "\u0301", "\u00a0", "😀", "\n",
              "—", "(", ")"]


def vocabulary(rng: random.Random, n: int):
    return ["".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 4))) for _ in range(n)]


def generated_docs(n: int, seed: int):
    rng = random.Random(seed)
    vocab = vocabulary(rng, 60)
    docs = []
    for i in range(n):
        def text(k):
            return "".join(rng.choice(vocab) + rng.choice(SEPARATORS) for _ in range(k))
        docs.append({"source": rng.choice(["A", "B", None]), "date": f"{2010 + i % 6}",
                     "title": text(rng.randint(0, 4)), "author": "", "url": "",
                     "text": text(rng.randint(0, 60))})
    return docs, vocab


def variants(rng: random.Random, term: str) -> str:
    """The term with its case changed, as a user might type it."""
    return rng.choice([term, term.upper(), term.lower(), term.title(), term.swapcase()])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    docs, vocab = generated_docs(300, 11)
    path = write_corpus(tmp_path_factory.mktemp("words") / "gen.quire", docs,
                        order="input", block_size=4096)
    return path, docs, vocab


def expected_ids(docs, match=(), match_any=(), sources=None):
    return [i for i, d in enumerate(docs)
            if matches(d, match, match_any) and (sources is None or d["source"] in sources)]


def test_single_words_and_phrases_against_the_reference(generated):
    path, docs, vocab = generated
    rng = random.Random(3)
    terms = [variants(rng, w) for w in vocab[:40]]
    # Phrases taken from the documents themselves, so they do occur.
    for d in docs[:30]:
        ws = d["text"].split(" ")
        if len(ws) > 3:
            terms.append(variants(rng, " ".join(ws[1:3])))
    terms += ["STRASSE", "straße", "ẞ", "İ", "ı", "I", "ς", "Σ", "K", "k", "ſ", "s",
              "nothing-here-zz"]
    checked = 0
    with quire.Corpus(path) as corpus:
        for term in terms:
            if not words(term):
                continue
            want = expected_ids(docs, [term])
            got = [d.id for d in corpus.query(match=term)]
            assert got == want, f"term {term!r}"
            assert corpus.count(match=term) == len(want)
            checked += bool(want) and len(want) < len(docs)
    assert checked > 20, "most terms should match some documents but not all"


def test_all_any_and_other_filters_combine(generated):
    path, docs, vocab = generated
    with quire.Corpus(path) as corpus:
        cases = [
            dict(match=[vocab[0], vocab[1]]),
            dict(match_any=[vocab[2], vocab[3], "absent-word-q"]),
            dict(match=vocab[4], match_any=[vocab[5], vocab[6]]),
            dict(match_any="absent-word-q"),
        ]
        for case in cases:
            want = expected_ids(docs, _list(case.get("match")), _list(case.get("match_any")))
            assert [d.id for d in corpus.query(**case)] == want, case
            assert corpus.count(**case) == len(want), case
        want = expected_ids(docs, [vocab[7]], sources={"B"})
        assert [d.id for d in corpus.query(sources="B", match=vocab[7])] == want
        want = [i for i in expected_ids(docs, [vocab[8]]) if docs[i]["date"] >= "2013"]
        assert corpus.query(from_="2013", match=vocab[8]).count() == len(want)
        batched = [n for b in corpus.query(match=vocab[9]).batches(7) for n in b.docs]
        assert batched == expected_ids(docs, [vocab[9]])


def _list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def test_export_honours_terms(generated, tmp_path):
    path, docs, vocab = generated
    out = tmp_path / "out.csv"
    with quire.Corpus(path) as corpus:
        result = corpus.export_csv(out, columns="id", match=vocab[10])
        want = expected_ids(docs, [vocab[10]])
        assert result.rows == len(want)
        assert out.read_text().split("\n")[1:-1] == [str(i) for i in want]
        query_out = tmp_path / "query.csv"
        corpus.query(match_any=[vocab[10], vocab[11]]).export_csv(query_out, columns="id")
        want = expected_ids(docs, [], [vocab[10], vocab[11]])
        assert query_out.read_text().split("\n")[1:-1] == [str(i) for i in want]


def test_bad_terms_raise(generated):
    path, _, _ = generated
    with quire.Corpus(path) as corpus:
        with pytest.raises(quire.InvalidArgumentError, match="no word"):
            corpus.count(match=" -- ")
        with pytest.raises(quire.InvalidArgumentError):
            list(corpus.query(match_any=""))
        with pytest.raises(quire.Utf8Error):
            corpus.count(match=b"caf\xe9")
        with pytest.raises(quire.Utf8Error):
            corpus.count(match="\ud800")  # a lone surrogate


def test_seeds(seeds_dir, tmp_path):
    import csv
    with open(seeds_dir / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    docs = [{"source": r["source"] or None, "date": r["date"] or None, "title": r["title"],
             "author": r["author"], "url": r["url"],
             "text": (seeds_dir / r["file"]).read_text(encoding="utf-8")} for r in rows]
    path = write_corpus(tmp_path / "seeds.quire", docs, order="input")
    with quire.Corpus(path) as corpus:
        for term in ["Lukashenko", "belt and road", "RUSSIA’S", "Xi", "2016", "absentword"]:
            assert [d.id for d in corpus.query(match=term)] == expected_ids(docs, [term])


def test_word_summaries_change_nothing_but_size(tmp_path):
    docs, vocab = generated_docs(300, 12)
    with_path = write_corpus(tmp_path / "with.quire", docs, block_size=4096)
    without_path = write_corpus(tmp_path / "without.quire", docs, block_size=4096,
                                word_summaries=False)
    with quire.Corpus(with_path) as a, quire.Corpus(without_path) as b:
        for term in vocab[:20] + ["absent-word-q"]:
            assert a.count(match=term) == b.count(match=term) == len(expected_ids(docs, [term]))
