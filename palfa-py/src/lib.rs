//! `palfa` for Python: read beams into numpy, simulate beams with a known
//! answer, search them, and follow a survey's job tracker.
//!
//! Bindings only: every function here calls the Rust crates (`palfa-core`,
//! `palfa-search`, `palfa-tracker`) and converts their values; nothing is
//! computed here. Built with maturin (`pip install ./palfa-py`); the pytest
//! suite in `palfa-py/tests/` runs against the built wheel.
//!
//! ```python
//! import palfa
//! beam = palfa.open("beam.fil")
//! data = beam.read(0, 1024)          # float32, shape (1024, nchans)
//! truth = palfa.simulate("sim.fil", {"nchans": 64, "nsamples": 65536})
//! results = palfa.search(["sim.fil"], "results/")
//! ```

mod beam;
mod errors;
mod search;
mod tracker;

use pyo3::prelude::*;

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
    m.add_class::<tracker::Tracker>()?;
    Ok(())
}
