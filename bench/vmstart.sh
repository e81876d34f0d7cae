#!/bin/bash
# vmstart.sh: make bench's VM start measure; the job of a guest that
# scripts/bench.sh boots with --icount and a 16 GiB ivshmem BAR2. Runs the
# QEMU client (clients/qemu-assign.sh, its mmap run only: edu and ivshmem
# assigned to clients/mini.c, which boots, programs and enables the BARs,
# reboots once and powers off) VMSTART_REPS times (default 2; the first
# also reads QEMU and its libraries over 9p), with bench/vm_start in front
# of QEMU to time mini's lines on this guest's instruction clock. Prints
# the results as "bench," lines (bench/vm_start.c lists them).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$REPO/out}
res=/tmp/vmstart.csv
: > "$res"
for rep in $(seq 0 $((${VMSTART_REPS:-2} - 1))); do
	echo "# vmstart: run $rep"
	VMSTART_REP=$rep VMSTART_OUT=$res QEMU_ASSIGN_RUNS=mmap \
		QEMU_ASSIGN_WRAP=$OUT/bench/bin/vm_start QEMU_ASSIGN_LIMIT=${VMSTART_LIMIT:-3600} \
		bash "$REPO/clients/qemu-assign.sh"
done
cat "$res"
