#!/bin/bash
# qemu-monitor.sh LOG COMMAND...: send QEMU monitor commands to the guest
# whose serial log is LOG (scripts/boot.sh's monitor socket, lib.sh's
# monitor_socket) and print the answers: to look at a guest that
# has stalled ('info status', 'info cpus', 'info lapic 1', 'info
# registers -a').
. "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || die "usage: qemu-monitor.sh LOG COMMAND..."
mon=$(monitor_socket "$1")
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
# a QEMU whose main loop is stuck accepts no connection: give up
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    sys.exit(f"qemu-monitor: {sys.argv[1]}: {e}")
read_until_prompt(s)
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\n")
    out = read_until_prompt(s)
    # the monitor echoes the command line and ends with its prompt
    lines = out.replace("\r", "").split("\n")
    print("(qemu) " + cmd)
    print("\n".join(l for l in lines[1:] if not l.startswith("(qemu)")).rstrip())
PY
