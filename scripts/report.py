#!/usr/bin/env python3
"""report.py VARIANT LOG [--update] [--only REGEX] [--clean-dmesg] [--partial]
                 [--left-out PROG]...

Reads a guest's serial log and judges it against expected/VARIANT.txt:
  - kselftest TAP results of each program run between "### test PROG" and
    "### test-end PROG" markers, named PROG:TEST;
  - KUnit KTAP results found in the guest's dmesg, named kunit:SUITE.CASE;
  - host-side checks and client results ("ok host.X", "ok client.X");
  - the guest's dmesg: any kernel warning, BUG, oops, lockdep, KASAN or
    kmemleak report fails the run (reported as the pseudo-test "dmesg").

expected/VARIANT.txt lists every result with its verdict: PASS, SKIP, FAIL or
MAYFAIL. FAIL is allowed only on a reference kernel (flag "ref" in
scripts/variants.conf: vanilla 6.1 and Debian's 6.12, in any configuration)
and only with a reason after '#': it records a behaviour the series fixes.
MAYFAIL (any kernel but patched, with a reason) accepts PASS or FAIL: a
race the kernel does not fix, which a run may or may not hit.
"PROG NOTRUN # reason" (also references only) keeps a whole test
program from running on that kernel. A result
missing from the log, an unlisted result, or any verdict that differs is a
failure.
--update rewrites the file from this log (reasons for FAIL must be added).
--only REGEX judges only the results whose names match REGEX (from the start),
in the log and in the expected file (scripts/run-clients.sh: the clients).
--clean-dmesg expects the dmesg pseudo-test to PASS whatever the expected file
says (the clients alone must leave every kernel's log clean; vanilla's
expected dmesg FAIL comes from a selftest).
--partial judges only the test programs that ran (a run with ONLY= or SKIP=):
the results of a program (or of the clients, client.*) that left nothing
in the log are not counted as missing, and what only such a program makes
(FED_BY: a host check of what it writes into ivshmem, vanilla's expected
dmesg FAIL) is not judged.
--left-out PROG judges PROG as NOTRUN in this run: a boot left out on purpose.
The last line is "VARIANT: N passed, N failed, N skipped".
"""
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Results that only one program's run makes (for --partial), and that
# program ("client": the clients): the host checks (scripts/ivshmem.py) of
# a value it writes into ivshmem, and an expected dmesg FAIL (vanilla's
# untrack_pfn() warning, from the BAR mappings of the mmap test); an
# expected dmesg PASS judges every run.
FED_BY = {
    "host.ivshmem.guest_write_seen_by_host": "vfio_pci_mmap_test",
    "host.ivshmem.client_writes_seen_by_host": "client",
    "dmesg": "vfio_pci_mmap_test",
}

# Kernel reports that fail a run wherever they appear in dmesg.
BAD = re.compile(
    r"WARNING:|BUG:|Oops|general protection fault|Kernel panic|"
    r"possible circular locking|possible recursive locking|"
    r"inconsistent lock state|possible irq lock inversion|"
    r"suspicious RCU usage|lock held when returning|"
    r"bad unlock balance|held lock freed|"
    r"INFO: task .* blocked for more than|soft lockup|hard LOCKUP|"
    r"KASAN:|UBSAN:|kmemleak: .*new suspected memory leaks|Busy inodes|"
    r"unreferenced object|Call Trace:|"
    r"page dumped because|Bad page|rcu_sched detected stalls|rcu: INFO")

TAP = re.compile(r"^(not ok|ok)\s+\d+\s+(?:-\s+)?([^#]*?)\s*(?:#\s*(.*))?$")
RUN = re.compile(r"^#\s+RUN\s+(\S+)")
STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")


def verdict(status, directive):
    if directive and directive.upper().startswith("SKIP"):
        return "SKIP"
    if directive and directive.upper().startswith("XFAIL"):
        return "FAIL"
    return "PASS" if status == "ok" else "FAIL"


def parse(log):
    results, dmesg_bad, notes = {}, [], []
    prog, in_dmesg, dmesg_lines, running = None, False, [], ""
    suites = []                    # KTAP nesting: (indent, suite name)
    saw_job_end = False
    for raw in log.read_text(errors="replace").splitlines():
        line = raw.rstrip("\r")
        if line.startswith("### test "):
            prog = line.split()[2]
            results[f"{prog}:finished"] = ("FAIL", "no end marker")
            continue
        if line.startswith("### test-end "):
            # 0: all passed, 1: a test failed, 4: KSFT_SKIP; anything else
            # (timeout, signal, "hung") means the program did not finish.
            rc = line.split("rc=")[-1].strip()
            done = rc in ("0", "1", "4")
            results[f"{prog}:finished"] = ("PASS" if done else "FAIL",
                                           None if done else f"rc={rc}")
            prog = None
            continue
        if line.startswith("### job end"):
            saw_job_end = True
        if line.startswith("### dmesg begin"):
            in_dmesg = True
            continue
        if line.startswith("### dmesg end"):
            in_dmesg = False
            continue
        if line.startswith("harness: guest"):
            notes.append(line)
        if in_dmesg:
            dmesg_lines.append(line)
            continue
        m = RUN.match(line)
        if m:
            running = m.group(1)
            continue
        m = TAP.match(line.strip())
        if not m:
            continue
        name, st, directive = m.group(2), m.group(1), m.group(3)
        if not name and prog:
            # 6.1's kselftest_harness prints "ok N # SKIP reason" without
            # the test name; it is the one announced by the last RUN line.
            name = running
        if prog and line.startswith(("ok", "not ok")):
            results[f"{prog}:{name}"] = (verdict(st, directive), directive)
        elif not prog and name.startswith(("host.", "client.")):
            results[name] = (verdict(st, directive), directive)

    for i, line in enumerate(dmesg_lines):
        text = STAMP.sub("", line)
        if BAD.search(text):
            dmesg_bad.append(i)
        # KUnit KTAP, from dmesg
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        m = re.match(r"# Subtest: (\S+)", stripped)
        if m:
            suites = [s for s in suites if s[0] < indent] + [(indent, m.group(1))]
            continue
        m = TAP.match(stripped)
        if m and suites:
            cur = [s for s in suites if s[0] <= indent]
            if cur and cur[-1][0] == indent:      # a case of this suite
                name = f"kunit:{cur[-1][1]}.{m.group(2)}"
                results[name] = (verdict(m.group(1), m.group(3)), m.group(3))
    if not saw_job_end:
        notes.append("guest did not finish its job")
    return results, dmesg_bad, dmesg_lines, notes


def load_expected(path):
    exp = {}
    if not path.exists():
        return exp
    for n, line in enumerate(path.read_text().splitlines(), 1):
        body, _, reason = line.partition("#")
        f = body.split()
        if not f:
            continue
        if len(f) != 2 or f[1] not in ("PASS", "FAIL", "SKIP", "NOTRUN", "MAYFAIL"):
            sys.exit(f"{path}:{n}: expected 'NAME PASS|FAIL|SKIP|MAYFAIL|NOTRUN [# reason]'")
        exp[f[0]] = (f[1], reason.strip())
    return exp


def is_reference(variant):
    """a reference kernel: flag "ref" in scripts/variants.conf"""
    for line in (REPO / "scripts" / "variants.conf").read_text().splitlines():
        f = line.split()
        if f and not f[0].startswith("#") and f[0] == variant:
            return len(f) > 3 and "ref" in f[3].split(",")
    return False


def main():
    variant, log = sys.argv[1], Path(sys.argv[2])
    update = "--update" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    exp_path = REPO / "expected" / f"{variant}.txt"
    results, bad, dmesg, notes = parse(log)
    results["dmesg"] = ("FAIL" if bad else "PASS", None)
    if only:
        if update:
            sys.exit("--update rewrites the whole file; it cannot be combined with --only")
        results = {k: v for k, v in results.items() if re.match(only, k)}

    if update:
        old = load_expected(exp_path)
        notrun = {k: v for k, v in old.items() if v[0] == "NOTRUN"}
        mayfail = {k for k, v in old.items() if v[0] == "MAYFAIL"}
        with exp_path.open("w") as f:
            f.write(f"# Expected results on {variant}; see scripts/report.py.\n")
            for name, (_, reason) in sorted(notrun.items()):
                f.write(f"{name} NOTRUN  # {reason}\n")
            for name in sorted(results):
                v, d = results[name]
                if name in mayfail:
                    v = "MAYFAIL"
                reason = old.get(name, (None, ""))[1] or (d if v == "SKIP" else "")
                f.write(f"{name} {v}" + (f"  # {reason}" if reason else "") + "\n")
        print(f"wrote {exp_path}")

    exp = load_expected(exp_path)
    if only:
        exp = {k: v for k, v in exp.items() if re.match(only, k)}
    if "--clean-dmesg" in sys.argv and "dmesg" in exp:
        exp["dmesg"] = ("PASS", "")
    passed = failed = skipped = 0
    for name, (v, reason) in sorted(exp.items()):
        if v in ("FAIL", "NOTRUN") and (not is_reference(variant) or not reason):
            print(f"CONFIG {name}: {v} may be expected only on a reference kernel, with a reason")
            failed += 1
        if v == "MAYFAIL" and (variant == "patched" or not reason):
            print(f"CONFIG {name}: MAYFAIL needs a reason, and patched must pass")
            failed += 1
    # --left-out PROG: this run left PROG out on purpose (run-tests.sh:
    # a variant whose storm boot is made by hand); judged as NOTRUN.
    for i, arg in enumerate(sys.argv):
        if arg == "--left-out":
            prog = sys.argv[i + 1]
            for name in [k for k in exp if k.startswith(prog + ":")]:
                del exp[name]
            exp[prog] = ("NOTRUN", "left out of this run (its boot is made by hand: STORM=1)")
    if "--partial" in sys.argv:
        ran = {k.split(":")[0] for k in results if ":" in k}
        ran |= {"client"} if any(k.startswith("client.") for k in results) else set()
        for name in [k for k in exp if k not in results]:
            prog = name.split(":")[0] if ":" in name else name.split(".")[0]
            if prog not in ran and name != "dmesg" and not name.startswith("host."):
                del exp[name]
        for name, prog in FED_BY.items():
            if prog in ran or (name == "dmesg" and exp.get(name, ("",))[0] != "FAIL"):
                continue
            exp.pop(name, None)
            results.pop(name, None)
    for name, (v, reason) in sorted(exp.items()):
        if v != "NOTRUN":
            continue
        del exp[name]
        stray = [r for r in results if r.startswith(name + ":")]
        if stray:
            print(f"FAIL  {name}: NOTRUN, but it ran")
            failed += 1
        else:
            print(f"SKIP  {name} # not run: {reason}")
            skipped += 1
    for name in sorted(set(exp) | set(results)):
        want = exp.get(name, (None, ""))
        got = results.get(name, ("MISSING", None))
        prog = name.split(":")[0]
        if got[0] == "MISSING" and results.get(f"{prog}:finished", ("",))[0] == "FAIL":
            got = ("FAIL", f"{prog} did not finish")
        if want[0] is None:
            print(f"FAIL  {name}: not in {exp_path.name} (got {got[0]})")
            failed += 1
        elif want[0] == "MAYFAIL" and got[0] in ("PASS", "FAIL"):
            print(f"{'PASS ' if got[0] == 'PASS' else 'XFAIL'} {name}"
                  + ("" if got[0] == "PASS" else f" # may fail: {want[1]}"))
            passed += 1
        elif got[0] != want[0]:
            print(f"FAIL  {name}: expected {want[0]}, got {got[0]}"
                  + (f" ({got[1]})" if got[1] else ""))
            failed += 1
        elif got[0] == "SKIP":
            print(f"SKIP  {name}" + (f" # {got[1]}" if got[1] else ""))
            skipped += 1
        elif got[0] == "FAIL":
            print(f"XFAIL {name} # {want[1]}")
            passed += 1
        else:
            print(f"PASS  {name}")
            passed += 1
    for i in bad:
        lo, hi = max(0, i - 2), min(len(dmesg), i + 12)
        print("dmesg report:\n  " + "\n  ".join(dmesg[lo:hi]))
        break
    if bad:
        print(f"dmesg: {len(bad)} offending lines in total, e.g.:")
        for i in bad[:20]:
            print("  " + dmesg[i])
    for n in notes:
        print(f"note: {n}")
    if notes and not failed:
        failed += 1
    print(f"{variant}: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
