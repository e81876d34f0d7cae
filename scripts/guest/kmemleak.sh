#!/bin/sh
# shellcheck shell=sh
# guest/kmemleak.sh [clear] : in a sanitizer guest (config/kasan.config).
#   clear: mark everything kmemleak would report now as seen, at the start
#          of the job, so that only what leaks during the tests counts;
#   else:  after the tests, release every device from vfio-pci, so that the
#          vfio devices, their inodes and the vfio file system's mount go
#          too, then let kmemleak scan twice and put every report into the
#          kernel log, where the host's dmesg scanner fails the run on it.
# Prints TAP: "kmemleak:no_leaks" in the report. POSIX sh: the initramfs
# of the guests for other architectures has only busybox.
k=/sys/kernel/debug/kmemleak
if [ "${1:-}" = clear ]; then
	[ -w "$k" ] && echo scan > "$k" && echo clear > "$k"
	exit 0
fi
echo "TAP version 13"
echo "1..1"
if [ ! -w "$k" ]; then
	echo "ok 1 no_leaks # SKIP no $k (not a sanitizer kernel)"
	exit 0
fi
for d in /sys/bus/pci/drivers/vfio-pci/0000:*; do
	[ -e "$d" ] || continue
	echo "# releasing ${d##*/} from vfio-pci"
	echo "${d##*/}" > /sys/bus/pci/drivers/vfio-pci/unbind
done
# Inodes and files are freed after an RCU grace period; kmemleak wants an
# object unreferenced over two scans before it reports it.
# A kmemleak that has turned itself off refuses scans: not a pass.
sleep 5
if ! echo scan > "$k" || ! { sleep 5; echo scan > "$k"; }; then
	echo "not ok 1 no_leaks # kmemleak refused a scan (disabled?)"
	exit 0
fi
n=$(grep -c '^unreferenced object' "$k")
case "$n" in
''|*[!0-9]*)
	echo "not ok 1 no_leaks # cannot read $k"
	exit 0 ;;
esac
if [ "$n" -gt 0 ]; then
	while IFS= read -r line; do
		echo "kmemleak report: $line" > /dev/kmsg
	done < "$k"
	echo "not ok 1 no_leaks # $n unreferenced objects, in the kernel log"
else
	echo "ok 1 no_leaks"
fi
exit 0
