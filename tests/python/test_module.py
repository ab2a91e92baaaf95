"""The `xrdid` Python module against the program it ships with.

    python3 tests/python/test_module.py XRDID_PROGRAM WORK_DIR [MODEL]

(with the module on PYTHONPATH). Plain asserts, no test framework: every check prints "ok: ..."
or raises. Bad input must raise ValueError with the C API's message.
"""
import json
import math
import os
import subprocess
import sys
import threading

import numpy as np

import xrdid

program, work = sys.argv[1], sys.argv[2]
model_path = sys.argv[3] if len(sys.argv) > 3 else None
share = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(program))), "share", "xrdid")
cif = os.path.join(share, "phases", "ZnO_zincite.cif")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def raises(exc, fn, what, contains=""):
    try:
        fn()
    except exc as e:
        check(contains in str(e), f"{what}: {exc.__name__}: {e}")
        return
    raise AssertionError(f"{what}: no {exc.__name__}")


# The bundled library.
lib = xrdid.Library()
check(len(lib) > 60, f"bundled library: {len(lib)} entries")
check(lib.wavelength > 1.5, f"library wavelength {lib.wavelength} Å")
check(xrdid.__version__.count(".") == 2, f"version {xrdid.__version__}")

# simulate: a path, CIF text and the program agree.
tt, y = xrdid.simulate(cif, wavelength=1.5406)
check(len(tt) == 6000 and abs(tt[-1] - 119.98) < 1e-9, "default grid 0 … 119.98 (as `xrdid simulate`)")
check(np.isfinite(y).all() and abs(y.max() - 100) < 1e-4, "simulated maximum 100, all finite")
tt2, y2 = xrdid.simulate(open(cif).read(), wavelength=1.5406, two_theta=tt)
check(np.array_equal(y, y2), "CIF text simulates as the path")
xy = subprocess.run([program, "simulate", cif, "--wavelength", "1.5406"], check=True, capture_output=True,
                    text=True).stdout
ref = np.array([[float(v) for v in line.split()[:2]] for line in xy.splitlines()
                if line and not line.startswith("#")])
check(ref.shape[0] == len(tt) and np.abs(ref[:, 1] - y).max() < 1e-3,
      f"equals `xrdid simulate` (max diff {np.abs(ref[:, 1] - y).max():.2e})")
try:
    import warnings
    warnings.simplefilter("ignore")
    from pymatgen.core import Structure
    s = Structure.from_file(cif)
    _, y3 = xrdid.simulate(s, wavelength=1.5406, two_theta=tt)
    check(np.corrcoef(y, y3)[0, 1] > 0.999, "a pymatgen Structure simulates (through its CIF text)")
except ImportError:
    print("skip: pymatgen not installed")

# identify: the phase simulated ranks first, with the JSON's fields.
grid = np.arange(10, 80, 0.02)
_, zno = xrdid.simulate(cif, wavelength=1.5406, two_theta=grid)
rows = lib.identify(grid, zno + 20.0, wavelength=1.5406, top=5)
check(len(rows) == 5 and rows[0]["rank"] == 1, "5 rows")
check({"rank", "id", "formula", "reduced_formula", "spacegroup_number", "score", "probability", "shift_deg", "scale",
       "source", "same_phase", "reference_fill", "reference_incomplete", "chance", "cell"} <= set(rows[0]),
      "row fields as the JSON's candidates")
check(rows[0]["reduced_formula"] == "ZnO" and rows[0]["spacegroup_number"] == 186,
      f"ZnO first ({rows[0]['id']}, score {rows[0]['score']:.3f})")
check(all(math.isfinite(r["score"]) for r in rows), "finite scores")
listed = lib.identify(list(grid), list(zno + 20.0), wavelength=1.5406, top=5)
check([r["id"] for r in listed] == [r["id"] for r in rows], "lists work as arrays")
peaks = lib.identify(grid, zno + 20.0, wavelength=1.5406, top=3, method="peaks")
check(peaks[0]["reduced_formula"] == "ZnO", "method='peaks'")
no_zn = lib.identify(grid, zno + 20.0, wavelength=1.5406, top=5, exclude="Zn")
check(all("Zn" not in r["formula"].split() and not r["formula"].startswith("Zn") for r in no_zn),
      "exclude='Zn' removes Zn phases")

# The same as the program on a file.
path = os.path.join(work, "zno_py.xy")
with open(path, "w") as f:
    for a, b in zip(grid, zno + 20.0):
        f.write(f"{a:.4f} {b:.6f}\n")
out = subprocess.run([program, "identify", path, "--wavelength", "1.5406", "--top", "5", "--json"], check=True,
                     capture_output=True, text=True).stdout
cli = json.loads(out)["queries"][0]["candidates"]
t2, y2, wl = xrdid.read_pattern(path)
check(wl is None and len(t2) == len(grid), "read_pattern: arrays, no wavelength in an .xy")
mine = lib.identify(t2, y2, wavelength=1.5406, top=5)
check([(r["id"], round(r["score"], 6)) for r in mine] == [(c["id"], round(c["score"], 6)) for c in cli],
      "same ids and scores as `xrdid identify --json`")
check([sorted(r) for r in mine] == [sorted(c) for c in cli]
      and [(r["same_phase"], round(r["probability"], 6)) for r in mine]
      == [(c["same_phase"], round(c["probability"], 6)) for c in cli],
      "every field of `xrdid identify --json`'s rows, the same sources and probabilities")
cli_default = json.loads(subprocess.run([program, "identify", path, "--top", "5", "--json"], check=True,
                                        capture_output=True, text=True).stdout)["queries"][0]["candidates"]
from_file = lib.identify_file(path, top=5)
check([(r["id"], round(r["score"], 6)) for r in from_file] == [(c["id"], round(c["score"], 6)) for c in cli_default],
      "identify_file (the library's wavelength for an .xy) = `xrdid identify FILE --json`")

# With a model: hybrid by default, and the model method, as the program ranks them.
if model_path:
    model = xrdid.Model(model_path)
    for method in ("hybrid", "model"):
        out = subprocess.run([program, "identify", path, "--model", model_path, "--method", method, "--top", "5",
                              "--json"], check=True, capture_output=True, text=True).stdout
        ref = json.loads(out)["queries"][0]["candidates"]
        kw = {} if method == "hybrid" else {"method": method}
        got = lib.identify_file(path, top=5, model=model, **kw)
        check([(r["id"], round(r["score"], 5)) for r in got] == [(c["id"], round(c["score"], 5)) for c in ref],
              f"model method {method}: same ids and scores as `xrdid identify --model --json`")
else:
    print("skip: no model given")

# Threads share one library.
results = [None] * 4
def work_thread(k):
    results[k] = [r["id"] for r in lib.identify(grid, zno + 20.0, wavelength=1.5406, top=5)]
threads = [threading.Thread(target=work_thread, args=(k,)) for k in range(4)]
for t in threads: t.start()
for t in threads: t.join()
check(all(r == [x["id"] for x in rows] for r in results), "4 threads on one library: same rankings")

# Bad input: ValueError with the C API's message.
raises(ValueError, lambda: lib.identify(grid, zno, wavelength=0), "wavelength 0", "wavelength")
raises(ValueError, lambda: lib.identify(grid, zno, wavelength=float("nan")), "wavelength NaN", "wavelength")
bad = zno.copy(); bad[100] = float("nan")
raises(ValueError, lambda: lib.identify(grid, bad), "NaN intensity", "not a finite number")
raises(ValueError, lambda: lib.identify(grid[::-1], zno), "decreasing 2θ", "increase")
raises(ValueError, lambda: lib.identify([], []), "no points", "at least 2 points")
raises(ValueError, lambda: lib.identify(grid, zno[:-1]), "lengths differ", "differ in length")
raises(ValueError, lambda: lib.identify(grid, zno, method="model"), "model method without a model", "needs a model")
raises(ValueError, lambda: lib.identify(grid, zno, method="best"), "unknown method", "method")
raises(ValueError, lambda: lib.identify(grid, zno, require="Xx"), "unknown element", "unknown element 'Xx'")
raises(ValueError, lambda: lib.identify(grid, zno, top=0), "top 0", "top")
raises(TypeError, lambda: lib.identify(grid, zno, shift=1), "unknown option", "unknown option 'shift'")
raises(ValueError, lambda: xrdid.Library(os.path.join(work, "none.xrdlib")), "missing library file", "none.xrdlib")
raises(ValueError, lambda: xrdid.Model(os.path.join(work, "none.safetensors")), "missing model file")
raises(ValueError, lambda: xrdid.read_pattern(os.path.join(work, "none.xy")), "missing pattern file", "none.xy")
raises(ValueError, lambda: xrdid.simulate("data_x\n_cell_length_a 1\n"), "CIF text without atoms")
raises(ValueError, lambda: xrdid.simulate(cif, wavelength=-1), "negative wavelength", "wavelength")

# A two-phase mixture: both phases found, fractions sum to 1.
_, nio = xrdid.simulate(os.path.join(share, "phases", "NiO.cif"), wavelength=1.5406, two_theta=grid)
rng = np.random.default_rng(1)
counts = 1000 * (zno / zno.max()) + 600 * (nio / nio.max()) + 50
counts = rng.poisson(counts).astype(float)
mix = lib.identify_mixture(grid, counts, wavelength=1.5406)
found = sorted(p["reduced_formula"] for p in mix["phases"])
check(found == ["NiO", "ZnO"], f"mixture: {found}, Rwp {mix['rwp']:.3f}")
check(abs(sum(p["weight_fraction"] for p in mix["phases"]) - 1) < 1e-9
      and all(p["weight_fraction_esd"] > 0 for p in mix["phases"]), "weight fractions sum to 1, with ESDs")
check(all({"cell", "cell_esd", "chi2_drop", "volume_change", "same_phase", "reference_incomplete"} <= set(p)
          for p in mix["phases"]) and mix["mixture"]["rwp"] == mix["rwp"] and "unexplained_peaks" in mix["mixture"],
      "mixture phases and joint fit with the JSON's fields")
mix_path = os.path.join(work, "mix_py.xy")
with open(mix_path, "w") as f:
    for a, b in zip(grid, counts):
        f.write(f"{a:.4f} {b:.1f}\n")
cli_mix = json.loads(subprocess.run([program, "identify", mix_path, "--wavelength", "1.5406", "--mixture", "--json"],
                                    check=True, capture_output=True, text=True).stdout)["queries"][0]
check([(p["id"], round(p["weight_fraction"], 6)) for p in mix["phases"]]
      == [(p["id"], round(p["weight_fraction"], 6)) for p in cli_mix["phases"]],
      "mixture: the same phases and fractions as `xrdid identify --mixture --json`")
# Quantification: ZnO as the internal standard at 30 %, Brindley for 5 µm grains.
q = lib.identify_mixture(grid, counts, wavelength=1.5406, standard="ZnO", standard_fraction=0.3, brindley_size=5)
check("amorphous_fraction" in q and q["amorphous_fraction_esd"] > 0, f"amorphous fraction: {q.get('amorphous_fraction')}")
check(all("absolute_fraction" in p and p["mu_per_cm"] > 0 and p["brindley_tau"] > 0 for p in q["phases"]),
      "each phase has its absolute fraction, mu and Brindley's tau")
check(abs(sum(p["absolute_fraction"] for p in q["phases"]) + q["amorphous_fraction"] - 1) < 1e-9,
      "absolute fractions and the amorphous part sum to 1")
raises(ValueError, lambda: lib.identify_mixture(grid, counts, wavelength=1.5406, standard="Al2O3",
                                                standard_fraction=0.2), "standard not found", "not among the phases")
# The selection options as the command line's: stepwise finds the same two phases here.
sw = lib.identify_mixture(grid, counts, wavelength=1.5406, mixture_selection="stepwise", min_lines_chi2_drop=0.2,
                          mixture_cell_bound=0.01, mixture_texture=False, profile_exponent=0.5)
check(sorted(p["reduced_formula"] for p in sw["phases"]) == ["NiO", "ZnO"], f"stepwise mixture: {sw['phases']}")
raises(ValueError, lambda: lib.identify_mixture(grid, counts, mixture_selection="greedy"), "bad selection",
       "mixture_selection")
raises(ValueError, lambda: lib.identify_mixture(grid, counts, max_phases=9), "max_phases above 8", "1 to 8")
# Substitutes and the room-temperature filter as the command line's switches.
ns = lib.identify_mixture(grid, counts, wavelength=1.5406, mixture_substitutes=0, mixture_substitute_drop=0.2)
check(sorted(p["reduced_formula"] for p in ns["phases"]) == ["NiO", "ZnO"], f"mixture without substitutes: {ns['phases']}")
raises(ValueError, lambda: lib.identify_mixture(grid, counts, mixture_substitutes=21), "substitutes above 20", "0 to 20")
raises(ValueError, lambda: lib.identify_mixture(grid, counts, mixture_substitute_drop=2), "substitute drop above 1",
       "mixture_substitute_drop")
# The first phase judged as the others, texture along the strongest reflections too.
kf = lib.identify_mixture(grid, counts, wavelength=1.5406, mixture_judge_first=1, mixture_texture_lines=3)
check(sorted(p["reduced_formula"] for p in kf["phases"]) == ["NiO", "ZnO"], f"mixture, first judged: {kf['phases']}")
raises(ValueError, lambda: lib.identify_mixture(grid, counts, mixture_texture_lines=21), "texture lines above 20",
       "mixture_texture_lines")
ax = lib.identify_mixture(grid, counts, wavelength=1.5406, mixture_axis_check=0)
check(sorted(p["reduced_formula"] for p in ax["phases"]) == ["NiO", "ZnO"], f"mixture, no axis check: {ax['phases']}")
raises(ValueError, lambda: lib.identify_mixture(grid, counts, mixture_axis_check=-1), "negative axis check",
       "mixture_axis_check")
nc = lib.identify_mixture(grid, counts, wavelength=1.5406, mixture_axis_calibration=False)
check(sorted(p["reduced_formula"] for p in nc["phases"]) == ["NiO", "ZnO"], f"mixture, no calibration: {nc['phases']}")
check(lib.identify(grid, counts, low_temperature=True)[0]["reduced_formula"] in ("ZnO", "NiO"),
      "low_temperature accepted")
print("test_module: all passed")
