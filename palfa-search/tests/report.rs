//! The HTML report of a results directory (`palfa_search::report`): every
//! candidate and section is there, everything from `results.json` is escaped,
//! images are the directory's own files by relative paths (unsafe ones
//! skipped), and the page names nothing outside the directory.

use std::path::Path;

use palfa_core::formats::results::{
    CandidateSearch, HostInfo, InputFile, KnownPosition, KnownPulsar, PeriodicityCandidate, Provenance, Rating,
    SearchResults, SearchStatus, SinglePulseGroup, StageTiming,
};
use palfa_search::report::{escape, href, render_report, write_report, write_report_for_dir, REPORT_FILE};

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'quoted'";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really a picture";

fn candidate(n: u32, period_s: f64, dm: f64, sigma: f64, plot: &str) -> PeriodicityCandidate {
    PeriodicityCandidate {
        cand_num: n,
        period_s,
        frequency_hz: 1.0 / period_s,
        pdot: 1e-15,
        fdot_hz_s: -1e-12,
        dm,
        presto_sigma: sigma - 1.0,
        sifting_sigma: sigma - 0.5,
        prepfold_sigma: sigma,
        reduced_chi2: 3.5,
        snr: 20.0,
        coherent_power: 100.0,
        incoherent_power: 90.0,
        num_hits: 12,
        num_harmonics: 8,
        z: 2.0,
        accel_m_s2: 0.25,
        sifting_period_s: period_s,
        sifting_dm: dm,
        impulsive: false,
        search: CandidateSearch::Accel,
        pulse_width_s: None,
        plot_file: plot.into(),
        pfd_file: format!("cand{n}.pfd"),
        bestprof_file: format!("cand{n}.pfd.bestprof"),
        ratings: Vec::new(),
        known_pulsar: None,
    }
}

fn known(name: &str, bname: Option<&str>, n: u32, m: u32, position: KnownPosition) -> KnownPulsar {
    KnownPulsar {
        name: name.into(),
        bname: bname.map(Into::into),
        harmonic_n: n,
        harmonic_m: m,
        psr_period_s: 0.001_557_8,
        psr_dm: 71.0,
        period_diff_s: 1e-9,
        dm_diff: 0.3,
        separation_deg: 0.02,
        position,
    }
}

/// Results with three candidates (a known pulsar at its second harmonic, a
/// far-sidelobe one with a hostile plot name, an impulsive FFA one whose plot
/// path leaves the directory), single pulses, provenance, and hostile strings
/// wherever results.json holds text.
fn results() -> SearchResults {
    let mut r = SearchResults::example();
    r.header.obs_name = format!("p2030.20120101.G45.07+00.11.b3.00100 {HOSTILE}");
    r.header.source_name = HOSTILE.into();
    r.header.original_files = vec!["a.fits".into(), format!("{HOSTILE}.fits")];
    r.version = "palfa:0.1.0".into();
    r.num_dm_trials = 1234;
    r.diagnostics.rfi_mask_percentage = 12.345;
    r.diagnostics.num_cands_produced = 4321;
    r.diagnostics.num_cands_folded = 3;
    r.diagnostics.rfifind_png = "rfi.png".into();
    r.diagnostics.periodicity_summary_png = "sift/summary plot.png".into();
    r.diagnostics.rejected_cands_png = "../outside.png".into();
    r.diagnostics.sifting_summary = "beam.accelcands.summary".into();

    let mut c1 = candidate(1, 0.003_115_6, 71.2, 45.5, "cand1.png");
    c1.ratings = vec![
        Rating {
            name: "duty_cycle".into(),
            version: 1,
            value: Some(0.05),
        },
        Rating {
            name: "score".into(),
            version: 3,
            value: Some(0.987_6),
        },
        Rating {
            name: HOSTILE.into(),
            version: 2,
            value: None,
        },
    ];
    c1.known_pulsar = Some(known("J1939+2134", Some("B1937+21"), 2, 1, KnownPosition::Main));
    let mut c2 = candidate(2, 0.253_06, 15.0, 12.25, "x\" onerror=\"alert(1).png");
    c2.known_pulsar = Some(known("J1935+1616", None, 1, 1, KnownPosition::FarSidelobe));
    let mut c3 = candidate(3, 2.345, 40.0, 8.0, "/etc/passwd");
    c3.impulsive = true;
    c3.search = CandidateSearch::Ffa;
    c3.pulse_width_s = Some(0.02);
    r.candidates = vec![c1, c2, c3];

    r.single_pulses.threshold = 5.0;
    r.single_pulses.num_events = 77;
    r.single_pulses.plots = vec!["sp/beam_DMs0-110_singlepulse.png".into(), "sp/../../x.png".into()];
    r.single_pulses.groups = vec![SinglePulseGroup {
        dm: 56.5,
        time_s: 12.3456,
        sigma: 9.87,
        downfact: 4,
        num_events: 23,
        dm_range: (52.0, 61.0),
    }];
    r.timing = vec![
        StageTiming {
            stage: "dedispersion".into(),
            seconds: 1.5,
            cpu_seconds: None,
            peak_rss_mib: None,
        },
        StageTiming {
            stage: HOSTILE.into(),
            seconds: 0.25,
            cpu_seconds: None,
            peak_rss_mib: None,
        },
        StageTiming {
            stage: "total".into(),
            seconds: 4.0,
            cpu_seconds: None,
            peak_rss_mib: None,
        },
    ];
    r.provenance = Some(Provenance {
        palfa_version: "0.1.0".into(),
        git_commit: "0123456789abcdef0123456789abcdef01234567-dirty".into(),
        config_sha256: "c0ffee".repeat(10),
        config_toml: format!("[searching]\nlow_dm = 0.0\nnote = \"</pre>{HOSTILE}\"\n"),
        inputs: vec![InputFile {
            path: format!("/data/{HOSTILE}.fits"),
            size: 123_456_789,
            sha256: "ab".repeat(32),
        }],
        host: HostInfo {
            hostname: "worker-07".into(),
            cpu_model: "Test CPU @ 3 GHz".into(),
            threads: 16,
            os: "linux x86_64".into(),
        },
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:10:00Z".into(),
    });
    r
}

/// Every value of `attr="…"` in the page.
fn attr_values<'a>(page: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find(&pat) {
        let tail = &rest[i + pat.len()..];
        let end = tail.find('"').expect("attribute closed");
        out.push(&tail[..end]);
        rest = &tail[end..];
    }
    out
}

#[test]
fn escape_neutralises_markup() {
    assert_eq!(
        escape(HOSTILE),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"
    );
    assert_eq!(escape("&amp;"), "&amp;amp;");
    assert_eq!(escape("plain 1.5 µs"), "plain 1.5 µs");
    assert_eq!(href("a/b c.png").as_deref(), Some("a/b%20c.png"));
    assert_eq!(href("../a.png"), None);
    assert_eq!(href("/a.png"), None);
}

#[test]
fn the_page_shows_everything_escaped() {
    let page = render_report(&results());
    // Exactly the page's own two scripts; no hostile markup got through.
    assert_eq!(page.matches("<script>").count(), 2, "{page}");
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("</pre><script"));
    assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"));
    assert!(page.contains("<title>p2030.20120101.G45.07+00.11.b3.00100 &lt;script&gt;"));
    // Every candidate, with its tags.
    for n in 1..=3 {
        assert!(page.contains(&format!("<tr data-cand=\"{n}\"")), "candidate {n}");
        assert!(page.contains(&format!("<template id=\"detail-{n}\">")), "candidate {n}");
    }
    assert!(page.contains(">J1939+2134 (B1937+21) 2/1</span>"));
    assert!(page.contains(">J1935+1616 1/1 far sidelobe</span>"));
    assert!(page.contains("class=\"tag known far\""));
    assert!(page.contains("<span class=\"tag imp\">impulsive</span>"));
    assert!(page.contains("data-known=\"1\" data-impulsive=\"0\""));
    assert!(page.contains("<td class=\"t\">ffa</td>"));
    // Period in ms, the score rating, exact values to sort by.
    assert!(page.contains("<td data-v=\"0.0031156\">3.115600</td>"));
    assert!(page.contains("<td data-v=\"0.9876\">0.988</td>"));
    assert!(page.contains("<td data-v=\"45.5\">45.50</td>"));
    assert!(page.contains("<th data-key=\"prepfold_sigma\" data-type=\"num\""));
    // Ratings in the fold details, a missing value as a dash.
    assert!(page.contains("<tr class=\"score\"><td class=\"t\">score</td><td>3</td><td>0.9876</td></tr>"));
    assert!(page.contains("<td class=\"t\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;</td><td>2</td><td>—</td>"));
    // Diagnostics, single pulses, provenance.
    assert!(page.contains("12.35 %"));
    assert!(page.contains(">4321<"));
    assert!(page.contains(">1234<"));
    assert!(page.contains("<td data-v=\"56.5\">56.50</td>"));
    assert!(page.contains("52.00–61.00"));
    assert!(page.contains("0123456789abcdef0123456789abcdef01234567-dirty"));
    assert!(page.contains(&"c0ffee".repeat(10)));
    assert!(page.contains(&"ab".repeat(32)));
    assert!(page.contains("worker-07"));
    assert!(page.contains("note = &quot;&lt;/pre&gt;&lt;script&gt;"));
    assert!(page.contains("<details><summary>Configuration"));
    assert!(page.contains("<td class=\"t\">dedispersion</td><td>1.50</td>"));
}

#[test]
fn images_are_relative_inside_the_directory_and_nothing_is_external() {
    let page = render_report(&results());
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "an external URL"
    );
    let srcs = attr_values(&page, "src");
    let hrefs = attr_values(&page, "href");
    let plots = attr_values(&page, "data-plot");
    for u in srcs.iter().chain(&hrefs).chain(&plots) {
        assert!(!u.contains("://") && !u.starts_with('/') && !u.contains(".."), "{u}");
        assert!(!u.contains(':') && !u.contains(' ') && !u.contains('<'), "{u}");
    }
    assert!(srcs.contains(&"rfi.png"), "{srcs:?}");
    assert!(srcs.contains(&"sift/summary%20plot.png"), "{srcs:?}");
    assert!(srcs.contains(&"sp/beam_DMs0-110_singlepulse.png"), "{srcs:?}");
    assert!(plots.contains(&"cand1.png"), "{plots:?}");
    assert!(plots.contains(&"x%22%20onerror%3D%22alert%281%29.png"), "{plots:?}");
    // The unsafe ones: not used, said so.
    assert!(
        plots.contains(&""),
        "candidate 3's plot leaves the directory: {plots:?}"
    );
    assert!(!page.contains("src=\"/etc/passwd\"") && !page.contains("href=\"/etc/passwd\""));
    assert!(page.contains("rejected candidates not shown: its path ../outside.png leaves the results directory"));
    assert!(page.contains("sp/../../x.png leaves the results directory"));
    // In-page links are fragments; files are the directory's.
    assert!(
        hrefs.contains(&"#candidates") && hrefs.contains(&"results.json"),
        "{hrefs:?}"
    );
    assert!(
        hrefs.contains(&"cand1.pfd") && hrefs.contains(&"beam.accelcands.summary"),
        "{hrefs:?}"
    );
}

#[test]
fn written_atomically_beside_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut r = results();
    // A directory that read_dir accepts: only safe paths, every file present.
    r.diagnostics.rejected_cands_png.clear();
    r.single_pulses.plots.truncate(1);
    r.candidates[1].plot_file = "cand2.png".into();
    r.candidates[2].plot_file = "cand3.png".into();
    std::fs::create_dir_all(d.join("sift")).unwrap();
    std::fs::create_dir_all(d.join("sp")).unwrap();
    for f in r.referenced_files() {
        std::fs::write(d.join(f), PNG).unwrap();
    }
    r.record_file_sizes(d).unwrap();
    r.write_dir(d).unwrap();

    let path = write_report_for_dir(d).unwrap();
    assert_eq!(path, d.join(REPORT_FILE));
    assert!(!d.join("report.html.tmp").exists());
    let page = std::fs::read_to_string(&path).unwrap();
    assert_eq!(page, render_report(&SearchResults::read_dir(d).unwrap()));
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    // Every image the page shows is there.
    for u in attr_values(&page, "src")
        .into_iter()
        .chain(attr_values(&page, "data-plot"))
    {
        if !u.is_empty() {
            let file = u.replace("%20", " ");
            assert!(d.join(&file).is_file(), "{file}");
        }
    }
    // Written again (palfa report after palfa search): replaced; the results still read.
    write_report(d, &r).unwrap();
    SearchResults::read_dir(d).unwrap();

    // A directory without results.json: the error names it.
    let empty = tempfile::tempdir().unwrap();
    let e = write_report_for_dir(empty.path()).unwrap_err().to_string();
    assert!(e.contains(&empty.path().display().to_string()), "{e}");
    assert!(!Path::new(&empty.path().join(REPORT_FILE)).exists());
}

#[test]
fn a_skipped_beam_gets_a_short_page() {
    let mut r = SearchResults::example();
    r.status = SearchStatus::SkippedTooShort {
        duration_s: 12.5,
        min_s: 100.0,
    };
    let page = render_report(&r);
    assert!(page.contains("Not searched"));
    assert!(page.contains("The beam is 12.5 s long"));
    assert!(page.contains("= 100.0 s"));
    assert!(!page.contains("id=\"cands\"") && !page.contains("<dialog"));
    assert!(page.contains("id=\"observation\"") && page.contains("id=\"provenance\""));
    assert!(page.contains("carry no provenance record"));

    // Searched, nothing folded.
    let page = render_report(&SearchResults::example());
    assert!(page.contains("No candidate was folded."));
    assert!(!page.contains("id=\"cands\""));
}
