#!/bin/bash
# dpdk-testpmd.sh: DPDK as a vfio-pci client. Runs inside the test guest
# (scripts/run-tests.sh runs every executable clients/*.sh after the
# selftests); prints kselftest-style TAP named client.dpdk.*.
#
# Debian's dpdk-testpmd (package dpdk-dev, PMD librte-net-e1000-23) drives
# the two e1000 NICs that scripts/boot.sh puts on one QEMU hub, bound to
# vfio-pci: io forwarding between them, started with "start tx_first" so
# each port sends one burst that the hub carries to the other port, which
# forwards it back, for a bounded time. testpmd runs interactive (-i) and
# this script types its commands into a FIFO: the first start after the
# guest booted has lost its whole first burst on every kernel (nothing
# circulates then, the counters stay at 32 and 64 sent, 0 received), so
# when nothing came back after 5 s it stops and starts once more, and says so.
# EAL flags:
#   -l 0,1             main lcore 0, one forwarding lcore 1 (the guest has 2 vCPUs)
#   -n 1               one memory channel (irrelevant under QEMU)
#   -a BDF -a BDF      only the two e1000 (the other vfio devices stay alone)
#   --iova-mode=va     IOVA = VA through the (emulated) IOMMU, no pagemap needed
#   --file-prefix=...  private runtime files under /run/dpdk
#   --vfio-intr=legacy INTx: QEMU's e1000 has neither MSI nor MSI-X (with
#                      the default, msix, EAL fails to disable MSI-X at close)
#   -m 128             128 MiB from 2 MiB hugepages on /dev/hugepages
#                      (reserved here; --no-huge when that fails)
# testpmd flags: -i --forward-mode=io --nb-cores=1 --rxq=1 --txq=1
#   --total-num-mbufs=4096
# Then again, and while it forwards, memory enable of the first NIC is
# cleared with setpci (a config write through the kernel's pci sysfs, which
# vfio-pci does not see), and set again. The kernel must not hang or crash;
# testpmd may keep running or die with SIGBUS. What happened is printed.
set -u
tmp=/tmp/dpdk-client
mkdir -p "$tmp"
n=0
tap() {	# STATUS NAME [DIRECTIVE]
	n=$((n + 1))
	echo "$1 $n client.dpdk.$2${3:+ # $3}"
}
names="forward.testpmd_ran forward.packets_forwarded forward.no_errors memory_off.testpmd_outcome memory_off.kernel_responsive"
skip_all() {
	local t
	for t in $names; do tap ok "$t" "SKIP $1"; done
	echo "1..$n"
	exit 0
}

nics=()
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x100e ] || continue
	[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = vfio-pci ] || continue
	nics+=("${d##*/}")
done
testpmd=$(command -v dpdk-testpmd || true)
[ -n "$testpmd" ] || skip_all "dpdk-testpmd not installed (Debian package dpdk-dev)"
[ ${#nics[@]} -ge 2 ] || skip_all "fewer than two e1000 on vfio-pci (${nics[*]:-none})"
[ "$(nproc)" -ge 2 ] || skip_all "testpmd needs two CPUs (main and forwarding lcore), the guest has $(nproc)"
echo "# client.dpdk: dpdk-testpmd $(dpkg-query -W -f '${Version}' dpdk-dev 2>/dev/null), NICs ${nics[0]} ${nics[1]}"

# 64 x 2 MiB hugepages, or --no-huge (anonymous memory, IOVA as VA)
echo 64 > /proc/sys/vm/nr_hugepages 2>/dev/null
huge=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$huge" -ge 64 ] && mountpoint -q /dev/hugepages; then
	mem=(-m 128 --huge-dir /dev/hugepages)
else
	mem=(--no-huge -m 128)
fi
echo "# client.dpdk: hugepages $huge, memory flags: ${mem[*]}"
eal=(-l 0,1 -n 1 -a "${nics[0]}" -a "${nics[1]}" --iova-mode=va
     --vfio-intr=legacy --file-prefix=client-dpdk "${mem[@]}")
pmd=(-i --forward-mode=io --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=4096)

# start NAME: testpmd in the background (at most 300 s), reading commands
# from a FIFO on fd 3; wait for its prompt
start() {
	rm -f "$tmp/$1.cmd"
	mkfifo "$tmp/$1.cmd"
	timeout -s INT -k 30 300 "$testpmd" "${eal[@]}" -- "${pmd[@]}" \
		<"$tmp/$1.cmd" >"$tmp/$1.log" 2>&1 &
	pid=$!
	exec 3>"$tmp/$1.cmd"
	for _ in $(seq 120); do
		grep -q 'testpmd>' "$tmp/$1.log" && return
		kill -0 "$pid" 2>/dev/null || return
		sleep 1
	done
}
cmd() { echo "$*" >&3 2>/dev/null; }
# forwarding NAME: start forwarding; once more if nothing came back in 5 s
forwarding() {
	cmd start tx_first
	sleep 5
	cmd show port stats all
	sleep 2
	if ! grep -E -q 'RX-packets: *[1-9]' "$tmp/$1.log"; then
		echo "# client.dpdk.$1: nothing received 5 s after start tx_first; stop, start tx_first again"
		retried=" (second start)"
		cmd stop
		sleep 2
		cmd start tx_first
	fi
}
# finish NAME: stop forwarding (prints the totals), quit, wait (bounded: a
# testpmd stuck in the kernel cannot be killed), echo its log, set rc
finish() {
	local w=0
	cmd show port stats all
	cmd stop
	sleep 2
	cmd quit
	exec 3>&-
	while kill -0 "$pid" 2>/dev/null && [ $w -lt 120 ]; do sleep 1; w=$((w + 1)); done
	if kill -0 "$pid" 2>/dev/null; then
		rc=hung
		echo "# client.dpdk.$1: testpmd did not end; state $(cut -d' ' -f3 "/proc/$(pgrep -P "$pid" dpdk-testpmd)/stat" 2>/dev/null)"
	else
		wait "$pid"; rc=$?
	fi
	grep -v -e '^ *$' -e '^  *[-+=#]*$' "$tmp/$1.log" | tr -d '\r' |
		grep -v -E '^ *(RX|TX) (queue|threshold|offloads|desc)|Rx offloads|TX offloads' |
		tail -n 70 | sed "s/^/# client.dpdk.$1: /"
}
# total PORT FIELD: from the last "Forward statistics for port N" block
total() {
	awk -v p="$1" -v f="$2:" '
		/Forward statistics for port/ { cur = ($0 ~ "port " p " ") }
		/Accumulated forward statistics/ { cur = 0 }
		cur { for (i = 1; i < NF; i++) if ($i == f) v = $(i + 1) }
		END { print v + 0 }' "$3"
}

t0=$SECONDS
retried=""
start forward
forwarding forward
sleep 10
finish forward
log=$tmp/forward.log
echo "# client.dpdk.forward: testpmd rc=$rc after $((SECONDS - t0)) s"
if grep -q 'Accumulated forward statistics' "$log"; then
	tap ok forward.testpmd_ran
else
	tap "not ok" forward.testpmd_ran "rc=$rc, no statistics"
fi
rx0=$(total 0 RX-packets "$log") rx1=$(total 1 RX-packets "$log")
tx0=$(total 0 TX-packets "$log") tx1=$(total 1 TX-packets "$log")
if [ "$rx0" -gt 0 ] && [ "$rx1" -gt 0 ] && [ "$tx0" -gt 0 ] && [ "$tx1" -gt 0 ]; then
	tap ok forward.packets_forwarded "port 0 rx $rx0 tx $tx0, port 1 rx $rx1 tx $tx1$retried"
else
	tap "not ok" forward.packets_forwarded "port 0 rx $rx0 tx $tx0, port 1 rx $rx1 tx $tx1"
fi
# errors: the NIC statistics testpmd prints every 5 s and the EAL's messages
errs=$(grep -E -o '(RX-errors|TX-errors|RX-nombuf): *[1-9][0-9]*' "$log" | sort -u | tr '\n' ' ')
errs+=$(grep -E -i 'EAL: Error|error|fail|cannot' "$log" | grep -v -E '(RX|TX)-errors' | head -n 3 | tr '\n' ' ')
[ "$rc" = 0 ] || errs+="testpmd rc=$rc"
if [ -z "$errs" ]; then
	tap ok forward.no_errors "RX-dropped $(total 0 RX-dropped "$log") + $(total 1 RX-dropped "$log")"
else
	tap "not ok" forward.no_errors "$errs"
fi

# memory enable off under a running testpmd
t1=$SECONDS
retried=""
start memory_off
forwarding memory_off
sleep 5
before=$(setpci -s "${nics[0]}" COMMAND)
setpci -s "${nics[0]}" COMMAND=0:2
echo "# client.dpdk.memory_off: ${nics[0]} COMMAND $before -> $(setpci -s "${nics[0]}" COMMAND) (memory enable cleared through pci sysfs)"
sleep 10
alive=$(kill -0 "$pid" 2>/dev/null && echo running || echo ended)
setpci -s "${nics[0]}" COMMAND=2:2
echo "# client.dpdk.memory_off: 10 s later testpmd $alive; COMMAND restored to $(setpci -s "${nics[0]}" COMMAND)"
sleep 5
finish memory_off
case "$rc" in
0) what="testpmd kept running and quit when told (rc=0)" ;;
135|138) what="testpmd died with SIGBUS (rc=$rc)" ;;
hung) what="testpmd could not be stopped" ;;
*) what="testpmd ended with rc=$rc" ;;
esac
what="$what; port 0 rx $(total 0 RX-packets "$tmp/memory_off.log") tx $(total 0 TX-packets "$tmp/memory_off.log"), port 1 rx $(total 1 RX-packets "$tmp/memory_off.log") tx $(total 1 TX-packets "$tmp/memory_off.log")"
echo "# client.dpdk.memory_off: $what"
if [ "$rc" != hung ]; then
	tap ok memory_off.testpmd_outcome "$what"
else
	tap "not ok" memory_off.testpmd_outcome "$what"
fi
# The kernel still schedules, forks and reads config space
if timeout 30 setpci -s "${nics[1]}" VENDOR_ID >/dev/null; then
	tap ok memory_off.kernel_responsive
else
	tap "not ok" memory_off.kernel_responsive "setpci on ${nics[1]} did not answer"
fi
echo "# client.dpdk: forward $((t1 - t0)) s, memory_off $((SECONDS - t1)) s"
echo 0 > /proc/sys/vm/nr_hugepages 2>/dev/null
echo "1..$n"
