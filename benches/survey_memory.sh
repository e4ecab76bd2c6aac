#!/usr/bin/env bash
# Memory of a survey box: the reference archive, and `palfa run` (the
# downloader with `numdownloads` transfers, the job pooler running one
# `palfa search` at a time on the local queue, the uploader), over copies of
# one beam. Every process of the given palfa binary is sampled every 0.5 s
# (VmRSS and VmHWM from /proc); at the end each process's peak and the largest
# sum over the processes at one moment are printed.
#
#   benches/survey_memory.sh PALFA BEAM WORKDIR [SECONDS] [NUMDOWNLOADS]
#
# PALFA: a release `palfa` binary (give it a name of its own, e.g. a copy
# called palfa-mem, so that no other palfa on the machine is sampled); BEAM:
# a beam file (e.g. the PALFA-size beam `palfa bench` writes, 4 GB);
# WORKDIR: made afresh (the beams are hard-linked into it where they can be,
# and NUMDOWNLOADS + 1 of them are downloaded: that much free disk is
# needed). The run is stopped after SECONDS (default 600: past the search's
# peak, in its first groups of per-DM searches). Linux only.
set -euo pipefail

palfa=$(realpath "$1")
beam=$(realpath "$2")
work=$3
seconds=${4:-600}
numdownloads=${5:-2}
name=$(basename "$palfa")

rm -rf "$work"
mkdir -p "$work/site/archive" "$work/site/logs"
work=$(realpath "$work")
site=$work/site
ext=${beam##*.}
for i in $(seq 1 $((numdownloads + 1))); do
    ln "$beam" "$site/archive/beam$i.$ext" 2>/dev/null || cp "$beam" "$site/archive/beam$i.$ext"
done

"$palfa" config init "$site" --force > /dev/null
cfg=$site/palfa.toml
# key = value in [section] of the commented configuration `config init` wrote.
set_key() {
    local section=$1 key=$2 value=$3
    awk -v s="[$section]" -v k="$key" -v v="$value" '
        /^\[/ { in_s = ($0 == s) }
        in_s && !done && $0 !~ /^#/ && $1 == k && $2 == "=" { print k " = " v; done = 1; next }
        { print }
        END { if (!done) exit 1 }' "$cfg" > "$cfg.new"
    mv "$cfg.new" "$cfg"
}
set_key background sleep 1.0
set_key download api_service_url '"http://127.0.0.1:18021/PalfaDataService.asmx"'
set_key download ftp_host '"127.0.0.1"'
set_key download ftp_port 12121
set_key download numdownloads "$numdownloads"
set_key download min_free_space 1073741824
set_key download file_size_estimate "$(stat -c %s "$beam")"
# One search at a time: the box's cores all go to it.
set_key jobpooler max_jobs_running 1
"$palfa" --config "$cfg" config check

samples=$work/samples.txt
: > "$samples"
sample() {
    while [ ! -e "$work/stop" ]; do
        local now line=""
        now=$(date +%s.%N)
        for pid in $(pgrep -x "$name" || true); do
            local st rss hwm role
            st=$(cat "/proc/$pid/status" 2>/dev/null) || continue
            rss=$(awk '/^VmRSS:/ {print $2}' <<< "$st")
            hwm=$(awk '/^VmHWM:/ {print $2}' <<< "$st")
            role=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -m1 -xE 'archive|run|search' || echo other)
            line+=" $pid:$role:${rss:-0}:${hwm:-0}"
        done
        echo "$now$line" >> "$samples"
        sleep 0.5
    done
}
sample &
sampler=$!

"$palfa" --config "$cfg" --no-progress --log-file "$site/logs/archive.log" archive serve \
    --data "$site/archive" --http 127.0.0.1:18021 --ftp 127.0.0.1:12121 --passive-ports 12200-12215 &
archive=$!
sleep 2
"$palfa" --config "$cfg" --no-progress db create
"$palfa" --config "$cfg" --no-progress resultsdb create
"$palfa" --config "$cfg" --no-progress --log-file "$site/logs/run.log" run --until-idle --sleep 1 &
run=$!
sleep "$seconds"
kill -INT "$run" 2>/dev/null || true
sleep 20
kill "$run" 2>/dev/null || true
pkill -f "^$palfa search" 2>/dev/null || true
kill "$archive" 2>/dev/null || true
touch "$work/stop"
wait "$sampler" 2>/dev/null || true
rm -rf "$site/rawdata"

echo "numdownloads = $numdownloads; samples in $samples; downloads:"
grep -E "download started|downloaded file|submitted job" "$site/logs/run.log" | cut -c1-160 || true
awk '
    NR == 1 { t0 = $1 }
    {
        sum = 0
        for (i = 2; i <= NF; i++) {
            split($i, f, ":")
            sum += f[3]
            key = f[1] " " f[2]
            if (f[4] > peak[key]) peak[key] = f[4]
        }
        if (sum > best) { best = sum; at = $1 - t0 }
    }
    END {
        for (k in peak) printf "peak resident memory of %s: %.0f MiB\n", k, peak[k] / 1024
        printf "largest sum at one moment: %.0f MiB, %.0f s after the start\n", best / 1024, at
    }' "$samples"
