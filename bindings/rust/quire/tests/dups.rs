//! find_dups and WriterOptions::dedup: every kind, across corpora, the first
//! of each group kept, the seeds, and bad arguments.

mod common;

use common::*;
use quire::{
    find_dups, Corpus, Document, DupKind, DupsOptions, ErrorKind, Filter, ImportOptions, Order,
    Writer, WriterOptions,
};

fn docs() -> Vec<Document> {
    let story = random_words(1, 500);
    let edited: Vec<String> = story
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i % 30 == 0 {
                "changed".into()
            } else {
                w.into()
            }
        })
        .collect();
    let other = random_words(4, 400);
    let doc = |title: &str, url: &str, text: String| Document {
        title: title.into(),
        url: url.into(),
        text,
        ..Document::default()
    };
    vec![
        doc("t0", "https://news.example/a?utm_medium=x", story.clone()),
        doc("t1", "", random_words(2, 400)),
        doc("t2", "HTTP://NEWS.EXAMPLE:80/a/#x", random_words(3, 400)),
        doc("t3", "", edited.join(" ")),
        doc("t4", "", format!("Cafe\u{301} {other}")),
        doc("t5", "", format!("Caf\u{e9}\n\n {other}  ")),
    ]
}

fn input_order() -> WriterOptions {
    WriterOptions {
        order: Order::Input,
        ..WriterOptions::default()
    }
}

fn shape(groups: &[quire::DupGroup]) -> Vec<String> {
    groups
        .iter()
        .map(|g| {
            let members: Vec<String> = g
                .members
                .iter()
                .map(|m| format!("{}/{}", m.corpus, m.doc))
                .collect();
            format!("{}:{}", g.kind, members.join(","))
        })
        .collect()
}

#[test]
fn every_kind_and_across_corpora() {
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(&dir, &docs(), &input_order())).unwrap();
    let groups = find_dups(&[&corpus], &DupsOptions::default()).unwrap();
    assert_eq!(
        shape(&groups),
        [
            "url:0/0,0/2",
            "text:0/4,0/5",
            "near:0/0,0/3",
            "near:0/4,0/5"
        ]
    );
    let s = groups[2].members[1].similarity;
    assert!(s > 0.6 && s < 1.0, "{s}");
    let text_only = DupsOptions {
        kinds: vec![DupKind::Text],
        ..DupsOptions::default()
    };
    let twice = find_dups(&[&corpus, &corpus], &text_only).unwrap();
    assert_eq!(twice.len(), 5);
    assert!(twice.iter().all(|g| g.members[0].corpus == 0));
}

#[test]
fn writer_dedup_keeps_the_first() {
    let dir = TempDir::new();
    let path = dir.path("d.quire");
    let options = WriterOptions {
        dedup: vec![DupKind::Url, DupKind::Text],
        ..input_order()
    };
    let mut w = Writer::create_with(&path, &options).unwrap();
    for d in docs() {
        w.add(&d).unwrap();
    }
    assert_eq!((w.dropped(), w.doc_count()), (2, 4));
    w.finish().unwrap();
    let corpus = Corpus::open(&path).unwrap();
    let titles: Vec<String> = corpus
        .query(&Filter::new())
        .unwrap()
        .map(|d| d.unwrap().title)
        .collect();
    assert_eq!(titles, ["t0", "t1", "t3", "t4"]);
}

#[test]
fn seeds_twice() {
    let Some(seeds) = seeds_dir() else {
        eprintln!("seeds not found: skipping");
        return;
    };
    let dir = TempDir::new();
    let path = dir.path("seeds.quire");
    let mut w = Writer::create(&path).unwrap();
    w.import_csv_path(seeds.join("manifest.csv"), &ImportOptions::default())
        .unwrap();
    w.finish().unwrap();
    let corpus = Corpus::open(&path).unwrap();
    assert!(find_dups(&[&corpus], &DupsOptions::default())
        .unwrap()
        .is_empty());
    assert_eq!(
        find_dups(&[&corpus, &corpus], &DupsOptions::default())
            .unwrap()
            .len(),
        12
    );
}

#[test]
fn bad_arguments() {
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(&dir, &docs(), &input_order())).unwrap();
    let none = DupsOptions {
        kinds: vec![],
        ..DupsOptions::default()
    };
    assert_eq!(
        find_dups(&[&corpus], &none).unwrap_err().kind(),
        ErrorKind::Invalid
    );
    let bad = DupsOptions {
        similarity: 1.5,
        ..DupsOptions::default()
    };
    let err = find_dups(&[&corpus], &bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("similarity"), "{err}");
    let options = WriterOptions {
        dedup: vec![DupKind::Near],
        similarity: Some(-1.0),
        ..WriterOptions::default()
    };
    let err = Writer::create_with(dir.path("x.quire"), &options)
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(!dir.path("x.quire").exists());
    assert_eq!(DupKind::Near.to_string(), "near");
    assert!(find_dups(&[], &DupsOptions::default()).unwrap().is_empty());
}
