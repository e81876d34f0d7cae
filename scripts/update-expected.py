#!/usr/bin/env python3
"""update-expected.py VARIANT LOG

Rewrites expected/KERNEL.txt (KERNEL: the kernel VARIANT is judged as,
scripts/variants.conf) from a guest's log: every result whose verdict
differs from the shared lists' (expected/lists.conf) becomes an exception.
The file's comments, its NOTRUN and MAYFAIL lines and the reasons it gave
are kept; a new FAIL gets the reason "REASON NEEDED", which scripts/
judge.py refuses until it is written. A result in the shared lists that
the log lacks is left to the lists (a run of chosen programs updates only
what it ran). Prints what changed.
"""
import sys
from pathlib import Path

import judge


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    v = judge.variant(sys.argv[1])
    kernel = v["kernel"]
    path = judge.EXPECTED / f"{kernel}.txt"
    results = judge.parse(Path(sys.argv[2]).read_text(errors="replace"))[0]
    lists = judge.shared(judge.variant(kernel))
    old = judge.load_list(path)
    new = {n: e for n, e in old.items() if e[0] in ("NOTRUN", "MAYFAIL")}
    for name, (got, detail) in results.items():
        if name in new or name.endswith(":finished"):
            continue
        if lists.get(name, (None,))[0] == got:
            continue
        reason = old.get(name, (None, ""))[1] if old.get(name, ("",))[0] == got else ""
        if not reason:
            reason = (detail or "") if got == "SKIP" else ("REASON NEEDED" if got == "FAIL" else "")
        new[name] = (got, reason)
    head = [line for line in path.read_text().splitlines() if line.startswith("#")] \
        if path.exists() else [f"# {kernel}: its exceptions to the shared lists (expected/lists.conf)."]
    with path.open("w") as f:
        f.write("\n".join(head) + "\n")
        for name in sorted(new, key=lambda n: (new[n][0] != "NOTRUN", n)):
            verdict, reason = new[name]
            f.write(f"{name} {verdict}" + (f"  # {reason}" if reason else "") + "\n")
    for name in sorted(set(old) | set(new)):
        if old.get(name, (None,))[0] != new.get(name, (None,))[0]:
            print(f"{name}: {old.get(name, ('(lists)',))[0]} -> {new.get(name, ('(lists)',))[0]}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
