#!/bin/bash
# mk-initramfs.sh VARIANT JOBFILE
#   The root file system of a guest whose architecture's root is an
#   initramfs (scripts/arch.conf), which cannot run the host's x86-64 user
#   space over 9p: out/arch/VARIANT/initramfs.cpio (newc, uncompressed) with
#     /init            scripts/guest/init.sh, PID 1 of every guest
#     /guest/          the other guest scripts (binding, markers, kmemleak)
#     /bin/busybox     Debian's busybox-static for the guest's architecture
#     /tests/vfio/     the variant's vfio selftests, cross-built static by
#                      scripts/build.sh, and their settings file
#     /jobs/main       JOBFILE (the kernel command line says
#                      harness_job=/jobs/main; scripts/boot.sh)
#
# busybox-static:ARCH is fetched with apt into a state of its own under
# out/arch/debian/ARCH (scripts/lib.sh: apt_private_update) and unpacked
# into out/arch/debian/ARCH/VERSION, never installed. Done once; later runs
# reuse it (it says which). BUSYBOX=/path/to/busybox uses another static
# busybox.
. "$(dirname "$0")/lib.sh"

[ $# = 2 ] || die "usage: mk-initramfs.sh VARIANT JOBFILE"
variant=$1 jobfile=$2
arch=$(variant_arch "$variant")
[ "$(arch_field "$arch" $A_ROOT)" = initramfs ] || die "$variant ($arch) boots with the host's root, not an initramfs"
deb_arch=$(arch_field "$arch" $A_DEB)
elf=$(arch_field "$arch" $A_ELF)

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
file -L "$busybox" | grep -qE "$elf" || die "$busybox is not a $elf program: $(file -L "$busybox")"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not static"

dest=$OUT/arch/$variant
root=$dest/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,jobs,guest,tests/vfio}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"		# /init's interpreter
cp "$REPO/scripts/guest/init.sh" "$root/init"
cp "$REPO"/scripts/guest/{bind,job,kmemleak}.sh "$root/guest/"
cp "$jobfile" "$root/jobs/main"
chmod 755 "$root/init"
# the test programs in /tests/vfio, the measurement programs that run on
# every architecture in /tests/bench (scripts/build.sh)
mkdir -p "$root/tests/bench"
for p in "$b"/kselftest/vfio/* "$b"/bench/vfio_open_probe; do
	[ -f "$p" ] || continue
	if [ -x "$p" ]; then
		file "$p" | grep -qE "$elf.*statically linked" ||
			die "$p is not a static $elf program: $(file "$p")"
	fi
	case "$p" in */bench/*) cp "$p" "$root/tests/bench/" ;; *) cp "$p" "$root/tests/vfio/" ;; esac
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$dest/initramfs.cpio.tmp"
mv "$dest/initramfs.cpio.tmp" "$dest/initramfs.cpio"
say "initramfs: $dest/initramfs.cpio ($(du -h "$dest/initramfs.cpio" | cut -f1):" \
	"busybox $(basename "$(dirname "$(dirname "$busybox")")"), $(ls "$root/tests/vfio" | wc -l) test files," \
	"job: $jobfile)"
