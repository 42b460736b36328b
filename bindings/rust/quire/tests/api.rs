mod common;

use std::io::Write;

use common::*;
use quire::{
    Codec, Corpus, Date, Dialect, Document, ErrorKind, ExportOptions, Field, Filter, ImportOptions,
    Order, Precision, Query, Undated, Writer, WriterOptions,
};

fn input_order() -> WriterOptions {
    WriterOptions {
        order: Order::Input,
        block_size: Some(4096),
        ..WriterOptions::default()
    }
}

/// Compares a document read back with the one written; dates are compared
/// as parsed, since the reader gives them as normalised ISO 8601.
fn check_document(i: usize, got: &Document, want: &Document) {
    let want_date = (!want.date.is_empty()).then(|| Date::parse(&want.date).unwrap());
    let got_date = (!got.date.is_empty()).then(|| Date::parse(&got.date).unwrap());
    assert_eq!(got_date, want_date, "doc {i} date {:?}", got.date);
    let strip = |d: &Document| Document {
        date: String::new(),
        ..d.clone()
    };
    let want = Document {
        number: i as u64,
        ..strip(want)
    };
    assert_eq!(strip(got), want, "doc {i}");
}

#[test]
fn version() {
    assert!(!quire::version().is_empty());
    assert!(quire::version_number() >= 10000);
}

#[test]
fn round_trip_every_field() {
    let dir = TempDir::new();
    let docs = sample_docs(60);
    let corpus = Corpus::open(write_corpus(&dir, &docs, &input_order())).unwrap();
    assert_eq!(corpus.doc_count(), docs.len() as u64);
    for (i, want) in docs.iter().enumerate() {
        check_document(i, &corpus.doc(i as u64).unwrap(), want);
    }
    // Lending iteration: every field borrowed from the cursor.
    let mut query = corpus.iter().unwrap();
    let mut i = 0;
    while let Some(doc) = query.next_doc().unwrap() {
        let want = &docs[i];
        assert_eq!(doc.number(), i as u64);
        assert_eq!(doc.source().unwrap(), want.source);
        assert_eq!(doc.title().unwrap(), want.title);
        assert_eq!(doc.author().unwrap(), want.author);
        assert_eq!(doc.url().unwrap(), want.url);
        let text = doc.text().unwrap();
        assert_eq!(text, want.text);
        // Strings read earlier stay valid while the same document is current.
        assert_eq!(doc.bytes(Field::Title).unwrap(), want.title.as_bytes());
        assert_eq!(text.len() as u64, doc.text_len());
        assert_eq!(doc.source_id().is_none(), want.source.is_empty());
        assert_eq!(doc.str(Field::Id).unwrap(), i.to_string());
        match doc.date() {
            None => assert!(want.date.is_empty()),
            Some(date) => {
                assert_eq!(date.seconds(), date_range(&want.date).0);
                assert_eq!(Date::parse(&date.to_string()).unwrap(), date);
            }
        }
        i += 1;
    }
    assert_eq!(i, docs.len());
    assert!(
        query.next_doc().unwrap().is_none(),
        "a finished query stays finished"
    );
    // Owned iteration.
    let owned: Vec<Document> = corpus
        .iter()
        .unwrap()
        .collect::<quire::Result<_>>()
        .unwrap();
    for (i, (got, want)) in owned.iter().zip(&docs).enumerate() {
        check_document(i, got, want);
    }
}

#[test]
fn corpus_information() {
    let dir = TempDir::new();
    let docs = sample_docs(40);
    let corpus = Corpus::open(write_corpus(&dir, &docs, &WriterOptions::default())).unwrap();
    let (major, minor) = corpus.format_version().unwrap();
    assert_eq!(major, quire::FORMAT_MAJOR);
    assert!(minor <= quire::FORMAT_MINOR);
    let sources = corpus.sources().unwrap();
    let mut want: Vec<&str> = docs
        .iter()
        .map(|d| d.source.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(sources.iter().map(|s| s.name).collect::<Vec<_>>(), want);
    for s in &sources {
        let n = docs.iter().filter(|d| d.source == s.name).count() as u64;
        assert_eq!(s.docs, n, "{}", s.name);
    }
    let undated = docs.iter().filter(|d| d.date.is_empty()).count() as u64;
    assert_eq!(corpus.undated_count(), undated);
    let span = corpus.date_span().unwrap();
    assert_eq!(
        span,
        Some((date_range("2015-12").0, date_range("2024-08-01T23:59:59").0))
    );
    assert!(corpus.file_size() > 0 && corpus.raw_size() > 0);
    assert_eq!(corpus.damage(), None);
    let past_end = corpus.doc(corpus.doc_count()).unwrap_err();
    assert_eq!(past_end.kind(), ErrorKind::NotFound);

    let undated_only = TempDir::new();
    let only = [Document {
        title: "no date".into(),
        ..Document::default()
    }];
    let c = Corpus::open(write_corpus(
        &undated_only,
        &only,
        &WriterOptions::default(),
    ))
    .unwrap();
    assert_eq!(c.date_span().unwrap(), None);
}

#[test]
fn from_bytes() {
    let dir = TempDir::new();
    let docs = sample_docs(12);
    let bytes = std::fs::read(write_corpus(&dir, &docs, &input_order())).unwrap();
    let corpus = Corpus::from_bytes(bytes).unwrap();
    for (i, want) in docs.iter().enumerate() {
        check_document(i, &corpus.doc(i as u64).unwrap(), want);
    }
    let err = Corpus::from_bytes(Vec::new()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NotQuire | ErrorKind::Corrupt),
        "{err:?}"
    );
}

/// Whether a document passes a filter, from the filter's documented meaning.
fn matches(doc: &Document, sources: &[&str], from: &str, to: &str, undated: Undated) -> bool {
    if !sources.is_empty() && !sources.contains(&doc.source.as_str()) {
        return false;
    }
    if doc.date.is_empty() {
        return match undated {
            Undated::Include => true,
            Undated::Exclude => false,
            Undated::Auto => from.is_empty() && to.is_empty(),
        };
    }
    let d = date_range(&doc.date).0;
    (from.is_empty() || d >= date_range(from).0) && (to.is_empty() || d <= date_range(to).1)
}

/// The count of the C command-line tool, when ctest says where it is.
fn cli_count(
    path: &std::path::Path,
    sources: &[&str],
    from: &str,
    to: &str,
    undated: Undated,
) -> Option<u64> {
    let cli = std::env::var_os("QUIRE_CLI")?;
    if undated == Undated::Exclude {
        return None; // the CLI has no way to say it
    }
    let mut cmd = std::process::Command::new(cli);
    cmd.arg("count").arg(path);
    for s in sources {
        cmd.args(["--source", s]);
    }
    if !from.is_empty() {
        cmd.args(["--from", from]);
    }
    if !to.is_empty() {
        cmd.args(["--to", to]);
    }
    if undated == Undated::Include {
        cmd.arg("--undated");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap(),
    )
}

#[test]
fn filters_against_oracle_and_c_library() {
    let cases: &[(&[&str], &str, &str, Undated)] = &[
        (&[], "", "", Undated::Auto),
        (&["Новая газета"], "", "", Undated::Auto),
        (&["Новая газета", "🗞 Daily Emoji"], "", "", Undated::Auto),
        (&["no such source"], "", "", Undated::Auto),
        (&[], "2016", "", Undated::Auto),
        (&[], "", "2016", Undated::Auto),
        (&[], "2016-02", "2017-05-08", Undated::Auto),
        (&[], "2016-02-29", "2016-02-29", Undated::Auto),
        (&[], "2017-05-08T09:22", "2024-08", Undated::Auto),
        (&[], "2016-01", "", Undated::Include),
        (&[], "", "", Undated::Exclude),
        (&["Belarus in Focus"], "2016", "2016", Undated::Include),
        (&["Eurasia Daily Monitor"], "", "2015", Undated::Exclude),
    ];
    let dir = TempDir::new();
    let docs = sample_docs(300);
    let path = write_corpus(
        &dir,
        &docs,
        &WriterOptions {
            block_size: Some(4096),
            ..Default::default()
        },
    );
    let corpus = Corpus::open(&path).unwrap();
    for &(sources, from, to, undated) in cases {
        let filter = Filter::new()
            .sources(sources.iter().copied())
            .from(from)
            .to(to)
            .undated(undated);
        let want = docs
            .iter()
            .filter(|d| matches(d, sources, from, to, undated))
            .count() as u64;
        let mut query = corpus.query(&filter).unwrap();
        let (mut iterated, mut last) = (0u64, None);
        while let Some(doc) = query.next_doc().unwrap() {
            assert!(last < Some(doc.number()), "document order");
            last = Some(doc.number());
            let got = doc.to_document().unwrap();
            assert!(
                matches(&got, sources, from, to, undated),
                "{filter:?} yielded {got:?}"
            );
            iterated += 1;
        }
        assert_eq!(corpus.count(&filter).unwrap(), want, "{filter:?}");
        assert_eq!(iterated, want, "{filter:?}");
        if let Some(n) = cli_count(&path, sources, from, to, undated) {
            assert_eq!(n, want, "quire count with {filter:?}");
        }
    }
}

#[test]
fn errors_carry_code_and_message() {
    let dir = TempDir::new();
    let err = Corpus::open(dir.path("missing.quire")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), -1);
    assert!(!err.message().is_empty() && !err.to_string().is_empty());

    std::fs::write(dir.path("text.quire"), "not a corpus\n".repeat(100)).unwrap();
    assert_eq!(
        Corpus::open(dir.path("text.quire")).unwrap_err().kind(),
        ErrorKind::NotQuire
    );

    let corpus = Corpus::open(write_corpus(
        &dir,
        &sample_docs(5),
        &WriterOptions::default(),
    ))
    .unwrap();
    let bad = Filter::new().from("last tuesday");
    assert_eq!(corpus.count(&bad).unwrap_err().kind(), ErrorKind::Date);
    assert_eq!(
        corpus
            .query(&Filter::new().to("2016-13"))
            .err()
            .unwrap()
            .kind(),
        ErrorKind::Date
    );
    assert_eq!(
        Date::parse("yesterday").unwrap_err().kind(),
        ErrorKind::Date
    );
    let month = "2016-01".parse::<Date>().unwrap();
    assert_eq!(
        (month.precision(), month.to_string().as_str()),
        (Precision::Month, "2016-01")
    );
}

#[test]
fn corrupted_file() {
    let dir = TempDir::new();
    let path = write_corpus(
        &dir,
        &sample_docs(50),
        &WriterOptions {
            block_size: Some(4096),
            ..Default::default()
        },
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&path, bytes).unwrap();
    // The middle of the file is text blocks: opening reads only the header
    // and footer, so the damage shows when that block is read.
    let corpus = Corpus::open(&path).unwrap();
    assert_eq!(corpus.verify().unwrap_err().kind(), ErrorKind::Corrupt);
    let first_error = corpus
        .iter()
        .unwrap()
        .find_map(Result::err)
        .expect("no error reading a damaged file");
    assert_eq!(first_error.kind(), ErrorKind::Corrupt, "{first_error}");
}

#[test]
fn writer_errors_and_abandon() {
    let dir = TempDir::new();
    let mut w = Writer::create(dir.path("abandoned.quire")).unwrap();
    let bad_date = Document {
        date: "31/01/2016".into(),
        ..Document::default()
    };
    assert_eq!(w.add(&bad_date).unwrap_err().kind(), ErrorKind::Date);
    w.add(&Document {
        title: "fine".into(),
        ..Document::default()
    })
    .unwrap();
    assert_eq!(w.doc_count(), 1);
    drop(w);
    assert_eq!(dir.entries(), 0, "a dropped writer left a file");

    assert!(Writer::create(dir.path("no/such/dir.quire")).is_err());
    let bad_level = WriterOptions {
        level: Some(42),
        ..WriterOptions::default()
    };
    let err = Writer::create_with(dir.path("x.quire"), &bad_level)
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert_eq!(dir.entries(), 0);
}

#[test]
fn export_path_and_stream_agree() {
    let dir = TempDir::new();
    let docs = sample_docs(40);
    let corpus = Corpus::open(write_corpus(&dir, &docs, &input_order())).unwrap();
    let filter = Filter::new().sources(["Новая газета", "🗞 Daily Emoji"]);
    let options = ExportOptions {
        filter: Some(filter.clone()),
        ..ExportOptions::default()
    };
    let mut stream = Vec::new();
    let report = corpus.export_csv(&mut stream, &options).unwrap();
    assert_eq!(report.rows, corpus.count(&filter).unwrap());
    assert!(report.rows > 0);
    let path = dir.path("out.csv");
    corpus.export_csv_path(&path, &options).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), stream);

    let rows = parse_csv(std::str::from_utf8(&stream).unwrap());
    assert_eq!(
        rows[0],
        ["id", "source", "date", "title", "author", "url", "text"]
    );
    assert_eq!(rows.len() as u64, report.rows + 1);
    for row in &rows[1..] {
        let d = &docs[row[0].parse::<usize>().unwrap()];

        assert_eq!(
            (&row[1], &row[3], &row[4], &row[5], &row[6]),
            (&d.source, &d.title, &d.author, &d.url, &d.text)
        );
    }

    let excel = ExportOptions {
        columns: Some(vec!["title".into(), "ID".into()]),
        dialect: Dialect::Excel,
        ..ExportOptions::default()
    };
    let mut out = Vec::new();
    corpus.export_csv(&mut out, &excel).unwrap();
    assert!(out.starts_with(b"\xef\xbb\xbftitle,id\r\n"));
    let unknown = ExportOptions {
        columns: Some(vec!["colour".into()]),
        ..ExportOptions::default()
    };
    assert_eq!(
        corpus.export_csv(&mut out, &unknown).unwrap_err().kind(),
        ErrorKind::Invalid
    );
    let bad_path = dir.path("bad.csv");
    let bad = ExportOptions {
        filter: Some(Filter::new().from("soon")),
        ..ExportOptions::default()
    };
    assert_eq!(
        corpus.export_csv_path(&bad_path, &bad).unwrap_err().kind(),
        ErrorKind::Date
    );
    assert!(!bad_path.exists());
}

struct FailingWriter(usize);

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.0 {
            return Err(std::io::Error::other("disk full"));
        }
        self.0 -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct PanickingWriter;

impl Write for PanickingWriter {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        panic!("writer exploded")
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn export_writer_errors_and_panics() {
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(
        &dir,
        &sample_docs(50),
        &WriterOptions::default(),
    ))
    .unwrap();
    let err = corpus
        .export_csv(&mut FailingWriter(1000), &ExportOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Callback);
    let source = std::error::Error::source(&err).expect("the io::Error is the source");
    assert_eq!(source.to_string(), "disk full");

    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = corpus.export_csv(&mut PanickingWriter, &ExportOptions::default());
    }));
    assert_eq!(
        *caught.unwrap_err().downcast::<&str>().unwrap(),
        "writer exploded"
    );
    assert_eq!(
        corpus.count(&Filter::new()).unwrap(),
        50,
        "usable after the panic"
    );
}

/// A CSV cell, quoted.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[test]
fn import_csv() {
    let docs = sample_docs(20);
    let mut csv = String::from("source,date,title,author,url,text,shoe size\n");
    for d in &docs {
        let cells = [&d.source, &d.date, &d.title, &d.author, &d.url, &d.text];
        csv += &cells.map(|c| quote(c)).join(",");
        csv += ",42\n";
    }
    csv += "Bad Row,the day after tomorrow,t,,,x,1\n";

    let dir = TempDir::new();
    let path = dir.path("imported.quire");
    let mut w = Writer::create_with(&path, &input_order()).unwrap();
    let skip = ImportOptions {
        skip_bad_rows: true,
        ..ImportOptions::default()
    };
    let report = w.import_csv(csv.as_bytes(), "docs.csv", &skip).unwrap();
    assert_eq!((report.rows, report.skipped), (docs.len() as u64, 1));
    assert_eq!(report.skipped_rows, [docs.len() as u64 + 2]);
    assert!(
        !report.warnings.is_empty(),
        "no warning about the unknown column"
    );
    w.finish().unwrap();
    let corpus = Corpus::open(&path).unwrap();
    for (i, want) in docs.iter().enumerate() {
        check_document(i, &corpus.doc(i as u64).unwrap(), want);
    }

    let mut strict = Writer::create(dir.path("strict.quire")).unwrap();
    let err = strict
        .import_csv(csv.as_bytes(), "docs.csv", &ImportOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Date);
    let missing = strict.import_csv_path(dir.path("none.csv"), &ImportOptions::default());
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
}

/// A gzip'd CSV (made by the system's gzip, which every machine that builds
/// quire has), in a file or in memory, packs byte for byte as its plain
/// form; one cut short is a `Csv` error.
#[test]
fn import_csv_path_reads_gzip() {
    let dir = TempDir::new();
    let mut csv = String::from("source,date,title,author,url,text\n");
    for d in &sample_docs(30) {
        let cells = [&d.source, &d.date, &d.title, &d.author, &d.url, &d.text];
        csv += &cells.map(|c| quote(c)).join(",");
        csv += "\n";
    }
    let plain = dir.path("docs.csv");
    std::fs::write(&plain, &csv).unwrap();
    let gzip = std::process::Command::new("gzip")
        .args(["-kn"])
        .arg(&plain)
        .status()
        .expect("gzip runs");
    assert!(gzip.success());
    let pack = |input: &std::path::Path, out: &str| -> quire::Result<Vec<u8>> {
        let mut w = Writer::create(dir.path(out)).unwrap();
        w.import_csv_path(input, &ImportOptions::default())?;
        w.finish().unwrap();
        Ok(std::fs::read(dir.path(out)).unwrap())
    };
    let gz = dir.path("docs.csv.gz");
    assert_eq!(
        pack(&gz, "gz.quire").unwrap(),
        pack(&plain, "plain.quire").unwrap()
    );
    let bytes = std::fs::read(&gz).unwrap();
    let cut = dir.path("cut.csv.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = pack(&cut, "cut.quire").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Csv);
    assert!(err.to_string().contains("ends early"), "{err}");
    // The same bytes in memory.
    let pack_bytes = |data: &[u8], out: &str| -> quire::Result<Vec<u8>> {
        let mut w = Writer::create(dir.path(out)).unwrap();
        w.import_csv(data, "docs.csv.gz", &ImportOptions::default())?;
        w.finish().unwrap();
        Ok(std::fs::read(dir.path(out)).unwrap())
    };
    assert_eq!(
        pack_bytes(&bytes, "mem.quire").unwrap(),
        pack(&plain, "plain.quire").unwrap()
    );
    let err = pack_bytes(&bytes[..bytes.len() / 2], "cut-mem.quire").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Csv);
    assert!(err.to_string().contains("ends early"), "{err}");
}

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn threads_share_a_corpus() {
    assert_send_sync::<Corpus>();
    assert_send::<Query<'static>>();
    assert_send::<Writer>();
    let dir = TempDir::new();
    let docs = sample_docs(200);
    let corpus = Corpus::open(write_corpus(
        &dir,
        &docs,
        &WriterOptions {
            block_size: Some(4096),
            ..Default::default()
        },
    ))
    .unwrap();
    std::thread::scope(|s| {
        for g in 0..8 {
            let corpus = &corpus;
            let source = ["Новая газета", "Belarus in Focus"][g % 2];
            s.spawn(move || {
                let filter = Filter::new().source(source);
                let mut query = corpus.query(&filter).unwrap();
                let mut n = 0;
                while let Some(doc) = query.next_doc().unwrap() {
                    assert_eq!(doc.source().unwrap(), source);
                    doc.text().unwrap();
                    n += 1;
                }
                assert!(n > 0);
                assert_eq!(n, corpus.count(&filter).unwrap());
            });
        }
    });
}

/// Reads ../shared/seeds through manifest.csv (file,source,date,title,
/// author,url) and packs it with the binding's writer.
#[test]
fn seeds_corpus() {
    let Some(seeds) = seeds_dir() else {
        eprintln!("seeds not available: skipping the real-sample test");
        return;
    };
    let docs = seeds_docs(&seeds);
    assert!(!docs.is_empty());
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(&dir, &docs, &input_order())).unwrap();
    assert_eq!(corpus.doc_count(), docs.len() as u64);
    for (i, want) in docs.iter().enumerate() {
        check_document(i, &corpus.doc(i as u64).unwrap(), want);
    }
    for (sources, from, to) in [
        (&["Belarus in Focus"][..], "", ""),
        (&[], "2016", "2016"),
        (&[], "2017", ""),
    ] {
        let want = docs
            .iter()
            .filter(|d| matches(d, sources, from, to, Undated::Auto))
            .count() as u64;
        let filter = Filter::new()
            .sources(sources.iter().copied())
            .from(from)
            .to(to);
        assert!(want > 0);
        assert_eq!(corpus.count(&filter).unwrap(), want, "{filter:?}");
    }
}

/// quire-sys declares quire_cursor_next_batch with the header's types: each
/// batch gives, column by column, what the one-document-at-a-time Query
/// gives, and the cursor stays on the batch's last document.
#[test]
fn sys_next_batch_matches_the_query() {
    use quire_sys as sys;
    let dir = TempDir::new();
    let path = write_corpus(&dir, &sample_docs(60), &input_order());
    type Row = (u64, i64, i32, i64, u64);
    let mut want: Vec<Row> = Vec::new();
    let corpus = Corpus::open(&path).unwrap();
    let mut query = corpus.iter().unwrap();
    while let Some(doc) = query.next_doc().unwrap() {
        want.push((
            doc.number(),
            doc.timestamp().unwrap_or(sys::QUIRE_NO_DATE),
            doc.date()
                .map_or(sys::QUIRE_DATE_NONE, |d| d.precision() as i32),
            doc.source_id().map_or(-1, |s| s as i64),
            doc.text_len(),
        ));
    }
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let mut got: Vec<Row> = Vec::new();
    // SAFETY: plain FFI on handles opened and freed here, arrays of CAP.
    unsafe {
        let mut c = std::ptr::null_mut();
        assert_eq!(
            sys::quire_corpus_open(c_path.as_ptr(), &mut c),
            sys::QUIRE_OK
        );
        let mut cur = std::ptr::null_mut();
        assert_eq!(
            sys::quire_cursor_open(c, std::ptr::null(), &mut cur),
            sys::QUIRE_OK
        );
        const CAP: usize = 7; // 60 is no multiple of it: the last batch is short
        let (mut docs, mut dates, mut precisions) = ([0u64; CAP], [0i64; CAP], [0i32; CAP]);
        let (mut sources, mut lengths, mut count) = ([0i64; CAP], [0u64; CAP], 0usize);
        loop {
            let status = sys::quire_cursor_next_batch(
                cur,
                CAP,
                docs.as_mut_ptr(),
                dates.as_mut_ptr(),
                precisions.as_mut_ptr(),
                sources.as_mut_ptr(),
                lengths.as_mut_ptr(),
                &mut count,
            );
            if status == sys::QUIRE_DONE {
                break;
            }
            assert_eq!(status, sys::QUIRE_ROW);
            assert!(count > 0 && count <= CAP);
            assert_eq!(sys::quire_cursor_doc(cur), docs[count - 1]);
            for i in 0..count {
                got.push((docs[i], dates[i], precisions[i], sources[i], lengths[i]));
            }
        }
        assert_eq!(count, 0);
        sys::quire_cursor_free(cur);
        sys::quire_corpus_free(c);
    }
    assert_eq!(got.len(), 60);
    assert_eq!(got, want);
}

/// Both codecs read alike; zstd with a trained dictionary is the default,
/// and the bytes of a file do not depend on the thread count.
#[test]
fn codec_options() {
    let dir = TempDir::new();
    let docs: Vec<Document> = (0..400)
        .map(|i| Document {
            source: format!("s{}", i % 5),
            date: format!("2016-01-{:02}", i % 28 + 1),
            title: format!("t{i}"),
            text: format!("Story {i} of a town {}. ", i * 7 % 31).repeat(20 + i % 13),
            ..Document::default()
        })
        .collect();
    let write = |name: &str, o: WriterOptions| {
        let path = dir.path(name);
        let mut w = Writer::create_with(&path, &o).unwrap();
        for d in &docs {
            w.add(d).unwrap();
        }
        w.finish().unwrap();
        path
    };
    let small = |threads| WriterOptions {
        block_size: Some(8192),
        threads: Some(threads),
        ..WriterOptions::default()
    };
    let one = write("one.quire", small(1));
    let three = write("three.quire", small(3));
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&three).unwrap());
    let p = Corpus::open(&one).unwrap().packing().unwrap();
    assert_eq!((p.codec, p.level, p.block_size), (Codec::Zstd, 5, 8192));
    assert!(!p.dictionaries.is_empty());
    let deflate = write(
        "deflate.quire",
        WriterOptions {
            codec: Codec::Deflate,
            level: Some(9),
            ..WriterOptions::default()
        },
    );
    let corpus = Corpus::open(&deflate).unwrap();
    let p = corpus.packing().unwrap();
    assert_eq!(
        (p.codec, p.level, p.block_size),
        (Codec::Deflate, 9, 1 << 20)
    );
    assert!(p.dictionaries.is_empty());
    let text = corpus.doc(3).unwrap().text;
    assert!(docs.iter().any(|d| d.text == text));
    let none = write(
        "none.quire",
        WriterOptions {
            level: Some(19),
            dictionary_size: Some(0),
            ..WriterOptions::default()
        },
    );
    let p = Corpus::open(&none).unwrap().packing().unwrap();
    assert_eq!(p.level, 19);
    assert!(p.dictionaries.is_empty());
    for o in [
        WriterOptions {
            codec: Codec::Deflate,
            level: Some(12),
            ..WriterOptions::default()
        },
        WriterOptions {
            dictionary_size: Some(100),
            ..WriterOptions::default()
        },
    ] {
        let err = Writer::create_with(dir.path("bad.quire"), &o)
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::Invalid);
    }
}
