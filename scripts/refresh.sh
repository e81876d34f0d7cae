#!/bin/bash
# refresh.sh : write the patched tree's commits (base..HEAD) back to
# patches/6.1 as numbered format-patch files plus the series order file.
. "$(dirname "$0")/lib.sh"

tree=$(tree_dir patched)
[ -e "$tree/.git" ] || die "no patched tree; run scripts/make-tree.sh patched"
n=$(git -C "$tree" rev-list --count base..HEAD)
say "exporting $n commits from $tree to $SERIES_DIR"
rm -f "$SERIES_DIR"/*.patch
git -C "$tree" format-patch -q --zero-commit --no-signature -N \
	-o "$SERIES_DIR" base..HEAD
{
	echo "# Applied in this order with git am onto the base in scripts/bases.conf."
	(cd "$SERIES_DIR" && ls -1 [0-9]*.patch)
} > "$SERIES_DIR/series"
git -C "$REPO" status --short -- patches/
