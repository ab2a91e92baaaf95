#!/usr/bin/python3
"""Generate pymatgen reference stick patterns for tests/xrd (agreement with XRDCalculator).

Runs Debian's pymatgen 2022.11.7 on a fixed, varied sample of the development data's CIFs
($XRDID_DATA/cif), copies each accepted CIF to tests/data/cif/pymatgen/NAME.cif and writes its
sticks to tests/data/pymatgen/NAME.json. CIFs that pymatgen refuses (or that take too long) are
skipped.

Usage (from the repository root): /usr/bin/python3 scripts/gen_pymatgen_fixtures.py [CIF_DIR]
  CIF_DIR defaults to $XRDID_DATA/cif.
"""
import glob
import json
import os
import re
import shutil
import signal
import sys
import time
import warnings

warnings.simplefilter("ignore")
from pymatgen.core import __version__ as pmg_version  # noqa: E402
from pymatgen.io.cif import CifParser  # noqa: E402
from pymatgen.analysis.diffraction.xrd import XRDCalculator  # noqa: E402

COMMAND = "/usr/bin/python3 scripts/gen_pymatgen_fixtures.py"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devdata import data_folder  # noqa: E402

CIF_ROOT = data_folder(sys.argv[1] if len(sys.argv) > 1 else None, "cif", "gen_pymatgen_fixtures.py")
OUT_CIF = os.path.join(ROOT, "tests", "data", "cif", "pymatgen")
OUT_JSON = os.path.join(ROOT, "tests", "data", "pymatgen")
MAX_CIF_BYTES = 40000
MIN_STORED_INTENSITY = 0.01  # sticks below this (of 100) are not stored

# Space groups across all seven crystal systems (httk-cod one-structure-per-group set).
SG_SAMPLE = [1, 2, 4, 5, 9, 11, 12, 14, 15, 19, 29, 33, 43, 55, 58, 60, 61, 62, 63, 64, 70, 71,
             74, 82, 87, 88, 99, 107, 113, 122, 129, 136, 139, 140, 141, 142, 146, 148, 155, 160,
             161, 164, 166, 167, 173, 176, 180, 186, 187, 191, 193, 194, 198, 199, 205, 215, 216,
             217, 220, 221, 223, 225, 227, 229, 230]
# Partial occupancy, heavy atoms, symop-only / odd H-M names, Li compounds.
EXTRA = [
    "openchemistry/arsenides/Co.87Fe.11Ni.13As3-Skutterudite.cif",
    "openchemistry/sulfates/Na2SO4.cif",
    "openchemistry/sulfates/MgSO4.cif",
    "openchemistry/elements/*.cif",
    "debian-packages/PbTe.cif",
    "debian-packages/TiO2_rutile.cif",
    "debian-packages/ZnS_wurtzite.cif",
    "debian-packages/C_graphite_hex.cif",
    "pxrd-benchmark-ref/Ac2O3_164.cif",
    "pxrd-benchmark-ref/AcF3_225.cif",
    "pxrd-benchmark-ref/BeF2_14.cif",              # symops with denominators like 472/943
    # partial occupancy
    "httk-cod/all_spacegroups/cifs/100.cif",
    "httk-cod/all_spacegroups/cifs/109.cif",
    "httk-cod/all_spacegroups/cifs/116.cif",
    "httk-cod/all_spacegroups/cifs/143.cif",
    "httk-cod/all_spacegroups/cifs/168.cif",
    "httk-cod/all_spacegroups/cifs/196.cif",
    "httk-cod/duplicates/DyMn6-xCrxGe6/1006144.cif",
    "httk-cod/duplicates/TiN/1011100.cif",
    "openchemistry/clays/Lepidolite.cif",
    # heavy atoms (Bi, Pb, U, …)
    "httk-cod/all_spacegroups/cifs/130.cif",
    "httk-cod/all_spacegroups/cifs/75.cif",
    "httk-cod/all_spacegroups/cifs/79.cif",
    # P1 / low-symmetry settings and minerals
    "xrd-autoanalyzer-refs/Li2MnO2_164.cif",
    "xrd-autoanalyzer-refs/Li2MnF5_15.cif",
    "rruff-opxrd/Ag2S_14.cif",
    "rruff-opxrd/Ag3AsS3_161.cif",
]
# A few structures are also computed with per-element Debye-Waller B (Å²).
DW_CASES = {"httk_sg225", "httk_sg62", "httk_sg194", "httk_sg14", "debian_PbTe"}


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def name_for(rel):
    m = re.match(r"httk-cod/all_spacegroups/cifs/(\d+)\.cif", rel)
    if m:
        return f"httk_sg{m.group(1)}"
    folder, base = rel.split("/")[0], os.path.splitext(os.path.basename(rel))[0]
    if folder == "httk-cod":
        base = rel.split("/")[1] + "_" + base
    tag = {"openchemistry": "oc", "xrd-autoanalyzer-refs": "xrdaa", "debian-packages": "debian", "pxrd-benchmark-ref": "pxrd",
           "rruff-opxrd": "rruff"}.get(folder, folder)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{tag}_{base}")


def candidates():
    out = [f"httk-cod/all_spacegroups/cifs/{n}.cif" for n in SG_SAMPLE]
    for pat in EXTRA:
        hits = sorted(glob.glob(os.path.join(CIF_ROOT, pat)))
        if "*" in pat:
            hits = hits[:6]
        out += [os.path.relpath(h, CIF_ROOT) for h in hits]
    # Partially occupied structures from the pxrd benchmark set (first few, sorted).
    partial = []
    for p in sorted(glob.glob(os.path.join(CIF_ROOT, "pxrd-benchmark-ref", "*.cif"))):
        if len(partial) >= 6:
            break
        txt = open(p, errors="replace").read()
        if os.path.getsize(p) < MAX_CIF_BYTES and re.search(r"\s0\.[0-9]+\s*$", txt, re.M) and \
                "_atom_site_occupancy" in txt and re.search(r"\s0\.(5|25|33|75)\d*\s*\n", txt):
            partial.append(os.path.relpath(p, CIF_ROOT))
    return out + partial


def main():
    os.makedirs(OUT_CIF, exist_ok=True)
    os.makedirs(OUT_JSON, exist_ok=True)
    signal.signal(signal.SIGALRM, on_alarm)
    written, skipped = 0, []
    seen = set()
    for rel in candidates():
        path = os.path.join(CIF_ROOT, rel)
        name = name_for(rel)
        if name in seen or not os.path.exists(path) or os.path.getsize(path) > MAX_CIF_BYTES:
            continue
        seen.add(name)
        signal.alarm(30)
        try:
            s = CifParser(path).get_structures()[0]
            if len(s) > 400:
                raise ValueError("too many sites")
            cases = [("", {})]
            if name in DW_CASES:
                els = sorted({e.symbol for e in s.composition.elements})
                cases.append(("_dw", {el: round(0.5 + 0.4 * i, 3) for i, el in enumerate(els)}))
            results = []
            for suffix, dw in cases:
                calc = XRDCalculator("CuKa", debye_waller_factors=dw)
                t0 = time.perf_counter()
                pat = calc.get_pattern(s, scaled=True, two_theta_range=(0, 120))
                seconds = time.perf_counter() - t0
                sticks = [[round(float(x), 7), round(float(y), 6), round(float(d), 7)]
                          for x, y, d in zip(pat.x, pat.y, pat.d_hkls) if y >= MIN_STORED_INTENSITY]
                results.append((suffix, dw, sticks, seconds))
        except Exception as e:  # pymatgen refused it: skip
            signal.alarm(0)
            skipped.append((rel, type(e).__name__ + ": " + str(e)[:80]))
            continue
        signal.alarm(0)
        shutil.copyfile(path, os.path.join(OUT_CIF, name + ".cif"))
        for suffix, dw, sticks, seconds in results:
            doc = {
                "generator": COMMAND,
                "pymatgen": pmg_version,
                "source": rel,
                "cif": f"cif/pymatgen/{name}.cif",
                "wavelength": 1.54184,
                "two_theta_range": [0, 120],
                "debye_waller": dw,
                "formula": s.composition.formula,
                "pymatgen_seconds": round(seconds, 5),  # get_pattern wall time, for speed comparisons
                "sticks_columns": ["two_theta", "intensity", "d"],
                "sticks": sticks,
            }
            with open(os.path.join(OUT_JSON, name + suffix + ".json"), "w") as f:
                json.dump(doc, f, separators=(",", ":"))
            written += 1
        print(f"ok {name} ({len(s)} sites, {len(results[0][2])} sticks)", flush=True)
    print(f"wrote {written} fixtures; skipped {len(skipped)}", flush=True)
    for rel, why in skipped:
        print(f"  skipped {rel}: {why}")


if __name__ == "__main__":
    main()
