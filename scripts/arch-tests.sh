#!/bin/bash
# arch-tests.sh [--no-build] [VARIANT...] : make arch.
#   The behaviour suite on other architectures: for each variant with a
#   flag arch-PROFILE (scripts/variants.conf; default: patched-i386 and
#   patched-arm64-64k, the two with the PMD folded), build it
#   (scripts/build.sh: the kernel and the vfio selftests cross-built,
#   static), make its initramfs (scripts/mk-initramfs.sh: busybox-static
#   of that architecture, the tests, the jobs), fill the ivshmem image
#   (scripts/arch-ivshmem.py: 256 MiB for i386, 1 GiB for arm64), boot it
#   under TCG (scripts/arch-boot.sh) to run the selftests, check the
#   ivshmem image from the host, boot again on one vCPU with the
#   instruction clock for the storm (as scripts/run-tests.sh does), and
#   judge the log with scripts/report.py against expected/VARIANT.txt.
#
#   The probe variants (*-probe, plants/count-pte-tables.patch) are judged
#   against the expected file of the variant they probe (patched-ARCH) and
#   print the PTE-table counts the probe saw. The planted faults
#   (plant-*-ARCH[-kasan]) must be caught: their run is judged against
#   expected/patched-ARCH[-kasan].txt and must fail; the line says how.
#   The -kasan variants (config/kasan.config) end each boot with a
#   kmemleak scan (scripts/guest-kmemleak.sh), as make sanitize does.
#
#   One build or guest at a time, each under nice -n 19. The last line is
#   "N passed, N failed, N skipped" (a planted fault caught counts as one
#   pass). STORM=0 leaves out the storm's boot (its programs are then
#   judged NOTRUN); ONLY=REGEX runs only those test programs (the report
#   then judges what ran).
. "$(dirname "$0")/lib.sh"

build=1
if [ "${1:-}" = --no-build ]; then build=0; shift; fi
[ $# -gt 0 ] || set -- patched-i386 patched-arm64-64k

# What the variants need from Debian: cross compilers and C libraries for
# the static tests, QEMU for the architecture; cpio and file.
arch_deps() {
	local pkgs=(cpio file) missing=() p a
	for v in "$@"; do
		a=$(variant_arch "$v")
		case "$a" in
		i386) pkgs+=(qemu-system-x86 gcc-i686-linux-gnu libc6-dev-i386-cross) ;;
		arm64*) pkgs+=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
		"") die "$v is not a variant for another architecture (flag arch-PROFILE)" ;;
		esac
	done
	for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	say "arch: installing ${missing[*]} (apt-get install)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$OUT/logs/arch-apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed (log: $OUT/logs/arch-apt.log)"
}

# The expected file a variant's run is judged against.
ref_variant() {
	case "$1" in
	*-probe) echo "${1%-probe}" ;;
	plant-*) echo "patched-$(variant_arch "$1")$(variant_has "$1" kasan && echo -kasan)" ;;
	*) echo "$1" ;;
	esac
}

# job_for VARIANT main|storm: the guest's job (sourced by arch-init.sh,
# after scripts/guest-job.sh), as scripts/run-tests.sh's job_for.
job_for() {
	local v=$1 kind=$2 b t prog name limit ref is
	b=$(build_dir "$v")
	ref=$REPO/expected/$(ref_variant "$v").txt
	t=$(sed -n "s/^timeout=//p" "$b/kselftest/vfio/settings" 2>/dev/null || true)
	echo "export VFIO_SELFTESTS_RACE_SECONDS=${RACE_SECONDS:-10}"
	# A sanitizer kernel counts only what leaks from here on (busybox's
	# sh runs the script).
	kmemleak_job "$v" clear "sh /guest-kmemleak.sh"
	for prog in $(ls "$b"/kselftest/vfio/* | grep -v '_storm$') \
		    $(ls "$b"/kselftest/vfio/* | grep '_storm$'); do
		[ -x "$prog" ] && [ -f "$prog" ] || continue
		name=${prog##*/}
		# the storm in a boot of its own
		case "$name" in *_storm) is=storm ;; *) is=main ;; esac
		[ "$is" = "$kind" ] || continue
		[[ "$name" =~ ${ONLY:-.} ]] || continue
		if grep -q "^$name NOTRUN" "$ref" 2>/dev/null; then
			echo "echo '### test-notrun $name'"
			continue
		fi
		case "$name" in
		*_storm) limit=120 ;;
		*) limit=${t:-600} ;;
		esac
		echo "run_bounded $name $limit /tests/vfio/$name"
	done
	# Last, as it releases the devices: a sanitizer kernel's kmemleak scan.
	[ -n "${ONLY:-}" ] || kmemleak_job "$v" "$kind" "sh /guest-kmemleak.sh"
}

fmt_t() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

mkdir -p "$OUT/logs" "$OUT/arch"
arch_deps "$@"
total_p=0 total_f=0 total_s=0 summary=()
for v in "$@"; do
	a=$(variant_arch "$v")
	ref=$(ref_variant "$v")
	log=$OUT/logs/$v.log
	t_build=0 t_main=0 t_storm=0
	if [ $build = 1 ]; then
		t0=$SECONDS
		nice -n 19 "$REPO/scripts/build.sh" "$v"
		t_build=$((SECONDS - t0))
	fi
	jobs=$OUT/arch/$v/jobs
	mkdir -p "$jobs"
	job_for "$v" main > "$jobs/main"
	job_for "$v" storm > "$jobs/storm"
	"$REPO/scripts/mk-initramfs.sh" "$v" main="$jobs/main" storm="$jobs/storm"

	size=$("$REPO/scripts/arch-boot.sh" --ivshmem-size "$v")
	shm=$OUT/arch/ivshmem-$size.img
	say "$v: filling the $size ivshmem image $shm"
	"$REPO/scripts/arch-ivshmem.py" fill "$shm" "$size"
	t0=$SECONDS
	IVSHMEM=$shm "$REPO/scripts/arch-boot.sh" --log "$log" "$v" main >/dev/null || true
	t_main=$((SECONDS - t0))
	{
		echo "### host begin"
		"$REPO/scripts/arch-ivshmem.py" check "$shm" "$size"
		echo "### host end"
	} >> "$log"
	if [ "${STORM:-1}" = 1 ] && grep -q '^run_bounded .* /tests/vfio/[^ ]*_storm$' "$jobs/storm"; then
		t0=$SECONDS
		IVSHMEM=$shm "$REPO/scripts/arch-boot.sh" --icount --log "$log.storm" "$v" storm >/dev/null || true
		t_storm=$((SECONDS - t0))
		cat "$log.storm" >> "$log"
	fi
	partial=()
	[ -z "${ONLY:-}" ] || partial=(--partial)
	# STORM=0: the storm boot's programs were left out on purpose
	if [ "${STORM:-1}" != 1 ]; then
		for prog in $(sed -n 's/^run_bounded \([^ ]*\) .*/\1/p' "$jobs/storm"); do
			partial+=(--left-out "$prog")
		done
	fi
	say "$v: results, judged against expected/$ref.txt (log: $log)"
	"$REPO/scripts/report.py" "$ref" "$log" "${partial[@]}" > "$OUT/logs/$v.report" || true
	line=$(tail -n 1 "$OUT/logs/$v.report")
	read -r p f s < <(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/' <<<"$line")
	times="build $(fmt_t $t_build), tests $(fmt_t $t_main), storm $(fmt_t $t_storm)"
	case "$v" in
	plant-*)
		# The planted fault must be caught: a failed run, and how.
		how=$(grep -m1 -E '^dmesg report:' -A4 "$OUT/logs/$v.report" | sed -n '2,5p' |
			sed 's/^ *//' | paste -sd'|' - || true)
		fails=$(grep -E '^FAIL ' "$OUT/logs/$v.report" | head -n 5 | sed 's/^FAIL  //' | paste -sd';' - || true)
		notes=$(grep -E '^note: ' "$OUT/logs/$v.report" | sed 's/^note: //' | paste -sd';' - || true)
		# an oops or panic on the console (outside the dmesg dump)
		crash=$(grep -m3 -E 'BUG:|Oops|Kernel panic|Unable to handle|general protection|Bad page' "$log" |
			paste -sd'|' - || true)
		if [ "$f" -gt 0 ]; then
			result="CAUGHT  $v ($a): $f failed results: $fails${notes:+; $notes}${crash:+; console: $crash}${how:+; dmesg: $how}"
			total_p=$((total_p + 1))
		else
			result="MISSED  $v ($a): the run passed ($line)"
			total_f=$((total_f + 1))
		fi ;;
	*)
		cat "$OUT/logs/$v.report"
		result="$line"
		total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
		if [[ "$v" == *-probe ]]; then
			grep -h '^probe: ' "$log" | tail -n 20
			result+="; $(grep -h '^probe: ' "$log" | tail -n 1)"
		fi ;;
	esac
	echo "$result"
	summary+=("$(date +%F) $result [$times]")
done
echo
printf '%s\n' "${summary[@]}"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
