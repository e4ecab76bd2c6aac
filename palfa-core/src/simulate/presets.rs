//! Ready-made beams: the PALFA-size reference beam of the PRESTO baseline and
//! the small survey that `palfa demo` runs.

use super::{ImpulseSpec, PulsarSpec, RfiSpec, SimFormat, SimParams, SinglePulseSpec};

/// Speed of light \[m/s\].
const C_M_S: f64 = 299_792_458.0;

/// A ready-made beam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The PALFA-size reference beam of the PRESTO baseline: 960 channels,
    /// 65.476 µs, 2^20 samples (68.7 s); two MSPs (one accelerated), a slow
    /// pulsar, five single pulses and RFI.
    Reference,
    /// The same signals in a full-length PALFA beam (2^22 samples, 274.6 s).
    Palfa,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 2] = [Preset::Reference, Preset::Palfa];

    /// The preset's name, as `palfa simulate --preset` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Reference => "reference",
            Preset::Palfa => "palfa",
        }
    }

    /// The preset's parameters.
    ///
    /// The binary MSP drifts by z = +20 Fourier bins at its fundamental over
    /// the whole beam, whatever the beam's length (its acceleration is
    /// `-z c P / T^2`), so that it stays inside the default acceleration
    /// search's `zmax` in the full-length beam too.
    pub fn params(self) -> SimParams {
        let nsamples: u64 = match self {
            Preset::Reference => 1 << 20,
            Preset::Palfa => 1 << 22,
        };
        let tsamp_s = 65.476e-6;
        let duration_s = nsamples as f64 * tsamp_s;
        let binary_period_s = 3.6917e-3;
        let sp = |time_s: f64, dm: f64, width_ms: f64, snr: f64| SinglePulseSpec {
            time_s,
            dm,
            width_s: width_ms * 1e-3,
            snr,
        };
        let impulse = |time_s: f64, width_s: f64, amplitude: f64| ImpulseSpec {
            time_s,
            width_s,
            amplitude,
        };
        SimParams {
            nbits: 8,
            nchans: 960,
            fch1_mhz: 1537.0,
            chan_bw_mhz: 0.3361,
            tsamp_s,
            nsamples,
            noise_mean: 118.0,
            noise_rms_frac: 0.15,
            pulsars: vec![
                pulsar(4.1573e-3, 131.4, 0.05, 20.0, 0.0, 0.0),
                pulsar(
                    binary_period_s,
                    134.8,
                    0.05,
                    25.0,
                    accel_for_z(20.0, binary_period_s, duration_s),
                    0.3,
                ),
                pulsar(0.7139, 50.2, 0.03, 20.0, 0.0, 0.6),
            ],
            single_pulses: vec![
                sp(10.3, 312.5, 1.5, 12.0),
                sp(22.7, 320.7, 4.0, 15.0),
                sp(35.1, 325.1, 8.0, 20.0),
                sp(47.9, 545.0, 3.0, 14.0),
                sp(60.2, 560.3, 10.0, 18.0),
            ],
            rfi: RfiSpec {
                periodic_hz: 60.0,
                periodic_amplitude: 0.5,
                periodic_harmonics: 5,
                bad_channels: vec![101, 102, 517, 760],
                bad_channel_noise: 10.0,
                impulses: vec![
                    impulse(5.0, 0.002, 4.0),
                    impulse(18.5, 0.010, 2.0),
                    impulse(31.0, 0.001, 8.0),
                    impulse(52.2, 0.005, 3.0),
                ],
                narrowband: Vec::new(),
            },
            ..SimParams::default()
        }
    }
}

impl std::str::FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown preset {s:?} (known: reference, palfa)"))
    }
}

/// The constant line-of-sight acceleration \[m/s²\] that drifts a pulsar of
/// period `period_s` by `z` Fourier bins at its fundamental over `duration_s`
/// (positive `z`: the frequency rises).
pub fn accel_for_z(z: f64, period_s: f64, duration_s: f64) -> f64 {
    -z * C_M_S * period_s / (duration_s * duration_s)
}

fn pulsar(period_s: f64, dm: f64, duty: f64, snr: f64, accel_m_s2: f64, phase: f64) -> PulsarSpec {
    PulsarSpec {
        period_s,
        dm,
        duty,
        snr,
        accel_m_s2,
        phase,
    }
}

/// The beams of `palfa demo`'s survey, `duration_s` long each: (file or
/// directory name, parameters).
///
/// 128 channels of 2.52 MHz at 262 µs (a decimated PALFA Mock band):
/// - `msp_and_mains.fil`: an 8.3 ms pulsar at DM 60 beside 60 Hz mains RFI;
/// - `mock_binary`: a PALFA Mock s0/s1 pair (4-bit, overlapping bands) with
///   an 11.3 ms pulsar at DM 90 accelerated by z = +15;
/// - `burst_and_rfi.fil`: a 0.44 s pulsar at DM 35, a single pulse at DM 250,
///   bad channels and a broadband impulse.
pub fn demo_survey(duration_s: f64) -> Vec<(&'static str, SimParams)> {
    let tsamp_s = 262e-6;
    let base = SimParams {
        nchans: 128,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 2.52,
        tsamp_s,
        nsamples: (duration_s / tsamp_s) as u64,
        ..SimParams::default()
    };
    vec![
        (
            "msp_and_mains.fil",
            SimParams {
                seed: 1,
                ra_deg: 285.75,
                dec_deg: 4.9,
                pulsars: vec![pulsar(0.0083, 60.0, 0.05, 20.0, 0.0, 0.0)],
                rfi: RfiSpec {
                    periodic_hz: 60.0,
                    periodic_amplitude: 0.3,
                    periodic_harmonics: 3,
                    ..RfiSpec::default()
                },
                ..base.clone()
            },
        ),
        (
            "mock_binary",
            SimParams {
                seed: 2,
                format: SimFormat::Mock,
                nbits: 4,
                nsblk: 4096,
                mock_overlap: 8,
                pulsars: vec![pulsar(
                    0.0113,
                    90.0,
                    0.05,
                    25.0,
                    accel_for_z(15.0, 0.0113, duration_s),
                    0.0,
                )],
                ..base.clone()
            },
        ),
        (
            "burst_and_rfi.fil",
            SimParams {
                seed: 3,
                // At the catalogue position of PSR B1910+10 (J1912+1036), which is
                // injected at its catalogue period (F0 + F1·(t − PEPOCH) at
                // the beam's MJD 60000) and DM: the survey tags it as a known pulsar.
                ra_deg: 288.193_041_666_666_66,
                dec_deg: 10.611_555_555_555_555,
                single_pulses: vec![SinglePulseSpec {
                    time_s: 0.4 * duration_s,
                    dm: 250.0,
                    width_s: 0.004,
                    snr: 25.0,
                }],
                pulsars: vec![pulsar(
                    1.0 / (2.442_900_344_42 - 9.4064e-14 * (60_000.0 - 51_600.0) * 86_400.0),
                    147.0,
                    0.03,
                    25.0,
                    0.0,
                    0.0,
                )],
                rfi: RfiSpec {
                    bad_channels: vec![20, 21, 90],
                    bad_channel_noise: 8.0,
                    impulses: vec![ImpulseSpec {
                        time_s: 0.7 * duration_s,
                        width_s: 0.002,
                        amplitude: 4.0,
                    }],
                    ..RfiSpec::default()
                },
                ..base
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_drifts_by_z_20_in_every_preset() {
        for preset in Preset::ALL {
            let p = preset.params();
            let t = p.duration_s();
            let b = &p.pulsars[1];
            // z = -a f T^2 / c at the fundamental.
            let z = -b.accel_m_s2 / b.period_s * t * t / C_M_S;
            assert!((z - 20.0).abs() < 1e-9, "{preset:?}: z = {z}");
            assert_eq!(preset.name().parse::<Preset>().unwrap(), preset);
        }
    }

    #[test]
    fn the_demo_survey_has_three_beams_of_the_asked_length() {
        let beams = demo_survey(30.0);
        assert_eq!(beams.len(), 3);
        for (_, p) in &beams {
            assert!((p.duration_s() - 30.0).abs() < p.tsamp_s);
        }
    }
}
