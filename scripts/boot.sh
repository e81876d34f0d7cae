#!/bin/bash
# boot.sh [options] VARIANT [COMMAND...]
#   Boot a built kernel variant under QEMU as its architecture's row of
#   scripts/arch.conf says (machine, CPU, memory, IOMMU, root), with the
#   test devices, which the guest binds to vfio-pci:
#     edu       1234:11e8  alone behind a PCIe root port (bus reset possible),
#                          DMA to any IOVA (dma_mask; its default is 28 bits)
#     ivshmem   1af4:1110  ivshmem-plain, BAR2 = the file IVSHMEM (default
#                          out/ivshmem-SIZE.img, SIZE from arch.conf or
#                          --shm-size; the caller fills it: scripts/ivshmem.py)
#     nvme      1b36:0010  reports VFIO_DEVICE_FLAGS_RESET (it has FLR)
#     2 x e1000 8086:100e  on one QEMU hub, for DPDK (arch.conf: "nics")
#   Variants flagged iommu-amd get QEMU's AMD IOMMU instead of VT-d.
#   COMMAND (a shell command line, default "uname -a") runs in the guest as
#   root, with VFIO_SELFTESTS_BDF, HARNESS_VARIANT, HARNESS_KERNEL,
#   HARNESS_GUEST (the guest scripts) and OUT set, after scripts/guest/
#   init.sh has bound the devices; on a 9p root it is a file the guest
#   reads from the host, on an initramfs root (scripts/mk-initramfs.sh)
#   it is /jobs/main. The serial log goes to stdout and to
#   out/logs/VARIANT-*.log.
# Options:
#   --icount       -icount shift=0,sleep=off and one vCPU (the guest clock
#                  counts instructions)
#   --timeout S    host-side limit for the whole guest run (default: arch.conf)
#   --log FILE     where to write the serial log
#   --mem SIZE     guest memory (default: arch.conf)
#   --shm-size S   size of the ivshmem BAR2 (a power of two)
#   --shm-ram      back the ivshmem BAR2 with QEMU's private anonymous memory
#                  (memory-backend-ram, share=off) instead of the file:
#                  pages the guest only reads stay the host's zero page, so
#                  a BAR of many GiB costs the host no memory, where the
#                  host kernel has a zero page (not this machine's: it
#                  boots with pvm_no_zero_page=1, and every page read is
#                  allocated: a 16 GiB BAR takes about 17 GB); the host sees
#                  nothing the guest writes (no ivshmem.py checks)
#   --shm-size-of  print the variant's default ivshmem BAR2 size and exit
#   --append ARGS  more kernel command line, after arch.conf's (a later
#                  vmalloc= wins, say)
. "$(dirname "$0")/lib.sh"

icount=0 timeout="" log="" mem="" shm_size="" shm_ram=0 size_only=0 extra_append=""
while [ $# -gt 0 ]; do
	case "$1" in
	--icount) icount=1 ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--mem) mem=$2; shift ;;
	--shm-size) shm_size=$2; shift ;;
	--shm-ram) shm_ram=1 ;;
	--shm-size-of) size_only=1 ;;
	--append) extra_append=$2; shift ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || die "usage: boot.sh [options] VARIANT [COMMAND...]"
variant=$1; shift
arch=$(variant_arch "$variant")
field() { arch_field "$arch" "$1"; }
shm_size=${shm_size:-$(field $A_SHM)}
if [ $size_only = 1 ]; then echo "$shm_size"; exit 0; fi
timeout=${timeout:-$(field $A_TIMEOUT)} mem=${mem:-$(field $A_MEM)}
root=$(field $A_ROOT) qemu=$(field $A_QEMU)
use_variant_arch "$variant"
kernel=$(build_dir "$variant")/$BUILD_IMAGE_PATH
[ -f "$kernel" ] || die "no kernel for $variant; run scripts/build.sh $variant"
command -v "$qemu" >/dev/null || die "no $qemu (scripts/run-tests.sh installs what arch.conf lists)"
mkdir -p "$OUT/logs" "$OUT/run"
[ -n "$log" ] || log=$OUT/logs/$variant-$(date +%Y%m%d-%H%M%S).log

# The job: it knows which kernel it runs on (clients boot the same one in
# a nested guest).
job=$(mktemp "$OUT/run/job.XXXXXX")
{
	printf 'export HARNESS_VARIANT=%q HARNESS_KERNEL=%q OUT=%q\n' "$variant" "$kernel" "$OUT"
	echo "${*:-uname -a}"
} > "$job"
nvme=$job.nvme
truncate -s 16M "$nvme"
watcher="" mon=""
trap '[ -z "$watcher" ] || kill $watcher 2>/dev/null || true; rm -f "$job" "$nvme" ${mon:+"$mon"}' EXIT

# The root: the host's over 9p, or the variant's initramfs with the job in it
case "$root" in
9p)	root_args=(
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
		-device virtio-9p-pci,fsdev=root,mount_tag=root,addr=0x2)
	append="root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=524288,cache=loose ro init=$REPO/scripts/guest/init.sh harness_job=$job" ;;
initramfs)
	"$REPO/scripts/mk-initramfs.sh" "$variant" "$job" >&2
	root_args=(-initrd "$OUT/arch/$variant/initramfs.cpio")
	append="harness_job=/jobs/main" ;;
*)	die "arch.conf: $arch has an unknown root '$root'" ;;
esac

# ivshmem's BAR2: a file the caller fills (scripts/ivshmem.py), or RAM.
# Guests that run at the same time need their own file (IVSHMEM=path).
shm=${IVSHMEM:-$OUT/ivshmem-$shm_size.img}
if [ $shm_ram = 1 ]; then
	shm_backend=(-object memory-backend-ram,id=shm,size="$shm_size",share=off)
else
	truncate -s ">$shm_size" "$shm"		# made, or grown to the size
	shm_backend=(-object memory-backend-file,id=shm,size="$shm_size",mem-path="$shm",share=on)
fi

# The IOMMU: the architecture's, or AMD's for variants flagged iommu-amd
# (first on the bus, as QEMU wants it)
iommu=$(field $A_IOMMU)
edu=(-device pcie-root-port,id=rp1,chassis=1,addr=0x3
	-device edu,bus=rp1,addr=0x0,dma_mask=0xffffffffffffffff)
if variant_has "$variant" iommu-amd; then
	iommu=amd-iommu,intremap=on
	# Behind the root port, QEMU 7.2's AMD IOMMU did not translate edu's
	# DMA (every p2p test failed, with no event logged in the guest); its
	# amdvi_host_dma_iommu() keys an address space by the bus number at
	# the time, which for a bridge's bus is not yet the one the firmware
	# gives it: our reading, not confirmed. On the root bus edu's DMA is
	# translated; the edge test needs no bus reset.
	edu=(-device edu,addr=0x3,dma_mask=0xffffffffffffffff)
	# Since 7.x the AMD driver keeps interrupt remapping only if the
	# IVRS's southbridge IOAPIC sits at an ISA or SMBus bridge
	# (check_sb_ioapic()); QEMU's IVRS puts it at 00:14.0, where q35 has
	# nothing, so 7.3 disables remapping and type1 then refuses every
	# group. The edge test is about DMA mappings, not interrupts: let
	# type1 take groups without remapping (where remapping is on, as on
	# 6.1, the parameter changes nothing).
	extra_append+="${extra_append:+ }vfio_iommu_type1.allow_unsafe_interrupts=1"
fi
nics=()
[ "$(field $A_DEVICES)" != nics ] || nics=(
	-netdev hubport,id=p0,hubid=0 -device e1000,netdev=p0,addr=0x6
	-netdev hubport,id=p1,hubid=0 -device e1000,netdev=p1,addr=0x7)

# KVM only for the host's own architecture, and only where it can boot a
# guest (scripts/detect-accel.sh)
accel=tcg
[ "$arch" != "$HOST_ARCH" ] || accel=$("$REPO/scripts/detect-accel.sh" "$kernel")
# Two TCG vCPUs (no -icount) have stalled for good, most often in the
# race tests: both vCPU threads halted in qemu_wait_io_event() and QEMU's
# next timer deadline hours away (strace of its ppoll()), so no LAPIC
# timer was armed, though a ticking guest re-arms its one-shot LAPIC timer
# at every tick (TCG offers no TSC-deadline mode: no guest log says "TSC
# deadline timer available"): a re-arming lost between the vCPU and
# QEMU's main loop, by all appearances (QEMU 7.2, not root-caused
# further). x86 guests there run the LAPIC timer in periodic mode
# (highres=off; nohz=off for kernels built with NO_HZ), which QEMU
# re-arms itself. Stalls came after that all the same; the one the watch
# below caught had CPU 1's timer vector stuck in service, masking the
# 9p root's virtqueue interrupt (docs/results/2026-12-07-tcg-stall.md).
if [ "$accel" = tcg ] && [ $icount = 0 ] && { [ "$arch" = x86_64 ] || [ "$arch" = i386 ]; }; then
	extra_append+="${extra_append:+ }nohz=off highres=off"
fi
qemu_args=(
	-M "$(field $A_MACHINE)" -accel "$accel" -cpu "$(field $A_CPU)" -smp 2 -m "$mem"
	-nodefaults -display none -no-reboot -serial stdio
	${iommu:+-device "$iommu"}
	-kernel "$kernel" "${root_args[@]}"
	-append "$(field append) panic=-1 oops=panic $append${extra_append:+ $extra_append}"
	"${edu[@]}"
	"${shm_backend[@]}"
	-device ivshmem-plain,memdev=shm,addr=0x4
	-drive file="$nvme",if=none,id=nvm,format=raw
	-device nvme,serial=vfio0001,drive=nvm,addr=0x5
	"${nics[@]}"
)
# A stalled guest can be looked at from the host: QEMU's monitor on a
# socket named after the log (lib.sh monitor_socket; scripts/
# qemu-monitor.sh LOG 'info cpus')
mon=$(monitor_socket "$log")
rm -f "$mon"
qemu_args+=(-monitor "unix:$mon,server=on,wait=off")
if [ $icount = 1 ]; then
	[ "$accel" = tcg ] || die "--icount needs TCG"
	# One vCPU: with -icount, QEMU runs vCPUs round-robin on one thread
	# anyway, and 6.1 hangs bringing up a second CPU with sleep=off.
	qemu_args+=(-icount shift=0,sleep=off -smp 1)
fi
say "booting $variant ($arch, $qemu, $accel$([ $icount = 1 ] && echo ", icount"), ivshmem $shm_size)" \
	"limit ${timeout}s, log $log"
# watch_guest: while QEMU runs, say on the log's behalf (in $log.stall,
# added to the log at the end: tee owns the log) when the VM leaves the
# running state, and when the guest has printed nothing for STALL_DUMP
# seconds, with QEMU's view of its vCPUs, and end the guest after
# STALL_KILL quiet seconds: more than any test program may take, since
# the guest's run_bounded reports a hung program after its limit + 30 s
# (600 s for ours), so a guest that quiet has stopped as a whole. 0 turns
# either off (the benchmarks' and the clients' long quiet boots).
STALL_DUMP=${STALL_DUMP:-300} STALL_KILL=${STALL_KILL:-720}
watch_guest() {
	local last=-1 size quiet=0 dumped=0 status was=""
	while sleep 10; do
		status=$(monitor_cmd 'info status' | grep -o 'VM status: .*' || true)
		if [ -n "$status" ] && [ "$status" != "$was" ] && [ -n "$was" ]; then
			echo "harness: at ${SECONDS}s the $status (was: $was)"
			stall_dump
		fi
		was=${status:-$was}
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$size" != "$last" ]; then last=$size quiet=0; continue; fi
		quiet=$((quiet + 10))
		if [ "$STALL_DUMP" -gt 0 ] && [ $quiet -ge "$STALL_DUMP" ] && [ $dumped = 0 ]; then
			echo "harness: at ${SECONDS}s no guest output for ${quiet}s; QEMU's view:"
			stall_dump
			dumped=1
		fi
		if [ "$STALL_KILL" -gt 0 ] && [ $quiet -ge "$STALL_KILL" ]; then
			echo "harness: at ${SECONDS}s no guest output for ${quiet}s: the guest has stopped; ending it"
			stall_dump
			monitor_cmd quit >/dev/null || true
			return
		fi
	done
}
# a monitor that does not answer must not end the watch (set -e)
monitor_cmd() { "$REPO/scripts/qemu-monitor.sh" "$log" "$@" 2>&1 || true; }
# The guest's jiffies, read twice 2 s apart, tell a guest whose clock
# stopped (no timer interrupt) from one that ticks but whose tasks all
# wait (for the console, say); the test kernels have no KASLR
jiffies=$(awk '$3 == "jiffies_64" { print "0x" $1 }' "$(build_dir "$variant")/System.map" 2>/dev/null || true)
stall_dump() {
	{
		monitor_cmd 'info status' 'info cpus' 'info lapic 0' 'info lapic 1' \
			'info registers -a' 'info irq'
		[ -z "$jiffies" ] || { monitor_cmd "x /1gx $jiffies"; sleep 2; monitor_cmd "x /1gx $jiffies"; }
	} | sed 's/^/harness: /' || true
}
SECONDS=0
rm -f "$log.stall"
watch_guest > "$log.stall" &
watcher=$!
set +e
timeout -k 10 "$timeout" "$qemu" "${qemu_args[@]}" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# the watch may have ended (it ends a silent guest); set -e must not mind
kill $watcher 2>/dev/null || true
wait $watcher 2>/dev/null || true
watcher=""
if [ -s "$log.stall" ]; then tee -a "$log" < "$log.stall"; fi
rm -f "$log.stall"
[ "$rc" != 124 ] || { echo "harness: guest timed out after ${timeout}s" | tee -a "$log"; exit 124; }
grep -q '^### job end' "$log" || { echo "harness: guest ended without finishing its job" | tee -a "$log"; exit 1; }
