#!/bin/bash
# check.sh : what a maintainer checks before taking the series.
#  1. every patch applies with git am, in order, to the pristine base;
#  2. scripts/checkpatch.pl --strict is clean on every patch;
#  3. every patch in turn builds with the test config (bisectable): vmlinux,
#     compiled and linked (the compressed bzImage would add only time);
#  4. sparse (make C=2) on drivers/vfio reports nothing the base did not;
#  5. the patch set of every other 6.1 variant (scripts/variants.conf: the
#     fix layer alone with the tests, ...) applies with git am on its own;
#     patches/6.12's stable layer and patches/7.3's mainline forms are
#     checkpatch --strict clean;
#  6. the generated results table (docs/results/verdicts.md) is what its
#     data gives (scripts/results-table.py check).
# The series on the newest linux-source-6.1 in Debian's archive is a report
# made by hand (make newest, scripts/check-newest.sh): it compiles a third
# tree, and CI's time is kept for the gates.
# Works on a detached HEAD in the 6.1 worktree, with its own build directory.
. "$(dirname "$0")/lib.sh"

fail=0
tree=$(tree_dir patched)
b=$OUT/build/check
"$REPO/scripts/make-tree.sh" patched    # the worktree, clean
git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q -f --detach base
git -C "$tree" clean -q -fdx

mapfile -t patches < <(series_patches patched)

# checkpatch_findings PATCH: checkpatch --strict's findings on PATCH (the
# tree's checkpatch, which cannot look up commit ids here; the spdx check
# wants Debian's python3, with ply)
checkpatch_findings() {
	(cd "$tree" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --quiet \
		--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES "$1" 2>&1 |
		grep -E '^(ERROR|WARNING|CHECK):' || true)
}

# known_filter PATCH: drop checkpatch findings accepted for PATCH
known_filter() {
	local glob msg line keep
	while IFS= read -r line; do
		keep=1
		while read -r glob msg; do
			msg=${msg%%  #*}
			# shellcheck disable=SC2053
			[[ "$1" == $glob ]] && [[ "$line" == "$msg"* ]] && keep=0
		done < <(grep -v '^#' "$REPO/scripts/checkpatch-known.txt")
		[ $keep = 0 ] || echo "$line"
	done
}
say "check: ${#patches[@]} patches in patches/6.1/series"

# sparse over drivers/vfio, normalised so line numbers do not matter
sparse_vfio() {
	local log=$b/sparse.log
	if ! kmake "$tree" "$b" C=2 drivers/vfio/ >"$log" 2>&1; then
		echo "FAIL  sparse did not run:" >&2
		tail -n 20 "$log" >&2
		return 1
	fi
	grep -E ': (warning|error):' "$log" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u || true
}

# selftests_build: the vfio selftests of the tree as it is, into $b
selftests_build() {
	kmake "$tree" "$b" headers_install INSTALL_HDR_PATH="$b/usr" &&
	rm -rf "$b/kselftest" && mkdir -p "$b/kselftest" &&
	make -s -C "$tree/tools/testing/selftests/vfio" OUTPUT="$b/kselftest" \
		KHDR_INCLUDES="-isystem $b/usr/include"
}

say "check: configuring the base"
ALLOW_MISSING=1 kconfig "$tree" "$b" $(fragments patched)
timed kmake "$tree" "$b" vmlinux
sparse_vfio > "$b/sparse.base" || fail=1

n=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	name=$(basename "$p")
	if ! git -C "$tree" am -q "$p"; then
		echo "FAIL  $name: does not apply with git am"
		git -C "$tree" am --abort || true
		fail=1
		break
	fi
	# Two checks are off, and replaced: the base is a tarball without
	# upstream history, so Fixes: ids cannot be looked up (they are
	# checked by hand against upstream); and instead of asking whether
	# MAINTAINERS needs updating, get_maintainer.pl must find a
	# maintainer for every file the patch adds.
	# Findings listed in scripts/checkpatch-known.txt, with their reason,
	# are accepted; the spdx check wants Debian's python3 (with ply).
	raw=$(checkpatch_findings "$p")
	out=$(echo "$raw" | grep . | known_filter "$name" || true)
	accepted=$(( $(echo "$raw" | grep -c . || true) - $(echo "$out" | grep -c . || true) ))
	for f in $(sed -n 's|^+++ b/||p' "$p"); do
		grep -q "^--- /dev/null" <(grep -B1 -F "+++ b/$f" "$p") || continue
		(cd "$tree" && ./scripts/get_maintainer.pl --no-git -f "$f" 2>/dev/null |
			grep -q '(maintainer:') || out+=$'\n'"no maintainer for new file $f"
	done
	if [ -n "$out" ]; then
		echo "FAIL  $name: checkpatch --strict"
		echo "$out" | sed 's/^/      /'
		fail=1
	else
		echo "PASS  $name: applies, checkpatch --strict clean$([ $accepted = 0 ] ||
			echo " but for $accepted accepted findings (scripts/checkpatch-known.txt)")"
	fi
	# A patch to the vfio selftests must leave them building (against
	# the uapi headers of the tree as it is).
	if grep -q '^+++ b/tools/testing/selftests/vfio/' "$p"; then
		if selftests_build >"$b/selftests.log" 2>&1; then
			echo "PASS  $name: the vfio selftests build ($n/${#patches[@]})"
		else
			echo "FAIL  $name: the vfio selftests do not build ($n/${#patches[@]})"
			tail -n 20 "$b/selftests.log" | sed 's/^/      /'
			fail=1
		fi
	fi
	# A patch that changes nothing an x86-64 kernel compiles (selftests,
	# documentation, another architecture) cannot break the build.
	if ! sed -n 's#^diff --git a/\([^ ]*\) .*#\1#p' "$p" |
		grep -qvE '^(tools/|Documentation/|MAINTAINERS$|arch/[^x])'; then
		echo "PASS  $name: builds ($n/${#patches[@]}; changes nothing x86-64 compiles: make cross compiles other architectures)"
		continue
	fi
	# The configuration can change only with a Kconfig file (the KUnit
	# patch adds options); else it stays the one already in $b.
	if grep -q '^+++ b/.*Kconfig' "$p"; then
		ALLOW_MISSING=1 kconfig "$tree" "$b" $(fragments patched)
	fi
	if timed kmake "$tree" "$b" vmlinux >"$b/build.log" 2>&1; then
		echo "PASS  $name: builds ($n/${#patches[@]})"
	else
		echo "FAIL  $name: does not build ($n/${#patches[@]})"
		tail -n 30 "$b/build.log" | sed 's/^/      /'
		fail=1
	fi
done

sparse_vfio > "$b/sparse.series" || fail=1
new=$(comm -13 "$b/sparse.base" "$b/sparse.series")
if [ -n "$new" ]; then
	echo "FAIL  sparse: new reports on drivers/vfio"
	echo "$new" | sed 's/^/      /'
	fail=1
else
	echo "PASS  sparse: nothing new on drivers/vfio ($(wc -l < "$b/sparse.base") reports on the base)"
fi
# 5. Each layer set applies on its own (make test builds and runs them).
for v in $(awk '!/^#/ && NF && $2 == "6.1" && $3 != "all" && $3 != "selftests" { print $1 }' \
		"$REPO/scripts/variants.conf"); do
	git -C "$tree" checkout -q -f --detach base
	ok=1
	for p in $(series_patches "$v"); do
		git -C "$tree" am -q "$p" >/dev/null 2>&1 || { ok=0; git -C "$tree" am --abort; break; }
	done
	if [ $ok = 1 ]; then
		echo "PASS  variant $v ($(variant_field "$v" 3)): its $(series_patches "$v" | wc -l) patches apply with git am"
	else
		echo "FAIL  variant $v ($(variant_field "$v" 3)): $(basename "$p") does not apply"
		fail=1
	fi
done

# 5b. The other series, the 6.12.y stable layer (patches/6.12) and the
# mainline forms (patches/7.3): checkpatch --strict clean (the tree's
# checkpatch; that they apply and build is make mbox's and their
# variants', v6.12-y and v7.3-ours).
for p in $(for d in 6.12 7.3; do
		SERIES_DIR=$REPO/patches/$d
		l=$(layer_names)
		series_layers "${l// /,}"
	done); do
	name=${p#"$REPO"/patches/}
	out=$(checkpatch_findings "$p" | grep . | known_filter "$(basename "$p")" || true)
	if [ -n "$out" ]; then
		echo "FAIL  $name: checkpatch --strict"
		echo "$out" | sed 's/^/      /'
		fail=1
	else
		echo "PASS  $name: checkpatch --strict clean"
	fi
done

# 6. The generated results table is not stale.
"$REPO/scripts/results-table.py" check || fail=1

[ $fail = 0 ] && say "check: all good" || say "check: FAILED"
exit $fail
