#!/usr/bin/env python3
"""Host side of the ivshmem BAR2 checks.

fill FILE:  make FILE a 1 GiB image whose every 4 KiB page i starts with the
            little-endian u64 0x5646494f00000000 | i; the guest's tests read it
            through their BAR2 mapping.
check FILE: after the guest ran, print TAP-style result lines: the guest's
            write to the mailbox page arrived, and the pattern outside the
            tests' scratch range is intact.
"""
import mmap
import struct
import sys

SIZE = 1 << 30
PAGE = 4096
TAG = 0x5646494F00000000
MAILBOX = SIZE - PAGE
MAILBOX_VALUE = 0x4755455354205752          # "RW TSEUG": written by the guest
SCRATCH = range((SIZE - (1 << 20)) // PAGE, SIZE // PAGE)


def fill(path):
    with open(path, "wb") as f:
        f.truncate(SIZE)
    with open(path, "r+b") as f, mmap.mmap(f.fileno(), SIZE) as m:
        for i in range(SIZE // PAGE):
            struct.pack_into("<Q", m, i * PAGE, TAG | i)


def check(path):
    with open(path, "rb") as f, mmap.mmap(f.fileno(), SIZE, prot=mmap.PROT_READ) as m:
        got = struct.unpack_from("<Q", m, MAILBOX)[0]
        ok = got == MAILBOX_VALUE
        print(f"{'ok' if ok else 'not ok'} 1 host.ivshmem.guest_write_seen_by_host"
              + ("" if ok else f" # mailbox holds {got:#x}"))
        bad = [i for i in range(SIZE // PAGE) if i not in SCRATCH
               and struct.unpack_from("<Q", m, i * PAGE)[0] != TAG | i]
        print(f"{'ok' if not bad else 'not ok'} 2 host.ivshmem.pattern_intact"
              + ("" if not bad else f" # {len(bad)} pages differ, first {bad[0]}"))


if __name__ == "__main__":
    {"fill": fill, "check": check}[sys.argv[1]](sys.argv[2])
