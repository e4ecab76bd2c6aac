//! The `palfa` command-line tool.
fn main() {}
