#!/bin/bash
# sanitize.sh : the series under KASAN (generic, inline), kmemleak and SLUB
# debugging (config/kasan.config), "make sanitize".
#  1. patched-kasan and stable-kasan (scripts/variants.conf): the whole
#     behaviour suite and the storm's boot, each boot ending with the
#     devices released from vfio-pci and a kmemleak scan
#     (scripts/guest-kmemleak.sh); judged against expected/VARIANT.txt,
#     and the dmesg scanner fails on any KASAN or kmemleak report;
#  2. the planted faults (plants/), each must be caught: plant-leak (the
#     device inode leaks: kmemleak, and the busy-inodes warning when the
#     vfio file system goes), plant-uaf (the inode is freed at the last
#     close: KASAN on the next open) and plant-norevoke (nothing is
#     revoked: vfio_pci_kvm_test's guest keeps reading the BAR).
# The kernels also have KVM (config/kvm.config), so vfio_pci_kvm_test runs
# in 1 too.
# Takes VARIANTS=... to run only some of 1. The last line is
# "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

real=(${VARIANTS:-patched-kasan stable-kasan})
t0=$SECONDS
p=0 f=0 s=0
if "$REPO/scripts/run-tests.sh" "${real[@]}" | tee "$OUT/logs/sanitize.report"; then :; fi
read -r p f s < <(tail -n 1 "$OUT/logs/sanitize.report" |
	sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')

# plant VARIANT PROGRAM PATTERN WHAT: the planted fault must show as
# PATTERN in the report of a short run (PROGRAM only, no storm boot), or
# on the guest's console: a fault that ends in an oops panics the guest
# (oops=panic) before it can dump its dmesg, and then only the console
# has the oops and the taint a KASAN report left ("Tainted: G B").
plant() {
	local v=$1 prog=$2 pat=$3 what=$4 rep
	rep=$OUT/logs/$v.report
	ONLY=$prog STORM=0 "$REPO/scripts/run-tests.sh" "$v" >/dev/null 2>&1 || true
	# judged against what the kernel it is planted in must give
	"$REPO/scripts/report.py" patched-kasan "$OUT/logs/$v.log" --partial >"$rep" 2>&1 || true
	if grep -qaE "$pat" "$rep" "$OUT/logs/$v.log" 2>/dev/null; then
		echo "PASS  $v: caught by $what: $(grep -haoE -m1 "$pat.{0,60}" "$rep" "$OUT/logs/$v.log" | head -n 1)"
		p=$((p + 1))
	else
		echo "FAIL  $v: $what did not catch the planted fault (see $rep)"
		f=$((f + 1))
	fi
}
if [ -z "${VARIANTS:-}" ]; then
	plant plant-uaf vfio_pci_p2p_test 'KASAN: [a-z-]+|Tainted: G +B ' KASAN
	plant plant-leak vfio_pci_p2p_test 'unreferenced object|Busy inodes' 'kmemleak and the dmesg scanner'
	plant plant-norevoke vfio_pci_kvm_test 'vfio_pci_kvm_test:vfio_pci_kvm[.]memslot_revoked: .*got FAIL' vfio_pci_kvm_test
fi
say "sanitize: done in $((SECONDS - t0)) s"
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ]
