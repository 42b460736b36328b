//! merge, Writer::add_corpus and Writer::open_append: every field of every
//! document, keep-order concatenation, clustered order, duplicates, the
//! seeds, corpora dropped early, damage and misuse.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use quire::{
    merge, AppendOptions, Codec, Corpus, Document, DupKind, ErrorKind, Filter, ImportOptions,
    MergeOptions, MergeReport, Order, Writer, WriterOptions,
};

/// Every document of the corpus at path, in document order.
fn read_all(path: &Path) -> Vec<Document> {
    Corpus::open(path)
        .unwrap()
        .iter()
        .unwrap()
        .collect::<quire::Result<_>>()
        .unwrap()
}

/// docs numbered from first on, as a file holding them from there numbers
/// them.
fn renumber(docs: &[Document], first: usize) -> Vec<Document> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| Document {
            number: (first + i) as u64,
            ..d.clone()
        })
        .collect()
}

/// Every field of a document but its number.
fn key(d: &Document) -> String {
    [&d.source, &d.date, &d.title, &d.author, &d.url, &d.text]
        .map(String::as_str)
        .join("\x01")
}

/// The multiset of documents, ignoring their order.
fn sorted_keys(docs: &[Document]) -> Vec<String> {
    let mut keys: Vec<String> = docs.iter().map(key).collect();
    keys.sort();
    keys
}

/// Documents from..to-1, each with its own url and text (several KiB), over
/// sources and dates; the same index always gives the same document.
fn unique_docs(from: usize, to: usize) -> Vec<Document> {
    let sources = [
        "Belarus in Focus",
        "Eurasia Daily Monitor",
        "",
        "Новая газета",
    ];
    let dates = ["2016-04-22T18:38", "2017-05", "", "2015-12-31", "2024"];
    (from..to)
        .map(|i| Document {
            number: 0,
            source: sources[i % sources.len()].into(),
            date: dates[(i / 3) % dates.len()].into(),
            title: format!("Story {i} «кириллица»"),
            author: ["", "Nikola Mikovic"][i % 2].into(),
            url: format!("https://news.example/story/{i}"),
            text: format!(
                "Story {i}.\n{}",
                random_words(1000 + i as u64, 400 + i % 50)
            ),
        })
        .collect()
}

fn retitled(docs: Vec<Document>, prefix: &str) -> Vec<Document> {
    docs.into_iter()
        .map(|d| Document {
            title: format!("{prefix}{}", d.title),
            ..d
        })
        .collect()
}

fn options(block_size: u32, codec: Codec, order: Order) -> WriterOptions {
    WriterOptions {
        block_size: Some(block_size),
        codec,
        order,
        ..WriterOptions::default()
    }
}

/// Writes docs to a corpus of its own directory (kept in dirs).
fn corpus_of(dirs: &mut Vec<TempDir>, docs: &[Document], opts: &WriterOptions) -> PathBuf {
    dirs.push(TempDir::new());
    write_corpus(dirs.last().unwrap(), docs, opts)
}

/// Two corpora of different documents: a, sample_docs(n) in zstd,
/// clustered; b, 40 unique documents titled "B ..." in DEFLATE, in order_b.
fn two_inputs(dirs: &mut Vec<TempDir>, n: usize, order_b: Order) -> (PathBuf, PathBuf) {
    let a = corpus_of(
        dirs,
        &sample_docs(n),
        &options(8192, Codec::Zstd, Order::Clustered),
    );
    let b = corpus_of(
        dirs,
        &retitled(unique_docs(0, 40), "B "),
        &options(8192, Codec::Deflate, order_b),
    );
    (a, b)
}

#[test]
fn keep_order_concatenates() {
    let mut dirs = Vec::new();
    // Enough text for zstd dictionaries.
    let (a, b) = two_inputs(&mut dirs, 200, Order::Input);
    let (docs_a, docs_b) = (read_all(&a), read_all(&b));
    let dir = TempDir::new();
    let out = dir.path("merged.quire");
    let keep = MergeOptions {
        keep_order: true,
        ..MergeOptions::default()
    };
    let report = merge(&out, &[&b, &a], &keep).unwrap();
    assert_eq!(
        report,
        MergeReport {
            docs: 240,
            dropped: 0
        }
    );
    let mut want = renumber(&docs_b, 0);
    want.extend(renumber(&docs_a, docs_b.len()));
    assert_eq!(read_all(&out), want);
    let merged = Corpus::open(&out).unwrap();
    merged.verify().unwrap();
    // The zstd input's dictionaries came along with its blocks.
    let dicts = Corpus::open(&a).unwrap().packing().unwrap().dictionaries;
    assert!(!dicts.is_empty());
    assert_eq!(merged.packing().unwrap().dictionaries, dicts);
}

#[test]
fn clustered_merge_keeps_every_document() {
    let mut dirs = Vec::new();
    let (a, b) = two_inputs(&mut dirs, 70, Order::Clustered);
    let (docs_a, docs_b) = (read_all(&a), read_all(&b));
    let dir = TempDir::new();
    let out = dir.path("merged.quire");
    let report = merge(&out, &[&a, &b], &MergeOptions::default()).unwrap();
    assert_eq!((report.docs, report.dropped), (110, 0));
    let got = read_all(&out);
    let all: Vec<Document> = docs_a.iter().chain(&docs_b).cloned().collect();
    assert_eq!(sorted_keys(&got), sorted_keys(&all));
    for (i, d) in got.iter().enumerate() {
        assert_eq!(d.number, i as u64);
    }
    // Blocks are never split and each clustered input's blocks keep their
    // order: each input's documents come in their own order.
    let (from_b, from_a): (Vec<&Document>, Vec<&Document>) =
        got.iter().partition(|d| d.title.starts_with("B "));
    assert_eq!(
        from_a.iter().map(|d| key(d)).collect::<Vec<_>>(),
        docs_a.iter().map(key).collect::<Vec<_>>()
    );
    assert_eq!(
        from_b.iter().map(|d| key(d)).collect::<Vec<_>>(),
        docs_b.iter().map(key).collect::<Vec<_>>()
    );
    let merged = Corpus::open(&out).unwrap();
    let (ca, cb) = (Corpus::open(&a).unwrap(), Corpus::open(&b).unwrap());
    for f in [
        Filter::new().source("Belarus in Focus"),
        Filter::new().from("2016").to("2017"),
    ] {
        let want = ca.count(&f).unwrap() + cb.count(&f).unwrap();
        assert!(want > 0);
        assert_eq!(merged.count(&f).unwrap(), want, "{f:?}");
    }
}

#[test]
fn dedup_drops_the_second_copy() {
    let mut dirs = Vec::new();
    let opts = options(8192, Codec::Zstd, Order::Input);
    let a = corpus_of(&mut dirs, &unique_docs(0, 40), &opts);
    let b = corpus_of(&mut dirs, &unique_docs(20, 60), &opts);
    for kinds in [
        vec![DupKind::Url],
        vec![DupKind::Text],
        DupKind::ALL.to_vec(),
    ] {
        let dir = TempDir::new();
        let out = dir.path("dedup.quire");
        let report = merge(
            &out,
            &[&a, &b],
            &MergeOptions {
                keep_order: true,
                dedup: kinds.clone(),
                threads: Some(2),
                ..MergeOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            report,
            MergeReport {
                docs: 60,
                dropped: 20
            },
            "{kinds:?}"
        );
        assert_eq!(read_all(&out), renumber(&unique_docs(0, 60), 0));
    }
}

/// The seeds folder, its documents and the first count of them packed in
/// input order; None, saying so, when ../shared/seeds is absent.
fn packed_seeds(
    dirs: &mut Vec<TempDir>,
    count: usize,
    what: &str,
) -> Option<(PathBuf, Vec<Document>, PathBuf)> {
    let Some(dir) = seeds_dir() else {
        eprintln!("no ../shared/seeds: skipping the seeds {what}");
        return None;
    };
    let docs = seeds_docs(&dir);
    let opts = options(64 << 10, Codec::Zstd, Order::Input);
    let path = corpus_of(dirs, &docs[..count], &opts);
    Some((dir, docs, path))
}

#[test]
fn seeds_merged_with_themselves() {
    let mut dirs = Vec::new();
    let Some((_, docs, seeds)) = packed_seeds(&mut dirs, 5, "merge") else {
        return;
    };
    let dir = TempDir::new();
    let out = dir.path("twice.quire");
    let keep = MergeOptions {
        keep_order: true,
        ..MergeOptions::default()
    };
    assert_eq!(merge(&out, &[&seeds, &seeds], &keep).unwrap().docs, 10);
    let once = read_all(&seeds);
    assert_eq!(once.len(), 5);
    for (i, d) in once.iter().enumerate() {
        assert_eq!(
            (&d.title, &d.url, &d.text),
            (&docs[i].title, &docs[i].url, &docs[i].text)
        );
    }
    let twice: Vec<Document> = once.iter().chain(&once).cloned().collect();
    assert_eq!(read_all(&out), renumber(&twice, 0));
    let dedup = MergeOptions {
        dedup: vec![DupKind::Url, DupKind::Text],
        ..MergeOptions::default()
    };
    let report = merge(&out, &[&seeds, &seeds], &dedup).unwrap();
    assert_eq!(
        report,
        MergeReport {
            docs: 5,
            dropped: 5
        }
    );
    assert_eq!(sorted_keys(&read_all(&out)), sorted_keys(&once));
}

/// Runs the named test again in a child process in which glibc fills freed
/// memory (MALLOC_PERTURB_), so that a writer reading the bytes of a corpus
/// freed too early reads garbage (and fails on checksums) instead of the
/// old data. Returns true in the child, where the test goes on.
fn with_freed_memory_poisoned(name: &str) -> bool {
    if std::env::var_os("MALLOC_PERTURB_").is_some() {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1"])
        .env("MALLOC_PERTURB_", "165")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(&format!("test {name} ... ok")),
        "with MALLOC_PERTURB_: {}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

/// The writer keeps what it copies: corpora dropped right after add_corpus,
/// from a file or from bytes, are merged whole.
#[test]
fn add_corpus_then_drop_early() {
    if !with_freed_memory_poisoned("add_corpus_then_drop_early") {
        return;
    }
    let mut dirs = Vec::new();
    let a = corpus_of(
        &mut dirs,
        &sample_docs(60),
        &options(8192, Codec::Zstd, Order::Clustered),
    );
    let b = corpus_of(
        &mut dirs,
        &retitled(unique_docs(0, 30), "B "),
        &options(8192, Codec::Zstd, Order::Input),
    );
    let b_bytes = std::fs::read(&b).unwrap();
    for order in [Order::Clustered, Order::Input] {
        let dir = TempDir::new();
        let out = dir.path("early.quire");
        let mut w = Writer::create_with(
            &out,
            &WriterOptions {
                order,
                ..WriterOptions::default()
            },
        )
        .unwrap();
        w.add_corpus(&Corpus::open(&a).unwrap()).unwrap();
        let from_bytes = Corpus::from_bytes(b_bytes.clone()).unwrap();
        w.add_corpus(&from_bytes).unwrap();
        drop(from_bytes);
        let extra = Document {
            source: "Late".into(),
            date: "2020".into(),
            title: "added last".into(),
            text: "after the corpora".into(),
            ..Document::default()
        };
        w.add(&extra).unwrap();
        // Something else now takes the freed memory.
        let reuse: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; b_bytes.len() / 8]).collect();
        assert_eq!(w.doc_count(), 91);
        w.finish().unwrap();
        drop(reuse);
        let got = read_all(&out);
        let mut want = read_all(&a);
        want.extend(read_all(&b));
        want.push(extra);
        if order == Order::Input {
            assert_eq!(got, renumber(&want, 0));
        } else {
            assert_eq!(sorted_keys(&got), sorted_keys(&want));
        }
    }
}

#[test]
fn append_keeps_the_old_documents() {
    for opts in [
        options(8192, Codec::Zstd, Order::Clustered),
        options(8192, Codec::Deflate, Order::Input),
    ] {
        let mut dirs = Vec::new();
        let path = corpus_of(&mut dirs, &sample_docs(60), &opts);
        let before = read_all(&path);
        let packing = Corpus::open(&path).unwrap().packing().unwrap();
        let mut w = Writer::open_append(&path).unwrap();
        let added = unique_docs(0, 25);
        for d in &added {
            w.add(d).unwrap();
        }
        w.finish().unwrap();
        let got = read_all(&path);
        assert_eq!(got[..before.len()], before[..]);
        // The new ones follow in the corpus's own order, as a corpus of
        // them alone with the same options orders them.
        let fresh = read_all(&corpus_of(&mut dirs, &added, &opts));
        assert_eq!(got[before.len()..], renumber(&fresh, before.len())[..]);
        let c = Corpus::open(&path).unwrap();
        assert_eq!(c.packing().unwrap(), packing);
        c.verify().unwrap();
    }
}

#[test]
fn append_dedup_against_the_old_documents() {
    let mut dirs = Vec::new();
    let path = corpus_of(
        &mut dirs,
        &unique_docs(0, 30),
        &WriterOptions {
            order: Order::Input,
            ..WriterOptions::default()
        },
    );
    let mut w = Writer::open_append_with(
        &path,
        &AppendOptions {
            dedup: vec![DupKind::Url, DupKind::Text],
            threads: Some(1),
            ..AppendOptions::default()
        },
    )
    .unwrap();
    for d in &unique_docs(10, 40) {
        w.add(d).unwrap();
    }
    assert_eq!((w.dropped(), w.doc_count()), (20, 40));
    w.finish().unwrap();
    assert_eq!(read_all(&path), renumber(&unique_docs(0, 40), 0));
}

/// The seeds' manifest imported into an append writer with dedup: those
/// already there are dropped, the others follow them.
#[test]
fn append_seeds_import() {
    let mut dirs = Vec::new();
    let Some((seeds_dir, docs, path)) = packed_seeds(&mut dirs, 3, "append") else {
        return;
    };
    let mut w = Writer::open_append_with(
        &path,
        &AppendOptions {
            dedup: vec![DupKind::Url, DupKind::Text],
            ..AppendOptions::default()
        },
    )
    .unwrap();
    let import = ImportOptions {
        columns: vec![("file".into(), quire::Field::File)],
        ..ImportOptions::default()
    };
    w.import_csv_path(seeds_dir.join("manifest.csv"), &import)
        .unwrap();
    assert_eq!(w.dropped(), 3);
    w.finish().unwrap();
    let got = read_all(&path);
    assert_eq!(got.len(), 5);
    for (i, d) in got.iter().enumerate() {
        assert_eq!(d.number, i as u64);
        assert_eq!(
            (&d.source, &d.title, &d.author, &d.url, &d.text),
            (
                &docs[i].source,
                &docs[i].title,
                &docs[i].author,
                &docs[i].url,
                &docs[i].text
            )
        );
        assert_eq!(d.date.is_empty(), docs[i].date.is_empty());
    }
}

#[test]
fn abandoned_append_changes_nothing() {
    let mut dirs = Vec::new();
    let path = corpus_of(&mut dirs, &sample_docs(30), &WriterOptions::default());
    let before = std::fs::read(&path).unwrap();
    let mut w = Writer::open_append(&path).unwrap();
    w.add(&unique_docs(0, 1)[0]).unwrap();
    drop(w);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(dirs[0].entries(), 1, "a temporary file was left");
}

#[test]
fn misuse_is_refused() {
    let mut dirs = Vec::new();
    let path = corpus_of(&mut dirs, &sample_docs(10), &WriterOptions::default());
    let dir = TempDir::new();

    let missing = dir.path("missing.quire");
    let err = Writer::open_append(&missing).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("cannot append"), "{err}");
    assert!(!missing.exists());
    let csv = dir.path("not.quire");
    std::fs::write(&csv, "source,text\nx,y\n").unwrap();
    assert_eq!(
        Writer::open_append(&csv).err().unwrap().kind(),
        ErrorKind::NotQuire
    );
    assert_eq!(
        Writer::open_append("bad\0path").err().unwrap().kind(),
        ErrorKind::Invalid
    );
    let bad = AppendOptions {
        dedup: vec![DupKind::Near],
        similarity: Some(2.0),
        ..AppendOptions::default()
    };
    assert_eq!(
        Writer::open_append_with(&path, &bad).err().unwrap().kind(),
        ErrorKind::Invalid
    );
    assert_eq!(dirs[0].entries(), 1);

    let out = dir.path("out.quire");
    let none: [&Path; 0] = [];
    assert_eq!(
        kind(merge(&out, &none, &MergeOptions::default())),
        ErrorKind::Invalid
    );
    std::fs::copy(&path, &out).unwrap();
    let before = std::fs::read(&path).unwrap();
    assert_eq!(
        kind(merge(&path, &[&out, &path], &MergeOptions::default())),
        ErrorKind::Invalid
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let out2 = dir.path("out2.quire");
    for (inputs, want) in [
        (vec![&path, &missing], ErrorKind::NotFound),
        (vec![&path, &csv], ErrorKind::NotQuire),
    ] {
        assert_eq!(kind(merge(&out2, &inputs, &MergeOptions::default())), want);
    }
    let threads = MergeOptions {
        threads: Some(65),
        ..MergeOptions::default()
    };
    assert_eq!(kind(merge(&out2, &[&path], &threads)), ErrorKind::Invalid);
    assert!(!out2.exists(), "failed merges left a file");
}

fn kind<T: std::fmt::Debug>(result: quire::Result<T>) -> ErrorKind {
    result.expect_err("an error").kind()
}

/// A damaged block fails the merge with Corrupt naming the block (and the
/// input, when it shows in add_corpus), in either order, leaving no output;
/// the writer is failed after it.
#[test]
fn damaged_input_fails_cleanly() {
    let mut dirs = Vec::new();
    let path = corpus_of(
        &mut dirs,
        &unique_docs(0, 40),
        &options(8192, Codec::Zstd, Order::Input),
    );
    let good = corpus_of(&mut dirs, &sample_docs(10), &WriterOptions::default());
    let mut data = std::fs::read(&path).unwrap();
    data[64 + 100] ^= 0x55; // inside the first text block
    std::fs::write(&path, &data).unwrap();
    for keep_order in [false, true] {
        let dir = TempDir::new();
        let out = dir.path("out.quire");
        let opts = MergeOptions {
            keep_order,
            ..MergeOptions::default()
        };
        let err = merge(&out, &[&good, &path], &opts).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
        assert!(err.message().contains("block"), "{err}");
        if keep_order {
            assert!(err.message().contains(&*path.to_string_lossy()), "{err}");
        }
        assert_eq!(dir.entries(), 0, "a failed merge left a file");
    }
    // By hand, in input order: the writer is failed after the damage.
    let dir = TempDir::new();
    let mut w = Writer::create_with(
        dir.path("out.quire"),
        &WriterOptions {
            order: Order::Input,
            ..WriterOptions::default()
        },
    )
    .unwrap();
    let damaged = Corpus::open(&path).unwrap();
    assert_eq!(
        w.add_corpus(&damaged).unwrap_err().kind(),
        ErrorKind::Corrupt
    );
    let good = Corpus::open(&good).unwrap();
    assert_eq!(w.add_corpus(&good).unwrap_err().kind(), ErrorKind::State);
    assert_eq!(w.finish().unwrap_err().kind(), ErrorKind::State);
    assert_eq!(dir.entries(), 0);
    // Appending to it copies its blocks, and fails the same way.
    let result = Writer::open_append(&path).and_then(|mut w| {
        w.add(&unique_docs(50, 51)[0])?;
        w.finish()
    });
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Corrupt);
    assert_eq!(std::fs::read(&path).unwrap(), data);
}
