#!/bin/bash
# boot.sh [options] VARIANT [COMMAND...]
#   Boot a built kernel variant under QEMU q35 with an emulated Intel IOMMU
#   (AMD's for variants flagged iommu-amd) and the test devices, bound to
#   vfio-pci in the guest:
#     edu       1234:11e8  alone behind a PCIe root port (bus reset possible),
#                          DMA to any IOVA (dma_mask; its default is 28 bits)
#     ivshmem   1af4:1110  ivshmem-plain, BAR2 = 1 GiB file out/ivshmem.img
#                          (--shm-size, --shm-ram: another size, or RAM)
#     nvme      1b36:0010  reports VFIO_DEVICE_FLAGS_RESET (it has FLR)
#     2 x e1000 8086:100e  on one QEMU hub, for DPDK
#   The guest's root is the host's, read-only over 9p. COMMAND (a shell
#   command line, default: an interactive-less "uname -a") runs in the guest
#   as root with VFIO_SELFTESTS_BDF, HARNESS_VARIANT, HARNESS_KERNEL and OUT set;
#   the serial log goes to stdout and to out/logs/VARIANT-*.log.
# Options:
#   --icount       -icount shift=0,sleep=off (guest clock counts instructions)
#   --timeout S    host-side limit for the whole guest run (default 1800)
#   --log FILE     where to write the serial log
#   --mem SIZE     guest memory (default 3G)
#   --shm-size S   size of the ivshmem BAR2 (default 1G; a power of two)
#   --shm-ram      back the ivshmem BAR2 with QEMU's private anonymous memory
#                  (memory-backend-ram, share=off) instead of the file:
#                  pages the guest only reads stay the host's zero page, so
#                  a BAR of many GiB costs the host no memory, where the
#                  host kernel has a zero page (not this machine's: it
#                  boots with pvm_no_zero_page=1, and every page read is
#                  allocated: a 16 GiB BAR takes about 17 GB); the host sees
#                  nothing the guest writes (no ivshmem.py checks)
. "$(dirname "$0")/lib.sh"

icount=0 timeout=1800 log="" mem=3G shm_size=1G shm_ram=0
while [ $# -gt 0 ]; do
	case "$1" in
	--icount) icount=1 ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--mem) mem=$2; shift ;;
	--shm-size) shm_size=$2; shift ;;
	--shm-ram) shm_ram=1 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || die "usage: boot.sh [options] VARIANT [COMMAND...]"
variant=$1; shift
variant_field "$variant" 2 >/dev/null
kernel=$(build_dir "$variant")/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "no kernel for $variant; run scripts/build.sh $variant"
mkdir -p "$OUT/logs" "$OUT/run"
[ -n "$log" ] || log=$OUT/logs/$variant-$(date +%Y%m%d-%H%M%S).log

# The job: a script on the host file system that the guest runs. It knows
# which kernel it runs on (clients boot the same one in a nested guest).
job=$(mktemp "$OUT/run/job.XXXXXX")
{
	printf 'export HARNESS_VARIANT=%q HARNESS_KERNEL=%q OUT=%q\n' "$variant" "$kernel" "$OUT"
	echo "${*:-uname -a}"
} > "$job"

# 1 GiB ivshmem backing file; the caller fills it (scripts/ivshmem.py).
# Guests that run at the same time need their own (IVSHMEM=path).
shm=${IVSHMEM:-$OUT/ivshmem.img}
if [ $shm_ram = 1 ]; then
	shm_backend=(-object memory-backend-ram,id=shm,size="$shm_size",share=off)
else
	truncate -s ">$shm_size" "$shm"		# made, or grown to the size
	shm_backend=(-object memory-backend-file,id=shm,size="$shm_size",mem-path="$shm",share=on)
fi
nvme=$job.nvme
truncate -s 16M "$nvme"

accel=$("$REPO/scripts/detect-accel.sh" "$kernel")
# The IOMMU: VT-d, or AMD's for variants flagged iommu-amd (first on the
# bus, as QEMU wants it)
iommu=(-device intel-iommu,intremap=on,caching-mode=on)
edu=(-device pcie-root-port,id=rp1,chassis=1,addr=0x3
	-device edu,bus=rp1,addr=0x0,dma_mask=0xffffffffffffffff)
if variant_has "$variant" iommu-amd; then
	iommu=(-device amd-iommu,intremap=on)
	# Behind the root port, QEMU 7.2's AMD IOMMU did not translate edu's
	# DMA (every p2p test failed, with no event logged in the guest); its
	# amdvi_host_dma_iommu() keys an address space by the bus number at
	# the time, which for a bridge's bus is not yet the one the firmware
	# gives it: our reading, not confirmed. On the root bus edu's DMA is
	# translated; the edge test needs no bus reset.
	edu=(-device edu,addr=0x3,dma_mask=0xffffffffffffffff)
fi
qemu_args=(
	-M q35,kernel-irqchip=split -accel "$accel" -cpu max -smp 2 -m "$mem"
	-nodefaults -display none -no-reboot -serial stdio
	"${iommu[@]}"
	-kernel "$kernel"
	-append "console=ttyS0 intel_iommu=on no_timer_check panic=-1 oops=panic root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=524288,cache=loose ro init=$REPO/scripts/guest-init.sh harness_job=$job"
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=root,addr=0x2
	"${edu[@]}"
	"${shm_backend[@]}"
	-device ivshmem-plain,memdev=shm,addr=0x4
	-drive file="$nvme",if=none,id=nvm,format=raw
	-device nvme,serial=vfio0001,drive=nvm,addr=0x5
	-netdev hubport,id=p0,hubid=0 -device e1000,netdev=p0,addr=0x6
	-netdev hubport,id=p1,hubid=0 -device e1000,netdev=p1,addr=0x7
)
if [ $icount = 1 ]; then
	[ "$accel" = tcg ] || die "--icount needs TCG"
	# One vCPU: with -icount, QEMU runs vCPUs round-robin on one thread
	# anyway, and 6.1 hangs bringing up a second CPU with sleep=off.
	qemu_args+=(-icount shift=0,sleep=off -smp 1)
fi
say "booting $variant ($accel$([ $icount = 1 ] && echo ", icount")) limit ${timeout}s, log $log"
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 "${qemu_args[@]}" \
	</dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
rm -f "$job" "$nvme"
[ "$rc" != 124 ] || { echo "harness: guest timed out after ${timeout}s" | tee -a "$log"; exit 124; }
grep -q '^### job end' "$log" || { echo "harness: guest ended without finishing its job" | tee -a "$log"; exit 1; }
