//! Makes `cargo build/run/test` work from a bare shell: libtorch is found through an rpath to
//! the real torch lib folder (not through LD_LIBRARY_PATH, which cargo's `[env]` cannot set for
//! the processes that `cargo run`/`cargo test` start).
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-changed=build.rs");
    let Some(libtorch) = std::env::var_os("LIBTORCH").map(PathBuf::from) else {
        println!("cargo:warning=LIBTORCH is not set: run `make torch` first");
        return;
    };
    // `.libtorch/lib` holds symlinks into the installed wheel. Resolve one of them so the rpath
    // names the wheel's own folder, where libtorch_cpu.so's `$ORIGIN/../../nvidia/cu13/lib`
    // RPATH finds libcudart/libcupti.
    let cpu = libtorch.join("lib").join("libtorch_cpu.so");
    let real_lib = match std::fs::canonicalize(&cpu) {
        Ok(p) => p.parent().map(PathBuf::from).unwrap_or_else(|| libtorch.join("lib")),
        Err(_) => {
            println!("cargo:warning={} not found: run `make torch` first", cpu.display());
            libtorch.join("lib")
        }
    };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", real_lib.display());

    if std::env::var_os("CARGO_FEATURE_CUDA").is_some() {
        // Rust links with --as-needed. Nothing in tch references a libtorch_cuda symbol, so the
        // linker silently drops it and torch then reports CUDA unavailable. Force it in.
        // libtorch_cuda's own dependencies (cuBLAS, cuDNN...) are only on the GPU machine,
        // hence --allow-shlib-undefined.
        println!("cargo:rustc-link-search=native={}", real_lib.display());
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
        println!("cargo:rustc-link-arg=-Wl,--allow-shlib-undefined");
    }
}
