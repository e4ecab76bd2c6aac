//! How a results directory was made (`results.json`'s `provenance`): palfa's
//! version and commit, the effective configuration and its hash, the SHA-256
//! of every input file, the machine, and when.

use std::path::{Path, PathBuf};

use palfa_core::config::Searching;
use palfa_core::formats::results::{HostInfo, InputFile, Provenance};
use sha2::{Digest, Sha256};

use crate::error::{SearchError, SearchResult};

/// Size of the blocks an input file is hashed in \[bytes\].
const BLOCK: usize = 1 << 20;

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The size and SHA-256 (hex) of a file, read in 1-MiB blocks (a beam can be
/// many GB).
pub fn hash_file(path: &Path) -> SearchResult<(u64, String)> {
    let f = std::fs::File::open(path).map_err(|e| SearchError::io(path, e))?;
    let mut h = Sha256::new();
    let size = std::io::copy(&mut std::io::BufReader::with_capacity(BLOCK, f), &mut h)
        .map_err(|e| SearchError::io(path, e))?;
    Ok((size, hex(&h.finalize())))
}

/// The absolute form of a path (symbolic links resolved where it exists).
pub fn absolute_path(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

/// Each input file's absolute path, size and SHA-256, in order.
pub fn hash_inputs(files: &[PathBuf]) -> SearchResult<Vec<InputFile>> {
    files
        .iter()
        .map(|f| {
            let (size, sha256) = hash_file(f)?;
            Ok(InputFile {
                path: absolute_path(f).to_string_lossy().into_owned(),
                size,
                sha256,
            })
        })
        .collect()
}

/// This machine: host name, CPU model (`unknown` where `/proc/cpuinfo` does
/// not say), the threads of rayon's pool, and the OS and architecture.
pub fn host_info() -> HostInfo {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    HostInfo {
        hostname,
        cpu_model: cpu_model().unwrap_or_else(|| "unknown".into()),
        threads: rayon::current_num_threads(),
        os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

/// The CPU's model name from `/proc/cpuinfo` (`None` where it does not say).
pub fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The recorded configuration of a search and its SHA-256:
/// [`Searching::provenance_toml`] (every key but the machine's scratch
/// directory).
pub fn config_record(s: &Searching) -> (String, String) {
    let text = s.provenance_toml();
    let sha = sha256_hex(text.as_bytes());
    (text, sha)
}

/// The provenance of a search of `inputs` with `s`, begun at `started_at`
/// and finished at `finished_at` (RFC 3339, UTC).
pub fn provenance(s: &Searching, inputs: Vec<InputFile>, started_at: String, finished_at: String) -> Provenance {
    let (config_toml, config_sha256) = config_record(s);
    Provenance {
        palfa_version: palfa_core::build::PALFA_VERSION.to_string(),
        git_commit: palfa_core::build::GIT_COMMIT.to_string(),
        config_sha256,
        config_toml,
        inputs,
        host: host_info(),
        started_at,
        finished_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_hash_matches_a_one_shot_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        // Over two blocks, not a multiple of one.
        let data: Vec<u8> = (0..(2 * BLOCK + 12345)).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let (size, sha) = hash_file(&p).unwrap();
        assert_eq!(size, data.len() as u64);
        assert_eq!(sha, sha256_hex(&data));
        // The SHA-256 of "abc" (FIPS 180-2).
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let inputs = hash_inputs(std::slice::from_ref(&p)).unwrap();
        assert!(Path::new(&inputs[0].path).is_absolute());
        assert!(hash_file(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn provenance_records_config_build_and_host() {
        let s = Searching::default();
        let p = provenance(&s, Vec::new(), "a".into(), "b".into());
        assert_eq!(p.config_sha256, sha256_hex(p.config_toml.as_bytes()));
        assert_eq!(Searching::from_toml(&p.config_toml).unwrap(), s);
        assert_eq!(p.palfa_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(p.git_commit, palfa_core::build::GIT_COMMIT);
        assert!(p.host.threads >= 1);
        assert!(!p.host.hostname.is_empty() && !p.host.cpu_model.is_empty());
        assert!(p.host.os.starts_with(std::env::consts::OS));
        // Scratch directories do not change the hash.
        let t = Searching {
            base_tmp_dir: Some(std::env::temp_dir()),
            ..s
        };
        assert_eq!(config_record(&t).1, p.config_sha256);
    }
}
