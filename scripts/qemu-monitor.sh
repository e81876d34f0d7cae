#!/bin/bash
# qemu-monitor.sh LOG COMMAND...: send QEMU monitor commands to the guest
# whose serial log is LOG (scripts/boot.sh's monitor socket beside it,
# out/run/LOG-NAME.mon) and print the answers: to look at a guest that
# has stalled ('info status', 'info cpus', 'info lapic 1', 'info
# registers -a').
. "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || die "usage: qemu-monitor.sh LOG COMMAND..."
mon=$OUT/run/$(basename "$1").mon
shift
[ -S "$mon" ] || die "no monitor socket $mon (is the guest running?)"
python3 - "$mon" "$@" <<'PY'
import socket, sys, time

def read_until_prompt(s):
    buf = b""
    s.settimeout(5)
    while not buf.endswith(b"(qemu) "):
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")

s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
read_until_prompt(s)
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\n")
    out = read_until_prompt(s)
    # the monitor echoes the command line and ends with its prompt
    lines = out.replace("\r", "").split("\n")
    print("(qemu) " + cmd)
    print("\n".join(l for l in lines[1:] if not l.startswith("(qemu)")).rstrip())
PY
