#!/bin/bash
# arch-boot.sh [options] VARIANT [JOB]
#   Boot a kernel built for another architecture (a variant with a flag
#   arch-PROFILE; scripts/build.sh) under QEMU's TCG with the test devices
#   and its initramfs (scripts/mk-initramfs.sh: out/arch/VARIANT/
#   initramfs.cpio), whose /init (scripts/arch-init.sh) binds them to
#   vfio-pci and runs /jobs/JOB (default: main). The serial log goes to
#   stdout and to out/logs/VARIANT-*.log (or --log FILE).
#
#   i386 (no PAE): qemu-system-i386 -M q35, intel-iommu (no interrupt
#     remapping: 32-bit kernels have none, so type1 needs
#     allow_unsafe_interrupts, as on any 32-bit host), 1 GiB RAM, -cpu max
#     with Intel's vendor string (QEMU's i386 "max" is an AMD family 6
#     CPU, which 6.1 warns is not fit for SMP), no long mode, so the
#     firmware keeps every BAR below 4 GiB, which a kernel without PAE
#     needs; ivshmem BAR2 of 256 MiB;
#   arm64, arm64-64k: qemu-system-aarch64 -M virt,iommu=smmuv3,
#     gic-version=3 (ITS), -cpu max (pointer authentication with QEMU's
#     cheap algorithm), 2 GiB RAM, no firmware (the kernel assigns the
#     BARs), ivshmem BAR2 of 1 GiB; with 64 KiB pages nvme's 16 KiB BAR0
#     is aligned to a page (pci=resource_alignment) so vfio-pci can mmap
#     it.
#   Both: edu (1234:11e8, DMA to any IOVA: dma_mask) alone behind a PCIe
#   root port, ivshmem-plain
#   (1af4:1110, BAR2 = the file IVSHMEM, default out/arch/ivshmem-SIZE.img,
#   filled by the caller: scripts/arch-ivshmem.py) and nvme (1b36:0010,
#   FLR) on the root bus.
# Options:
#   --icount       -icount shift=0,sleep=off and one vCPU (the storm's boot)
#   --timeout S    host-side limit for the whole guest run (default 5400)
#   --log FILE     where to write the serial log
#   --ivshmem-size prints the ivshmem BAR size of VARIANT's architecture and exits
. "$(dirname "$0")/lib.sh"

icount=0 timeout=5400 log=""
while [ $# -gt 0 ]; do
	case "$1" in
	--icount) icount=1 ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--ivshmem-size) size_only=1 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || die "usage: arch-boot.sh [options] VARIANT [JOB]"
variant=$1 job=${2:-main}
arch=$(variant_arch "$variant")
[ -n "$arch" ] || die "$variant is not built for another architecture (flag arch-PROFILE); use scripts/boot.sh"
case "$arch" in
i386) shm_size=256M ;;
arm64*) shm_size=1G ;;
*) die "no QEMU machine for profile $arch" ;;
esac
if [ "${size_only:-0}" = 1 ]; then echo "$shm_size"; exit 0; fi

use_variant_arch "$variant"
b=$(build_dir "$variant")
kernel=$b/$BUILD_IMAGE_PATH
initrd=$OUT/arch/$variant/initramfs.cpio
[ -f "$kernel" ] || die "no kernel for $variant; run scripts/build.sh $variant"
[ -f "$initrd" ] || die "no initramfs for $variant; run scripts/mk-initramfs.sh $variant"
mkdir -p "$OUT/logs" "$OUT/run" "$OUT/arch"
[ -n "$log" ] || log=$OUT/logs/$variant-$(date +%Y%m%d-%H%M%S).log

shm=${IVSHMEM:-$OUT/arch/ivshmem-$shm_size.img}
[ -f "$shm" ] || truncate -s "$shm_size" "$shm"
[ "$(stat -c %s "$shm")" = "$(numfmt --from=iec "$shm_size")" ] ||
	die "$shm is not $shm_size (scripts/arch-ivshmem.py fill $shm $shm_size)"
nvme=$(mktemp "$OUT/run/nvme.XXXXXX")
truncate -s 16M "$nvme"

devices=(
	-device pcie-root-port,id=rp1,chassis=1,addr=0x3
	-device edu,bus=rp1,addr=0x0,dma_mask=0xffffffffffffffff
	-object memory-backend-file,id=shm,size="$shm_size",mem-path="$shm",share=on
	-device ivshmem-plain,memdev=shm,addr=0x4
	-drive file="$nvme",if=none,id=nvm,format=raw
	-device nvme,serial=vfio0001,drive=nvm,addr=0x5
)
append="panic=-1 oops=panic harness_job=/jobs/$job"
case "$arch" in
i386)
	qemu=qemu-system-i386
	qemu_args=(
		-M q35 -accel tcg -cpu max,family=15 -smp 2 -m 1G
		-device intel-iommu,intremap=off,caching-mode=on
		-append "console=ttyS0 intel_iommu=on no_timer_check vfio_iommu_type1.allow_unsafe_interrupts=1 vmalloc=512M $append"
	) ;;
arm64*)
	qemu=qemu-system-aarch64
	[ "$arch" = arm64 ] || append="pci=resource_alignment=16@pci:1b36:0010 $append"
	qemu_args=(
		-M virt,iommu=smmuv3,gic-version=3 -accel tcg -cpu max,pauth-impdef=on
		-smp 2 -m 2G
		-append "console=ttyAMA0 $append"
	) ;;
esac
qemu_args+=(
	-nodefaults -display none -no-reboot -serial stdio
	-kernel "$kernel" -initrd "$initrd"
	"${devices[@]}"
)
if [ $icount = 1 ]; then
	qemu_args+=(-icount shift=0,sleep=off -smp 1)
fi
command -v "$qemu" >/dev/null || die "no $qemu (scripts/arch-tests.sh installs it)"
say "booting $variant ($arch, $qemu, TCG$([ $icount = 1 ] && echo ", icount"), ivshmem $shm_size)" \
	"job $job, limit ${timeout}s, log $log"
set +e
timeout -k 10 "$timeout" nice -n 19 "$qemu" "${qemu_args[@]}" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
rm -f "$nvme"
[ "$rc" != 124 ] || { echo "harness: guest timed out after ${timeout}s" | tee -a "$log"; exit 124; }
grep -q '^### job end' "$log" || { echo "harness: guest ended without finishing its job" | tee -a "$log"; exit 1; }
