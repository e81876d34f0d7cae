#!/bin/bash
# refresh.sh : write the commits of branch "patched" (base..patched) back to
# patches/6.1 as numbered format-patch files, and the series file with its
# layers (scripts/lib.sh) kept: a patch stays in the layer of the patch with
# the same subject; a new patch goes into NEW_LAYER if given, else into the
# layer of the patch before it (the script says which). The layers must
# follow each other in the order of SERIES_LAYERS (scripts/lib.sh).
. "$(dirname "$0")/lib.sh"

# TREE=DIR REV=REV export another worktree (e.g. a second one for editing
# while the shared tree builds another variant).
tree=${TREE:-$(tree_dir patched)}
rev=${REV:-patched}
[ -e "$tree/.git" ] || die "no tree; run scripts/make-tree.sh patched"

declare -A layer_of
while read -r layer p; do
	layer_of[${p#[0-9][0-9][0-9][0-9]-}]=$layer
done < <(series_entries)

n=$(git -C "$tree" rev-list --count "base..$rev")
say "exporting $n commits from $tree to $SERIES_DIR"
rm -f "$SERIES_DIR"/[0-9]*.patch
git -C "$tree" format-patch -q --zero-commit --no-signature -N \
	-o "$SERIES_DIR" "base..$rev"

prev="" out=$(mktemp)
{
	echo "# Applied in this order with git am onto the base in scripts/bases.conf."
	echo "# A line [LAYER] starts a layer; patches/6.1/layers.conf says what each is."
	for f in $(cd "$SERIES_DIR" && ls -1 [0-9]*.patch); do
		layer=${layer_of[${f#[0-9][0-9][0-9][0-9]-}]:-}
		if [ -z "$layer" ]; then
			layer=${NEW_LAYER:-$prev}
			[ -n "$layer" ] || die "$f is new and first: give NEW_LAYER"
			say "$f is new: layer $layer"
		fi
		[ "$layer" = "$prev" ] || echo "[$layer]"
		prev=$layer
		echo "$f"
	done
} > "$out"
mv "$out" "$SERIES_DIR/series"
# The layers must come in order, each once.
order=$(sed -n 's/^\[\(.*\)\]$/\1/p' "$SERIES_DIR/series" | tr '\n' ' ')
for l in $order; do
	[[ " $SERIES_LAYERS " == *" $l "* ]] || die "series: unknown layer $l"
done
expect=$(for l in $SERIES_LAYERS; do [[ " $order " == *" $l "* ]] && printf '%s ' "$l"; done)
[ "$order" = "$expect" ] || die "series: layers out of order: $order (want: $SERIES_LAYERS)"
git -C "$REPO" status --short -- patches/
