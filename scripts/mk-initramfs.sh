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
#
# busybox-static:ARCH is fetched with apt into a state of its own under
# out/arch/debian/ARCH (APT::Architectures=ARCH, the system's sources and
# keys; as scripts/prod-check.sh fetches Debian's configs): dpkg's
# architectures and the system's apt lists are not changed, nothing is
# installed, and the package is unpacked with dpkg-deb -x into
# out/arch/debian/ARCH/VERSION. Done once; later runs reuse it (it says
# which). BUSYBOX=/path/to/busybox uses another static busybox.
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
	local a=$1 dir=$OUT/arch/debian/$1 ver have aptopt log bin
	# the newest one unpacked before, if any
	have=$(ls -d "$dir"/*/bin/busybox 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$have" ]; then
		say "initramfs: busybox-static:$a $(basename "$(dirname "$(dirname "$have")")")" \
			"already unpacked in $dir (remove it to fetch again)"
		echo "$have"
		return 0
	fi
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
		die "initramfs: no apt-get or dpkg-deb here; set BUSYBOX=/path/to/a/static/busybox for $a"
	mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"
	aptopt=(-o Dir::State::Lists="$dir/apt/lists" -o Dir::Cache="$dir/apt/cache"
		-o APT::Architectures="$a")
	log=$dir/apt.log
	say "initramfs: fetching busybox-static:$a: apt-get update with a private state in $dir/apt" \
		"(APT::Architectures=$a; dpkg's architectures and the system's apt lists unchanged)"
	apt-get "${aptopt[@]}" -q update >"$log" 2>&1 || true
	grep -E '^(E|W|Err):' "$log" | sed 's/^/    apt: /' >&2 || true
	ver=$(apt-cache "${aptopt[@]}" policy "busybox-static:$a" 2>/dev/null |
		sed -n 's/^ *Candidate: //p' || true)
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		die "initramfs: apt knows no busybox-static:$a (log: $log)"
	say "initramfs: apt-get download busybox-static:$a=$ver into $dir"
	rm -f "$dir"/busybox-static_*.deb
	(cd "$dir" && apt-get "${aptopt[@]}" -q download "busybox-static:$a=$ver") >>"$log" 2>&1 ||
		die "initramfs: apt-get download busybox-static:$a=$ver failed (log: $log)"
	rm -rf "${dir:?}/${ver//:/%3a}"
	dpkg-deb -x "$dir"/busybox-static_*_"$a".deb "$dir/${ver//:/%3a}" ||
		die "initramfs: dpkg-deb -x failed"
	bin=$dir/${ver//:/%3a}/bin/busybox
	[ -x "$bin" ] || die "initramfs: busybox-static:$a $ver has no bin/busybox"
	say "initramfs: unpacked $(basename "$dir"/busybox-static_*_"$a".deb) into $dir/${ver//:/%3a} (not installed)"
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
