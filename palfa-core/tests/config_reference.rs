//! `docs/config.md` against the configuration reader: every key the reader
//! knows is documented, every documented key is known, each documented
//! default is a value of the documented type, and setting a key to its
//! documented default gives the same configuration as leaving it out.

use std::collections::BTreeSet;
use std::path::Path;

use palfa_core::config::{Config, DEFAULT_DIRS, DEFAULT_FILE, SECTIONS};

const DOC: &str = include_str!("../../docs/config.md");

/// One documented key.
#[derive(Debug)]
struct DocKey {
    /// `section.key` (`jobpooler.slurm.time` for a sub-table).
    full: String,
    /// The section, `jobpooler.slurm` for a sub-table.
    section: String,
    /// The key in its section.
    key: String,
    /// The type column.
    ty: String,
    /// The default, as TOML.
    default: String,
    /// Line in the page.
    line: usize,
}

/// The keys of the tables under the `## `[section]`` headings: rows
/// `| `key` | type | `default` | unit | meaning |`.
fn documented() -> Vec<DocKey> {
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    for (i, line) in DOC.lines().enumerate() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h
                .trim()
                .strip_prefix("`[")
                .and_then(|s| s.strip_suffix("]`"))
                .map(str::to_string);
            continue;
        }
        let Some(section) = &section else { continue };
        let Some(row) = line.strip_prefix('|') else { continue };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // Five cells and the empty one after the closing `|`.
        if cells.len() != 6 || cells[0] == "key" || cells[0].starts_with("---") {
            continue;
        }
        let key = cells[0]
            .strip_prefix('`')
            .and_then(|s| s.strip_suffix('`'))
            .unwrap_or_else(|| panic!("docs/config.md:{}: the key {:?} is not in backticks", i + 1, cells[0]));
        let default = cells[2]
            .strip_prefix('`')
            .and_then(|s| s.strip_suffix('`'))
            .unwrap_or_else(|| {
                panic!(
                    "docs/config.md:{}: the default {:?} is not a TOML value in backticks",
                    i + 1,
                    cells[2]
                )
            });
        out.push(DocKey {
            full: format!("{section}.{key}"),
            section: section.clone(),
            key: key.to_string(),
            ty: cells[1].to_string(),
            default: default.to_string(),
            line: i + 1,
        });
    }
    out
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in DEFAULT_DIRS {
        std::fs::create_dir(dir.path().join(d)).unwrap();
    }
    dir
}

fn parse(dir: &Path, text: &str) -> Config {
    Config::parse(text, &dir.join(DEFAULT_FILE), dir).unwrap_or_else(|e| panic!("{text}\n{e}"))
}

#[test]
fn every_key_the_reader_knows_is_documented_and_no_other() {
    let doc = documented();
    let known: BTreeSet<String> = Config::known_keys().into_iter().collect();
    assert!(known.len() > 100, "the reader knows only {} keys?", known.len());
    let mut seen = BTreeSet::new();
    for k in &doc {
        assert!(
            seen.insert(k.full.clone()),
            "docs/config.md:{}: {} is documented twice",
            k.line,
            k.full
        );
    }
    let missing: Vec<&String> = known.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "keys the reader knows but docs/config.md does not document: {missing:?}"
    );
    let unknown: Vec<&String> = seen.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "keys docs/config.md documents but the reader does not know: {unknown:?}"
    );
    // Every section has its heading.
    for s in SECTIONS {
        assert!(
            DOC.contains(&format!("## `[{s}]`")),
            "docs/config.md has no `[{s}]` section"
        );
    }
}

#[test]
fn documented_defaults_have_the_documented_types() {
    for k in documented() {
        let table: toml::Table = format!("v = {}", k.default)
            .parse()
            .unwrap_or_else(|e| panic!("docs/config.md:{}: default of {} is not TOML: {e}", k.line, k.full));
        let v = &table["v"];
        let ok = match k.ty.as_str() {
            "string" | "choice" | "path" | "password" => v.is_str(),
            "integer" => v.is_integer(),
            "real" => v.is_float(),
            "boolean" => v.is_bool(),
            "list of strings" => v.as_array().is_some_and(|a| a.iter().all(|x| x.is_str())),
            "list of integers" => v.as_array().is_some_and(|a| a.iter().all(|x| x.is_integer())),
            other => panic!("docs/config.md:{}: unknown type {other:?} for {}", k.line, k.full),
        };
        assert!(
            ok,
            "docs/config.md:{}: default {} of {} is not a {}",
            k.line, k.default, k.full, k.ty
        );
    }
}

#[test]
fn documented_defaults_are_the_readers_defaults() {
    let dir = setup();
    let dir = dir.path();
    for k in documented() {
        // A queue's sub-table matters only when that queue is chosen.
        let prefix = match k.section.strip_prefix("jobpooler.") {
            Some(queue) => format!("[jobpooler]\nqueue_manager = \"{queue}\"\n"),
            None => String::new(),
        };
        let baseline = parse(dir, &prefix);
        let text = format!("{prefix}[{}]\n{} = {}\n", k.section, k.key, k.default);
        let with_default = parse(dir, &text);
        assert!(
            with_default == baseline,
            "docs/config.md:{}: {} = {} is not the reader's default",
            k.line,
            k.full,
            k.default
        );
    }
}

#[test]
fn a_wrong_documented_default_would_be_caught() {
    // The check above compares whole configurations: a value that is not the
    // default must give a different one.
    let dir = setup();
    let dir = dir.path();
    assert_ne!(parse(dir, "[jobpooler]\nmax_jobs_running = 3\n"), parse(dir, ""));
    assert_ne!(
        parse(
            dir,
            "[jobpooler]\nqueue_manager = \"slurm\"\n[jobpooler.slurm]\nmem = \"8G\"\n"
        ),
        parse(dir, "[jobpooler]\nqueue_manager = \"slurm\"\n")
    );
}
