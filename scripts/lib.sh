# Common settings for the harness scripts; sourced, not run.
# shellcheck shell=bash
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything generated lives under $OUT (git-ignored): sources, trees, builds, logs.
OUT=${OUT:-$REPO/out}
# The series the layer functions read: patches/6.1 (the product), or
# SERIES=6.12 (the 6.12.y stable layer) for the exports.
SERIES=${SERIES:-6.1}
SERIES_DIR=$REPO/patches/$SERIES
JOBS=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
# Paths under $OUT are hashed relative to the build directory, so a clone
# elsewhere (CI) and every variant of one base share the cache.
export CCACHE_BASEDIR=$OUT CCACHE_NOHASHDIR=1
# Reproducible builds: the same inputs give the same objects, so ccache hits.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2026-01-01}
export KBUILD_BUILD_USER=vfio KBUILD_BUILD_HOST=harness

say() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# base_field NAME COLUMN: a column of scripts/bases.conf
base_field() {
	awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c }' "$REPO/scripts/bases.conf"
}

# variant_field VARIANT COLUMN: a column of scripts/variants.conf
variant_field() {
	local v
	v=$(awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c }' "$REPO/scripts/variants.conf")
	[ -n "$v" ] || die "unknown variant '$1' (see scripts/variants.conf)"
	echo "$v"
}

# variant_has VARIANT FLAG: whether the variant's flags (column 5) name FLAG
variant_has() { [[ ",$(variant_field "$1" 5)," == *",$2,"* ]]; }

# variant_flag_value VARIANT PREFIX: the rest of the flag that starts with
# PREFIX (e.g. "arch-"), or nothing
variant_flag_value() {
	local flags
	flags=$(variant_field "$1" 5)
	tr ',' '\n' <<<"$flags" | sed -n "s/^$2//p" | sed -n 1p
}

# variant_only VARIANT: the test programs a variant runs (flag
# "only-REGEX"; a kernel made for one test), or nothing: all
variant_only() { variant_flag_value "$1" only-; }

# judged_as VARIANT: the kernel whose expected results judge the variant's
# run: a plant's or a probe's ("plant:KERNEL"), else the variant itself
judged_as() {
	local r
	r=$(variant_field "$1" 4)
	case "$r" in *:*) echo "${r#*:}" ;; *) echo "$1" ;; esac
}

# The variants "make test" runs (flag "test"), in variants.conf order
all_variants() { awk '!/^#/ && NF && ("," $5 ",") ~ /,test,/ { print $1 }' "$REPO/scripts/variants.conf"; }

# The layers of patches/6.1/series, in order. A line "[NAME]" there starts
# layer NAME; every patch belongs to the layer above it. What each layer
# is and where it goes: patches/6.1/layers.conf.
# layer_field LAYER COLUMN: a field of layers.conf ("-" read as empty),
# COLUMN counted from 1 (the layer's name)
layer_field() {
	awk -F'|' -v n="$1" -v c="$2" '
		!/^#/ && NF { l = $1; gsub(/^ +| +$/, "", l)
			if (l == n) { v = $c; gsub(/^ +| +$/, "", v); if (v != "-") print v; exit } }' \
		"$SERIES_DIR/layers.conf"
}
# layer_names: the layers of $SERIES_DIR/layers.conf, in order
layer_names() { awk -F'|' '!/^#/ && NF { gsub(/ /, "", $1); printf "%s ", $1 }' "$SERIES_DIR/layers.conf"; }
SERIES_LAYERS=$(layer_names)
SERIES_LAYERS=${SERIES_LAYERS% }

# series_entries: "LAYER FILE" for every patch of the series, in order
series_entries() {
	[ -f "$SERIES_DIR/series" ] || return 0
	awk '
		/^[[:space:]]*(#|$)/ { next }
		/^\[[a-z0-9-]+\]/ { layer = substr($1, 2, length($1) - 2); next }
		{ if (layer == "") { print "no layer above " $1 > "/dev/stderr"; exit 1 }
		  print layer, $1 }' "$SERIES_DIR/series"
}

# series_layers LAYER,...: the patch files of those layers, in series order
series_layers() {
	local want=",$1," layer p
	series_entries | while read -r layer p; do
		[[ "$want" == *",$layer,"* ]] && echo "$SERIES_DIR/$p"
	done
	return 0
}

# selftest_patches: the behaviour suite's patches (file names with
# "-selftests-"), in series order
selftest_patches() {
	local layer p
	series_entries | while read -r layer p; do
		case "$p" in *-selftests-*) echo "$SERIES_DIR/$p" ;; esac
	done
}

# tests_base BASE: "in-tree", or the base our selftests are built on for
# a base with its own tools/testing/selftests/vfio (scripts/bases.conf)
tests_base() { base_field "$1" 6; }

# bench_helpers VARIANT DIR: the vfio selftests' helpers
# (vfio_pci_util.[ch]) the benchmark programs are built with, copied into
# DIR from the variant's branch in its tree (so that a tree checked out
# for another variant does not matter) or, for a base whose selftests
# are built on another base (bases.conf's "tests" column), from the
# tests tree (out/tree/tests), which carries only the selftest patches
bench_helpers() {
	local v=$1 d=$2 tree rev f src=tools/testing/selftests/vfio
	tree=$(tree_dir "$v") rev=$v
	if [ "$(tests_base "$(variant_field "$v" 2)")" != in-tree ]; then
		tree=$OUT/tree/tests rev=HEAD
	fi
	mkdir -p "$d"
	for f in vfio_pci_util.c vfio_pci_util.h; do
		git -C "$tree" show "$rev:$src/$f" > "$d/$f" ||
			die "$v: no vfio selftest helpers at $rev of $tree"
	done
}

# upstream_tests VARIANT: the test programs that the variant's patches
# from its own base's series (patches/BASE, e.g. 7.3's revocation test)
# add to a base's own tools/testing/selftests/vfio, written in upstream's
# framework: built in the kernel's tree (build.sh) and run once per
# device, with its BDF as upstream's tests take it (job.sh)
upstream_tests() {
	local base p
	base=$(variant_field "$1" 2)
	[ "$(tests_base "$base")" != in-tree ] || return 0
	for p in $(series_patches "$1"); do
		case "$p" in "$REPO/patches/$base/"*-selftests-*)
			sed -n 's|^+++ b/tools/testing/selftests/vfio/\([a-z0-9_]*_test\)\.c$|\1|p' "$p" ;;
		esac
	done
}

# series_patches VARIANT: the patch files a variant applies, in order.
# Its patch set (variants.conf column 3) is "all", a comma-separated list of
# layers, or "selftests": only the patches whose file name contains
# "-selftests-" (the behaviour suite, so that the reference kernels run the
# same tests). "+FILE" after it adds a patch that is not part of the
# series, such as a planted fault (plants/), applied last; "+layer:DIR/L"
# adds layer L of patches/DIR/series (layer:6.12/stable).
series_patches() {
	local spec which layer p extra dir files
	spec=$(variant_field "$1" 3)
	which=${spec%%+*}
	case "$which" in
	all) series_layers "${SERIES_LAYERS// /,}" ;;
	selftests) selftest_patches ;;
	*)	for layer in ${which//,/ }; do
			[[ " $SERIES_LAYERS " == *" $layer "* ]] || die "variant $1: no layer '$layer'"
		done
		series_layers "$which" ;;
	esac
	[[ "$spec" == *+* ]] || return 0
	for extra in ${spec#*+}; do
		extra=${extra//+/ }
		for p in $extra; do
			case "$p" in
			layer:*/*)	# a layer of another series: layer:6.12/stable
				dir=${p#layer:}
				files=$(SERIES_DIR=$REPO/patches/${dir%/*} series_layers "${p##*/}")
				[ -n "$files" ] || die "variant $1: no patches in $p"
				echo "$files" ;;
			*)	[ -f "$REPO/$p" ] || die "variant $1: no $p"
				echo "$REPO/$p" ;;
			esac
		done
	done
}

src_git() { echo "$OUT/src/$1"; }        # pristine base, one commit, branch "base"
# One worktree per base, with a branch per variant: building every variant
# from the same path lets ccache reuse the objects the variants share.
# Variants for another architecture (variant_arch) have a worktree of their
# own, out/tree/BASE-arch, so that building them never resets the tree the
# x86-64 variants are being built from.
tree_dir() {
	local a
	a=$(variant_arch "$1")
	[ "$a" = "$HOST_ARCH" ] && a=""
	echo "$OUT/tree/$(variant_field "$1" 2)${a:+-arch}"
}
build_dir() { echo "$OUT/build/$1"; }    # a variant's O= directory
# monitor_socket LOG: the QEMU monitor socket of the boot whose serial log
# is LOG (boot.sh, qemu-monitor.sh), named after the log's whole path:
# boots whose logs share a file name (make test and make clients side by
# side) must not share a socket
monitor_socket() { echo "$OUT/run/mon.$(realpath -m "$1" | md5sum | cut -c1-12)"; }

# base_worktree SRC TREE REV: a detached worktree of SRC at REV in TREE,
# made if missing, then reset to REV with nothing else in it.
base_worktree() {
	local src=$1 tree=$2 rev=$3
	if [ ! -e "$tree/.git" ]; then
		say "checking out $rev into $tree (a minute or two)"
		git -C "$src" worktree prune
		timed git -C "$src" worktree add -q -f --detach "$tree" "$rev"
	fi
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" checkout -q -f --detach "$rev"
	git -C "$tree" clean -q -fdx
	[ -z "$(git -C "$tree" status --porcelain)" ] || die "$tree is not clean"
}

# Run a long command and say how long it took.
timed() {
	local t0=$SECONDS
	"$@"
	say "done in $((SECONDS - t0)) s: $*"
}

# variant_arch VARIANT: the architecture a variant is built for and booted
# on, a row of scripts/arch.conf: its flag "arch-NAME", x86_64 without one
variant_arch() {
	local a
	a=$(variant_flag_value "$1" arch-)
	echo "${a:-$HOST_ARCH}"
}
# The architecture of the host, whose variants need no arch- flag, can use
# the host's root over 9p and may run under KVM (scripts/arch.conf's first row)
HOST_ARCH=x86_64

# arch_field ARCH COLUMN: a column of scripts/arch.conf ("-" read as
# empty); COLUMN "append" is the rest of the line
arch_field() {
	local v
	v=$(awk -v n="$1" -v c="$2" '
		!/^#/ && $1 == n {
			if (c == "append") { for (i = 18; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : ""); print ""; exit }
			print $c; exit }' "$REPO/scripts/arch.conf")
	[ -n "$v" ] || die "no architecture '$1' with a column $2 in scripts/arch.conf"
	[ "$v" = - ] || echo "$v"
}
# arch.conf's columns by name, for arch_field
A_KARCH=2 A_CROSS=3 A_IMAGE=4 A_CONFIGS=5 A_QEMU=6 A_MACHINE=7 A_CPU=8 A_MEM=9
A_IOMMU=10 A_DEVICES=11 A_SHM=12 A_ROOT=13 A_DEB=14 A_ELF=15 A_TIMEOUT=16
A_PKGS=17

# use_variant_arch VARIANT: set what kconfig, kmake and build.sh need for the
# variant's architecture (scripts/arch.conf): BUILD_ARCH (make's ARCH),
# BUILD_CROSS (CROSS_COMPILE), BUILD_IMAGE (the make target) and
# BUILD_IMAGE_PATH (the kernel file, relative to the build directory).
use_variant_arch() {
	local a
	a=$(variant_arch "$1")
	BUILD_ARCH=$(arch_field "$a" $A_KARCH)
	BUILD_CROSS=$(arch_field "$a" $A_CROSS)
	BUILD_IMAGE_PATH=$(arch_field "$a" $A_IMAGE)
	BUILD_IMAGE=${BUILD_IMAGE_PATH##*/}
}

# fragments VARIANT: the config fragments a variant is built with: the test
# config, the series' KUnit suites where the variant has them, the
# sanitizers for variants with the "kasan" flag, KVM for those with
# the "kvm" flag, the AMD IOMMU for those with "iommu-amd", the
# production-like benchmark config (and no KUnit) for those with the
# "bench" flag, its own
# config/VARIANT.config if any, and EXTRA_CONFIG (a file) if set.
fragments() {
	echo "$REPO/config/test.config"
	# (grep reads the whole list: "grep -q" could end series_patches
	# with SIGPIPE first, which pipefail turns into "no KUnit")
	variant_has "$1" bench || ! series_patches "$1" | grep -- '-KUnit-' >/dev/null ||
		echo "$REPO/config/kunit.config"
	! variant_has "$1" bench ||
		printf '%s\n' "$REPO/config/bench.config" "$REPO/config/bench-$(variant_field "$1" 2).config"
	! variant_has "$1" kasan || echo "$REPO/config/kasan.config"
	! variant_has "$1" kvm || echo "$REPO/config/kvm.config"
	! variant_has "$1" iommu-amd || echo "$REPO/config/iommu-amd.config"
	! variant_has "$1" iommufd || echo "$REPO/config/iommufd.config"
	[ ! -f "$REPO/config/$1.config" ] || echo "$REPO/config/$1.config"
	# the architecture's fragments (scripts/arch.conf)
	local c
	for c in $(arch_field "$(variant_arch "$1")" $A_CONFIGS | tr ',' ' '); do
		echo "$REPO/config/$c.config"
	done
	[ -z "${EXTRA_CONFIG:-}" ] || echo "$EXTRA_CONFIG"
}

# kconfig TREE BUILD FRAGMENT... : tinyconfig + fragments, and check that
# every option landed (kconfig drops unmet ones silently): the last
# fragment that names an option decides, "CONFIG_X=v" or "# CONFIG_X is
# not set". With ALLOW_MISSING=1, options the tree does not know yet are
# only reported.
kconfig() {
	local tree=$1 b=$2 bad=0 opt want got
	shift 2
	# Kconfig tests the compiler (CC_HAS_...): configure with the one
	# that builds, or the build restarts the configuration with defaults.
	local cc=(ARCH="${BUILD_ARCH:-x86_64}" ${BUILD_CROSS:+CROSS_COMPILE="$BUILD_CROSS"})
	mkdir -p "$b"
	make -s -C "$tree" O="$b" "${cc[@]}" tinyconfig >/dev/null
	(cd "$tree" && ./scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" "$@" >/dev/null)
	make -s -C "$tree" O="$b" "${cc[@]}" olddefconfig >/dev/null
	while IFS='=' read -r opt want; do
		got=$(grep -E "^$opt=" "$b/.config" | cut -d= -f2- || true)
		[ "$got" = "$want" ] && continue
		if [ "${ALLOW_MISSING:-0}" = 1 ] && ! grep -rqs "^config ${opt#CONFIG_}\$" \
			--include='Kconfig*' "$tree"; then
			say "config: $opt is not an option of $tree; left out"
			continue
		fi
		echo "config: ${opt}=${want:-n} requested, got '${got:-unset}'" >&2
		bad=1
	done < <(cat "$@" | sed -nE -e 's/^(CONFIG_[A-Z0-9_]+)=(.*)/\1=\2/p' \
			-e 's/^# (CONFIG_[A-Z0-9_]+) is not set$/\1=/p' |
		awk -F= '{ want[$1] = $0; if (!($1 in seen)) order[n++] = $1; seen[$1] = 1 }
			 END { for (i = 0; i < n; i++) print want[order[i]] }')
	[ $bad = 0 ] || die "config fragments did not apply to $b"
}

# kmake TREE BUILD ARGS... : make in an O= build directory with ccache
# (for BUILD_ARCH with BUILD_CROSS if set: use_variant_arch)
kmake() {
	local tree=$1 b=$2
	shift 2
	make -s -C "$tree" O="$b" ARCH="${BUILD_ARCH:-x86_64}" -j"$JOBS" \
		${BUILD_CROSS:+CROSS_COMPILE="$BUILD_CROSS"} CC="ccache ${BUILD_CROSS:-}gcc" "$@"
}

# Debian packages of another architecture, fetched without touching the
# system: apt runs on a state of its own under DIR (lists and cache;
# APT::Architectures=ARCH) with the system's sources and keys, so there is
# no dpkg --add-architecture and no root, and an index of that architecture
# that fails to download (as bookworm-security's i386 index once did, "File
# has unexpected size") cannot make the system's apt-get update fail.
# Packages are unpacked with dpkg-deb -x, never installed.
#
# apt_private_update DIR ARCH: set APT_OPT for that state and update its
# lists (log: DIR/apt.log); fails without apt-get or dpkg-deb.
apt_private_update() {
	local dir=$1 arch=$2
	command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
	mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"
	APT_OPT=(-o Dir::State::Lists="$dir/apt/lists" -o Dir::Cache="$dir/apt/cache"
		-o APT::Architectures="$arch")
	say "apt: updating a private state in $dir/apt (APT::Architectures=$arch;" \
		"dpkg's architectures and the system's apt lists unchanged)"
	apt-get "${APT_OPT[@]}" -q update >"$dir/apt.log" 2>&1 || true
	grep -E '^(E|W|Err):' "$dir/apt.log" | sed 's/^/    apt: /' >&2 || true
}

# apt_private_candidate PACKAGE:ARCH: the version apt_private_update's
# state would install, or nothing
apt_private_candidate() {
	apt-cache "${APT_OPT[@]}" policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' |
		grep -vx '(none)' || true
}

# apt_private_unpack DIR ARCH PACKAGE VERSION: download PACKAGE:ARCH=VERSION
# with apt_private_update's state into DIR and unpack it into
# DIR/VERSION (an epoch's ":" as "%3a")
apt_private_unpack() {
	local dir=$1 arch=$2 pkg=$3 ver=$4 dest=$1/${4//:/%3a}
	rm -rf "$dest" "$dir/${pkg}_"*.deb
	(cd "$dir" && apt-get "${APT_OPT[@]}" -q download "$pkg:$arch=$ver") >>"$dir/apt.log" 2>&1 ||
		{ say "apt: apt-get download $pkg:$arch=$ver failed (log: $dir/apt.log)"; return 1; }
	dpkg-deb -x "$dir/${pkg}_"*"_$arch.deb" "$dest" || { say "apt: dpkg-deb -x failed"; return 1; }
	say "apt: unpacked $(basename "$dir/${pkg}_"*"_$arch.deb") into $dest (not installed)"
}
