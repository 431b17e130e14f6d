//! Build-time switches for the test suite, so that a test which cannot run here is
//! reported by the test runner as *ignored* (with its reason) instead of returning early
//! and counting as passed:
//!
//! - `provisiond_test_pg` is set when `PROVISIOND_TEST_DATABASE_URL` is non-empty: the
//!   PostgreSQL variants of the integration tests run; without it they are ignored.
//! - `provisiond_test_xmlsec1` is set when an `xmlsec1` executable is on `PATH`: the
//!   cross-checks against the independent xmlsec1 verifier run; without it they are ignored.
//!
//! The flags only change `#[ignore]` attributes in tests; the library and the binary do
//! not read them. Changing the variable (or installing xmlsec1) re-runs this script, and
//! cargo then rebuilds the crate once.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(provisiond_test_pg)");
    println!("cargo::rustc-check-cfg=cfg(provisiond_test_xmlsec1)");

    println!("cargo::rerun-if-env-changed=PROVISIOND_TEST_DATABASE_URL");
    if std::env::var_os("PROVISIOND_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=provisiond_test_pg");
    }

    println!("cargo::rerun-if-env-changed=PATH");
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    match dirs.iter().map(|d| d.join("xmlsec1")).find(|p| p.is_file()) {
        Some(found) => {
            // Watching the file itself notices its removal.
            println!("cargo::rerun-if-changed={}", found.display());
            println!("cargo::rustc-cfg=provisiond_test_xmlsec1");
        }
        None => {
            // A directory's own modification time changes when an entry is added, so
            // installing xmlsec1 later re-runs this script. (A path that does not exist
            // would re-run it, and rebuild the crate, on every build.)
            for dir in dirs.iter().filter(|d| d.is_dir()) {
                println!("cargo::rerun-if-changed={}", dir.display());
            }
        }
    }
}
