//! One module per subcommand (or group of subcommands).

pub mod accelsearch;
pub mod add_files;
pub mod archive;
pub mod bench;
pub mod check;
pub mod config;
pub mod db;
pub mod dedisperse;
pub mod demo;
pub mod downloader;
pub mod email;
pub mod inspect;
pub mod jobpool;
pub mod jobs;
pub mod prepfold;
pub mod recovery;
pub mod resultsdb;
pub mod rfifind;
pub mod run;
pub mod search;
pub mod setup;
pub mod sift;
pub mod simulate;
pub mod singlepulse;
pub mod status;
pub mod uploader;
