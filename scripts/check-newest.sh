#!/bin/bash
# check-newest.sh : does the series still apply to, and compile on, the
# newest linux-source-6.1 in Debian's archive? A report, not a gate: the
# pinned base (scripts/bases.conf) stays what everything else uses, and the
# package installed stays the pinned one. It says which version each result
# is for, so that the day Debian's base moves under the series is seen at
# once, without a Debian upload failing CI.
#
#  1. apt-get update, and the archive's candidate version of linux-source-6.1;
#     if that is the pinned version, say so and stop;
#  2. apt-get download + dpkg-deb -x of the candidate into out/newest/VERSION
#     (not installed), its tarball unpacked there;
#  3. the files the series touches that differ from the pinned base;
#  4. each patch of patches/6.1/series applied in order (git apply);
#  5. the test config (tinyconfig + config/test.config + config/kunit.config),
#     make prepare, and every .c file the series touches that x86-64 builds,
#     with drivers/vfio/ as a whole.
# Lines start with REPORT; the exit status is 0 whatever they say, unless
# the check itself could not run.
. "$(dirname "$0")/lib.sh"

PKG=linux-source-6.1
pinned=$(base_field 6.1 3)
say "newest: asking Debian's archive for the newest $PKG"
apt-get update -q >/dev/null 2>&1 || say "newest: apt-get update failed; using the package lists as they are"
cand=$(apt-cache policy "$PKG" | awk '/Candidate:/ { print $2 }')
[ -n "$cand" ] && [ "$cand" != "(none)" ] || { echo "REPORT newest: $PKG has no candidate in the archive"; exit 0; }
if [ "$cand" = "$pinned" ]; then
	echo "REPORT newest: $PKG $cand is the newest, and the pinned base"
	exit 0
fi
echo "REPORT newest: the archive has $PKG $cand; the pinned base is $pinned"

dir=$OUT/newest/$(echo "$cand" | tr '~:' '__')
tree=$dir/src b=$dir/build
if [ ! -f "$dir/.unpacked" ]; then
	rm -rf "$dir" && mkdir -p "$dir/deb" "$tree"
	say "newest: downloading $PKG $cand (not installing it)"
	(cd "$dir/deb" && apt-get download -q "$PKG=$cand" >/dev/null) ||
		{ echo "REPORT newest: could not download $PKG $cand"; exit 0; }
	dpkg-deb -x "$dir"/deb/*.deb "$dir/pkg"
	say "newest: unpacking its tarball (about 30 s)"
	timed tar -xJf "$dir/pkg/usr/src/$PKG.tar.xz" -C "$tree" --strip-components=1
	rm -rf "$dir/deb" "$dir/pkg"
	touch "$dir/.unpacked"
fi

# The pristine tree to compare with and to apply the series to: a copy of
# the unpacked one, so a second run starts clean.
work=$dir/work
rm -rf "$work" && cp -a "$tree" "$work"
# A repository of its own: out/ lies inside the harness's repository, and
# git apply run there would patch paths relative to that one's root and
# silently skip everything outside $work.
git -C "$work" init -q

mapfile -t patches < <(series_patches patched)
mapfile -t touched < <(sed -n 's#^diff --git a/\([^ ]*\) b/.*#\1#p' "${patches[@]}" | sort -u)
"$REPO/scripts/get-source.sh" 6.1
base=$(src_git 6.1)
changed=()
for f in "${touched[@]}"; do
	[ -e "$base/$f" ] || [ -e "$work/$f" ] || continue
	cmp -s "$base/$f" "$work/$f" 2>/dev/null || changed+=("$f")
done
if [ ${#changed[@]} -eq 0 ]; then
	echo "REPORT newest: $cand changes none of the ${#touched[@]} files the series touches"
else
	echo "REPORT newest: $cand changes ${#changed[@]} files the series touches: ${changed[*]}"
fi

n=0
for p in "${patches[@]}"; do
	if ! git -C "$work" apply --whitespace=nowarn "$p" 2>"$dir/apply.log"; then
		echo "REPORT newest: $(basename "$p") does not apply to $cand:"
		sed 's/^/      /' "$dir/apply.log"
		echo "REPORT newest: $n of ${#patches[@]} patches apply to $cand"
		exit 0
	fi
	n=$((n + 1))
done
echo "REPORT newest: all $n patches apply to $cand"

say "newest: configuring and compiling what the series touches on $cand"
ALLOW_MISSING=0 kconfig "$work" "$b" "$REPO/config/test.config" "$REPO/config/kunit.config"
objs=(drivers/vfio/)
for f in "${touched[@]}"; do
	case "$f" in
	drivers/vfio/*|tools/*|arch/[!x]*) ;;
	*.c) objs+=("${f%.c}.o") ;;
	esac
done
if timed kmake "$work" "$b" prepare >"$dir/build.log" 2>&1 &&
   timed kmake "$work" "$b" W=1 "${objs[@]}" >>"$dir/build.log" 2>&1; then
	warn=$(grep -cE ': (warning|error):' "$dir/build.log" || true)
	echo "REPORT newest: the series compiles on $cand (test config, W=1: ${objs[*]}; $warn warnings)"
else
	echo "REPORT newest: the series does not compile on $cand:"
	grep -E ': (error|fatal error):|Error [0-9]' "$dir/build.log" | head -n 20 | sed 's/^/      /'
fi
exit 0
