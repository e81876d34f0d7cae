#!/bin/bash
# run-tests.sh [--no-build] [VARIANT...]
#   Build each kernel variant (default: all in scripts/variants.conf), boot it
#   once, run every test in that one boot (the vfio selftests; KUnit runs at
#   boot), check the ivshmem memory from the host, and judge the log against
#   expected/VARIANT.txt. The last line is "N passed, N failed, N skipped".
#   ONLY=REGEX / SKIP=REGEX run only some test programs in the main boot (the
#   clients then do not run); the report then judges only what ran.
#   STORM=0 leaves out the storm's own boot; STORM=1 makes it also for the
#   variants flagged storm-by-hand, which leave it out by default.
. "$(dirname "$0")/lib.sh"

build=1
if [ "${1:-}" = --no-build ]; then build=0; shift; fi
[ $# -gt 0 ] || set -- $(all_variants)

# race_seconds VARIANT: how long each barmap race case runs. 10 s where
# the race must not be hit: at 20 s per case a kernel that has it failed
# 10-25% of cycles (vanilla 6.1) and 9-32% (6.12) under TCG with two
# vCPUs. 3 s where expected/ says MAYFAIL, since no run can change that
# verdict (those rates are measured by hand with RACE_SECONDS=20).
# RACE_SECONDS sets it for every kernel.
race_seconds() {
	if [ -n "${RACE_SECONDS:-}" ]; then
		echo "$RACE_SECONDS"
	elif grep -q '^vfio_pci_barmap_race_test:.* MAYFAIL' "$REPO/expected/$1.txt" 2>/dev/null; then
		echo 3
	else
		echo 10
	fi
}

# The guest job: every test program of the build, each bounded in time
# (scripts/guest-job.sh).
job_for() {
	local b=$1 t prog limit
	t=$(sed -n "s/^timeout=//p" "$b/kselftest/vfio/settings" 2>/dev/null || true)
	# The barmap race test (its own default is 20 s per case): see
	# race_seconds.
	echo "export VFIO_SELFTESTS_RACE_SECONDS=$(race_seconds "$v")"
	echo "cd /tmp"
	echo ". $REPO/scripts/guest-job.sh"
	# A sanitizer kernel counts only what leaks from here on.
	kmemleak_job "$v" clear "$REPO/scripts/guest-kmemleak.sh"
	# The behaviour suite first, the storm (which a broken kernel may
	# not survive) last.
	for prog in $(ls "$b"/kselftest/vfio/* | grep -v '_storm$') \
		    $(ls "$b"/kselftest/vfio/* | grep '_storm$'); do
		[ -x "$prog" ] && [ -f "$prog" ] || continue
		# ONLY=REGEX / SKIP=REGEX choose the programs of this boot
		[[ "${prog##*/}" =~ ${ONLY:-.} ]] || continue
		[ -z "${SKIP:-}" ] || ! [[ "${prog##*/}" =~ $SKIP ]] || continue
		# expected/VARIANT.txt may say a program is not run there, and why
		if grep -q "^${prog##*/} NOTRUN" "$REPO/expected/$v.txt" 2>/dev/null; then
			echo "echo '### test-notrun ${prog##*/}'"
			continue
		fi
		case "$prog" in
		*_storm) limit=120 ;;	# 20 s per device by default
		*) limit=${t:-600} ;;
		esac
		echo "run_bounded ${prog##*/} $limit $prog"
	done
	# Real clients (see clients/), on the kernels whose flags ask for them
	# (scripts/variants.conf), in the main boot only (not in the storm's
	# boot, ONLY=_storm: one vCPU, and results once).
	if [ -z "${ONLY:-}" ] && variant_has "$v" clients; then
		for c in "$REPO"/clients/*.sh; do
			[ -x "$c" ] && echo "$c"
		done
	fi
	# Last, as it releases the devices: a sanitizer kernel's kmemleak scan.
	local kind=main
	[ "${ONLY:-}" != _storm ] || kind=storm
	kmemleak_job "$v" "$kind" "$REPO/scripts/guest-kmemleak.sh"
}

# caught_vs VARIANT: for a planted fault (flag caught-vs-KERNEL), the
# kernel whose expected results its run must fail; fails for the others.
caught_vs() {
	tr ',' '\n' <<<"$(variant_field "$1" 4)" | sed -n 's/^caught-vs-//p' | grep .
}

# judge_plant VARIANT KERNEL LOG [REPORT OPTIONS]: a plant is caught when
# its log fails KERNEL's expected results; one result, printed as the
# report's last line is.
judge_plant() {
	local v=$1 k=$2 log=$3 out
	shift 3
	out=$("$REPO/scripts/report.py" "$k" "$log" "$@" || true)
	if ! grep -E '^(FAIL|dmesg|note)' <<<"$out"; then
		echo "NOT CAUGHT $v: its run passes $k's expected results"
		echo "$v: 0 passed, 1 failed, 0 skipped"
	else
		echo "CAUGHT $v: its run fails $k's expected results"
		echo "$v: 1 passed, 0 failed, 0 skipped"
	fi
}

# want_storm VARIANT: make the storm's boot? STORM=0: never; STORM=1:
# always; unset: unless the variant is flagged storm-by-hand (v6.12, whose
# storm runs upstream's code, not ours: CI keeps those minutes).
want_storm() {
	case "${STORM:-}" in
	0) return 1 ;;
	1) return 0 ;;
	esac
	! variant_has "$1" storm-by-hand
}

total_p=0 total_f=0 total_s=0
mkdir -p "$OUT/logs"
# The clients' host-side parts (clients/Makefile: the nested guests)
[ ! -f "$REPO/clients/Makefile" ] || make -s -C "$REPO/clients" OUT="$OUT"
for v in "$@"; do
	[ $build = 0 ] || "$REPO/scripts/build.sh" "$v"
	b=$(build_dir "$v")
	log=$OUT/logs/$v.log
	say "$v: filling the 1 GiB ivshmem image"
	"$REPO/scripts/ivshmem.py" fill "$OUT/ivshmem.img"
	t0=$SECONDS
	"$REPO/scripts/boot.sh" --log "$log" "$v" "$(SKIP=_storm job_for "$b")" >/dev/null || true
	say "$v: test boot done in $((SECONDS - t0)) s"
	{
		echo "### host begin"
		"$REPO/scripts/ivshmem.py" check "$OUT/ivshmem.img"
		! variant_has "$v" clients || [ -n "${ONLY:-}" ] ||
			[ ! -x "$REPO/clients/qemu-assign.sh" ] ||
			"$REPO/scripts/ivshmem.py" check-client "$OUT/ivshmem.img"
		echo "### host end"
	} >> "$log"
	# A run of chosen programs (ONLY=, SKIP=) is judged on what ran.
	partial=()
	[ -z "${ONLY:-}${SKIP:-}" ] || partial=(--partial)
	# The storm gets a boot of its own, on one vCPU with the instruction
	# clock: with two TCG vCPUs on a loaded two-core host, guests have
	# stalled in it (a vCPU that stops taking timer interrupts).
	storm=$(ls "$b"/kselftest/vfio/*_storm 2>/dev/null | head -n 1 || true)
	if [ -z "$storm" ] || grep -q "_storm NOTRUN" "$REPO/expected/$v.txt" 2>/dev/null; then
		:
	elif want_storm "$v"; then
		t0=$SECONDS
		"$REPO/scripts/boot.sh" --icount --log "$log.storm" "$v" \
			"$(ONLY=_storm job_for "$b")" >/dev/null || true
		say "$v: storm boot done in $((SECONDS - t0)) s"
		cat "$log.storm" >> "$log"
	elif [ -z "${ONLY:-}" ]; then
		say "$v: its storm boot is made by hand (STORM=1 makes it)"
		partial+=(--left-out "${storm##*/}")
	fi
	say "$v: results (log: $log)"
	if plant=$(caught_vs "$v"); then
		judge_plant "$v" "$plant" "$log" "${partial[@]}" | tee "$OUT/logs/$v.report"
	else
		"$REPO/scripts/report.py" "$v" "$log" "${partial[@]}" | tee "$OUT/logs/$v.report" || true
	fi
	read -r p f s < <(tail -n 1 "$OUT/logs/$v.report" |
		sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
done
echo "accelerator: $(cat "$OUT/accel" 2>/dev/null || echo unknown)"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
