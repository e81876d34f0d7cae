#!/bin/bash
# run-tests.sh [--no-build] [VARIANT...]
#   The one test driver (make test, arch, edges, kvm, sanitize). For each
#   kernel variant (default: those flagged "test" in scripts/variants.conf)
#   on its architecture (scripts/arch.conf): build it (scripts/build.sh),
#   fill the ivshmem image, boot it once to run every test program but the
#   storm (KUnit runs at boot), check the ivshmem memory from the host,
#   boot again on one vCPU with the instruction clock for the storm, and
#   judge the log (scripts/judge.py: its JSON beside the log). Plants and
#   probes are judged as their role says (judge.py). The last line is
#   "N passed, N failed, N skipped".
#   ONLY=REGEX / SKIP=REGEX run only some test programs (the clients then
#   do not run); the judge then judges only what ran. A variant flagged
#   only-REGEX (a kernel made for one test) is run as with ONLY=REGEX.
#   STORM=0 leaves out the storm's own boot; STORM=1 makes it also for the
#   variants flagged storm-by-hand, which leave it out by default.
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/job.sh"

build=1
if [ "${1:-}" = --no-build ]; then build=0; shift; fi
[ $# -gt 0 ] || set -- $(all_variants)

# install_arch_deps VARIANT...: the Debian packages their architectures
# need (scripts/arch.conf's column pkgs), where missing
install_arch_deps() {
	local v p missing=()
	for p in $(for v in "$@"; do arch_field "$(variant_arch "$v")" $A_PKGS | tr ',' '\n'; done | sort -u); do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	say "installing ${missing[*]} (apt-get install)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$OUT/logs/apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed (log: $OUT/logs/apt.log)"
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

# host_checks VARIANT SHM SIZE: the host's checks of what the guest wrote
# into ivshmem, as TAP lines for the judge
host_checks() {
	echo "### host begin"
	"$REPO/scripts/ivshmem.py" check "$2" --size "$3"
	! variant_has "$1" clients || [ -n "${ONLY:-}${SKIP:-}" ] ||
		[ ! -x "$REPO/clients/qemu-assign.sh" ] ||
		"$REPO/scripts/ivshmem.py" check-client "$2" --size "$3"
	echo "### host end"
}

# test_variant VARIANT: build, boot, check and judge one variant; its
# judgement in out/logs/VARIANT.json. A variant flagged only-REGEX runs
# only those programs unless ONLY says otherwise.
test_variant() {
	local v=$1 log=$OUT/logs/$1.log size shm storm t0 t_build=0 t_main t_storm=0 judge_args=() p
	local ONLY=${ONLY:-$(variant_only "$v")}
	rm -f "$log" "$log.storm" "$OUT/logs/$v.json"
	# the kernel's expectations must compose (judge.py says why not), as
	# job.sh reads its NOTRUN and MAYFAIL lines from them
	"$REPO/scripts/judge.py" --expectations "$(judged_as "$v")" >/dev/null
	if [ $build = 1 ]; then
		t0=$SECONDS
		"$REPO/scripts/build.sh" "$v"
		t_build=$((SECONDS - t0))
	fi
	# an image of its own: runs in other clones' or a make clients may be
	# going on beside
	size=$("$REPO/scripts/boot.sh" --shm-size-of "$v")
	shm=$OUT/run/$v.ivshmem.img
	say "$v: filling the $size ivshmem image $shm"
	"$REPO/scripts/ivshmem.py" fill "$shm" --size "$size"
	t0=$SECONDS
	job_for "$v" main > "$OUT/run/$v.main"
	IVSHMEM=$shm "$REPO/scripts/boot.sh" --log "$log" "$v" "$(cat "$OUT/run/$v.main")" >/dev/null || true
	t_main=$((SECONDS - t0))
	host_checks "$v" "$shm" "$size" >> "$log"
	[ -z "${ONLY:-}${SKIP:-}" ] || judge_args+=(--partial)
	job_for "$v" storm > "$OUT/run/$v.storm"
	storm=$(storm_programs "$v")
	if [ -n "$storm" ] && want_storm "$v"; then
		t0=$SECONDS
		IVSHMEM=$shm "$REPO/scripts/boot.sh" --icount --log "$log.storm" "$v" \
			"$(cat "$OUT/run/$v.storm")" >/dev/null || true
		t_storm=$((SECONDS - t0))
		cat "$log.storm" >> "$log"
	elif [ -n "$storm" ] || [ -z "${ONLY:-}${SKIP:-}" ]; then
		# The storm's boot is not made (STORM=0, storm-by-hand, or its
		# program NOTRUN here): what its job has is judged NOTRUN, the
		# kmemleak scan of a sanitizer kernel with it.
		[ -z "$storm" ] || say "$v: its storm boot is left out (STORM=1 makes it)"
		for p in $(sed -n 's/^run_bounded \([^ ]*\) .*/\1/p' "$OUT/run/$v.storm"); do
			judge_args+=(--left-out "$p")
		done
	fi
	rm -f "$shm"
	say "$v: results, judged as $(judged_as "$v") (log: $log)"
	"$REPO/scripts/judge.py" "$v" "$log" --json "$OUT/logs/$v.json" "${judge_args[@]}" |
		tee "$OUT/logs/$v.report" || true
	times+=("$v: build ${t_build}s, tests ${t_main}s, storm ${t_storm}s")
}

mkdir -p "$OUT/logs" "$OUT/run"
install_arch_deps "$@"
# The clients' host-side parts (clients/Makefile: the nested guests), for
# the kernels that run them
for v in "$@"; do
	variant_has "$v" clients || continue
	make -s -C "$REPO/clients" OUT="$OUT"
	break
done
times=()
for v in "$@"; do test_variant "$v"; done
echo
printf '%s\n' "${times[@]}"
echo "accelerator: $(cat "$OUT/accel" 2>/dev/null || echo unknown)"
# The sum of the judgements (a variant without one failed to be judged)
"$REPO/scripts/sum-results.py" "$OUT/logs" "$@"
