# shellcheck shell=sh
# guest/job.sh : sourced by the guests' PID 1 (scripts/guest/init.sh) and
# by the test jobs (scripts/job.sh), which run in a shell of their own
# and find it in $HARNESS_GUEST. Plain sh: busybox runs it too.
#
# mount_kernel_fs: proc, sysfs, devtmpfs and devpts, first thing in PID 1
mount_kernel_fs() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm /dev/hugepages
	mount -t devpts devpts /dev/pts
}

# run_bounded NAME LIMIT PROGRAM...: run a test program with markers
# around its output that scripts/judge.py reads. It is killed after LIMIT
# seconds; a program stuck in the kernel cannot be killed, so after 30 s
# more it is reported as hung and the job goes on, and the dmesg dump and
# the other results still arrive. A probe kernel's counter
# (plants/count-pte-tables.patch) is printed after each program.
run_bounded() {
	local name=$1 limit=$2 pid rc n=0 probe=/sys/kernel/debug/vmf_insert_pfns_tables
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
	rc=$?
	# for the harness's time budget (scripts/judge.py reads no time)
	echo "### test-time $name ${n}s"
	echo "### test-end $name rc=$rc"
	[ ! -r $probe ] || echo "probe: after $name: $(cat $probe)"
}

# run_upstream NAME LIMIT PROGRAM VENDOR:DEVICE: run_bounded a test in
# upstream's framework on the first vfio-pci device with that ID, whose
# BDF it takes as its argument (nothing is run, and the judge finds its
# results missing, if there is none).
run_upstream() {
	local name=$1 limit=$2 prog=$3 id=$4 d
	for d in /sys/bus/pci/drivers/vfio-pci/0*; do
		[ -e "$d" ] || continue
		[ "$(cat "$d/vendor")" = "0x${id%:*}" ] && [ "$(cat "$d/device")" = "0x${id#*:}" ] || continue
		run_bounded "$name" "$limit" "$prog" "${d##*/}"
		return
	done
	echo "harness: no vfio-pci device $id for $name"
}

# run_job SHELL: run the job named by harness_job on the kernel command
# line in a shell of its own (bash, or busybox's sh), between the
# markers scripts/judge.py reads, then dump dmesg for the host to judge.
run_job() {
	local rc=0
	# Keep kernel messages off the console while tests print TAP; all of
	# dmesg is dumped (and scanned by the host) at the end.
	dmesg -n 1
	echo "### job begin"
	if [ -n "${harness_job:-}" ] && [ -r "$harness_job" ]; then
		$1 "$harness_job" || rc=$?
	else
		echo "harness: no job given (harness_job=${harness_job:-})"; rc=1
	fi
	echo "### job end rc=$rc"
	echo "### dmesg begin"
	dmesg
	echo "### dmesg end"
	sync
}
