#!/usr/bin/env bash
# Builds and runs every fuzz target for SECONDS each (default 30), one at a time.
#
#   fuzz/run.sh [SECONDS]
#
# Each target starts from its committed seeds (fuzz/seeds/<target>/) and its
# corpus (fuzz/corpus/<target>/, gitignored, grown by earlier runs and, when
# ../shared/data exists, seeded with the real test files there). Limits: 2 GiB
# RSS, 512 MiB per allocation, 10 s per input (a slower input counts as a hang).
#
# Exits non-zero if any target crashed, hung or went over a memory limit (the
# input is left under fuzz/artifacts/<target>/); exits 0 with a message when the
# nightly toolchain or cargo-fuzz is missing, so CI without them passes.
set -u

seconds="${1:-30}"
case "$seconds" in
    '' | *[!0-9]*)
        echo "usage: $0 [SECONDS]" >&2
        exit 2
        ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here" || exit 2

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: no nightly toolchain (rustup toolchain install nightly); fuzzing skipped"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz is not installed (cargo install cargo-fuzz); fuzzing skipped"
    exit 0
fi

targets=(filterbank fits psrfits mock inf mask accel accelcands cand singlepulse pfd bestprof zaplist)

# Real files from other projects' test suites (not committed here: see
# ../shared/data/README.md) go into the gitignored corpus when present.
shared="$here/../../shared/data"
import() { # import TARGET FILE...
    local t="$1"
    shift
    mkdir -p "corpus/$t"
    local f
    for f in "$@"; do
        [ -f "$f" ] && [ ! -e "corpus/$t/$(basename "$f")" ] && head -c 65536 "$f" >"corpus/$t/$(basename "$f")"
    done
}
if [ -d "$shared" ]; then
    import filterbank "$shared"/sigpyproc3/*.fil "$shared"/your/*.fil
    import fits "$shared"/your/*.fits
    import psrfits "$shared"/your/*.fits
    import inf "$shared"/sigpyproc3/*.inf
    import pfd "$shared"/presto/*.pfd
    import bestprof "$shared"/presto/*.bestprof
fi

echo "fuzz/run.sh: building ${#targets[@]} targets"
if ! cargo +nightly fuzz build --debug-assertions >build.log 2>&1; then
    tail -n 40 build.log
    echo "fuzz/run.sh: build failed" >&2
    exit 1
fi

failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
    echo "fuzz/run.sh: $t for ${seconds}s"
    if ! cargo +nightly fuzz run --debug-assertions "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"artifacts/$t.log" 2>&1; then
        grep -E 'ERROR|panicked|SUMMARY|Test unit written' "artifacts/$t.log" | head -n 20
        failed+=("$t")
    fi
    grep -E 'stat::number_of_executed_units' "artifacts/$t.log" || true
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz/run.sh: FAILED: ${failed[*]} (inputs under fuzz/artifacts/; reproduce with cargo +nightly fuzz run TARGET FILE)" >&2
    exit 1
fi
echo "fuzz/run.sh: all ${#targets[@]} targets ran ${seconds}s without a crash"
