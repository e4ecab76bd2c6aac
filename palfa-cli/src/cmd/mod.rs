//! One module per subcommand (or group of subcommands).

pub mod accelsearch;
pub mod config;
pub mod inspect;
pub mod simulate;
