#!/usr/bin/env python3
"""ivshmem.py fill|check|check-client FILE [--size SIZE]

The host side of the tests' ivshmem BAR2 (scripts/boot.sh), a file of SIZE
bytes (K/M/G suffix; default 1G, a power of two of at least 4 MiB; the
tests take the BAR's size from the device):

fill:         every 4 KiB page i starts with the little-endian u64
              0x5646494f00000000 | i; the guest's tests read it through
              their BAR2 mapping. (make bench backs its BARs with RAM.)
check:        after the guest ran, TAP-style result lines: the guest's
              write to the mailbox page (the last page) arrived, and the
              pattern outside the tests' scratch range (the last MiB) is
              intact.
check-client: the values that the QEMU client's inner guests
              (clients/qemu-assign.sh, clients/barpoke.c) wrote through two
              levels of device assignment arrived: one slot per run and
              boot in the client's page, the last page but one.
"""
import argparse
import mmap
import struct

PAGE = 4096
TAG = 0x5646494F00000000
MAILBOX_VALUE = 0x4755455354205752          # "RW TSEUG": written by the guest
# clients/barpoke.c: CLIENT_PAGE, CLIENT_SLOT(run, boot), CLIENT_VALUE
CLIENT_VALUE = 0x514D4550434C0000
CLIENT_SLOTS = ((0, 0), (0, 1), (1, 0))     # mmap run: 2 boots; x-no-mmap: 1


def size_arg(text):
    units = {"K": 10, "M": 20, "G": 30}
    size = (int(text[:-1]) << units[text[-1].upper()]
            if text[-1:].upper() in units else int(text, 0))
    if size < 4 << 20 or size & (size - 1):
        raise argparse.ArgumentTypeError(f"{text}: not a power of two of at least 4 MiB")
    return size


def fill(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    with open(path, "r+b") as f, mmap.mmap(f.fileno(), size) as m:
        for i in range(size // PAGE):
            struct.pack_into("<Q", m, i * PAGE, TAG | i)


def check(path, size):
    scratch = range((size - (1 << 20)) // PAGE, size // PAGE)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ) as m:
        got = struct.unpack_from("<Q", m, size - PAGE)[0]
        ok = got == MAILBOX_VALUE
        print(f"{'ok' if ok else 'not ok'} 1 host.ivshmem.guest_write_seen_by_host"
              + ("" if ok else f" # mailbox holds {got:#x}"))
        bad = [i for i in range(size // PAGE) if i not in scratch
               and struct.unpack_from("<Q", m, i * PAGE)[0] != TAG | i]
        print(f"{'ok' if not bad else 'not ok'} 2 host.ivshmem.pattern_intact"
              + ("" if not bad else f" # {len(bad)} pages differ, first {bad[0]}"))


def check_client(path, size):
    page = size // PAGE - 2
    with open(path, "rb") as f, mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ) as m:
        bad = []
        for run, boot in CLIENT_SLOTS:
            off = page * PAGE + 512 + 8 * (2 * run + boot)
            got = struct.unpack_from("<Q", m, off)[0]
            if got != CLIENT_VALUE | run << 8 | boot:
                bad.append(f"run {run} boot {boot}: {got:#x}")
        print(f"{'ok' if not bad else 'not ok'} 1 host.ivshmem.client_writes_seen_by_host"
              + ("" if not bad else " # " + ", ".join(bad)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="the host side of the ivshmem BAR2 checks")
    ap.add_argument("what", choices=("fill", "check", "check-client"))
    ap.add_argument("file")
    ap.add_argument("--size", type=size_arg, default=1 << 30)
    a = ap.parse_args()
    {"fill": fill, "check": check, "check-client": check_client}[a.what](a.file, a.size)
