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
