//! Helpers shared by the integration tests: sample documents, temporary
//! directories, a date oracle and a small CSV reader, all from std alone.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use quire::{Document, Writer, WriterOptions};

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("quire-rs-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn entries(&self) -> usize {
        std::fs::read_dir(&self.0).unwrap().count()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const SOURCES: [&str; 5] = [
    "",
    "Belarus in Focus",
    "Новая газета",
    "🗞 Daily Emoji",
    "Eurasia Daily Monitor",
];
pub const DATES: [&str; 7] = [
    "",
    "2016",
    "2016-01",
    "2016-02-29",
    "2017-05-08T09:22",
    "2024-08-01T23:59:59",
    "2015-12",
];

/// Documents covering every shape a field can take: empty strings, missing
/// source and date, every date precision, Cyrillic, emoji, long texts.
pub fn sample_docs(n: usize) -> Vec<Document> {
    (0..n)
        .map(|i| Document {
            number: 0,
            source: SOURCES[i % SOURCES.len()].to_owned(),
            date: DATES[(i / SOURCES.len()) % DATES.len()].to_owned(),
            title: format!("Заголовок {i}: Minsk 🇧🇾 \"quoted\", comma"),
            author: ["", "Nikola Mikovic", "Юрий Дракохруст"][i % 3].to_owned(),
            url: if i % 2 == 0 {
                String::new()
            } else {
                format!("https://example.org/a/{i}?x=1&y=2")
            },
            text: sample_text(i),
        })
        .collect()
}

fn sample_text(i: usize) -> String {
    match i % 4 {
        0 => String::new(),
        1 => "Короткий текст 😀\nwith a second line\r\nand a third.".to_owned(),
        _ => {
            let size = 3000 + i * 37;
            let mut s = String::with_capacity(size + 100);
            while s.len() < size {
                s += &format!("Paragraph {} of document {i}, «кириллица», 🚀.\n", s.len());
            }
            s
        }
    }
}

/// n pseudo-random words of 5,000 (splitmix64), the same for the same
/// seed: texts that share no shingle by chance.
pub fn random_words(seed: u64, n: usize) -> String {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9e3779b97f4a7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
            format!("w{}", (z ^ (z >> 31)) % 5000)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Packs docs into dir/name with the binding's writer.
pub fn write_corpus(dir: &TempDir, docs: &[Document], options: &WriterOptions) -> PathBuf {
    let path = dir.path("test.quire");
    let mut w = Writer::create_with(&path, options).unwrap();
    for d in docs {
        w.add(d).unwrap();
    }
    w.finish().unwrap();
    path
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The first and last second of an ISO 8601 date of any precision, computed
/// without libquire, as the oracle the filters are checked against.
pub fn date_range(s: &str) -> (i64, i64) {
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (y, mo, d) = (
        num(0..4),
        if s.len() >= 7 { num(5..7) } else { 1 },
        if s.len() >= 10 { num(8..10) } else { 1 },
    );
    let (h, mi, sec) = (
        if s.len() >= 16 { num(11..13) } else { 0 },
        if s.len() >= 16 { num(14..16) } else { 0 },
        if s.len() >= 19 { num(17..19) } else { 0 },
    );
    let first = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    let next = match s.len() {
        4 => days_from_civil(y + 1, 1, 1) * 86400,
        7 if mo == 12 => days_from_civil(y + 1, 1, 1) * 86400,
        7 => days_from_civil(y, mo + 1, 1) * 86400,
        10 => first + 86400,
        16 => first + 60,
        19 => first + 1,
        _ => panic!("test date {s:?} has no known layout"),
    };
    (first, next - 1)
}

/// Reads RFC 4180 CSV (quoted cells, doubled quotes, CRLF or LF).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// The seeds folder (../shared/seeds from the repository root), if present.
pub fn seeds_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("QUIRE_SEEDS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/seeds"),
    };
    dir.join("manifest.csv").is_file().then_some(dir)
}

/// The seeds' documents, from manifest.csv (file,source,date,title,author,
/// url) and the text files it names.
pub fn seeds_docs(seeds: &Path) -> Vec<Document> {
    let manifest = std::fs::read_to_string(seeds.join("manifest.csv")).unwrap();
    parse_csv(&manifest)[1..]
        .iter()
        .map(|r| Document {
            number: 0,
            source: r[1].clone(),
            date: r[2].clone(),
            title: r[3].clone(),
            author: r[4].clone(),
            url: r[5].clone(),
            text: std::fs::read_to_string(seeds.join(&r[0])).unwrap(),
        })
        .collect()
}
