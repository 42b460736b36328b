//! Spreadsheet exports from Rust: derived date columns, split files and
//! the XLSX workbook.
mod common;

use common::*;
use quire::{Corpus, Dialect, Document, ErrorKind, ExportOptions, Order, WriterOptions};

fn doc(source: &str, date: &str, title: &str) -> Document {
    Document {
        number: 0,
        source: source.into(),
        date: date.into(),
        title: title.into(),
        author: String::new(),
        url: String::new(),
        text: "text".into(),
    }
}

fn corpus(dir: &TempDir) -> Corpus {
    let docs = [
        doc("S; one", "2016-04-22", "00123"),
        doc("S", "2016-01", "=1+1"),
        doc("", "", "undated"),
    ];
    let options = WriterOptions {
        order: Order::Input,
        ..WriterOptions::default()
    };
    Corpus::open(write_corpus(dir, &docs, &options)).unwrap()
}

#[test]
fn derived_columns_in_the_excel_dialect() {
    let dir = TempDir::new();
    let corpus = corpus(&dir);
    let options = ExportOptions {
        columns: Some(
            [
                "id",
                "year",
                "month",
                "day",
                "datetime_utc",
                "date_precision",
                "title",
            ]
            .map(String::from)
            .to_vec(),
        ),
        dialect: Dialect::Excel,
        ..ExportOptions::default()
    };
    let mut out = Vec::new();
    let report = corpus.export_csv(&mut out, &options).unwrap();
    assert_eq!((report.rows, report.rows_over_sheet), (3, 0));
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert_eq!(
        lines[1],
        "0,2016,4,22,2016-04-22T00:00:00Z,\"day\",\"00123\""
    );
    assert_eq!(
        lines[2],
        "1,2016,1,,2016-01-01T00:00:00Z,\"month\",\"'=1+1\""
    );
    assert_eq!(lines[3], "2,,,,,\"\",\"undated\"");
}

#[test]
fn split_files_and_xlsx() {
    let dir = TempDir::new();
    let corpus = corpus(&dir);
    let split = ExportOptions {
        split_rows: Some(2),
        ..ExportOptions::default()
    };
    let report = corpus.export_csv_path(dir.path("p.csv"), &split).unwrap();
    assert_eq!((report.rows, report.files), (3, 2));
    let second = std::fs::read_to_string(dir.path("p-002.csv")).unwrap();
    assert!(second.starts_with("id,source,date,title,author,url,text\n2,"));
    let mut sink = Vec::new();
    assert_eq!(
        corpus.export_csv(&mut sink, &split).unwrap_err().kind(),
        ErrorKind::Invalid
    );

    let report = corpus
        .export_xlsx(dir.path("b.xlsx"), &ExportOptions::default())
        .unwrap();
    assert_eq!((report.rows, report.files, report.cells_cut), (3, 1, 0));
    let book = std::fs::read(dir.path("b.xlsx")).unwrap();
    assert!(book.starts_with(b"PK\x03\x04") && book.len() > 1000);
    let report = corpus.export_xlsx(dir.path("s.xlsx"), &split).unwrap();
    assert_eq!(report.files, 2);
    assert!(dir.path("s-001.xlsx").exists() && dir.path("s-002.xlsx").exists());
    assert_eq!(
        corpus
            .export_xlsx(dir.path("no/such/dir.xlsx"), &ExportOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let unknown = ExportOptions {
        columns: Some(vec!["weekday".into()]),
        ..ExportOptions::default()
    };
    assert_eq!(
        corpus
            .export_xlsx(dir.path("u.xlsx"), &unknown)
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    assert!(!dir.path("u.xlsx").exists());
}
