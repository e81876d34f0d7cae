# identity.sh : who an export is from; sourced by the exporters after lib.sh.
# shellcheck shell=bash
#
# The patch files are From: and Signed-off-by: a placeholder, so that the
# repository names nobody.  What goes out names the person who sends it:
# they are its author of record and sign it off (the DCO), so the
# exporters rewrite both to SUBMITTER="Name <mail>", or else to git config
# user.name/user.email of the repository, and refuse to export without
# one.  DRY_RUN=1 exports as a fixed fake identity instead, to outputs
# named *.dry-run that cannot be sent by mistake.

PLACEHOLDER="vfio series <vfio-series@localhost>"
PLACEHOLDER_MAIL=vfio-series@localhost

# identity_init: set IDENTITY, DRY (".dry-run" or empty, for file names)
# and git's committer to IDENTITY; die without a usable identity.
identity_init() {
	local from name mail
	if [ "${DRY_RUN:-0}" = 1 ]; then
		IDENTITY="Dry Run <dry-run@example.invalid>" DRY=.dry-run
	else
		DRY=
		if [ -n "${SUBMITTER:-}" ]; then
			IDENTITY=$SUBMITTER from=SUBMITTER
		else
			name=$(git -C "$REPO" config user.name || true)
			mail=$(git -C "$REPO" config user.email || true)
			IDENTITY="$name <$mail>" from="git config user.name/user.email"
			[ -n "$name" ] && [ -n "$mail" ] ||
				die "refusing to export: no submitter identity (SUBMITTER is unset and git config" \
					"user.name/user.email is '$name'/'$mail' in $REPO). The patch files are From:" \
					"and Signed-off-by: the placeholder \"$PLACEHOLDER\"; an export carries the" \
					"sender's own name. Set SUBMITTER=\"Name <mail>\" or git config user.name and" \
					"user.email, or DRY_RUN=1 for a trial export to *.dry-run files."
		fi
		[[ "$IDENTITY" =~ ^[^\<\>@]*[^\<\>@\ ]\ \<[^\<\>@\ ]+@[^\<\>@\ ]+\>$ ]] ||
			die "refusing to export: submitter '$IDENTITY' (from $from) is not \"Name <mail>\""
		case "$IDENTITY" in
		*"<$PLACEHOLDER_MAIL>"|"${PLACEHOLDER% <*} <"*)
			die "refusing to export: the submitter '$IDENTITY' (from $from) is the series'" \
				"placeholder; set SUBMITTER=\"Name <mail>\" to your own, or DRY_RUN=1" ;;
		esac
	fi
	export GIT_COMMITTER_NAME=${IDENTITY% <*} GIT_COMMITTER_EMAIL=${IDENTITY##*<}
	GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL%>}
	say "exporting as $IDENTITY${DRY:+ (DRY RUN)}"
}

# verdict PASS|FAIL|SKIP TEXT...: one result line, marked in a dry run;
# a FAIL sets fail=1 for the script's exit status.
verdict() {
	printf '%-5s %s%s\n' "$1" "${DRY:+DRY RUN: }" "${*:2}"
	[ "$1" != FAIL ] || fail=1
}

# identity_signoff: a commit message on stdin with the placeholder's
# Signed-off-by replaced by IDENTITY's, which is kept once, at its last
# place (a sign-off the submitter already has is not repeated).
identity_signoff() {
	OLD="Signed-off-by: $PLACEHOLDER" NEW="Signed-off-by: $IDENTITY" awk '
		{ l[NR] = $0 == ENVIRON["OLD"] ? ENVIRON["NEW"] : $0
		  if (l[NR] == ENVIRON["NEW"]) last = NR }
		END { for (i = 1; i <= NR; i++) if (l[i] != ENVIRON["NEW"] || i == last) print l[i] }'
}

# identity_rewrite TREE REV: commit REV..HEAD of worktree TREE again with
# IDENTITY as author and committer, dates kept, sign-off rewritten.  The
# trees stay the same, so checks against the patch files still hold.
identity_rewrite() {
	local tree=$1 head=$2 c date
	for c in $(git -C "$tree" rev-list --reverse "$2..HEAD"); do
		date=$(git -C "$tree" log -1 --format=%aD "$c")
		head=$(git -C "$tree" log -1 --format=%B "$c" | identity_signoff |
			GIT_AUTHOR_NAME=$GIT_COMMITTER_NAME GIT_AUTHOR_EMAIL=$GIT_COMMITTER_EMAIL \
			GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
			git -C "$tree" commit-tree "$c^{tree}" -p "$head" -F -)
	done
	git -C "$tree" checkout -q --detach "$head"
}

# identity_check WHAT FILE...: no file names the placeholder; every
# patch's and cover letter's From: and every patch's last Signed-off-by:
# (in its message, above "---") are IDENTITY.  A file is an mbox of
# format-patch messages, one patch with its headers on top (DEP-3), or
# neither (a list: only the placeholder is looked for).
identity_check() {
	local what=$1 out
	shift
	if out=$(python3 - "$IDENTITY" "$PLACEHOLDER_MAIL" "$@" 2>&1 <<'EOF'
import email, email.policy, email.utils, re, sys
ident, placeholder, files = sys.argv[1], sys.argv[2], sys.argv[3:]
bad, patches = [], 0
for path in files:
    text = open(path, encoding="utf-8", errors="replace").read()
    for m in re.split(r"^From [0-9a-f]{40} .*\n", text, flags=re.M):
        if not m.strip():
            continue
        msg = email.message_from_string(m, policy=email.policy.default)
        subject = " ".join(str(msg.get("Subject", "")).split())
        if placeholder in m:
            bad.append("%s: %s: names %s" % (path, subject, placeholder))
        body = m.partition("\n\n")[2]
        is_patch = "\ndiff --git " in "\n" + body
        if (is_patch or "From" in msg) and \
           email.utils.parseaddr(str(msg.get("From", ""))) != email.utils.parseaddr(ident):
            bad.append("%s: %s: From: %s" % (path, subject, msg.get("From")))
        if not is_patch:
            continue                      # a cover letter, a list
        patches += 1
        sob = re.findall(r"^Signed-off-by: (.*)$", body.split("\n---\n")[0], flags=re.M)
        if not sob or sob[-1] != ident:
            bad.append("%s: %s: last Signed-off-by: %s" % (path, subject, sob[-1] if sob else "none"))
print("\n".join(bad) if bad else patches)
sys.exit(1 if bad else 0)
EOF
	); then
		verdict PASS "$what: no file names $PLACEHOLDER_MAIL; From: of every message and" \
			"the last Signed-off-by: of all $out patches are $IDENTITY"
	else
		verdict FAIL "$what: identity:"
		sed 's/^/      /' <<<"$out"
	fi
}
