#!/usr/bin/env python3
"""Powder-pattern speed: xrdid vs pymatgen on the same CIFs, in one run, one thread each.

Usage: /usr/bin/python3 bench/xrd_vs_pymatgen.py XRDID [N=200] [CIF_ROOT=$XRDID_DATA/cif]

Picks N CIFs (every k-th file of the sorted list, deterministic) that pymatgen can read, times
pymatgen 2022.11.7 (CifParser + XRDCalculator("CuKa").get_pattern, 0-120 deg) in this process,
then `xrdid library build LIST --threads 1` on the same files (CIF reading + sticks + rendering
onto 6,000 points, so ours does more work), and prints both totals and the ratio.
"""
import os, subprocess, sys, tempfile, time, warnings

if len(sys.argv) < 2:
    sys.exit(__doc__)
xrdid = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from devdata import data_folder  # noqa: E402

root = data_folder(sys.argv[3] if len(sys.argv) > 3 else None, "cif", "xrd_vs_pymatgen.py")

warnings.filterwarnings("ignore")
from pymatgen.io.cif import CifParser  # noqa: E402
from pymatgen.analysis.diffraction.xrd import XRDCalculator  # noqa: E402

files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".cif"))
step = max(1, len(files) // (2 * n))
calc = XRDCalculator("CuKa")
chosen, t_pmg = [], 0.0
for f in files[::step]:
    if len(chosen) == n:
        break
    try:
        t0 = time.perf_counter()
        s = CifParser(f).get_structures()[0]
        calc.get_pattern(s, two_theta_range=(0, 120))
        t_pmg += time.perf_counter() - t0
        chosen.append(f)
    except Exception:
        continue
with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    r = subprocess.run([xrdid, "library", "build", *chosen, "--threads", "1", "-o", os.path.join(tmp, "l.xrdlib")],
                       capture_output=True, text=True, env=env)
    t_ours = time.perf_counter() - t0
if r.returncode != 0:
    sys.exit(r.stderr)
print(f"{len(chosen)} CIFs, one thread each: pymatgen {t_pmg:.2f} s ({1000*t_pmg/len(chosen):.1f} ms/structure), "
      f"xrdid {t_ours:.3f} s ({1000*t_ours/len(chosen):.2f} ms/structure, incl. process start and rendering); "
      f"ratio {t_pmg/t_ours:.0f}x")
