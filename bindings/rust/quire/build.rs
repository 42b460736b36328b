//! Lets this crate's own tests and examples find libquire at run time when
//! it was found outside the loader's path (QUIRE_LIB_DIR or pkg-config).
//! Link arguments given here reach only this package's binaries.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_QUIRE_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_QUIRE_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
