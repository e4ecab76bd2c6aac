//! Writing detections in PRESTO's `_ACCEL_<zmax>` layout.

use std::path::{Path, PathBuf};

use palfa_core::formats::presto::{write_cand_file, AccelFile, AccelFileCand, AccelFileHarm, FourierProps};

use super::{AccelDetection, DZ};
use crate::error::SearchResult;
use crate::spectrum::Spectrum;
use crate::stats::candidate_sigma;

/// Half a bin: the r step of the search grid (PRESTO's ACCEL_DR).
const DR: f64 = 0.5;

/// The ACCEL file of `dets`, found in `spec`.
///
/// As PRESTO, the fundamental's errors are the grid steps divided by the
/// harmonics summed (0.5/numharm in r, 2/numharm in z). Unlike PRESTO, the
/// fundamentals table shows the **refined** r and z (PRESTO shows the grid
/// values there and the refined ones only per harmonic); "Pred 'r'" and
/// "Pred 'z'" are the grid values × harmonic number. A harmonic's power error
/// is √(2P + 1) (a signal plus exponential noise), its r and z errors those of
/// the fundamental × harmonic number, its phase error 1/√(2P). palfa does not
/// measure centroid and purity: they are written as a steady signal's (0.5 and 1)
/// with zero error.
pub fn accel_file(dets: &[AccelDetection], spec: &Spectrum) -> AccelFile {
    let cands = dets
        .iter()
        .map(|d| {
            let c = &d.candidate;
            let nh = c.numharm as f64;
            let harmonics = d
                .harmonics
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let hn = (i + 1) as f64;
                    AccelFileHarm {
                        sigma: candidate_sigma(h.power, 1, 1.0),
                        power: h.power,
                        power_err: (2.0 * h.power + 1.0).sqrt(),
                        raw_power: h.raw_power,
                        r: h.r,
                        r_err: hn * DR / nh,
                        pred_r: hn * d.search_r,
                        z: h.z,
                        z_err: hn * DZ / nh,
                        pred_z: hn * d.search_z,
                        phase_rad: h.phase_rad,
                        phase_err: 1.0 / (2.0 * h.power.max(0.5)).sqrt(),
                        centroid: 0.5,
                        centroid_err: 0.0,
                        purity: 1.0,
                        purity_err: 0.0,
                    }
                })
                .collect();
            AccelFileCand {
                sigma: c.sigma,
                summed_power: c.power,
                coherent_power: c.coherent_power,
                numharm: c.numharm,
                r: c.r,
                r_err: DR / nh,
                z: c.z,
                z_err: DZ / nh,
                notes: String::new(),
                harmonics,
            }
        })
        .collect();
    let mut inf = spec.info.clone();
    inf.n = spec.n_samples as u64;
    inf.dt = spec.dt;
    AccelFile { cands, inf }
}

/// The ACCEL file name PRESTO uses for series `base` and `zmax`: `<base>_ACCEL_<zmax>`.
pub fn accel_path(base: &Path, zmax: u32) -> PathBuf {
    let name = base
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    base.with_file_name(format!("{name}_ACCEL_{zmax}"))
}

/// Writes `dets` to `<base>_ACCEL_<zmax>`; returns the path.
///
/// # Errors
/// The file cannot be written.
pub fn write_accel_file(dets: &[AccelDetection], spec: &Spectrum, base: &Path, zmax: u32) -> SearchResult<PathBuf> {
    let path = accel_path(base, zmax);
    accel_file(dets, spec).write(&path)?;
    Ok(path)
}

/// PRESTO's `.cand` records of `dets` (the fundamental's refined r and z,
/// errors as in the ACCEL file, the fundamental harmonic's power and phase).
pub fn cand_records(dets: &[AccelDetection]) -> Vec<FourierProps> {
    dets.iter()
        .map(|d| {
            let c = &d.candidate;
            let nh = c.numharm as f64;
            let h = d.harmonics.first();
            let pow = h.map_or(0.0, |h| h.power);
            FourierProps {
                r: c.r,
                rerr: (DR / nh) as f32,
                z: c.z,
                zerr: (DZ / nh) as f32,
                w: 0.0,
                werr: 0.0,
                pow: pow as f32,
                powerr: (2.0 * pow + 1.0).sqrt() as f32,
                sig: candidate_sigma(pow, 1, 1.0) as f32,
                rawpow: h.map_or(0.0, |h| h.raw_power) as f32,
                phs: h.map_or(0.0, |h| h.phase_rad) as f32,
                phserr: (1.0 / (2.0 * pow.max(0.5)).sqrt()) as f32,
                cen: 0.5,
                cenerr: 0.0,
                pur: 1.0,
                purerr: 0.0,
                locpow: h.map_or(1.0, |h| if h.power > 0.0 { h.raw_power / h.power } else { 1.0 }) as f32,
            }
        })
        .collect()
}

/// Writes `<base>_ACCEL_<zmax>.cand` (see [`cand_records`]); returns the path.
///
/// # Errors
/// The file cannot be written.
pub fn write_cand(dets: &[AccelDetection], base: &Path, zmax: u32) -> SearchResult<PathBuf> {
    // Not with_extension: "DM0.00_ACCEL_50" has a dot of its own.
    let accel = accel_path(base, zmax);
    let name = accel
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = accel.with_file_name(format!("{name}.cand"));
    write_cand_file(&path, &cand_records(dets))?;
    Ok(path)
}
