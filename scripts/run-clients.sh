#!/bin/bash
# run-clients.sh [VARIANT...]
#   Only the real clients (clients/*.sh: QEMU device assignment, DPDK
#   testpmd) on already built kernels (default: those with the "clients"
#   flag in scripts/variants.conf, the patched kernel), one boot
#   each, without building anything and without the selftests. Judged
#   (scripts/judge.py) on the client.* results of its expectations and the host's
#   check of the ivshmem memory; the guest's dmesg must be clean on every
#   kernel (vanilla's expected dmesg FAIL comes from a selftest). The guests use their own
#   ivshmem files and logs (out/clients/VARIANT.*), so a test run, or
#   run-clients.sh of another variant, can go on beside.
#   The last line is "N passed, N failed, N skipped".
#   QEMU_ASSIGN_GUEST=linux makes clients/qemu-assign.sh boot the test
#   kernel as its nested guest instead of clients/mini.c (about half an
#   hour per kernel under TCG inside TCG; the guest's limit grows to match).
. "$(dirname "$0")/lib.sh"

# By default the kernels whose flags ask for the clients (variants.conf)
[ $# -gt 0 ] || set -- $(for v in $(all_variants); do ! variant_has "$v" clients || echo "$v"; done)
make -s -C "$REPO/clients" OUT="$OUT"
mkdir -p "$OUT/clients"
for v in "$@"; do
	log=$OUT/clients/$v.log shm=$OUT/clients/$v.ivshmem.img
	say "$v: filling the 1 GiB ivshmem image"
	"$REPO/scripts/ivshmem.py" fill "$shm" --size 1G
	job="export QEMU_ASSIGN_GUEST=${QEMU_ASSIGN_GUEST:-mini}"$'\n'
	limit=1800
	[ "${QEMU_ASSIGN_GUEST:-mini}" = mini ] || limit=7200
	for c in "$REPO"/clients/*.sh; do
		[ -x "$c" ] && job+="$c"$'\n'
	done
	t0=$SECONDS
	# the nested guests may be quiet longer than boot.sh's watch allows
	STALL_KILL=0 IVSHMEM=$shm "$REPO/scripts/boot.sh" --shm-size 1G --timeout $limit --log "$log" "$v" "$job" >/dev/null || true
	{
		echo "### host begin"
		"$REPO/scripts/ivshmem.py" check "$shm" --size 1G
		"$REPO/scripts/ivshmem.py" check-client "$shm" --size 1G
		echo "### host end"
	} >> "$log"
	rm -f "$shm"
	say "$v: clients boot took $((SECONDS - t0)) s; results (log: $log)"
	"$REPO/scripts/judge.py" "$v" "$log" --json "$OUT/clients/$v.json" \
		--only '(client\.|host\.ivshmem\.(client|pattern)|dmesg$)' --clean-dmesg |
		tee "$OUT/clients/$v.report" || true
done
"$REPO/scripts/sum-results.py" "$OUT/clients" "$@"
