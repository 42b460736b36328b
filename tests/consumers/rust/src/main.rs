//! A Rust program using the quire crate as a consumer does (`cargo add
//! --path bindings/rust/quire`, then `cargo run`): it packs a corpus of its
//! own, then the seeds sample when its folder is given, and filters and
//! exports both.

use std::path::Path;
use std::process::exit;

use quire::{Corpus, Document, ExportOptions, Filter, ImportOptions, Writer};

fn exercise(path: &Path, docs: u64, filter: Filter, matches: u64, want: &str) -> quire::Result<()> {
    let corpus = Corpus::open(path)?;
    let (n, m) = (corpus.doc_count(), corpus.count(&filter)?);
    if n != docs || m != matches {
        eprintln!("rust consumer: {}: {n} documents, {m} matching; want {docs} and {matches}", path.display());
        exit(1);
    }
    let out = path.with_extension("csv");
    let options = ExportOptions { filter: Some(filter), ..ExportOptions::default() };
    let report = corpus.export_csv_path(&out, &options)?;
    let csv = std::fs::read_to_string(&out).expect("the exported CSV");
    if report.rows != matches || !csv.contains(want) {
        eprintln!("rust consumer: {}: {} rows, want {matches} containing {want:?}", out.display(), report.rows);
        exit(1);
    }
    println!("rust consumer: {}: {n} documents, {} exported", path.display(), report.rows);
    Ok(())
}

fn run(work: &Path, seeds: &Path) -> quire::Result<()> {
    println!("rust consumer: libquire {}", quire::version());
    let own = work.join("own.quire");
    let mut writer = Writer::create(&own)?;
    for (source, date, title) in [
        ("Belarus in Focus", "2016-04-22T18:38", "Sino-Belarusian"),
        ("Xinhua", "2017-01", "second"),
        ("", "", "no source, no date"),
    ] {
        let doc = Document {
            source: source.into(),
            date: date.into(),
            title: title.into(),
            text: "Текст 😀".into(),
            ..Document::default()
        };
        writer.add(&doc)?;
    }
    writer.finish()?;
    exercise(&own, 3, Filter::new().from("2016").to("2016"), 1, "Sino-Belarusian")?;

    if !seeds.join("manifest.csv").is_file() {
        println!("rust consumer: seeds not found at {}: skipping the seeds part", seeds.display());
        return Ok(());
    }
    let packed = work.join("seeds.quire");
    let mut writer = Writer::create(&packed)?;
    writer.import_csv_path(seeds.join("manifest.csv"), &ImportOptions::default())?;
    writer.finish()?;
    let filter = Filter::new().source("Belarus in Focus").from("2016").to("2017");
    exercise(&packed, 5, filter, 2, "Sino-Belarusian cooperation not unique for the region")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: consumer WORKDIR SEEDS_DIR");
        exit(2);
    }
    if let Err(err) = run(Path::new(&args[1]), Path::new(&args[2])) {
        eprintln!("rust consumer: {err}");
        exit(1);
    }
}
