#!/bin/bash
# bench.sh [KERNEL...] : what a vfio-pci BAR mapping costs, side by side,
# in one run (make bench). Every guest runs under -icount shift=0,sleep=off
# with one vCPU, so the guest clock counts executed instructions:
#   production  the kernels of BENCH_PROD (default vanilla-bench
#               stable-bench patched-bench v6.12-bench v7.3-bench
#               v7.3-ours-bench: production-like configs), one boot
#               per ivshmem BAR2 size of BENCH_SIZES
#               (default 256M 1G 4G 16G) and a second boot at each size of
#               BENCH_REPEAT (default 4G 16G) for repeatability; in each,
#               bench/vfio_bar_bench with the BAR mapped aligned,
#               unaligned and misaligned
#   debug       the kernels of BENCH_DEBUG (default vanilla stable patched
#               v6.12: the test kernels, lockdep and DEBUG_VM on), one boot
#               with a 1 GiB BAR2, the same measures
#   vmstart     with BENCH_VMSTART=1 (the default), each production kernel
#               boots once more with a 16 GiB BAR2 and times QEMU's start
#               of a second-level guest that has it assigned
#               (bench/vmstart.sh)
# BAR2 is backed by QEMU's anonymous memory (boot.sh --shm-ram): pages the
# guest only reads cost the host nothing where the host kernel maps them
# to its zero page. This machine's host has none (pvm_no_zero_page=1): a
# guest that reads all of a 16 GiB BAR2 grows to about 17 GB, so no two
# 16 GiB guests may run at once (two bench.sh runs at once, below, only
# if at most one of them boots a 16 GiB BAR2).
# Writes results/bench/{bench.csv,table.md,*.png,boots.txt}, or
# BENCH_RESULTS/ (two runs of different kernels at once must not share a
# CSV; concatenate their rows after the header and run bench/tables.py
# CSV DIR on the whole). With
# arguments only the kernels named are measured; BENCH_KEEP=1 keeps the
# other kernels' rows of an earlier run. BENCH_NO_BUILD=1 boots what is
# built. BENCH_REPS (default 3) and BENCH_ALIGN (default all three
# placements, e.g. "misaligned") go to bench/vfio_bar_bench.
# BENCH_WALL=1 adds a wall-clock (TCG, no icount) boot at 1 GiB per
# production kernel. A benchmark, not a test: it never fails on a
# number.
. "$(dirname "$0")/lib.sh"

prod=${BENCH_PROD-vanilla-bench stable-bench patched-bench v6.12-bench v7.3-bench v7.3-ours-bench}
debug=${BENCH_DEBUG-vanilla stable patched v6.12}
sizes=${BENCH_SIZES:-256M 1G 4G 16G}
repeat=${BENCH_REPEAT-4G 16G}
reps=${BENCH_REPS:-3}
[[ "$reps" =~ ^[0-9]+$ && "${BENCH_ALIGN:-}" =~ ^[a-z,]*$ ]] ||
	die "BENCH_REPS must be a number, BENCH_ALIGN a list of placements"
# what the guest's vfio_bar_bench is given: the repetitions, and
# BENCH_ALIGN (default: every placement) to measure only some of them
guest_env="BENCH_REPS=$reps${BENCH_ALIGN:+ BENCH_ALIGN=$BENCH_ALIGN}"
vmstart=${BENCH_VMSTART:-1}
[ $# -gt 0 ] || set -- $prod $debug

res=${BENCH_RESULTS:-$REPO/results/bench}
mkdir -p "$res" "$OUT/bench/bin" "$OUT/logs"
csv=$res/bench.csv
head="kernel,table,size,run,measure,param,align,rep,value"
if [ "${BENCH_KEEP:-0}" = 1 ] && [ "$(head -n 1 "$csv" 2>/dev/null)" = "$head" ]; then
	# Re-measure only the kernels named; keep the others' rows.
	keep=$(mktemp)
	awk -F, -v k=" $* " 'NR == 1 || index(k, " " $1 " ") == 0' "$csv" > "$keep"
	mv "$keep" "$csv"
	touch "$res/boots.txt"
	awk -v k=" $* " 'index(k, " " $1 " ") == 0' "$res/boots.txt" > "$res/boots.txt.new"
	mv "$res/boots.txt.new" "$res/boots.txt"
else
	echo "$head" > "$csv"
	: > "$res/boots.txt"
fi

# bench_bin VARIANT: the benchmark program for VARIANT, built from
# bench/vfio_bar_bench.c against the variant's uapi headers and its
# selftests' helpers (lib.sh's bench_helpers). The same source for every
# kernel, whichever version of it the kernel was built with.
bench_bin() {
	local v=$1 b d
	b=$(build_dir "$v")
	d=$OUT/bench/bin/$v
	bench_helpers "$v" "$d"
	[ -f "$b/usr/include/linux/vfio.h" ] || die "$v: no uapi headers in $b (scripts/build.sh $v)"
	gcc -O2 -Wall -pthread -isystem "$b/usr/include" -I"$d" -o "$d/vfio_bar_bench" \
		"$REPO/bench/vfio_bar_bench.c" "$d/vfio_pci_util.c"
	echo "$d/vfio_bar_bench"
}

# boot VARIANT TABLE SIZE RUN TIMEOUT JOB [boot.sh options]: one guest;
# its "bench," lines go to the CSV with the kernel, table, size and run
boot() {
	local v=$1 table=$2 size=$3 run=$4 tmo=$5 job=$6 log t0 rc=0 opt=()
	shift 6
	log=$OUT/logs/bench-$v-$table-$size-$run.log
	[ "$run" = wall ] || opt=(--icount)
	say "bench: $v, $table, BAR2 $size, $run (log $log)"
	t0=$SECONDS
	# long quiet phases (a 16 GiB touch): no watch (boot.sh)
	STALL_DUMP=0 STALL_KILL=0 nice -n "${BENCH_NICE:-10}" "$REPO/scripts/boot.sh" "${opt[@]}" --shm-size "$size" --shm-ram \
		--timeout "$tmo" --log "$log" "$@" "$v" "$job" >/dev/null || rc=$?
	[ $rc = 0 ] || say "bench: $v $table $size $run did not finish (rc $rc, see $log)"
	grep -a '^bench,' "$log" | tr -d '\r' |
		sed "s/^bench,/$v,$table,$size,$run,/" >> "$csv" || true
	grep -a '^bench-info,' "$log" | tr -d '\r' | sed "s/^bench-info,/$v $size $run: /" |
		head -n 1 >> "$res/boots.txt" || true
	say "bench: $v $table $size $run took $((SECONDS - t0)) s"
	echo "$v $table $size $run: $((SECONDS - t0)) s host wall time, rc $rc" >> "$res/boots.txt"
}

# a host-side limit per guest, by BAR size (6.12 maps a 16 GiB BAR
# mapping one 4 KiB page per fault when it is not aligned)
limit() {
	case "$1" in
	16G) echo "${BENCH_TIMEOUT_16G:-14400}" ;;
	4G) echo "${BENCH_TIMEOUT_4G:-5400}" ;;
	*) echo "${BENCH_TIMEOUT:-3600}" ;;
	esac
}

if [ "$vmstart" = 1 ]; then
	make -s -C "$REPO/clients" OUT="$OUT" "$OUT/clients/mini.elf"
	# only when out of date: another bench run's guest may be running it
	[ "$OUT/bench/bin/vm_start" -nt "$REPO/bench/vm_start.c" ] ||
		gcc -O2 -Wall -o "$OUT/bench/bin/vm_start" "$REPO/bench/vm_start.c"
fi
t0=$SECONDS
for v in "$@"; do
	variant_field "$v" 2 >/dev/null
	[ "${BENCH_NO_BUILD:-0}" = 1 ] || nice -n "${BENCH_NICE:-10}" "$REPO/scripts/build.sh" "$v"
	bin=$(bench_bin "$v")
	if ! variant_has "$v" bench; then
		boot "$v" debug 1G icount1 "$(limit 1G)" "$guest_env $bin"
		continue
	fi
	for size in $sizes; do
		boot "$v" prod "$size" icount1 "$(limit "$size")" "$guest_env $bin"
	done
	for size in $repeat; do
		boot "$v" prod "$size" icount2 "$(limit "$size")" "$guest_env $bin"
	done
	[ "${BENCH_WALL:-0}" != 1 ] ||
		boot "$v" prod 1G wall "$(limit 1G)" "$guest_env $bin"
	[ "$vmstart" != 1 ] ||
		boot "$v" vmstart 16G icount1 "$(limit 16G)" \
			"VMSTART_REPS=${BENCH_VMSTART_REPS:-2} bash $REPO/bench/vmstart.sh"
done
say "bench: guests done in $((SECONDS - t0)) s"
echo "all guests: $((SECONDS - t0)) s host wall time" >> "$res/boots.txt"
"$REPO/bench/tables.py" "$csv" "$res"
# The source of the tables is kept with them (docs/results/bench/DATE/),
# so that make check can see they are what the data gives
# (scripts/results-table.py check) and the docs and cover letters quote a
# generated table.
keep=$REPO/docs/results/bench/$(date +%F)
mkdir -p "$keep"
cp "$csv" "$keep/bench.csv"
cp "$res/table.md" "$keep/table.md"
say "bench: kept $keep/bench.csv and its table.md (commit them)"
