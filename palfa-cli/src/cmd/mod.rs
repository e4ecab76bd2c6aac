//! One module per subcommand (or group of subcommands).

pub mod config;
pub mod inspect;
pub mod rfifind;
pub mod simulate;
