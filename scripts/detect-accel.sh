#!/bin/bash
# detect-accel.sh KERNEL : print "kvm" if KVM can boot KERNEL to the point of
# mounting its root file system, "tcg" otherwise. /dev/kvm on some machines
# belongs to a paravirtual KVM that opens fine but cannot run an ordinary
# guest, so the only honest check is a boot. The answer is cached per run
# in out/accel (delete it, or set ACCEL=kvm|tcg, to override).
. "$(dirname "$0")/lib.sh"

kernel=$1
if [ -n "${ACCEL:-}" ]; then echo "$ACCEL"; exit 0; fi
cache=$OUT/accel
if [ -f "$cache" ]; then cat "$cache"; exit 0; fi
mkdir -p "$OUT"
result=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	say "probing KVM: booting $kernel with -accel kvm (at most 60 s)"
	out=$(timeout -k 5 60 qemu-system-x86_64 -M q35 -accel kvm -cpu host -m 512 \
		-nodefaults -display none -no-reboot -serial stdio -kernel "$kernel" \
		-append "console=ttyS0 panic=-1 root=/dev/nonexistent" </dev/null 2>&1 || true)
	if grep -q -e 'VFS: Unable to mount root' -e 'Kernel panic' <<<"$out"; then
		result=kvm
	else
		say "KVM cannot boot this kernel: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	fi
else
	say "no usable /dev/kvm"
fi
say "guests run under $result"
echo "$result" | tee "$cache"
