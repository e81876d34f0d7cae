#!/bin/bash
# make-tree.sh VARIANT... : (re)create a variant's worktree from its pristine
# base and apply its patches with git am. Edit the patched tree, commit, and
# run refresh.sh to write the commits back to patches/6.1.
. "$(dirname "$0")/lib.sh"

make_one() {
	local v=$1 base src tree p
	base=$(variant_field "$v" 2)
	src=$(src_git "$base")
	tree=$(tree_dir "$v")
	"$REPO/scripts/get-source.sh" "$base"
	if [ ! -e "$tree/.git" ]; then
		say "$v: checking out $base into $tree"
		git -C "$src" worktree prune
		git -C "$src" worktree add -q -f --detach "$tree" base
	fi
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" checkout -q --detach base
	git -C "$tree" reset -q --hard base
	git -C "$tree" clean -q -fdx
	for p in $(series_patches "$v"); do
		say "$v: applying $(basename "$p")"
		if [ "$base" = 6.1 ]; then
			git -C "$tree" am -q --committer-date-is-author-date "$p" ||
				die "$(basename "$p") does not apply to $base"
		else
			# The series is written for 6.1; on 6.12 only the new test
			# files are taken, not the selftests Makefile TARGETS hunk,
			# whose context differs there.
			git -C "$tree" apply --exclude=tools/testing/selftests/Makefile "$p" ||
				die "$(basename "$p") does not apply to $base"
			git -C "$tree" add -A
			git -C "$tree" commit -q -m "$(basename "$p" .patch)"
		fi
	done
	git -C "$tree" branch -q -f "$v" HEAD
	git -C "$tree" checkout -q "$v"
	say "$v: tree ready at $tree ($(git -C "$tree" log --oneline base..HEAD | wc -l) patches)"
}

[ $# -gt 0 ] || set -- $(all_variants)
for v in "$@"; do make_one "$v"; done
