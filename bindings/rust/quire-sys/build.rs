//! Builds libquire into this crate. By default the C sources shipped in the
//! crate (`csrc/`, made by scripts/bundle.sh when the crate is packaged) are
//! compiled with the `cc` crate and linked statically, with the system
//! libraries `csrc/build.txt` lists; in the repository, where `csrc/` is
//! absent, scripts/bundle.sh bundles core/ into OUT_DIR first. With the
//! `system` feature an installed libquire is linked instead: from
//! QUIRE_LIB_DIR when set, else where `pkg-config --libs quire` says, else
//! from the linker's default path.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    if env::var_os("CARGO_FEATURE_SYSTEM").is_some() {
        link_system();
    } else {
        build_bundled();
    }
}

fn build_bundled() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../../..");
    // In the repository core/ itself is bundled, never a csrc/ left by an
    // earlier `cargo package`, which may be stale.
    let src = if is_repository(&root, &manifest) {
        bundle_from_repository(&root)
    } else {
        println!("cargo:rerun-if-changed=csrc");
        manifest.join("csrc")
    };

    let spec = fs::read_to_string(src.join("build.txt")).unwrap_or_else(|_| {
        panic!(
            "quire-sys: {} is missing: a packaged crate ships its C sources there \
             (run scripts/bundle.sh quire-sys/csrc before cargo package)",
            src.join("build.txt").display()
        )
    });
    let mut build = cc::Build::new();
    build
        .include(src.join("include"))
        .include(src.join("core"))
        .std("c11")
        .warnings(false);
    let mut libs = Vec::new();
    for line in spec.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("define"), Some(def)) => {
                let (name, value) = match def.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (def, None),
                };
                build.define(name, value);
            }
            (Some("lib"), Some(lib)) => libs.push(lib.to_owned()),
            _ => {}
        }
    }
    let mut sources: Vec<PathBuf> = fs::read_dir(src.join("core"))
        .expect("csrc/core")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    build.files(&sources);
    build.compile("quire"); // links libquire.a statically
    for lib in libs {
        println!("cargo:rustc-link-lib={lib}");
    }
    println!("cargo:include={}", src.join("include").display());
}

/// Whether this crate is bindings/rust/quire-sys of a quire checkout at root.
fn is_repository(root: &Path, manifest: &Path) -> bool {
    let here = root.join("bindings/rust/quire-sys");
    root.join("scripts/bundle.sh").is_file()
        && root.join("core/build.txt").is_file()
        && fs::canonicalize(here).ok() == fs::canonicalize(manifest).ok()
}

/// In a checkout of the repository: runs scripts/bundle.sh into OUT_DIR and
/// returns that bundle, rebuilt whenever core/ or the header changes.
fn bundle_from_repository(root: &Path) -> PathBuf {
    let script = root.join("scripts/bundle.sh");
    for path in ["core", "include/quire.h", "scripts/bundle.sh"] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("csrc");
    let status = Command::new("bash")
        .arg(&script)
        .arg(&out)
        .status()
        .expect("quire-sys: cannot run bash for scripts/bundle.sh");
    assert!(status.success(), "quire-sys: scripts/bundle.sh failed");
    out
}

fn link_system() {
    println!("cargo:rerun-if-env-changed=QUIRE_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let dirs = match env::var("QUIRE_LIB_DIR") {
        Ok(dir) if !dir.is_empty() => vec![dir],
        _ => pkg_config_lib_dirs(),
    };
    for dir in &dirs {
        println!("cargo:rustc-link-search=native={dir}");
    }
    // Dependent crates read this as DEP_QUIRE_LIB_DIR, to set an rpath for
    // their tests and examples.
    if let Some(dir) = dirs.first() {
        println!("cargo:lib_dir={dir}");
    }
    println!("cargo:rustc-link-lib=dylib=quire");
}

/// The -L directories `pkg-config --libs quire` names; none when pkg-config
/// or its quire.pc is missing, leaving the linker's default search path.
fn pkg_config_lib_dirs() -> Vec<String> {
    let output = Command::new("pkg-config")
        .args(["--libs-only-L", "quire"])
        .output();
    match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|flag| flag.strip_prefix("-L"))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}
