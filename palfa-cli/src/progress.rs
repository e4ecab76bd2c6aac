//! Progress bars for long work, drawn only on a terminal and never with --no-progress.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `total` steps named `what`; hidden when not on a terminal or when disabled.
pub fn bar(total: u64, what: &str, enabled: bool) -> ProgressBar {
    let pb = ProgressBar::new(total);
    if !enabled || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A survey's progress as bars (files arrived, beams searched, beams
/// uploaded), redrawn from the tracker by [`SurveyBars::update`]; hidden when
/// not on a terminal or when disabled, in which case a line is logged
/// whenever the counts change.
pub struct SurveyBars {
    multi: indicatif::MultiProgress,
    arrived: ProgressBar,
    searched: ProgressBar,
    uploaded: ProgressBar,
    drawn: bool,
    last: Option<palfa_tracker::site::SurveyProgress>,
}

impl SurveyBars {
    /// Bars whose totals grow with what the tracker knows.
    pub fn new(enabled: bool) -> Self {
        let drawn = enabled && std::io::stderr().is_terminal();
        let multi = indicatif::MultiProgress::new();
        if !drawn {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let style = ProgressStyle::with_template("{prefix:>18} [{bar:40}] {pos:>4}/{len:<4} {msg}")
            .expect("valid template")
            .progress_chars("=> ");
        let add = |name: &str| {
            let b = multi.add(ProgressBar::new(0));
            b.set_style(style.clone());
            b.set_prefix(name.to_string());
            b
        };
        let arrived = add("files arrived");
        let searched = add("beams searched");
        let uploaded = add("beams uploaded");
        Self {
            multi,
            arrived,
            searched,
            uploaded,
            drawn,
            last: None,
        }
    }

    /// Redraws from `p`.
    pub fn update(&mut self, p: &palfa_tracker::site::SurveyProgress) {
        if self.last.as_ref() == Some(p) {
            return;
        }
        self.arrived.set_length(p.files as u64);
        self.arrived.set_position(p.files_arrived as u64);
        self.arrived.set_message(format!(
            "{} restore request(s){}",
            p.requests,
            if p.files_failed > 0 {
                format!(", {} failed", p.files_failed)
            } else {
                String::new()
            }
        ));
        self.searched.set_length(p.beams as u64);
        self.searched.set_position(p.beams_searched as u64);
        self.searched.set_message(if p.beams_failed > 0 {
            format!("{} given up", p.beams_failed)
        } else {
            String::new()
        });
        self.uploaded.set_length(p.beams as u64);
        self.uploaded.set_position(p.beams_uploaded as u64);
        if !self.drawn {
            tracing::info!(
                requests = p.requests,
                files = p.files,
                arrived = p.files_arrived,
                beams = p.beams,
                searched = p.beams_searched,
                uploaded = p.beams_uploaded,
                failed = p.beams_failed + p.files_failed,
                "survey progress"
            );
        }
        self.last = Some(*p);
    }

    /// Removes the bars.
    pub fn finish(self) {
        for b in [&self.arrived, &self.searched, &self.uploaded] {
            b.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
