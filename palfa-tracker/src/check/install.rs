//! `install`: this palfa's version, commit, features and threads.

use palfa_core::config::Config;

use super::Verdict;
use crate::resultsdb::build;

pub(crate) fn check(cfg: &Config) -> Verdict {
    let mut d = vec![
        format!("palfa {} (commit {})", build::PALFA_VERSION, build::GIT_COMMIT),
        format!(
            "version string stored with results: {}",
            build::effective_version_num(&cfg.upload)
        ),
    ];
    let mut features = vec!["TLS (rustls) for FTPS and SMTP"];
    if cfg!(feature = "odbc") {
        features.push("ODBC results database");
    }
    if cfg!(feature = "archive-server") {
        features.push("archive serve");
    }
    d.push(format!("built in: {}", features.join(", ")));
    if !cfg!(feature = "odbc") {
        d.push("no ODBC: only an SQLite results database can be used".into());
    }
    d.push(format!("CPU features: {}", cpu_features()));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if cfg.processing.num_threads == 0 {
        format!("{cores} (processing.num_threads = 0: every core)")
    } else {
        format!(
            "{} (processing.num_threads; {cores} cores here)",
            cfg.processing.num_threads
        )
    };
    d.push(format!("search threads: {threads}"));
    if build::GIT_COMMIT == "unknown" {
        d.push("the commit is unknown (built without git): set PALFA_BUILD_COMMIT when building".into());
    }
    Verdict::Pass(d)
}

#[cfg(target_arch = "x86_64")]
fn cpu_features() -> String {
    let mut f = Vec::new();
    if std::arch::is_x86_feature_detected!("sse4.2") {
        f.push("sse4.2");
    }
    if std::arch::is_x86_feature_detected!("avx") {
        f.push("avx");
    }
    if std::arch::is_x86_feature_detected!("avx2") {
        f.push("avx2");
    }
    if std::arch::is_x86_feature_detected!("fma") {
        f.push("fma");
    }
    if std::arch::is_x86_feature_detected!("avx512f") {
        f.push("avx512f");
    }
    if f.is_empty() {
        "x86_64 baseline".into()
    } else {
        format!("x86_64 with {}", f.join(", "))
    }
}

#[cfg(target_arch = "aarch64")]
fn cpu_features() -> String {
    "aarch64 (NEON)".into()
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn cpu_features() -> String {
    std::env::consts::ARCH.to_string()
}
