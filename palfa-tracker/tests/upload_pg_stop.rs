//! The PostgreSQL server stopped (`pg_ctl stop -m immediate`, a crash) in the
//! middle of an upload's transaction, right after the candidates went in:
//! the results database has no row of the beam once it is back, the tracker
//! is unchanged, and the next iteration uploads the beam. Needs
//! `.ci/services/postgres.sh` (`PALFA_TEST_PG=1`, `PALFA_TEST_PG_CTL`); a
//! binary of its own, because it stops the server other tests use.

mod common;
mod upload_support;

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;

use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::upload::{UploadSettings, Uploader};

use common::Recorder;
use upload_support::*;

/// Starts the server again, also if the test fails half-way.
struct Restart(String);

impl Drop for Restart {
    fn drop(&mut self) {
        let _ = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{} status >/dev/null 2>&1 || {} start >/dev/null",
                self.0, self.0
            ))
            .status();
    }
}

#[test]
fn server_stopped_mid_transaction_leaves_no_row_and_the_beam_is_retried() {
    let Some((conn, user, pw)) = pg_login() else { return };
    let pg_ctl = std::env::var("PALFA_TEST_PG_CTL").expect("PALFA_TEST_PG_CTL (set by .ci/services/postgres.sh)");
    let backend = fresh_pg_database(&conn, &user, &pw, "palfa_up_stop");
    let mut check = backend.created();
    drop(check);
    let s = processed_survey(1, "");
    let t = s.tracker();
    let sub = processed_submits(&t)[0].clone();
    let notes = Recorder::default();
    let _restart = Restart(pg_ctl.clone());
    let open = FaultyStore::opener(
        backend.clone(),
        Fault::ShellAt(
            "INSERT INTO candidate_files",
            1,
            format!("{pg_ctl} stop -m immediate >/dev/null"),
        ),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut u = Uploader::new(
        s.tracker(),
        open,
        Box::new(notes.clone()),
        UploadSettings::from_config(&s.cfg),
    );
    let stop = AtomicBool::new(false);
    let rep = u.iterate(&stop).unwrap();
    assert_eq!((rep.uploaded, rep.store_errors, rep.pending), (0, 1, 1), "{rep:?}");
    assert_eq!(t.job(sub.job_id).unwrap().status, JobStatus::Processed);
    assert_eq!(t.submit(sub.id).unwrap().status, SubmitStatus::Processed);
    // While the server is down: nothing changes, the beam waits.
    let rep = u.iterate(&stop).unwrap();
    assert_eq!((rep.uploaded, rep.store_errors), (0, 1), "{rep:?}");
    // Back up: no row of the beam survived the crash.
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{pg_ctl} start >/dev/null"))
        .status()
        .unwrap();
    assert!(st.success());
    check = backend.open().unwrap();
    let counts = all_counts(check.as_mut());
    assert!(
        counts.iter().all(|c| c.1 == 0),
        "rows left by the dead transaction: {counts:?}"
    );
    // The next iteration reconnects and uploads it.
    let rep = u.iterate(&stop).unwrap();
    assert_eq!(rep.uploaded, 1, "{rep:?}");
    assert_eq!(t.job(sub.job_id).unwrap().status, JobStatus::Uploaded);
    assert_eq!(count(check.as_mut(), "headers"), 1);
    assert_eq!(count(check.as_mut(), "candidate_files"), 9);
    assert!(notes.events().is_empty(), "{:?}", notes.events());
}
