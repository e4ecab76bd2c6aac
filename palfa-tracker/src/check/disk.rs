//! `disk`: the download, results and log directories exist and are
//! writable, and the download directory has room.

use palfa_core::config::Config;

use super::{probe_writable, Verdict};
use crate::download::budget::fs_available;
use crate::download::bytes as human;

pub(crate) fn check(cfg: &Config) -> Verdict {
    let d = &cfg.download;
    let dirs = [
        ("download.temp", &d.temp),
        (
            "jobpooler.base_results_directory",
            &cfg.jobpooler.base_results_directory,
        ),
        ("basic.log_dir", &cfg.basic.log_dir),
    ];
    let mut details = Vec::new();
    for (key, dir) in dirs {
        if !dir.is_dir() {
            return Verdict::fail(
                format!("{key} = {} does not exist (or is not a directory)", dir.display()),
                format!("mkdir -p {} (or set {key})", dir.display()),
            );
        }
        if let Err(why) = probe_writable(dir) {
            return Verdict::fail(
                format!("{key} is not writable: {why}"),
                format!(
                    "make {} writable by the user that runs the daemons (or set {key})",
                    dir.display()
                ),
            );
        }
        details.push(format!("{key} = {}: writable", dir.display()));
    }
    match fs_available(&d.temp) {
        None => details.push(format!("cannot read the free space of {}", d.temp.display())),
        Some(avail) => {
            details.push(format!(
                "{} free on download.temp; download.space_to_use = {}, download.min_free_space = {}",
                human(avail),
                human(d.space_to_use),
                human(d.min_free_space)
            ));
            if avail <= d.min_free_space {
                return Verdict::fail_with(
                    format!(
                        "only {} is free on download.temp, not more than download.min_free_space ({}): the \
                         downloader will download nothing",
                        human(avail),
                        human(d.min_free_space)
                    ),
                    format!(
                        "free space on {}'s file system, or lower download.min_free_space",
                        d.temp.display()
                    ),
                    details,
                );
            }
            let room = avail - d.min_free_space;
            if room < d.file_size_estimate {
                return Verdict::fail_with(
                    format!(
                        "{} is left above download.min_free_space, less than one beam (download.file_size_estimate = {})",
                        human(room),
                        human(d.file_size_estimate)
                    ),
                    format!("free space on {}'s file system, or lower download.min_free_space", d.temp.display()),
                    details,
                );
            }
            if d.space_to_use > room {
                details.push(format!(
                    "note: download.space_to_use is more than the {} left above min_free_space: the downloader \
                     will stop at min_free_space first",
                    human(room)
                ));
            }
        }
    }
    let free = fs_available(&d.temp).map_or("unknown".to_string(), human);
    details.insert(
        0,
        format!("download, results and log directories writable; {free} free on download.temp"),
    );
    Verdict::Pass(details)
}
