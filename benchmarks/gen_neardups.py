#!/usr/bin/env python3
"""Writes a labelled set of near-duplicate news articles as CSV, for
measuring `quire dups --kind near` (precision and recall) and its speed.

Each row is source,date,title,author,url,text plus a label file (one line
per row, in row order: the row's story number) so that two rows are true
near duplicates exactly when they carry the same story number.

What it makes, from gen_corpus.py's prose (a Markov chain over
benchmarks/prose/ with a synthetic lexicon of rare words):
  * topics: a few hundred, each with its own pool of 40 sentences (the
    quotes, names and background that every article on it repeats);
  * stories: an original article, 30% of whose sentences come from its
    topic's pool, the rest from the shared pool of all sentences;
  * distinct articles on the same topic: other stories of that topic, which
    share some topic sentences and words but are not duplicates (the hard
    negatives: about one story in three has a sibling on its topic);
  * near duplicates of a story (a third of the stories get 1 to 3), each
    the original with one or more of: 1-10% of its words edited (replaced,
    deleted or inserted, in runs of 1 to 3 words, as a copy editor does), a
    boilerplate paragraph added at the top or bottom (newsletter, copyright,
    "this story has been updated") or removed, a changed headline, another
    byline, another outlet and URL; some are exact copies with the white
    space changed.
Rows are shuffled (with a fixed seed), so a variant often comes before its
original. Deterministic for a given seed and size.
"""

import argparse
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_corpus as gc  # noqa: E402

BOILERPLATE = [
    "Sign up for our morning newsletter to get the day's most important "
    "stories delivered to your inbox, free of charge, every weekday.",
    "Copyright {year} {outlet}. All rights reserved. This material may not "
    "be published, broadcast, rewritten or redistributed without "
    "permission.",
    "This story has been updated to include additional reporting and a "
    "response from the ministry, which did not answer questions before "
    "publication.",
    "Follow our live coverage for the latest developments, and share your "
    "own photos and videos with our newsroom through the contact form.",
    "Reporting by our correspondents; editing by the news desk. Contact us "
    "with corrections at the address on our website.",
]

SENTENCE_POOL = 60_000
TOPIC_SENTENCES = 40


def make_words(rng, chain, lexicon, count):
    return [chain.sentence(rng, lexicon) for _ in range(count)]


def edit_words(rng, words, fraction, lexicon):
    """Edits about fraction of the words, in runs of 1 to 3."""
    words = list(words)
    budget = max(1, int(round(len(words) * fraction)))
    while budget > 0 and words:
        run = min(budget, 1 + int(rng.random() * 3))
        at = int(rng.random() * len(words))
        op = rng.random()
        new = [lexicon.words[int(rng.random() * 5000)] for _ in range(run)]
        if op < 0.5:
            words[at:at + run] = new
        elif op < 0.75:
            del words[at:at + run]
        else:
            words[at:at] = new
        budget -= run
    return words


def body_of(paragraphs):
    return "\n\n".join(" ".join(p) for p in paragraphs)


def make_story(rng, pool, topic_pool, n_sentences):
    sentences = []
    for _ in range(n_sentences):
        src = topic_pool if rng.random() < 0.3 else pool
        sentences.append(src[int(rng.random() * len(src))])
    paragraphs, cur = [], []
    for s in sentences:
        cur.append(s)
        if len(cur) >= 1 + int(rng.random() * 4):
            paragraphs.append(cur)
            cur = []
    if cur:
        paragraphs.append(cur)
    return paragraphs


def variant(rng, story, chain, lexicon, outlets):
    """A near duplicate of story (a dict): returns a new dict and what was
    done to it."""
    paragraphs = [list(p) for p in story["paragraphs"]]
    done = []
    kinds = rng.random()
    if kinds < 0.1:  # the same text, white space changed
        text = story["text"].replace("\n\n", "\n \n").replace(". ", ".  ")
        done.append("whitespace")
        new = dict(story, text=text)
    else:
        if kinds < 0.85:
            fraction = 0.01 + rng.random() * 0.09
            words = body_of(paragraphs).split(" ")
            text = " ".join(edit_words(rng, words, fraction, lexicon))
            paragraphs = [p.split(" ") for p in text.split("\n\n")]
            paragraphs = [[" ".join(p)] for p in paragraphs]
            done.append(f"edit{fraction:.3f}")
        if rng.random() < 0.4:
            outlet = story["outlet"]
            plate = BOILERPLATE[int(rng.random() * len(BOILERPLATE))].format(
                year=story["date"][:4], outlet=outlet)
            if story["plate"] is not None and rng.random() < 0.5:
                paragraphs = [p for p in paragraphs
                              if " ".join(p) != story["plate"]]
                done.append("plate-removed")
            elif rng.random() < 0.5:
                paragraphs.insert(0, [plate])
                done.append("plate-top")
            else:
                paragraphs.append([plate])
                done.append("plate-bottom")
        new = dict(story, text=body_of(paragraphs))
    if rng.random() < 0.5:
        new["title"] = gc.make_title(rng, chain)
        done.append("headline")
    if rng.random() < 0.5:
        new["author"] = gc.make_author(rng)
    name, domain = outlets[int(rng.random() * len(outlets))]
    new["source"] = name
    new["url"] = (f"https://{domain}/{new['date'][:7].replace('-', '/')}/"
                  f"{gc.ascii_slug(new['title'])[:50]}-{int(rng.random() * 1e9)}")
    new["done"] = "+".join(done) or "copy"
    return new


def generate(count, seed):
    rng = random.Random(f"neardups-{seed}")
    chain = gc.Chain(gc.read_prose(gc.PROSE_DIR))
    lexicon = gc.Lexicon(rng, gc.LEXICON_WORDS)
    pool = make_words(rng, chain, lexicon, min(SENTENCE_POOL, 1000 + count))
    outlets = gc.make_sources(rng, 60)
    n_topics = max(1, count // 12)
    topics = [make_words(rng, chain, lexicon, TOPIC_SENTENCES)
              for _ in range(n_topics)]
    rows = []
    story_no = 0
    while len(rows) < count:
        topic = int(rng.random() * n_topics)
        n_sentences = 8 + int(rng.random() * 40)
        paragraphs = make_story(rng, pool, topics[topic], n_sentences)
        name, domain = outlets[int(rng.random() * len(outlets))]
        date = gc.make_date(rng, len(rows), count)
        plate = None
        if rng.random() < 0.3:
            plate = BOILERPLATE[int(rng.random() * len(BOILERPLATE))].format(
                year=date[:4] or "2020", outlet=name)
            paragraphs.append([plate])
        title = gc.make_title(rng, chain)
        story = {"paragraphs": paragraphs, "text": body_of(paragraphs),
                 "title": title, "author": gc.make_author(rng),
                 "source": name, "outlet": name, "date": date,
                 "url": gc.make_url(rng, domain, date, title, len(rows)),
                 "plate": plate, "story": story_no, "done": "original",
                 "topic": topic}
        rows.append(story)
        if rng.random() < 1 / 3:
            for _ in range(1 + int(rng.random() * 3)):
                rows.append(variant(rng, story, chain, lexicon, outlets))
        story_no += 1
    rows = rows[:count]
    rng.shuffle(rows)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--docs", type=int, required=True)
    ap.add_argument("-o", "--output", required=True, help="CSV to write")
    ap.add_argument("--labels", required=True,
                    help="write the story number of each row here")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = generate(args.docs, args.seed)
    with open(args.output, "w", encoding="utf-8", newline="") as f:
        f.write("source,date,title,author,url,text\n")
        for r in rows:
            f.write(",".join(gc.csv_field(r[k]) for k in
                             ("source", "date", "title", "author", "url",
                              "text")) + "\n")
    with open(args.labels, "w", encoding="utf-8") as f:
        f.write("story\ttopic\tdone\n")
        for r in rows:
            f.write(f"{r['story']}\t{r['topic']}\t{r['done']}\n")


if __name__ == "__main__":
    main()
