//! `palfa` for Python: read beams into numpy, simulate beams with a known
//! answer, search them whole or stage by stage, and follow a survey's job
//! tracker and results database.
//!
//! Bindings only: every function here calls the Rust crates (`palfa-core`,
//! `palfa-search`, `palfa-tracker`) and converts their values; nothing is
//! computed here. Built with maturin (`pip install ./palfa-py`); the pytest
//! suite in `palfa-py/tests/` runs against the built wheel.
//!
//! ```python
//! import palfa
//! beam = palfa.open("beam.fil")
//! data = beam.read(0, 1024)          # float32, shape (1024, nchans), the file's channel order
//! truth = palfa.simulate("sim.fil", {"nchans": 64, "nsamples": 65536})
//! results = palfa.search(["sim.fil"], "results/")
//! ```

mod beam;
mod config;
mod errors;
mod ffa;
mod resultsdb;
mod run;
mod search;
mod stages;
mod tracker;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// A list of dicts as a numpy record array with `fields` (name, numpy type);
/// a type `"U"` becomes a string type as long as the longest value.
pub(crate) fn records<'py>(
    py: Python<'py>,
    list: &Bound<'py, PyAny>,
    fields: &[(&str, &str)],
) -> PyResult<Bound<'py, PyAny>> {
    let rows = PyList::empty(py);
    let mut widths = vec![1usize; fields.len()];
    for item in list.try_iter()? {
        let d = item?;
        let mut values = Vec::with_capacity(fields.len());
        for (i, (k, t)) in fields.iter().enumerate() {
            let v = d.get_item(k)?;
            if *t == "U" {
                widths[i] = widths[i].max(v.len()?);
            }
            values.push(v);
        }
        rows.append(PyTuple::new(py, values)?)?;
    }
    let dtype = PyList::empty(py);
    for ((k, t), w) in fields.iter().zip(&widths) {
        let t = if *t == "U" { format!("U{w}") } else { t.to_string() };
        dtype.append((*k, t))?;
    }
    let kw = PyDict::new(py);
    kw.set_item("dtype", dtype)?;
    let arr = py.import("numpy")?.call_method("array", (rows,), Some(&kw))?;
    arr.call_method1("view", (py.import("numpy")?.getattr("recarray")?,))
}

/// The `palfa` Python module.
#[pymodule]
fn palfa(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<beam::Beam>()?;
    m.add_function(wrap_pyfunction!(beam::open, m)?)?;
    m.add_function(wrap_pyfunction!(search::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(search::search, m)?)?;
    m.add_function(wrap_pyfunction!(search::read_results, m)?)?;
    m.add_function(wrap_pyfunction!(stages::rfifind, m)?)?;
    m.add_function(wrap_pyfunction!(stages::dedisperse, m)?)?;
    m.add_function(wrap_pyfunction!(stages::fft, m)?)?;
    m.add_function(wrap_pyfunction!(stages::accelsearch, m)?)?;
    m.add_function(wrap_pyfunction!(ffa::ffa, m)?)?;
    m.add_function(wrap_pyfunction!(stages::singlepulse, m)?)?;
    m.add_function(wrap_pyfunction!(stages::fold, m)?)?;
    m.add_function(wrap_pyfunction!(stages::rate, m)?)?;
    m.add_function(wrap_pyfunction!(stages::raters, m)?)?;
    m.add_class::<tracker::Tracker>()?;
    m.add_class::<resultsdb::ResultsDB>()?;
    Ok(())
}
