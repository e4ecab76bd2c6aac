//! The observation header of `results.json`, from a beam's header.

use palfa_core::astro;
use palfa_core::formats::mock::MockName;
use palfa_core::formats::results::ObservationHeader;
use palfa_core::names::path_component;
use palfa_core::{BeamHeader, DataFormat};

/// The name of an observation: a Mock pair's merged name as pipeline2.0 wrote it
/// (`p2030.20120101.G45.07+00.11.b3.00100`), else the file's stem.
pub fn obs_name(h: &BeamHeader) -> String {
    if h.format == DataFormat::MockPair {
        if let Some(m) = h.files.first().and_then(|f| MockName::parse(f)) {
            let merged = m.merged_name();
            return path_component(merged.strip_suffix(".fits").unwrap_or(&merged));
        }
    }
    path_component(&h.basename())
}

/// Builds the `results.json` header.
pub fn observation_header(h: &BeamHeader) -> ObservationHeader {
    let (l, b) = astro::galactic(h.ra_deg, h.dec_deg);
    ObservationHeader {
        obs_name: obs_name(h),
        beam_id: h.beam_id,
        original_files: h
            .files
            .iter()
            .map(|f| {
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect(),
        file_size: h.file_size,
        source_name: h.source_name.clone(),
        telescope: h.telescope.clone(),
        backend: h.backend.clone(),
        project_id: h.project_id.clone(),
        observers: h.observer.clone(),
        timestamp_mjd: h.start_mjd,
        observation_time_s: h.duration_s(),
        sample_time_s: h.tsamp_s,
        num_samples: h.nsamples,
        center_freq_mhz: h.fctr_mhz(),
        channel_bandwidth_mhz: h.chan_bw_mhz,
        num_channels: h.nchans,
        bandwidth_mhz: h.bandwidth_mhz(),
        nbits: h.nbits,
        num_ifs: h.npol,
        right_ascension: h.ra_string(),
        declination: h.dec_string(),
        ra_deg: h.ra_deg,
        dec_deg: h.dec_deg,
        galactic_longitude: l,
        galactic_latitude: b,
    }
}
