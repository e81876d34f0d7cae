#!/bin/bash
# run-tests.sh [--no-build] [VARIANT...]
#   Build each kernel variant (default: all in scripts/variants.conf), boot it
#   once, run every test in that one boot (the vfio selftests; KUnit runs at
#   boot), check the ivshmem memory from the host, and judge the log against
#   expected/VARIANT.txt. The last line is "N passed, N failed, N skipped".
#   ONLY=REGEX / SKIP=REGEX run only some test programs in the main boot (the
#   clients then do not run); the report then judges only what ran.
#   STORM=0 leaves out the storm's own boot.
. "$(dirname "$0")/lib.sh"

build=1
if [ "${1:-}" = --no-build ]; then build=0; shift; fi
[ $# -gt 0 ] || set -- $(all_variants)

# The guest job: every test program of the build, each bounded in time
# (scripts/guest-job.sh).
job_for() {
	local b=$1 t prog limit
	t=$(sed -n "s/^timeout=//p" "$b/kselftest/vfio/settings" 2>/dev/null || true)
	# The barmap race test: 10 s per case fires the race in nearly every
	# run of a kernel that has it (at 20 s per case it failed in 10-25% of
	# cycles on vanilla 6.1 and 9-32% on 6.12 under TCG with two vCPUs),
	# where its default is 20 s.
	echo "export VFIO_SELFTESTS_RACE_SECONDS=${RACE_SECONDS:-10}"
	echo "cd /tmp"
	echo ". $REPO/scripts/guest-job.sh"
	# A sanitizer kernel counts only what leaks from here on.
	! variant_has "$v" kasan || echo "$REPO/scripts/guest-kmemleak.sh clear"
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
	if variant_has "$v" kasan; then
		local name=kmemleak
		[ "${ONLY:-}" != _storm ] || name=kmemleak_after_storm
		echo "run_bounded $name 300 $REPO/scripts/guest-kmemleak.sh"
	fi
	return 0
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
	# The storm gets a boot of its own, on one vCPU with the instruction
	# clock: with two TCG vCPUs on a loaded two-core host, guests have
	# stalled in it (a vCPU that stops taking timer interrupts).
	if [ "${STORM:-1}" = 1 ] && ls "$b"/kselftest/vfio/*_storm >/dev/null 2>&1 &&
	   ! grep -q "_storm NOTRUN" "$REPO/expected/$v.txt" 2>/dev/null; then
		t0=$SECONDS
		"$REPO/scripts/boot.sh" --icount --log "$log.storm" "$v" \
			"$(ONLY=_storm job_for "$b")" >/dev/null || true
		say "$v: storm boot done in $((SECONDS - t0)) s"
		cat "$log.storm" >> "$log"
	fi
	say "$v: results (log: $log)"
	# A run of chosen programs (ONLY=, SKIP=) is judged on what ran.
	partial=()
	[ -z "${ONLY:-}${SKIP:-}" ] || partial=(--partial)
	"$REPO/scripts/report.py" "$v" "$log" "${partial[@]}" | tee "$OUT/logs/$v.report" || true
	read -r p f s < <(tail -n 1 "$OUT/logs/$v.report" |
		sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
done
echo "accelerator: $(cat "$OUT/accel" 2>/dev/null || echo unknown)"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
