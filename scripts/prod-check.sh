#!/bin/bash
# prod-check.sh : compile what the series touches under Debian's own amd64
# configuration, with W=1, and fail on any warning or error the series adds.
#
#  1. out/prod/tree, a worktree of the pristine 6.1 base of its own (the
#     shared out/tree/6.1 is never touched), and out/prod/build;
#  2. the config: Debian's config.amd64_none_amd64 from linux-config-6.1,
#     plus config/prod-extra.config (the vfio drivers Debian's amd64 config
#     leaves off), signing keys blanked, olddefconfig;
#  3. make prepare modules_prepare, then compile with W=1: drivers/vfio/
#     (every subdirectory, as modules), the other users of the vfio headers
#     that amd64 builds (samples/vfio-mdev, i915's kvmgt, KVM's vfio device),
#     and every other .c file the series touches (mm/memory.c);
#  4. once on the base, once with patches/6.1/series applied; warnings are
#     compared with line numbers removed, so moved code does not count.
#
# PLANT=warning (or 1) or PLANT=error plants a deliberate warning or error
# in a variant driver after the series is applied (PLANT_FILE, default the
# mlx5 driver), to see the check fail; the file is restored on exit.
. "$(dirname "$0")/lib.sh"

BASE=6.1
DEBIAN_CONFIG=${DEBIAN_CONFIG:-/usr/src/linux-config-6.1/config.amd64_none_amd64.xz}
PLANT=${PLANT:-}
PLANT_FILE=${PLANT_FILE:-drivers/vfio/pci/mlx5/main.c}
tree=$OUT/prod/tree
b=$OUT/prod/build
# Debian builds 6.1 with gcc-12; naming it keeps CONFIG_CC_VERSION_TEXT as
# in Debian's config. Host programs (objtool, modpost) go through ccache too.
CC_PROD="ccache gcc-12"
# Users of include/linux/vfio*.h outside drivers/vfio that amd64 compiles.
CONSUMERS=(samples/vfio-mdev/ drivers/gpu/drm/i915/gvt/kvmgt.o
	arch/x86/kvm/../../../virt/kvm/vfio.o)

[ -r "$DEBIAN_CONFIG" ] || die "$DEBIAN_CONFIG missing (apt-get install linux-config-6.1)"
command -v gcc-12 >/dev/null || die "gcc-12 missing"
t_all=$SECONDS

pmake() {
	make -C "$tree" O="$b" ARCH=x86_64 -j"$JOBS" CC="$CC_PROD" HOSTCC="$CC_PROD" W=1 "$@"
}

# logged LOG CMD... : run CMD with its output in LOG, say how long it took
logged() {
	local log=$1 t0=$SECONDS rc=0
	shift
	"$@" >"$log" 2>&1 || rc=$?
	say "prod: done in $((SECONDS - t0)) s (log: $log)"
	return $rc
}

# --- 1. the tree -----------------------------------------------------------
"$REPO/scripts/get-source.sh" "$BASE"
src=$(src_git "$BASE")
tag=base-$(base_field "$BASE" 3 | tr '~:' '__')
if [ ! -e "$tree/.git" ]; then
	say "prod: checking out the $BASE base into $tree (a minute or two)"
	git -C "$src" worktree prune
	timed git -C "$src" worktree add -q -f --detach "$tree" "$tag"
fi
git -C "$tree" am --abort >/dev/null 2>&1 || true
git -C "$tree" checkout -q -f --detach "$tag"
git -C "$tree" clean -q -fdx
mkdir -p "$b"

# --- 2. the config ---------------------------------------------------------
# configure: Debian's config + the extra fragment, keys blanked (Debian's
# build sets its own certificates; modules are not signed here).
configure() {
	local opt want got bad=0
	xzcat "$DEBIAN_CONFIG" > "$b/.config"
	(cd "$tree" && ./scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" \
		"$REPO/config/prod-extra.config" >/dev/null)
	"$tree/scripts/config" --file "$b/.config" \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--disable MODULE_SIG_ALL
	make -s -C "$tree" O="$b" ARCH=x86_64 CC="$CC_PROD" HOSTCC="$CC_PROD" olddefconfig >/dev/null
	while IFS= read -r opt; do
		want=${opt#*=}; opt=${opt%%=*}
		got=$(grep -E "^$opt=" "$b/.config" | cut -d= -f2- || true)
		[ "$got" = "$want" ] && continue
		echo "config: $opt=$want requested, got '${got:-unset}'" >&2
		bad=1
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$REPO/config/prod-extra.config")
	[ $bad = 0 ] || die "config/prod-extra.config did not apply"
	# What differs from Debian's config, and which symbols really changed
	# value (a symbol that only became visible as "n" did not).
	"$tree/scripts/diffconfig" <(xzcat "$DEBIAN_CONFIG") "$b/.config" > "$b/config-vs-debian.txt"
	awk '/ -> / { print $1; next }
	     /^[-+]/ && $2 != "n" { print substr($1, 2) }' "$b/config-vs-debian.txt" |
		sort -u > "$b/config-changed.txt"
}

say "prod: configuring: Debian's $(basename "$DEBIAN_CONFIG" .xz) + config/prod-extra.config"
configure
say "prod: config: $(wc -l < "$b/config-changed.txt") symbols differ in value from Debian's" \
	"($(grep -c '^CONFIG_' "$REPO/config/prod-extra.config") requested, the rest follow" \
	"from COMPILE_TEST and this toolchain; $b/config-vs-debian.txt)"

# --- 3. prepare ------------------------------------------------------------
say "prod: make prepare modules_prepare (about a minute the first time, seconds after)"
logged "$b/prepare.log" pmake prepare modules_prepare ||
	{ tail -n 30 "$b/prepare.log"; die "make prepare failed ($b/prepare.log)"; }

# --- 4. compile, base and series -------------------------------------------
# targets: what to compile in the tree as it is now.
targets() {
	local f
	echo drivers/vfio/
	for f in "${CONSUMERS[@]}"; do
		case $f in */) [ -d "$tree/$f" ] ;; *) [ -f "$tree/${f%.o}.c" ] ;; esac && echo "$f"
	done
	for f in "${touched[@]}"; do
		case $f in drivers/vfio/*|samples/vfio-mdev/*|tools/*|Documentation/*) continue ;; esac
		[[ $f == *.c ]] && [ -f "$tree/$f" ] && echo "${f%.c}.o"
	done
	true
}

# compile LABEL: remove the objects of the targets, so every warning is
# printed again (ccache replays a hit's warnings), compile, and write the
# normalised warnings to $b/LABEL.warnings.
compile() {
	local label=$1 log=$b/$1.log t rel rc=0
	mapfile -t tgt < <(targets)
	for t in "${tgt[@]}"; do
		case $t in
		*/) [ ! -d "$b/$t" ] || find "$b/$t" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
			-o -name '*.mod.c' -o -name '*.a' \) -delete ;;
		*) rm -f "$b/$t" ;;
		esac
	done
	say "prod: $label: compiling with W=1: ${tgt[*]}"
	logged "$log" pmake "${tgt[@]}" || rc=$?
	# gcc names sources by absolute path, or relative to the build
	# directory when ccache rewrote it (CCACHE_BASEDIR); drop both, and
	# the line and column numbers, and gcc's locale-dependent quotes (the
	# top Makefile unexports LC_ALL, and ccache replays a hit's messages
	# as they were first printed).
	rel=$(realpath --relative-to="$b" "$tree")
	grep -E ': (warning|error|fatal error):' "$log" |
		LC_ALL=C sed -E -e "s#^$tree/##" -e "s#^$rel/##" -e 's/:[0-9]+(:[0-9]+)?:/:/' \
			-e "s/\xe2\x80[\x98\x99]/'/g" |
		sort > "$b/$label.warnings" || true
	return $rc
}

fail=0
mapfile -t patches < <(series_patches patched)
# The files the series touches, from the patches' diff headers.
mapfile -t touched < <(sed -n 's#^diff --git a/\([^ ]*\) b/.*#\1#p' "${patches[@]}" | sort -u)
if ! compile base; then
	tail -n 30 "$b/base.log"
	die "the base does not compile with this config ($b/base.log); nothing to compare with"
fi
say "prod: base: $(wc -l < "$b/base.warnings") warnings"

say "prod: applying ${#patches[@]} patches from patches/6.1/series"
for p in "${patches[@]}"; do
	git -C "$tree" am -q --committer-date-is-author-date "$p" ||
		die "$(basename "$p") does not apply to $BASE"
done
configure

if [ -n "$PLANT" ] && [ "$PLANT" != 0 ]; then
	[ -f "$tree/$PLANT_FILE" ] || die "PLANT_FILE $PLANT_FILE not in the tree"
	trap 'git -C "$tree" checkout -q -- "$PLANT_FILE"' EXIT
	case $PLANT in
	1|warning) printf '\n/* planted by prod-check.sh PLANT=warning */\nstatic int prod_check_planted(void)\n{\n\treturn 0;\n}\n' ;;
	error) printf '\n#error "planted by prod-check.sh PLANT=error"\n' ;;
	*) die "PLANT=$PLANT: use warning or error" ;;
	esac >> "$tree/$PLANT_FILE"
	say "prod: PLANT=$PLANT: planted a deliberate $([ "$PLANT" = error ] && echo error || echo warning) in $PLANT_FILE"
fi

compiled=1
if ! compile series; then
	compiled=0
	echo "FAIL  the series does not compile with Debian's config (W=1):"
	grep -E ': (error|fatal error):|Error [0-9]' "$b/series.log" | head -n 20 | sed 's/^/      /'
	fail=1
fi
new=$(comm -13 "$b/base.warnings" "$b/series.warnings")
gone=$(comm -23 "$b/base.warnings" "$b/series.warnings")
if [ -n "$new" ]; then
	echo "FAIL  new warnings/errors with the series (W=1, Debian config):"
	echo "$new" | sed 's/^/      /'
	fail=1
elif [ $fail = 0 ]; then
	echo "PASS  no new warnings with the series (W=1, Debian config; $(wc -l < "$b/base.warnings") on the base)"
fi
[ -z "$gone" ] || { echo "      warnings the series removes:"; echo "$gone" | sed 's/^/        /'; }

# What was compiled, and what was not (when the compile went through).
[ $compiled = 0 ] || {
echo "      compiled $(grep -cE '^  CC ' "$b/series.log" || true) objects for: ${tgt[*]}"
notbuilt=$( { (cd "$tree" && find drivers/vfio -name '*.c'); printf '%s\n' "${touched[@]}"; } |
	grep -E '\.c$' | grep -v '^tools/' | sort -u | while read -r f; do
		[ -f "$b/${f%.c}.o" ] || echo "$f"; done || true)
[ -z "$notbuilt" ] || echo "      not compiled here (other architectures, or KUnit files #included only when
      KUnit is built in, as in make check's test config): $(echo "$notbuilt" | tr '\n' ' ')"
# Which compiled objects see a config symbol whose value is not Debian's
# (kbuild records every CONFIG_ a file depends on in its .cmd file).
while IFS= read -r cmd; do
	o=${cmd#"$b"/}; o=${o%.cmd}; o=$(dirname "$o")/$(basename "$o" | sed 's/^\.//')
	syms=$(grep -oE 'include/config/[A-Z0-9_]+' "$cmd" | sed 's#include/config/##' | sort -u |
		comm -12 - "$b/config-changed.txt" | tr '\n' ' ' || true)
	[ -z "$syms" ] || echo "      $o sees non-Debian values of: $syms"
done < <(find "$b/drivers/vfio" "$b/mm" "$b/samples/vfio-mdev" -name '.*.o.cmd' -newer "$b/base.warnings" | sort)
}

say "prod: done in $((SECONDS - t_all)) s; logs in $b (base.log, series.log)"
exit $fail
