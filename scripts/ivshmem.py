#!/usr/bin/env python3
"""Host side of the ivshmem BAR2 checks.

fill FILE [SIZE]:  make FILE a 1 GiB image (SIZE bytes, K/M/G suffix) whose
            every 4 KiB page i starts with the little-endian u64
            0x5646494f00000000 | i; the guest's tests read it through their
            BAR2 mapping. (make bench backs its BARs with RAM, no pattern.)
check FILE: after the guest ran, print TAP-style result lines: the guest's
            write to the mailbox page arrived, and the pattern outside the
            tests' scratch range is intact.
check-client FILE: the values that the QEMU client's inner guests
            (clients/qemu-assign.sh, clients/barpoke.c) wrote through two
            levels of device assignment arrived: one slot per run and boot
            in the client's page, the last page of the scratch range.
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
# clients/barpoke.c: CLIENT_PAGE, CLIENT_SLOT(run, boot), CLIENT_VALUE
CLIENT_PAGE = SIZE // PAGE - 2
CLIENT_VALUE = 0x514D4550434C0000
CLIENT_SLOTS = ((0, 0), (0, 1), (1, 0))     # mmap run: 2 boots; x-no-mmap: 1


def size_arg(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1:].isalpha() else int(text)


def fill(path, size=SIZE):
    with open(path, "wb") as f:
        f.truncate(size)
    with open(path, "r+b") as f, mmap.mmap(f.fileno(), size) as m:
        for i in range(size // PAGE):
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


def check_client(path):
    with open(path, "rb") as f, mmap.mmap(f.fileno(), SIZE, prot=mmap.PROT_READ) as m:
        bad = []
        for run, boot in CLIENT_SLOTS:
            off = CLIENT_PAGE * PAGE + 512 + 8 * (2 * run + boot)
            got = struct.unpack_from("<Q", m, off)[0]
            if got != CLIENT_VALUE | run << 8 | boot:
                bad.append(f"run {run} boot {boot}: {got:#x}")
        print(f"{'ok' if not bad else 'not ok'} 1 host.ivshmem.client_writes_seen_by_host"
              + ("" if not bad else " # " + ", ".join(bad)))


if __name__ == "__main__":
    if sys.argv[1] == "fill" and len(sys.argv) > 3:
        fill(sys.argv[2], size_arg(sys.argv[3]))
    else:
        {"fill": fill, "check": check, "check-client": check_client}[sys.argv[1]](sys.argv[2])
