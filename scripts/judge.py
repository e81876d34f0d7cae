#!/usr/bin/env python3
"""judge.py VARIANT LOG [--json FILE] [--partial] [--left-out PROG]...
                        [--only REGEX] [--clean-dmesg]
judge.py --expectations KERNEL

Judges a guest's serial log (scripts/boot.sh) against what the variant's
kernel must report, and prints one line per result, then
"VARIANT: N passed, N failed, N skipped"; --json FILE writes the same as
JSON, which the drivers sum.

What a log reports:
  - kselftest TAP results of each program run between "### test PROG" and
    "### test-end PROG" markers, named PROG:TEST, and PROG:finished;
  - KUnit KTAP results found in the guest's dmesg, named kunit:SUITE.CASE;
  - host-side checks and client results ("ok host.X", "ok client.X");
  - "dmesg": any kernel warning, BUG, oops, lockdep, KASAN or kmemleak
    report in the guest's dmesg fails it.

What a kernel must report: the shared lists of
expected/lists.conf that apply to it, then its own exceptions,
expected/KERNEL.txt. Lines are "NAME VERDICT [# reason]"; the verdicts
PASS, SKIP, FAIL (a behaviour the series fixes), MAYFAIL (a race the
kernel does not fix: PASS or FAIL accepted) and, for a whole program,
NOTRUN (not run there). Which verdicts a kernel may record depends on its
role (scripts/variants.conf's column 4; ROLE_MAY below); a reason is
needed for all but PASS. A result missing from the log, an unlisted
result, or any verdict that differs is a failure.

Plants and probes (role "plant:KERNEL", "probe:KERNEL") are judged against
KERNEL's expectations. A probe must pass them. A plant must fail them, and
where its flag "by-CATCHER" says, in that way (CATCHERS below): then it
counts as one pass ("caught"), else as one failure.

--partial judges only the test programs that ran (a run with ONLY= or
SKIP=): the results of a program (or of the clients, client.*) that left
nothing in the log are not counted as missing, and what only such a
program makes (FED_BY) is not judged.
--left-out PROG judges PROG as NOTRUN in this run: a boot left out on purpose.
--only REGEX judges only the results whose names match REGEX (from the
start), in the log and in the expectations (scripts/run-clients.sh).
--clean-dmesg expects the dmesg pseudo-test to PASS whatever the kernel's
expectations say (the clients alone must leave every kernel's log clean).
--expectations KERNEL prints what KERNEL must report (scripts/job.sh reads
its NOTRUN and MAYFAIL lines).
"""
import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXPECTED = REPO / "expected"
VERDICTS = ("PASS", "SKIP", "FAIL", "MAYFAIL", "NOTRUN")

# Which verdicts each role may record in its expectations. FAIL and NOTRUN
# record what the series fixes, so a reference kernel (vanilla 6.1,
# Debian's 6.12, 7.3) has them, and the stable form only for what a layer
# it leaves out fixes (the ours layer's type1 fixes; the reason names
# it). MAYFAIL is a race the kernel does not fix: on the references (the
# barmap race before v7.2), and on the stable form where only a layer it
# leaves out fixes one; never the product.
ROLE_MAY = {
    "product": {"PASS", "SKIP"},
    "stable": {"PASS", "SKIP", "FAIL", "MAYFAIL"},
    "ref": {"PASS", "SKIP", "FAIL", "MAYFAIL", "NOTRUN"},
}

# How a plant must be caught (its flag "by-CATCHER"): a pattern in the
# judged results or the guest's console (a fault that ends in an oops
# panics the guest, oops=panic, before it can dump its dmesg: then only
# the console has the oops and the taint a KASAN report left), or, for
# any other CATCHER, that result must fail.
CATCHERS = {
    "kasan": r"KASAN: [a-z-]+|Tainted: G +B ",
    "kmemleak": r"unreferenced object|Busy inodes",
}

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
CRASH = re.compile(r"BUG:|Oops|Kernel panic|Unable to handle|general protection|Bad page")

TAP = re.compile(r"^(not ok|ok)\s+\d+\s+(?:-\s+)?([^#]*?)\s*(?:#\s*(.*))?$")
# The host's watch on a boot (scripts/boot.sh): its events and, of QEMU's
# view of a silent guest, what tells where it stands (run state, LAPIC
# ISR/IRR/PPR, each vCPU's RIP and HLT flag, the jiffies read twice)
WATCH = re.compile(r"harness: (at |VM status|ISR|IRR|APR |RIP=|EIP=|[0-9a-f]{8,16}: )")
# ... which fail the run where the watch saw the VM stop or ended the
# guest; a dump alone (a guest quiet for 300 s that went on) does not
WATCH_FAILS = re.compile(r"harness: at \d+s (the VM status|.*the guest has stopped)")
RUN = re.compile(r"^#\s+RUN\s+(\S+)")
STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")


# --- the kernels -----------------------------------------------------------

def variant(name):
    """variants.conf's row of NAME: {base, patches, role, kernel, flags}"""
    for line in (REPO / "scripts" / "variants.conf").read_text().splitlines():
        f = line.split()
        if f and not f[0].startswith("#") and f[0] == name:
            role, _, kernel = f[3].partition(":")
            return {"name": name, "base": f[1], "patches": f[2], "role": role,
                    "kernel": kernel or name,
                    "flags": set(f[4].split(",")) if len(f) > 4 else set()}
    sys.exit(f"judge: no variant {name} in scripts/variants.conf")


def series_files(spec):
    """the series' patch files a variant's patches column names (as
    scripts/lib.sh's series_patches, without the "+FILE" extras)"""
    which, layer, files = spec.split("+")[0], None, []
    for line in (REPO / "patches" / "6.1" / "series").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            layer = line.strip("[]")
        elif (which == "all" or layer in which.split(",")
              or (which == "selftests" and "-selftests-" in line)):
            files.append(line)
    return files


def carries_kunit(v):
    """built with config/kunit.config: as scripts/lib.sh's fragments(),
    a kernel with a KUnit patch that is not a benchmark kernel"""
    return ("bench" not in v["flags"] and v["base"] == "6.1"
            and any("-KUnit-" in f for f in series_files(v["patches"])))


def applies(cond, v):
    """whether expected/lists.conf's condition COND holds for variant V"""
    if cond == "all":
        return True
    if cond == "kunit":            # built with the series' KUnit suites
        return carries_kunit(v)
    if cond.startswith("!"):
        return not applies(cond[1:], v)
    if cond.startswith("flag:"):
        return cond[5:] in v["flags"]
    sys.exit(f"judge: expected/lists.conf: unknown condition {cond}")


def load_list(path):
    """NAME -> (VERDICT, reason) from a list or exceptions file"""
    exp = {}
    if not path.exists():
        return exp
    for n, line in enumerate(path.read_text().splitlines(), 1):
        body, _, reason = line.partition("#")
        f = body.split()
        if not f:
            continue
        if len(f) != 2 or f[1] not in VERDICTS:
            sys.exit(f"{path}:{n}: expected 'NAME {'|'.join(VERDICTS)} [# reason]'")
        exp[f[0]] = (f[1], reason.strip())
    return exp


def shared(v):
    """the shared lists' expectations for variant V, in lists.conf order"""
    exp = {}
    for line in (EXPECTED / "lists.conf").read_text().splitlines():
        f = line.split("#")[0].split()
        if f and applies(f[1], v):
            exp.update(load_list(EXPECTED / "lists" / f[0]))
    return exp


def expectations(kernel):
    """what KERNEL must report: the shared lists, then its exceptions; a
    program the kernel does not run ("PROG NOTRUN") takes its cases along"""
    exp = shared(variant(kernel))
    own = load_list(EXPECTED / f"{kernel}.txt")
    for prog in [n for n, (want, _) in own.items() if want == "NOTRUN" and ":" not in n]:
        for k in [k for k in exp if k.startswith(prog + ":")]:
            del exp[k]
    exp.update(own)
    return exp


# The flags that decide how a kernel is built and booted: a plant or probe
# must share them with the kernel whose expectations judge it.
BUILD_FLAGS = ("kasan", "kvm", "bench", "iommu-amd", "clients")


def flag_errors(v):
    """a plant or probe built unlike the kernel it is judged as"""
    if v["kernel"] == v["name"]:
        return []
    k = variant(v["kernel"])
    mine = {f for f in v["flags"] if f in BUILD_FLAGS or f.startswith("arch-")}
    theirs = {f for f in k["flags"] if f in BUILD_FLAGS or f.startswith("arch-")}
    return [f"{v['name']} is built with {sorted(mine)}, {k['name']} with {sorted(theirs)}"
            ] if mine != theirs else []


def config_errors(kernel, exp):
    """expectations KERNEL's role may not record"""
    role = variant(kernel)["role"]
    may = ROLE_MAY.get(role)
    if may is None:
        return [f"{kernel} is a {role}: it has no expectations of its own"]
    errs = []
    for name, (want, reason) in sorted(exp.items()):
        if want not in may:
            errs.append(f"{name}: {want} may not be expected of a {role} kernel")
        elif want != "PASS" and not reason:
            errs.append(f"{name}: {want} needs a reason")
    return errs


# --- the log ---------------------------------------------------------------

def verdict(status, directive):
    if directive and directive.upper().startswith("SKIP"):
        return "SKIP"
    if directive and directive.upper().startswith("XFAIL"):
        return "FAIL"
    return "PASS" if status == "ok" else "FAIL"


def kunit_results(dmesg_lines):
    """kunit:SUITE.CASE results from the KTAP in dmesg"""
    results, suites = {}, []       # suites: KTAP nesting, (indent, name)
    for line in dmesg_lines:
        text = STAMP.sub("", line)
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
                results[f"kunit:{cur[-1][1]}.{m.group(2)}"] = (
                    verdict(m.group(1), m.group(3)), m.group(3))
    return results


def parse(text):
    """(results, dmesg lines, indexes of bad dmesg lines, notes) of a log"""
    results, notes, dmesg_lines, watch = {}, [], [], []
    prog, in_dmesg, running, saw_job_end = None, False, "", False
    for raw in text.splitlines():
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
        if line.startswith("### dmesg begin") or line.startswith("### dmesg end"):
            in_dmesg = line.startswith("### dmesg begin")
            continue
        if line.startswith("harness: guest"):
            notes.append(line)
        if WATCH.match(line):
            watch.append(line)
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
    results.update(kunit_results(dmesg_lines))
    bad = [i for i, line in enumerate(dmesg_lines) if BAD.search(STAMP.sub("", line))]
    results["dmesg"] = ("FAIL" if bad else "PASS", None)
    if not saw_job_end:
        notes.append("guest did not finish its job")
    if any(WATCH_FAILS.match(line) for line in watch):
        notes += watch
    return results, dmesg_lines, bad, notes


# --- judging ---------------------------------------------------------------

def program(name):
    """the program a result belongs to ("client" for client.*)"""
    return name.split(":")[0] if ":" in name else name.split(".")[0]


def ran_programs(results):
    """the programs (and "client") that left results in a log"""
    progs = {k.split(":")[0] for k in results if ":" in k}
    return progs | ({"client"} if any(k.startswith("client.") for k in results) else set())


def trim_partial(exp, results):
    """--partial: forget what the programs that did not run would report"""
    ran = ran_programs(results)
    for name in [k for k in exp if k not in results]:
        if program(name) not in ran and name != "dmesg" and not name.startswith("host."):
            del exp[name]
    for name, prog in FED_BY.items():
        if prog in ran or (name == "dmesg" and exp.get(name, ("",))[0] != "FAIL"):
            continue
        exp.pop(name, None)
        results.pop(name, None)


def compare(exp, results):
    """[(outcome, name, text)]: outcome pass, fail or skip"""
    out = []
    for name, (want, reason) in sorted(exp.items()):
        if want != "NOTRUN":
            continue
        del exp[name]
        if any(r.startswith(name + ":") for r in results):
            out.append(("fail", name, f"FAIL  {name}: NOTRUN, but it ran"))
        else:
            out.append(("skip", name, f"SKIP  {name} # not run: {reason}"))
    for name in sorted(set(exp) | set(results)):
        want, reason = exp.get(name, (None, ""))
        got, detail = results.get(name, ("MISSING", None))
        prog = name.split(":")[0]
        if got == "MISSING" and results.get(f"{prog}:finished", ("",))[0] == "FAIL":
            got, detail = "FAIL", f"{prog} did not finish"
        if want is None:
            out.append(("fail", name, f"FAIL  {name}: not expected (got {got})"))
        elif want == "MAYFAIL" and got in ("PASS", "FAIL"):
            out.append(("pass", name, f"PASS  {name}" if got == "PASS"
                        else f"XFAIL {name} # may fail: {reason}"))
        elif got != want:
            out.append(("fail", name, f"FAIL  {name}: expected {want}, got {got}"
                        + (f" ({detail})" if detail else "")))
        elif got == "SKIP":
            out.append(("skip", name, f"SKIP  {name}" + (f" # {detail}" if detail else "")))
        elif got == "FAIL":
            out.append(("pass", name, f"XFAIL {name} # {reason}"))
        else:
            out.append(("pass", name, f"PASS  {name}"))
    return out


def caught(v, lines, log_text, failed):
    """(caught?, how) for a plant whose run failed its kernel's expectations
    FAILED times"""
    by = [f[3:] for f in v["flags"] if f.startswith("by-")]
    if not failed:
        return False, "its run passes " + v["kernel"] + "'s expectations"
    if not by:
        names = [l.split()[1].rstrip(":") for l in lines if l.startswith("FAIL  ")]
        return True, f"{failed} failed results: " + ", ".join(names[:4]) + (
            ", ..." if len(names) > 4 else "")
    pat = CATCHERS.get(by[0])
    if pat:
        m = re.search(pat + ".{0,60}", "\n".join(lines) + "\n" + log_text)
        return bool(m), (f"by {by[0]}: {m.group(0)}" if m else f"not by {by[0]}")
    hit = any(re.match(rf"FAIL  {re.escape(by[0])}: expected \w+, got FAIL", line)
              for line in lines)
    return hit, f"by {by[0]} failing" if hit else f"{by[0]} did not fail"


def judge(name, log, args):
    v = variant(name)
    kernel = v["kernel"]
    log_text = log.read_text(errors="replace")
    results, dmesg, bad, notes = parse(log_text)
    exp = expectations(kernel)
    errors = config_errors(kernel, exp) + flag_errors(v)
    if args.only:
        results = {k: r for k, r in results.items() if re.match(args.only, k)}
        exp = {k: e for k, e in exp.items() if re.match(args.only, k)}
    if args.clean_dmesg and "dmesg" in exp:
        exp["dmesg"] = ("PASS", "")
    for prog in args.left_out:
        for k in [k for k in exp if k.startswith(prog + ":")]:
            del exp[k]
        exp[prog] = ("NOTRUN", "left out of this run (STORM=0, or a storm boot made by hand: STORM=1)")
    if args.partial:
        trim_partial(exp, results)
    out = compare(exp, results)
    lines = [f"CONFIG {e}" for e in errors] + [t for _, _, t in out]
    if bad:
        i = bad[0]
        lines.append("dmesg report:\n  " + "\n  ".join(dmesg[max(0, i - 2):i + 12]))
        lines.append(f"dmesg: {len(bad)} offending lines in total, e.g.:")
        lines += ["  " + dmesg[i] for i in bad[:20]]
    lines += [f"note: {n}" for n in notes]
    count = {o: sum(1 for x, _, _ in out if x == o) for o in ("pass", "fail", "skip")}
    count["fail"] += len(errors) + (1 if notes and not count["fail"] else 0)
    res = {"variant": name, "judged_as": kernel, "role": v["role"], "log": str(log),
           "results": {n: {"outcome": o, "line": t} for o, n, t in out},
           "notes": notes, "config_errors": errors}
    if v["role"] == "plant" and errors:
        lines.append(f"NOT CAUGHT {name}: its expectations or flags are wrong (CONFIG above)")
        res.update(caught=False, how="config errors")
        count = {"pass": 0, "fail": 1, "skip": 0}
    elif v["role"] == "plant":
        ok, how = caught(v, lines, "\n".join(l for l in log_text.splitlines()
                                             if CRASH.search(l) or "Tainted:" in l),
                         count["fail"])
        lines.append(f"{'CAUGHT' if ok else 'NOT CAUGHT'} {name}: {how}")
        res.update(caught=ok, how=how)
        count = {"pass": int(ok), "fail": int(not ok), "skip": 0}
    if v["role"] == "probe":
        probes = [l for l in log_text.splitlines() if l.startswith("probe: ")]
        lines += probes[-20:]
        res["probe"] = probes[-1] if probes else None
    res.update(passed=count["pass"], failed=count["fail"], skipped=count["skip"])
    lines.append(f"{name}: {count['pass']} passed, {count['fail']} failed, {count['skip']} skipped")
    return res, lines


def main():
    if sys.argv[1:2] == ["--expectations"] and len(sys.argv) == 3:
        for name, (want, reason) in sorted(expectations(sys.argv[2]).items()):
            print(f"{name} {want}" + (f"  # {reason}" if reason else ""))
        return 0
    ap = argparse.ArgumentParser(usage=__doc__.splitlines()[0])
    ap.add_argument("variant")
    ap.add_argument("log", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--partial", action="store_true")
    ap.add_argument("--left-out", action="append", default=[])
    ap.add_argument("--only")
    ap.add_argument("--clean-dmesg", action="store_true")
    args = ap.parse_args()
    res, lines = judge(args.variant, args.log, args)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 1 if res["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
