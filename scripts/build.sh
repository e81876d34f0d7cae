#!/bin/bash
# build.sh VARIANT... : configure (tinyconfig + config/test.config, plus
# config/VARIANT.config if present), build the kernel with ccache, and build
# the vfio selftests against the tree's own uapi headers.
# Use --no-tree to build the tree as it is (while editing it).
. "$(dirname "$0")/lib.sh"

# tests_tree VARIANT KERNEL_TREE: the tree our selftests are built in: the
# kernel's own, or, for a base with selftests of its own (bases.conf
# column "tests"), out/tree/tests: the tests' base with only the selftest
# patches, the same sources every other kernel runs. (Made anew for each
# build: do not build two such variants at once.)
tests_tree() {
	local base tb t=$OUT/tree/tests p
	base=$(variant_field "$1" 2)
	tb=$(tests_base "$base")
	[ "$tb" != in-tree ] || { echo "$2"; return; }
	"$REPO/scripts/get-source.sh" "$tb" >&2
	base_worktree "$(src_git "$tb")" "$t" base
	for p in $(selftest_patches); do
		git -C "$t" am -q --committer-date-is-author-date "$p" >&2 ||
			die "$(basename "$p") does not apply to $tb"
	done
	echo "$t"
}

build_selftests() {
	local v=$1 b=$3 tree
	tree=$(tests_tree "$v" "$2")
	[ -d "$tree/tools/testing/selftests/vfio" ] || { say "$v: no vfio selftests in tree"; return 0; }
	say "$v: installing uapi headers and building the vfio selftests in $tree"
	make -s -C "$2" O="$b" ARCH="$BUILD_ARCH" headers_install INSTALL_HDR_PATH="$b/usr" >/dev/null
	rm -rf "$b/kselftest/vfio"
	mkdir -p "$b/kselftest/vfio"
	# Another architecture's guest has no host user space to run them
	# with: cross-built and static, for its initramfs (scripts/mk-initramfs.sh).
	local cross=()
	[ -z "$BUILD_CROSS" ] || cross=(CC="${BUILD_CROSS}gcc" LDFLAGS=-static)
	make -s -C "$tree/tools/testing/selftests/vfio" OUTPUT="$b/kselftest/vfio" \
		KHDR_INCLUDES="-isystem $b/usr/include" "${cross[@]}" >/dev/null
	cp "$tree/tools/testing/selftests/vfio/settings" "$b/kselftest/vfio/"
	# The measurement programs use the selftests' helpers; the open probe
	# runs on every architecture (bench/open-cost.sh, by hand).
	mkdir -p "$b/bench"
	${BUILD_CROSS:-}gcc -O2 -Wall -pthread -D_FILE_OFFSET_BITS=64 ${BUILD_CROSS:+-static} -isystem "$b/usr/include" \
		-I"$tree/tools/testing/selftests/vfio" -o "$b/bench/vfio_open_probe" \
		"$REPO/bench/vfio_open_probe.c" "$tree/tools/testing/selftests/vfio/vfio_pci_util.c"
	[ -z "$BUILD_CROSS" ] || return 0
	# Tests in upstream's framework (upstream_tests) build in the
	# kernel's tree, for the host's architecture only (the framework's
	# Makefile builds nothing for i386).
	local prog
	rm -rf "$b/kselftest/upstream"
	mkdir -p "$b/kselftest/upstream"
	for prog in $(upstream_tests "$v"); do
		say "$v: building $prog in $2's own vfio selftests"
		make -s -C "$2/tools/testing/selftests/vfio" OUTPUT="$b/kselftest/upstream" \
			KHDR_INCLUDES="-isystem $b/usr/include" "$b/kselftest/upstream/$prog" >/dev/null
	done
	gcc -O2 -Wall -pthread -isystem "$b/usr/include" \
		-I"$tree/tools/testing/selftests/vfio" -o "$b/bench/vfio_bar_bench" \
		"$REPO/bench/vfio_bar_bench.c" "$tree/tools/testing/selftests/vfio/vfio_pci_util.c"
}

build_one() {
	local v=$1 tree b
	tree=$(tree_dir "$v")
	b=$(build_dir "$v")
	use_variant_arch "$v"
	[ "${NO_TREE:-0}" = 1 ] || "$REPO/scripts/make-tree.sh" "$v"
	say "$v: configuring"
	# The fragments are written for 6.1: a newer tree may have dropped an
	# option (7.3 has no VFIO_PCI_MMAP or PROC_SYSCTL: both always on),
	# which is reported, not fatal; an option it has must still apply.
	local allow=0
	[ "$(variant_field "$v" 2)" = 6.1 ] || allow=1
	ALLOW_MISSING=$allow kconfig "$tree" "$b" $(fragments "$v")
	say "$v: building $BUILD_IMAGE with $JOBS jobs (about 5 min from cold, less with a warm ccache)"
	timed kmake "$tree" "$b" "$BUILD_IMAGE"
	build_selftests "$v" "$tree" "$b"
	say "$v: $(cat "$b/include/config/kernel.release") -> $b/$BUILD_IMAGE_PATH"
}

if [ "${1:-}" = --no-tree ]; then NO_TREE=1; shift; fi
[ $# -gt 0 ] || set -- $(all_variants)
for v in "$@"; do build_one "$v"; done
