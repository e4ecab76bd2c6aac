"""The palfa wheel from Python: reading real files against numpy's own
decoding of their bytes, simulating and searching a beam, and the tracker.

Run against the built wheel (``.ci/run`` builds it with maturin into a fresh
venv): ``pytest palfa-py/tests``. Tests that need ``../shared/data`` skip when
it is absent, except under CI (``CI=true``), where they fail.
"""

import os
import pathlib

import numpy as np
import pytest

import palfa

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


def shared(rel):
    path = SHARED / rel
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing (CI has ../shared/data)")
        pytest.skip(f"{path} is absent")
    return path


def sigproc_header(raw):
    """Header length, nchans, nbits and foff of a SIGPROC file, parsed here."""
    end = raw.index(b"HEADER_END") + len(b"HEADER_END")
    keys = {}
    pos = 4 + len(b"HEADER_START")
    while pos < end - len(b"HEADER_END"):
        n = int.from_bytes(raw[pos:pos + 4], "little")
        key = raw[pos + 4:pos + 4 + n].decode()
        pos += 4 + n
        if key in ("nchans", "nbits", "nifs", "data_type", "machine_id", "telescope_id",
                   "nbeams", "ibeam", "barycentric", "pulsarcentric", "nsamples"):
            keys[key] = int.from_bytes(raw[pos:pos + 4], "little", signed=True)
            pos += 4
        elif key == "source_name" or key == "rawdatafile":
            m = int.from_bytes(raw[pos:pos + 4], "little")
            pos += 4 + m
        else:
            keys[key] = np.frombuffer(raw[pos:pos + 8], "<f8")[0]
            pos += 8
    return end, keys


def test_real_two_bit_filterbank_matches_numpy_decoding():
    path = shared("sigpyproc3/tutorial.fil")
    beam = palfa.open(str(path))
    h = beam.header
    assert h["nchans"] == 64 and h["nbits"] == 2 and h["format"] == "filterbank"
    assert beam.nsamples == 187_520
    assert abs(h["duration_s"] - 60.0064) < 1e-6
    got = beam.read(1000, 500)
    assert got.dtype == np.float32 and got.shape == (500, 64)

    raw = path.read_bytes()
    start, keys = sigproc_header(raw)
    assert keys["nchans"] == 64 and keys["nbits"] == 2
    data = np.frombuffer(raw, dtype=np.uint8, offset=start)
    # Four 2-bit samples per byte, the first in the lowest bits.
    samples = np.stack([(data >> (2 * k)) & 3 for k in range(4)], axis=1).reshape(-1)
    spectra = samples.reshape(-1, 64)[1000:1500].astype(np.float32)
    if keys["foff"] < 0:  # palfa's columns run from the lowest frequency up
        spectra = spectra[:, ::-1]
    np.testing.assert_array_equal(got, spectra)
    freqs = beam.freqs_mhz
    assert freqs[0] < freqs[-1] and abs(freqs[-1] - 1510.0) < 1e-9


def test_reading_past_the_end_is_an_error():
    path = shared("sigpyproc3/tutorial.fil")
    beam = palfa.open(path)
    with pytest.raises(IndexError):
        beam.read(beam.nsamples - 10, 11)
    assert beam.read(beam.nsamples - 10).shape == (10, 64)


def test_errors_are_palfa_exceptions(tmp_path):
    bad = tmp_path / "bad.fil"
    bad.write_bytes(b"not a data file")
    with pytest.raises(palfa.FormatError) as e:
        palfa.open(bad)
    assert "bad.fil" in str(e.value)
    assert issubclass(palfa.FormatError, palfa.PalfaError)
    with pytest.raises(palfa.ConfigError):
        palfa.simulate(tmp_path / "x.fil", {"no_such_parameter": 1})


def test_simulate_then_search_finds_the_injected_pulsar(tmp_path):
    # A 30-s beam, 64 channels over the PALFA band, searched to DM 150.
    for d in ("logs", "qsublog", "rawdata", "work", "results"):
        (tmp_path / d).mkdir()
    config = tmp_path / "palfa.toml"
    config.write_text('[searching]\nddplan = "auto"\nmax_dm = 150.0\nnsub = 32\n')
    beam_path = tmp_path / "sim.fil"
    truth = palfa.simulate(
        beam_path,
        {
            "nchans": 64,
            "fch1_mhz": 1537.0,
            "chan_bw_mhz": 5.04,
            "tsamp_s": 262e-6,
            "nsamples": int(30.0 / 262e-6),
            "pulsars": [
                {"period_s": 0.0731, "dm": 40.0, "duty": 0.04, "snr": 25.0, "accel_m_s2": 0.0, "phase": 0.0}
            ],
        },
    )
    f0 = truth["pulsars"][0]["f0_hz"]
    beam = palfa.open(beam_path)
    assert beam.nchans == 64 and beam.nsamples == int(30.0 / 262e-6)
    results = palfa.search(beam_path, tmp_path / "out", config=config)
    assert results["status"] == {"kind": "searched"}
    assert results["format_version"] == 1
    cands = results["candidates"]
    assert cands, "no candidate folded"
    best = cands[0]
    # The injected pulsar is the best candidate, at its period (or a low
    # harmonic of it) and near its DM.
    ratio = best["frequency_hz"] / f0
    assert min(abs(ratio - k) for k in (0.5, 1.0, 2.0)) < 1e-3, (best["period_s"], 1 / f0)
    assert abs(best["dm"] - 40.0) < 10.0, best["dm"]
    assert best["prepfold_sigma"] > 8.0
    again = palfa.read_results(tmp_path / "out")
    assert again["candidates"][0]["period_s"] == best["period_s"]


def test_tracker_from_python(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    palfa.simulate(data / "a.fil", {"nchans": 16, "nsamples": 4096})
    (data / "junk.fil").write_bytes(b"junk")
    t = palfa.Tracker.create(tmp_path / "jobtracker.db")
    report = t.add_files(data)
    assert len(report["added"]) == 1
    assert any("junk.fil" in s[0] for s in report["skipped"])
    files = t.files()
    assert [f["status"] for f in files] == ["downloaded"]
    assert t.files("downloaded")[0]["filename"].endswith("a.fil")
    with pytest.raises(palfa.TrackerError):
        t.files("no_such_state")
    assert t.jobs() == []
    status = t.status()
    files_table = next(x for x in status["tables"] if x["table"] == "files")
    assert files_table["counts"]["downloaded"] == 1
    with pytest.raises(palfa.TrackerError):
        palfa.Tracker(tmp_path / "missing.db")
