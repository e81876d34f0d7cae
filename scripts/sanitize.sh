#!/bin/bash
# sanitize.sh : make sanitize. The series under KASAN (generic, inline),
# kmemleak and SLUB debugging, with KVM in the guest (config/kasan.config,
# config/kvm.config), through scripts/run-tests.sh:
#  1. patched-kasan and stable-kasan (scripts/variants.conf): the whole
#     behaviour suite and the storm's boot, each boot ending with the
#     devices released from vfio-pci and a kmemleak scan
#     (scripts/guest/kmemleak.sh); the judge fails on any KASAN or
#     kmemleak report;
#  2. the planted faults, each of which must be caught as its variant's
#     flag "by-..." says (scripts/judge.py): plant-leak (the device inode
#     leaks: kmemleak, and the busy-inodes warning when the vfio file
#     system goes), plant-uaf (the inode is freed at the last close: KASAN
#     on the next open) and plant-norevoke (nothing is revoked:
#     vfio_pci_kvm_test's guest keeps reading the BAR). Each runs only the
#     program that shows its fault, without the storm's boot.
# Takes VARIANTS=... to run only some of 1. The last line is
# "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

t0=$SECONDS
# shellcheck disable=SC2206
kernels=(${VARIANTS:-patched-kasan stable-kasan})
plants=()
"$REPO/scripts/run-tests.sh" "${kernels[@]}" || true
if [ -z "${VARIANTS:-}" ]; then
	plants=(plant-uaf plant-leak plant-norevoke)
	ONLY=vfio_pci_p2p_test STORM=0 "$REPO/scripts/run-tests.sh" plant-uaf plant-leak || true
	ONLY=vfio_pci_kvm_test STORM=0 "$REPO/scripts/run-tests.sh" plant-norevoke || true
fi
say "sanitize: done in $((SECONDS - t0)) s"
"$REPO/scripts/sum-results.py" "$OUT/logs" "${kernels[@]}" "${plants[@]}"
