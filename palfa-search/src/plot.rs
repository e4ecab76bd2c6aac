//! Shared plotting set-up: a bundled font, so plots render their text on a
//! machine with no system fonts.
//!
//! plotters' `ab_glyph` backend draws only fonts registered with it. palfa
//! bundles DejaVu Sans (Bitstream Vera licence, `assets/fonts/`) and registers it
//! under the family name [`FONT`] once per process; every plot uses that family.

use std::path::Path;
use std::sync::Once;

use plotters::style::FontStyle;

use crate::error::SearchError;

/// The font family every palfa plot uses.
pub const FONT: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the bundled font with plotters (idempotent, thread-safe).
pub fn init_fonts() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType font shipped with the crate.
        if plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_err() {
            tracing::warn!("could not register the bundled font; plot text may be missing");
        }
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, DEJAVU_SANS);
        let _ = plotters::style::register_font(FONT, FontStyle::Italic, DEJAVU_SANS);
        let _ = plotters::style::register_font(FONT, FontStyle::Oblique, DEJAVU_SANS);
    });
}

/// Turns any plotting error into a [`SearchError::Plot`] naming the image.
pub fn plot_err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> SearchError + '_ {
    move |e| SearchError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    #[test]
    fn text_renders_with_the_bundled_font() {
        init_fonts();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.png");
        {
            let root = BitMapBackend::new(&path, (200, 60)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            root.draw_text("palfa 123", &(FONT, 30).into_font().color(&BLACK), (5, 10))
                .unwrap();
            root.present().unwrap();
        }
        // Some pixels must be dark: the text was drawn.
        let img = std::fs::read(&path).unwrap();
        assert!(img.len() > 100);
        let mut buf = vec![0u8; 200 * 60 * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (200, 60)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            root.draw_text("palfa 123", &(FONT, 30).into_font().color(&BLACK), (5, 10))
                .unwrap();
            root.present().unwrap();
        }
        let dark = buf.chunks(3).filter(|p| p[0] < 128).count();
        assert!(dark > 100, "only {dark} dark pixels: text did not render");
    }
}
