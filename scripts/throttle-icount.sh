#!/bin/bash
# Instructions per admitted I/O for one throttle bench case, counted exactly by callgrind
# (this VM's timing swings up to 1.7x; instruction counts do not). Needs valgrind.
#   scripts/throttle-icount.sh [BINARY] "case name substring"
# e.g. scripts/throttle-icount.sh "(every limit booked), shared, over"
set -euo pipefail
if [ $# -ge 2 ]; then bin=$1; shift; else bin=.build/release/blocklab-bench; fi
case=$1; n=200000
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
strip --strip-debug -o "$tmp/bench" "$bin"   # valgrind cannot read Swift's debug info
BENCH_THROTTLE_ONLY="$case" BENCH_THROTTLE_ROUNDS=1 BENCH_THROTTLE_ITERATIONS=$n \
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$tmp/bench" throttle >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$tmp/out" 2>/dev/null | grep -m1 'ShaperC5admit' \
  | awk -v n=$n '{gsub(",", "", $1); printf "%.0f instructions per admit\n", $1 / n}'
