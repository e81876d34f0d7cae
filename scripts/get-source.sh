#!/bin/bash
# get-source.sh BASE... : unpack Debian's linux-source tarball for each pinned
# base (scripts/bases.conf) into a git repository with a single "base" commit.
# Nothing is downloaded: the tarball comes from the Debian package.
. "$(dirname "$0")/lib.sh"

get_one() {
	local name=$1 pkg ver sum tarball dir have tag
	pkg=$(base_field "$name" 2)
	ver=$(base_field "$name" 3)
	sum=$(base_field "$name" 4)
	[ -n "$pkg" ] || die "unknown base '$name'"
	dir=$(src_git "$name")
	tag=base-$(echo "$ver" | tr '~:' '__')
	if [ -d "$dir/.git" ] && git -C "$dir" rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
		say "base $name: $pkg $ver already in $dir"
		return
	fi
	have=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || true)
	[ "$have" = "$ver" ] || die "$pkg $ver is pinned but '$have' is installed (apt-get install $pkg=$ver)"
	tarball=/usr/src/$pkg.tar.xz
	say "checking sha256 of $tarball"
	echo "$sum  $tarball" | sha256sum -c --quiet - || die "$tarball does not match the pinned sha256"
	rm -rf "$dir" && mkdir -p "$dir"
	say "unpacking $tarball (about 30 s)"
	timed tar -xJf "$tarball" -C "$dir" --strip-components=1
	# Debian's top-level .gitignore ignores the whole tree (it is written for
	# the packaging repository); drop those lines so the base is committed.
	sed -i '/^# Debian packaging/,$d' "$dir/.gitignore"
	say "committing the base tree (about a minute)"
	git -C "$dir" init -q -b base
	git -C "$dir" config user.name "vfio harness"
	git -C "$dir" config user.email "harness@localhost"
	git -C "$dir" config gc.auto 0
	timed git -C "$dir" add -A
	# Fixed author and committer dates: the same tarball gives the same
	# base commit in every clone (the mbox export names it as base-commit).
	GIT_COMMITTER_DATE=2026-01-01T00:00:00Z git -C "$dir" commit -q \
		-m "Debian $pkg $ver" --date=2026-01-01T00:00:00Z
	git -C "$dir" tag "$tag"
	say "base $name ready: $(git -C "$dir" rev-parse --short HEAD)"
}

[ $# -gt 0 ] || set -- $(awk '!/^#/ && NF { print $1 }' "$REPO/scripts/bases.conf")
for b in "$@"; do get_one "$b"; done
