//! Checks src/lib.rs against include/quire.h as api/quire-api.json describes
//! it (scripts/api-describe.py makes it from the header; ctest
//! api_description checks that it is current), ctest2-style: every function
//! of the header is declared in the `extern "C"` block with the Rust FFI type
//! of each C parameter and of the return value, every callback typedef with
//! its signature, and every constant with the header's value and type, so
//! that the header cannot drift from the binding unnoticed. QUIRE_API_JSON
//! names another description (an installed header's, or a test's).

use std::collections::BTreeMap;
use std::path::PathBuf;

// ---- a JSON reader (the crate has no dependency to parse it with) ----

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(map) => map.get(key).unwrap_or(&Json::Null),
            _ => &Json::Null,
        }
    }
    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            other => panic!("expected a string, found {other:?}"),
        }
    }
    fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(v) => v,
            other => panic!("expected an array, found {other:?}"),
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&c),
            "JSON: expected {} at {}",
            c as char,
            self.i
        );
        self.i += 1;
    }
    /// Steps over what comes before an item of an object or array: its
    /// opening bracket or a comma. False at its closing bracket, eaten.
    fn item(&mut self, close: u8) -> bool {
        self.ws();
        let c = self.s[self.i];
        self.i += 1;
        match c {
            b'{' | b'[' => {
                self.ws();
                let empty = self.s[self.i] == close;
                self.i += usize::from(empty);
                !empty
            }
            b',' => true,
            c if c == close => false,
            c => panic!("JSON: unexpected {} at {}", c as char, self.i - 1),
        }
    }
    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                let mut map = BTreeMap::new();
                while self.item(b'}') {
                    let key = self.string();
                    self.eat(b':');
                    map.insert(key, self.value());
                }
                Json::Obj(map)
            }
            b'[' => {
                let mut items = Vec::new();
                while self.item(b']') {
                    items.push(self.value());
                }
                Json::Arr(items)
            }
            b'"' => Json::Str(self.string()),
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !b",]} \n\r\t".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                match std::str::from_utf8(&self.s[start..self.i]).unwrap() {
                    "null" => Json::Null,
                    "true" => Json::Bool(true),
                    "false" => Json::Bool(false),
                    n => Json::Num(n.to_owned()),
                }
            }
        }
    }
    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut out = Vec::new();
        loop {
            let c = self.s[self.i];
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).expect("JSON: invalid UTF-8"),
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    let ch = match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
                            self.i += 4;
                            char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap_or('?')
                        }
                        other => other as char,
                    };
                    out.extend_from_slice(ch.to_string().as_bytes());
                }
                _ => out.push(c),
            }
        }
    }
}

fn api() -> Json {
    let path = match std::env::var_os("QUIRE_API_JSON") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../api/quire-api.json"),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/api-describe.py, or set QUIRE_API_JSON)",
            path.display()
        )
    });
    Parser {
        s: text.as_bytes(),
        i: 0,
    }
    .value()
}

fn binding() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---- C types as Rust FFI types ----

/// The Rust type quire-sys must use for a C type as clang spells it
/// ("const char **" is "*mut *const c_char"). Structs the header only
/// declares without a handle typedef (Arrow's) go by `*mut c_void`.
fn rust_type(c: &str, foreign: &[String]) -> String {
    let tokens: Vec<&str> = c
        .split(|ch: char| ch.is_whitespace() || ch == '*')
        .filter(|t| !t.is_empty())
        .collect();
    let mut words: Vec<&str> = tokens.iter().copied().filter(|t| *t != "const").collect();
    if words.first() == Some(&"struct") {
        words.remove(0);
    }
    let base = match words.join(" ").as_str() {
        "void" => "c_void".to_owned(),
        "char" => "c_char".to_owned(),
        "int" => "c_int".to_owned(),
        "unsigned int" => "u32".to_owned(),
        "long" | "int64_t" => "i64".to_owned(),
        "int32_t" => "i32".to_owned(),
        "uint32_t" => "u32".to_owned(),
        "uint64_t" => "u64".to_owned(),
        "size_t" => "usize".to_owned(),
        "double" => "f64".to_owned(),
        name if foreign.iter().any(|f| f == name) => "c_void".to_owned(),
        name if name.starts_with("quire_") => name.to_owned(),
        other => panic!("no Rust type for the C type {c} ({other})"),
    };
    // Stars apply left to right; "const" before the first star qualifies
    // the base, one after a star the pointer itself (not Rust's concern).
    let star = c.find('*').unwrap_or(c.len());
    let mut pointee_const = c[..star].split_whitespace().any(|t| t == "const");
    let mut out = base;
    let mut rest = &c[star..];
    while let Some(p) = rest.find('*') {
        out = format!("{} {out}", if pointee_const { "*const" } else { "*mut" });
        rest = &rest[p + 1..];
        pointee_const = rest.trim_start().starts_with("const");
    }
    out
}

/// Top-level comma-separated parts of a list, `->` not closing a `<`.
fn split_top(list: &str) -> Vec<String> {
    let (mut out, mut level, mut seg, mut prev) = (Vec::new(), 0, String::new(), ' ');
    for c in list.chars() {
        let arrow = prev == '-';
        prev = c;
        match c {
            '(' | '<' => level += 1,
            ')' => level -= 1,
            '>' if !arrow => level -= 1,
            ',' if level == 0 => {
                out.push(std::mem::take(&mut seg));
                continue;
            }
            _ => {}
        }
        seg.push(c);
    }
    out.push(seg);
    out.into_iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The text inside the parentheses opening at text[0], and what follows.
fn parens(text: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return (&text[1..i], &text[i + 1..]);
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {text}");
}

/// A Rust signature: the parameter types and the return type ("" for none).
#[derive(Debug, PartialEq)]
struct Sig {
    params: Vec<String>,
    ret: String,
}

/// Parses "(a: T, b: U) -> R" (the parameters' names are dropped).
fn rust_sig(text: &str) -> Sig {
    let (list, rest) = parens(text.trim_start());
    let params = split_top(list)
        .iter()
        .map(|p| {
            p.split_once(':')
                .map_or(p.as_str(), |(_, t)| t)
                .trim()
                .to_owned()
        })
        .collect();
    let rest = rest.trim_start();
    let ret = match rest.strip_prefix("->") {
        Some(r) => r[..r.find([';', '>']).unwrap_or(r.len())].trim(),
        None => "",
    };
    let ret = ret.split_whitespace().collect::<Vec<_>>().join(" ");
    Sig { params, ret }
}

/// The C signature of a description entry, in Rust types.
fn c_sig(entry: &Json, foreign: &[String]) -> Sig {
    let params = entry
        .get("params")
        .arr()
        .iter()
        .map(|p| rust_type(p.get("type").str(), foreign))
        .collect();
    let ret = match entry.get("returns").str() {
        "void" => String::new(),
        r => rust_type(r, foreign),
    };
    Sig { params, ret }
}

/// name -> signature of every function in the extern block.
fn binding_functions(b: &str) -> BTreeMap<String, Sig> {
    let block = &b[b.find("extern \"C\" {").expect("no extern block")..];
    let mut out = BTreeMap::new();
    for (i, _) in block.match_indices("pub fn ") {
        let decl = &block[i + "pub fn ".len()..];
        let paren = decl.find('(').unwrap();
        out.insert(decl[..paren].trim().to_owned(), rust_sig(&decl[paren..]));
    }
    out
}

/// name -> signature of every `pub type X = Option<unsafe extern "C" fn...>`.
fn binding_callbacks(b: &str) -> BTreeMap<String, Sig> {
    let mut out = BTreeMap::new();
    for (i, _) in b.match_indices("pub type ") {
        let decl = &b[i + "pub type ".len()..];
        let (name, rest) = decl.split_once('=').unwrap();
        let rest = &rest[..rest.find(';').unwrap()];
        if let Some(f) = rest.find("fn(") {
            out.insert(name.trim().to_owned(), rust_sig(&rest[f + 2..]));
        }
    }
    out
}

fn foreign_structs(api: &Json) -> Vec<String> {
    api.get("structs")
        .arr()
        .iter()
        .filter(|s| s.get("fields") == &Json::Null && s.get("typedef") == &Json::Null)
        .map(|s| s.get("name").str().to_owned())
        .collect()
}

// ---- constants ----

/// A constant of quire-sys: its Rust type and its value, evaluated over
/// the forms lib.rs uses (literals, <<, *, +, -, parentheses, other
/// constants, i64::MIN), or the string.
#[derive(Debug, PartialEq)]
enum Value {
    Int(i128),
    Float(f64),
    Str(String),
}

/// (name, type, value expression) of every `pub const`, trimmed.
fn const_decls(b: &str) -> Vec<(&str, &str, &str)> {
    b.match_indices("pub const ")
        .map(|(i, _)| {
            let decl = &b[i + "pub const ".len()..];
            let decl = &decl[..decl.find(';').unwrap()];
            let (name, rest) = decl.split_once(':').unwrap();
            let (ty, expr) = rest.split_once('=').unwrap();
            (name.trim(), ty.trim(), expr.trim())
        })
        .collect()
}

fn binding_constants(b: &str) -> BTreeMap<String, (String, Value)> {
    let mut raw = BTreeMap::new();
    for (name, ty, expr) in const_decls(b) {
        if expr.contains('{') {
            continue; // a struct initialiser: binding_initializers reads it
        }
        raw.insert(name.to_owned(), (ty.to_owned(), expr.to_owned()));
    }
    raw.iter()
        .map(|(name, (ty, expr))| {
            let value = if let Some(s) = expr.strip_prefix('"') {
                Value::Str(s.trim_end_matches('"').to_owned())
            } else if ty == "f64" {
                Value::Float(expr.parse().unwrap_or_else(|_| panic!("{name}: {expr}")))
            } else {
                Value::Int(eval(expr, &raw).unwrap_or_else(|| panic!("{name}: cannot read {expr}")))
            };
            (name.clone(), (ty.clone(), value))
        })
        .collect()
}

/// name -> (struct, the field: value pairs) of every `pub const X: S = S {
/// field: value, ... };`, each value without its path (core::ptr::).
fn binding_initializers(b: &str) -> BTreeMap<String, (String, Vec<(String, String)>)> {
    let mut out = BTreeMap::new();
    for (name, ty, expr) in const_decls(b) {
        let Some((_, body)) = expr.split_once('{') else {
            continue;
        };
        let body = body.trim_end().trim_end_matches('}');
        let fields = body
            .split(',')
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                let (field, value) = f.split_once(':').unwrap();
                let mut value = value.trim();
                for path in ["core::ptr::", "core::mem::", "std::ptr::", "std::mem::"] {
                    value = value.trim_start_matches(path);
                }
                (field.trim().to_owned(), value.to_owned())
            })
            .collect();
        out.insert(name.to_owned(), (ty.to_owned(), fields));
    }
    out
}

/// name -> (field, Rust type) of every `pub struct X { pub f: T, ... }`.
fn binding_structs(b: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    for (i, _) in b.match_indices("pub struct ") {
        let decl = &b[i + "pub struct ".len()..];
        let Some((name, body)) = decl.split_once('{') else {
            continue;
        };
        let body = &body[..body.find('}').unwrap()];
        let fields = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub "))
            .map(|l| {
                let (f, t) = l.trim_end_matches(',').split_once(':').unwrap();
                (f.trim().to_owned(), t.trim().to_owned())
            })
            .collect();
        out.insert(name.trim().to_owned(), fields);
    }
    out
}

/// Evaluates an integer expression: + - (left to right), then *, then <<
/// binding loosest to tightest as Rust has them (<< looser than + - *).
fn eval(e: &str, consts: &BTreeMap<String, (String, String)>) -> Option<i128> {
    let e = e.trim();
    if e.starts_with('(') && parens(e).1.trim().is_empty() {
        return eval(parens(e).0, consts);
    }
    // The last top-level binary operator of the loosest level splits it.
    for ops in [&["<<"][..], &["+", "-"], &["*"]] {
        let (mut depth, mut at) = (0, None);
        let bytes = e.as_bytes();
        for i in 0..bytes.len() {
            match bytes[i] {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ if depth == 0 && i > 0 => {
                    for op in ops {
                        if e[i..].starts_with(op)
                            && !(op == &"-" && e[..i].trim_end().ends_with(['*', '+', '-', '<']))
                        {
                            at = Some((i, *op));
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some((i, op)) = at {
            let (a, b) = (eval(&e[..i], consts)?, eval(&e[i + op.len()..], consts)?);
            return Some(match op {
                "<<" => a << b,
                "+" => a + b,
                "-" => a - b,
                _ => a * b,
            });
        }
    }
    if let Some(rest) = e.strip_prefix('-') {
        return eval(rest, consts).map(|v| -v);
    }
    match e {
        "i64::MIN" => return Some(i64::MIN as i128),
        "i64::MAX" => return Some(i64::MAX as i128),
        "u32::MAX" => return Some(u32::MAX as i128),
        _ => {}
    }
    if let Some((_, expr)) = consts.get(e) {
        return eval(expr, consts);
    }
    e.replace('_', "").parse().ok()
}

/// The Rust type for a constant of the description.
fn constant_type(c: &Json) -> String {
    match c.get("type").str() {
        "string" => "&str".to_owned(),
        _ => rust_type(c.get("c_type").str(), &[]),
    }
}

fn constant_value(c: &Json) -> Value {
    match (c.get("type").str(), c.get("value")) {
        ("string", v) => Value::Str(v.str().to_owned()),
        ("double", Json::Num(n)) => Value::Float(n.parse().unwrap()),
        (_, Json::Num(n)) => Value::Int(n.parse().unwrap()),
        (t, v) => panic!("{}: a {t} constant of value {v:?}", c.get("name").str()),
    }
}

// ---- the tests ----

#[test]
fn every_function_matches_the_header() {
    let (api, b) = (api(), binding());
    let foreign = foreign_structs(&api);
    let want = api.get("functions").arr();
    assert!(want.len() >= 50, "only {} functions described", want.len());
    let got = binding_functions(&b);
    for f in want {
        let name = f.get("name").str();
        let want = c_sig(f, &foreign);
        match got.get(name) {
            // Experimental functions (#ifdef QUIRE_EXPERIMENTAL) may be left out.
            None if f.get("experimental") == &Json::Bool(true) => {}
            None => panic!("{name} is in include/quire.h but not in quire-sys"),
            Some(sig) => assert_eq!(sig, &want, "{name}: quire-sys (left) differs from quire.h"),
        }
    }
    for name in got.keys() {
        assert!(
            want.iter().any(|f| f.get("name").str() == name),
            "quire-sys declares {name}, which quire.h does not"
        );
    }
}

#[test]
fn every_callback_type_matches_the_header() {
    let (api, b) = (api(), binding());
    let foreign = foreign_structs(&api);
    let got = binding_callbacks(&b);
    let callbacks: Vec<&Json> = api
        .get("types")
        .arr()
        .iter()
        .filter(|t| t.get("kind").str() == "callback")
        .collect();
    assert!(
        callbacks.len() >= 4,
        "only {} callback types described",
        callbacks.len()
    );
    for t in callbacks {
        let name = t.get("name").str();
        let sig = got
            .get(name)
            .unwrap_or_else(|| panic!("the callback type {name} of quire.h is not in quire-sys"));
        assert_eq!(
            sig,
            &c_sig(t, &foreign),
            "{name}: quire-sys (left) differs from quire.h"
        );
    }
}

#[test]
fn every_handle_is_declared() {
    let b = binding();
    for t in api()
        .get("types")
        .arr()
        .iter()
        .filter(|t| t.get("kind").str() == "opaque")
    {
        let name = t.get("name").str();
        assert!(
            b.contains(&format!("    {name},")) || b.contains(&format!("    {name}\n")),
            "the handle {name} of quire.h is not in quire-sys's opaque! list"
        );
    }
}

#[test]
fn every_constant_matches_the_header() {
    let got = binding_constants(&binding());
    let want = api();
    let want = want.get("constants").arr();
    assert!(want.len() >= 40, "only {} constants described", want.len());
    for c in want {
        let name = c.get("name").str();
        if c.get("type").str() == "initializer" {
            continue; // every_initializer_matches_the_header
        }
        let (ty, value) = got
            .get(name)
            .unwrap_or_else(|| panic!("{name} is in include/quire.h but not in quire-sys"));
        assert_eq!(
            value,
            &constant_value(c),
            "{name}: quire-sys (left) differs from quire.h"
        );
        let c_int_ok = ty == "c_int" || ty == "i32";
        let want_ty = constant_type(c);
        assert!(
            ty == &want_ty || (want_ty == "c_int" && c_int_ok),
            "{name}: quire-sys says {ty}, quire.h's type is {want_ty}"
        );
    }
}

#[test]
fn every_struct_matches_the_header() {
    let (api, b) = (api(), binding());
    let foreign = foreign_structs(&api);
    let got = binding_structs(&b);
    for s in api.get("structs").arr() {
        if s.get("fields") == &Json::Null {
            continue; // only declared (ArrowArrayStream)
        }
        let name = s.get("name").str();
        let want: Vec<(String, String)> = s
            .get("fields")
            .arr()
            .iter()
            .map(|f| {
                let ty = rust_type(f.get("type").str(), &foreign);
                (f.get("name").str().to_owned(), ty)
            })
            .collect();
        let fields = got
            .get(name)
            .unwrap_or_else(|| panic!("the struct {name} of quire.h is not in quire-sys"));
        assert_eq!(
            fields, &want,
            "{name}: quire-sys (left) differs from quire.h"
        );
    }
}

/// An initialiser macro of the header ({sizeof(S), NULL, 0, ...}) is a
/// constant of its struct with the same values, field by field.
#[test]
fn every_initializer_matches_the_header() {
    let (api, b) = (api(), binding());
    let got = binding_initializers(&b);
    let mut seen = 0;
    for c in api.get("constants").arr() {
        if c.get("type").str() != "initializer" {
            continue;
        }
        seen += 1;
        let name = c.get("name").str();
        let (ty, fields) = got
            .get(name)
            .unwrap_or_else(|| panic!("{name} is in include/quire.h but not in quire-sys"));
        let def = c.get("definition").str().trim();
        let items: Vec<&str> = def
            .trim_start_matches('{')
            .trim_end_matches('}')
            .split(',')
            .map(str::trim)
            .collect();
        assert_eq!(items.len(), fields.len(), "{name}: {def} vs {fields:?}");
        for (item, (field, value)) in items.iter().zip(fields) {
            let want = match item.strip_prefix("sizeof(") {
                Some(s) => format!("size_of::<{}>()", s.trim_end_matches(')')),
                None if *item == "NULL" => "null()".to_owned(),
                None => (*item).to_owned(),
            };
            assert_eq!(
                value, &want,
                "{name}.{field}: quire-sys (left) differs from quire.h"
            );
        }
        let sized = items[0]
            .strip_prefix("sizeof(")
            .map(|s| s.trim_end_matches(')'));
        assert_eq!(Some(ty.as_str()), sized, "{name}: the type of the constant");
    }
    assert!(seen >= 1, "no initialiser described");
}

#[test]
fn the_readers_read_what_they_should() {
    let foreign = vec!["ArrowArrayStream".to_owned()];
    assert_eq!(rust_type("const char **", &foreign), "*mut *const c_char");
    assert_eq!(
        rust_type("quire_corpus **", &foreign),
        "*mut *mut quire_corpus"
    );
    assert_eq!(
        rust_type("const quire_corpus *", &foreign),
        "*const quire_corpus"
    );
    assert_eq!(
        rust_type("struct ArrowArrayStream *", &foreign),
        "*mut c_void"
    );
    assert_eq!(rust_type("const void *", &foreign), "*const c_void");
    assert_eq!(rust_type("size_t", &foreign), "usize");
    assert_eq!(
        rust_sig("(a: Option<fn(x: i32, y: i32) -> i32>, b: u8,\n) -> c_int;"),
        Sig {
            params: vec!["Option<fn(x: i32, y: i32) -> i32>".into(), "u8".into()],
            ret: "c_int".into()
        }
    );
    assert_eq!(
        rust_sig("() ;"),
        Sig {
            params: vec![],
            ret: String::new()
        }
    );
    let consts = BTreeMap::from([("A".to_owned(), ("c_int".to_owned(), "2".to_owned()))]);
    assert_eq!(eval("(1 << 20)", &consts), Some(1 << 20));
    assert_eq!(eval("-13", &consts), Some(-13));
    assert_eq!(eval("A * 10000 + 3 * 100 + 1", &consts), Some(20301));
    assert_eq!(eval("256 << 10", &consts), Some(256 << 10));
    assert_eq!(eval("i64::MIN", &consts), Some(i64::MIN as i128));
    let json = Parser {
        s: br#"{"a": [1, -2.5, "x\"y"], "b": null, "c": [ ], "d": {}}"#,
        i: 0,
    }
    .value();
    assert_eq!(json.get("a").arr()[2], Json::Str("x\"y".into()));
    assert_eq!(json.get("b"), &Json::Null);
    assert_eq!(json.get("c"), &Json::Arr(vec![]));
    assert_eq!(json.get("d"), &Json::Obj(BTreeMap::new()));
    assert_eq!(json.get("a").arr()[1], Json::Num("-2.5".into()));
}
