//! docs/states.md draws each table's life cycle; this test checks that the
//! drawings and the transition functions in the code are the same.

use std::collections::BTreeSet;

use palfa_tracker::states::{AttemptStatus, FileStatus, JobStatus, RequestStatus, Status, SubmitStatus};

/// `(from, to)` pairs of the Mermaid block under `## <table>`, without `[*]` lines.
fn documented(doc: &str, table: &str) -> BTreeSet<(String, String)> {
    let heading = format!("## {table}\n");
    let start = doc
        .find(&heading)
        .unwrap_or_else(|| panic!("docs/states.md has no section {table}"));
    let rest = &doc[start + heading.len()..];
    let block_start = rest.find("```mermaid").expect("a mermaid block") + "```mermaid".len();
    let block = &rest[block_start..];
    let block = &block[..block.find("```").expect("end of the block")];
    block
        .lines()
        .filter_map(|l| l.trim().split_once(" --> "))
        .filter(|(a, _)| *a != "[*]")
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .collect()
}

fn in_code<S: Status>() -> BTreeSet<(String, String)> {
    S::edges()
        .into_iter()
        .map(|(a, b)| (a.as_str().to_string(), b.as_str().to_string()))
        .collect()
}

fn compare<S: Status>(doc: &str) {
    let d = documented(doc, S::TABLE);
    let c = in_code::<S>();
    let only_doc: Vec<_> = d.difference(&c).collect();
    let only_code: Vec<_> = c.difference(&d).collect();
    assert!(
        only_doc.is_empty() && only_code.is_empty(),
        "{}: drawn but not in code {only_doc:?}; in code but not drawn {only_code:?}",
        S::TABLE
    );
}

#[test]
fn docs_match_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/states.md");
    let doc = std::fs::read_to_string(path).expect("docs/states.md");
    compare::<RequestStatus>(&doc);
    compare::<FileStatus>(&doc);
    compare::<AttemptStatus>(&doc);
    compare::<JobStatus>(&doc);
    compare::<SubmitStatus>(&doc);
}
