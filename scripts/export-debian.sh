#!/bin/bash
# export-debian.sh : write patches/6.1 in the layout of Debian's kernel
# packaging, and check it with quilt.
#
# out/ship/debian/
#   debian/patches/bugfix/all/NAME.patch   the layers limits, fix, ours and tests
#   debian/patches/features/all/NAME.patch the layer fast (speed-ups, not
#                                          for stable)
#   series.add                             the lines to append to
#                                          debian/patches/series, in
#                                          order, a comment per layer
# Every patch carries DEP-3 headers (scripts/dep3.py says which and how),
# From: and signed off by the submitter (scripts/identity.sh; DRY_RUN=1
# writes out/ship/debian.dry-run/ instead). FORWARDED=URL (once the series
# is posted) and BUG_DEBIAN=NUMBER (once a Debian bug is filed) fill those
# fields; without them Forwarded is "no" and there is no Bug-Debian.
#
# Checks: the DEP-3 fields; the identity; then on a clean worktree of the
# Debian tree (linux-source-6.1 6.1.192-2, which is upstream 6.1.192 with
# Debian's own series already applied), quilt push -a --fuzz=0 applies
# every patch without fuzz or offset and gives the tree git am of the
# series gives, and quilt pop -a gives the base back.
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/identity.sh"

BASE=6.1
ship=$OUT/ship
tree=$ship/debian-tree

identity_init
deb=$ship/debian$DRY
"$REPO/scripts/get-source.sh" "$BASE"
src=$(src_git "$BASE")
tag=base-$(base_field "$BASE" 3 | tr '~:' '__')
mapfile -t entries < <(series_entries)
n=${#entries[@]}
[ "$n" -gt 0 ] || die "no patches in $SERIES_DIR/series"
patches=("${entries[@]/#* /$SERIES_DIR/}")

clean_base() { base_worktree "$src" "$tree" "$tag"; }
# series.add's comment above each layer's lines (patches/6.1/layers.conf)
declare -A about
for l in $SERIES_LAYERS; do about[$l]=$(layer_field "$l" 8); done

# 1. The series as git am makes it, signed off by the submitter: its
# tree is what quilt must give, its format-patch what dep3.py converts.
say "debian: git am of the series, as $IDENTITY"
clean_base
for p in "${patches[@]}"; do
	git -C "$tree" am -q --committer-date-is-author-date "$p" ||
		die "$(basename "$p") does not apply with git am"
done
want=$(git -C "$tree" rev-parse "HEAD^{tree}")
base_tree=$(git -C "$tree" rev-parse "$tag^{tree}")
identity_rewrite "$tree" "$tag"
signed_dir=$ship/debian-signed$DRY    # format-patch of those commits
rm -rf "$deb" "$signed_dir" && mkdir -p "$deb"
git -C "$tree" format-patch -q --no-signature -o "$signed_dir" "$tag..HEAD"
mapfile -t signed < <(ls "$signed_dir"/*.patch)
[ ${#signed[@]} = "$n" ] || die "format-patch wrote ${#signed[@]} patches, not $n"

# 2. The patches and the series lines.
say "debian: writing $n patches with DEP-3 headers to $deb"
fail=0 dep3=ok
args=()
for i in "${!entries[@]}"; do args+=("${entries[i]%% *}:${signed[i]}"); done
python3 "$REPO/scripts/dep3.py" "$deb" "${args[@]}" > "$deb/entries.tsv" 2> "$ship/dep3.log" || dep3=bad
{
	echo "# vfio-pci: revoke BAR mappings through a per-device inode, so that"
	echo "# mappings a forked child inherited are revoked too (broken since 6.1.191)."
	echo "# Keep these lines together and in this order."
	last=""
	while IFS=$'\t' read -r entry layer _; do
		[ "$layer" = "$last" ] || echo "# ${about[$layer]}"
		last=$layer
		echo "$entry"
	done < "$deb/entries.tsv"
} > "$deb/series.add"
cut -f1 "$deb/entries.tsv" > "$deb/quilt-series"
if [ $dep3 = ok ] && [ "$(wc -l < "$deb/entries.tsv")" = "$n" ]; then
	verdict PASS "DEP-3 headers on all $n patches (Subject, From, Origin, Forwarded, Last-Update):"
	awk -F'\t' '{ printf "      %-74s %-5s Origin: %s\n", $1, $2, $3 }' "$deb/entries.tsv"
else
	verdict FAIL "DEP-3 headers:"
	sed 's/^/      /' "$ship/dep3.log"
fi
mapfile -t written < <(find "$deb" -type f | sort)
identity_check "$(basename "$deb")/ ($(( ${#written[@]} - n )) lists and the patches)" "${written[@]}"

# 3. quilt on the Debian tree.
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

say "debian: quilt push -a --fuzz=0 on a clean $tag"
clean_base
q() { (cd "$tree" && QUILT_PATCHES="$deb/debian/patches" QUILT_SERIES="$deb/quilt-series" \
	quilt --quiltrc=- "$@"); }
if q push -a --fuzz=0 > "$ship/quilt-push.log" 2>&1; then
	pushed=$(grep -c '^Applying patch' "$ship/quilt-push.log" || true)
	got=$(tree_hash)
	if grep -qE '^Hunk #[0-9]+ succeeded at ' "$ship/quilt-push.log"; then
		verdict FAIL "quilt push -a: hunks applied with offset or fuzz:"
		grep -E '^Hunk #[0-9]+ succeeded at ' "$ship/quilt-push.log" | sed 's/^/      /'
	elif [ "$pushed" != "$n" ]; then
		verdict FAIL "quilt push -a applied $pushed patches, not $n"
	elif [ "$got" != "$want" ]; then
		verdict FAIL "quilt push -a gives tree $got, git am of the series gives $want"
	else
		verdict PASS "quilt push -a --fuzz=0: $n patches, no offset or fuzz; tree $got = base + series (git am)"
	fi
else
	verdict FAIL "quilt push -a --fuzz=0:"
	tail -n 20 "$ship/quilt-push.log" | sed 's/^/      /'
fi
if q pop -a > "$ship/quilt-pop.log" 2>&1 && [ "$(tree_hash)" = "$base_tree" ]; then
	verdict PASS "quilt pop -a: back to the base tree $base_tree"
else
	verdict FAIL "quilt pop -a did not restore the base:"
	tail -n 20 "$ship/quilt-pop.log" | sed 's/^/      /'
fi
clean_base
echo "      $deb: debian/patches/{bugfix,features}/all/*.patch; append series.add to debian/patches/series"
[ -z "$DRY" ] || echo "      DRY RUN as $IDENTITY: not for the packaging"
exit $fail
