//! Refuses, with the reason, a build that enables AVX-512 for the whole crate
//! (`-C target-cpu=native` on an AVX-512 machine, or `-C
//! target-feature=+avx512f`).
//!
//! The search picks its AVX-512 kernels at run time (`multiversion`), so a
//! portable build is as fast on such a machine. Where the build itself
//! enables AVX-512, `multiversion` also compiles its fallback copy of each
//! kernel with the AVX-512 branch, and the intrinsics there are unsafe to
//! call outside a `#[target_feature]` function, which this crate (no
//! `unsafe` code) cannot do: the compiler would stop with dozens of E0133
//! errors that do not say why.

fn main() {
    println!("cargo:rerun-if-env-changed=CARGO_CFG_TARGET_FEATURE");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if features.split(',').any(|f| f == "avx512f") {
        eprintln!(
            "error: palfa-search cannot be built with AVX-512 enabled for the whole crate \
             (RUSTFLAGS with -C target-cpu=native or +avx512f). It chooses its AVX-512 \
             kernels at run time, so a build without those flags is as fast on this machine."
        );
        std::process::exit(1);
    }
}
