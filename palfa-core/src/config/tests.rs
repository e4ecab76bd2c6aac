use super::*;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in DEFAULT_DIRS {
        std::fs::create_dir(dir.path().join(d)).unwrap();
    }
    dir
}

fn load(dir: &Path, text: &str) -> Result<Config, ConfigError> {
    let path = dir.join("palfa.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path)
}

#[test]
fn empty_file_gives_palfa_defaults() {
    let dir = setup();
    let cfg = load(dir.path(), "").unwrap();
    assert_eq!(cfg.searching.lo_accel.numharm, 16);
    assert_eq!(cfg.searching.hi_accel.zmax, 50);
    assert_eq!(cfg.searching.sifting.sigma_threshold, 5.0);
    assert_eq!(cfg.jobpooler.queue_manager, QueueManagerKind::Local);
    assert_eq!(cfg.jobpooler.max_jobs_queue, 1);
    assert!(cfg.basic.log_dir.ends_with("logs"));
    assert!(cfg.basic.log_dir.is_absolute());
    assert!(cfg.warnings.is_empty());
}

#[test]
fn every_problem_is_reported_with_file_and_key() {
    let dir = setup();
    let text = r#"
[basic]
log_dir = "no/such/dir"
delete_rawdata = "yes"

[jobpooler]
max_jobs_queue = 0
max_attempts = "two"
queue_manager = "condor"
max_jobs_runing = 3

[email]
enabled = true

[searching]
lo_accel_numharm = 3
sifting_short_period = 20.0

[nonsense]
x = 1
"#;
    let err = load(dir.path(), text).unwrap_err();
    let ConfigError::Invalid { problems } = &err else {
        panic!("expected Invalid, got {err}")
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    for want in [
        "basic.log_dir",
        "basic.delete_rawdata",
        "jobpooler.max_jobs_queue",
        "jobpooler.max_attempts",
        "jobpooler.queue_manager",
        "jobpooler.max_jobs_runing",
        "email.recipient",
        "email.sender",
        "searching.lo_accel_numharm",
        "searching.sifting_short_period",
        "nonsense",
    ] {
        assert!(keys.contains(&want), "{want} not reported; got {keys:?}");
    }
    assert!(problems.iter().all(|p| p.file.ends_with("palfa.toml")));
    let text = err.to_string();
    assert!(text.contains("does not exist"), "{text}");
    assert!(text.contains("expected an integer, found a string"), "{text}");
    assert!(text.contains("0 is out of range: must be between 1 and"), "{text}");
    assert!(text.contains("unknown key"), "{text}");
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let dir = setup();
    let err = load(dir.path(), "[basic\nx = 1\n").unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { .. }));
    assert!(err.to_string().contains("palfa.toml"));
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn unwritable_directory_is_a_problem() {
    let dir = setup();
    // A regular file where a directory is wanted.
    std::fs::write(dir.path().join("afile"), "x").unwrap();
    let err = load(dir.path(), "[jobpooler]\nbase_results_directory = \"afile\"\n").unwrap_err();
    assert!(err.to_string().contains("is not a directory"), "{err}");
}

#[test]
fn secrets_stay_out_of_debug_and_warn_when_readable() {
    let dir = setup();
    let text = "[commondb]\nbackend = \"odbc\"\nodbc_connection_string = \"Driver={PostgreSQL};Server=localhost\"\npassword = \"s3cr3t-value\"\n";
    let path = dir.path().join("palfa.toml");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let cfg = Config::load(&path).unwrap();
    assert_eq!(cfg.commondb.password.expose(), "s3cr3t-value");
    let dbg = format!("{cfg:?}");
    assert!(!dbg.contains("s3cr3t-value"), "secret leaked into Debug output");
    #[cfg(unix)]
    {
        assert_eq!(cfg.warnings.len(), 1, "{:?}", cfg.warnings);
        assert!(cfg.warnings[0].contains("commondb.password"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Config::load(&path).unwrap().warnings.is_empty());
    }
}

#[test]
fn secrets_come_from_the_environment() {
    let dir = setup();
    // A variable name only this test uses, so parallel tests are not disturbed.
    std::env::set_var("PALFA_SMTP_PASSWORD", "from-env");
    let cfg = load(dir.path(), "[email]\nsmtp_password = \"in-file\"\n").unwrap();
    std::env::remove_var("PALFA_SMTP_PASSWORD");
    assert_eq!(cfg.email.smtp_password.expose(), "from-env");
}

#[test]
fn the_example_file_is_valid_and_complete() {
    let dir = setup();
    let example = include_str!("../../../palfa.example.toml");
    let cfg = load(dir.path(), example).unwrap_or_else(|e| panic!("palfa.example.toml: {e}"));
    // The example documents the defaults, so it must load to exactly the defaults.
    let defaults = load(dir.path(), "").unwrap();
    assert_eq!(cfg.searching, defaults.searching);
    assert_eq!(cfg.jobpooler, defaults.jobpooler);
    // Every key the readers know appears in the example, in its section.
    let (_, known) = Config::parse_with("", &dir.path().join("x.toml"), dir.path());
    let doc: toml::Table = example.parse().unwrap();
    for key in known {
        let mut table = &doc;
        let parts: Vec<&str> = key.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            table = table
                .get(*p)
                .and_then(|v| v.as_table())
                .unwrap_or_else(|| panic!("[{p}] missing for {key}"));
        }
        let last = parts[parts.len() - 1];
        assert!(
            table.contains_key(last) || example.contains(&format!("# {last} =")),
            "{key} is not documented in palfa.example.toml"
        );
    }
}

#[test]
fn defaults_in_creates_a_working_setup() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::defaults_in(dir.path()).unwrap();
    assert!(cfg.download.temp.is_dir());
    assert!(cfg.jobpooler.base_results_directory.is_dir());
}

#[test]
fn defaults_are_what_an_empty_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::defaults_in(dir.path()).unwrap();
    assert_eq!(cfg.searching, Searching::default());
    assert_eq!(cfg.jobpooler.max_jobs_running, JobPooler::default().max_jobs_running);
    assert_eq!(
        JobPooler {
            base_results_directory: cfg.jobpooler.base_results_directory.clone(),
            ..JobPooler::default()
        },
        cfg.jobpooler
    );
    assert_eq!(cfg.email, Email::default());
    assert_eq!(cfg.upload, Upload::default());
    assert_eq!(cfg.basic.survey, Basic::default().survey);
    assert_eq!(cfg.download.space_to_use, Download::default().space_to_use);
    assert_eq!(cfg.processing.num_threads, Processing::default().num_threads);
    let slurm = load(dir.path(), "[jobpooler]\nqueue_manager = \"slurm\"\n").unwrap();
    assert_eq!(
        slurm.jobpooler.queue_manager,
        QueueManagerKind::Slurm(SlurmSettings::default())
    );
    let pbs = load(dir.path(), "[jobpooler]\nqueue_manager = \"pbs\"\n").unwrap();
    assert_eq!(
        pbs.jobpooler.queue_manager,
        QueueManagerKind::Pbs(PbsSettings::default())
    );
}

#[test]
fn builtin_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::builtin();
    assert!(cfg.source.is_none() && cfg.warnings.is_empty());
    assert_eq!(cfg.searching, Searching::default());
    assert_eq!(cfg.processing.base_working_directory, std::env::temp_dir());
    assert_eq!(cfg.basic.log_dir, std::path::PathBuf::from(DEFAULT_LOG_DIR));
    // A named file is loaded, never replaced by the built-in configuration.
    let missing = dir.path().join("absent.toml");
    assert!(Config::load_or_builtin(Some(&missing)).is_err());
    let path = dir.path().join("palfa.toml");
    for d in DEFAULT_DIRS {
        std::fs::create_dir(dir.path().join(d)).unwrap();
    }
    std::fs::write(&path, "[searching]\nmax_dm = 500\n").unwrap();
    let cfg = Config::load_or_builtin(Some(&path)).unwrap();
    assert_eq!(cfg.searching.dedisp.max_dm, 500.0);
}
