#!/bin/bash
# bench/open-cost.sh [KERNEL...] : what opening a device costs, on the
# instruction clock, side by side: each KERNEL (default: vanilla patched,
# the test kernels, or BENCH_PROD=1 for vanilla-bench patched-bench) boots
# with -icount shift=0,sleep=off and one vCPU, once per ivshmem BAR2 size
# of OPEN_SIZES (default 1G 16G), and runs bench/vfio_bar_bench's
# first_open measure: 100 x the device's only fd opened and closed (the
# open enables the device; a kernel that maps every BAR at open, as
# upstream since v7.2 and the fix layer's eager mapping, requests and
# iomaps them there), BENCH_REPS times (default 3). Prints a table of the median per
# open + close, in microseconds, with each kernel's ratio to the first;
# the raw lines go to results/bench/open-cost.txt (other kernels' lines
# there are kept, so a kernel can be added later; OPEN_TABLE_ONLY=1 only
# prints the table of what is kept). A measurement, never a
# test: it does not fail on a number.
. "$(dirname "$0")/../scripts/lib.sh"

if [ $# = 0 ]; then
	if [ "${BENCH_PROD:-0}" = 1 ]; then set -- vanilla-bench patched-bench; else set -- vanilla patched; fi
fi
sizes=${OPEN_SIZES:-1G 16G}
reps=${BENCH_REPS:-3}
res=$REPO/results/bench
mkdir -p "$res" "$OUT/logs"
raw=$res/open-cost.txt
# keep the other kernels' rows of an earlier run; the table shows the
# kernels named, the first as the reference
touch "$raw"
[ "${OPEN_TABLE_ONLY:-0}" = 1 ] || {
keep=$(mktemp)
awk -F, -v k=" $* " 'index(k, " " $1 " ") == 0' "$raw" >"$keep"
mv "$keep" "$raw"
}

# bench_bin KERNEL: the kernel's vfio_bar_bench (scripts/build.sh builds it
# against the kernel's headers and the selftests' helpers)
bench_bin() {
	local bin
	bin=$(build_dir "$1")/bench/vfio_bar_bench
	[ -x "$bin" ] && grep -q first_open_close "$bin" ||
		die "$1: no vfio_bar_bench with the first_open measure; run scripts/build.sh $1"
	echo "$bin"
}

# The job: the measure alone
job() { echo "cd /tmp && BENCH_REPS=$reps BENCH_EXTRA=1 BENCH_ONLY=first_open $1"; }

for k in "$@"; do
	[ "${OPEN_TABLE_ONLY:-0}" = 0 ] || break	# the table of the lines kept
	bin=$(bench_bin "$k")
	for s in $sizes; do
		log=$OUT/logs/open-cost-$k-$s.log
		say "open-cost: $k, BAR2 $s (log $log)"
		STALL_DUMP=0 STALL_KILL=0 "$REPO/scripts/boot.sh" --icount --shm-size "$s" --shm-ram \
			--timeout "${OPEN_TIMEOUT:-3600}" --log "$log" "$k" "$(job "$bin")" >/dev/null ||
			say "open-cost: $k $s: the guest did not finish (see $log)"
		tr -d '\r' <"$log" | grep -aE '^bench' | sed "s/^/$k,$s,/" >>"$raw"
	done
done

python3 - "$raw" "$@" <<'PY'
import statistics, sys
raw, kernels = sys.argv[1], sys.argv[2:]
t = {}
for line in open(raw):
    f = line.strip().split(",")
    if len(f) >= 8 and f[2] == "bench" and f[3] == "first_open_close":
        t.setdefault((f[0], f[1]), []).append(int(f[7]) / 100 / 1000)
sizes = sorted({s for _, s in t}, key=lambda s: float(s[:-1]))
print("| BAR2 | " + " | ".join(kernels) + " | " + " | ".join(f"{k}/{kernels[0]}" for k in kernels[1:]) + " |")
print("|---" * (1 + 2 * len(kernels) - 1) + "|")
for s in sizes:
    med = [statistics.median(t[(k, s)]) if (k, s) in t else None for k in kernels]
    cell = lambda v: "-" if v is None else f"{v:.1f}"
    ratio = [("-" if None in (m, med[0]) else f"{m / med[0]:.2f}") for m in med[1:]]
    print(f"| {s} | " + " | ".join(cell(m) for m in med) + " | " + " | ".join(ratio) + " |")
print("\nmicroseconds per first open + last close of the device (median of the repetitions)")
PY
echo "raw: $raw"
