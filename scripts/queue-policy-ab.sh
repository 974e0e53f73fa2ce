#!/bin/bash
# Interleaved A/B of BlockLab queue policies against fio on the direct 4 KiB random-read
# job of `blocklab-bench fio` (BENCHMARKS.md, issue 2). Each round runs every config once,
# the order rotating by round; prints per round IOPS(k)/CPU µs per I/O/I-Os in flight.
# Usage: scripts/queue-policy-ab.sh [ROUNDS] [SECONDS] [FILE]
# CONFIGS="fio def b2c2 b4c4 b4all b8c8" chooses the configs (see the case list below: nopin,
# lfsr, pin0, pin1, fiopin1, fionrm, defnrm, fiolfsr, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-12}; S=${2:-2}; F=${3:-.bench-data/direct-1g.dat}
[ -f "$F" ] || fio --name=layout --filename="$F" --size=1g --rw=write --bs=1m --output-format=json >/dev/null
BL=./.build/release/blocklab
COMMON="--name=d --filename=$F --size=1g --direct=1 --rw=randread --bs=4k --iodepth=32 --time_based --runtime=$S --output-format=json"
read -r -a NAMES <<< "${CONFIGS:-fio def b2c2 b4c4 b4all b8c8}"
run() {
  case $1 in
    fio) fio --ioengine=io_uring $COMMON 2>/dev/null ;;
    def) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON ;;
    getev) BL_GETEV=1 $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON ;;
    nofix) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --fixedbufs=0 --registerfiles=0 ;;
    seed) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --randseed=1234 ;;
    nodl) $BL run --quiet --results-dir /tmp/blocklab-ab --name=d --filename=$F --size=1g --direct=1 --rw=randread --bs=4k --iodepth=32 --io_size=$((S*90000*4))k --output-format=json ;;
    fionrm) fio --ioengine=io_uring $COMMON --norandommap 2>/dev/null ;;
    defnrm) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --norandommap ;;
    fiolfsr) fio --ioengine=io_uring $COMMON --random_generator=lfsr 2>/dev/null ;;
    lfsr) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --random_generator=lfsr ;;
    pin0) taskset -c 0 $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON ;;
    nopin) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --pin_threads=0 ;;
    pin1) taskset -c 1 $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON ;;
    fiopin1) taskset -c 1 fio --ioengine=io_uring $COMMON 2>/dev/null ;;
    b2c2) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --iodepth_batch_submit=2 --iodepth_batch_complete_max=2 ;;
    b4c4) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --iodepth_batch_submit=4 --iodepth_batch_complete_max=4 ;;
    b4all) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --iodepth_batch_submit=4 ;;
    b8c8) $BL run --quiet --results-dir /tmp/blocklab-ab $COMMON --iodepth_batch_submit=8 --iodepth_batch_complete_max=8 ;;
    *) echo "unknown config $1" >&2; exit 2 ;;
  esac | python3 -c "
import json,sys; j=json.load(sys.stdin)['jobs'][0]; r=j['read']
cpu=(j['usr_cpu']+j['sys_cpu'])/100*j['job_runtime']/1000/max(1,r['total_ios'])*1e6
print('%.1fk/%.2f/%.2f' % (r['iops']/1000, cpu, r['iops']*r['lat_ns']['mean']/1e9))"
}
for r in $(seq 1 "$R"); do
  line="round $r:"
  n=${#NAMES[@]}
  for i in $(seq 0 $((n-1))); do
    name=${NAMES[$(( (i + r) % n ))]}
    line="$line $name=$(run "$name")"
  done
  echo "$line"
done
