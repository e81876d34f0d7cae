#!/usr/bin/env python3
"""report.py CSV OUTDIR KERNEL... : tables and a plot from bench.sh's CSV.

Writes OUTDIR/table.md (medians with min-max, ratios, icount repeatability)
and OUTDIR/bench.png (gnuplot, log scale). Times are in milliseconds.
"""
import csv
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


def main():
    src, out, kernels = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    runs = defaultdict(list)              # (kernel, run, measure, param) -> [ms]
    order = []
    for row in csv.DictReader(src.open()):
        key = (row["measure"], row["param"])
        if key not in order:
            order.append(key)
        runs[(row["kernel"], row["run"], *key)].append(int(row["ns"]) / 1e6)

    def med(k, run, m, p):
        v = runs.get((k, run, m, p))
        return statistics.median(v) if v else None

    def cell(k, run, m, p):
        v = runs.get((k, run, m, p))
        if not v:
            return "n/a"
        return f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "n/a"

    lines = ["# vfio-pci BAR mapping benchmark", "",
             "Milliseconds of guest time, median (min-max) of the repetitions.",
             "`icount`: guest clock counts instructions (-icount shift=0,sleep=off);",
             "`wall`: TCG wall clock, noisy. Produced by `make bench`.", ""]
    for run, title in (("icount1", "Instruction clock (icount run 1)"),
                       ("wall", "Wall clock")):
        lines += [f"## {title}", ""]
        head = "| measure | param | " + " | ".join(kernels)
        ratios = []
        if "patched" in kernels and "vanilla" in kernels:
            ratios.append(("patched", "vanilla"))
        if "patched" in kernels and "v6.12" in kernels:
            ratios.append(("patched", "v6.12"))
        head += "".join(f" | {a}/{b}" for a, b in ratios) + " |"
        lines += [head, "|" + "---|" * (2 + len(kernels) + len(ratios))]
        for m, p in order:
            row = f"| {m} | {p} | " + " | ".join(cell(k, run, m, p) for k in kernels)
            row += "".join(f" | {ratio(med(a, run, m, p), med(b, run, m, p))}"
                           for a, b in ratios)
            lines.append(row + " |")
        lines.append("")
    lines += ["## Revocation per mapping", "",
              "revoke (instruction clock, median) divided by the mappings it zaps:",
              "the forked mappers plus the parent's. Flat means linear growth.", "",
              "| mappers | " + " | ".join(kernels) + " |",
              "|" + "---|" * (1 + len(kernels))]
    for m, p in order:
        if m != "revoke":
            continue
        n = int(p.rstrip("proc")) + 1
        cells = [f"{v / n:.3f}" if (v := med(k, "icount1", m, p)) else "n/a"
                 for k in kernels]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += ["## icount repeatability", "",
              "Median of run 2 relative to run 1, same kernel and settings.", "",
              "| measure | param | " + " | ".join(kernels) + " |",
              "|" + "---|" * (2 + len(kernels))]
    for m, p in order:
        cells = []
        for k in kernels:
            a, b = med(k, "icount1", m, p), med(k, "icount2", m, p)
            cells.append(f"{(b - a) / a * 100:+.1f}%" if a and b else "n/a")
        lines.append(f"| {m} | {p} | " + " | ".join(cells) + " |")
    (out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    dat = out / "bench.dat"
    with dat.open("w") as f:
        f.write("measure " + " ".join(kernels) + "\n")
        for m, p in order:
            vals = [med(k, "icount1", m, p) for k in kernels]
            f.write(f"{m}:{p} " + " ".join(f"{v:.3f}" if v else "NaN" for v in vals) + "\n")
    plot = "\n".join([
        "set terminal pngcairo size 1200,600",
        f"set output '{out / 'bench.png'}'",
        "set style data histograms", "set style fill solid border -1",
        "set logscale y", "set ylabel 'ms (guest instruction clock, median)'",
        "set xtics rotate by -30", "set key top left autotitle columnhead",
        "set title 'vfio-pci BAR mapping costs'",
        "plot " + ", ".join(f"'{dat}' using {i + 2}:xtic(1)" for i in range(len(kernels))),
    ])
    subprocess.run(["gnuplot"], input=plot, text=True, check=False)


if __name__ == "__main__":
    main()
