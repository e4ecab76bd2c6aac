//! One module per subcommand (or group of subcommands).

pub mod config;
pub mod inspect;
pub mod simulate;
pub mod db;
pub mod jobpool;
pub mod add_files;
pub mod jobs;
pub mod setup;
pub mod status;
