#!/bin/bash
# get-source.sh BASE... : unpack Debian's linux-source tarball for each pinned
# base (scripts/bases.conf) into a git repository with a single "base" commit.
# The tarball comes from the Debian package: installed (scripts/install-deps.sh)
# or, for a base "from apt:SUITE", downloaded from SUITE with apt through a
# private apt state in out/apt/SUITE (the host's apt configuration and
# installed packages are not touched). With no BASE, every base.
. "$(dirname "$0")/lib.sh"

# apt_private SUITE ARGS...: apt-get with its lists, cache and sources in
# out/apt/SUITE, Debian's archive keyring as the host has it
apt_private() {
	local suite=$1 d=$OUT/apt/$1
	shift
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
		>"$d/sources.list"
	apt-get -q -o APT::Sandbox::User=root -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o Dir::State::Status=/dev/null "$@"
}

# tarball_of NAME PKG VER: the path of the package's tarball, fetched if
# the base comes from a suite
tarball_of() {
	local name=$1 pkg=$2 ver=$3 from have d
	from=$(base_field "$name" 5)
	case "$from" in
	installed)
		have=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || true)
		[ "$have" = "$ver" ] || die "$pkg $ver is pinned but '$have' is installed (apt-get install $pkg=$ver)"
		echo "/usr/src/$pkg.tar.xz" ;;
	apt:*)
		d=$OUT/apt/${from#apt:}/$pkg-$(echo "$ver" | tr '~:' '__')
		if [ ! -f "$d/usr/src/$pkg.tar.xz" ]; then
			say "downloading $pkg $ver from ${from#apt:} (private apt state, nothing installed)"
			apt_private "${from#apt:}" update >/dev/null
			rm -rf "$d" && mkdir -p "$d/deb"
			(cd "$d/deb" && apt_private "${from#apt:}" download "$pkg=$ver" >/dev/null) ||
				die "could not download $pkg $ver from ${from#apt:}"
			dpkg-deb -x "$d"/deb/*.deb "$d"
			rm -rf "$d/deb"
		fi
		echo "$d/usr/src/$pkg.tar.xz" ;;
	*) die "base $name: unknown source '$from' (scripts/bases.conf)" ;;
	esac
}

get_one() {
	local name=$1 pkg ver sum tarball dir tag
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
	tarball=$(tarball_of "$name" "$pkg" "$ver")
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
