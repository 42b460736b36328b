//! The pull export (`ExportReader`, `export_csv` built on it) against the
//! atomic file export, and the progress closures of exports, CSV import and
//! `Writer::finish`.

mod common;

use std::io::Read;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::thread;

use common::{parse_csv, sample_docs, seeds_dir, seeds_docs, write_corpus, TempDir};
use quire::{
    merge, Corpus, Dialect, Document, ErrorKind, ExportOptions, Filter, ImportOptions,
    MergeOptions, Order, Progress, Writer, WriterOptions,
};

/// Drains reader with reads of at most size bytes each.
fn read_all_with(reader: &mut impl Read, size: usize) -> Vec<u8> {
    let (mut out, mut buf) = (Vec::new(), vec![0u8; size]);
    loop {
        let n = reader.read(&mut buf).unwrap();
        assert!(n <= size);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn selections() -> Vec<(&'static str, ExportOptions)> {
    vec![
        ("plain", ExportOptions::default()),
        (
            "excel",
            ExportOptions {
                dialect: Dialect::Excel,
                ..ExportOptions::default()
            },
        ),
        (
            "filter",
            ExportOptions {
                filter: Some(
                    Filter::new()
                        .sources(["Belarus in Focus", "Новая газета"])
                        .from("2016"),
                ),
                ..ExportOptions::default()
            },
        ),
        (
            "columns",
            ExportOptions {
                columns: Some(
                    ["text", "id", "year", "datetime_utc", "date_precision"]
                        .map(String::from)
                        .to_vec(),
                ),
                dialect: Dialect::Excel,
                ..ExportOptions::default()
            },
        ),
        (
            "terms",
            ExportOptions {
                filter: Some(Filter::new().any_term("Minsk").any_term("Paragraph")),
                columns: Some(vec!["id".into(), "title".into()]),
                ..ExportOptions::default()
            },
        ),
    ]
}

/// For each selection: the reader at several buffer sizes and export_csv
/// give the bytes of export_csv_path.
fn check_stream_matches_path(corpus: &Corpus, selections: &[(&str, ExportOptions)]) {
    let dir = TempDir::new();
    for (name, options) in selections {
        let path = dir.path(&format!("{name}.csv"));
        let report = corpus.export_csv_path(&path, options).unwrap();
        let want = std::fs::read(&path).unwrap();
        assert!(report.rows > 0, "{name}");
        for size in [1, 7, 4096, 1 << 20] {
            let mut reader = corpus.export_reader(options).unwrap();
            let got = read_all_with(&mut reader, size);
            assert!(got == want, "{name}, reads of {size}: the stream differs");
            assert_eq!(reader.report().rows, report.rows, "{name}");
            assert_eq!(
                reader.read(&mut [0u8; 10]).unwrap(),
                0,
                "{name}: after the end"
            );
        }
        let mut out = Vec::new();
        let stream_report = corpus.export_csv(&mut out, options).unwrap();
        assert!(out == want, "{name}: export_csv differs");
        assert_eq!(stream_report, report, "{name}");
    }
}

#[test]
fn reader_matches_path() {
    let dir = TempDir::new();
    let options = WriterOptions {
        block_size: Some(8192),
        ..WriterOptions::default()
    };
    let corpus = Corpus::open(write_corpus(&dir, &sample_docs(40), &options)).unwrap();
    check_stream_matches_path(&corpus, &selections());
}

#[test]
fn reader_matches_path_on_seeds() {
    let Some(seeds) = seeds_dir() else {
        eprintln!("seeds not available: skipping the real-sample stream test");
        return;
    };
    let docs = seeds_docs(&seeds);
    let dir = TempDir::new();
    let input = WriterOptions {
        order: Order::Input,
        ..WriterOptions::default()
    };
    let corpus = Corpus::open(write_corpus(&dir, &docs, &input)).unwrap();
    let selections = [
        ("plain", ExportOptions::default()),
        (
            "excel",
            ExportOptions {
                dialect: Dialect::Excel,
                columns: Some(
                    ["id", "source", "date", "year", "title", "text"]
                        .map(String::from)
                        .to_vec(),
                ),
                ..ExportOptions::default()
            },
        ),
        (
            "2016",
            ExportOptions {
                filter: Some(Filter::new().from("2016").to("2016")),
                columns: Some(vec!["title".into(), "url".into()]),
                ..ExportOptions::default()
            },
        ),
    ];
    check_stream_matches_path(&corpus, &selections);
    // The CSV reads back as the documents.
    let mut reader = corpus
        .export_reader(&ExportOptions {
            columns: Some(vec!["id".into(), "title".into(), "url".into()]),
            ..ExportOptions::default()
        })
        .unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), docs.len() + 1);
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(
            row,
            &[i.to_string(), docs[i].title.clone(), docs[i].url.clone()]
        );
    }
}

#[test]
fn reader_refuses_split_rows() {
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(
        &dir,
        &sample_docs(10),
        &WriterOptions::default(),
    ))
    .unwrap();
    let split = ExportOptions {
        split_rows: Some(3),
        ..ExportOptions::default()
    };
    let err = corpus
        .export_reader(&split)
        .unwrap()
        .read_csv(&mut [0u8; 100])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let err = corpus.export_csv(&mut std::io::sink(), &split).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

/// Dropping a reader in the middle of the CSV ends the export; the corpus
/// (which the borrow checker keeps alive meanwhile, see the compile_fail
/// example on ExportReader) is whole afterwards. Readers on other threads,
/// sharing the corpus through an Arc, are dropped mid-read while the main
/// thread drops its handle.
#[test]
fn drop_in_the_middle_of_a_read() {
    let dir = TempDir::new();
    let options = WriterOptions {
        block_size: Some(8192),
        ..WriterOptions::default()
    };
    let path = write_corpus(&dir, &sample_docs(200), &options);
    let corpus = Corpus::open(&path).unwrap();
    let mut whole = Vec::new();
    corpus
        .export_csv(&mut whole, &ExportOptions::default())
        .unwrap();
    for cut in [1usize, 1000, 100_000] {
        let mut reader = corpus.export_reader(&ExportOptions::default()).unwrap();
        let mut head = vec![0u8; cut];
        reader.read_exact(&mut head).unwrap();
        assert!(whole.starts_with(&head));
        drop(reader);
    }
    assert_eq!(corpus.count(&Filter::new()).unwrap(), 200);
    // A reader of its own on each of four threads, over an Arc'd corpus
    // whose last owner closes it.
    for round in 0..20u64 {
        let corpus = Arc::new(Corpus::open(&path).unwrap());
        let workers: Vec<_> = (0..4u64)
            .map(|k| {
                let corpus = Arc::clone(&corpus);
                thread::spawn(move || {
                    let mut reader = corpus.export_reader(&ExportOptions::default()).unwrap();
                    let mut buf = vec![0u8; 7 + (round * k) as usize];
                    for _ in 0..(round * 13 + k * 7) % 200 {
                        if reader.read(&mut buf).unwrap() == 0 {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(corpus);
        for w in workers {
            w.join().unwrap();
        }
    }
}

/// Documents with a short text, some undated, for many rows quickly.
fn short_docs(n: usize) -> Vec<Document> {
    (0..n)
        .map(|i| Document {
            number: 0,
            source: format!("source {}", i % 5),
            date: if i % 4 == 0 {
                String::new()
            } else {
                format!("{}-{:02}", 2014 + i % 5, 1 + i % 12)
            },
            title: format!("title {i}"),
            author: String::new(),
            url: String::new(),
            text: format!(
                "{}Document {i} from Minsk.",
                if i % 3 == 0 { "Paragraph " } else { "" }
            ),
        })
        .collect()
}

/// The (done, total) of each call of a progress closure.
type Calls = Arc<Mutex<Vec<(u64, u64)>>>;

/// A Progress that records its calls.
fn recorder() -> (Progress, Calls) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&calls);
    let progress = Progress::new(move |done, total| {
        log.lock().unwrap().push((done, total));
        ControlFlow::Continue(())
    });
    (progress, calls)
}

/// done rose to last, total was always total, at least min calls.
fn check_calls(what: &str, calls: &Mutex<Vec<(u64, u64)>>, last: u64, total: u64, min: usize) {
    let calls = calls.lock().unwrap();
    assert!(calls.len() >= min.max(1), "{what}: {} calls", calls.len());
    for (i, &(done, t)) in calls.iter().enumerate() {
        assert_eq!(t, total, "{what}: call {i}");
        assert!(
            done <= last && (i == 0 || done >= calls[i - 1].0),
            "{what}: {calls:?}"
        );
    }
    assert_eq!(calls.last().unwrap().0, last, "{what}: the last call");
}

fn stop() -> Progress {
    Progress::new(|_, _| ControlFlow::Break(()))
}

fn boom() -> Progress {
    Progress::new(|_, _| panic!("progress exploded"))
}

fn assert_panics_with_boom(what: &str, f: impl FnOnce()) {
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let payload = caught.expect_err(what);
    assert_eq!(
        *payload.downcast::<&str>().unwrap(),
        "progress exploded",
        "{what}"
    );
}

#[test]
fn export_progress() {
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(
        &dir,
        &short_docs(5000),
        &WriterOptions::default(),
    ))
    .unwrap();
    let dated = Filter::new().from("2016");
    let want = corpus.count(&dated).unwrap();

    let (progress, calls) = recorder();
    let options = ExportOptions {
        filter: Some(dated),
        progress: Some(progress),
        ..ExportOptions::default()
    };
    let report = corpus.export_csv_path(dir.path("p.csv"), &options).unwrap();
    assert_eq!(report.rows, want);
    check_calls(
        "export_csv_path",
        &calls,
        want,
        want,
        (want / 1024) as usize,
    );

    // Through the reader, with terms: total unknown (0).
    let terms = Filter::new().any_term("Paragraph");
    let matching = corpus.count(&terms).unwrap();
    let (progress, calls) = recorder();
    let options = ExportOptions {
        filter: Some(terms),
        progress: Some(progress),
        ..ExportOptions::default()
    };
    read_all_with(&mut corpus.export_reader(&options).unwrap(), 4096);
    check_calls("export_reader with terms", &calls, matching, 0, 1);

    // A Break stops the export with ErrorKind::Callback and leaves no file.
    let stopping = ExportOptions {
        progress: Some(stop()),
        ..ExportOptions::default()
    };
    let stopped = dir.path("stopped.csv");
    let err = corpus.export_csv_path(&stopped, &stopping).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Callback);
    assert!(!stopped.exists());
    let err = corpus
        .export_xlsx(dir.path("stopped.xlsx"), &stopping)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Callback);
    assert!(!dir.path("stopped.xlsx").exists());
    let err = corpus
        .export_csv(&mut std::io::sink(), &stopping)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Callback);
    let mut reader = corpus.export_reader(&stopping).unwrap();
    let err = std::io::copy(&mut reader, &mut std::io::sink()).unwrap_err();
    let err = err
        .into_inner()
        .unwrap()
        .downcast::<quire::Error>()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Callback);
    assert!(
        reader.read_csv(&mut [0u8; 10]).is_err(),
        "read after the stop"
    );

    // A panic is resumed once C has returned.
    let panicking = ExportOptions {
        progress: Some(boom()),
        ..ExportOptions::default()
    };
    assert_panics_with_boom("export_csv_path", || {
        let _ = corpus.export_csv_path(dir.path("boom.csv"), &panicking);
    });
    assert!(!dir.path("boom.csv").exists());
    assert_panics_with_boom("export_reader", || {
        let _ = corpus
            .export_reader(&panicking)
            .unwrap()
            .read_to_end(&mut Vec::new());
    });
    assert_panics_with_boom("export_csv", || {
        let _ = corpus.export_csv(&mut Vec::new(), &panicking);
    });
    assert_eq!(
        corpus.count(&Filter::new()).unwrap(),
        5000,
        "usable after the panics"
    );
}

#[test]
fn import_progress() {
    let dir = TempDir::new();
    let mut csv = String::from("source,date,title,text\n");
    let docs = sample_docs(1500); // about 3.5 MB of CSV
    for d in &docs {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        csv += &format!(
            "{},{},{},{}\n",
            q(&d.source),
            q(&d.date),
            q(&d.title),
            q(&d.text)
        );
    }
    let csv_path = dir.path("in.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    let size = csv.len() as u64;

    let mut writer = Writer::create(dir.path("in.quire")).unwrap();
    let (progress, calls) = recorder();
    let options = ImportOptions {
        progress: Some(progress),
        ..ImportOptions::default()
    };
    let report = writer.import_csv_path(&csv_path, &options).unwrap();
    assert_eq!(report.rows, docs.len() as u64);
    check_calls("import_csv_path", &calls, size, size, (size >> 20) as usize);

    let stopping = ImportOptions {
        progress: Some(stop()),
        ..ImportOptions::default()
    };
    let err = writer.import_csv_path(&csv_path, &stopping).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Callback);
    assert!(writer.doc_count() < 2 * docs.len() as u64);
    let panicking = ImportOptions {
        progress: Some(boom()),
        ..ImportOptions::default()
    };
    assert_panics_with_boom("import_csv_path", || {
        let _ = writer.import_csv_path(&csv_path, &panicking);
    });
}

#[test]
fn finish_progress() {
    let dir = TempDir::new();
    let docs = short_docs(10_000);
    let (progress, calls) = recorder();
    let options = WriterOptions {
        progress: Some(progress),
        ..WriterOptions::default()
    };
    let path = write_corpus(&dir, &docs, &options);
    let n = docs.len() as u64;
    check_calls("finish", &calls, n, n, docs.len() / 4096);
    assert_eq!(Corpus::open(&path).unwrap().doc_count(), n);

    let filled = |path, progress| {
        let options = WriterOptions {
            progress: Some(progress),
            ..WriterOptions::default()
        };
        let mut w = Writer::create_with(path, &options).unwrap();
        for d in &docs {
            w.add(d).unwrap();
        }
        w
    };
    let stopped = dir.path("stopped.quire");
    let w = filled(
        stopped.clone(),
        Progress::new(|done, _| {
            if done > 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }),
    );
    assert_eq!(w.finish().unwrap_err().kind(), ErrorKind::Callback);
    assert!(!stopped.exists());
    let w = filled(dir.path("boom.quire"), boom());
    assert_panics_with_boom("finish", || {
        let _ = w.finish();
    });
    assert!(!dir.path("boom.quire").exists());

    // merge passes its progress to the writer.
    let (progress, calls) = recorder();
    let report = merge(
        dir.path("merged.quire"),
        &[&path, &path],
        &MergeOptions {
            progress: Some(progress),
            ..MergeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(report.docs, 2 * n);
    assert!(
        !calls.lock().unwrap().is_empty(),
        "merge reported no progress"
    );
}
