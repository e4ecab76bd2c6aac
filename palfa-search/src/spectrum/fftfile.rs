//! PRESTO `.fft` files: the output of PRESTO's `realfft`.
//!
//! Little-endian `f32` pairs (re, im) for bins `0 .. N/2`, **unnormalised**,
//! with the real Nyquist amplitude packed into the imaginary part of bin 0
//! (bin 0's real part is the DC term). An `.inf` file beside it describes the
//! series. palfa's [`Spectrum`] keeps the Nyquist bin as its own last bin.

use std::path::Path;

use palfa_core::formats::presto::InfFile;
use palfa_core::names::{presto_base, with_suffix};
use palfa_core::{FormatError, FormatErrorKind};

use super::{Complex32, Spectrum};
use crate::error::SearchResult;

/// Reads `<base>.fft` and `<base>.inf` (given either name or the base name)
/// into a [`Spectrum`]. The DC term (bin 0 real part) is kept as it is in
/// the file; `mean` is set from it.
///
/// # Errors
/// Missing or unreadable files, or a `.fft` whose size is not a whole number of
/// complex values or disagrees with the `.inf`'s number of samples.
pub fn read_presto_fft(path: impl AsRef<Path>) -> SearchResult<Spectrum> {
    let base = presto_base(path.as_ref());
    let info = InfFile::read(with_suffix(&base, ".inf"))?;
    let fft_path = with_suffix(&base, ".fft");
    let bytes = std::fs::read(&fft_path).map_err(|e| FormatError::io(&fft_path, e))?;
    if bytes.len() % 8 != 0 {
        return Err(FormatError::new(
            &fft_path,
            FormatErrorKind::Truncated {
                what: "the last complex amplitude".into(),
                expected: bytes.len().div_ceil(8) as u64 * 8,
                found: bytes.len() as u64,
            },
        )
        .into());
    }
    let nbins = bytes.len() / 8;
    let n = info.n as usize;
    if nbins == 0 || nbins != n / 2 {
        return Err(FormatError::new(
            &fft_path,
            FormatErrorKind::Inconsistent(format!(
                "{nbins} complex amplitudes, but the .inf promises {n} samples (N/2 = {})",
                n / 2
            )),
        )
        .into());
    }
    let f = |i: usize| f32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let mut amps: Vec<Complex32> = (0..nbins).map(|k| Complex32::new(f(8 * k), f(8 * k + 4))).collect();
    let dc = amps[0].re;
    let nyquist = amps[0].im;
    amps[0] = Complex32::new(dc, 0.0);
    if n.is_multiple_of(2) {
        amps.push(Complex32::new(nyquist, 0.0));
    }
    Ok(Spectrum {
        amps,
        n_samples: n,
        dt: info.dt,
        t_obs_s: n as f64 * info.dt,
        dm: info.dm,
        mean: dc as f64 / n as f64,
        info,
    })
}

/// Writes `spec` as PRESTO's `<base>.fft` (Nyquist packed into bin 0) and its
/// `<base>.inf`: what PRESTO's `realfft` writes for the series, so bin 0's
/// real part is the DC term, `N·mean` (the sample mean [`SpectrumMaker`]
/// removed is put back).
///
/// [`SpectrumMaker`]: super::SpectrumMaker
///
/// # Errors
/// The files cannot be written.
pub fn write_presto_fft(spec: &Spectrum, base: impl AsRef<Path>) -> SearchResult<()> {
    let base = base.as_ref();
    let nbins = spec.n_samples / 2;
    let mut bytes = Vec::with_capacity(nbins * 8);
    for k in 0..nbins {
        let a = spec.amps.get(k).copied().unwrap_or_default();
        let im = if k == 0 {
            if spec.n_samples.is_multiple_of(2) {
                spec.amps.get(nbins).map(|a| a.re).unwrap_or(0.0)
            } else {
                0.0
            }
        } else {
            a.im
        };
        let re = if k == 0 {
            (a.re as f64 + spec.mean * spec.n_samples as f64) as f32
        } else {
            a.re
        };
        bytes.extend_from_slice(&re.to_le_bytes());
        bytes.extend_from_slice(&im.to_le_bytes());
    }
    let path = with_suffix(base, ".fft");
    std::fs::write(&path, bytes).map_err(|e| FormatError::io(&path, e))?;
    let mut info = spec.info.clone();
    info.n = spec.n_samples as u64;
    info.dt = spec.dt;
    info.basename = base
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    info.write(with_suffix(base, ".inf"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_even_and_odd() {
        let dir = tempfile::tempdir().unwrap();
        for n in [10usize, 11] {
            let amps: Vec<Complex32> = (0..n / 2 + 1)
                .map(|k| {
                    Complex32::new(
                        k as f32,
                        if k == 0 || (n % 2 == 0 && k == n / 2) {
                            0.0
                        } else {
                            -(k as f32)
                        },
                    )
                })
                .collect();
            let spec = Spectrum {
                amps,
                n_samples: n,
                dt: 1e-3,
                t_obs_s: n as f64 * 1e-3,
                dm: 3.0,
                mean: 0.0,
                info: InfFile {
                    n: n as u64,
                    dt: 1e-3,
                    dm: 3.0,
                    ..InfFile::default()
                },
            };
            let base = dir.path().join(format!("s{n}_DM1.50"));
            write_presto_fft(&spec, &base).unwrap();
            let back = read_presto_fft(with_suffix(&base, ".fft")).unwrap();
            if n % 2 == 0 {
                assert_eq!(back.amps, spec.amps);
            } else {
                // The highest bin of an odd-length series has no place in PRESTO's layout.
                assert_eq!(back.amps[..], spec.amps[..n / 2]);
            }
            assert_eq!(back.dm, 3.0);
        }
    }

    #[test]
    fn the_mean_goes_back_into_bin_0_as_realfft_has_it() {
        // PRESTO's realfft keeps the DC term; palfa's spectra hold it in `mean`.
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<f32> = (0..64).map(|i| 2.5 + (i % 4) as f32).collect();
        let ts = crate::TimeSeries {
            info: InfFile {
                n: 64,
                dt: 1e-3,
                ..InfFile::default()
            },
            data,
        };
        let spec = crate::spectrum::SpectrumMaker::new().make(&ts).unwrap();
        let base = dir.path().join("m");
        write_presto_fft(&spec, &base).unwrap();
        let bytes = std::fs::read(with_suffix(&base, ".fft")).unwrap();
        let dc = f32::from_le_bytes(bytes[..4].try_into().unwrap());
        assert_eq!(dc, ts.data.iter().sum::<f32>());
        let back = read_presto_fft(&base).unwrap();
        assert_eq!(back.mean, spec.mean);
        assert_eq!(back.amps[1..], spec.amps[1..]);
    }

    #[test]
    fn size_mismatch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("x");
        InfFile {
            n: 100,
            dt: 1e-3,
            ..InfFile::default()
        }
        .write(with_suffix(&base, ".inf"))
        .unwrap();
        std::fs::write(with_suffix(&base, ".fft"), vec![0u8; 8 * 10]).unwrap();
        assert!(read_presto_fft(&base).is_err());
        std::fs::write(with_suffix(&base, ".fft"), vec![0u8; 8 * 50 + 3]).unwrap();
        assert!(read_presto_fft(&base).is_err());
    }
}
