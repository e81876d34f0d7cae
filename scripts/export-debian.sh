#!/bin/bash
# export-debian.sh : write patches/6.1 in the layout of Debian's kernel
# packaging, and check it with quilt.
#
# out/ship/debian/
#   debian/patches/bugfix/all/NAME.patch   the fixes, their tests and docs
#   debian/patches/features/all/NAME.patch patches that say they are not for
#                                          stable (speed-ups)
#   series.add                             the lines to append to
#                                          debian/patches/series, in order
# Every patch carries DEP-3 headers (scripts/dep3.py says which and how).
# FORWARDED=URL (once the series is posted) and BUG_DEBIAN=NUMBER (once a
# Debian bug is filed) fill those fields; without them Forwarded is "no"
# and there is no Bug-Debian.
#
# Checks: the DEP-3 fields; then on a clean worktree of the Debian tree
# (linux-source-6.1 6.1.192-2, which is upstream 6.1.192 with Debian's own
# series already applied), quilt push -a --fuzz=0 applies every patch
# without fuzz or offset and gives the tree git am of the series gives,
# and quilt pop -a gives the base back.
. "$(dirname "$0")/lib.sh"

BASE=6.1
ship=$OUT/ship
deb=$ship/debian
tree=$ship/debian-tree

"$REPO/scripts/get-source.sh" "$BASE"
src=$(src_git "$BASE")
tag=base-$(base_field "$BASE" 3 | tr '~:' '__')
mapfile -t patches < <(series_patches patched)
n=${#patches[@]}
[ "$n" -gt 0 ] || die "no patches in $SERIES_DIR/series"

# 1. The patches and the series lines.
say "debian: writing $n patches with DEP-3 headers to $deb"
rm -rf "$deb" && mkdir -p "$deb"
fail=0
python3 "$REPO/scripts/dep3.py" "$deb" "${patches[@]}" > "$deb/entries.tsv" || fail=1
{
	echo "# vfio-pci: revoke BAR mappings through a per-device inode, so that"
	echo "# mappings a forked child inherited are revoked too (broken since 6.1.191)."
	echo "# Keep these lines together and in this order."
	cut -f1 "$deb/entries.tsv"
} > "$deb/series.add"
cut -f1 "$deb/entries.tsv" > "$deb/quilt-series"
if [ $fail = 0 ] && [ "$(wc -l < "$deb/entries.tsv")" = "$n" ]; then
	echo "PASS  DEP-3 headers on all $n patches (Subject, From, Origin, Forwarded, Last-Update):"
	awk -F'\t' '{ printf "      %-74s Origin: %s\n", $1, $2 }' "$deb/entries.tsv"
else
	echo "FAIL  DEP-3 headers"
	fail=1
fi

# 2. quilt on the Debian tree.
clean_base() { base_worktree "$src" "$tree" "$tag"; }
# tree_hash: the tree of the worktree's files as they are, ignored files
# included (the series adds dot files), quilt's .pc left out
tree_hash() {
	local idx
	idx=$(mktemp)
	# start from the worktree's index (clean at the base): only the
	# files quilt changed are hashed again
	cp "$(git -C "$tree" rev-parse --path-format=absolute --git-path index)" "$idx"
	GIT_INDEX_FILE=$idx git -C "$tree" add -f -A -- . ':!.pc'
	GIT_INDEX_FILE=$idx git -C "$tree" write-tree
	rm -f "$idx"
}

say "debian: the tree git am of the series gives"
clean_base
for p in "${patches[@]}"; do
	git -C "$tree" am -q --committer-date-is-author-date "$p" ||
		die "$(basename "$p") does not apply with git am"
done
want=$(git -C "$tree" rev-parse "HEAD^{tree}")
base_tree=$(git -C "$tree" rev-parse "$tag^{tree}")

say "debian: quilt push -a --fuzz=0 on a clean $tag"
clean_base
q() { (cd "$tree" && QUILT_PATCHES="$deb/debian/patches" QUILT_SERIES="$deb/quilt-series" \
	quilt --quiltrc=- "$@"); }
if q push -a --fuzz=0 > "$ship/quilt-push.log" 2>&1; then
	pushed=$(grep -c '^Applying patch' "$ship/quilt-push.log" || true)
	got=$(tree_hash)
	if grep -qE '^Hunk #[0-9]+ succeeded at ' "$ship/quilt-push.log"; then
		echo "FAIL  quilt push -a: hunks applied with offset or fuzz:"
		grep -E '^Hunk #[0-9]+ succeeded at ' "$ship/quilt-push.log" | sed 's/^/      /'
		fail=1
	elif [ "$pushed" != "$n" ]; then
		echo "FAIL  quilt push -a applied $pushed patches, not $n"
		fail=1
	elif [ "$got" != "$want" ]; then
		echo "FAIL  quilt push -a gives tree $got, git am of the series gives $want"
		fail=1
	else
		echo "PASS  quilt push -a --fuzz=0: $n patches, no offset or fuzz; tree $got = base + series (git am)"
	fi
else
	echo "FAIL  quilt push -a --fuzz=0:"
	tail -n 20 "$ship/quilt-push.log" | sed 's/^/      /'
	fail=1
fi
if q pop -a > "$ship/quilt-pop.log" 2>&1 && [ "$(tree_hash)" = "$base_tree" ]; then
	echo "PASS  quilt pop -a: back to the base tree $base_tree"
else
	echo "FAIL  quilt pop -a did not restore the base:"
	tail -n 20 "$ship/quilt-pop.log" | sed 's/^/      /'
	fail=1
fi
clean_base
echo "      $deb: debian/patches/{bugfix,features}/all/*.patch; append series.add to debian/patches/series"
exit $fail
