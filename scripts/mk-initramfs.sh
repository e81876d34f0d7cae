#!/bin/bash
# mk-initramfs.sh VARIANT [NAME=JOBFILE...]
#   The root file system of a guest for another architecture (variants with
#   a flag arch-PROFILE, scripts/arch-tests.sh), which cannot run the
#   host's x86-64 user space over 9p as scripts/boot.sh's guests do:
#   out/arch/VARIANT/initramfs.cpio (newc, uncompressed) with
#     /init            scripts/arch-init.sh: what scripts/guest-init.sh does
#     /bin/busybox     Debian's busybox-static for the guest's architecture
#     /tests/vfio/     the variant's vfio selftests, cross-built static by
#                      scripts/build.sh, and their settings file
#     /jobs/NAME       each JOBFILE given (run by /init when the kernel
#                      command line says harness_job=/jobs/NAME)
#     /guest-*.sh      the guest scripts the jobs use (binding, markers,
#                      the kmemleak scan of sanitizer kernels)
#
# busybox-static:ARCH is fetched with apt into a state of its own under
# out/arch/debian/ARCH (scripts/lib.sh: apt_private_update) and unpacked
# into out/arch/debian/ARCH/VERSION, never installed. Done once; later runs
# reuse it (it says which). BUSYBOX=/path/to/busybox uses another static
# busybox.
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: mk-initramfs.sh VARIANT [NAME=JOBFILE...]"
variant=$1; shift
arch=$(variant_arch "$variant")
[ -n "$arch" ] || die "$variant is not a variant for another architecture (flag arch-PROFILE)"
case "$arch" in
i386) deb_arch=i386 elf='Intel 80386' ;;
arm64*) deb_arch=arm64 elf='ARM aarch64' ;;
*) die "no Debian architecture for profile $arch" ;;
esac
b=$(build_dir "$variant")
[ -d "$b/kselftest/vfio" ] || die "no selftests in $b; run scripts/build.sh $variant"

# fetch_busybox DEB_ARCH: print the path of busybox from busybox-static for
# DEB_ARCH, fetching and unpacking it first if it is not here yet.
fetch_busybox() {
	local a=$1 dir=$OUT/arch/debian/$1 ver have bin
	# the newest one unpacked before, if any
	have=$(ls -d "$dir"/*/bin/busybox 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$have" ]; then
		say "initramfs: busybox-static:$a $(basename "$(dirname "$(dirname "$have")")")" \
			"already unpacked in $dir (remove it to fetch again)"
		echo "$have"
		return 0
	fi
	say "initramfs: fetching busybox-static:$a"
	apt_private_update "$dir" "$a" ||
		die "initramfs: no apt-get or dpkg-deb here; set BUSYBOX=/path/to/a/static/busybox for $a"
	ver=$(apt_private_candidate "busybox-static:$a")
	[ -n "$ver" ] || die "initramfs: apt knows no busybox-static:$a (log: $dir/apt.log)"
	apt_private_unpack "$dir" "$a" busybox-static "$ver" || die "initramfs: busybox-static:$a=$ver not unpacked"
	bin=$dir/${ver//:/%3a}/bin/busybox
	[ -x "$bin" ] || die "initramfs: busybox-static:$a $ver has no bin/busybox"
	echo "$bin"
}

busybox=${BUSYBOX:-$(fetch_busybox "$deb_arch")}
file -L "$busybox" | grep -q "$elf" || die "$busybox is not a $elf program: $(file -L "$busybox")"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not static"

dest=$OUT/arch/$variant
root=$dest/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,jobs,tests/vfio}
cp "$busybox" "$root/bin/busybox"
cp "$REPO/scripts/arch-init.sh" "$root/init"
cp "$REPO/scripts/guest-bind.sh" "$root/guest-bind.sh"
cp "$REPO/scripts/guest-job.sh" "$root/guest-job.sh"
cp "$REPO/scripts/guest-kmemleak.sh" "$root/guest-kmemleak.sh"
chmod 755 "$root/init"
for p in "$b"/kselftest/vfio/*; do
	[ -f "$p" ] || continue
	if [ -x "$p" ]; then
		file "$p" | grep -q "$elf.*statically linked" ||
			die "$p is not a static $elf program: $(file "$p")"
	fi
	cp "$p" "$root/tests/vfio/"
done
for j in "$@"; do
	[ -f "${j#*=}" ] || die "no job file ${j#*=}"
	cp "${j#*=}" "$root/jobs/${j%%=*}"
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$dest/initramfs.cpio.tmp"
mv "$dest/initramfs.cpio.tmp" "$dest/initramfs.cpio"
say "initramfs: $dest/initramfs.cpio ($(du -h "$dest/initramfs.cpio" | cut -f1):" \
	"busybox $(basename "$(dirname "$(dirname "$busybox")")"), $(ls "$root/tests/vfio" | wc -l) test files," \
	"jobs: $(ls "$root/jobs" | paste -sd' ' -))"
