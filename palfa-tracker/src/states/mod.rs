//! The states of every tracked object and the legal moves between them.
//!
//! Each table's `status` column holds one of the enums here, written as its
//! lower-case name. The legal transitions are written once, in each enum's
//! `allowed` match, and drawn in `docs/states.md` (a test checks that the two
//! agree). [`check`] turns an illegal move into an [`IllegalTransition`] error;
//! the database layer calls it inside the transaction that makes the change, so
//! a state is never overwritten silently.
//!
//! ```
//! use palfa_tracker::states::{check, JobStatus, Status};
//! assert!(check(JobStatus::New, JobStatus::Submitted).is_ok());
//! let err = check(JobStatus::Uploaded, JobStatus::Submitted).unwrap_err();
//! assert_eq!(err.to_string(), "jobs: illegal transition uploaded -> submitted");
//! assert!(JobStatus::TerminalFailure.is_final());
//! ```

mod download;
mod processing;

pub use download::{AttemptStatus, FileStatus, RequestStatus};
pub use processing::{JobStatus, SubmitStatus};

/// A table's status enum.
pub trait Status: Copy + Eq + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static {
    /// The table whose `status` column holds it.
    const TABLE: &'static str;
    /// Every state, in the order of the life cycle.
    const ALL: &'static [Self];

    /// The name stored in the database.
    fn as_str(self) -> &'static str;

    /// Whether `self -> to` is a legal transition.
    fn allowed(self, to: Self) -> bool;

    /// Parses a stored name.
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }

    /// Whether no transition leaves this state.
    fn is_final(self) -> bool {
        Self::ALL.iter().all(|&to| !self.allowed(to))
    }

    /// Every legal transition, as `(from, to)` pairs.
    fn edges() -> Vec<(Self, Self)> {
        let mut v = Vec::new();
        for &a in Self::ALL {
            for &b in Self::ALL {
                if a.allowed(b) {
                    v.push((a, b));
                }
            }
        }
        v
    }
}

/// A state change that the life cycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table}: illegal transition {from} -> {to}")]
pub struct IllegalTransition {
    /// The table.
    pub table: &'static str,
    /// The current state.
    pub from: &'static str,
    /// The state asked for.
    pub to: &'static str,
}

/// Checks that `from -> to` is legal.
pub fn check<S: Status>(from: S, to: S) -> Result<(), IllegalTransition> {
    if from.allowed(to) {
        Ok(())
    } else {
        Err(IllegalTransition {
            table: S::TABLE,
            from: from.as_str(),
            to: to.as_str(),
        })
    }
}

/// Defines a status enum: its variants with their stored names, `Display`,
/// `FromStr`, serde as the stored name, and [`Status`] with the given
/// transition function.
macro_rules! status_enum {
    (
        $(#[$meta:meta])*
        $name:ident, table = $table:literal, allowed = $allowed:path,
        { $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $crate::states::Status for $name {
            const TABLE: &'static str = $table;
            const ALL: &'static [Self] = &[ $( $name::$variant, )+ ];
            fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }
            fn allowed(self, to: Self) -> bool {
                $allowed(self, to)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::states::Status::as_str(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::states::UnknownState;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::states::Status>::parse(s).ok_or_else(|| $crate::states::UnknownState {
                    table: $table,
                    value: s.to_string(),
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
                s.serialize_str($crate::states::Status::as_str(*self))
            }
        }
    };
}
pub(crate) use status_enum;

/// A stored status that is not one of the table's states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table}: unknown status {value:?}")]
pub struct UnknownState {
    /// The table.
    pub table: &'static str,
    /// What was stored.
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_state_reachable_and_named<S: Status>() {
        let edges = S::edges();
        for (i, &s) in S::ALL.iter().enumerate() {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert!(!s.allowed(s), "{}: {s} -> {s} must not be legal", S::TABLE);
            if i > 0 {
                assert!(edges.iter().any(|&(_, b)| b == s), "{}: nothing leads to {s}", S::TABLE);
            }
        }
    }

    #[test]
    fn every_table_is_consistent() {
        every_state_reachable_and_named::<RequestStatus>();
        every_state_reachable_and_named::<FileStatus>();
        every_state_reachable_and_named::<AttemptStatus>();
        every_state_reachable_and_named::<JobStatus>();
        every_state_reachable_and_named::<SubmitStatus>();
    }

    #[test]
    fn illegal_is_an_error() {
        let e = check(SubmitStatus::Processed, SubmitStatus::Running).unwrap_err();
        assert_eq!(e.table, "job_submits");
        assert_eq!(e.from, "processed");
        assert!("bogus".parse::<JobStatus>().is_err());
        assert_eq!("retrying".parse::<JobStatus>().unwrap(), JobStatus::Retrying);
    }
}
