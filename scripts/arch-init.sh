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

. /guest-job.sh
mount_kernel_fs
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

cd /tmp
run_job .
# reboot(2); QEMU runs with -no-reboot, so this ends the guest.
exec reboot -f
