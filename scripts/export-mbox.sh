#!/bin/bash
# export-mbox.sh : write patches/6.1 as one mbox for a mailing list and for
# git am / b4, and check it.
#
# out/ship/vfio-pci-6.1.y-vN.mbox holds the cover letter (patch 0/N, from
# patches/6.1/cover-letter) and the patches in patches/6.1/series order,
# "[PATCH 6.1.y n/N]" subjects (REROLL=2 gives "[PATCH 6.1.y v2 n/N]"),
# every patch In-Reply-To and References the cover letter, and the
# b4/format-patch "base-commit:" line naming the Debian base.
#
# The base is Debian's linux-source-6.1 6.1.192-2 tarball committed as one
# commit with a fixed author, committer, date and message, so anybody who
# unpacks the same tarball the same way gets the same commit id. The script
# makes that commit itself from the base tree of scripts/get-source.sh.
#
# Checks: b4 am reads the whole series out of the mbox and knows the base;
# git am of the mbox onto a clean detached worktree of the base gives the
# same tree as applying the patch files one by one.
. "$(dirname "$0")/lib.sh"

BASE=6.1
REROLL=${REROLL:-1}
ship=$OUT/ship
tree=$ship/mbox-tree
mbox=$ship/vfio-pci-6.1.y-v$REROLL.mbox
cover=$SERIES_DIR/cover-letter

"$REPO/scripts/get-source.sh" "$BASE"
src=$(src_git "$BASE")
pkg=$(base_field "$BASE" 2)
ver=$(base_field "$BASE" 3)
sum=$(base_field "$BASE" 4)
tag=base-$(echo "$ver" | tr '~:' '__')

# The reproducible base commit: the base tree with fixed metadata.
base_tree=$(git -C "$src" rev-parse "$tag^{tree}")
base=$(GIT_AUTHOR_NAME="vfio harness" GIT_AUTHOR_EMAIL=harness@localhost \
	GIT_COMMITTER_NAME="vfio harness" GIT_COMMITTER_EMAIL=harness@localhost \
	GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
	git -C "$src" commit-tree "$base_tree" -m "Debian $pkg $ver")
if [ "$base" = "$(git -C "$src" rev-parse "$tag^{commit}")" ]; then
	say "mbox: base $base ($tag) is the reproducible commit"
else
	say "mbox: base $base: tree $base_tree of $tag, committed with fixed metadata" \
		"($tag itself is $(git -C "$src" rev-parse --short "$tag^{commit}"), whose committer date is the time it was made)"
fi

mapfile -t patches < <(series_patches patched)
n=${#patches[@]}
[ "$n" -gt 0 ] || die "no patches in $SERIES_DIR/series"
[ -f "$cover" ] || die "$cover missing"

mkdir -p "$ship"
# clean_base: the worktree at the base, nothing else in it
clean_base() { base_worktree "$src" "$tree" "$base"; }

# 1. The patch files one by one: these commits are what is exported.
author=$(sed -n 's/^From: //p' "${patches[0]}" | head -n 1)
export GIT_COMMITTER_NAME=${author% <*} GIT_COMMITTER_EMAIL=${author##*<}
GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL%>}
say "mbox: applying the $n patch files of patches/6.1/series one by one"
clean_base
for p in "${patches[@]}"; do
	git -C "$tree" am -q --committer-date-is-author-date "$p" ||
		die "$(basename "$p") does not apply to the base"
done
want_tree=$(git -C "$tree" rev-parse "HEAD^{tree}")
head=$(git -C "$tree" rev-parse HEAD)

# 2. The cover letter: subject and body from patches/6.1/cover-letter, its
# own "Changes in vN:" section if it has one. Version 1 without one gets
# "First posting"; a reroll must bring its own.
subject=$(sed -n '1s/^Subject: *\(\[[^]]*\] *\)\{0,1\}//p' "$cover")
[ -n "$subject" ] || die "$cover: the first line must be 'Subject: ...'"
body=$(sed '1,/^$/d' "$cover")
if ! grep -qE "^Changes (in|since) v$REROLL\b" <<<"$body"; then
	[ "$REROLL" = 1 ] || die "REROLL=$REROLL: write a 'Changes in v$REROLL:' section in $cover first"
	body+=$'\n\n---\nChanges in v1:\n- First posting.'
fi
body+="

Base: Debian's $pkg $ver (bookworm), the tarball
/usr/src/$pkg.tar.xz with sha256
$sum.
base-commit below is that tarball as one commit: tree $base_tree,
author and committer \"vfio harness <harness@localhost>\", both dates
2026-01-01T00:00:00Z, message \"Debian $pkg $ver\"."

# 3. The mbox.
say "mbox: writing $mbox"
ver_opt=()
[ "$REROLL" = 1 ] || ver_opt=(-v "$REROLL")
irt_opt=()
[ -z "${IN_REPLY_TO:-}" ] || irt_opt=(--in-reply-to="$IN_REPLY_TO")
git -C "$tree" format-patch --stdout --cover-letter --thread=shallow \
	--subject-prefix="PATCH 6.1.y" "${ver_opt[@]}" "${irt_opt[@]}" \
	--base="$base" --from="$author" --no-signature \
	"$base..$head" > "$mbox.tmp"
python3 - "$mbox.tmp" "$subject" <(printf '%s\n' "$body") <<'EOF'
import sys
path, subject, body = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
text = open(path).read()
for placeholder, value in (("*** SUBJECT HERE ***", subject), ("*** BLURB HERE ***", body)):
    if text.count(placeholder) != 1:
        sys.exit("format-patch cover letter: %r not found once" % placeholder)
    text = text.replace(placeholder, value)
open(path, "w").write(text)
EOF
mv "$mbox.tmp" "$mbox"

# 4. Checks.
fail=0
msgs=$(grep -c '^From [0-9a-f]\{40\} ' "$mbox")
subjects=$(grep -E '^Subject: \[PATCH' "$mbox" | sed -E 's/^Subject: (\[[^]]*\]).*/\1/' | tr '\n' ' ' | sed 's/ $//')
cover_id=$(awk '/^Message-Id:/ { print $2; exit }' "$mbox")
threaded=$(grep -c "^In-Reply-To: $cover_id" "$mbox" || true)
referenced=$(grep -c "^References: $cover_id" "$mbox" || true)
if [ "$msgs" = $((n + 1)) ] && [ "$threaded" = "$n" ] && [ "$referenced" = "$n" ] &&
   [ "$(echo "$subjects" | wc -w)" = $((3 * (n + 1))) ]; then
	echo "PASS  mbox: $msgs messages, $(echo "$subjects" | cut -d' ' -f1-3) ... $(echo "$subjects" |
		awk '{ print $(NF-2), $(NF-1), $NF }'); every patch In-Reply-To and References the cover letter"
else
	echo "FAIL  mbox: $msgs messages (want $((n + 1))), subjects $subjects," \
		"$threaded In-Reply-To and $referenced References the cover letter (want $n)"
	fail=1
fi

# am_check WHAT FILE [SKIP_COVER]: git am FILE onto the clean base; the
# tree must be the one the patch files give. git am cannot take a cover
# letter (it has no diff): with SKIP_COVER it must stop at exactly the
# cover letter, and go on after git am --skip, as a user does.
am_check() {
	local what=$1 file=$2 skip=${3:-} got
	clean_base
	if ! git -C "$tree" am -q "$file" >"$ship/am.log" 2>&1; then
		if [ -n "$skip" ] && git -C "$tree" am --show-current-patch=raw 2>/dev/null |
			grep -qE "^Subject: \[PATCH 6\.1\.y( v$REROLL)? 0/$n\]"; then
			git -C "$tree" am -q --skip >>"$ship/am.log" 2>&1 || true
		fi
	fi
	if [ -d "$(git -C "$tree" rev-parse --git-path rebase-apply)" ]; then
		echo "FAIL  $what: git am stopped:"
		sed 's/^/      /' "$ship/am.log"
		git -C "$tree" am --abort || true
		return 1
	fi
	got=$(git -C "$tree" rev-parse "HEAD^{tree}")
	if [ "$got" = "$want_tree" ] && [ "$(git -C "$tree" rev-list --count "$base..HEAD")" = "$n" ]; then
		echo "PASS  $what: $n commits, tree $got, the same as the $n patch files applied one by one"
	else
		echo "FAIL  $what: tree $got, the patch files give $want_tree"
		return 1
	fi
}

am_check "git am of the mbox onto the base (stops at the cover letter, then git am --skip)" "$mbox" skip || fail=1

if command -v b4 >/dev/null; then
	# b4 0.12 reads a folded Subject: wrongly from an mbox file, but not
	# from standard input.
	rm -rf "$ship/b4" && mkdir -p "$ship/b4"
	if (cd "$tree" && b4 -n --offline-mode am -m - -o "$ship/b4" "${cover_id//[<>]/}" <"$mbox") >"$ship/b4.log" 2>&1 &&
	   grep -q "Total patches: $n\$" "$ship/b4.log" &&
	   grep -q "Base: using specified base-commit $base" "$ship/b4.log"; then
		echo "PASS  b4 am: finds the $n patches and the cover letter, and takes base-commit $base"
		am_check "git am of b4 am's output" "$(ls "$ship"/b4/*.mbx)" || fail=1
	else
		echo "FAIL  b4 am did not take the series as expected:"
		sed 's/^/      /' "$ship/b4.log"
		fail=1
	fi
else
	echo "SKIP  b4 am: b4 not installed (scripts/install-deps.sh installs it)"
fi
echo "      $mbox; base-commit: $base (Debian $pkg $ver)"
exit $fail
