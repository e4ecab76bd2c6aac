#!/usr/bin/env python3
"""Simulate a beam with a known pulsar, search it with palfa, and plot the
best candidate next to what was injected.

    python examples/python/simulate_search_plot.py best.png [--keep DIR]

Needs the palfa wheel (``pip install ./palfa-py``), numpy and matplotlib.
The beam is small (64 channels, 30 s) and the search goes to DM 150, so this
takes well under a minute. The plot shows the best candidate's folded
sub-integrations (time against phase) and its profile, re-folded from the
raw data with ``palfa.fold`` at the period and DM the search found.
"""

import argparse
import pathlib
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import palfa  # noqa: E402

PULSAR = {"period_s": 0.0887, "dm": 55.0, "duty": 0.05, "snr": 25.0, "accel_m_s2": 0.0, "phase": 0.3}
CONFIG = """# A quick search: the DM planner up to DM 150 with 32 subbands.
[searching]
ddplan = "auto"
max_dm = 150.0
nsub = 32
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("png", type=pathlib.Path, help="where to write the plot")
    ap.add_argument("--keep", type=pathlib.Path, help="work in this directory and keep it (default: a temporary one)")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="palfa-example-") as tmp:
        work = a.keep or pathlib.Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        # A palfa.toml of our own; the directories it names by default must exist.
        for d in ("logs", "qsublog", "rawdata", "work", "results"):
            (work / d).mkdir(exist_ok=True)
        config = work / "palfa.toml"
        config.write_text(CONFIG)

        beam = work / "beam.fil"
        tsamp = 262e-6
        truth = palfa.simulate(beam, {
            "nchans": 64, "fch1_mhz": 1537.0, "chan_bw_mhz": 5.04, "tsamp_s": tsamp,
            "nsamples": int(30.0 / tsamp), "pulsars": [PULSAR],
        })
        injected = truth["pulsars"][0]
        print(f"simulated {beam}: pulsar P = {injected['period_s'] * 1e3:.4f} ms, DM {injected['dm']}")

        results = palfa.search(beam, work / "results" / "beam", config=config)
        cands = results["candidates"]
        if not cands:
            print("the search folded no candidate", file=sys.stderr)
            return 1
        best = cands[0]
        print(f"best candidate: P = {best['period_s'] * 1e3:.4f} ms, DM {best['dm']:.2f}, "
              f"prepfold sigma {best['prepfold_sigma']:.1f} ({len(cands)} folded)")

        fold = palfa.fold(beam, best["period_s"], best["dm"], pdot=best["pdot"], config=config)
        tobs = palfa.open(beam).header["duration_s"]

    fig, (ax_tp, ax_prof) = plt.subplots(2, 1, figsize=(6, 7), sharex=True,
                                         gridspec_kw={"height_ratios": [3, 1]})
    nbins = fold["nbins"]
    phase = (np.arange(2 * nbins) + 0.5) / nbins
    # Each sub-integration less its own mean, so that the pulse, not the
    # number of samples folded into each, shows.
    tp = fold["time_phase"] - fold["time_phase"].mean(axis=1, keepdims=True)
    tp = np.tile(tp, 2)
    ax_tp.imshow(tp, aspect="auto", origin="lower", cmap="Greys", extent=[0, 2, 0, tobs])
    ax_tp.set_ylabel("time [s]")
    ax_tp.set_title(f"best candidate: P = {fold['period_s'] * 1e3:.4f} ms, DM {fold['dm']:.1f}, "
                    f"{fold['prepfold_sigma']:.1f} sigma\n"
                    f"injected: P = {injected['period_s'] * 1e3:.4f} ms, DM {injected['dm']:.1f}")
    ax_prof.plot(phase, np.tile(fold["profile"], 2), color="k", drawstyle="steps-mid")
    ax_prof.set_xlabel("pulse phase")
    ax_prof.set_ylabel("counts")
    ax_prof.set_xlim(0, 2)
    fig.tight_layout()
    a.png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.png, dpi=100)
    print(f"wrote {a.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
