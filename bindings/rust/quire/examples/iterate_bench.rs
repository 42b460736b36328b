//! The Rust side of the bindings benchmark (benchmarks/bindings): iterates
//! every document of a corpus reading its date, source (as a string) and
//! text length, without inflating any text, and prints the line every
//! language's version prints:
//!
//! docs=<N> checksum=<sum of text lengths and dates mod 2^64> seconds=<loop>

use std::process::ExitCode;
use std::time::Instant;

use quire::Corpus;

fn iterate(corpus: &Corpus) -> quire::Result<(u64, u64)> {
    let (mut docs, mut checksum) = (0u64, 0u64);
    let mut query = corpus.iter()?;
    while let Some(doc) = query.next_doc()? {
        let source = doc.source()?;
        std::hint::black_box(source);
        let date = doc.timestamp().map_or(0, |d| d as u64);
        checksum = checksum.wrapping_add(doc.text_len()).wrapping_add(date);
        docs += 1;
    }
    Ok((docs, checksum))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: iterate_bench CORPUS.quire");
        return ExitCode::from(2);
    }
    let run = || -> quire::Result<()> {
        let corpus = Corpus::open(&args[1])?;
        let start = Instant::now();
        let (docs, checksum) = iterate(&corpus)?;
        let seconds = start.elapsed().as_secs_f64();
        println!("docs={docs} checksum={checksum} seconds={seconds:.6}");
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iterate_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
