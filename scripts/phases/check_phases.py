#!/usr/bin/python3
"""Sanity checks for the built-in phase library (data/phases/*.cif).

Run with Debian's interpreter (pymatgen lives there):

    /usr/bin/python3 scripts/phases/check_phases.py

For every CIF listed in EXPECT below:
  1. pymatgen CifParser(...).get_structures(primitive=False)[0] must succeed
     and emit no warning (occupancy, symmetry, ...), except pymatgen's
     note that coordinates 0.333333/0.666667 were snapped to 1/3, 2/3;
  2. the reduced formula and the number of atoms in the conventional cell
     must equal the intended values;
  3. SpacegroupAnalyzer(s, symprec=0.01) must give the intended IT number;
  4. the strongest line of XRDCalculator('CuKa') must lie within 0.15 deg
     of one of the literature positions listed for the phase;
  5. the shortest interatomic distance must match the known shortest bond
     (+-0.04 A) -- this is what catches a wrong origin/setting or a mistyped
     coordinate that still happens to produce the right space group;
  6. (informational) the structure is re-read with the symop loop and Hall
     symbol removed, i.e. from the H-M symbol alone, and the pattern is
     compared with the full one.
gemmi is tried as well (Python module); if it is not importable that check
is skipped.  Exit status 0 only if every mandatory check passes.
"""
import glob
import io
import os
import re
import sys
import warnings

import numpy as np
from pymatgen.analysis.diffraction.xrd import XRDCalculator
from pymatgen.io.cif import CifParser
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "phases")

# name: (reduced formula, atoms in conventional cell, IT number,
#        literature 2theta(CuKa1) of the strongest line(s) (any may be top),
#        shortest bond in A)
EXPECT = {
    "Si":                 ("Si", 8, 227, [28.44], 2.352),
    "NaCl":               ("NaCl", 8, 225, [31.69], 2.820),
    "KCl":                ("KCl", 8, 225, [28.34], 3.147),
    "LiF":                ("LiF", 8, 225, [44.98], 2.014),
    "CaF2":               ("CaF2", 12, 225, [28.27, 47.00], 2.365),
    "MgO":                ("MgO", 8, 225, [42.92], 2.106),
    "NiO":                ("NiO", 8, 225, [43.28], 2.089),
    "CeO2":               ("CeO2", 12, 225, [28.55], 2.343),
    "ZnS_sphalerite":     ("ZnS", 8, 216, [28.56], 2.342),
    "SrTiO3":             ("SrTiO3", 5, 221, [32.40], 1.953),
    "Cu":                 ("Cu", 4, 225, [43.30], 2.556),
    "Al":                 ("Al", 4, 225, [38.47], 2.863),
    "Au":                 ("Au", 4, 225, [38.18], 2.884),
    "Ni":                 ("Ni", 4, 225, [44.51], 2.492),
    "Fe_alpha":           ("Fe", 2, 229, [44.67], 2.482),
    "W":                  ("W", 2, 229, [40.26], 2.741),
    "MgAl2O4_spinel":     ("MgAl2O4", 56, 227, [36.85], 1.92),
    "Fe3O4_magnetite":    ("Fe3O4", 56, 227, [35.42], 1.89),
    "LiMn2O4_spinel":     ("LiMn2O4", 56, 227, [18.61], 1.96),
    "Y2O3":               ("Y2O3", 80, 206, [29.15], 2.24),
    "Al2O3_corundum":     ("Al2O3", 30, 167, [35.15, 43.36, 57.50], 1.852),
    "Cr2O3_eskolaite":    ("Cr2O3", 30, 167, [33.60, 54.85], 1.96),
    "Fe2O3_hematite":     ("Fe2O3", 30, 167, [33.15], 1.945),
    "CaCO3_calcite":      ("CaCO3", 30, 167, [29.40], 1.286),
    "SiO2_alpha_quartz":  ("SiO2", 9, 154, [26.64], 1.605),
    "ZnO_zincite":        ("ZnO", 4, 186, [36.25], 1.974),
    "C_graphite_2H":      ("C", 4, 194, [26.55], 1.421),
    "Mg":                 ("Mg", 2, 194, [36.62], 3.197),
    "LiCoO2":             ("LiCoO2", 12, 166, [18.92], 1.92),
    "TiO2_rutile":        ("TiO2", 6, 136, [27.45], 1.946),
    "TiO2_anatase":       ("TiO2", 12, 141, [25.28], 1.934),
    "SnO2_cassiterite":   ("SnO2", 6, 136, [26.61], 2.05),
    "BaTiO3_tetragonal":  ("BaTiO3", 5, 99, [31.50, 31.64], 1.86),
    "PbO_litharge":       ("PbO", 4, 129, [28.64], 2.32),
    "LiFePO4_triphylite": ("LiFePO4", 28, 62, [20.79, 25.57, 29.72, 35.58], 1.52),
    "CaCO3_aragonite":    ("CaCO3", 20, 62, [26.21, 27.22, 45.86], 1.28),
    "CaSO4_anhydrite":    ("CaSO4", 24, 63, [25.45], 1.471),
    "ZrO2_baddeleyite":   ("ZrO2", 12, 14, [28.17], 2.05),
    "Li2CO3_zabuyelite":  ("Li2CO3", 24, 15, [21.32, 30.61, 31.79], 1.28),
    # precursors, products and standards of oxide synthesis
    "CaO":                ("CaO", 8, 225, [37.35], 2.405),
    "MnO":                ("MnO", 8, 225, [40.55], 2.222),
    "CoO":                ("CoO", 8, 225, [42.38], 2.13),
    "Li2O":               ("Li2O", 12, 225, [33.58], 2.00),
    "In2O3":              ("In2O3", 80, 206, [30.58], 2.13),
    "Mn2O3_bixbyite":     ("Mn2O3", 80, 206, [32.95], 1.88),
    "Co3O4_spinel":       ("Co3O4", 56, 227, [36.85], 1.92),
    "LaB6":               ("LaB6", 7, 221, [30.38], 1.66),
    "GeO2_quartz":        ("GeO2", 9, 154, [25.95], 1.737),
    "MnCO3_rhodochrosite": ("MnCO3", 30, 167, [31.36], 1.286),
    "La_OH_3":            ("LaO3", 8, 176, [15.66, 27.96], 2.56),
    "Nb2O5_TT":           ("Nb1O2.5", 4, 191, [28.5], 1.9625),  # pymatgen writes the partial occupancy
    "GeO2_rutile":        ("GeO2", 6, 136, [28.66], 1.872),
    "MnO2_pyrolusite":    ("MnO2", 6, 136, [28.68], 1.88),
    "MnF2":               ("MnF2", 6, 136, [25.83], 2.10),
    "Mn3O4_hausmannite":  ("Mn3O4", 28, 141, [36.09, 32.32], 1.93),
    "Bi2O3_beta":         ("Bi2O3", 20, 114, [27.94], 2.12),
    "K2SO4_arcanite":     ("K2SO4", 28, 62, [29.80, 30.80], 1.47),
    # Li3PO4: the measured mixtures named Li3PO4 show 22.36, 23.25, 24.87 deg
    # (Cu Ka1), the gamma form's (210), (011), (201); beta's lie 0.03-0.12 deg off.
    "Li3PO4_beta":        ("Li3PO4", 16, 31, [22.33, 23.37], 1.54),
    "Li3PO4_gamma":       ("Li3PO4", 32, 62, [22.35, 23.19], 1.535),
    "V2O5_shcherbinaite": ("V2O5", 14, 59, [20.26, 26.13], 1.58),
    "LiMnO2_orthorhombic": ("LiMnO2", 8, 59, [15.38, 24.78], 1.92),
    "SrCO3_strontianite": ("SrCO3", 20, 62, [25.17], 1.28),
    "Bi2O3_alpha":        ("Bi2O3", 20, 14, [27.38], 2.11),
    "CuO_tenorite":       ("CuO", 8, 15, [35.54, 38.74], 1.95),
    "Ga2O3_beta":         ("Ga2O3", 20, 12, [35.17], 1.80),
    "HfO2_monoclinic":    ("HfO2", 12, 14, [28.34], 2.04),
    "Li2TiO3":            ("Li2TiO3", 48, 15, [18.46], 1.95),
    "Li2MnO3":            ("Li2MnO3", 24, 12, [18.68], 1.91),
    "NaHCO3_nahcolite":   ("NaHCO3", 24, 14, [30.42, 34.48], 1.28),
}

PEAK_TOL = 0.15
BOND_TOL = 0.04


def parse(path, text=None):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        if text is None:
            p = CifParser(path)
        else:
            p = CifParser(io.StringIO(text))
        s = p.get_structures(primitive=False)[0]
    msgs = [str(x.message) for x in w
            if "get_structures" not in str(x.message)]  # deprecation notice
    # pymatgen always says this when a coordinate is 1/3 or 2/3 (written as
    # 0.333333/0.666667; wurtzite, graphite, hcp, quartz); it only snaps the
    # value to the exact fraction, which is what the file means.  Benign.
    benign = [m for m in msgs if "rounded to ideal values" in m]
    msgs = [m for m in msgs if m not in benign]
    return s, msgs, benign


def strongest(pattern):
    i = int(np.argmax(pattern.y))
    hkl = pattern.hkls[i][0]["hkl"]
    return pattern.x[i], hkl


def top_lines(pattern, n=3):
    order = np.argsort(pattern.y)[::-1][:n]
    out = []
    for i in order:
        hkl = "".join(str(v) for v in pattern.hkls[i][0]["hkl"])
        out.append(f"{pattern.x[i]:.2f}({hkl}){pattern.y[i]:.0f}")
    return " ".join(out)


def shortest_distance(s):
    dm = s.distance_matrix.copy()
    np.fill_diagonal(dm, np.inf)
    d = dm.min() if len(s) > 1 else np.inf
    # also periodic images (small cells: an atom's nearest neighbour may be itself)
    for site in s:
        nb = s.get_neighbors(site, 3.5)
        if nb:
            d = min(d, min(n.nn_distance for n in nb))
    return d


def hm_only_text(text):
    """Drop the symop loop and the Hall symbol, keep the H-M name/number."""
    out, skip = [], False
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.strip() == "loop_" and i + 1 < len(lines) and \
                lines[i + 1].strip().startswith("_space_group_symop"):
            i += 1
            while i < len(lines) and lines[i].strip().startswith("_space_group_symop"):
                i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(("_", "loop_")):
                i += 1
            continue
        if ln.startswith("_space_group_name_Hall"):
            i += 1
            continue
        out.append(ln)
        i += 1
    return "\n".join(out) + "\n"


def main():
    calc = XRDCalculator("CuKa")
    files = sorted(glob.glob(os.path.join(HERE, "*.cif")))
    names = [os.path.splitext(os.path.basename(f))[0] for f in files]
    fails = []
    unknown = sorted(set(names) - set(EXPECT))
    missing = sorted(set(EXPECT) - set(names))
    for n in unknown:
        fails.append(f"{n}: no expectations in EXPECT")
    for n in missing:
        fails.append(f"{n}: CIF missing")
    hm_diff = []
    print(f"{'file':22s} {'formula':8s} {'N':>3s} {'SG':>4s} {'2th_max':>7s} "
          f"{'hkl':8s} {'d_min':>6s}  top-3 lines (2th(hkl)I)   status")
    for f, name in zip(files, names):
        if name not in EXPECT:
            continue
        formula, natoms, sgnum, peaks, bond = EXPECT[name]
        errs = []
        try:
            s, msgs, benign = parse(f)
        except Exception as e:  # noqa: BLE001
            fails.append(f"{name}: pymatgen could not parse: {e}")
            print(f"{name:22s} PARSE FAILURE {e}")
            continue
        if msgs:
            errs.append("warnings: " + " | ".join(msgs))
        # data block name must match the file name
        with open(f) as fh:
            text = fh.read()
        m = re.search(r"^data_(\S+)", text, re.M)
        if not m or m.group(1) != name:
            errs.append("data_ block name != file name")
        rf = s.composition.reduced_formula
        if rf != formula:
            errs.append(f"formula {rf} != {formula}")
        if len(s) != natoms:
            errs.append(f"{len(s)} atoms != {natoms}")
        got_sg = SpacegroupAnalyzer(s, symprec=0.01).get_space_group_number()
        if got_sg != sgnum:
            errs.append(f"SG {got_sg} != {sgnum}")
        pat = calc.get_pattern(s)
        tt, hkl = strongest(pat)
        if min(abs(tt - p) for p in peaks) > PEAK_TOL:
            errs.append(f"strongest line {tt:.2f} not in {peaks}")
        dmin = shortest_distance(s)
        if abs(dmin - bond) > BOND_TOL:
            errs.append(f"shortest distance {dmin:.3f} != {bond}")
        # informational: H-M symbol only
        try:
            s2, _, _ = parse(None, hm_only_text(text))
            p2 = calc.get_pattern(s2)
            same = (len(s2) == len(s) and len(p2.x) == len(pat.x)
                    and np.allclose(p2.x, pat.x, atol=1e-3)
                    and np.allclose(p2.y, pat.y, atol=0.5))
            if not same:
                hm_diff.append(name)
        except Exception as e:  # noqa: BLE001
            hm_diff.append(f"{name} (parse error: {e})")
        status = "OK" if not errs else "FAIL: " + "; ".join(errs)
        if benign and not errs:
            status = "OK (1/3,2/3 snap note)"
        if errs:
            fails.append(f"{name}: " + "; ".join(errs))
        hkls = "".join(str(v) for v in hkl)
        print(f"{name:22s} {rf:8s} {len(s):3d} {got_sg:4d} {tt:7.2f} {hkls:8s} "
              f"{dmin:6.3f}  {top_lines(pat):26s} {status}")

    print()
    print("informational: files whose H-M symbol alone (no symop loop, no Hall "
          "symbol) gives a different structure in pymatgen:",
          ", ".join(hm_diff) if hm_diff else "none")

    try:
        import gemmi  # noqa: F401
    except ImportError:
        print("gemmi: not importable in this interpreter -> gemmi check skipped")
    else:
        import gemmi
        for f, name in zip(files, names):
            st = gemmi.read_small_structure(f)
            ops = gemmi.find_spacegroup_by_name(
                st.spacegroup_hm) if st.spacegroup_hm else None
            if ops is None or ops.number != EXPECT[name][2]:
                fails.append(f"{name}: gemmi space group "
                             f"{getattr(ops, 'number', None)}")
        print("gemmi: read_small_structure + H-M lookup done")

    print()
    print(f"{len(names)} CIF files checked, {len(fails)} failure(s)")
    for x in fails:
        print("  FAIL", x)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
