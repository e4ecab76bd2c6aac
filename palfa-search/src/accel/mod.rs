//! Fourier-domain acceleration search.
pub(crate) mod plane;
pub mod response;
