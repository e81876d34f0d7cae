#!/bin/bash
# bench/profile.sh VARIANT SIZE ALIGN ONLY : where a benchmark measure
# spends its time. Boots VARIANT as make bench does (-icount
# shift=0,sleep=off, one vCPU, an ivshmem BAR2 of SIZE backed by RAM) and
# runs bench/vfio_bar_bench once (BENCH_REPS=1, BENCH_ALIGN=ALIGN,
# BENCH_ONLY=ONLY: touch, revoke, dma, dma_touched, mmap or open) under
# the guest's perf: cpu-clock samples (an hrtimer; under icount it fires
# every PROFILE_PERIOD_US microseconds of guest instructions, default
# 100), kernel symbols from kallsyms. Writes
# results/bench/profile-VARIANT-SIZE-ALIGN-ONLY.txt: the measures of that
# run, then the flat profile (symbols by share of samples) and the
# callers of the top symbols.
#   e.g. bench/profile.sh patched-bench 16G unaligned dma
. "$(dirname "$0")/../scripts/lib.sh"

[ $# = 4 ] || die "usage: bench/profile.sh VARIANT SIZE ALIGN ONLY"
v=$1 size=$2 align=$3 only=$4
res=$REPO/results/bench
mkdir -p "$res" "$OUT/bench/bin/$v" "$OUT/logs"
b=$(build_dir "$v")
d=$OUT/bench/bin/$v
bench_helpers "$v" "$d"
gcc -O2 -Wall -pthread -isystem "$b/usr/include" -I"$d" -o "$d/vfio_bar_bench" \
	"$REPO/bench/vfio_bar_bench.c" "$d/vfio_pci_util.c"
out=$res/profile-$v-$size-$align-$only.txt
log=$OUT/logs/profile-$v-$size-$align-$only.log
period=${PROFILE_PERIOD_US:-100}
# mmap and open run only with BENCH_EXTRA; the rest without its extra cases
case "$only" in *mmap*|*open*) extra=1 ;; *) extra=0 ;; esac
job="cd /tmp && BENCH_REPS=1 BENCH_ALIGN=$align BENCH_ONLY=$only BENCH_EXTRA=$extra \
perf record -q -e cpu-clock -c $((period * 1000)) -a -g -o /tmp/perf.data -- $d/vfio_bar_bench;
echo '### profile begin';
perf report -i /tmp/perf.data --stdio --no-children --sort sym --percent-limit 0.5 -g none 2>/dev/null | grep -v '^#' | grep -v '^\$';
echo '### callers';
perf report -i /tmp/perf.data --stdio --no-children --sort sym --percent-limit 5 -g caller,0.5,callee,function,percent 2>/dev/null | grep -v '^\$' | head -n 150;
echo '### profile end'"
say "profile: $v, BAR2 $size, $align, $only (log $log)"
# long quiet phases: no watch (boot.sh)
STALL_DUMP=0 STALL_KILL=0 nice -n "${BENCH_NICE:-10}" "$REPO/scripts/boot.sh" --icount --shm-size "$size" --shm-ram \
	--timeout "${PROFILE_TIMEOUT:-7200}" --log "$log" "$v" "$job" >/dev/null ||
	say "profile: the guest did not finish (see $log)"
{
	echo "# profile of vfio_bar_bench on $v, BAR2 $size, $align, BENCH_ONLY=$only"
	echo "# perf cpu-clock every ${period} us of guest instruction time (-icount shift=0)"
	grep -a '^bench' "$log" | tr -d '\r'
	tr -d '\r' < "$log" | sed -n '/^### profile begin/,/^### profile end/p'
} > "$out"
cat "$out"
