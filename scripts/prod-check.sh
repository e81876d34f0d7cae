#!/bin/bash
# prod-check.sh [PROFILE] : compile what the series touches under a
# production configuration, with W=1, and fail on any warning or error that
# the fix, or the full series, adds.
#
# PROFILE (the argument, or PROFILE=; default amd64) is the architecture
# and its configuration (scripts/prod-check.sh --list prints them):
#
#   amd64      Debian's config.amd64_none_amd64 + config/prod-extra.config
#              (make prodcheck)
#   arm64-4k   Debian's config.arm64_none_arm64 (4 KiB pages, 48-bit VA)
#              + config/cross-vfio-drivers.config + config/cross-arm64.config
#   arm64-64k  the same + config/arch-arm64-64k.config (the page geometry
#              of make arch's arm64-64k): 64 KiB pages with a 42-bit VA,
#              two page-table levels, the PMD folded
#   i386       Debian's config.i386_none_686 (the flavour without PAE)
#              + config/cross-vfio-drivers.config + config/cross-i386.config
#   riscv64    defconfig + config/cross-kvm-vfio.config (bookworm has no
#              riscv64 6.1 kernel: riscv64 is a ports architecture there)
#   e500v2     mpc85xx_smp_defconfig + cross-kvm-vfio + cross-e500v2 (KVM e500v2)
#   e500mc-32  corenet32_smp_defconfig + cross-kvm-vfio + cross-e500mc
#   e500mc-64  corenet64_smp_defconfig + cross-kvm-vfio + cross-e500mc
#
# make cross (scripts/cross-check.sh) runs every profile but amd64.
# Everything but amd64 is cross-compiled with Debian's gcc-12-TRIPLET.
#
#  1. out/prod/tree, a worktree of the pristine 6.1 base of its own (the
#     shared out/tree/6.1 is never touched), shared by the profiles and
#     reset for each run; out/prod/PROFILE, the profile's build directory;
#  2. the config: Debian's config for the architecture, from linux-config-6.1
#     (the installed package for amd64; for arm64 and i386 the package of
#     that architecture, downloaded with apt into a private apt state under
#     out/debian-config/ and unpacked there, never installed), or a
#     defconfig where Debian has none (or the download fails: it says so);
#     plus the profile's fragments from config/, signing keys blanked,
#     olddefconfig, and every requested option checked;
#  3. make prepare modules_prepare, then compile with W=1: drivers/vfio/
#     (every subdirectory the architecture builds), the other users of the
#     vfio headers (mdev samples, i915's kvmgt on amd64, KVM's vfio device,
#     the KVM directory of riscv64 and e500), and every other .c file the
#     series touches that this architecture compiles (mm/memory.c,
#     arch/riscv/kvm/mmu.c, arch/powerpc/kvm/e500_mmu_host.c);
#  4. on the base, with the layers of patches/6.1/series that go to stable
#     applied (limits and fix), and with the whole series; the fix's and the
#     series' warnings are each compared with the base's, with line numbers
#     removed, so moved code does not count. A new one at either step fails.
#
# PLANT=warning (or 1) or PLANT=error plants a deliberate warning or error
# (PLANT_FILE, default the mlx5 variant driver, or the KVM file the series
# touches on riscv64 and e500) after the series is applied (PLANT_AT=fix:
# after the fix, for that step only), to see the check fail; the file is
# restored after the compile. It says so when the profile does not compile
# PLANT_FILE. DEBIAN_CONFIG=FILE uses another Debian config file,
# DEBIAN_CONFIG=none the defconfig fallback.
. "$(dirname "$0")/lib.sh"

PROFILES="amd64 arm64-4k arm64-64k i386 riscv64 e500v2 e500mc-32 e500mc-64"

# profile NAME: set the profile's variables.
#   KARCH SRCARCH  make's ARCH, and the directory under arch/
#   CROSS          CROSS_COMPILE, empty for amd64
#   DEB_ARCH DEB_FLAVOUR  Debian's config.DEB_ARCH_none_FLAVOUR, if any
#   DEB_FRAGS      the fragments merged onto Debian's config
#   DEFCONFIG DEF_FRAGS   the defconfig and fragments otherwise
#   CONSUMERS      compile targets besides drivers/vfio/ and the touched files
#   NOTE           what the profile is about, for the result lines
#   PLANT_DEFAULT  a file the profile compiles, for PLANT=
profile() {
	CROSS='' DEB_ARCH='' DEB_FLAVOUR='' DEFCONFIG='' NOTE=''
	DEB_FRAGS=() DEF_FRAGS=() CONSUMERS=()
	PLANT_DEFAULT=drivers/vfio/pci/mlx5/main.c
	case $1 in
	amd64)
		KARCH=x86_64 SRCARCH=x86 DEB_ARCH=amd64 DEB_FLAVOUR=amd64
		DEB_FRAGS=(prod-extra)
		# Users of include/linux/vfio*.h outside drivers/vfio.
		CONSUMERS=(samples/vfio-mdev/ drivers/gpu/drm/i915/gvt/kvmgt.o
			arch/x86/kvm/../../../virt/kvm/vfio.o) ;;
	arm64-4k|arm64-64k)
		KARCH=arm64 SRCARCH=arm64 CROSS=aarch64-linux-gnu-
		DEB_ARCH=arm64 DEB_FLAVOUR=arm64 DEFCONFIG=defconfig
		DEB_FRAGS=(cross-vfio-drivers cross-arm64) DEF_FRAGS=(cross-kvm-vfio)
		NOTE="4 KiB pages"
		if [ "$1" = arm64-64k ]; then
			DEB_FRAGS+=(arch-arm64-64k) DEF_FRAGS+=(arch-arm64-64k)
			NOTE="64 KiB pages, 42-bit VA, PMD folded"
		fi
		CONSUMERS=(samples/vfio-mdev/ arch/arm64/kvm/../../../virt/kvm/vfio.o) ;;
	i386)
		KARCH=i386 SRCARCH=x86 CROSS=i686-linux-gnu-
		DEB_ARCH=i386 DEB_FLAVOUR=686 DEFCONFIG=i386_defconfig
		DEB_FRAGS=(cross-vfio-drivers cross-i386) DEF_FRAGS=(cross-kvm-vfio cross-i386)
		NOTE="no PAE"
		CONSUMERS=(samples/vfio-mdev/ arch/x86/kvm/../../../virt/kvm/vfio.o) ;;
	riscv64)
		KARCH=riscv SRCARCH=riscv CROSS=riscv64-linux-gnu- DEFCONFIG=defconfig
		DEF_FRAGS=(cross-kvm-vfio)
		CONSUMERS=(arch/riscv/kvm/)	# 6.1's riscv KVM has no KVM_VFIO
		PLANT_DEFAULT=arch/riscv/kvm/mmu.c ;;
	e500v2|e500mc-32|e500mc-64)
		KARCH=powerpc SRCARCH=powerpc CROSS=powerpc-linux-gnu-
		case $1 in
		e500v2) DEFCONFIG=mpc85xx_smp_defconfig DEF_FRAGS=(cross-kvm-vfio cross-e500v2) ;;
		e500mc-32) DEFCONFIG=corenet32_smp_defconfig DEF_FRAGS=(cross-kvm-vfio cross-e500mc) ;;
		e500mc-64) DEFCONFIG=corenet64_smp_defconfig DEF_FRAGS=(cross-kvm-vfio cross-e500mc) ;;
		esac
		CONSUMERS=(arch/powerpc/kvm/)		# with virt/kvm/vfio.o
		PLANT_DEFAULT=arch/powerpc/kvm/e500_mmu_host.c ;;
	*) die "unknown profile '$1' (profiles: $PROFILES)" ;;
	esac
}

case ${1:-} in
--list) echo "$PROFILES"; exit 0 ;;
-*) die "usage: $0 [--list | PROFILE]" ;;
esac
PROFILE=${1:-${PROFILE:-amd64}}
profile "$PROFILE"
# SERIES=6.12 or 7.3: patches/SERIES on its base instead (the 6.12.y
# stable layer, the mainline series), for the profiles built from a
# defconfig (the Debian configs fetched here are 6.1's), or with
# DEBIAN_CONFIG= naming Debian's config of that version (e.g. 7.3's
# config.amd64_none_amd64.xz from linux-config-7.3 of trixie-backports)
BASE=$SERIES
[ "$BASE" = 6.1 ] || [ -z "$DEB_ARCH" ] || [ -n "${DEBIAN_CONFIG:-}" ] ||
	die "SERIES=$SERIES: profile $PROFILE uses Debian's 6.1 config; use a defconfig profile (riscv64, e500*) or DEBIAN_CONFIG="
PLANT=${PLANT:-}
PLANT_FILE=${PLANT_FILE:-$PLANT_DEFAULT}
PLANT_AT=${PLANT_AT:-series}
case $PLANT_AT in fix|series) ;; *) die "PLANT_AT=$PLANT_AT: use fix or series" ;; esac
tree=$OUT/prod/tree
b=$OUT/prod/$PROFILE
[ "$BASE" = 6.1 ] || tree+=-$BASE b+=-$BASE
# Result lines of other profiles than amd64 start with the profile.
who=; [ "$PROFILE" = amd64 ] || who="$PROFILE: "
# Debian builds 6.1 with gcc-12; naming it keeps CONFIG_CC_VERSION_TEXT as
# in Debian's amd64 config (a cross gcc-12 names itself TRIPLET-gcc-12).
# Host programs (objtool, modpost) go through ccache too.
CC_PROD="ccache ${CROSS}gcc-12"
HOSTCC_PROD="ccache gcc-12"
command -v gcc-12 >/dev/null || die "gcc-12 missing"
command -v "${CROSS}gcc-12" >/dev/null ||
	die "${CROSS}gcc-12 missing (apt-get install gcc-12-${CROSS%-} binutils-${CROSS%-})"
t_all=$SECONDS

# The profiles share the worktree: one run at a time.
mkdir -p "$b"
exec 9>"$OUT/prod/lock"
if ! flock -n 9; then
	say "prod: another prod-check.sh is using $tree; waiting for it"
	flock 9
fi

kmake() {
	make -C "$tree" O="$b" ARCH="$KARCH" ${CROSS:+CROSS_COMPILE=$CROSS} \
		CC="$CC_PROD" HOSTCC="$HOSTCC_PROD" "$@"
}
pmake() { kmake -j"$JOBS" W=1 "$@"; }

# logged LOG CMD... : run CMD with its output in LOG, say how long it took
logged() {
	local log=$1 t0=$SECONDS rc=0
	shift
	"$@" >"$log" 2>&1 || rc=$?
	say "prod: done in $((SECONDS - t0)) s (log: $log)"
	return $rc
}

# --- Debian's config for another architecture ------------------------------
# fetch_debian_config ARCH FILE: print the path of Debian's FILE (e.g.
# config.arm64_none_arm64.xz) from linux-config-6.1 for ARCH, downloading
# the package if it is not here yet; fail, saying why, if it cannot be had.
# apt runs on a state of its own under out/debian-config/ARCH
# (scripts/lib.sh: apt_private_update); the package is unpacked, never
# installed. The version is the one of the installed amd64
# linux-config-6.1 (the same Debian kernel as make prodcheck's) when the
# archive has it for ARCH, else the newest it has.
fetch_debian_config() {
	local arch=$1 file=$2 dir=$OUT/debian-config/$1 want ver have
	want=$(dpkg-query -W -f '${Version}' linux-config-6.1 2>/dev/null || true)
	if [ -n "$want" ] && [ -f "$dir/$want/usr/src/linux-config-6.1/$file" ]; then
		echo "$dir/$want/usr/src/linux-config-6.1/$file"
		return 0
	fi
	say "prod: fetching linux-config-6.1:$arch${want:+ (want $want)}"
	apt_private_update "$dir" "$arch" || { say "prod: no apt-get or dpkg-deb here"; return 1; }
	have=$(apt-cache "${APT_OPT[@]}" show "linux-config-6.1:$arch" 2>/dev/null |
		sed -n 's/^Version: //p' || true)
	if [ -n "$want" ] && grep -qxF "$want" <<<"$have"; then
		ver=$want
	else
		ver=$(apt_private_candidate "linux-config-6.1:$arch")
		[ -n "$ver" ] || {
			# An older download, if there is one, is better than none.
			have=$(ls -d "$dir"/*/usr/src/linux-config-6.1/"$file" 2>/dev/null | sort -V | tail -n 1 || true)
			[ -n "$have" ] || { say "prod: the archive has no linux-config-6.1 for $arch (log: $dir/apt.log)"; return 1; }
			say "prod: apt found no linux-config-6.1:$arch now; using the one fetched before"
			echo "$have"
			return 0
		}
		say "prod: $want is not in the $arch index apt has (see any failed index above);" \
			"taking $ver, the newest it has"
	fi
	[ -f "$dir/$ver/usr/src/linux-config-6.1/$file" ] ||
		apt_private_unpack "$dir" "$arch" linux-config-6.1 "$ver" || return 1
	[ -f "$dir/$ver/usr/src/linux-config-6.1/$file" ] ||
		{ say "prod: linux-config-6.1:$arch $ver has no $file: $(ls "$dir/$ver/usr/src/linux-config-6.1")"; return 1; }
	echo "$dir/$ver/usr/src/linux-config-6.1/$file"
}

# --- the base config: Debian's, or a defconfig -----------------------------
DEBIAN=
if [ -n "$DEB_ARCH" ]; then
	deb_file=config.${DEB_ARCH}_none_$DEB_FLAVOUR.xz
	if [ "${DEBIAN_CONFIG:-}" = none ]; then
		say "prod: DEBIAN_CONFIG=none: not using Debian's $deb_file"
	elif [ -n "${DEBIAN_CONFIG:-}" ]; then
		[ -r "$DEBIAN_CONFIG" ] || die "DEBIAN_CONFIG=$DEBIAN_CONFIG: no such file"
		DEBIAN=$DEBIAN_CONFIG
	elif [ "$DEB_ARCH" = "$(dpkg --print-architecture 2>/dev/null || echo amd64)" ]; then
		DEBIAN=/usr/src/linux-config-6.1/$deb_file
		[ -r "$DEBIAN" ] || die "$DEBIAN missing (apt-get install linux-config-6.1)"
	elif ! DEBIAN=$(fetch_debian_config "$DEB_ARCH" "$deb_file"); then
		DEBIAN=
	fi
	if [ -z "$DEBIAN" ]; then
		[ -n "$DEFCONFIG" ] || die "no Debian config for $PROFILE and no defconfig to fall back to"
		say "prod: NOTE: no Debian $DEB_ARCH config: falling back to $DEFCONFIG +" \
			"$(printf 'config/%s.config ' "${DEF_FRAGS[@]}")(the result lines say so)"
	fi
fi
if [ -n "$DEBIAN" ]; then
	FRAGS=("${DEB_FRAGS[@]}")
	dver=$(sed -n 's#.*/debian-config/[^/]*/\([^/]*\)/usr/src/.*#\1#p' <<<"$DEBIAN")
	if [ "$PROFILE" = amd64 ]; then
		CFG_LONG="Debian's config" CFG_SHORT="Debian config"
	else
		CFG_LONG="Debian's $DEB_ARCH config${NOTE:+ ($NOTE)}"
		CFG_SHORT="Debian $DEB_ARCH config${dver:+ $dver}${NOTE:+, $NOTE}"
	fi
	base_desc="Debian's $(basename "$DEBIAN" .xz)${dver:+ ($dver)}"
	ref_name="Debian's"
else
	FRAGS=("${DEF_FRAGS[@]}")
	CFG_SHORT="$KARCH $DEFCONFIG + KVM/VFIO${NOTE:+, $NOTE}${DEB_ARCH:+, no Debian config}"
	CFG_LONG=$CFG_SHORT
	base_desc="$DEFCONFIG"
	ref_name="$DEFCONFIG's"
fi
FRAG_FILES=()
for f in "${FRAGS[@]}"; do FRAG_FILES+=("$REPO/config/$f.config"); done
# For make cross's summary.
printf '%s\n' "$CFG_SHORT" > "$b/profile.txt"

# --- 1. the tree -----------------------------------------------------------
"$REPO/scripts/get-source.sh" "$BASE"
src=$(src_git "$BASE")
tag=base-$(base_field "$BASE" 3 | tr '~:' '__')
base_worktree "$src" "$tree" "$tag"

# --- 2. the config ---------------------------------------------------------
# base_config FILE: the configuration before the fragments, into FILE
base_config() {
	if [ -n "$DEBIAN" ]; then
		xzcat "$DEBIAN" > "$1"
	else
		kmake -s "$DEFCONFIG" >/dev/null
		[ "$1" = "$b/.config" ] || cp "$b/.config" "$1"
	fi
}

# configure: the base config + the fragments, keys blanked (Debian's build
# sets its own certificates; modules are not signed here), and a check that
# every option the fragments set, or say is not set, is so.
configure() {
	local opt want got bad=0
	base_config "$b/.config"
	(cd "$tree" && ./scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" \
		"${FRAG_FILES[@]}" >/dev/null)
	"$tree/scripts/config" --file "$b/.config" \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--disable MODULE_SIG_ALL
	kmake -s olddefconfig >/dev/null
	while IFS= read -r opt; do
		case $opt in
		'# CONFIG_'*) opt=${opt#\# }; opt=${opt%% *}; want=n ;;
		*) want=${opt#*=}; opt=${opt%%=*} ;;
		esac
		got=$(grep -E "^$opt=" "$b/.config" | cut -d= -f2- || true)
		[ "${got:-n}" = "$want" ] && continue
		echo "config: $opt=$want requested, got '${got:-unset}'" >&2
		bad=1
	done < <(cat "${FRAG_FILES[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=|^# CONFIG_[A-Z0-9_]+ is not set')
	[ $bad = 0 ] || die "$(printf 'config/%s.config ' "${FRAGS[@]}")did not apply"
	# What differs from the base config, and which symbols really changed
	# value (a symbol that only became visible as "n" did not).
	"$tree/scripts/diffconfig" "$b/reference.config" "$b/.config" > "$b/config-vs-base.txt"
	awk '/ -> / { print $1; next }
	     /^[-+]/ && $2 != "n" { print substr($1, 2) }' "$b/config-vs-base.txt" |
		sort -u > "$b/config-changed.txt"
}

say "prod: $PROFILE: configuring: $base_desc + $(printf 'config/%s.config ' "${FRAGS[@]}")(ARCH=$KARCH${CROSS:+ CROSS_COMPILE=$CROSS})"
base_config "$b/reference.config"
configure
nreq=$(cat "${FRAG_FILES[@]}" | grep -cE '^CONFIG_[A-Z0-9_]+=' || true)
if [ "$PROFILE" = amd64 ]; then
	why="from COMPILE_TEST and this toolchain"
else
	why="from their dependencies and this toolchain"
fi
say "prod: config: $(wc -l < "$b/config-changed.txt") symbols differ in value from $ref_name" \
	"($nreq requested, the rest follow $why; $b/config-vs-base.txt)"

# --- 3. prepare ------------------------------------------------------------
say "prod: make prepare modules_prepare (about a minute the first time, seconds after)"
logged "$b/prepare.log" pmake prepare modules_prepare ||
	{ tail -n 30 "$b/prepare.log"; die "make prepare failed ($b/prepare.log)"; }

# --- 4. compile: base, fix, series -----------------------------------------
# targets: what to compile in the tree as it is now.
targets() {
	local f
	echo drivers/vfio/
	for f in "${CONSUMERS[@]}"; do
		case $f in */) [ -d "$tree/$f" ] ;; *) [ -f "$tree/${f%.o}.c" ] ;; esac && echo "$f"
	done
	for f in "${touched[@]}"; do
		case $f in
		drivers/vfio/*|samples/vfio-mdev/*|tools/*|Documentation/*) continue ;;
		arch/"$SRCARCH"/*) ;;
		arch/*) continue ;;	# another architecture's
		esac
		[[ $f == *.c ]] && [ -f "$tree/$f" ] && echo "${f%.c}.o"
	done
	true
}

# compile LABEL: remove the objects of the targets, so every warning is
# printed again (ccache replays a hit's warnings), compile, and write the
# normalised warnings to $b/LABEL.warnings.
compile() {
	local label=$1 log=$b/$1.log t d rel rc=0
	mapfile -t tgt < <(targets)
	for t in "${tgt[@]}"; do
		case $t in
		*/)	# a KVM directory builds virt/kvm/ too, as ../../../virt/kvm
			for d in "$b/$t" $([[ $t == arch/*/kvm/ ]] && echo "$b/virt/kvm"); do
				[ ! -d "$d" ] || find "$d" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
					-o -name '*.mod.c' -o -name '*.a' \) -delete
			done ;;
		*) rm -f "$(realpath -m "$b/$t")" ;;
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

# apply PATCH... : git am onto the tree, then configure again (the series
# may change Kconfig files)
apply() {
	local p
	for p in "$@"; do
		git -C "$tree" am -q --committer-date-is-author-date "$p" ||
			die "$(basename "$p") does not apply to $BASE"
	done
	configure
}

planted=
plant() {
	[ -n "$PLANT" ] && [ "$PLANT" != 0 ] && [ "$PLANT_AT" = "$1" ] || return 0
	[ -f "$tree/$PLANT_FILE" ] || die "PLANT_FILE $PLANT_FILE not in the tree"
	trap 'git -C "$tree" checkout -q -- "$PLANT_FILE"' EXIT
	case $PLANT in
	1|warning) printf '\n/* planted by prod-check.sh PLANT=warning */\nstatic int prod_check_planted(void)\n{\n\treturn 0;\n}\n' ;;
	error) printf '\n#error "planted by prod-check.sh PLANT=error"\n' ;;
	*) die "PLANT=$PLANT: use warning or error" ;;
	esac >> "$tree/$PLANT_FILE"
	planted=$PLANT_FILE
	say "prod: PLANT=$PLANT: planted a deliberate $([ "$PLANT" = error ] && echo error || echo warning) in $PLANT_FILE"
}
# unplant LABEL: restore the planted file after step LABEL's compile
unplant() {
	[ -n "$planted" ] || return 0
	grep -qF -e "$planted" -e " ${planted%.c}.o" "$b/$1.log" ||
		say "prod: NOTE: $PROFILE does not compile $planted: the plant cannot show here"
	git -C "$tree" checkout -q -- "$planted"
	planted=
	trap - EXIT
}

# step LABEL WHAT: compile the tree as it is and compare with the base
compiled=1
step() {
	local label=$1 what=$2 new gone
	compiled=1
	if ! compile "$label"; then
		compiled=0
		echo "FAIL  ${who}$what does not compile with $CFG_LONG (W=1):"
		grep -E ': (error|fatal error):|Error [0-9]' "$b/$label.log" | head -n 20 | sed 's/^/      /'
		fail=1
	fi
	unplant "$label"
	new=$(comm -13 "$b/base.warnings" "$b/$label.warnings")
	gone=$(comm -23 "$b/base.warnings" "$b/$label.warnings")
	if [ -n "$new" ]; then
		echo "FAIL  ${who}new warnings/errors with $what (W=1, $CFG_SHORT):"
		echo "$new" | sed 's/^/      /'
		fail=1
	elif [ $compiled = 1 ]; then
		echo "PASS  ${who}no new warnings with $what (W=1, $CFG_SHORT; $(wc -l < "$b/base.warnings") on the base)"
	fi
	[ -z "$gone" ] || { echo "      warnings $what removes:"; echo "$gone" | sed 's/^/        /'; }
}

fail=0
# The whole series, and first "the fix": its layers that go to stable
# (patches/SERIES/layers.conf: limits and fix on 6.1, stable on 6.12).
mapfile -t patches < <(series_layers "${SERIES_LAYERS// /,}")
mapfile -t fixp < <(series_layers "$(for l in $SERIES_LAYERS; do
	[ "$(layer_field "$l" 2)" != backport ] || printf '%s,' "$l"; done)")
# A copy of the series as it is now: patches/6.1 may be rewritten (refresh.sh)
# while this runs, and every step must apply the same patches.
rm -rf "$b/patches" && mkdir -p "$b/patches"
cp "${patches[@]}" "$b/patches/" || die "patches/6.1 changed while it was read; run again"
patches=("${patches[@]##*/}") fixp=("${fixp[@]##*/}")
patches=("${patches[@]/#/$b/patches/}") fixp=("${fixp[@]/#/$b/patches/}")
rest=()
for p in "${patches[@]}"; do
	[[ " ${fixp[*]} " == *" $p "* ]] || rest+=("$p")
done
# The files the series touches, from the patches' diff headers.
mapfile -t touched < <(sed -n 's#^diff --git a/\([^ ]*\) b/.*#\1#p' "${patches[@]}" | sort -u)
if ! compile base; then
	tail -n 30 "$b/base.log"
	die "the base does not compile with this config ($b/base.log); nothing to compare with"
fi
say "prod: base: $(wc -l < "$b/base.warnings") warnings"

if [ ${#fixp[@]} -gt 0 ]; then
	say "prod: applying the fix: the ${#fixp[@]} patches for stable of $SERIES_DIR/series"
	apply "${fixp[@]}"
	plant fix
	step fix "the fix"
else
	say "prod: $SERIES_DIR/series has no layer for stable; only the series is compiled"
fi

say "prod: applying ${#rest[@]} more patches: the whole series, ${#patches[@]} patches from $SERIES_DIR/series"
apply "${rest[@]}"
plant series
step series "the series"

# What was compiled, and what was not (when the compile went through).
[ $compiled = 0 ] || {
echo "      compiled $(grep -cE '^  CC ' "$b/series.log" || true) objects for: ${tgt[*]}"
notbuilt=$( { (cd "$tree" && find drivers/vfio -name '*.c'); printf '%s\n' "${touched[@]}"; } |
	grep -E '\.c$' | grep -v '^tools/' | sort -u | while read -r f; do
		[ -f "$b/${f%.c}.o" ] || echo "$f"; done || true)
[ -z "$notbuilt" ] || echo "      not compiled here (other architectures, or KUnit files #included only when
      KUnit is built in, as in make check's test config): $(echo "$notbuilt" | tr '\n' ' ')"
# Which compiled objects see a config symbol whose value is not Debian's
# (kbuild records every CONFIG_ a file depends on in its .cmd file). What
# every object sees (a cross toolchain's CC_VERSION_TEXT, say) is said once.
[ -z "$DEBIAN" ] || {
	newer=$b/$([ ${#fixp[@]} -gt 0 ] && echo fix || echo base).warnings
	while IFS= read -r cmd; do
		o=${cmd#"$b"/}; o=${o%.cmd}; o=$(dirname "$o")/$(basename "$o" | sed 's/^\.//')
		syms=$(grep -oE 'include/config/[A-Z0-9_]+' "$cmd" | sed 's#include/config/##' | sort -u |
			comm -12 - "$b/config-changed.txt" | tr '\n' ' ' || true)
		echo "$o $syms"
	done < <(for d in drivers/vfio mm samples/vfio-mdev virt/kvm; do [ ! -d "$b/$d" ] || echo "$b/$d"; done |
		xargs -r -I{} find {} -name '.*.o.cmd' -newer "$newer" | sort) > "$b/objects-non-debian.txt"
	awk 'NF > 1 { n++; for (i = 2; i <= NF; i++) c[$i]++ }
	     END { if (n < 2) exit; for (s in c) if (c[s] == n) print s }' "$b/objects-non-debian.txt" |
		sort > "$b/objects-non-debian-all.txt"
	[ ! -s "$b/objects-non-debian-all.txt" ] ||
		echo "      every compiled object sees non-Debian values of: $(tr '\n' ' ' < "$b/objects-non-debian-all.txt")"
	while read -r o syms; do
		syms=$(tr ' ' '\n' <<<"$syms" | grep . | sort | comm -23 - "$b/objects-non-debian-all.txt" | tr '\n' ' ' || true)
		[ -z "$syms" ] || echo "      $o sees non-Debian values of: $syms"
	done < "$b/objects-non-debian.txt"
}
}

say "prod: $PROFILE: done in $((SECONDS - t_all)) s; logs in $b (base.log,$([ ${#fixp[@]} -eq 0 ] || echo ' fix.log,') series.log)"
exit $fail
