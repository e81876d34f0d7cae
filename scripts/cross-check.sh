#!/bin/bash
# cross-check.sh [PROFILE...] : make cross. scripts/prod-check.sh for every
# profile but amd64 (or those named), one after the other: the fix and the
# whole series cross-compiled with W=1 for arm64 (4 KiB and 64 KiB pages),
# i386 without PAE, riscv64 and powerpc e500 (e500v2, e500mc 32- and
# 64-bit), each under Debian's own config for the architecture where
# Debian has one. Ends with one line per profile and "N passed, N failed";
# non-zero exit on any FAIL. Each profile's result lines are also in
# out/prod/PROFILE/result.txt.
#
# Needs the cross compilers: gcc-12-aarch64-linux-gnu, gcc-12-i686-linux-gnu,
# gcc-12-riscv64-linux-gnu, gcc-12-powerpc-linux-gnu (and their binutils).
. "$(dirname "$0")/lib.sh"

if [ $# -gt 0 ]; then
	profiles=("$@")
else
	read -ra profiles <<<"$("$REPO/scripts/prod-check.sh" --list)"
	profiles=("${profiles[@]/amd64/}")
fi

summary=() passed=0 failed=0
for p in "${profiles[@]}"; do
	[ -n "$p" ] || continue
	say "cross: ===== $p ====="
	mkdir -p "$OUT/prod/$p"
	t0=$SECONDS rc=0
	"$REPO/scripts/prod-check.sh" "$p" | tee "$OUT/prod/$p/result.txt" || rc=$?
	t=$((SECONDS - t0))
	desc=$(cat "$OUT/prod/$p/profile.txt" 2>/dev/null || echo "?")
	steps=$(grep -oE '^PASS .* with the (fix|series)' "$OUT/prod/$p/result.txt" |
		sed 's/.* the //' | paste -sd, - | sed 's/,/, /g' || true)
	if [ $rc = 0 ]; then
		summary+=("$(printf 'PASS  %-10s %6s  %s; no new warnings: %s' \
			"$p" "$((t / 60))m$((t % 60))s" "$desc" "$steps")")
		passed=$((passed + 1))
	else
		summary+=("$(printf 'FAIL  %-10s %6s  %s; see out/prod/%s/result.txt' \
			"$p" "$((t / 60))m$((t % 60))s" "$desc" "$p")")
		failed=$((failed + 1))
	fi
done
echo
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
