#!/bin/bash
# export-mbox.sh : write each layer of patches/6.1 as an mbox for its
# mailing list and for git am / b4, and check it; patches/6.1/layers.conf
# says each layer's mbox, subject prefix, the layers it applies on and
# whether it goes to stable@. SERIES=6.12 does the same for patches/6.12
# on its base (the 6.12.y stable layer); a layer with no mbox there is
# not exported.
#
# Each mbox is the layer's cover letter (patch 0/N, from
# patches/6.1/cover-letter.LAYER) and the layer's patches in series order,
# every patch In-Reply-To and References the cover letter (IN_REPLY_TO=
# <msgid> threads the cover letters too, IN_REPLY_TO_fix=<msgid> one
# layer's), To: stable@ (the backport layers) or the VFIO maintainers, Cc: whoever the
# kernel's get_maintainer.pl names for the layer's patches, From: and
# signed off by the submitter (scripts/identity.sh), ending in the format-patch
# "base-commit:" line naming the Debian base and, for a layer on top of
# others, "prerequisite-patch-id:" lines naming their patches.
# REROLL=2 gives "[PATCH v2 n/N]" and needs a "Changes in v2:" section
# in every cover letter exported; LAYERS=fix,ours writes only those.
#
# The base is Debian's linux-source-6.1 6.1.192-2 tarball committed as one
# commit with a fixed author, committer, date and message, so anybody who
# unpacks the same tarball the same way gets the same commit id. The script
# makes that commit itself from the base tree of scripts/get-source.sh.
#
# Checks, per mbox: messages, subjects and threading; its patches are
# exactly the layer's patch files and its prerequisite-patch-ids exactly
# the earlier layers' (git patch-id); git am of the earlier layers' patch
# files and then of the mbox gives the tree the patch files give; b4 am
# takes it; the identity; for the stable mbox, nothing "not for stable",
# no new EXPORT_SYMBOL, every patch names its upstream commit; for the
# fast path, every patch says it is not for stable.

# LAYERS from the environment picks the mboxes (all of lib.sh's
# SERIES_LAYERS by default).
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/identity.sh"
only=${LAYERS:-$(for l in $SERIES_LAYERS; do [ -z "$(layer_field "$l" 3)" ] || printf '%s,' "$l"; done)}
only=${only%,}

BASE=$SERIES
REROLL=${REROLL:-1}
vtag=""                                  # " vN" in subjects, after the prefix
[ "$REROLL" = 1 ] || vtag=" v$REROLL"
ship=$OUT/ship
tree=$ship/mbox-tree
[ "$BASE" = 6.1 ] || tree+=-$BASE        # a worktree of that base's repository

# Each layer's mbox name, subject prefix, the layers it applies on, and
# whether it is for stable (patches/6.1/layers.conf)
declare -A name prefix needs stable
for l in $SERIES_LAYERS; do
	name[$l]=$(layer_field "$l" 3) prefix[$l]=$(layer_field "$l" 4)
	needs[$l]=$(layer_field "$l" 5) stable[$l]=$(layer_field "$l" 2)
done
# The layers that go to stable@: upstream-equivalent backports only
stable_layer() { [ "${stable[$1]}" = backport ]; }

identity_init
for l in ${only//,/ }; do
	[ -n "${name[$l]:-}" ] || die "LAYERS: no layer '$l' with an mbox (layers: $SERIES_LAYERS)"
	[ -f "$SERIES_DIR/cover-letter.$l" ] || die "$SERIES_DIR/cover-letter.$l missing"
	[ -n "$(series_layers "$l")" ] || die "layer $l has no patches in $SERIES_DIR/series"
	# A reroll says what changed in every mbox it sends.
	[ "$REROLL" = 1 ] || grep -qE "^Changes (in|since) v$REROLL\b" "$SERIES_DIR/cover-letter.$l" ||
		die "REROLL=$REROLL: write a 'Changes in v$REROLL:' section in $SERIES_DIR/cover-letter.$l first"
done

"$REPO/scripts/get-source.sh" "$BASE"
src=$(src_git "$BASE")
pkg=$(base_field "$BASE" 2)
ver=$(base_field "$BASE" 3)
sum=$(base_field "$BASE" 4)
suite=$(base_field "$BASE" 5)
case "$suite" in apt:*) suite=${suite#apt:} ;; *) suite=bookworm ;; esac
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
mkdir -p "$ship"

# clean_base: the worktree at the base, nothing else in it
clean_base() { base_worktree "$src" "$tree" "$base"; }
# apply FILE...: git am each patch file onto the worktree
apply() {
	local p
	for p; do
		git -C "$tree" am -q --committer-date-is-author-date "$p" ||
			die "$(basename "$p") does not apply"
	done
}
# maintainers ARGS...: get_maintainer.pl of the base, from MAINTAINERS
# alone (no git history here): "Name <mail>" and list addresses
maintainers() {
	(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-rolestats --no-fixes "$@")
}
# patch_ids FILE...: the stable patch-ids of the patches in the files
patch_ids() { cat "$@" | git -C "$tree" patch-id --stable | cut -d' ' -f1; }
# each_patch WHAT TEST: a check that TEST FILE holds for every patch of
# the mbox (split into $split), naming those it does not hold for
each_patch() {
	local f bad=""
	for f in "$split"/*; do
		grep -q '^diff --git ' "$f" || continue
		"$2" "$f" || bad+="      $(awk '/^Subject: / { s = substr($0, 10)
			while ((getline l) > 0 && l ~ /^[ \t]/) s = s l; print s; exit }' "$f")"$'\n'
	done
	if [ -z "$bad" ]; then verdict PASS "$mbox_name: $1"; else verdict FAIL "$mbox_name: $1 - fails for:"; printf '%s' "$bad"; fi
}
says_not_for_stable() { grep -qi 'not for stable' "$1"; }
silent_on_stable() { ! says_not_for_stable "$1"; }
exports_nothing() { ! grep -qE '^\+.*\bEXPORT_SYMBOL' "$1"; }
# (grep reads all of sed's output: with -q it could exit first, and the
# SIGPIPE sed then took failed the pipeline under pipefail, now and then)
names_upstream() { sed '/^---$/q' "$1" | grep -E '^commit [0-9a-f]{40} upstream\.$' >/dev/null; }

# am_check WHAT FILE [SKIP_COVER]: the earlier layers' patch files, then
# git am FILE, onto the clean base; the tree must be the one the patch
# files give. git am cannot take a cover letter (it has no diff): with
# SKIP_COVER it must stop at exactly the cover letter, and go on after
# git am --skip, as a user does.
am_check() {
	local what=$1 file=$2 skip=${3:-} got
	clean_base
	apply "${pre[@]}"
	if ! git -C "$tree" am -q "$file" >"$ship/am.log" 2>&1; then
		if [ -n "$skip" ] && git -C "$tree" am --show-current-patch=raw 2>/dev/null |
			grep -qE "^Subject: \[${prefix[$l]//./\\.}( v$REROLL)? 0/$n\]"; then
			git -C "$tree" am -q --skip >>"$ship/am.log" 2>&1 || true
		fi
	fi
	if [ -d "$(git -C "$tree" rev-parse --git-path rebase-apply)" ]; then
		verdict FAIL "$what: git am stopped:"
		sed 's/^/      /' "$ship/am.log"
		git -C "$tree" am --abort || true
		return
	fi
	got=$(git -C "$tree" rev-parse "HEAD^{tree}")
	if [ "$got" = "$want_tree" ] && [ "$(git -C "$tree" rev-list --count "$pre_head..HEAD")" = "$n" ]; then
		verdict PASS "$what: $n commits, tree $got, the same as the patch files applied one by one"
	else
		verdict FAIL "$what: tree $got, the patch files give $want_tree"
	fi
}

# cover_subject LAYER [bare]: the subject of the layer's cover letter as
# exported, or without its "[PATCH ...]" with "bare"
cover_subject() {
	local f=$SERIES_DIR/cover-letter.$1 s
	s=$(sed -n '1s/^Subject: *\(\[[^]]*\] *\)\{0,1\}//p' "$f")
	[ -n "$s" ] || die "$f: the first line must be 'Subject: ...'"
	[ -n "${2:-}" ] || s="[${prefix[$1]}$vtag 0/$(series_layers "$1" | wc -l)] $s"
	echo "$s"
}

# export_layer LAYER: write the layer's mbox and check it
export_layer() {
	local l=$1 subject body cover to cc addr ver_opt=() irt_opt=() irt v want got
	local msgs cover_id threaded referenced i note
	mapfile -t pre < <(series_layers "${needs[$l]}")
	mapfile -t own < <(series_layers "$l")
	n=${#own[@]}
	mbox=$ship/${name[$l]}-v$REROLL$DRY.mbox mbox_name=$(basename "$mbox")
	cover=$SERIES_DIR/cover-letter.$l

	# 1. The patch files one by one, the earlier layers first; the
	# layer's commits, signed off by the submitter, are what is exported.
	say "mbox $l: applying ${#pre[@]} + $n patch files"
	clean_base
	# The stable mbox goes to stable@, the others to the VFIO
	# maintainers, or, for a layer that touches nothing of vfio (7.3's
	# e500 fix), to the maintainers of what it touches; everyone
	# get_maintainer.pl names for the patches is Cc.
	to=stable@vger.kernel.org
	if ! stable_layer "$l"; then
		if grep -qE '^diff --git a/(drivers/vfio|include/linux/vfio|include/uapi/linux/vfio|tools/testing/selftests/vfio)' "${own[@]}"; then
			to=$(maintainers --m --no-r --no-l -f drivers/vfio/vfio_main.c)
		else
			to=$(maintainers --m --no-r --no-l "${own[@]}")
		fi
	fi
	mapfile -t cc < <(maintainers "${own[@]}" | grep -vxF -e "$to" || true)
	addr=()
	while read -r v; do addr+=(--to="$v"); done <<<"$to"
	for v in "${cc[@]}"; do addr+=(--cc="$v"); done
	apply "${pre[@]}"
	pre_head=$(git -C "$tree" rev-parse HEAD)
	# format-patch --base names them by a patch-id computed from a diff
	# without the indent heuristic; compute them the same way.
	pre_ids=$(for c in $(git -C "$tree" rev-list --reverse "$base..$pre_head"); do
		git -C "$tree" diff-tree -p --no-indent-heuristic "$c" | git -C "$tree" patch-id --stable | cut -d' ' -f1
	done)
	apply "${own[@]}"
	want_tree=$(git -C "$tree" rev-parse "HEAD^{tree}")
	identity_rewrite "$tree" "$pre_head"

	# 2. The cover letter: subject and body from cover-letter.LAYER, its
	# own "Changes in vN:" section if it has one. Version 1 without one
	# gets "First posting".
	subject=$(cover_subject "$l" bare)
	body=$(sed '1,/^$/d' "$cover")
	grep -qE "^Changes (in|since) v$REROLL\b" <<<"$body" ||
		body+=$'\n\n---\nChanges in v1:\n- First posting.'
	body+="

Base: Debian's $pkg $ver ($suite), the tarball
/usr/src/$pkg.tar.xz with sha256
$sum.
base-commit below is that tarball as one commit: tree $base_tree,
author and committer \"vfio harness <harness@localhost>\", both dates
2026-01-01T00:00:00Z, message \"Debian $pkg $ver\"."
	if [ -n "${needs[$l]}" ]; then
		body+=$'\n\nIt applies on top of, and is posted with:'
		for v in ${needs[$l]//,/ }; do body+=$'\n  '$(cover_subject "$v"); done
		body+=$'\nThe prerequisite-patch-id lines below name their patches.'
	fi

	# 3. The mbox.
	say "mbox $l: writing $mbox"
	[ -z "$vtag" ] || ver_opt=(-v "$REROLL")
	v=IN_REPLY_TO_$l
	irt=${!v:-${IN_REPLY_TO:-}}
	[ -z "$irt" ] || irt_opt=(--in-reply-to="$irt")
	git -C "$tree" format-patch --stdout --cover-letter --thread=shallow \
		--subject-prefix="${prefix[$l]}" "${ver_opt[@]}" "${irt_opt[@]}" \
		--base="$base" --from="$IDENTITY" --no-signature \
		"${addr[@]}" \
		"$pre_head..HEAD" > "$mbox.tmp"
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
	mboxes+=("$mbox")
	split=$ship/split && rm -rf "$split" && mkdir -p "$split"
	git mailsplit -o"$split" "$mbox" >/dev/null

	# 4. Checks.
	msgs=$(grep -c '^From [0-9a-f]\{40\} ' "$mbox")
	got=$(grep -E '^Subject: \[' "$mbox" | sed -E 's/^Subject: (\[[^]]*\]).*/\1/' | paste -sd' ')
	want=$(for ((i = 0; i <= n; i++)); do echo "[${prefix[$l]}$vtag $i/$n]"; done | paste -sd' ')
	cover_id=$(awk '/^Message-Id:/ { print $2; exit }' "$mbox")
	threaded=$(grep -c "^In-Reply-To: $cover_id" "$mbox" || true)
	# References: is folded when IN_REPLY_TO adds the earlier thread
	referenced=$(awk -v id="$cover_id" '/^References:/ { r = $0
		while ((getline l) > 0 && l ~ /^[ \t]/) r = r l
		if (index(r, id)) n++ } END { print n + 0 }' "$mbox")
	if [ "$msgs" = $((n + 1)) ] && [ "$threaded" = "$n" ] && [ "$referenced" = "$n" ] && [ "$got" = "$want" ]; then
		verdict PASS "$mbox_name: $msgs messages, ${got%%]*}] ... [${got##*[};" \
			"every patch In-Reply-To and References the cover letter; To: $(paste -sd, <<<"$to"); Cc: ${#cc[@]} addresses"
	else
		verdict FAIL "$mbox_name: $msgs messages (want $((n + 1))), subjects $got (want $want)," \
			"$threaded In-Reply-To and $referenced References the cover letter (want $n)"
	fi
	if [ "$(patch_ids "$mbox")" = "$(patch_ids "${own[@]}")" ]; then
		verdict PASS "$mbox_name: its patches are the $n of layer $l and nothing else (git patch-id)"
	else
		verdict FAIL "$mbox_name: its patches are not the $n of layer $l (git patch-id --stable)"
	fi
	got=$(sed -n 's/^prerequisite-patch-id: //p' "$mbox")
	if [ "$got" = "$pre_ids" ]; then
		# Tools that look the prerequisites up by the posted diffs'
		# git patch-id --stable miss those the indent heuristic changes.
		i=0
		[ ${#pre[@]} = 0 ] || i=$(grep -cvxF -f <(patch_ids "${pre[@]}") <<<"$got" || true)
		note=""
		[ "$i" = 0 ] || note="; $i not the posted diff's git patch-id --stable (git diffs without the indent heuristic)"
		verdict PASS "$mbox_name: ${#pre[@]} prerequisite-patch-ids, those of" \
			"${needs[$l]:-no earlier layer}'s patches$note"
	else
		verdict FAIL "$mbox_name: prerequisite-patch-ids $(echo $got), want those of" \
			"${needs[$l]:-no earlier layer}'s patches: $(echo $pre_ids)"
	fi
	am_check "$mbox_name: git am after ${needs[$l]:-nothing} (stops at the cover letter, then --skip)" "$mbox" skip

	if command -v b4 >/dev/null; then
		# b4 0.12 reads a folded Subject: wrongly from an mbox file, but
		# not from standard input.  It does not read prerequisite-patch-id
		# lines: the earlier layers' files go first, as for git am.
		rm -rf "$ship/b4" && mkdir -p "$ship/b4"
		if (cd "$tree" && b4 -n --offline-mode am -m - -o "$ship/b4" "${cover_id//[<>]/}" <"$mbox") >"$ship/b4.log" 2>&1 &&
		   grep -q "Total patches: $n\$" "$ship/b4.log" &&
		   grep -q "Base: using specified base-commit $base" "$ship/b4.log"; then
			verdict PASS "$mbox_name: b4 am finds the $n patches and the cover letter, and takes base-commit $base$(
				[ ${#pre[@]} = 0 ] || echo " (b4 0.12 does not read prerequisite-patch-id: ${needs[$l]} go first by hand)")"
			am_check "$mbox_name: git am of b4 am's output after ${needs[$l]:-nothing}" "$(ls "$ship"/b4/*.mbx)"
		else
			verdict FAIL "$mbox_name: b4 am did not take the series as expected:"
			sed 's/^/      /' "$ship/b4.log"
		fi
	else
		verdict SKIP "$mbox_name: b4 am: b4 not installed (scripts/install-deps.sh installs it)"
	fi
	identity_check "$mbox_name" "$mbox"
	case ${stable[$l]} in
	backport)
		each_patch "for stable: no patch says \"not for stable\"" silent_on_stable
		each_patch "no patch adds an EXPORT_SYMBOL" exports_nothing
		each_patch "every patch says \"commit <sha> upstream.\"" names_upstream ;;
	never)
		each_patch "every patch says \"not for stable\"" says_not_for_stable ;;
	esac
}

fail=0
mboxes=()
for l in $SERIES_LAYERS; do
	[[ ",$only," != *",$l,"* ]] || export_layer "$l"
done
clean_base
rm -rf "$ship/split"
for m in "${mboxes[@]}"; do echo "      $m"; done
echo "      base-commit: $base (Debian $pkg $ver)${DRY:+; DRY RUN as $IDENTITY: not for sending}"
exit $fail
