#!/bin/bash
# bench.sh [VARIANT...] : what a BAR mapping costs, side by side.
#   Builds each kernel (default: vanilla patched v6.12; set BENCH_VARIANTS or
#   pass names, e.g. "vanilla p2 p3 patched" for the per-patch view), boots
#   each under identical QEMU settings and runs bench/vfio_bar_bench in it:
#   twice with -icount shift=0,sleep=off (the guest clock counts instructions;
#   the two runs show repeatability) and once on the wall clock. Writes
#   results/bench/{bench.csv,table.md,bench.png}; BENCH_KEEP=1 re-measures
#   only the kernels named and keeps the others' rows. A benchmark, not a test:
#   it never fails on a number.
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || set -- ${BENCH_VARIANTS:-vanilla patched v6.12}
res=$REPO/results/bench
mkdir -p "$res"
csv=$res/bench.csv
if [ "${BENCH_KEEP:-0}" = 1 ] && [ -f "$csv" ]; then
	# Re-measure only the kernels named; keep the others' rows.
	keep=$(mktemp)
	awk -F, -v k=" $* " 'NR == 1 || index(k, " " $1 " ") == 0' "$csv" > "$keep"
	mv "$keep" "$csv"
else
	echo "kernel,clock,run,measure,param,rep,ns" > "$csv"
fi
reps=${BENCH_REPS:-3}
# An ivshmem image of its own, so a test run can go on at the same time.
shm=$OUT/bench/ivshmem.img
mkdir -p "$OUT/bench"
t0=$SECONDS
for v in "$@"; do
	[ "${BENCH_NO_BUILD:-0}" = 1 ] || "$REPO/scripts/build.sh" "$v"
	bin=$(build_dir "$v")/bench/vfio_bar_bench
	[ -x "$bin" ] || die "no benchmark binary for $v"
	for run in icount1 icount2 wall; do
		opt=()
		[ $run = wall ] || opt=(--icount)
		log=$OUT/logs/bench-$v-$run.log
		say "bench: $v, $run"
		"$REPO/scripts/ivshmem.py" fill "$shm"
		IVSHMEM=$shm "$REPO/scripts/boot.sh" "${opt[@]}" --log "$log" "$v" \
			"BENCH_REPS=$reps $bin" >/dev/null ||
			say "bench: $v $run did not finish (see $log)"
		grep -a '^bench,' "$log" | tr -d '\r' |
			sed "s/^bench,/$v,${run%[12]},$run,/" >> "$csv" || true
	done
done
say "bench: guests done in $((SECONDS - t0)) s"
# The table lists every kernel in the CSV, in the usual order.
kernels=$(for k in vanilla p2 p3 p4 patched v6.12 "$@"; do
	grep -q "^$k," "$csv" && echo "$k"; done | awk '!seen[$0]++')
"$REPO/bench/report.py" "$csv" "$res" $kernels
