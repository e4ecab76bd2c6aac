//! The PBS backend against recorded `qsub`/`qstat`/`qdel` outputs of Torque and
//! OpenPBS (tests/fixtures/pbs/; neither server is packaged for Debian). A fake
//! runner checks each command line in turn and answers with a fixture; the job
//! script is then run here, as a compute node would run it.

mod common;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::*;
use palfa_core::config::PbsSettings;
use palfa_tracker::queue::{
    parse_qstat_full, parse_qsub_output, CommandOutput, CommandRunner, JobRef, PbsQueue, QueueError, QueueManager,
    SubmitRequest, WorkerCommand,
};

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pbs")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// One expected command and its recorded answer.
struct Expect {
    program: &'static str,
    args_start: Vec<String>,
    out: CommandOutput,
}

/// Replays recorded outputs, checking that the commands come in the expected order.
#[derive(Clone, Default)]
struct Replay(Arc<Mutex<VecDeque<Expect>>>);

impl Replay {
    fn expect(&self, program: &'static str, args_start: &[&str], status: i32, stdout: &str, stderr: &str) {
        self.0.lock().unwrap().push_back(Expect {
            program,
            args_start: args_start.iter().map(|s| s.to_string()).collect(),
            out: CommandOutput {
                status: Some(status),
                stdout: stdout.into(),
                stderr: stderr.into(),
            },
        });
    }

    fn assert_done(&self) {
        assert!(self.0.lock().unwrap().is_empty(), "expected commands not run");
    }
}

impl CommandRunner for Replay {
    fn run(&self, program: &str, args: &[String]) -> Result<CommandOutput, QueueError> {
        let e = self
            .0
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected command {program} {args:?}"));
        assert_eq!(program, e.program, "args {args:?}");
        assert!(
            args.starts_with(&e.args_start),
            "{program}: expected args starting {:?}, got {args:?}",
            e.args_start
        );
        Ok(e.out)
    }
}

fn queue(dir: &Path, replay: &Replay, worker: &str) -> PbsQueue {
    let script = dir.join("worker.sh");
    write_script(&script, worker);
    PbsQueue::new(
        dir.join("qsublog"),
        PbsSettings {
            queue: "batch".into(),
            resources: "nodes=1:ppn=1,walltime=24:00:00".into(),
            extra_args: vec!["-m".into(), "n".into()],
            submit_grace_s: 120.0,
        },
        WorkerCommand {
            program: script,
            args: vec!["search".into()],
            env: vec![("PALFA_CONFIG".into(), "/etc/palfa.toml".into())],
        },
        Arc::new(replay.clone()),
    )
    .unwrap()
    .with_user(Some("palfa"))
}

/// Runs a submission's job script as a compute node would.
fn run_on_node(dir: &Path, token: &str, jobid: &str) {
    let st = std::process::Command::new("sh")
        .arg(dir.join("qsublog").join(token).join("job.sh"))
        .env("PBS_JOBID", jobid)
        .status()
        .unwrap();
    assert!(st.code().is_some());
}

#[test]
fn qstat_full_output_parses_with_continuation_lines() {
    let jobs = parse_qstat_full(&fixture("torque_qstat_f_all.txt"));
    assert_eq!(jobs.len(), 6);
    let j = &jobs[0];
    assert_eq!(j.id, "4183.pbs01.example.org");
    assert_eq!(j.name(), Some("palfa_12_1_3fa9c2"));
    assert_eq!(j.owner(), Some("palfa"));
    assert_eq!(j.state(), Some('R'));
    assert!(j.is_running() && !j.is_finished());
    assert_eq!(
        j.attr("Error_Path"),
        Some("login01.example.org:/data/palfa/qsublog/pbs/palfa_12_1_3fa9c2/pbs.err")
    );
    assert!(j
        .attr("Variable_List")
        .unwrap()
        .ends_with("PBS_O_SERVER=pbs01.example.org"));
    assert!(j
        .attr("submit_args")
        .unwrap()
        .contains("-l nodes=1:ppn=1,walltime=24:00:00 "));
    assert_eq!(jobs[4].exit_status(), Some(1));
    assert!(jobs[4].is_finished());

    let done = parse_qstat_full(&fixture("torque_qstat_f_completed.txt"));
    assert_eq!(done[0].exit_status(), Some(0));
    let pbs = parse_qstat_full(&fixture("openpbs_qstat_xf_finished.txt"));
    assert_eq!(pbs[0].state(), Some('F'));
    assert_eq!(pbs[0].exit_status(), Some(1), "OpenPBS writes Exit_status");
    assert_eq!(parse_qstat_full(""), vec![]);
}

#[test]
fn qsub_output_gives_the_job_id() {
    assert_eq!(
        parse_qsub_output(&fixture("torque_qsub.txt")).as_deref(),
        Some("4183.pbs01.example.org")
    );
    assert_eq!(
        parse_qsub_output(&fixture("openpbs_qsub.txt")).as_deref(),
        Some("1042.pbs-server")
    );
    assert_eq!(parse_qsub_output("qsub: submit error"), None);
    assert_eq!(parse_qsub_output(""), None);
}

#[test]
fn torque_job_runs_to_success() {
    let dir = tempfile::tempdir().unwrap();
    let replay = Replay::default();
    let q = queue(dir.path(), &replay, GOOD_WORKER);
    let token = "palfa_12_1_3fa9c2";
    let out = dir.path().join("results/beam");
    let files = [PathBuf::from("/dev/null")];
    replay.expect("qsub", &["-V", "-N", token, "-o"], 0, &fixture("torque_qsub.txt"), "");
    let qid = q
        .submit(&SubmitRequest {
            job_id: 12,
            token,
            files: &files,
            outdir: &out,
        })
        .unwrap();
    assert_eq!(qid, "4183.pbs01.example.org");
    let args = q.qsub_args(token, &dir.path().join("qsublog").join(token));
    for want in ["-q", "batch", "-l", "nodes=1:ppn=1,walltime=24:00:00", "-m", "n"] {
        assert!(args.iter().any(|a| a == want), "{want} in {args:?}");
    }
    let job = JobRef { queue_id: &qid, token };

    replay.expect("qstat", &["-f", &qid], 0, &fixture("torque_qstat_f_running.txt"), "");
    assert!(q.is_running(job).unwrap());
    run_on_node(dir.path(), token, &qid);
    replay.expect("qstat", &["-f", &qid], 0, &fixture("torque_qstat_f_completed.txt"), "");
    assert!(!q.is_running(job).unwrap());
    assert!(!q.had_errors(job).unwrap());
    assert_eq!(q.get_errors(job).unwrap(), "");
    assert!(out.join("results.json").is_file());
    // Later the server forgets the job.
    replay.expect("qstat", &["-f", &qid], 153, "", &fixture("torque_qstat_unknown.stderr"));
    assert!(!q.is_running(job).unwrap());
    // The token finds the job in the queue, or in the job id its script recorded.
    replay.expect("qstat", &["-f"], 0, &fixture("torque_qstat_f_all.txt"), "");
    assert_eq!(q.lookup(token).unwrap().as_deref(), Some("4183.pbs01.example.org"));
    replay.expect("qstat", &["-f"], 0, "", "");
    assert_eq!(q.lookup(token).unwrap().as_deref(), Some("4183.pbs01.example.org"));
    replay.expect("qstat", &["-f"], 0, "", "");
    assert_eq!(q.lookup("palfa_99_1_abcdef").unwrap(), None);
    replay.assert_done();
}

#[test]
fn openpbs_job_fails_and_its_errors_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let replay = Replay::default();
    let q = queue(dir.path(), &replay, BAD_WORKER);
    let token = "palfa_7_2_b81d04";
    let files = [PathBuf::from("/data/beam.fits")];
    replay.expect("qsub", &["-V", "-N", token], 0, &fixture("openpbs_qsub.txt"), "");
    let qid = q
        .submit(&SubmitRequest {
            job_id: 7,
            token,
            files: &files,
            outdir: &dir.path().join("out"),
        })
        .unwrap();
    let job = JobRef { queue_id: &qid, token };
    replay.expect("qstat", &["-f", &qid], 0, &fixture("openpbs_qstat_f_queued.txt"), "");
    assert!(q.is_running(job).unwrap());
    run_on_node(dir.path(), token, &qid);
    replay.expect(
        "qstat",
        &["-f", &qid],
        35,
        "",
        &fixture("openpbs_qstat_finished.stderr"),
    );
    assert!(!q.is_running(job).unwrap());
    assert!(q.had_errors(job).unwrap());
    replay.expect(
        "qstat",
        &["-f", &qid],
        35,
        "",
        &fixture("openpbs_qstat_finished.stderr"),
    );
    let err = q.get_errors(job).unwrap();
    assert!(err.contains("exited with status 3") && err.contains("boom"), "{err}");
    // Deleting a finished job is not an error.
    replay.expect("qdel", &[&qid], 35, "", &fixture("openpbs_qdel_finished.stderr"));
    q.delete(job).unwrap();
    replay.assert_done();
}

#[test]
fn status_counts_only_this_users_palfa_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let replay = Replay::default();
    let q = queue(dir.path(), &replay, GOOD_WORKER);
    replay.expect("qstat", &["-f"], 0, &fixture("torque_qstat_f_all.txt"), "");
    let st = q.status().unwrap();
    // Running: 4183 (R). Queued: 4184 (Q), 4187 (H). Not counted: another
    // user's job, a job that is not palfa's, a completed job.
    assert_eq!((st.running, st.queued), (1, 2));
    replay.assert_done();
}

#[test]
fn server_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let replay = Replay::default();
    let q = queue(dir.path(), &replay, GOOD_WORKER);
    replay.expect("qsub", &["-V"], 1, "", &fixture("torque_qsub_refused.stderr"));
    let files = [PathBuf::from("/data/x.fil")];
    let e = q
        .submit(&SubmitRequest {
            job_id: 1,
            token: "palfa_1_1_aaaaaa",
            files: &files,
            outdir: dir.path(),
        })
        .unwrap_err();
    assert!(
        matches!(&e, QueueError::Refused { stderr, .. } if stderr.contains("Bad UID")) && e.is_certain_refusal(),
        "{e}"
    );
    replay.expect("qstat", &["-f", "5.pbs01"], 2, "", &fixture("torque_qstat_down.stderr"));
    let e = q
        .is_running(JobRef {
            queue_id: "5.pbs01",
            token: "palfa_1_1_aaaaaa",
        })
        .unwrap_err();
    assert!(e.to_string().contains("Connection refused"), "{e}");
    replay.expect("qstat", &["-f"], 2, "", &fixture("torque_qstat_down.stderr"));
    assert!(q.can_submit().is_err());
    replay.assert_done();
}

#[test]
fn a_qsub_answer_lost_on_the_way_is_not_a_refusal() {
    // qsub may have queued the job before the connection broke: the pooler
    // must ask the server for the token before it submits the job again.
    for (n, stderr) in [
        "qsub: End of File\n",
        "qsub: cannot connect to server pbs01 (errno=111) Connection refused\n",
        "pbs_iff: cannot read reply from pbs_server\nNo Permission.\nqsub: cannot connect to server pbs01 (errno=15007) Unauthorized Request\n",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        let replay = Replay::default();
        let q = queue(dir.path(), &replay, GOOD_WORKER);
        replay.expect("qsub", &["-V"], 1, "", stderr);
        let files = [PathBuf::from("/data/x.fil")];
        let token = format!("palfa_1_{}_aaaaaa", n + 1);
        let e = q
            .submit(&SubmitRequest {
                job_id: 1,
                token: &token,
                files: &files,
                outdir: dir.path(),
            })
            .unwrap_err();
        assert!(!e.is_certain_refusal(), "{stderr:?} taken for a refusal: {e}");
        replay.assert_done();
    }
}
