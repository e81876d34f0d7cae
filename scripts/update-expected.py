#!/usr/bin/env python3
"""update-expected.py VARIANT LOG

Rewrites expected/VARIANT.txt, VARIANT's exceptions, from a guest's log:
every result whose verdict differs from the shared lists'
(expected/lists.conf) becomes an exception, and a result that agrees with
them is no exception any more. The file's comments, its NOTRUN and
MAYFAIL lines and the reasons it gave are kept; a new FAIL gets the
reason "REASON NEEDED", which scripts/judge.py refuses until it is
written. Only what the log ran is updated: the exceptions of programs
that left nothing in it or did not finish, and of what only such a
program makes (judge.py's FED_BY), stay as they were. A log of a guest
that did not finish its job is refused. Plants and probes have no
expectations of their own. Prints what changed.
"""
import sys
from pathlib import Path

import judge


def speaks_for(name, results, progs):
    """whether a log has the last word on NAME: NAME is in it, or NAME's
    program ran in it and finished (a case it no longer has is gone)"""
    prog = judge.program(name)
    return name in results or (prog in progs and results.get(f"{prog}:finished", ("",))[0] == "PASS")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    v = judge.variant(sys.argv[1])
    if v["kernel"] != v["name"]:
        sys.exit(f"{v['name']} is a {v['role']} judged as {v['kernel']}: it has no expectations of its own")
    path = judge.EXPECTED / f"{v['name']}.txt"
    results, _, _, notes = judge.parse(Path(sys.argv[2]).read_text(errors="replace"))
    if notes:
        sys.exit(f"{sys.argv[2]}: {'; '.join(notes)}: not a log to take expectations from")
    progs = judge.ran_programs(results)
    for name, prog in judge.FED_BY.items():
        if prog not in progs:
            results.pop(name, None)
    lists = judge.shared(v)
    old = judge.load_list(path)
    # kept: NOTRUN and MAYFAIL lines, and what this log cannot speak for
    new = {n: e for n, e in old.items()
           if e[0] in ("NOTRUN", "MAYFAIL") or not speaks_for(n, results, progs)}
    for name, (got, detail) in results.items():
        if name in new or lists.get(name, (None,))[0] == got:
            continue
        reason = old[name][1] if old.get(name, ("",))[0] == got else ""
        if not reason:
            reason = (detail or "") if got == "SKIP" else ("REASON NEEDED" if got == "FAIL" else "")
        new[name] = (got, reason)
    head = [line for line in path.read_text().splitlines() if line.startswith("#")] \
        if path.exists() else [f"# {v['name']}: its exceptions to the shared lists (expected/lists.conf)."]
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
