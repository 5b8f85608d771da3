//! Build-time set-up of the `repro` binaries:
//! - an rpath to libtorch's shared libraries, so that `target/release/repro` runs from any folder
//!   without `LD_LIBRARY_PATH`. torch-sys declares `links = "tch"` and prints
//!   `cargo:libtorch_lib=<dir>`; cargo passes it to direct dependents as `DEP_TCH_LIBTORCH_LIB`.
//! - the tch and libtorch versions and the git commit the binary is built from (and whether the
//!   tree had uncommitted changes), recorded beside every run's outputs.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let mut libtorch_version = "unknown".to_string();
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        // The PyPI wheel keeps its version in torch/version.py, beside torch/lib.
        let version_py = Path::new(&dir).join("../version.py");
        if let Ok(text) = std::fs::read_to_string(version_py) {
            if let Some(line) = text.lines().find(|l| l.starts_with("__version__")) {
                libtorch_version = line.split(['\'', '"']).nth(1).unwrap_or("unknown").to_string();
            }
        }
    }
    println!("cargo:rustc-env=REPRO_LIBTORCH_VERSION={libtorch_version}");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let tch_version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"tch\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=REPRO_TCH_VERSION={tch_version}");

    // Rerun when a commit is made or a source changes, so that commit and dirty flag stay true.
    for watched in [".git/HEAD", ".git/refs/heads", ".git/packed-refs", "src", "Cargo.toml", "build.rs"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    println!("cargo:rustc-env=REPRO_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=REPRO_GIT_DIRTY={dirty}");
}
