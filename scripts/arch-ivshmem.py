#!/usr/bin/env python3
"""arch-ivshmem.py fill|check FILE SIZE

scripts/ivshmem.py's fill and check for an ivshmem BAR2 of SIZE bytes
(256M for the i386 guests, 1G for arm64; a power of two of at least 4 MiB),
for scripts/arch-tests.sh. ivshmem.py has the size fixed at 1 GiB (SIZE,
and MAILBOX, SCRATCH and CLIENT_PAGE derived from it at import; a fill
that takes a size still leaves check at 1 GiB), so this runs its own
functions with those values set for SIZE: every 4 KiB page i
starts with 0x5646494f00000000 | i, the scratch range is the last MiB but
the mailbox page, which is the last page, as the tests
take them from the BAR size.
"""
import importlib.util
import inspect
import sys
from pathlib import Path


def load(size):
    spec = importlib.util.spec_from_file_location(
        "ivshmem", Path(__file__).resolve().with_name("ivshmem.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    if size < 4 << 20 or size & (size - 1):
        sys.exit(f"ivshmem size {size:#x}: not a power of two of at least 4 MiB")
    m.SIZE = size
    m.MAILBOX = size - m.PAGE
    m.SCRATCH = range((size - (1 << 20)) // m.PAGE, size // m.PAGE)
    m.CLIENT_PAGE = size // m.PAGE - 2
    return m


def parse_size(s):
    units = {"K": 10, "M": 20, "G": 30}
    if s[-1:].upper() in units:
        return int(s[:-1]) << units[s[-1].upper()]
    return int(s, 0)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("fill", "check"):
        sys.exit(__doc__)
    size = parse_size(sys.argv[3])
    m = load(size)
    if sys.argv[1] == "check":
        m.check(sys.argv[2])
    elif len(inspect.signature(m.fill).parameters) > 1:
        m.fill(sys.argv[2], size)      # an ivshmem.py that takes the size
    else:
        m.fill(sys.argv[2])
