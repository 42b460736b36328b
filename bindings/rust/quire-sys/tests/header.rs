//! Checks that src/lib.rs declares every function of include/quire.h with
//! the same number of parameters, and every numeric constant with the same
//! value, so that the header cannot drift from the binding unnoticed.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn header() -> String {
    let dir = match std::env::var_os("QUIRE_INCLUDE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../include"),
    };
    strip_comments(&read(dir.join("quire.h")))
}

fn binding() -> String {
    read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unclosed comment") + start + 2;
        out.push(' ');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Counts the parameters in a list that follows an opening parenthesis, up
/// to its matching close: top-level commas, ignoring a trailing one; "void"
/// and "" are none.
fn count_params(after_paren: &str) -> (usize, usize) {
    let mut depth = 1;
    for (i, c) in after_paren.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let list = &after_paren[..i];
                    let mut n = 0;
                    let mut level = 0;
                    let mut segment = String::new();
                    let mut prev = ' ';
                    for c in list.chars().chain(std::iter::once(',')) {
                        let arrow = prev == '-';
                        prev = c;
                        match c {
                            '(' | '<' => level += 1,
                            ')' => level -= 1,
                            '>' if !arrow => level -= 1,
                            ',' if level == 0 => {
                                let s = segment.trim();
                                if !s.is_empty() && s != "void" {
                                    n += 1;
                                }
                                segment.clear();
                                continue;
                            }
                            _ => {}
                        }
                        segment.push(c);
                    }
                    return (n, i);
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses");
}

/// The identifier just before byte position end.
fn ident_before(text: &str, end: usize) -> &str {
    let head = text[..end].trim_end();
    let start = head
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    &head[start..]
}

/// name -> parameter count of every QUIRE_API declaration in the header.
fn header_functions(h: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line_start in h.match_indices("QUIRE_API ").map(|(i, _)| i) {
        let line = &h[h[..line_start].rfind('\n').map_or(0, |i| i + 1)..];
        if line.trim_start().starts_with('#') {
            continue; // the macro's own definition
        }
        let decl = &h[line_start..];
        let paren = decl.find('(').unwrap();
        let (n, _) = count_params(&decl[paren + 1..]);
        out.insert(ident_before(decl, paren).to_owned(), n);
    }
    out
}

/// name -> parameter count of every function in the extern block.
fn binding_functions(b: &str) -> BTreeMap<String, usize> {
    let block = &b[b.find("extern \"C\" {").expect("no extern block")..];
    let mut out = BTreeMap::new();
    for (i, _) in block.match_indices("pub fn ") {
        let decl = &block[i..];
        let paren = decl.find('(').unwrap();
        let (n, _) = count_params(&decl[paren + 1..]);
        out.insert(ident_before(decl, paren).to_owned(), n);
    }
    out
}

/// Evaluates the integer constant forms both files use: 42, -5, 4096u,
/// (1u << 20), 256 << 10.
fn eval(expr: &str) -> Option<i128> {
    let e = expr
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    if let Some((a, b)) = e.split_once("<<") {
        return Some(eval(a)? << eval(b)?);
    }
    let e = e.trim_end_matches('u');
    e.parse::<i128>().ok()
}

fn header_constants(h: &str) -> BTreeMap<String, i128> {
    h.lines()
        .filter_map(|l| l.trim().strip_prefix("#define QUIRE_"))
        .filter_map(|l| {
            let (name, value) = l.split_once(char::is_whitespace)?;
            Some((format!("QUIRE_{name}"), eval(value)?))
        })
        .collect()
}

fn binding_constants(b: &str) -> BTreeMap<String, i128> {
    b.lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let value = rest.split_once('=')?.1.trim().trim_end_matches(';');
            Some((name.trim().to_owned(), eval(value)?))
        })
        .collect()
}

#[test]
fn every_function_matches_the_header() {
    let (h, b) = (header(), binding());
    let uses = h
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.matches("QUIRE_API ").count())
        .sum::<usize>();
    let want = header_functions(&h);
    assert_eq!(
        want.len(),
        uses,
        "some QUIRE_API declaration was not understood"
    );
    assert!(want.len() >= 50, "only {} declarations parsed", want.len());
    let got = binding_functions(&b);
    for (name, n) in &want {
        match got.get(name) {
            None => panic!("{name} is in include/quire.h but not in quire-sys"),
            Some(m) => assert_eq!(m, n, "{name}: quire-sys has {m} parameters, quire.h {n}"),
        }
    }
    for name in got.keys() {
        assert!(
            want.contains_key(name),
            "quire-sys declares {name}, which quire.h does not"
        );
    }
}

#[test]
fn every_constant_matches_the_header() {
    let want = header_constants(&header());
    let got = binding_constants(&binding());
    assert!(want.len() >= 40, "only {} constants parsed", want.len());
    for (name, value) in &want {
        assert_eq!(got.get(name), Some(value), "{name}");
    }
}

#[test]
fn the_parsers_count_what_they_should() {
    assert_eq!(count_params("void) x").0, 0);
    assert_eq!(count_params(") x").0, 0);
    assert_eq!(
        count_params("a: Option<fn(x: i32, y: i32) -> i32>, b: u8,\n) ;").0,
        2
    );
    assert_eq!(eval("(1u << 20)"), Some(1 << 20));
    assert_eq!(eval("-13"), Some(-13));
    assert_eq!(eval("INT64_MIN"), None);
}
