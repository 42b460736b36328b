//! Terms (`Filter::term`, `Filter::any_term`) against a brute-force
//! reference written from docs/guide.md's rules with the standard library's
//! Unicode tables.
mod common;

use common::*;
use quire::{Corpus, Document, ErrorKind, ExportOptions, Filter, Order, WriterOptions};

/// Simple case folding as the standard library can give it: the lowercase
/// of the uppercase when each is one character. The letters generated
/// below avoid the dotless and dotted i, where this differs (docs/guide.md).
fn fold(c: char) -> char {
    let mut up = c.to_uppercase();
    let u = match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    };
    let mut low = u.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Words: runs of letters (the letters used here are all of category L)
/// and numbers, folded.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic() && !c.is_numeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().map(fold).collect())
        .collect()
}

fn holds(field: &str, term: &str) -> bool {
    let (f, t) = (words(field), words(term));
    f.windows(t.len()).any(|w| w == t.as_slice())
}

fn reference(d: &Document, all: &[String], any: &[String]) -> bool {
    let has = |t: &String| holds(&d.title, t) || holds(&d.text, t);
    all.iter().all(has) && (any.is_empty() || any.iter().any(has))
}

/// A splitmix64 generator, so every run tests the same documents.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

#[test]
fn terms_against_the_reference() {
    let letters: Vec<char> = "abckABCKлукЛУКσςΣάΆéÉßẞǅǆſKµ٣²日".chars().collect();
    let seps = [
        " ", " ", "-", "’", "'", "_", ", ", "\u{301}", "\u{a0}", "😀", "\n",
    ];
    let mut rng = Rng(9);
    let vocab: Vec<String> = (0..40)
        .map(|_| {
            (0..1 + rng.below(3))
                .map(|_| letters[rng.below(letters.len())])
                .collect()
        })
        .collect();
    let text = |k: usize, rng: &mut Rng| -> String {
        (0..k)
            .map(|_| {
                format!(
                    "{}{}",
                    vocab[rng.below(vocab.len())],
                    seps[rng.below(seps.len())]
                )
            })
            .collect()
    };
    let docs: Vec<Document> = (0..200)
        .map(|i| Document {
            source: ["A", "B"][i % 2].to_string(),
            date: format!("{}", 2010 + i % 5),
            title: text(rng.below(4), &mut rng),
            text: text(rng.below(50), &mut rng),
            ..Document::default()
        })
        .collect();
    let dir = TempDir::new();
    let options = WriterOptions {
        order: Order::Input,
        block_size: Some(4096),
        ..WriterOptions::default()
    };
    let corpus = Corpus::open(write_corpus(&dir, &docs, &options)).unwrap();
    let mut cases: Vec<(Vec<String>, Vec<String>)> = vocab[..25]
        .iter()
        .map(|w| (vec![w.to_uppercase()], vec![]))
        .collect();
    cases.push((vec!["ẞ".into()], vec![]));
    cases.push((vec!["STRASSE".into()], vec![]));
    cases.push((vec![format!("{} {}", vocab[1], vocab[2])], vec![]));
    cases.push((vec![vocab[3].clone(), vocab[4].clone()], vec![]));
    cases.push((
        vec![],
        vec![vocab[5].clone(), vocab[6].clone(), "absentzz".into()],
    ));
    cases.push((
        vec![vocab[7].clone()],
        vec![vocab[8].clone(), vocab[9].clone()],
    ));
    let mut nontrivial = 0;
    for (all, any) in &cases {
        let filter = all.iter().fold(Filter::new(), |f, t| f.term(t.clone()));
        let filter = any.iter().fold(filter, |f, t| f.any_term(t.clone()));
        let want: Vec<u64> = (0..docs.len())
            .filter(|&i| reference(&docs[i], all, any))
            .map(|i| i as u64)
            .collect();
        let got: Vec<u64> = corpus
            .query(&filter)
            .unwrap()
            .map(|d| d.unwrap().number)
            .collect();
        assert_eq!(got, want, "{all:?} {any:?}");
        assert_eq!(corpus.count(&filter).unwrap(), want.len() as u64);
        nontrivial += usize::from(!want.is_empty() && want.len() < docs.len());
        // With a source: only that source's matches.
        let only_b = filter.clone().source("B");
        let want_b = want
            .iter()
            .filter(|&&i| docs[i as usize].source == "B")
            .count();
        assert_eq!(corpus.count(&only_b).unwrap(), want_b as u64);
    }
    assert!(
        nontrivial >= 15,
        "only {nontrivial} cases were neither empty nor everything"
    );
    let mut csv = Vec::new();
    let f = Filter::new().term(vocab[10].clone());
    let options = ExportOptions {
        filter: Some(f.clone()),
        columns: Some(vec!["id".into()]),
        ..ExportOptions::default()
    };
    corpus.export_csv(&mut csv, &options).unwrap();
    let rows = String::from_utf8(csv).unwrap().lines().count() as u64 - 1;
    assert_eq!(rows, corpus.count(&f).unwrap());
}

#[test]
fn bad_terms_are_invalid() {
    let dir = TempDir::new();
    let corpus = Corpus::open(write_corpus(
        &dir,
        &sample_docs(3),
        &WriterOptions::default(),
    ))
    .unwrap();
    for f in [Filter::new().term(""), Filter::new().any_term(" ’ - ")] {
        assert_eq!(corpus.count(&f).unwrap_err().kind(), ErrorKind::Invalid);
        assert_eq!(corpus.query(&f).err().unwrap().kind(), ErrorKind::Invalid);
    }
    // Dotted capital I has no simple folding; dotless i folds to itself.
    let docs = vec![Document {
        text: "İstanbul ıi I".into(),
        ..Document::default()
    }];
    let dir2 = TempDir::new();
    let corpus = Corpus::open(write_corpus(&dir2, &docs, &WriterOptions::default())).unwrap();
    let count = |t: &str| corpus.count(&Filter::new().term(t)).unwrap();
    assert_eq!(
        (
            count("istanbul"),
            count("İSTANBUL"),
            count("ıI"),
            count("ii")
        ),
        (0, 1, 1, 0)
    );
    assert_eq!((count("i"), count("ı")), (1, 0));
}

#[test]
fn word_summaries_change_nothing_but_size() {
    let docs: Vec<Document> = (0..300)
        .map(|i| Document {
            text: format!("alpha{} beta{} gamma", i % 37, i % 101),
            title: format!("title{}", i % 13),
            ..Document::default()
        })
        .collect();
    let (dir_a, dir_b) = (TempDir::new(), TempDir::new());
    let small = WriterOptions {
        block_size: Some(4096),
        ..WriterOptions::default()
    };
    let without = WriterOptions {
        no_word_summaries: true,
        ..small.clone()
    };
    let a = Corpus::open(write_corpus(&dir_a, &docs, &small)).unwrap();
    let b = Corpus::open(write_corpus(&dir_b, &docs, &without)).unwrap();
    for t in ["alpha3", "BETA77", "title5", "gamma", "absent"] {
        let f = Filter::new().term(t);
        let want = docs
            .iter()
            .filter(|d| holds(&d.text, t) || holds(&d.title, t))
            .count() as u64;
        assert_eq!(
            (a.count(&f).unwrap(), b.count(&f).unwrap()),
            (want, want),
            "{t}"
        );
    }
}
