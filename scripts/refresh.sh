#!/bin/bash
# refresh.sh : write the commits of branch "patched" (base..patched) back to
# patches/6.1 as numbered format-patch files plus the series order file.
. "$(dirname "$0")/lib.sh"

# TREE=DIR REV=REV export another worktree (e.g. a second one for editing
# while the shared tree builds another variant).
tree=${TREE:-$(tree_dir patched)}
rev=${REV:-patched}
[ -e "$tree/.git" ] || die "no tree; run scripts/make-tree.sh patched"
n=$(git -C "$tree" rev-list --count "base..$rev")
say "exporting $n commits from $tree to $SERIES_DIR"
rm -f "$SERIES_DIR"/*.patch
git -C "$tree" format-patch -q --zero-commit --no-signature -N \
	-o "$SERIES_DIR" "base..$rev"
{
	echo "# Applied in this order with git am onto the base in scripts/bases.conf."
	(cd "$SERIES_DIR" && ls -1 [0-9]*.patch)
} > "$SERIES_DIR/series"
git -C "$REPO" status --short -- patches/
