#!/bin/bash
# PID 1 of the test guest. The root file system is the host's, read-only over
# 9p, so host binaries run here unchanged. Mounts what the guest must own,
# binds the test devices to vfio-pci, runs the job given by the host in
# $harness_job (a kernel command line parameter), dumps dmesg and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb

. "$(dirname "$0")/guest-job.sh"
mount_kernel_fs

# The guest writes only to tmpfs. If the harness itself, or its output
# directory (OUT, where the job, the kernels and the test programs are:
# the job is OUT/run/job.*), lives under one of those directories (a clone
# or an OUT in /tmp), bind it back over the tmpfs.
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(dirname "$(dirname "${harness_job:-/}")")
mkdir -p /dev/.host && mount --bind / /dev/.host
for d in /tmp /run /var/tmp /dev/shm; do mount -t tmpfs tmpfs "$d"; done
for d in "$repo" "$out"; do
	case "$d/" in
	/tmp/*|/run/*|/var/tmp/*|/dev/shm/*)
		mountpoint -q "$d" && continue
		mkdir -p "$d" && mount --bind "/dev/.host$d" "$d" ;;
	esac
done
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# The test devices, bound to vfio-pci (VFIO_SELFTESTS_BDF).
. "$(dirname "$0")/guest-bind.sh"

run_job bash
# reboot(2); QEMU runs with -no-reboot, so this ends the guest.
exec busybox reboot -f
