#!/usr/bin/env python3
"""tables.py CSV OUTDIR : tables, targets and plots from bench.sh's CSV.

Writes OUTDIR/table.md (the production table with ratios, the scale
curve's growth factors, the fault counts, the VM start, the debug
table, repeatability, the targets) and OUTDIR/{scale,prod-1g,vmstart}.png
(gnuplot). Times are milliseconds of guest instruction time (-icount
shift=0,sleep=off: 1 ns per instruction), the median of the repetitions
of the first boot ("icount1") unless said otherwise.
"""
import csv
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

BASES = ["vanilla", "stable", "patched", "v6.12", "v7.3", "v7.3-ours"]
SIZES = ["256M", "1G", "4G", "16G"]
ALIGNS = ["unaligned", "aligned", "misaligned"]
RATIOS = [("patched", "vanilla"), ("stable", "vanilla"), ("patched", "v6.12"),
          ("patched", "v7.3"), ("v7.3-ours", "v7.3")]
# (measure, param, label); "cycle" is dma_map + dma_unmap of one repetition
ROWS = [
    ("touch", "1thr", "first touch, 1 thread"),
    ("touch_minflt", "1thr", "  minor faults in it"),
    ("touch", "4thr", "first touch, 4 threads"),
    ("touch_minflt", "4thr", "  minor faults in it"),
    ("revoke", "1proc", "revoke, whole-BAR mapping + 1 mapper"),
    ("refault", "1proc", "restore + touch the whole BAR again"),
    ("refault_minflt", "1proc", "  minor faults in it"),
    ("revoke", "8proc", "revoke, whole-BAR mapping + 8 mappers"),
    ("refault", "8proc", "restore + touch again (8 mappers)"),
    ("revoke", "64proc", "revoke, whole-BAR mapping + 64 mappers"),
    ("refault", "64proc", "restore + touch again (64 mappers)"),
    ("dma_map", "untouched", "MAP_DMA, untouched"),
    ("dma_map_minflt", "untouched", "  minor faults in it"),
    ("dma_unmap", "untouched", "UNMAP_DMA (after untouched map)"),
    ("cycle", "untouched", "MAP+UNMAP cycle, untouched"),
    ("dma_map", "touched", "MAP_DMA, touched"),
    ("dma_unmap", "touched", "UNMAP_DMA (after touched map)"),
    ("cycle", "touched", "MAP+UNMAP cycle, touched"),
    ("mmap_munmap", "x1000", "1000 x mmap + munmap"),
    ("open_close", "x1000", "1000 x device open + close"),
]
SCALED = [r for r in ROWS if r[0] not in ("mmap_munmap", "open_close")
          and r[1] not in ("4thr", "8proc", "64proc")]
VMSTART = [("start_to_enabled", "QEMU start -> BAR enabled (DMA-mapped)"),
           ("start_to_up", "QEMU start -> inner guest's first line"),
           ("up_to_enabled", "inner guest up -> BAR enabled"),
           ("reboot_to_enabled", "inner reboot -> BAR enabled again"),
           ("start_to_exit", "QEMU start -> exit (2 boots, checks)")]


def is_count(m):
    return m.endswith("_minflt") or m == "addr_align"


def base_of(k):
    return k[:-6] if k.endswith("-bench") else k


def load(src):
    """(table, base kernel, size, run, measure, param, align) -> {rep: value}
    from bench.sh's CSV, times in ms, with the MAP+UNMAP cycle of each
    repetition"""
    data = defaultdict(dict)
    for row in csv.DictReader(src.open()):
        m, v = row["measure"], float(row["value"])
        if not is_count(m):
            v /= 1e6
        key = (row["table"], base_of(row["kernel"]), row["size"], row["run"],
               m, row["param"], row["align"])
        data[key][row["rep"]] = v
    for key in list(data):
        t, k, s, run, m, p, a = key
        if m == "dma_map" and (t, k, s, run, "dma_unmap", p, a) in data:
            um = data[(t, k, s, run, "dma_unmap", p, a)]
            data[(t, k, s, run, "cycle", p, a)] = {
                r: v + um[r] for r, v in data[key].items() if r in um}
    return data


class Bench:
    """the measurements, and which kernels each table has"""

    def __init__(self, data):
        self.data = data
        self.prod, self.debug = self.present("prod"), self.present("debug")
        self.rat = [(a, b) for a, b in RATIOS if a in self.prod and b in self.prod]

    def present(self, t):
        return [k for k in BASES if any(key[0] == t and key[1] == k for key in self.data)]

    def vals(self, t, k, s, m, p, a, run="icount1"):
        return list(self.data.get((t, k, s, run, m, p, a), {}).values())

    def med(self, *args, **kw):
        v = self.vals(*args, **kw)
        return statistics.median(v) if v else None


def fmt(v, m):
    if v is None:
        return "n/a"
    if is_count(m):
        return f"{v:.0f}"
    return f"{v:.3g}" if v < 1 else f"{v:.1f}" if v < 1000 else f"{v:.0f}"


def ratio(a, b):
    return f"{a / b:.3g}" if a is not None and b else "n/a"


def header():
    """the table's title and how to read it"""
    return ["# vfio-pci BAR mapping benchmark", "",
         "Produced by `make bench` (scripts/bench.sh, bench/tables.py). Guest time under",
         "`-icount shift=0,sleep=off` with one vCPU: 1 ns = 1 guest instruction, so the",
         "figures are instruction counts, independent of the host's load. Milliseconds,",
         "median of the repetitions of one boot; `*_minflt` rows are minor fault counts",
         "(getrusage), not times. `aligned`: the mapping's address aligned to the BAR's",
         "size or 1 GiB (QEMU 9.2+); `unaligned`: where mmap() put it (DPDK, QEMU 7.2);",
         "`misaligned`: 4 KiB past a 2 MiB boundary, where no PMD or PUD mapping fits",
         "(the worst case, e.g. an application's own hint address).", ""]


def production(bench):
    """the production kernels: every size, measure and placement"""
    prod, rat, med, vals = bench.prod, bench.rat, bench.med, bench.vals
    L = []
    L += ["## Production kernels (config/bench*.config)", ""]
    L += ["Address alignment of the `unaligned` mappings (first touch, every"
          " repetition, smallest seen), per kernel and BAR size:", ""]
    L += ["| kernel | " + " | ".join(SIZES) + " |", "|---" * (1 + len(SIZES)) + "|"]
    for k in prod:
        cells = []
        for s in SIZES:
            v = [x for run in ("icount1", "icount2")
                 for x in vals("prod", k, s, "addr_align", "1thr", "unaligned", run=run)]
            cells.append(human_bytes(min(v)) if v else "n/a")
        L.append(f"| {k} | " + " | ".join(cells) + " |")
    L.append("")
    for s in SIZES:
        if not any(vals("prod", k, s, "touch", "1thr", a) for k in prod for a in ALIGNS):
            continue
        L += [f"### BAR {s}", "",
              "| measure | align | " + " | ".join(prod) + "".join(
                  f" | {a}/{b}" for a, b in rat) + " |",
              "|---" * (2 + len(prod) + len(rat)) + "|"]
        for m, p, label in ROWS:
            for a in ([ "-"] if m == "open_close" else ALIGNS):
                meds = {k: med("prod", k, s, m, p, a) for k in prod}
                if all(v is None for v in meds.values()):
                    continue
                L.append(f"| {label} | {a} | " + " | ".join(fmt(meds[k], m) for k in prod)
                         + "".join(f" | {ratio(meds[x], meds[y]) if not is_count(m) else '-'}"
                                   for x, y in rat) + " |")
        L.append("")
    return L


def scale(bench):
    """(lines, growth per 4x of each measure) of the production kernels"""
    prod, med = bench.prod, bench.med
    L = []
    L += ["## Scale: cost against BAR size", "",
          "Growth factor per 4x in BAR size (value at the larger size / value at the",
          "smaller one); linear growth is 4.0. Production kernels, icount1 medians.", ""]
    L += ["| measure | align | kernel | " + " | ".join(SIZES) + " | "
          + " | ".join(f"x {SIZES[i]}->{SIZES[i + 1]}" for i in range(len(SIZES) - 1))
          + " | max |", "|---" * (4 + 2 * len(SIZES) - 1 + 1) + "|"]
    growth = {}
    for m, p, label in SCALED:
        if m.endswith("_minflt"):
            continue
        for a in ALIGNS:
            for k in prod:
                v = [med("prod", k, s, m, p, a) for s in SIZES]
                if all(x is None for x in v):
                    continue
                g = [v[i + 1] / v[i] if v[i] and v[i + 1] else None
                     for i in range(len(v) - 1)]
                growth[(m, p, a, k)] = g
                gm = max((x for x in g if x is not None), default=None)
                L.append(f"| {label} | {a} | {k} | " + " | ".join(fmt(x, m) for x in v)
                         + " | " + " | ".join(f"{x:.2f}" if x else "n/a" for x in g)
                         + (f" | {gm:.2f} |" if gm else " | n/a |"))
    L.append("")
    return L, growth


def faults(bench):
    """the minor faults of the first touch and of MAP_DMA untouched"""
    prod, med = bench.prod, bench.med
    L = []
    L += ["## Minor faults of the first touch (1 thread) and of MAP_DMA untouched", "",
          "One fault per vma on 6.1 (the whole vma is mapped on the first fault), one",
          "per 4 KiB page, 2 MiB (PMD) or 1 GiB (PUD) mapping on 6.12 and 7.3.", "",
          "| kernel | measure | align | " + " | ".join(SIZES) + " |",
          "|---" * (3 + len(SIZES)) + "|"]
    for k in prod:
        for m, p in (("touch_minflt", "1thr"), ("dma_map_minflt", "untouched")):
            for a in ALIGNS:
                L.append(f"| {k} | {m} | {a} | " + " | ".join(
                    fmt(med("prod", k, s, m, p, a), m) for s in SIZES) + " |")
    L.append("")
    return L


def vm_start(bench):
    """the VM start table, where it was measured"""
    data, present = bench.data, bench.present
    L = []
    vk = present("vmstart")
    if vk:
        L += ["## VM start with a 16 GiB BAR (nested QEMU 7.2, clients/mini.c)", "",
              "Outer guest's instruction clock (CLOCK_MONOTONIC under -icount), from the",
              "start of QEMU in the outer guest to the line the second-level guest",
              "prints right after enabling the BAR it programmed (QEMU has DMA-mapped",
              "the BAR by then). QEMU 7.2 does not align BAR mmaps: 6.12's and 7.3's",
              "figures are their unaligned case. Run 0 also reads QEMU from the 9p root;",
              "run 1 is warm.", ""]
        vrat = [(a, b) for a, b in RATIOS if a in vk and b in vk]
        L += ["| phase | run | " + " | ".join(vk) + "".join(f" | {a}/{b}" for a, b in vrat)
              + " |", "|---" * (2 + len(vk) + len(vrat)) + "|"]
        reps = sorted({r for key, d in data.items() if key[0] == "vmstart" for r in d})
        for ph, label in VMSTART:
            for r in reps:
                v = {k: data.get(("vmstart", k, "16G", "icount1", "vmstart", ph,
                                  "unaligned"), {}).get(r) for k in vk}
                L.append(f"| {label} | {r} | " + " | ".join(fmt(v[k], "t") for k in vk)
                         + "".join(f" | {ratio(v[x], v[y])}" for x, y in vrat) + " |")
        L.append("")
    return L


def debug_table(bench):
    """the debug kernels at 1 GiB, against the production ones"""
    prod, debug, med = bench.prod, bench.debug, bench.med
    L = []
    if debug:
        drat = [(a, b) for a, b in RATIOS if a in debug and b in debug]
        L += ["## Debug kernels (the test kernels: lockdep, DEBUG_VM; no THP), BAR 1 GiB", "",
              "debug/prod: the debug kernel's time over the production kernel's.", "",
              "| measure | align | " + " | ".join(debug)
              + "".join(f" | {a}/{b}" for a, b in drat)
              + "".join(f" | {k} debug/prod" for k in debug if k in prod) + " |",
              "|---" * (2 + len(debug) + len(drat) + len([k for k in debug if k in prod])) + "|"]
        for m, p, label in ROWS:
            for a in (["-"] if m == "open_close" else ALIGNS):
                meds = {k: med("debug", k, "1G", m, p, a) for k in debug}
                if all(v is None for v in meds.values()):
                    continue
                r = ratio if not is_count(m) else (lambda x, y: "-")
                L.append(f"| {label} | {a} | " + " | ".join(fmt(meds[k], m) for k in debug)
                         + "".join(f" | {r(meds[x], meds[y])}" for x, y in drat)
                         + "".join(f" | {r(meds[k], med('prod', k, '1G', m, p, a))}"
                                   for k in debug if k in prod) + " |")
        L.append("")
    return L


def repeatability(bench):
    """(lines, the between-boot and within-boot spreads)"""
    prod, med, vals = bench.prod, bench.med, bench.vals
    L = []
    L += ["## Repeatability", "",
          "Between boots: the median of the second boot (icount2) relative to the first",
          "(icount1), same kernel, BAR size and settings. Within a boot: (max - min) /",
          "median of the repetitions. Time measures only.", ""]
    between, within = [], []
    rows_b = []
    for k in prod:
        for s in SIZES:
            for m, p, label in ROWS + [("cycle", "untouched", ""), ]:
                if is_count(m):
                    continue
                for a in ALIGNS:
                    a1, a2 = med("prod", k, s, m, p, a), med("prod", k, s, m, p, a, run="icount2")
                    v = vals("prod", k, s, m, p, a)
                    if len(v) > 1 and statistics.median(v) > 0:
                        within.append(((max(v) - min(v)) / statistics.median(v), k, s, m, p, a,
                                       statistics.median(v)))
                    if a1 and a2:
                        d = (a2 - a1) / a1
                        between.append((abs(d), k, s, m, p, a, a1))
                        rows_b.append((k, s, m, p, a, a1, a2, d))
    seen = set()
    L += ["| kernel | size | measure | align | boot 1 | boot 2 | difference |",
          "|---|---|---|---|---|---|---|"]
    for k, s, m, p, a, a1, a2, d in rows_b:
        if (k, s, m, p, a) in seen:
            continue
        seen.add((k, s, m, p, a))
        L.append(f"| {k} | {s} | {m} {p} | {a} | {fmt(a1, m)} | {fmt(a2, m)} | {d * 100:+.2f}% |")
    L.append("")

    def summary(rows, title):
        out = []
        for lo, hi, name in ((1.0, 1e18, "above 1 ms"), (0, 1.0, "below 1 ms")):
            sel = [r for r in rows if lo <= r[-1] < hi]
            if sel:
                worst = max(sel)
                out.append(f"- {title}, measures {name}: median {statistics.median([r[0] for r in sel]) * 100:.2f}%,"
                           f" worst {worst[0] * 100:.2f}% ({worst[1]} {worst[2]} {worst[3]} {worst[4]} {worst[5]})")
        return out
    L += summary(between, "between boots") + summary(within, "within a boot") + [""]
    return L, between, within


def targets(bench, growth, between, within):
    """the performance issue's targets, met or missed"""
    data, med = bench.data, bench.med
    L = []
    L += ["## Targets (production kernels, icount1)", ""]
    tol_touch = max([r[0] for r in between if r[3] == "touch" and r[4] == "1thr"]
                    + [r[0] for r in within if r[3] == "touch" and r[4] == "1thr"
                       and r[1] in ("vanilla", "patched") and r[2] == "1G"], default=0)
    found = []

    def t(name, ok, detail):
        found.append((name, ok, detail))

    pv = lambda s, m, p, a: (med("prod", "patched", s, m, p, a), med("prod", "vanilla", s, m, p, a))
    p_, v_ = pv("1G", "touch", "1thr", "unaligned")
    if p_ and v_:
        t("first touch 1 GiB unaligned, 1 thread: patched <= 1.0 x vanilla",
          p_ / v_ <= 1 + tol_touch,
          f"{p_ / v_:.3f} x ({fmt(p_, 't')} vs {fmt(v_, 't')} ms); repeatability of the"
          f" measure {tol_touch * 100:.2f}%")
    s_ = med("prod", "stable", "1G", "touch", "1thr", "unaligned")
    if s_ and v_:
        t("first touch 1 GiB unaligned, stable: reported", None,
          f"{fmt(s_, 't')} ms, {s_ / v_:.2f} x vanilla (the price of the stable form)")
    for a in ALIGNS:
        for m, lim, name in (("dma_map", 0.1, "MAP_DMA 1 GiB untouched"),):
            p_, v_ = pv("1G", m, "untouched", a)
            if p_ and v_:
                t(f"{name} ({a}): patched <= 0.1 x vanilla", p_ / v_ <= lim,
                  f"{p_ / v_:.4f} x ({fmt(p_, 't')} vs {fmt(v_, 't')} ms)")
        for prm in ("untouched", "touched"):
            p_, v_ = pv("1G", "dma_unmap", prm, a)
            if p_ and v_:
                t(f"UNMAP_DMA 1 GiB ({prm} map, {a}): patched <= 0.1 x vanilla", p_ / v_ <= 0.1,
                  f"{p_ / v_:.4f} x ({fmt(p_, 't')} vs {fmt(v_, 't')} ms)")
        for prm in ("untouched", "touched"):
            p_, v_ = pv("16G", "cycle", prm, a)
            if p_ and v_:
                t(f"MAP+UNMAP cycle 16 GiB ({prm}, {a}): patched >= 10x faster than vanilla",
                  v_ / p_ >= 10, f"{v_ / p_:.1f}x faster ({fmt(p_, 't')} vs {fmt(v_, 't')} ms)")
    for k in ("patched", "vanilla"):
        bad = [(max(x for x in g if x), m, p, a) for (m, p, a, kk), g in growth.items()
               if kk == k and any(g) and max(x for x in g if x) > 4.2]
        allg = [x for (m, p, a, kk), g in growth.items() if kk == k for x in g if x]
        if allg:
            t(f"growth per 4x BAR size <= 4.2x, every measure, {k}", not bad,
              f"max {max(allg):.2f}" + ("; over: " + ", ".join(
                  f"{m} {p} {a} {g:.2f}" for g, m, p, a in sorted(bad, reverse=True)) if bad else ""))
    vs = lambda k: statistics.median(list(data.get(("vmstart", k, "16G", "icount1", "vmstart",
                                                     "start_to_enabled", "unaligned"), {}).values()) or [0]) or None
    if vs("patched") and vs("vanilla"):
        gap = f"; 6.12: {fmt(vs('v6.12'), 't')} ms, patched/6.12 {vs('patched') / vs('v6.12'):.3f}" \
            if vs("v6.12") else ""
        t("VM start, 16 GiB BAR: patched <= vanilla", vs("patched") <= vs("vanilla"),
          f"{fmt(vs('patched'), 't')} vs {fmt(vs('vanilla'), 't')} ms"
          f" ({vs('patched') / vs('vanilla'):.3f} x){gap}")
    L += ["| target | result | figures |", "|---|---|---|"]
    for name, ok, detail in found:
        L.append(f"| {name} | {'reported' if ok is None else 'met' if ok else 'MISSED'} | {detail} |")
    L.append("")
    return L


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    bench = Bench(load(src))
    L = header() + production(bench)
    lines, growth = scale(bench)
    L += lines + faults(bench) + vm_start(bench) + debug_table(bench)
    lines, between, within = repeatability(bench)
    L += lines + targets(bench, growth, between, within)
    (out / "table.md").write_text("\n".join(L) + "\n")
    print("\n".join(L))
    plots(out, bench.data, bench.prod, bench.med)


def human_bytes(v):
    v = int(v)
    for unit, n in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= n:
            return f"{v // n} {unit}"
    return f"{v} B"


def plots(out, data, prod, med):
    """scale.png: each measure against BAR size (log-log), a panel each;
    prod-1g.png: the production kernels at 1 GiB; vmstart.png."""
    panels = [r for r in SCALED if not r[0].endswith("_minflt")]
    dat = out / "scale.dat"
    # gnuplot fails on a curve with no point: those are left out
    has_data = []
    with dat.open("w") as f:
        for m, p, label in panels:
            for a in ALIGNS:
                for k in prod:
                    f.write(f"# {m} {p} {a} {k}\n")
                    vals = [med("prod", k, s, m, p, a) for s in SIZES]
                    for i, v in enumerate(vals):
                        f.write(f"{256 * 4 ** i} {v if v else 'NaN'}\n")
                    f.write("\n\n")
                    has_data.append(any(vals))
    cmds = ["set terminal pngcairo size 1800,1200 font ',9' noenhanced", "set xrange [200:20000]",
            f"set output '{out / 'scale.png'}'",
            "set multiplot layout 3,3 title 'vfio-pci BAR mapping cost against BAR size "
            "(production kernels, guest instruction clock; solid: unaligned, dashed: aligned, dotted: misaligned)'",
            "set logscale xy", "set xlabel 'BAR MiB'", "set ylabel 'ms'",
            "set key top left font ',8'", "set grid",
            "set xtics ('256M' 256, '1G' 1024, '4G' 4096, '16G' 16384)"]
    colors = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd"]
    idx = 0
    for m, p, label in panels:
        parts = []
        for ai, a in enumerate(ALIGNS):
            for ki, k in enumerate(prod):
                if has_data[idx]:
                    parts.append(f"'{dat}' index {idx} using 1:2 with linespoints lw 2 "
                                 f"dt {1 + ai} lc rgb '{colors[ki % 4]}' title '{k} {a[0:2]}'")
                idx += 1
        if parts:
            cmds.append(f"set title '{label.strip()}'")
            cmds.append("plot " + ", ".join(parts))
    cmds.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(cmds), text=True, check=False)

    dat1 = out / "prod-1g.dat"
    keys = [(m, p, a) for m, p, _ in ROWS if not m.endswith("_minflt")
            for a in (["-"] if m == "open_close" else ALIGNS)]
    with dat1.open("w") as f:
        f.write("measure " + " ".join(prod) + "\n")
        for m, p, a in keys:
            v = [med("prod", k, "1G", m, p, a) for k in prod]
            if all(x is None for x in v):
                continue
            f.write(f"{m}:{p}:{a[:2]} " + " ".join(f"{x:.4f}" if x else "NaN" for x in v) + "\n")
    subprocess.run(["gnuplot"], input="\n".join([
        "set terminal pngcairo size 1600,700 font ',9' noenhanced", f"set output '{out / 'prod-1g.png'}'",
        "set style data histograms", "set style fill solid border -1", "set logscale y",
        "set ylabel 'ms (guest instruction clock, median)'", "set xtics rotate by -40",
        "set key top left autotitle columnhead",
        "set title 'vfio-pci BAR mapping costs, 1 GiB BAR, production kernels'",
        "plot " + ", ".join(f"'{dat1}' using {i + 2}:xtic(1)" for i in range(len(prod)))]),
        text=True, check=False)


if __name__ == "__main__":
    main()
