#!/bin/sh
# PID 1 of every test guest (scripts/boot.sh), with one of two roots
# (scripts/arch.conf's column "root"):
#   9p         the host's root, read-only (x86-64: host programs run as
#              they are); this script runs from the repository there;
#   initramfs  scripts/mk-initramfs.sh's cpio (other architectures):
#              busybox, the cross-built static tests and this script as
#              /init, the other guest scripts in /guest.
# Mounts what the guest must own, binds the test devices to vfio-pci, runs
# the job named by harness_job on the kernel command line between the
# markers scripts/judge.py reads, dumps dmesg and ends the guest. POSIX sh
# (dash on the 9p root, busybox in the initramfs).
if [ "$0" = /init ]; then
	/bin/busybox --install -s
	export PATH=/sbin:/usr/sbin:/bin:/usr/bin
	export HARNESS_GUEST=/guest
else
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	HARNESS_GUEST=$(cd "$(dirname "$0")" && pwd)
	export HARNESS_GUEST
fi
export HOME=/tmp TERM=dumb

. "$HARNESS_GUEST/job.sh"
mount_kernel_fs

# The guest writes only to tmpfs. On the 9p root, if the harness itself or
# its output directory (OUT, where the job, the kernels and the test
# programs are: the job is OUT/run/job.*) lies under one of those
# directories (a clone or an OUT in /tmp), bind it back over the tmpfs.
if [ "$0" = /init ]; then
	for d in /tmp /run /dev/shm; do mount -t tmpfs tmpfs "$d"; done
else
	repo=$(cd "$HARNESS_GUEST/../.." && pwd)
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
fi
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# The test devices, bound to vfio-pci (VFIO_SELFTESTS_BDF).
. "$HARNESS_GUEST/bind.sh"

cd /tmp
# The job runs in a shell of its own: bash where the root has it (jobs
# given to scripts/boot.sh by hand may use it), else busybox's sh.
if command -v bash >/dev/null; then run_job bash; else run_job sh; fi
# reboot(2); QEMU runs with -no-reboot, so this ends the guest.
exec busybox reboot -f
