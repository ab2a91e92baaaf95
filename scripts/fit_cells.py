#!/usr/bin/env python3
"""Refined cells against the CIF: `xrdid fit` of each measured pattern NAME.xy with its own
structure NAME.cif, and how far the refined a, b, c lie from the CIF's (the largest of the three
relative differences), tabulated by crystal system and by source. Standard library only.

    scripts/fit_cells.py XRDID PATTERN_DIR CIF_DIR [--save fits.jsonl] [-- xrdid fit options]
    scripts/fit_cells.py --load fits.jsonl [--mapping source_mapping.csv]

PATTERN_DIR/source_mapping.csv (when present) gives each pattern's source (RRUFF, opXRD).
--save keeps one JSON line per pattern (name, status, hit_bound, rwp, cell, cell_start,
cell_esd, crystal_system, seconds, zero and displacement with their ESDs, in degrees); --load
tabulates such a file again.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

THRESHOLDS = (0.1, 0.2, 0.3, 0.5, 1.0)  # per cent
KEY = 0.3


def deviation(fit):
    """Largest |x / x0 - 1| over a, b, c, in per cent (None without a cell)."""
    cell, start = fit.get("cell"), fit.get("cell_start")
    if not cell or not start:
        return None
    return max(100.0 * abs(cell[k] / start[k] - 1.0) for k in ("a", "b", "c"))


def run(xrdid, pattern_dir, cif_dir, extra):
    rows = []
    names = sorted(f[:-3] for f in os.listdir(pattern_dir) if f.endswith(".xy"))
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            cif = os.path.join(cif_dir, name + ".cif")
            if not os.path.exists(cif):
                print(f"{name}: no CIF, skipped", file=sys.stderr)
                continue
            out = os.path.join(tmp, "fit.json")
            cmd = [xrdid, "fit", os.path.join(pattern_dir, name + ".xy"), "--cif", cif, "--json", "-o", out] + extra
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                rows.append({"name": name, "status": "error", "message": p.stderr.strip()})
                continue
            with open(out) as f:
                d = json.load(f)
            row = {k: d.get(k) for k in ("status", "hit_bound", "rwp", "cell", "cell_start", "cell_esd",
                                         "crystal_system", "seconds")} | {"name": name}
            for q in d.get("parameters", []):
                if q["name"] in ("zero", "displacement"):
                    row[q["name"]] = q["value"]
                    row[q["name"] + "_esd"] = q["esd"]
            rows.append(row)
    return rows


def sources(mapping):
    if not mapping or not os.path.exists(mapping):
        return {}
    with open(mapping, newline="") as f:
        return {r["sample_name"]: r["source_dataset"] for r in csv.DictReader(f)}


def table(rows, src):
    n = len(rows)
    if n == 0:
        sys.exit("fit_cells.py: no fits to tabulate")
    conv = sum(r["status"] == "converged" for r in rows)
    bound = sum(bool(r.get("hit_bound")) for r in rows)
    print(f"patterns {n}: converged {conv}, not converged {n - conv}, a parameter at its bound {bound}")
    dev = {r["name"]: deviation(r) for r in rows}
    for t in THRESHOLDS:
        k = sum(d is not None and d <= t for d in dev.values())
        print(f"  a, b, c within {t:g} %: {k} of {n} ({100.0 * k / n:.1f} %)")
    def by(label, key):
        groups = {}
        for r in rows:
            groups.setdefault(key(r), []).append(r["name"])
        parts = []
        for g in sorted(groups):
            names = groups[g]
            k = sum(dev[x] is not None and dev[x] <= KEY for x in names)
            parts.append(f"{g} {k}/{len(names)}")
        print(f"  within {KEY:g} % by {label}: " + ", ".join(parts))
    by("crystal system", lambda r: r.get("crystal_system") or "?")
    if src:
        by("source", lambda r: src.get(r["name"], "?"))
    rwp = sorted(r["rwp"] for r in rows if r.get("rwp") is not None)
    if rwp:
        print(f"  Rwp median {rwp[len(rwp) // 2]:.3f}")
    worst = sorted(((d, x) for x, d in dev.items() if d is not None), reverse=True)[:15]
    print("  farthest: " + ", ".join(f"{x} {d:.2f} %" for d, x in worst))


def main(argv):
    if argv[:1] == ["--load"]:
        if len(argv) < 2:
            sys.exit(__doc__)
        try:
            with open(argv[1]) as f:
                rows = [json.loads(line) for line in f if line.strip()]
        except (OSError, ValueError) as e:
            sys.exit(f"fit_cells.py: {argv[1]}: {e}")
        mapping = argv[3] if len(argv) > 3 and argv[2] == "--mapping" else None
        table(rows, sources(mapping))
        return
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    save = None
    if "--save" in argv:
        i = argv.index("--save")
        if i + 1 >= len(argv):
            sys.exit("fit_cells.py: --save needs a file")
        save = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) != 3:
        sys.exit(__doc__)
    xrdid, pattern_dir, cif_dir = argv
    for d in (pattern_dir, cif_dir):
        if not os.path.isdir(d):
            sys.exit(f"fit_cells.py: {d}: not a folder")
    rows = run(xrdid, pattern_dir, cif_dir, extra)
    if save:
        with open(save, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    table(rows, sources(os.path.join(pattern_dir, "source_mapping.csv")))


if __name__ == "__main__":
    main(sys.argv[1:])
