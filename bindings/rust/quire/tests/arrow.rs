//! The `arrow` feature: libquire's Arrow C stream read by arrow-rs, every
//! field of every document compared with the cursor API, on the seeds and
//! on a generated corpus, through filters and projections.
#![cfg(feature = "arrow")]

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int8Type, TimestampSecondType, UInt64Type};
use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, TimeUnit};
use common::*;
use quire::{Corpus, ErrorKind, Filter, Undated, WriterOptions, ARROW_COLUMNS};

/// One document as the stream gives it, every column optional.
#[derive(Debug, PartialEq)]
struct Row {
    doc: Option<u64>,
    source: Option<Option<String>>,
    date: Option<Option<i64>>,
    precision: Option<Option<i8>>,
    date_text: Option<Option<String>>,
    title: Option<Option<String>>,
    author: Option<Option<String>>,
    url: Option<Option<String>>,
    text: Option<String>,
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// The rows the cursor API gives, restricted to columns.
fn expected(corpus: &Corpus, filter: &Filter, columns: &[&str]) -> Vec<Row> {
    let cols: Vec<&str> = if columns.is_empty() {
        ARROW_COLUMNS.to_vec()
    } else {
        columns.to_vec()
    };
    let has = |c: &str| cols.contains(&c);
    let mut query = corpus.query(filter).unwrap();
    let mut rows = Vec::new();
    while let Some(d) = query.next_doc().unwrap() {
        rows.push(Row {
            doc: has("doc").then(|| d.number()),
            source: has("source").then(|| opt(d.source().unwrap())),
            date: has("date").then(|| d.timestamp()),
            precision: has("date_precision").then(|| d.date().map(|x| x.precision() as i8)),
            date_text: has("date_text").then(|| opt(d.date_text().unwrap())),
            title: has("title").then(|| opt(d.title().unwrap())),
            author: has("author").then(|| opt(d.author().unwrap())),
            url: has("url").then(|| opt(d.url().unwrap())),
            text: has("text").then(|| d.text().unwrap().to_owned()),
        });
    }
    rows
}

fn strings(batch: &RecordBatch, name: &str, i: usize) -> Option<Option<String>> {
    let col = batch.column_by_name(name)?;
    Some(match col.data_type() {
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            a.is_valid(i).then(|| a.value(i).to_owned())
        }
        DataType::LargeUtf8 => {
            let a = col.as_string::<i64>();
            a.is_valid(i).then(|| a.value(i).to_owned())
        }
        DataType::Dictionary(_, _) => {
            let a = col.as_dictionary::<Int32Type>();
            let names = a.values().as_string::<i32>();
            a.is_valid(i)
                .then(|| names.value(a.keys().value(i) as usize).to_owned())
        }
        other => panic!("{name}: unexpected type {other}"),
    })
}

/// Every row of every batch, each batch validated first.
fn streamed(reader: impl RecordBatchReader) -> Vec<Row> {
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for col in batch.columns() {
            col.to_data().validate_full().unwrap();
        }
        for i in 0..batch.num_rows() {
            let prim = |name: &str| batch.column_by_name(name);
            rows.push(Row {
                doc: prim("doc").map(|c| c.as_primitive::<UInt64Type>().value(i)),
                source: strings(&batch, "source", i),
                date: prim("date").map(|c| {
                    let a = c.as_primitive::<TimestampSecondType>();
                    a.is_valid(i).then(|| a.value(i))
                }),
                precision: prim("date_precision").map(|c| {
                    let a = c.as_primitive::<Int8Type>();
                    a.is_valid(i).then(|| a.value(i))
                }),
                date_text: strings(&batch, "date_text", i),
                title: strings(&batch, "title", i),
                author: strings(&batch, "author", i),
                url: strings(&batch, "url", i),
                text: strings(&batch, "text", i).map(|t| t.expect("text is never null")),
            });
        }
    }
    rows
}

fn filters() -> Vec<Filter> {
    vec![
        Filter::new(),
        Filter::new()
            .source("Belarus in Focus")
            .source("Новая газета"),
        Filter::new().from("2016").to("2017-06"),
        Filter::new().from("2016-02").undated(Undated::Include),
        Filter::new().undated(Undated::Exclude),
        Filter::new().source("nobody"),
    ]
}

const PROJECTIONS: [&[&str]; 5] = [
    &[],
    &["text", "doc"],
    &["doc", "source", "date", "date_precision", "date_text"],
    &["url", "author", "title"],
    &["source"],
];

#[test]
fn every_field_through_filters_and_projections() {
    let dir = TempDir::new();
    let options = WriterOptions {
        block_size: Some(4096),
        ..WriterOptions::default()
    };
    let corpus = Corpus::open(write_corpus(&dir, &sample_docs(300), &options)).unwrap();
    for filter in filters() {
        for columns in PROJECTIONS {
            let want = expected(&corpus, &filter, columns);
            let reader = corpus.arrow_reader(&filter, columns, Some(23)).unwrap();
            let names: Vec<String> = reader
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let listed: Vec<&str> = if columns.is_empty() {
                ARROW_COLUMNS.to_vec()
            } else {
                columns.to_vec()
            };
            assert_eq!(names, listed);
            assert_eq!(streamed(reader), want, "{filter:?} {columns:?}");
            assert_eq!(want.len() as u64, corpus.count(&filter).unwrap());
        }
    }
}

#[test]
fn seeds_every_field() {
    let Some(seeds) = seeds_dir() else {
        eprintln!("seeds not available: skipping the real-sample test");
        return;
    };
    let docs = seeds_docs(&seeds);
    let dir = TempDir::new();
    let options = WriterOptions {
        order: quire::Order::Input,
        ..WriterOptions::default()
    };
    let corpus = Corpus::open(write_corpus(&dir, &docs, &options)).unwrap();
    let rows = streamed(corpus.arrow_reader(&Filter::new(), &[], Some(2)).unwrap());
    assert_eq!(rows, expected(&corpus, &Filter::new(), &[]));
    assert_eq!(rows.len(), docs.len());
    for (row, doc) in rows.iter().zip(&docs) {
        assert_eq!(row.source, Some(opt(&doc.source)));
        assert_eq!(row.date_text, Some(opt(&doc.date)));
        assert_eq!(row.title, Some(opt(&doc.title)));
        assert_eq!(row.text.as_deref(), Some(doc.text.as_str()));
    }
    let filter = Filter::new().source("Belarus in Focus");
    let rows = streamed(
        corpus
            .arrow_reader(&filter, &["doc", "title"], None)
            .unwrap(),
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows, expected(&corpus, &filter, &["doc", "title"]));
}

#[test]
fn schema_and_errors() {
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(
        &dir,
        &sample_docs(20),
        &WriterOptions::default(),
    ))
    .unwrap();
    let schema = corpus
        .arrow_reader(&Filter::new(), &[], None)
        .unwrap()
        .schema();
    assert_eq!(schema.field(0).data_type(), &DataType::UInt64);
    assert_eq!(
        schema.field(1).data_type(),
        &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
    );
    assert_eq!(
        schema.field(2).data_type(),
        &DataType::Timestamp(TimeUnit::Second, Some("UTC".into()))
    );
    assert_eq!(schema.field(3).data_type(), &DataType::Int8);
    assert_eq!(schema.field(8).data_type(), &DataType::LargeUtf8);
    assert!(!schema.field(8).is_nullable() && schema.field(5).is_nullable());
    let err = corpus
        .arrow_reader(&Filter::new(), &["doc", "body"], None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("unknown column \"body\""), "{err}");
    let err = corpus
        .arrow_reader(&Filter::new(), &[], Some(1 << 30))
        .unwrap_err();
    assert!(err.to_string().contains("batch size"), "{err}");
    let err = corpus
        .arrow_reader(&Filter::new().from("nonsense"), &[], None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Date);
    // Batches own their memory: they outlive the reader and the corpus.
    let batch = corpus
        .arrow_reader(&Filter::new(), &["doc", "text"], Some(5))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    drop(corpus);
    assert_eq!(batch.num_rows(), 5);
    assert_eq!(batch.column(0).as_primitive::<UInt64Type>().value(4), 4);
}
