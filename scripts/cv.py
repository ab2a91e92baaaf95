#!/usr/bin/env python3
"""Cross-validated choice of a setting over the committed folds of the measured patterns.

    scripts/cv.py [--folds data/folds/rruff-opxrd.csv] [--method M] LABEL=RANKS.csv[,RANKS.csv ...] ...

Each RANKS.csv comes from `xrdid eval ... --ranks RANKS.csv` run with one setting (columns name,
method, rank; rank 1 = the true phase first, 0 = not in the top 10). For every fold, the setting
with the best top-1 on the other folds (then top-5, then the order given: list the current default
first) is chosen and scored on the held-out fold; the held-out ranks together give the
cross-validated estimate, printed with a 95 % Wilson interval beside every setting's all-data
figures. A setting given several RANKS.csv (comma-separated: the same setting run on the patterns
as measured and under perturbations, `eval --perturb`, listed in the same order for every
setting) is scored on all of them pooled, each pattern in its fold in every run, and the held-out
estimate is also printed per run. `--complete-only` leaves out the patterns whose true CIF
probably lacks atoms (the ranks' reference_fill column below 0.5, xrd/crystal.hpp), in the choice
and in the estimate. Standard library only.
"""
import argparse
import csv
import math
import sys


def wilson(k, n, z=1.96):
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (100 * (c - h), 100 * (c + h))


def tops(ranks):
    n = len(ranks)
    return [100.0 * sum(1 for r in ranks if 0 < r <= k) / n if n else 0.0 for k in (1, 5, 10)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", default="data/folds/rruff-opxrd.csv")
    ap.add_argument("--method", help="only rows of this method (default: the only one in each file)")
    ap.add_argument("--complete-only", action="store_true",
                    help="only patterns whose true CIF is complete (reference_fill >= 0.5)")
    ap.add_argument("settings", nargs="+", metavar="LABEL=RANKS.csv")
    a = ap.parse_args()
    with open(a.folds) as f:
        fold = {row["name"]: int(row["fold"]) for row in csv.DictReader(f)}
    table = []  # (label, {(run, name): rank})
    incomplete = set()
    n_runs = 0
    for item in a.settings:
        label, _, path = item.partition("=")
        if not path:
            sys.exit(f"cv.py: '{item}' is not LABEL=RANKS.csv")
        ranks = {}
        paths = path.split(",")
        if table and len(paths) != n_runs:
            sys.exit(f"cv.py: '{label}' has {len(paths)} rank files, the first setting {n_runs}")
        n_runs = len(paths)
        for run, p in enumerate(paths):
            run_ranks = {}
            with open(p) as f:
                for row in csv.DictReader(f):
                    if a.method and row["method"] != a.method:
                        continue
                    run_ranks[row["name"]] = int(row["rank"])
                    if a.complete_only:
                        if "reference_fill" not in row:
                            sys.exit(f"cv.py: {p} has no reference_fill column (--complete-only)")
                        try:
                            fill = float(row["reference_fill"])
                        except ValueError:
                            sys.exit(f"cv.py: {p}: reference_fill of {row['name']} is not a number")
                        if 0 < fill < 0.5:
                            incomplete.add(row["name"])
            missing = sorted(set(fold) - set(run_ranks))
            if missing:
                sys.exit(f"cv.py: {p} lacks {len(missing)} patterns of the folds (e.g. {missing[0]})")
            ranks.update({(run, n): r for n, r in run_ranks.items()})
        table.append((label, ranks))
    fold = {n: k for n, k in fold.items() if n not in incomplete}
    names = sorted((run, n) for run in range(n_runs) for n in fold)
    k_folds = sorted(set(fold.values()))
    print(f"{len(fold)} patterns, {n_runs} run(s) each, {len(k_folds)} folds, {len(table)} settings")
    print(f"{'setting':<32} {'top-1':>7} {'top-5':>7} {'top-10':>7}   (all data)")
    for label, ranks in table:
        t = tops([ranks[n] for n in names])
        print(f"{label:<32} {t[0]:7.1f} {t[1]:7.1f} {t[2]:7.1f}")
    held = []
    for k in k_folds:
        train = [n for n in names if fold[n[1]] != k]
        best = max(range(len(table)), key=lambda i: (tops([table[i][1][n] for n in train])[:2], -i))
        test = [n for n in names if fold[n[1]] == k]
        held += [(n[0], table[best][1][n]) for n in test]
        unit = "pattern runs" if n_runs > 1 else "patterns"
        print(f"fold {k}: chose {table[best][0]} on {len(train)} {unit}; held-out {len(test)}: "
              + " / ".join(f"{x:.1f}" for x in tops([table[best][1][n] for n in test])))
    if n_runs > 1:
        for run in range(n_runs):
            t = tops([r for i, r in held if i == run])
            print(f"run {run + 1}: held-out top-1 {t[0]:.1f} %, top-5 {t[1]:.1f} %")
    held = [r for _, r in held]
    t = tops(held)
    n = len(held)
    lo, hi = wilson(round(t[0] * n / 100), n)
    print(f"cross-validated estimate: top-1 {t[0]:.1f} % (95 % CI {lo:.1f}-{hi:.1f}), top-5 {t[1]:.1f} %, "
          f"top-10 {t[2]:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
