//! Finds libquire: QUIRE_LIB_DIR (a build tree or an install prefix's lib
//! directory) wins, then pkg-config, then the linker's default path.

use std::env;
use std::process::Command;

fn main() {
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
