#!/bin/bash
# install-deps.sh [cross] : install, from Debian's archive, everything the
# harness needs: the two kernel source packages (at the versions pinned in
# scripts/bases.conf), the build tools, QEMU and the guest's user space.
# "cross" adds the cross compilers of make cross (scripts/cross-check.sh),
# which only that by-hand target needs.
. "$(dirname "$0")/lib.sh"

pkgs=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev ccache sparse
	cpio kmod rsync xz-utils python3 git
	# guests and clients (clients/: QEMU assigns devices to a nested guest,
	# DPDK's testpmd from dpdk-dev with the e1000 PMD drives two NICs)
	qemu-system-x86 busybox-static pciutils dpdk-dev librte-net-e1000-23
	# reports and shipping
	gnuplot-nox quilt linux-config-6.1 linux-config-6.12 python3-ply
	# the production-config check: Debian builds 6.1 with gcc-12 and pahole
	gcc-12 dwarves
	# the mbox export is checked with b4 am
	b4
)
if [ "${1:-}" = cross ]; then
	for t in aarch64 i686 riscv64 powerpc; do
		pkgs+=("gcc-12-$t-linux-gnu" "binutils-$t-linux-gnu")
	done
fi
# (a base "from apt:SUITE" is downloaded by get-source.sh, not installed)
while read -r name pkg ver _ from _; do
	[ "$from" = installed ] && pkgs+=("$pkg=$ver")
done < <(grep -v '^#' "$REPO/scripts/bases.conf")

missing=()
for p in "${pkgs[@]}"; do
	n=${p%%=*} want=${p#*=}
	have=$(dpkg-query -W -f '${Status} ${Version}' "$n" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*)
		[ "$p" = "$n" ] || [ "${have##* }" = "$want" ] || missing+=("$p") ;;
	*) missing+=("$p") ;;
	esac
done
if [ ${#missing[@]} -eq 0 ]; then
	say "all packages present"
	exit 0
fi
say "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
