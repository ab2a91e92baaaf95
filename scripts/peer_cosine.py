#!/usr/bin/env python3
"""A plain full-profile search, the baseline any identification should beat: SNIP background
(LLS-transformed, half-windows up to 1°), a global noise floor (twice the median of what SNIP
leaves), square-root intensities, cosine similarity with every library pattern under a
zero-shift search (±0.3° by default), one row per phase (reduced formula + space group). No
smoothing, no local noise estimate, no lattice-scale search. The floor and the SNIP window were
chosen on the development data's unperturbed RRUFF/opXRD patterns (floor 1–4, window 0.5–2°). It reads an xrdid library file (docs/library-format.md) and
scores measured patterns NAME.xy whose true structure is the library entry with id ending in
NAME, or any entry of the same reduced formula and space group (the hit criterion of
`xrdid eval`).

    scripts/peer_cosine.py LIBRARY PATTERN_DIR [--max-shift 0.3] [--snip-deg 1.0] [--ranks F.csv]

Prints top-1, top-5 and top-10 in %. Patterns are taken to be at the library's wavelength
(an .xy file has none). --ranks writes name,method,rank,... rows for scripts/cv.py.
Needs numpy.
"""
import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np


def load_library(path):
    with open(path, "rb") as f:
        head = f.read(128)
        if head[:8] != b"XRDIDLIB":
            sys.exit(f"{path}: not an xrdid library (bad magic)")
        n_entries, n_points = struct.unpack_from("<QQ", head, 16)
        start, step = struct.unpack_from("<dd", head, 32)
        meta_off, meta_bytes, pat_off, pat_bytes = struct.unpack_from("<QQQQ", head, 72)
        f.seek(meta_off)
        meta = json.loads(f.read(meta_bytes))
    patterns = np.memmap(path, dtype="<f4", mode="r", offset=pat_off, shape=(n_entries, n_points))
    grid = start + step * np.arange(n_points)
    return meta["entries"], np.asarray(patterns, dtype=np.float32), grid, step


def read_xy(path):
    rows = []
    for line in open(path, errors="replace"):
        s = line.strip()
        if not s or s[0] in "#;!":
            continue
        parts = s.replace(",", " ").split()
        try:
            rows.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            continue
    a = np.array(rows, dtype=float)
    if a.ndim != 2 or len(a) < 2:
        sys.exit(f"{path}: fewer than 2 data rows")
    if not np.all(np.isfinite(a)):
        sys.exit(f"{path}: a 2theta or intensity value is not a finite number")
    if not np.all(np.diff(a[:, 0]) > 0):
        sys.exit(f"{path}: 2theta does not increase from row to row")
    return a[:, 0], a[:, 1]


def snip(y, m):
    """Background by SNIP (Morhac et al. 1997) on the LLS-transformed signal, windows 1..m."""
    v = np.log(np.log(np.sqrt(np.maximum(y, 0) + 1) + 1) + 1)
    n = len(v)
    for w in range(1, m + 1):
        if 2 * w >= n:
            break
        mid = 0.5 * (v[: n - 2 * w] + v[2 * w:])
        v[w: n - w] = np.minimum(v[w: n - w], mid)
    return (np.exp(np.exp(v) - 1) - 1) ** 2 - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library")
    ap.add_argument("patterns")
    ap.add_argument("--max-shift", type=float, default=0.3, help="zero-shift search range, degrees")
    ap.add_argument("--snip-deg", type=float, default=1.0, help="largest SNIP half-window, degrees")
    ap.add_argument("--floor", type=float, default=2.0,
                    help="after SNIP, subtract this many times the median of what is left (the counting noise)")
    ap.add_argument("--ranks", help="write name,method,rank,score1,score2,probability,chance1 rows here")
    a = ap.parse_args()

    entries, pats, grid, step = load_library(a.library)
    refs = np.sqrt(np.maximum(pats, 0) / 100.0)
    cum = np.zeros((refs.shape[0], refs.shape[1] + 1))
    np.cumsum(refs.astype(np.float64) ** 2, axis=1, out=cum[:, 1:])
    keys = [(e["reduced_formula"], e["spacegroup_number"]) for e in entries]
    S = int(round(a.max_shift / step))
    files = sorted(Path(a.patterns).glob("*.xy"))
    if not files:
        sys.exit(f"{a.patterns}: no .xy files")
    hits = np.zeros(3)
    n = 0
    lines = ["name,method,rank,score1,score2,probability,chance1"]
    for f in files:
        name = f.stem
        truth = [i for i, e in enumerate(entries) if e["id"] == name or e["id"].endswith("/" + name)]
        if not truth:
            print(f"skipped {name}: no library entry with this id", file=sys.stderr)
            continue
        want = keys[truth[0]]
        tt, y = read_xy(f)
        lo, hi = tt.min(), tt.max()
        mask = (grid >= lo) & (grid <= hi)
        q = np.interp(grid, tt, y, left=0.0, right=0.0)
        idx = np.flatnonzero(mask)
        seg = q[idx[0]: idx[-1] + 1]
        seg = seg - snip(seg.copy(), max(1, int(round(a.snip_deg / step))))
        seg = np.maximum(seg - a.floor * np.median(seg), 0)
        q = np.zeros_like(grid)
        q[idx[0]: idx[-1] + 1] = np.sqrt(seg)
        a0, b0 = idx[0], idx[-1] + 1
        qn = max(np.linalg.norm(q), 1e-12)
        # reference moved by s points, r'[i] = r[i - s]: its dot with q is sum_j r[j] q[j + s],
        # its norm over the measured window [a0, b0) that of r over [a0 - s, b0 - s)
        shifts = range(-S, S + 1)
        Q = np.zeros((len(grid), len(shifts)), dtype=np.float32)
        for k, s in enumerate(shifts):
            j0, j1 = max(0, a0 - s), min(len(grid), b0 - s)
            Q[j0:j1, k] = q[j0 + s: j1 + s]
        dots = refs @ Q
        rn = np.empty_like(dots)
        for k, s in enumerate(shifts):
            j0, j1 = max(0, a0 - s), min(len(grid), b0 - s)
            rn[:, k] = np.sqrt(np.maximum(cum[:, j1] - cum[:, j0], 0))
        best = np.max(np.where(rn > 1e-6, dots / np.maximum(rn, 1e-6) / qn, 0.0), axis=1)
        order = np.argsort(-best, kind="stable")
        rows, seen = [], set()
        for i in order:
            if keys[i] in seen:
                continue
            seen.add(keys[i])
            rows.append(i)
            if len(rows) == 10:
                break
        rank = 0
        for k, i in enumerate(rows):
            if i in truth or keys[i] == want:
                rank = k + 1
                break
        n += 1
        hits += [rank == 1, 1 <= rank <= 5, 1 <= rank <= 10]
        lines.append(f"{name},peer_cosine,{rank},{best[rows[0]]:.6f},{best[rows[1]]:.6f},0,0")
    if n == 0:
        sys.exit("no pattern could be scored")
    t = 100 * hits / n
    print(f"{n} patterns, library of {len(entries)} entries")
    print(f"peer_cosine {t[0]:6.1f}% {t[1]:6.1f}% {t[2]:6.1f}%")
    if a.ranks:
        tmp = Path(a.ranks + ".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(a.ranks)


if __name__ == "__main__":
    main()
