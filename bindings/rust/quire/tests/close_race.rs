//! Closing a corpus while threads count, iterate and export it. In Rust,
//! closing is dropping: the borrow checker refuses to drop a `Corpus` that a
//! thread still borrows (see the `compile_fail` example on [`quire::Corpus`]),
//! so threads share it through an `Arc` and whichever drops it last closes
//! it. This runs that hundreds of times, the main thread dropping its handle
//! at a random moment while the others work: every call completes.

mod common;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{sample_docs, write_corpus, TempDir};
use quire::{Corpus, ExportOptions, Filter, WriterOptions};

#[test]
fn close_while_threads_count_iterate_and_export() {
    let dir = TempDir::new();
    let path = write_corpus(&dir, &sample_docs(300), &WriterOptions::default());
    let mut seed = 15u64;
    for round in 0..200 {
        let corpus = Arc::new(Corpus::open(&path).unwrap());
        let workers: Vec<_> = (0..3)
            .map(|kind| {
                let corpus = Arc::clone(&corpus);
                thread::spawn(move || {
                    let filter = Filter::new().from("2016");
                    let until = Instant::now() + Duration::from_millis(2);
                    let mut calls = 0u32;
                    while calls == 0 || Instant::now() < until {
                        match kind {
                            0 => assert!(corpus.count(&filter).unwrap() <= corpus.doc_count()),
                            1 => {
                                for doc in corpus.query(&filter).unwrap() {
                                    assert!(doc.unwrap().date.starts_with("20"));
                                }
                            }
                            _ => {
                                let options = ExportOptions::default();
                                corpus.export_csv(&mut std::io::sink(), &options).unwrap();
                            }
                        }
                        calls += 1;
                    }
                    calls
                })
            })
            .collect();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        thread::sleep(Duration::from_micros((seed >> 33) % 2000));
        drop(corpus); // this thread's close; the last worker's drop frees
        for worker in workers {
            let calls = worker
                .join()
                .unwrap_or_else(|_| panic!("round {round}: a worker panicked"));
            assert!(calls > 0);
        }
    }
}
