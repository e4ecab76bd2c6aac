//! A write transaction, and the one place where statuses change.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::clock;
use crate::error::{Result, TrackerError};
use crate::states::{check, Status};

/// Longest note kept in a row's history, in bytes (longer ones keep their end).
pub const MAX_NOTE_BYTES: usize = 16 * 1024;

/// An open write transaction (see [`Tracker::transaction`](super::Tracker::transaction)).
///
/// Every status change made through it is checked against the life cycle in
/// [`states`](crate::states), stamps `updated_at`, and appends a line
/// `<time> <from> -> <to>: <note>` to the row's `details`.
pub struct Tx<'a> {
    tx: &'a Transaction<'a>,
}

impl<'a> Tx<'a> {
    pub(crate) fn new(tx: &'a Transaction<'a>) -> Self {
        Self { tx }
    }

    /// The underlying connection (crate-internal queries and inserts).
    pub(crate) fn sql(&self) -> &rusqlite::Connection {
        self.tx
    }

    /// The current status of row `id` of `S`'s table.
    pub fn status<S: Status>(&self, id: i64) -> Result<S> {
        let sql = format!("SELECT status FROM {} WHERE id = ?1", S::TABLE);
        let s: Option<String> = self.tx.query_row(&sql, [id], |r| r.get(0)).optional()?;
        let s = s.ok_or(TrackerError::NotFound { table: S::TABLE, id })?;
        S::parse(&s).ok_or_else(|| TrackerError::UnknownState {
            id,
            source: crate::states::UnknownState {
                table: S::TABLE,
                value: s,
            },
        })
    }

    /// Moves row `id` to `to`, whatever its current state, if that move is
    /// legal; returns the state it left. An illegal move is an error and
    /// changes nothing.
    pub fn set_status<S: Status>(&self, id: i64, to: S, note: &str) -> Result<S> {
        let from = self.status::<S>(id)?;
        check(from, to).map_err(|source| TrackerError::Illegal { id, source })?;
        self.write_status(id, from, to, note)?;
        Ok(from)
    }

    /// Moves row `id` from `from` to `to`. Returns `false`, changing nothing,
    /// if the row is no longer in `from` (another process moved it first).
    pub fn set_status_from<S: Status>(&self, id: i64, from: S, to: S, note: &str) -> Result<bool> {
        check(from, to).map_err(|source| TrackerError::Illegal { id, source })?;
        if self.status::<S>(id)? != from {
            return Ok(false);
        }
        self.write_status(id, from, to, note)?;
        Ok(true)
    }

    /// Appends a line to row `id`'s history without changing its status.
    pub fn note<S: Status>(&self, id: i64, note: &str) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET details = details || ?1, updated_at = ?2 WHERE id = ?3",
            S::TABLE
        );
        let now = clock::now();
        let n = self
            .tx
            .execute(&sql, params![history_line(&now, "note", note), now, id])?;
        if n == 0 {
            return Err(TrackerError::NotFound { table: S::TABLE, id });
        }
        Ok(())
    }

    fn write_status<S: Status>(&self, id: i64, from: S, to: S, note: &str) -> Result<()> {
        let now = clock::now();
        let line = history_line(&now, &format!("{from} -> {to}"), note);
        let sql = format!(
            "UPDATE {} SET status = ?1, updated_at = ?2, details = details || ?3 WHERE id = ?4",
            S::TABLE
        );
        self.tx.execute(&sql, params![to.as_str(), now, line, id])?;
        if S::TABLE == "files" && to.as_str() == "downloaded" {
            self.tx
                .execute("UPDATE files SET downloaded_at = ?1 WHERE id = ?2", params![now, id])?;
        }
        tracing::debug!(table = S::TABLE, id, %from, %to, "{note}");
        Ok(())
    }
}

/// One history line: `<time> <change>: <note>`, later lines of the note indented.
pub(crate) fn history_line(now: &str, change: &str, note: &str) -> String {
    let note = clip(note.trim_end(), MAX_NOTE_BYTES);
    let mut s = format!("{now} {change}");
    if !note.is_empty() {
        s.push_str(": ");
        s.push_str(&note.replace('\n', "\n    "));
    }
    s.push('\n');
    s
}

/// The note of the last entry of a history (`details`), its later lines
/// un-indented; empty if there is none.
pub fn last_note(details: &str) -> String {
    let mut entry: Vec<&str> = Vec::new();
    for line in details.lines() {
        match line.strip_prefix("    ") {
            Some(cont) if !entry.is_empty() => entry.push(cont),
            _ => entry = vec![line],
        }
    }
    let Some(first) = entry.first() else {
        return String::new();
    };
    // `<time> <change>: <note>`: keep the note.
    let head = first.split_once(": ").map_or("", |(_, n)| n);
    std::iter::once(head)
        .chain(entry[1..].iter().copied())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The last `max` bytes of `text` (on a character boundary), marked if cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("[… {start} bytes cut …]\n{}", &text[start..])
}

#[cfg(test)]
mod tests {
    #[test]
    fn history_lines_and_last_note() {
        let mut d = super::history_line("T1", "created as new", "made");
        d.push_str(&super::history_line("T2", "running -> failed", "exit 3\nboom: x\n"));
        assert_eq!(
            d,
            "T1 created as new: made\nT2 running -> failed: exit 3\n    boom: x\n"
        );
        assert_eq!(super::last_note(&d), "exit 3\nboom: x");
        assert_eq!(super::last_note(""), "");
        let cut = super::clip("abcdef", 3);
        assert!(cut.ends_with("\ndef") && cut.contains("3 bytes cut"), "{cut}");
    }
}
