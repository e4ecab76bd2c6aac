"""Type stubs of the palfa extension module (the docstrings in palfa-py/src say more).

palfa for Python: read beams into numpy, simulate beams with a known answer,
search them whole (``search``) or stage by stage (``rfifind``, ``dedisperse``,
``fft``, ``accelsearch``, ``singlepulse``, ``fold``), and follow a survey's
job tracker (``Tracker``) and results database (``ResultsDB``).

Long calls run without the GIL on a worker thread; Ctrl-C raises
``KeyboardInterrupt`` at once, and the interrupted work finishes in the
background (the engine has no cancellation hook).
"""

from os import PathLike
from typing import Any, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

_Path = Union[str, PathLike[str]]
#: A beam: a path, a Mock s0/s1 pair of paths, or a Beam (its files are opened again).
_BeamFiles = Union[_Path, Sequence[_Path], "Beam"]
#: A beam for the stage functions: files, or a 2-D array (nsamples, nchans) of
#: spectra with ``tsamp_s``, ``fch1_mhz`` and ``foff_mhz`` given.
_BeamInput = Union[_BeamFiles, npt.ArrayLike]
#: A time series: a PRESTO .dat path (with its .inf), or a 1-D array with ``dt_s``.
_Series = Union[_Path, npt.ArrayLike]

__version__: str

class PalfaError(Exception):
    """Any error raised by palfa; the message is palfa's (it names the file, key or row)."""

Error = PalfaError

class FormatError(PalfaError):
    """A data file that cannot be read or written."""

class ConfigError(PalfaError):
    """A configuration (or simulation parameter) that is not valid."""

class SearchError(PalfaError):
    """A search stage failed (invalid parameters for the data, no data, ...)."""

class TrackerError(PalfaError):
    """The job-tracker database refused or failed."""

class ResultsDBError(PalfaError):
    """The results database could not be opened or read, or refused an upload."""

class Beam:
    """A filterbank, a PSRFITS file or a Mock s0/s1 pair.

    Columns of ``read()`` are in the file's channel order (``header["channel_order"]``),
    values in the file's units after its scales, offsets and weights.
    """

    @property
    def header(self) -> dict[str, Any]:
        """The observation, units in the key names: ``tsamp_s``, ``lofreq_mhz``,
        ``chan_bw_mhz`` (positive), ``fch1_mhz`` and ``foff_mhz`` (signed, file
        order), ``channel_order``, ``start_mjd``, ``ra_deg``, ``dec_deg``,
        ``duration_s``, ``fctr_mhz``, ``bandwidth_mhz``, ``nsamples``,
        ``nchans``, ``nbits``, ``npol``, ``file_size_bytes``, ``chan_weights``
        (file order), ``files``, ``format``, ``source_name``, ..."""
    @property
    def nsamples(self) -> int: ...
    @property
    def nchans(self) -> int: ...
    @property
    def files(self) -> list[str]: ...
    @property
    def freqs_mhz(self) -> npt.NDArray[np.float64]:
        """Centre frequency of each column of ``read()``, in the file's order."""
    def read(self, start: int = 0, count: Optional[int] = None) -> npt.NDArray[np.float32]:
        """``count`` spectra from ``start`` (default: to the end) as float32
        ``(count, nchans)``; ``IndexError`` past the end."""

def open(paths: Union[_Path, Sequence[_Path]]) -> Beam:
    """Opens a beam: one file, or a list of files read as one beam (consecutive
    files of one observation and/or a Mock s0/s1 pair). ``FormatError`` if unreadable."""

def simulate(path: _Path, params: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Writes a synthetic beam (a directory for ``format="mock"``); returns what
    was injected (``pulsars`` with ``f0_hz``, ``period_s``, ``dm``, ...,
    ``single_pulses``, ``files``, ``duration_s``). Unknown keys raise ``ConfigError``."""

def search(
    files: Union[_Path, Sequence[_Path]], outdir: _Path, config: Optional[_Path] = None
) -> dict[str, Any]:
    """Searches one beam as ``palfa search`` does, writes ``outdir`` and returns
    its results.json as a dict (``candidates``, ``single_pulses``, ``header``, ...)."""

def read_results(dir: _Path) -> dict[str, Any]:
    """Reads (and checks) a results directory; returns results.json as a dict."""

def rfifind(
    beam: _BeamInput,
    outdir: Optional[_Path] = None,
    basename: Optional[str] = None,
    *,
    config: Optional[_Path] = None,
    tsamp_s: Optional[float] = None,
    fch1_mhz: Optional[float] = None,
    foff_mhz: Optional[float] = None,
    chunk_time_s: Optional[float] = None,
    timesig: Optional[float] = None,
    freqsig: Optional[float] = None,
    chanfrac: Optional[float] = None,
    intfrac: Optional[float] = None,
    clip_sigma: Optional[float] = None,
    zap_chans: Optional[Sequence[int]] = None,
    zap_ints: Optional[Sequence[int]] = None,
    plot: bool = False,
) -> dict[str, Any]:
    """RFI statistics and mask (PRESTO's rfifind): ``masked_fraction``,
    ``clipped_fraction``, ``zap_chans``, ``zap_ints``, ``chans_per_int``,
    ``clipped_spectra``, ``channels``, arrays ``mean``/``std``/``max_power``/``flags``
    of shape (numint, nchans), and ``files`` when ``outdir`` is given.
    Channel numbers count from the lowest frequency."""

def dedisperse(
    beam: _BeamInput,
    dms: Sequence[float],
    *,
    nsub: Optional[int] = None,
    downsamp: int = 1,
    zerodm: bool = False,
    mask: Optional[_Path] = None,
    tsamp_s: Optional[float] = None,
    fch1_mhz: Optional[float] = None,
    foff_mhz: Optional[float] = None,
) -> npt.NDArray[np.float32]:
    """Dedispersed, normalised series, float32 ``(len(dms), nsamples // downsamp)``;
    brute force without ``nsub``, through ``nsub`` subbands with it."""

def fft(
    series: _Series,
    dt_s: Optional[float] = None,
    *,
    dm: Optional[float] = None,
    rednoise: bool = False,
    config: Optional[_Path] = None,
) -> dict[str, Any]:
    """The series' spectrum: ``freqs_hz``, ``powers`` (float32), ``amps``
    (complex64), ``t_obs_s``, ``n_samples``, ``dt_s``, ``dm``, ``mean``."""

def accelsearch(
    series: _Series,
    dt_s: Optional[float] = None,
    *,
    dm: Optional[float] = None,
    zmax: int = 0,
    numharm: Optional[int] = None,
    sigma: Optional[float] = None,
    flo_hz: Optional[float] = None,
    fhi_hz: Optional[float] = None,
    rednoise: bool = True,
    zaplist: Optional[_Path] = None,
    baryv: float = 0.0,
    config: Optional[_Path] = None,
) -> list[dict[str, Any]]:
    """Acceleration-search candidates: ``freq_hz``, ``period_s``, ``fdot_hz_s``,
    ``pdot``, ``sigma``, ``power``, ``coherent_power``, ``numharm``,
    ``harm_powers``, ``r``, ``z``, ``dm``, ``t_obs_s``, ``pass``."""

def ffa(
    series: _Series,
    dt_s: Optional[float] = None,
    *,
    dm: Optional[float] = None,
    min_period_s: Optional[float] = None,
    max_period_s: Optional[float] = None,
    bins_min: Optional[int] = None,
    bins_max: Optional[int] = None,
    max_duty: Optional[float] = None,
    rmed_width_s: Optional[float] = None,
    snr_threshold: Optional[float] = None,
    max_peaks: Optional[int] = None,
    config: Optional[_Path] = None,
) -> dict[str, Any]:
    """FFA search for long-period pulsars (docs/ffa.md): the periodogram
    ``periods_s``, ``snr``, ``width_bins``, ``fold_bins`` (arrays), ``dm``,
    ``t_obs_s``, and ``peaks`` (dicts ``period_s``, ``dm``, ``snr``,
    ``width_s``, ``duty``, ``t_obs_s``; strongest first)."""

def singlepulse(
    series: _Series,
    dt_s: Optional[float] = None,
    *,
    dm: Optional[float] = None,
    threshold: Optional[float] = None,
    maxwidth_s: Optional[float] = None,
    config: Optional[_Path] = None,
    as_array: bool = False,
) -> Union[list[dict[str, Any]], np.recarray]:
    """Single-pulse events ``dm``, ``sigma``, ``time_s``, ``sample``,
    ``downfact``: a list of dicts, or a record array with ``as_array``."""

def fold(
    beam: _BeamInput,
    period_s: float,
    dm: float,
    *,
    pdot: float = 0.0,
    nsub: Optional[int] = None,
    nbins: Optional[int] = None,
    npart: Optional[int] = None,
    search: bool = True,
    outbase: Optional[_Path] = None,
    plot: bool = False,
    config: Optional[_Path] = None,
    tsamp_s: Optional[float] = None,
    fch1_mhz: Optional[float] = None,
    foff_mhz: Optional[float] = None,
) -> dict[str, Any]:
    """Folds as prepfold does: best ``period_s``, ``pdot``, ``dm``, ``redchi2``,
    ``prepfold_sigma``, ``sigma_dof_corrected``, ``period_err_s``, ``pdot_err``,
    ``epoch_mjd``, ``nbins``, ``npart``, ``nsub``, ``impulsive``, ``ratings``
    (dict, as :func:`rate` gives), ``profile``
    (array), ``time_phase`` (array (npart, nbins)), ``files`` with ``outbase``."""

def rate(path: _Path, *, mains_hz: float = 60.0) -> dict[str, Optional[float]]:
    """The ratings of a fold file (``.pfd``, palfa's or PRESTO's): rater name to
    value (``None`` where the fold does not allow it); docs/ratings.md has the
    formulas. ``mains_hz``: the mains frequency at the telescope."""
    ...

def raters() -> list[dict[str, Any]]:
    """Every rater: ``name``, ``version`` and ``meaning``."""
    ...

class Tracker:
    """A survey's job-tracker database."""

    def __init__(self, path: _Path) -> None: ...
    @staticmethod
    def create(path: _Path) -> "Tracker": ...
    def jobs(self) -> list[dict[str, Any]]: ...
    def files(self, status: Optional[str] = None) -> list[dict[str, Any]]: ...
    def submits(self, job_id: int) -> list[dict[str, Any]]: ...
    def status(self, recent: int = 10) -> dict[str, Any]: ...
    def add_files(self, dir: _Path, recursive: bool = False) -> dict[str, Any]: ...
    @property
    def path(self) -> str: ...

class ResultsDB:
    """The results database (SQLite path or ``sqlite://`` URL; this wheel has no ODBC)."""

    def __init__(self, url: _Path) -> None:
        """Opens an existing database; ``ResultsDBError`` if missing or of another schema."""
    @staticmethod
    def create(url: _Path) -> "ResultsDB":
        """Creates the database (or brings its schema up to date) and opens it."""
    def upload(
        self, results_dir: _Path, beam: str, *, institution: str = "", pipeline: str = "", survey: str = ""
    ) -> int:
        """Uploads one results directory as the uploader does; returns the header id."""
    def candidates(
        self,
        beam: Optional[str] = None,
        *,
        limit: int = 1000,
        min_sigma: Optional[float] = None,
        as_array: bool = False,
    ) -> Union[list[dict[str, Any]], np.recarray]:
        """Candidates best first (highest ``score``, then unrated ones by
        ``prepfold_sigma``): ``beam``, ``obs_name``, ``cand_num``, ``period_s``,
        ``dm``, ``prepfold_sigma``, ``presto_sigma``, ``version_num``, ``score``
        (None if unrated; not in the record array)."""
    def num_headers(self) -> int: ...
    @property
    def schema_version(self) -> int: ...
    @property
    def path(self) -> str: ...
