"""The hostile corpus of the spreadsheet tests: every value a spreadsheet is
tempted to read as something else, split or run, with the dates of every
precision. rows() gives the documents in input order as dicts of the six
fields; pack() writes them with `quire pack --input-order`."""
import csv
import os
import subprocess

HOSTILE = [
    "00123", "1e5", "1,234", "12.50", "2016-04-22", "50%", "TRUE", "FALSE",
    "Minsk; Beijing; Moscow", "Smith; Doe", "tab\there", "\tstarts with a tab",
    "=1+1", "+7 (495) 123", "-5", "@SUM(A1:A2)", "=HYPERLINK(\"http://x.test\",\"x\")",
    "'quoted already", "  spaces around  ", "Минск; Пекин — «Москва»",
    "line one\nline two\nline three", "say \"hi\", then; go", "1/2", "3:45",
    "$12", "€ 5,00", "#N/A", "_x0041_ escaped?", "http://example.test/a?b=1",
    "0x1F", "1.5E+03", "(42)", "12-31", "Jan 5",
]

DATES = ["2016", "2016-01", "2016-04-22", "2017-05-08T09:22",
         "2017-05-08T09:22:05Z", "2016-01-31T23:30:00-05:00", "",
         "1850-06-01", "1999-12-31T23:59:59+01:00"]

LONG = "Долгий текст 😀 " * 2600  # > 32,767 UTF-16 units (emoji count 2)


def rows():
    out = []
    n = len(HOSTILE)
    for i in range(n):
        out.append({
            "source": HOSTILE[(i + 3) % n] if i % 4 else "Belarus in Focus",
            "date": DATES[i % len(DATES)],
            "title": HOSTILE[i],
            "author": HOSTILE[(i + 7) % n],
            "url": "https://example.test/%d?q=%s" % (i, "a;b") if i % 3 else HOSTILE[(i + 11) % n],
            "text": HOSTILE[(i + 13) % n] + ("\nsecond line; with, separators\tand a tab" if i % 2 else ""),
        })
    out.append({"source": "Long", "date": "2020-02-29", "title": "long text",
                "author": "", "url": "", "text": LONG})
    out.append({"source": "", "date": "", "title": "", "author": "", "url": "",
                "text": "empty fields around"})
    return out


def pack(quire, path, seeds=None):
    """Packs rows() (and the seed articles when seeds names their folder)
    into the corpus at path, in input order; returns the documents."""
    docs = rows()
    if seeds:
        with open(os.path.join(seeds, "manifest.csv"), encoding="utf-8") as m:
            for r in csv.DictReader(m):
                with open(os.path.join(seeds, r["file"]), encoding="utf-8", newline="") as t:
                    text = t.read()
                docs.append({k: r[k] for k in ["source", "date", "title", "author", "url"]}
                            | {"text": text})
    src = path + ".csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["source", "date", "title", "author", "url", "text"])
        w.writeheader()
        w.writerows(docs)
    subprocess.run([quire, "pack", "--input-order", "-o", path, src], check=True,
                   capture_output=True)
    os.unlink(src)
    return docs
