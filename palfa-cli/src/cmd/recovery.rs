//! Printing what a search recovered of what was injected (the matching
//! rules are the library's, [`palfa_core::simulate::recovery`]).

pub use palfa_core::simulate::recovery::{compare, Recovered};

/// Prints `items` indented by `indent`; true when everything was found.
pub fn print(items: &[Recovered], indent: &str) -> bool {
    for it in items {
        match &it.found {
            Some(f) => println!("{indent}{}: found as {f}", it.injected),
            None => println!("{indent}{}: NOT found", it.injected),
        }
    }
    items.iter().all(|i| i.found.is_some())
}
