#!/bin/bash
# The lab on N nodes as a Slurm job array: one task per node, each writing its run directory
# to a shared filesystem under results/<host>. Merge afterwards with
#   blocklab compare "$SHARED/results"   and   blocklab report "$SHARED/results" --html fleet.html
#
#   sbatch --array=0-7 --nodes=1 --exclusive deploy/slurm/lab-array.sh
#
#SBATCH --job-name=blocklab-lab
#SBATCH --nodes=1
#SBATCH --exclusive
#SBATCH --output=blocklab-lab-%A_%a.out
set -euo pipefail
SHARED=${SHARED:-$HOME/blocklab}
# Node-local scratch (instance store, or an EBS volume mounted there).
SCRATCH=${SCRATCH:-${TMPDIR:-/var/tmp}}
host=$(hostname -s)
mkdir -p "$SHARED/results/$host"
target="$SCRATCH/blocklab-lab-$SLURM_ARRAY_TASK_ID.dat"
trap 'rm -f "$target"' EXIT
blocklab lab --quick --target "$target" --results-dir "$SHARED/results/$host"
