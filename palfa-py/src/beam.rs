//! `palfa.open` and `palfa.Beam`: a beam's header and spectra as numpy arrays.

use std::path::PathBuf;

use numpy::{PyArray1, PyArrayMethods};
use palfa_core::beam::{open_beam, read_range};
use palfa_core::SpectraSource;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors;

/// One beam: a SIGPROC filterbank, a PSRFITS search-mode file, or the two
/// halves of a PALFA Mock beam read as one band.
///
/// Channels are in palfa's order, lowest frequency first, whatever the file's
/// order; `freqs_mhz` gives each column's centre frequency. Values are the
/// file's, after the format's scales, offsets and weights (PSRFITS), summed to
/// total intensity when the file holds several polarisations.
#[pyclass(module = "palfa", unsendable)]
pub struct Beam {
    src: Box<dyn SpectraSource>,
}

/// Opens a beam: one path, or a list of one path or a Mock s0/s1 pair.
#[pyfunction]
pub fn open(paths: &Bound<'_, PyAny>) -> PyResult<Beam> {
    let files = beam_paths(paths)?;
    let src = paths.py().allow_threads(|| open_beam(&files)).map_err(errors::format)?;
    Ok(Beam { src })
}

/// A beam's files from Python: one path, or a list of paths.
pub(crate) fn beam_paths(paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    match paths.extract::<PathBuf>() {
        Ok(p) => Ok(vec![p]),
        Err(_) => paths.extract::<Vec<PathBuf>>(),
    }
}

#[pymethods]
impl Beam {
    /// The observation as a dict (units in the key names: `tsamp_s`,
    /// `lofreq_mhz`, `chan_bw_mhz`, …), with `duration_s`, `fctr_mhz` and
    /// `bandwidth_mhz` added.
    #[getter]
    fn header<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let h = self.src.header();
        let d = errors::to_py(py, h)?;
        let dict = d.downcast::<PyDict>()?;
        dict.set_item("duration_s", h.duration_s())?;
        dict.set_item("fctr_mhz", h.fctr_mhz())?;
        dict.set_item("bandwidth_mhz", h.bandwidth_mhz())?;
        Ok(d)
    }

    /// Number of spectra.
    #[getter]
    fn nsamples(&self) -> u64 {
        self.src.header().nsamples
    }

    /// Number of channels.
    #[getter]
    fn nchans(&self) -> usize {
        self.src.header().nchans
    }

    /// Centre frequency of each channel \[MHz\], lowest first.
    #[getter]
    fn freqs_mhz<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let h = self.src.header();
        PyArray1::from_vec(py, (0..h.nchans).map(|c| h.freq_mhz(c)).collect())
    }

    /// `count` spectra from spectrum `start` (default: to the end) as a
    /// float32 array of shape `(count, nchans)`. Reading past the end is an
    /// error; the GIL is released while reading.
    #[pyo3(signature = (start = 0, count = None))]
    fn read<'py>(&mut self, py: Python<'py>, start: u64, count: Option<u64>) -> PyResult<Bound<'py, PyAny>> {
        let (n, nchans) = (self.src.header().nsamples, self.src.header().nchans);
        if start > n {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "start {start} is past the last of {n} spectra"
            )));
        }
        let count = count.unwrap_or(n - start);
        if count > n - start {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "{count} spectra from {start} go past the last of {n}"
            )));
        }
        let count = usize::try_from(count).map_err(errors::other)?;
        let src = &mut self.src;
        let data = py
            .allow_threads(|| read_range(src.as_mut(), start, count))
            .map_err(errors::format)?;
        let got = data.len() / nchans.max(1);
        Ok(PyArray1::from_vec(py, data).reshape([got, nchans])?.into_any())
    }

    fn __repr__(&self) -> String {
        let h = self.src.header();
        format!(
            "<palfa.Beam {:?} {} channels x {} spectra, {:.1} s>",
            h.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            h.nchans,
            h.nsamples,
            h.duration_s()
        )
    }
}
