"""Identifies the phase of a measured powder pattern with the xrdid Python module.

    python3 examples/python/identify.py PATTERN [LIBRARY] [--wavelength Å] [--top N]

Prints the same tab-separated rows as examples/c/identify.c.
"""
import argparse

import xrdid

ap = argparse.ArgumentParser()
ap.add_argument("pattern")
ap.add_argument("library", nargs="?")
ap.add_argument("--wavelength", type=float, help="Å, when the file does not say (default: the library's)")
ap.add_argument("--top", type=int, default=5)
a = ap.parse_args()

library = xrdid.Library(a.library)
for row in library.identify_file(a.pattern, wavelength=a.wavelength, top=a.top):
    print(f"{row['rank']}\t{row['id']}\t{row['reduced_formula']}\t{row['spacegroup_number']}\t"
          f"{row['score']:.6f}\t{row['probability']:.4f}")
