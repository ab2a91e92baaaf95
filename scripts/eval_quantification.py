#!/usr/bin/env python3
"""Scores the weight fractions of `xrdid identify --mixture` on powder CIFs (pdCIF) that carry a
reference quantitative phase analysis: the phase table of the pattern's block
(`_pd_phase_mass_%`, with ESDs) and one block per phase (`_pd_phase_name`,
`_chemical_formula_sum`), as a Rietveld program writes them. Phases are compared by composition
(scripts/eval_mixtures.py). Standard library only.

    scripts/eval_quantification.py XRDID FILE.cif... [--save runs.jsonl] [-- identify options]
    scripts/eval_quantification.py --split FILE.cif DIR   # each phase block as its own CIF in DIR

Prints per file the reference and found fractions, then the totals: phase recall and precision,
the mean absolute error of the weight fractions over the reference phases (a phase not found
counts as 0 wt%) and over the phases both found and named, in wt%. --split writes the phase
blocks as structure CIFs (for a library of the sample's own phases: quantification given the
phases, as a Rietveld analysis is run).
"""
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_mixtures import composition, run_arguments  # noqa: E402


def blocks(text):
    """[(name, text)] of a CIF's data blocks."""
    parts = re.split(r"(?m)^data_", text)
    return [(p.split(None, 1)[0] if p.strip() else "", p) for p in parts[1:]]


def value(block, tag):
    m = re.search(r"(?m)^\s*" + re.escape(tag) + r"\s+(\"[^\"]*\"|'[^']*'|\S+)", block)
    return m.group(1).strip("\"'") if m else None


def number(s):
    """'0.7533(28)' -> (0.7533, 0.0028)."""
    m = re.match(r"^([-+0-9.eE]+)(?:\((\d+)\))?$", s)
    if not m:
        return None, None
    v = float(m.group(1))
    esd = None
    if m.group(2):
        decimals = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
        esd = int(m.group(2)) * 10.0 ** -decimals
    return v, esd


def loop_rows(block, tag):
    """The rows (dicts) of the loop in `block` that holds `tag` (values split at white space,
    quotes kept together)."""
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip().startswith("loop_"):
            tags, words = [], lines[i].split()[1:]
            i += 1
            while True:
                while words and words[0].startswith("_"):
                    tags.append(words.pop(0))
                if words or i >= len(lines) or not lines[i].strip().startswith("_"):
                    break
                words = lines[i].split()
                i += 1
            if tag not in tags:
                continue
            values = list(words)
            while i < len(lines):
                t = lines[i].strip()
                if t.startswith(("_", "loop_", "data_", "#")) or (not t and values):
                    break
                values += re.findall(r"\"[^\"]*\"|'[^']*'|\S+", t)
                i += 1
            return [dict(zip(tags, values[k:k + len(tags)])) for k in range(0, len(values) - len(tags) + 1, len(tags))]
        i += 1
    return []


def reference(path):
    """[{name, formula, key, w, esd}] from the phase table (fractions of 1 or per cent, as given)."""
    bl = blocks(Path(path).read_text(errors="replace"))
    phases = {}
    for name, b in bl:
        if "_pd_phase_name" in b and "_chemical_formula_sum" in b:
            tag = re.search(r"phase_\d+$", name)
            phases[tag.group(0) if tag else name] = (value(b, "_pd_phase_name"), value(b, "_chemical_formula_sum"))
    out = []
    for _, b in bl:
        for rec in loop_rows(b, "_pd_phase_mass_%"):
            w, esd = number(rec["_pd_phase_mass_%"])
            tag = re.search(r"\|(phase_\d+)\|", rec.get("_pd_phase_block_id", ""))
            name, formula = phases.get(tag.group(1) if tag else "", (rec.get("_pd_phase_block_id", "?"), ""))
            out.append({"name": name, "formula": formula, "key": composition(formula.replace(" ", "")), "w": w, "esd": esd})
        if out:
            break
    tot = sum(p["w"] for p in out)
    if tot > 1.5:  # per cent
        for p in out:
            p["w"] /= 100
            p["esd"] = p["esd"] / 100 if p["esd"] is not None else None
    return out


def split(path, folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, b in blocks(Path(path).read_text(errors="replace")):
        if "_pd_phase_name" in b and "_atom_site_fract_x" in b:
            (folder / f"{name}.cif").write_text("data_" + b)
            n += 1
    print(f"{path}: {n} phase blocks written to {folder}")
    return 0


def fraction(phase):
    """A found phase's weight fraction: corrected for micro-absorption when the run was asked to
    (--brindley-size), else the Hill-Howard one."""
    return phase.get("brindley_weight_fraction", phase["weight_fraction"])


def main():
    args = sys.argv[1:]
    if args[:1] == ["--split"] and len(args) == 3:
        return split(args[1], args[2])
    if len(args) < 2:
        print(__doc__)
        return 2
    save, args, extra = run_arguments(args)
    xrdid, files = args[0], args[1:]
    named = hit = found = 0
    err_all, err_found = [], []
    for f in files:
        ref = reference(f)
        r = subprocess.run([xrdid, "identify", f, "--mixture", "--json"] + extra, capture_output=True, text=True)
        try:
            q = json.loads(r.stdout)["queries"][0]
        except (ValueError, KeyError, IndexError):
            print(f"{Path(f).name}: no result ({r.stderr.strip()[:160]})")
            named += len(ref)
            err_all += [p["w"] for p in ref]
            continue
        got = {}
        for p in q.get("phases", []):
            k = composition(p["reduced_formula"])
            got[k] = got.get(k, 0.0) + fraction(p)
        keys = {p["key"] for p in ref}
        named += len(ref)
        found += len(got)
        cells = []
        for p in ref:
            w = got.get(p["key"])
            if w is not None:
                hit += 1
                err_found.append(abs(w - p["w"]))
            err_all.append(abs((w or 0.0) - p["w"]))
            cells.append(f"{p['formula'].replace(' ', '')} {100 * p['w']:.1f}/" + ("-" if w is None else f"{100 * w:.1f}"))
        extra_found = [f"{q2['reduced_formula']}:{100 * fraction(q2):.1f}(x)" for q2 in q.get("phases", [])
                       if composition(q2["reduced_formula"]) not in keys]
        print(f"{Path(f).name}: ref/found wt% " + ", ".join(cells) + ("  " + " ".join(extra_found) if extra_found else "")
              + f"  Rwp {q.get('rwp', float('nan')):.4f}")
        if save:
            save.write(json.dumps({"file": Path(f).name, "reference": ref, "phases": q.get("phases", []),
                                   "rwp": q.get("rwp")}) + "\n")
            save.flush()
    mae = 100 * sum(err_all) / max(1, len(err_all))
    mae_f = 100 * sum(err_found) / max(1, len(err_found))
    print(f"\nfiles {len(files)}: recall {hit}/{named} = {100 * hit / max(1, named):.1f} %, precision {hit}/{found} = "
          f"{100 * hit / max(1, found):.1f} %, weight-fraction MAE {mae:.2f} wt% over the reference phases "
          f"(missing = 0), {mae_f:.2f} wt% over the {len(err_found)} phases found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
