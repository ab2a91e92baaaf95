#!/usr/bin/env python3
"""Scores `xrdid identify --mixture` on measured mixtures whose phases are named in the file name
(Dara: `A_B_C.12-min.xrdml`; XRD-AutoAnalyzer: `A+B+C.xy`): per file, the named phases against
the phases found, compared by composition (La(OH)3 = LaH3O3; polymorph suffixes such as -alpha
ignored; NaAlO2-1.5H2O names one hydrate). Standard library only.

    scripts/eval_mixtures.py XRDID FILE... [--save runs.jsonl] [-- identify options]
    scripts/eval_mixtures.py --choose runs.jsonl... [--folds 5] [--stepwise] [--apply-to other.jsonl...]

Prints one line per file and the totals: recall (named phases found), precision (found phases
that are named), files whose set is exactly right, files with exactly one phase found. A
single-phase pattern named FORMULA_SPACEGROUP.xy (RRUFF/opXRD) names its one phase. Hydrogen is left out of the comparison (X-ray
structures often omit it). --save keeps each file's named phases and the phases found, in order,
with their chi2_drop, lines_chi2_drop, weight_fraction (and its ESD), hit_bound, March–Dollase
r and cell volume change, and the fit's Rwp, GoF and axis (d-spacing scale, calibrated slope
and offset); --choose takes such runs (made with permissive thresholds: --min-chi2-drop 0 --min-lines-chi2-drop 0 --min-weight-fraction 0
--mixture-max-volume-change 0) and chooses the three thresholds and the largest cell volume
change (when every phase of the runs carries one) by k-fold cross-validation over the files
(fold = file index mod k, files sorted by name; several files are pooled), maximising the F1 of
recall and precision; it prints the held-out estimate, with the share of single-phase files
answered with one phase. A set of thresholds keeps the first phase and every later one that
passes all of them (as
--mixture-selection prune removes the others), or with --stepwise the phases up to the first
that fails one (as --mixture-selection stepwise stops there). --apply-to scores runs of the same
files made otherwise (e.g. with another library) on each held-out fold, with the thresholds
chosen on the other folds of the --choose runs.
"""
import json
import re
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path


def composition(formula):
    """'La(OH)3' -> {'La': 1/7, 'O': 3/7, 'H': 3/7} (fractions of atoms)."""
    def parse(s, i=0):
        c = Counter()
        while i < len(s):
            if s[i] == "(":
                inner, i = parse(s, i + 1)
                m = re.match(r"\d*\.?\d*", s[i:])
                n = float(m.group(0)) if m.group(0) else 1.0
                i += len(m.group(0))
                for k, v in inner.items():
                    c[k] += v * n
            elif s[i] == ")":
                return c, i + 1
            else:
                m = re.match(r"([A-Z][a-z]?)(\d*\.?\d*)", s[i:])
                if not m:
                    i += 1
                    continue
                c[m.group(1)] += float(m.group(2)) if m.group(2) else 1.0
                i += len(m.group(0))
        return c, i
    c, _ = parse(formula.replace(" ", ""))
    c.pop("H", None)
    tot = sum(c.values())
    return tuple(sorted((k, round(v / tot, 4)) for k, v in c.items()))


def named_phases(path):
    stem = re.sub(r"\.(\d+-min\.xrdml|xy|xye|xrdml)$", "", path.name)
    parts = re.split(r"[_+]", stem) if "_" in stem or "+" in stem else [stem]
    if len(parts) == 2 and parts[1].isdigit():  # RRUFF/opXRD single phase: FORMULA_SPACEGROUP
        parts = parts[:1]
    out = []
    for p in parts:
        p = re.sub(r"-(alpha|beta|gamma|\d+)$", "", p)
        if p.endswith("-min"):
            continue
        for q in (q for q in p.split("-") if q):
            m = re.fullmatch(r"(\d*\.?\d*)H2O", q)
            if m and out:  # NaAlO2-1.5H2O: one hydrate, NaAlO2·1.5H2O, not a second phase
                out[-1] += f"(H2O){m.group(1) or 1}"
            else:
                out.append(q)
    return out


INF = float("inf")
# Largest |cell volume change| (%) a further phase may have; INF: no limit.
VOLUME_THRESHOLDS = (INF, 4.0, 3.0, 2.0, 1.5, 1.0, 0.75, 0.5)


def score(runs, t_drop, t_wf, t_lines=0.0, t_volume=INF, stepwise=False):
    """Totals over runs when the phases below any threshold (or whose cell volume moved by more
    than t_volume per cent) are left out (stepwise: the list stops at the first): named phases,
    those found, phases found, exact sets, single-phase files, those answered with one."""
    named = hit = found = exact = single = single_one = 0
    for r in runs:
        want = {tuple(map(tuple, w)) for w in r["want"]}
        got = []
        for k, g in enumerate(r["got"]):
            if k > 0 and (g["chi2_drop"] < t_drop or g["weight_fraction"] < t_wf or
                          g.get("lines_chi2_drop", 1.0) < t_lines or abs(g.get("volume_change") or 0.0) > t_volume):
                if stepwise:
                    break
                continue
            got.append(tuple(map(tuple, g["key"])))
        named += len(want)
        hit += len(want & set(got))
        found += len(got)
        exact += int(set(got) == want)
        if len(want) == 1:
            single += 1
            single_one += int(len(got) == 1)
    return named, hit, found, exact, single, single_one


def f1(named, hit, found):
    r, p = hit / max(1, named), hit / max(1, found)
    return 2 * r * p / max(1e-12, r + p)


def load_runs(paths):
    runs = sorted((json.loads(line) for path in paths for line in open(path)), key=lambda r: r["file"])
    for r in runs:  # the named phases as this script reads file names now
        r["want"] = sorted({composition(n) for n in named_phases(Path(r["file"]))})
    return runs


def choose(paths, folds, stepwise=False, apply_to=()):
    runs = load_runs(paths)
    volumes = VOLUME_THRESHOLDS if all(g.get("volume_change") is not None for r in runs for g in r["got"]) else (INF,)
    grid = [(d, w, l, v) for d in (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2, 0.3)
            for w in (0.0, 0.01, 0.02, 0.03, 0.05, 0.08) for l in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
            for v in volumes]
    tot = [0] * 6
    picks = []
    # Runs of the same files made otherwise (another library): scored on each held-out fold with
    # the thresholds chosen on the other folds of `paths`.
    other = load_runs(apply_to) if apply_to else []
    fold_of = {r["file"]: i % folds for i, r in enumerate(runs)}
    other_tot = [0] * 6
    for k in range(folds):
        train = [r for i, r in enumerate(runs) if i % folds != k]
        test = [r for i, r in enumerate(runs) if i % folds == k]
        best = max(grid, key=lambda g: (f1(*score(train, *g, stepwise)[:3]), -g[0], -g[1], -g[2], g[3]))
        picks.append(best)
        for i, v in enumerate(score([r for r in other if fold_of.get(r["file"]) == k], *best, stepwise)):
            other_tot[i] += v
        for i, v in enumerate(score(test, *best, stepwise)):
            tot[i] += v
    named, hit, found, exact, single, single_one = tot
    alld = max(grid, key=lambda g: (f1(*score(runs, *g, stepwise)[:3]), -g[0], -g[1], -g[2], g[3]))
    print(f"chosen per fold (min chi2 drop, min weight fraction, min lines chi2 drop, max |volume change| %): {picks}; "
          f"on all files: {alld}")
    print(f"cross-validated: recall {hit}/{named} = {100 * hit / max(1, named):.1f} %, precision {hit}/{found} = "
          f"{100 * hit / max(1, found):.1f} %, exact sets {exact}/{len(runs)} = {100 * exact / max(1, len(runs)):.1f} %, "
          f"single-phase files answered with one phase {single_one}/{single} = {100 * single_one / max(1, single):.1f} %")
    if other:
        n, h, f, e, s1, s1o = other_tot
        scored = sum(1 for r in other if r["file"] in fold_of)
        print(f"applied to {', '.join(apply_to)} (held-out folds): recall {h}/{n} = {100 * h / max(1, n):.1f} %, "
              f"precision {h}/{f} = {100 * h / max(1, f):.1f} %, exact sets {e}/{scored} = "
              f"{100 * e / max(1, scored):.1f} %")
    n, h, f, e, s1, s1o = score(runs, *alld, stepwise)
    print(f"all files at {alld}: recall {100 * h / max(1, n):.1f} %, precision {100 * h / max(1, f):.1f} %, "
          f"exact sets {100 * e / max(1, len(runs)):.1f} %, one phase for a single phase {100 * s1o / max(1, s1):.1f} %")
    return 0


def run_arguments(args):
    """(the --save file opened for writing or None, XRDID FILE..., the identify options after --)."""
    args = list(args)
    save = None
    if "--save" in args:
        i = args.index("--save")
        save = open(args[i + 1], "w")
        del args[i:i + 2]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    return save, args, extra


def main():
    args = sys.argv[1:]
    if args[:1] == ["--choose"] and len(args) >= 2:
        folds = 5
        if "--folds" in args:
            i = args.index("--folds")
            folds = int(args[i + 1])
            del args[i:i + 2]
        stepwise = "--stepwise" in args
        if stepwise:
            args.remove("--stepwise")
        apply_to = []
        if "--apply-to" in args:
            i = args.index("--apply-to")
            apply_to = args[i + 1:]
            del args[i:]
        return choose(args[1:], folds, stepwise, apply_to)
    if len(args) < 2:
        print(__doc__)
        return 2
    save, args, extra = run_arguments(args)
    xrdid, files = args[0], [Path(f) for f in args[1:]]
    named_total = found_named = found_total = exact = one = 0
    seconds = []
    for f in files:
        named = named_phases(f)
        want = {composition(n): n for n in named}
        r = subprocess.run([xrdid, "identify", str(f), "--mixture", "--json"] + extra, capture_output=True, text=True)
        try:
            q = json.loads(r.stdout)["queries"][0]
        except (ValueError, KeyError, IndexError):
            print(f"{f.name}: no result ({r.stderr.strip()[:120]})")
            named_total += len(want)
            continue
        got = [(composition(p["reduced_formula"]), p["reduced_formula"], p["weight_fraction"]) for p in q.get("phases", [])]
        if save:
            save.write(json.dumps({"file": f.name, "want": sorted(want),
                                   "seconds": q.get("mixture", {}).get("seconds"), "got": [
                {"key": composition(p["reduced_formula"]), "name": p["reduced_formula"],
                 "chi2_drop": p["chi2_drop"], "lines_chi2_drop": p.get("lines_chi2_drop", 1.0),
                 "weight_fraction": p["weight_fraction"], "weight_fraction_esd": p.get("weight_fraction_esd"),
                 "hit_bound": p.get("hit_bound"), "id": p.get("id"),
                 "po_r": p.get("preferred_orientation", {}).get("r"),
                 "volume_change": p.get("volume_change")} for p in q.get("phases", [])],
                 "rwp": q.get("rwp"), "gof": q.get("mixture", {}).get("gof"),
                 "axis": q.get("mixture", {}).get("axis")}) + "\n")
            save.flush()
        if "mixture" in q:
            seconds.append(q["mixture"]["seconds"])
        got_keys = {g[0] for g in got}
        hit = len(set(want) & got_keys)
        named_total += len(want)
        found_named += hit
        found_total += len(got)
        exact += int(got_keys == set(want))
        one += int(len(got) == 1)
        shown = " ".join(f"{name}:{100 * w:.0f}%" + ("" if key in want else "(x)") for key, name, w in got)
        print(f"{f.name}: named {len(want)}, found {hit}/{len(got)}  [{shown}]  Rwp {q.get('rwp', float('nan')):.4f}")
    print(f"\nfiles {len(files)}: recall {found_named}/{named_total} = {100 * found_named / max(1, named_total):.1f} %, "
          f"precision {found_named}/{found_total} = {100 * found_named / max(1, found_total):.1f} %, "
          f"exact sets {exact}/{len(files)} = {100 * exact / max(1, len(files)):.1f} %, "
          f"one phase found {one}/{len(files)} = {100 * one / max(1, len(files)):.1f} %"
          + (f", mixture search {sum(seconds) / len(seconds):.1f} s per file (median "
             f"{sorted(seconds)[len(seconds) // 2]:.1f} s)" if seconds else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
