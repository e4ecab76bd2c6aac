//! `palfa.open` and `palfa.Beam`: a beam's header and spectra as numpy arrays,
//! and the beams the search stages take (files, a `Beam`, or a numpy array).

use std::path::{Path, PathBuf};

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use palfa_core::beam::{detect_format, open_beam, read_range, MemorySource};
use palfa_core::formats::filterbank::FilterbankReader;
use palfa_core::formats::psrfits::PsrfitsReader;
use palfa_core::header::DataFormat;
use palfa_core::{BeamHeader, FormatResult, SpectraSource};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors;

/// One beam: a SIGPROC filterbank, a PSRFITS search-mode file, or the two
/// halves of a PALFA Mock beam read as one band.
///
/// Columns of `read()` are in the file's channel order (highest frequency
/// first when the file stores it so, as SIGPROC files with a negative `foff`
/// and PALFA's Mock files do); `freqs_mhz` gives each column's centre
/// frequency, and the header's `fch1_mhz`/`foff_mhz` the same. Values are the
/// file's, after the format's scales, offsets and weights (PSRFITS), summed to
/// total intensity when the file holds several polarisations. A Mock pair is
/// merged into one band (see `docs/architecture.md`) in the order of its files.
#[pyclass(module = "palfa", unsendable)]
pub struct Beam {
    src: Box<dyn SpectraSource>,
    descending: bool,
}

/// Opens a beam: one path, or a list of paths read as one beam (consecutive
/// files of one observation and/or the two halves of a Mock beam).
///
/// Raises `FormatError` (with the file and the reason) if it cannot be read.
#[pyfunction]
pub fn open(paths: &Bound<'_, PyAny>) -> PyResult<Beam> {
    let files = beam_paths(paths)?;
    let (src, descending) = paths
        .py()
        .allow_threads(|| -> FormatResult<_> { Ok((open_beam(&files)?, files_descending(&files)?)) })
        .map_err(errors::format)?;
    Ok(Beam { src, descending })
}

/// A beam's files from Python: one path, or a list of paths.
pub(crate) fn beam_paths(paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    match paths.extract::<PathBuf>() {
        Ok(p) => Ok(vec![p]),
        Err(_) => paths.extract::<Vec<PathBuf>>(),
    }
}

/// Whether the file stores its channels highest frequency first.
fn file_descending(path: &Path) -> FormatResult<bool> {
    Ok(match detect_format(path)? {
        DataFormat::Filterbank => FilterbankReader::open(path)?.descending(),
        _ => PsrfitsReader::open(path)?.descending(),
    })
}

/// Whether a beam's files (one, several of one band, or a Mock pair) store their channels highest first.
fn files_descending(files: &[PathBuf]) -> FormatResult<bool> {
    let mut all = true;
    for f in files {
        all &= file_descending(f)?;
    }
    Ok(all && !files.is_empty())
}

/// Reverses every row of `ncols` values in place.
fn reverse_rows(data: &mut [f32], ncols: usize) {
    for row in data.chunks_exact_mut(ncols.max(1)) {
        row.reverse();
    }
}

#[pymethods]
impl Beam {
    /// The observation as a dict, units in the key names: `tsamp_s`,
    /// `lofreq_mhz` (lowest channel), `chan_bw_mhz` (positive), `ra_deg`,
    /// `dec_deg`, `start_mjd`, `nsamples`, `nchans`, `nbits`, `npol`,
    /// `file_size_bytes`, …; and, in the file's channel order like `read()`,
    /// `fch1_mhz` (first column), `foff_mhz` (signed step between columns),
    /// `channel_order` (`"descending"` or `"ascending"`) and `chan_weights`;
    /// with `duration_s`, `fctr_mhz` and `bandwidth_mhz` added.
    #[getter]
    fn header<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let h = self.src.header();
        let d = errors::to_py(py, h)?;
        let dict = d.downcast::<PyDict>()?;
        dict.set_item("duration_s", h.duration_s())?;
        dict.set_item("fctr_mhz", h.fctr_mhz())?;
        dict.set_item("bandwidth_mhz", h.bandwidth_mhz())?;
        dict.del_item("file_size")?;
        dict.set_item("file_size_bytes", h.file_size)?;
        let (fch1, foff) = if self.descending {
            (h.hifreq_mhz(), -h.chan_bw_mhz)
        } else {
            (h.lofreq_mhz, h.chan_bw_mhz)
        };
        dict.set_item("fch1_mhz", fch1)?;
        dict.set_item("foff_mhz", foff)?;
        dict.set_item(
            "channel_order",
            if self.descending { "descending" } else { "ascending" },
        )?;
        let mut w = h.chan_weights.clone();
        if self.descending {
            w.reverse();
        }
        dict.set_item("chan_weights", PyList::new(py, w)?)?;
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

    /// The beam's files.
    #[getter]
    fn files(&self) -> Vec<PathBuf> {
        self.src.header().files.clone()
    }

    /// Centre frequency of each column of `read()` \[MHz\], in the file's order.
    #[getter]
    fn freqs_mhz<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let h = self.src.header();
        let mut f: Vec<f64> = (0..h.nchans).map(|c| h.freq_mhz(c)).collect();
        if self.descending {
            f.reverse();
        }
        PyArray1::from_vec(py, f)
    }

    /// `count` spectra from spectrum `start` (default: to the end) as a
    /// float32 array of shape `(count, nchans)`, channels in the file's order,
    /// in the file's units after its scales and offsets. Reading past the end
    /// raises `IndexError`; the GIL is released while reading.
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
        let (src, descending) = (&mut self.src, self.descending);
        let data = py
            .allow_threads(|| {
                let mut d = read_range(src.as_mut(), start, count)?;
                if descending {
                    reverse_rows(&mut d, nchans);
                }
                Ok(d)
            })
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

/// The band of a numpy array of spectra, as the stage functions take it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ArrayBand {
    /// Sample time \[s\].
    pub tsamp_s: Option<f64>,
    /// Centre frequency of the array's first column \[MHz\].
    pub fch1_mhz: Option<f64>,
    /// Signed frequency step between columns \[MHz\] (negative: highest first).
    pub foff_mhz: Option<f64>,
}

/// The beam a stage function was given: file path(s), a `palfa.Beam` (its
/// files are opened again), or a 2-D array `(nsamples, nchans)` of spectra in
/// the order `band.foff_mhz` says, with `band` giving its sampling.
pub(crate) fn source_from(data: &Bound<'_, PyAny>, band: ArrayBand) -> PyResult<Box<dyn SpectraSource>> {
    let files = if let Ok(b) = data.downcast::<Beam>() {
        let files = b.borrow().src.header().files.clone();
        if files.is_empty() {
            return Err(pyo3::exceptions::PyValueError::new_err("this Beam has no files"));
        }
        Some(files)
    } else if let Ok(p) = data.extract::<PathBuf>() {
        Some(vec![p])
    } else {
        data.extract::<Vec<PathBuf>>().ok()
    };
    if let Some(files) = files {
        return data.py().allow_threads(|| open_beam(&files)).map_err(errors::format);
    }
    let np = data.py().import("numpy")?;
    let kw = PyDict::new(data.py());
    kw.set_item("dtype", "float32")?;
    let arr = np.call_method("ascontiguousarray", (data,), Some(&kw))?;
    let arr: PyReadonlyArray2<'_, f32> = arr.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(
            "a beam is a path, a list of paths (a Mock pair), a palfa.Beam, or a 2-D array (nsamples, nchans)",
        )
    })?;
    let need = |v: Option<f64>, name: &str| {
        v.filter(|x| x.is_finite()).ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!("an array of spectra needs {name}= (a finite number)"))
        })
    };
    let tsamp = need(band.tsamp_s, "tsamp_s")?;
    let fch1 = need(band.fch1_mhz, "fch1_mhz")?;
    let foff = need(band.foff_mhz, "foff_mhz")?;
    if tsamp <= 0.0 || foff == 0.0 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "tsamp_s must be positive and foff_mhz not zero",
        ));
    }
    let [nsamp, nchans] = [arr.shape()[0], arr.shape()[1]];
    if nchans == 0 || nsamp == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err("the array of spectra is empty"));
    }
    let mut values = arr.as_slice()?.to_vec();
    let descending = foff < 0.0;
    if descending {
        reverse_rows(&mut values, nchans);
    }
    let lofreq = if descending {
        fch1 + foff * (nchans as f64 - 1.0)
    } else {
        fch1
    };
    let header = BeamHeader::for_band(nchans, lofreq, foff.abs(), tsamp);
    Ok(Box::new(MemorySource::new(header, values)))
}
