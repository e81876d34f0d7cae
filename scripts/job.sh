# The guest's job for a test boot; sourced by scripts/run-tests.sh, after
# scripts/lib.sh.
# shellcheck shell=bash

# race_seconds VARIANT: how long each barmap race case runs. 10 s where
# the race must not be hit: at 20 s per case a kernel that has it failed
# 10-25% of cycles (vanilla 6.1) and 9-32% (6.12) under TCG with two
# vCPUs. 3 s where the kernel's expectations say MAYFAIL, since no run can
# change that verdict (those rates are measured by hand with
# RACE_SECONDS=20). RACE_SECONDS sets it for every kernel.
race_seconds() {
	if [ -n "${RACE_SECONDS:-}" ]; then
		echo "$RACE_SECONDS"
	elif expectations "$1" | grep '^vfio_pci_barmap_race_test:.* MAYFAIL' >/dev/null; then
		echo 3
	else
		echo 10
	fi
}

# expectations VARIANT: what the kernel it is judged as must report, as
# scripts/judge.py composes it from expected/ ("NAME VERDICT # reason")
expectations() { "$REPO/scripts/judge.py" --expectations "$(judged_as "$1")"; }

# notrun VARIANT PROG: whether the kernel's expectations say PROG is not
# run there (a whole program, "PROG NOTRUN # reason")
notrun() { expectations "$1" | grep "^$2 NOTRUN" >/dev/null; }

# guest_tests VARIANT: where the variant's guest finds its test programs:
# the build directory on the host's root (9p), /tests/vfio in an initramfs
guest_tests() {
	if [ "$(arch_field "$(variant_arch "$1")" $A_ROOT)" = 9p ]; then
		echo "$(build_dir "$1")/kselftest/vfio"
	else
		echo /tests/vfio
	fi
}

# The programs of the storm's boot, on one vCPU with the instruction
# clock, rather than the main boot's two vCPUs: the storm, and the DMA
# race. With two TCG vCPUs guests have stalled in both (in the DMA race,
# 2026-12-07: both vCPU threads idle in qemu_wait_io_event(), no interrupt
# delivered for minutes, the guest's own timeouts never firing). On one
# vCPU the DMA race's window is hit only where the kernel can be
# preempted in it (7.3's PREEMPT_LAZY: once in 94939 tries), not on 6.1's
# and 6.12's non-preemptible test kernels, where it checks the answers
# and the plant; by hand, ONE_VCPU_PROGRAMS=" vfio_pci_mmap_storm " puts
# it on two vCPUs, where it is hit.
ONE_VCPU_PROGRAMS=${ONE_VCPU_PROGRAMS:-" vfio_pci_mmap_storm vfio_pci_dma_race_test "}

# test_programs VARIANT main|storm: the test programs of a boot, by name:
# main has all but ONE_VCPU_PROGRAMS, which the storm's boot has; the
# user's ONLY=REGEX and SKIP=REGEX choose among them.
test_programs() {
	local p name one
	for p in "$(build_dir "$1")"/kselftest/vfio/*; do
		[ -x "$p" ] && [ -f "$p" ] || continue
		name=${p##*/}
		one=main
		[[ "$ONE_VCPU_PROGRAMS" != *" $name "* ]] || one=storm
		[ "$one" = "$2" ] || continue
		[[ "$name" =~ ${ONLY:-.} ]] || continue
		[ -z "${SKIP:-}" ] || ! [[ "$name" =~ $SKIP ]] || continue
		echo "$name"
	done
}

# storm_programs VARIANT: the storm programs this run makes a boot for (the
# chosen ones that the kernel runs)
storm_programs() {
	local name
	for name in $(test_programs "$1" storm); do
		notrun "$1" "$name" || echo "$name"
	done
}

# job_for VARIANT main|storm: the guest's job (run by scripts/guest/
# init.sh in a shell of its own): each test program bounded in time
# (scripts/guest/job.sh), the clients where the variant asks for them, and
# a sanitizer kernel's kmemleak scans around it all.
job_for() {
	local v=$1 kind=$2 b t name limit dev kasan=0
	b=$(build_dir "$v")
	variant_has "$v" kasan && kasan=1
	t=$(sed -n "s/^timeout=//p" "$b/kselftest/vfio/settings" 2>/dev/null || true)
	echo '. "$HARNESS_GUEST/job.sh"'
	echo "export VFIO_SELFTESTS_RACE_SECONDS=$(race_seconds "$v")"
	echo "cd /tmp"
	# A sanitizer kernel counts only what leaks from here on.
	[ $kasan = 0 ] || echo 'sh "$HARNESS_GUEST/kmemleak.sh" clear'
	for name in $(test_programs "$v" "$kind"); do
		if notrun "$v" "$name"; then
			echo "echo '### test-notrun $name'"
			continue
		fi
		case "$name" in
		*_storm) limit=120 ;;	# 20 s per device by default
		*) limit=${t:-600} ;;
		esac
		echo "run_bounded $name $limit $(guest_tests "$v")/$name"
	done
	# Upstream-framework tests (upstream_tests) take one device each: run
	# them on every device the suite uses (main boot; host architecture).
	if [ "$kind" = main ] && [ "$(variant_arch "$v")" = "$HOST_ARCH" ]; then
		for name in $(upstream_tests "$v"); do
			[[ "$name" =~ ${ONLY:-.} ]] || continue
			[ -z "${SKIP:-}" ] || ! [[ "$name" =~ $SKIP ]] || continue
			for dev in edu:1234:11e8 ivshmem:1af4:1110 nvme:1b36:0010; do
				echo "run_upstream $name.${dev%%:*} ${t:-600} $b/kselftest/upstream/$name ${dev#*:}"
			done
		done
	fi
	# Real clients (clients/*.sh: they need the host's root), in the main
	# boot of a whole run only.
	if [ "$kind" = main ] && [ -z "${ONLY:-}${SKIP:-}" ] && variant_has "$v" clients; then
		for c in "$REPO"/clients/*.sh; do
			[ -x "$c" ] && echo "$c"
		done
	fi
	# Last, as it releases the devices: a sanitizer kernel's kmemleak scan.
	[ $kasan = 0 ] || echo "run_bounded kmemleak$([ "$kind" = main ] || echo _after_storm) 300 sh \"\$HARNESS_GUEST/kmemleak.sh\""
}
