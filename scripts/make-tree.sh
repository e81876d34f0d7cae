#!/bin/bash
# make-tree.sh VARIANT... : check out the variant in its base's worktree
# (out/tree/BASE), as branch VARIANT = the pristine base plus its patches,
# applied with git am (6.1's series on 6.1, patches/BASE on BASE; the
# selftest patches on another base with git apply). To edit the series: make-tree.sh patched, commit in
# out/tree/6.1 on branch "patched", then refresh.sh writes patches/6.1.
# A dirty tree is never touched, and commits on "patched" that are not in
# patches/6.1 are kept on a backup branch before it is recreated.
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
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes; commit or stash them first"
	git -C "$tree" checkout -q --detach base
	git -C "$tree" reset -q --hard base
	git -C "$tree" clean -q -fdx
	for p in $(series_patches "$v"); do
		# A base with selftests of its own builds ours out of tree
		# (build.sh, scripts/bases.conf column "tests"); its own
		# series' selftests (patches/BASE) go into its tree.
		case "$p" in
		"$REPO/patches/$base/"*) ;;
		*-selftests-*) [ "$(tests_base "$base")" = in-tree ] || continue ;;
		esac
		say "$v: applying $(basename "$p")"
		if [ "$base" = 6.1 ] || [[ "$p" == "$REPO/patches/$base/"* ]]; then
			git -C "$tree" am -q --committer-date-is-author-date "$p" ||
				die "$(basename "$p") does not apply to $base"
		else
			# The series is written for 6.1; on another base only the
			# new test files are taken, not the selftests Makefile TARGETS hunk,
			# whose context differs there.
			git -C "$tree" apply --exclude=tools/testing/selftests/Makefile "$p" ||
				die "$(basename "$p") does not apply to $base"
			git -C "$tree" add -A
			git -C "$tree" commit -q -m "$(basename "$p" .patch)"
		fi
	done
	if [ "$v" = patched ] && git -C "$tree" rev-parse -q --verify "refs/heads/$v" >/dev/null &&
	   [ "$(git -C "$tree" rev-parse "$v^{tree}")" != "$(git -C "$tree" rev-parse "HEAD^{tree}")" ]; then
		local keep
		keep=$v-backup-$(date +%Y%m%d-%H%M%S)
		git -C "$tree" branch -q "$keep" "$v"
		say "$v: branch $v differed from patches/; kept it as $keep"
	fi
	git -C "$tree" branch -q -f "$v" HEAD
	git -C "$tree" checkout -q "$v"
	say "$v: tree ready at $tree ($(git -C "$tree" log --oneline base..HEAD | wc -l) patches)"
}

[ $# -gt 0 ] || set -- $(all_variants)
for v in "$@"; do make_one "$v"; done
