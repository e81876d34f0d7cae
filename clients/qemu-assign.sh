#!/bin/bash
# qemu-assign.sh: QEMU device assignment as a vfio-pci client. Runs inside
# the test guest (scripts/run-tests.sh runs every executable clients/*.sh
# after the selftests); prints kselftest-style TAP named client.qemu.*.
#
# Starts Debian's qemu-system-x86_64 with edu and ivshmem assigned
# (-device vfio-pci,host=BDF) and boots a second-level guest on them. That
# guest reads edu's ID and liveness registers and the ivshmem BAR2 memory
# (the pattern the outermost host wrote), writes a value per boot that the
# outermost host checks (scripts/ivshmem.py check-client), toggles memory
# enable (QEMU -> vfio-pci revokes QEMU's BAR mappings, the next access
# refaults them), reboots once (QEMU resets the assigned devices), checks
# again and powers off. A control run with x-no-mmap=on (every BAR access
# trapped by QEMU: read/write on the vfio device file) boots once and must
# give the same values.
#
# The second-level guest (QEMU_ASSIGN_GUEST):
#   mini   (default) clients/mini.c, a bare-metal multiboot payload that
#          sizes and programs the BARs as a firmware does and makes the
#          checks of clients/inner-checks.h; seconds per boot.
#   linux  the test kernel itself with a busybox-static initramfs
#          (clients/inner-init, clients/barpoke.c: the same checks through
#          sysfs mmap of the BARs); several minutes per boot under TCG
#          inside TCG, too slow for CI on three kernels (README, "Clients").
# Both are built on the host by clients/Makefile.
#
# Environment: HARNESS_KERNEL (set by scripts/boot.sh) is the kernel the
# linux guest boots; QEMU_ASSIGN_LIMIT bounds each QEMU run (seconds).
# For make bench's VM start measure (bench/vmstart.sh): QEMU_ASSIGN_RUNS
# names the runs to make (default "mmap nommap"), QEMU_ASSIGN_WRAP is a
# command put in front of qemu-system-x86_64 (bench/vm_start, which times
# the inner guest's lines).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$REPO/out}
guest=${QEMU_ASSIGN_GUEST:-mini}
kernel=${HARNESS_KERNEL:-}
cpio=$OUT/clients/inner.cpio
mini=$OUT/clients/mini.elf
tmp=/tmp/qemu-assign
mkdir -p "$tmp"

n=0
tap() {	# STATUS NAME [DIRECTIVE]
	n=$((n + 1))
	echo "$1 $n client.qemu.$2${3:+ # $3}"
}

find_dev() {	# VENDOR DEVICE -> BDF of a device bound to vfio-pci
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] &&
			[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = vfio-pci ] &&
			{ echo "${d##*/}"; return; }
	done
}

edu=$(find_dev 0x1234 0x11e8)
shm=$(find_dev 0x1af4 0x1110)
if [ -e /dev/kvm ]; then
	accel=kvm why="/dev/kvm present in this guest"
else
	accel=tcg why="no /dev/kvm in this guest (the test kernel has no KVM; TCG inside TCG)"
fi
echo "# client.qemu: accelerator $accel: $why"
echo "# client.qemu: $(qemu-system-x86_64 --version | head -n 1), edu=${edu:-none} ivshmem=${shm:-none}"
echo "# client.qemu: inner guest $guest$([ "$guest" = mini ] && echo " ($mini)" || echo " (kernel ${kernel:-unset}, $cpio)")"

# The inner machine: i440fx without PS/2 (probing it costs the linux guest
# a second of boot), qboot instead of SeaBIOS when there is one (the guests
# assign the BARs themselves), one vCPU, the kernel loaded directly.
machine=(-M pc,i8042=off -smp 1 -nodefaults -display none -monitor none)
[ ! -r /usr/share/qemu/qboot.rom ] || machine+=(-bios /usr/share/qemu/qboot.rom)
if [ "$guest" = mini ]; then
	machine+=(-m 16M -kernel "$mini")
	append=""
	limit=${QEMU_ASSIGN_LIMIT:-600}
else
	machine+=(-m 64M -kernel "$kernel" -initrd "$cpio")
	# The linux guest's command line, each item measured to shorten its
	# boot under TCG inside TCG:
	#   acpi=off                  ACPI's AML interpreter alone took ~100 s;
	#                             PCI works through config type 1. Without
	#                             ACPI power-off halts: the script ends QEMU.
	#   reboot=t                  reboot by triple fault (no ACPI, no i8042)
	#   pty.legacy_count=0        256 legacy pty pairs: 2 s even one level down
	#   lockdep.prove_locking=0   the debug kernel's lock validator
	#   kunit.filter_glob=none    the patched kernel's built-in KUnit suites
	#   initcall_blacklist=virtio_pci_driver_init
	#                             virtio-pci would enable ivshmem (vendor 1af4)
	#                             for nothing: one 1 GiB P2P DMA map more
	#   mitigations=off nosoftlockup tsc=reliable quiet
	append="console=ttyS0 quiet panic=-1 acpi=off reboot=t pty.legacy_count=0"
	append+=" lockdep.prove_locking=0 kunit.filter_glob=none"
	append+=" initcall_blacklist=virtio_pci_driver_init mitigations=off"
	append+=" nosoftlockup tsc=reliable "
	limit=${QEMU_ASSIGN_LIMIT:-2400}
fi

# inner RUN NAME EXTRA: one QEMU run, both boots; TAP for it
inner() {
	local run=$1 name=$2 extra=$3 log=$tmp/$2.log err=$tmp/$2.err
	local nonce pid="" t0=$SECONDS done_at="" rc
	nonce=0x$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	rm -f "$tmp/$name.pid"
	# the serial console goes to $log and, live, to the TAP stream as
	# comments with the seconds since the start
	rm -f "$tmp/$name.rc"
	{
		${QEMU_ASSIGN_WRAP:-} qemu-system-x86_64 "${machine[@]}" -accel "$accel" -cpu max \
			-serial stdio -pidfile "$tmp/$name.pid" \
			-append "${append}client_run=$run client_nonce=$nonce run=$run nonce=$nonce" \
			-device "vfio-pci,host=$edu$extra" \
			-device "vfio-pci,host=$shm$extra" </dev/null 2>"$err"
		echo $? > "$tmp/$name.rc"
	} | tee "$log" | while IFS= read -r l; do
		l=${l%$'\r'}
		case "$l" in "inner: ok "*|"inner: not ok "*) continue ;; esac
		echo "# client.qemu.$name: +$((SECONDS - t0))s $l"
	done &
	# QEMU writes its pid file once it is set up (tens of seconds on a
	# loaded host); it may also have failed before
	for _ in $(seq 300); do
		pid=$(cat "$tmp/$name.pid" 2>/dev/null) && [ -n "$pid" ] && break
		[ ! -e "$tmp/$name.rc" ] || break
		sleep 1
	done
	# Bounded: QEMU ends by itself when the inner guest powers off after
	# its second boot; otherwise TERM at the limit, KILL after that. A
	# QEMU stuck in the kernel cannot be killed: abandon it and report.
	rc=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if [ -z "$done_at" ] && grep -q '^inner: end' "$log"; then
			done_at=$SECONDS
		fi
		# the inner guest halted after its last boot: end QEMU
		if [ -n "$done_at" ] && [ "$done_at" != never ] &&
		   [ $((SECONDS - done_at)) -ge 3 ]; then
			kill -TERM "$pid" 2>/dev/null
			done_at=never
		fi
		if [ $((SECONDS - t0)) -ge "$limit" ]; then
			rc="killed at $((SECONDS - t0)) s"
			kill -TERM "$pid" 2>/dev/null
			sleep 10
			kill -KILL "$pid" 2>/dev/null
			sleep 5
			break
		fi
	done
	[ -n "$pid" ] || rc="did not start: $(cat "$tmp/$name.rc" 2>/dev/null || echo 'no pid file after 300 s')"
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		rc="hung (state $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null))"
	else
		wait $! 2>/dev/null
		[ "$rc" != 0 ] || rc=$(cat "$tmp/$name.rc" 2>/dev/null || echo unknown)
	fi
	echo "# client.qemu.$name: QEMU ran $((SECONDS - t0)) s, rc=$rc"
	sed "s/^/# client.qemu.$name: qemu: /" "$err"
	if grep -q '^inner: up' "$log"; then
		tap ok "$name.inner_guest_up"
	else
		tap "not ok" "$name.inner_guest_up" "no inner boot (rc=$rc)"
	fi
	tr -d '\r' < "$log" | sed -n 's/^inner: \(ok\|not ok\) \(.*\)/\1 \2/p' |
	while read -r line; do
		case "$line" in
		"not ok "*) tap "not ok" "$name.${line#not ok }" ;;
		*) tap ok "$name.${line#ok }" ;;
		esac
	done
	n=$((n + $(tr -d '\r' < "$log" | grep -c '^inner: \(ok\|not ok\) ')))
	if [ "$run" = 0 ]; then
		if grep -q '^inner: boot 1' "$log"; then
			tap ok "$name.rebooted"
		else
			tap "not ok" "$name.rebooted" "no second boot"
		fi
	fi
	# mini powers off (QEMU exits 0); linux halts (no ACPI) and the loop
	# above sends SIGTERM, on which QEMU exits 0 too
	if [ "$rc" = 0 ] && grep -q '^inner: end' "$log"; then
		tap ok "$name.qemu_exit"
	else
		tap "not ok" "$name.qemu_exit" "rc=$rc after $((SECONDS - t0)) s"
	fi
	tr -d '\r' < "$log" | sed -n 's/^inner: values //p' > "$tmp/$name.values"
}

if [ "$guest" = mini ]; then ready=$([ -r "$mini" ] && echo y); else
	ready=$([ -r "${kernel:-/nonexistent}" ] && [ -r "$cpio" ] && echo y); fi
if [ -z "$edu" ] || [ -z "$shm" ] || [ -z "$ready" ]; then
	echo "not ok 1 client.qemu.setup # edu=${edu:-none} ivshmem=${shm:-none}, inner guest $guest not ready (make -C clients)"
	exit 1
fi
t0=$SECONDS
runs=" ${QEMU_ASSIGN_RUNS:-mmap nommap} "
[[ "$runs" != *" mmap "* ]] || inner 0 mmap ""
[[ "$runs" != *" nommap "* ]] || inner 1 nommap ",x-no-mmap=on"
if [[ "$runs" != *" mmap "* || "$runs" != *" nommap "* ]]; then
	echo "# client.qemu: runs made: $runs"
	echo "1..$n"
	exit 0
fi
# every boot of both runs read the same values
vals() { sed 's/^boot[0-9]* //' "$tmp/$1.values" 2>/dev/null | sort -u; }
if [ "$(vals mmap | wc -l)" = 1 ] && [ "$(vals mmap)" = "$(vals nommap)" ]; then
	tap ok "nommap_same_values" "$(vals mmap)"
else
	tap "not ok" "nommap_same_values" "mmap: $(vals mmap | tr '\n' ' ')/ nommap: $(vals nommap | tr '\n' ' ')"
fi
echo "# client.qemu: both runs took $((SECONDS - t0)) s"
echo "1..$n"
