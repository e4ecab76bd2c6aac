//! Ratings of folded candidates (the `rate` stage after folding): numbers
//! computed from a fold cube that say how much it looks like a pulsar and
//! how much like RFI or noise, following the meanings of PALFA's
//! Ratings2.0 raters. Every rating has a name, a version and a formula in
//! `docs/ratings.md`; they work on any `.pfd`, PRESTO's included.
//!
//! ```no_run
//! use palfa_core::formats::presto::Pfd;
//! use palfa_search::rate::{rate_pfd, RateConfig};
//! let pfd = Pfd::read("cand.pfd")?;
//! for r in rate_pfd(&pfd, &RateConfig::default()) {
//!     println!("{} v{}: {:?}", r.name, r.version, r.value);
//! }
//! # Ok::<(), palfa_core::error::FormatError>(())
//! ```

pub mod evaluate;
mod gauss;
mod raters;
pub mod score;
pub mod train;
mod views;

use std::borrow::Cow;

use palfa_core::config::KnownParams;
use palfa_core::formats::presto::Pfd;
pub use palfa_core::formats::results::Rating;

pub use gauss::{fit_many, fit_one, Component, GaussFit, ADD_COMPONENT_P, MAX_COMPONENTS};
pub use raters::RATERS;

use crate::fold::FoldResult;
use crate::known::Catalogue;
use views::FoldViews;

/// What the raters need to know besides the fold.
#[derive(Debug, Clone, PartialEq)]
pub struct RateConfig {
    /// Frequency of the mains power where the telescope is \[Hz\] (60 at
    /// Arecibo, 50 in Europe, Australia, China…).
    pub mains_hz: f64,
    /// The catalogue and matching rules of the `known_pulsar` rating
    /// (`docs/known-pulsars.md`); `None`: not rated.
    pub known: Option<(KnownParams, Cow<'static, Catalogue>)>,
}

impl Default for RateConfig {
    /// Arecibo's 60-Hz mains; known pulsars from the built-in catalogue.
    fn default() -> Self {
        Self::new(60.0)
    }
}

impl RateConfig {
    /// Mains at `mains_hz`, known pulsars from the built-in catalogue with
    /// the default matching rules.
    pub fn new(mains_hz: f64) -> Self {
        Self {
            mains_hz,
            known: Some((KnownParams::default(), Cow::Borrowed(Catalogue::builtin()))),
        }
    }
}

/// A rater's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaterInfo {
    /// Its name.
    pub name: &'static str,
    /// Its version.
    pub version: u32,
    /// What its value means, in one sentence.
    pub meaning: &'static str,
}

/// Rates a fold read from a `.pfd` (palfa's or PRESTO's): one [`Rating`]
/// per rater of [`RATERS`], in that order, then the `score` of the built-in
/// model ([`score::builtin_model`]).
pub fn rate_pfd(pfd: &Pfd, cfg: &RateConfig) -> Vec<Rating> {
    let views = FoldViews::new(pfd);
    with_score(raters::rate(pfd, &views, cfg), &views)
}

/// Rates a fold just made (its summary is reused), as [`rate_pfd`].
pub fn rate_fold(fold: &FoldResult, cfg: &RateConfig) -> Vec<Rating> {
    let views = FoldViews::with_summary(&fold.pfd, fold.summary.clone());
    with_score(raters::rate(&fold.pfd, &views, cfg), &views)
}

fn with_score(mut ratings: Vec<Rating>, views: &FoldViews) -> Vec<Rating> {
    let s = score::score_rating(&ratings, views.summary.sigma, score::builtin_model());
    ratings.push(s);
    ratings
}

/// The value of rating `name` in `ratings`.
pub fn value_of(ratings: &[Rating], name: &str) -> Option<f64> {
    ratings.iter().find(|r| r.name == name).and_then(|r| r.value)
}
