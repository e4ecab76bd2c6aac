//! Dedispersion through an RFI mask: masked channels must not put steps into
//! the dedispersed series.
//!
//! A masked channel is replaced by one level per rfifind interval. When the
//! channel scaling was measured across an interval boundary, the tiny step
//! between two such levels used to be normalised to unit variance and blew up
//! into steps of tens of sigma at every interval boundary (found on a
//! PALFA-size beam, where intervals are 32 000 spectra and the scaling window
//! is 32 768). Masked channels are now dropped.

use palfa_core::beam::open_beam;
use palfa_core::config::RfiParams;
use palfa_core::simulate::{simulate, RfiSpec, SimParams};
use palfa_search::dedisp::{dedisperse_brute, ChannelScaling, DedispConfig, SCALING_SPECTRA};
use palfa_search::rfi::{find_rfi, MaskedSource};

#[test]
fn masked_bad_channels_leave_no_steps_in_dedispersed_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("beam.fil");
    let tsamp = 100e-6;
    let p = SimParams {
        nchans: 128,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 2.52,
        tsamp_s: tsamp,
        nsamples: 300_000,
        nbits: 8,
        rfi: RfiSpec {
            bad_channels: vec![10, 11, 70, 100],
            bad_channel_noise: 10.0,
            ..RfiSpec::default()
        },
        ..SimParams::default()
    };
    simulate(&p, &path, &|_, _| {}).unwrap();

    // Intervals shorter than the scaling window, not dividing it.
    let rp = RfiParams {
        chunk_time_s: 2.0,
        ..RfiParams::default()
    };
    let mut beam = open_beam(&[path]).unwrap();
    let rfi = find_rfi(beam.as_mut(), &rp, &|_, _| {}).unwrap();
    let ptsperint = rfi.mask.ptsperint;
    assert!(ptsperint < SCALING_SPECTRA && !SCALING_SPECTRA.is_multiple_of(ptsperint));
    for c in [10, 11, 70, 100] {
        assert!(
            (0..rfi.mask.numint).all(|i| rfi.mask.is_masked(i, c)),
            "bad channel {c} not masked"
        );
    }

    let mut src = MaskedSource::from_result(beam, &rfi).unwrap();
    let scaling = ChannelScaling::measure(&mut src).unwrap();
    let series = dedisperse_brute(
        &mut src,
        &[0.0, 60.0],
        1,
        &scaling,
        &DedispConfig::default(),
        &|_, _| {},
    )
    .unwrap();
    for s in &series {
        // Means of whole intervals: on noise each has spread sqrt(nchan_used / ptsperint);
        // a step between intervals of even 1 sigma per channel would be far beyond it.
        let n = s
            .info
            .onoff
            .first()
            .map_or(s.data.len(), |&(_, b)| b as usize + 1)
            .min(s.data.len());
        let means: Vec<f64> = s.data[..n]
            .chunks_exact(ptsperint)
            .map(|b| b.iter().map(|&v| f64::from(v)).sum::<f64>() / b.len() as f64)
            .collect();
        assert!(means.len() >= 3);
        let sd = (124.0 / ptsperint as f64).sqrt();
        for (i, m) in means.iter().enumerate() {
            assert!(
                m.abs() < 6.0 * sd,
                "DM {}: interval {i} mean {m:.3} (noise {sd:.3})",
                s.info.dm
            );
        }
    }
}
