#!/bin/busybox sh
# PID 1 of the guests for other architectures (scripts/arch-tests.sh), /init
# of their initramfs (scripts/mk-initramfs.sh): what scripts/guest-init.sh
# does for the x86-64 guests, with busybox and the cross-built tests in the
# initramfs instead of the host's root over 9p. Mounts what the tests need,
# binds the test devices to vfio-pci, runs the job named by harness_job on
# the kernel command line (one of /jobs/*) with the same markers as
# guest-init.sh, dumps dmesg and ends the guest, so that scripts/report.py
# judges its serial log unchanged.
/bin/busybox --install -s
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
export HOME=/tmp TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
for d in /tmp /run /dev/shm; do mount -t tmpfs tmpfs "$d"; done
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# The test devices, bound to vfio-pci (VFIO_SELFTESTS_BDF).
. /guest-bind.sh
for bdf in $VFIO_SELFTESTS_BDF; do
	echo "harness: $bdf $(cat /sys/bus/pci/devices/$bdf/vendor):$(cat /sys/bus/pci/devices/$bdf/device)" \
		"group $(basename "$(readlink /sys/bus/pci/devices/$bdf/iommu_group)")" \
		"BARs: $(awk '$1 != "0x0000000000000000" { printf "%s-%s ", $1, $2 }' /sys/bus/pci/devices/$bdf/resource)"
done

# run_bounded NAME LIMIT PROGRAM...: as scripts/run-tests.sh's job does;
# the probe kernels' counters (plants/count-pte-tables.patch) after each.
run_bounded() {
	local name=$1 limit=$2 pid n=0 probe=/sys/kernel/debug/vmf_insert_pfns_tables
	shift 2
	echo "### test $name"
	timeout -k 5 "$limit" "$@" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		if [ "$n" -gt $((limit + 30)) ]; then
			echo "### test-end $name rc=hung"
			return
		fi
	done
	wait "$pid"
	echo "### test-end $name rc=$?"
	[ ! -r $probe ] || echo "probe: after $name: $(cat $probe)"
}

# Keep kernel messages off the console while tests print TAP; all of dmesg
# is dumped (and scanned by the host) at the end.
dmesg -n 1
echo "### job begin"
rc=0
cd /tmp
if [ -n "${harness_job:-}" ] && [ -r "$harness_job" ]; then
	. "$harness_job" || rc=$?
else
	echo "harness: no job given (harness_job=${harness_job:-})"; rc=1
fi
echo "### job end rc=$rc"
echo "### dmesg begin"
dmesg
echo "### dmesg end"
sync
# reboot(2); QEMU runs with -no-reboot, so this ends the guest.
exec reboot -f
