//! Typed extraction of keys from a parsed TOML document, collecting every problem.
//!
//! serde stops at the first error; an operator fixing a configuration wants all of
//! them at once. So each section is read key by key: a key with the wrong type,
//! out of range, or naming a missing directory records a [`ConfigProblem`] and the
//! default is used so that reading goes on. Keys nobody asked for are reported as
//! unknown (usually a typo).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::{ConfigProblem, Secret};

/// Collects the problems and warnings of one configuration file.
pub(crate) struct Ctx {
    pub file: PathBuf,
    pub base_dir: PathBuf,
    pub problems: Vec<ConfigProblem>,
    pub warnings: Vec<String>,
    /// Keys holding a non-empty secret in the file itself.
    pub secrets_in_file: Vec<String>,
    /// Every `section.key` the readers asked for (to check the example file).
    pub known_keys: Vec<String>,
    /// Whether a path that fails its check on this machine goes to
    /// `path_problems` instead of `problems`.
    pub defer_paths: bool,
    /// The deferred path problems.
    pub path_problems: Vec<ConfigProblem>,
}

impl Ctx {
    pub fn new(file: &Path, base_dir: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            base_dir: base_dir.to_path_buf(),
            problems: Vec::new(),
            warnings: Vec::new(),
            secrets_in_file: Vec::new(),
            known_keys: Vec::new(),
            defer_paths: false,
            path_problems: Vec::new(),
        }
    }

    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            file: self.file.clone(),
            key: key.to_string(),
            message: message.into(),
        });
    }
}

/// What a path key must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathKind {
    /// An existing, writable directory.
    WritableDir,
    /// A file that may not exist yet, in an existing writable directory.
    FileInWritableDir,
    /// An existing readable file.
    ReadableFile,
    /// An existing directory.
    ReadableDir,
}

/// One `[section]` being read.
pub(crate) struct Section<'a> {
    name: &'static str,
    table: Option<&'a Table>,
    used: BTreeSet<String>,
    pub ctx: &'a mut Ctx,
}

impl<'a> Section<'a> {
    pub fn new(doc: &'a Table, name: &'static str, ctx: &'a mut Ctx) -> Self {
        let table = match doc.get(name) {
            None => None,
            Some(Value::Table(t)) => Some(t),
            Some(other) => {
                ctx.problem(name, format!("must be a [{name}] table, found {}", type_name(other)));
                None
            }
        };
        Self {
            name,
            table,
            used: BTreeSet::new(),
            ctx,
        }
    }

    /// A sub-table `[section.sub]` read as its own section.
    pub fn sub_table(&mut self, sub: &'static str) -> Option<&'a Table> {
        self.used.insert(sub.to_string());
        match self.table?.get(sub) {
            None => None,
            Some(Value::Table(t)) => Some(t),
            Some(other) => {
                let key = self.key(sub);
                self.ctx
                    .problem(&key, format!("must be a table, found {}", type_name(other)));
                None
            }
        }
    }

    /// Builds a section over a sub-table (`name` is the dotted name).
    pub fn nested(table: Option<&'a Table>, name: &'static str, ctx: &'a mut Ctx) -> Self {
        Self {
            name,
            table,
            used: BTreeSet::new(),
            ctx,
        }
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.name)
    }

    fn raw(&mut self, key: &str) -> Option<&'a Value> {
        self.used.insert(key.to_string());
        let full = self.key(key);
        self.ctx.known_keys.push(full);
        self.table?.get(key)
    }

    /// Whether the file sets `key`.
    pub fn has(&self, key: &str) -> bool {
        self.table.is_some_and(|t| t.contains_key(key))
    }

    fn wrong_type(&mut self, key: &str, want: &str, v: &Value) {
        let k = self.key(key);
        self.ctx.problem(&k, format!("expected {want}, found {}", type_name(v)));
    }

    pub fn bool(&mut self, key: &str, default: bool) -> bool {
        match self.raw(key) {
            None => default,
            Some(Value::Boolean(b)) => *b,
            Some(v) => {
                self.wrong_type(key, "true or false", v);
                default
            }
        }
    }

    pub fn string(&mut self, key: &str, default: &str) -> String {
        match self.raw(key) {
            None => default.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => {
                self.wrong_type(key, "a string", v);
                default.to_string()
            }
        }
    }

    /// A string that must be one of `options`.
    pub fn choice(&mut self, key: &str, default: &str, options: &[&str]) -> String {
        let s = self.string(key, default);
        if options.contains(&s.as_str()) {
            s
        } else {
            let k = self.key(key);
            self.ctx
                .problem(&k, format!("{s:?} is not one of {}", options.join(", ")));
            default.to_string()
        }
    }

    /// A real number in `[min, max]` (integers are accepted).
    pub fn f64(&mut self, key: &str, default: f64, min: f64, max: f64) -> f64 {
        let v = match self.raw(key) {
            None => return default,
            Some(Value::Float(f)) => *f,
            Some(Value::Integer(i)) => *i as f64,
            Some(v) => {
                self.wrong_type(key, "a number", v);
                return default;
            }
        };
        if !(v >= min && v <= max) {
            let k = self.key(key);
            self.ctx.problem(&k, range_message(v, min, max));
            return default;
        }
        v
    }

    /// An integer in `[min, max]`.
    pub fn int(&mut self, key: &str, default: i64, min: i64, max: i64) -> i64 {
        let v = match self.raw(key) {
            None => return default,
            Some(Value::Integer(i)) => *i,
            Some(Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9e15 => *f as i64,
            Some(v) => {
                self.wrong_type(key, "an integer", v);
                return default;
            }
        };
        if v < min || v > max {
            let k = self.key(key);
            self.ctx.problem(&k, range_message(v as f64, min as f64, max as f64));
            return default;
        }
        v
    }

    /// A list of non-negative integers.
    pub fn usize_list(&mut self, key: &str) -> Vec<usize> {
        match self.raw(key) {
            None => Vec::new(),
            Some(Value::Array(a)) => {
                let mut out = Vec::new();
                for v in a {
                    match v {
                        Value::Integer(i) if *i >= 0 => out.push(*i as usize),
                        other => {
                            let k = self.key(key);
                            self.ctx.problem(
                                &k,
                                format!("list items must be non-negative integers, found {}", type_name(other)),
                            );
                        }
                    }
                }
                out
            }
            Some(v) => {
                self.wrong_type(key, "a list of integers", v);
                Vec::new()
            }
        }
    }

    /// A list of strings.
    pub fn string_list(&mut self, key: &str) -> Vec<String> {
        match self.raw(key) {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            Some(v) => {
                self.wrong_type(key, "a list of strings", v);
                Vec::new()
            }
        }
    }

    /// A path, resolved against the configuration file's directory and checked.
    /// An empty string with `optional` set means "not configured" and gives `None`.
    pub fn path(&mut self, key: &str, default: &str, kind: PathKind, optional: bool) -> Option<PathBuf> {
        let s = self.string(key, default);
        if s.trim().is_empty() {
            if !optional {
                let k = self.key(key);
                self.ctx.problem(&k, "missing: a path is required");
            }
            return None;
        }
        let p = expand(&s, &self.ctx.base_dir);
        let k = self.key(key);
        if let Err(msg) = check_path(&p, kind) {
            if self.ctx.defer_paths {
                self.ctx.path_problems.push(ConfigProblem {
                    file: self.ctx.file.clone(),
                    key: k,
                    message: format!("{}: {msg}", p.display()),
                });
            } else {
                self.ctx.problem(&k, format!("{}: {msg}", p.display()));
            }
        }
        Some(p)
    }

    /// A secret: from the environment variable `env` if set, else from the file.
    pub fn secret(&mut self, key: &str, env: &str) -> Secret {
        let from_file = self.string(key, "");
        if let Ok(v) = std::env::var(env) {
            return Secret::new(v);
        }
        if !from_file.is_empty() {
            let k = self.key(key);
            self.ctx.secrets_in_file.push(k);
        }
        Secret::new(from_file)
    }

    /// Reports keys of the section that nothing read.
    pub fn finish(self) {
        let Some(t) = self.table else { return };
        let unknown: Vec<String> = t.keys().filter(|k| !self.used.contains(*k)).cloned().collect();
        for k in unknown {
            let key = format!("{}.{k}", self.name);
            self.ctx
                .problem(&key, "unknown key (misspelt, or in the wrong section?)");
        }
    }
}

fn range_message(v: f64, min: f64, max: f64) -> String {
    if max >= 1e15 {
        format!("{v} is out of range: must be at least {min}")
    } else {
        format!("{v} is out of range: must be between {min} and {max}")
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a real number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// Expands a leading `~/` and makes relative paths relative to `base`.
pub(crate) fn expand(s: &str, base: &Path) -> PathBuf {
    let p = if let Some(rest) = s.strip_prefix("~/") {
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| PathBuf::from(s))
    } else {
        PathBuf::from(s)
    };
    if p.is_absolute() {
        p
    } else {
        base.join(p)
    }
}

/// Checks a path; the error says what is wrong.
pub(crate) fn check_path(p: &Path, kind: PathKind) -> Result<(), String> {
    match kind {
        PathKind::WritableDir => writable_dir(p),
        PathKind::FileInWritableDir => {
            if p.is_dir() {
                return Err("is a directory, not a file".into());
            }
            let parent = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            writable_dir(parent).map_err(|e| format!("its directory {}: {e}", parent.display()))
        }
        PathKind::ReadableFile => match std::fs::File::open(p) {
            Ok(_) if p.is_file() => Ok(()),
            Ok(_) => Err("is not a regular file".into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("does not exist".into()),
            Err(e) => Err(format!("cannot be read: {e}")),
        },
        PathKind::ReadableDir => {
            if p.is_dir() {
                std::fs::read_dir(p)
                    .map(|_| ())
                    .map_err(|e| format!("cannot be read: {e}"))
            } else if p.exists() {
                Err("is not a directory".into())
            } else {
                Err("does not exist".into())
            }
        }
    }
}

fn writable_dir(p: &Path) -> Result<(), String> {
    if !p.exists() {
        return Err("directory does not exist".into());
    }
    if !p.is_dir() {
        return Err("is not a directory".into());
    }
    // Permission bits lie for root and ACLs; a real file creation does not.
    let probe = p.join(format!(".palfa-write-test-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!("directory is not writable: {e}")),
    }
}
