//! The operators' utilities: `palfa add-files`, `palfa jobs stop`, `palfa jobs kill`.

mod add_files;
mod kill;
mod stop;

pub use add_files::{add_files, check_data_file, AddReport};
pub use kill::{kill_jobs, KillOutcome};
pub use stop::{settle_stop, stop_submissions, StopAs, StopOutcome};
