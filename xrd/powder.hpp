// Powder diffraction sticks (2θ, d, intensity, hkl) of a Crystal, computed exactly as
// pymatgen's XRDCalculator.get_pattern (docs/method.md §3.2).
#pragma once
#include <array>
#include <map>
#include <string>
#include <vector>

#include "xrd/crystal.hpp"

namespace xrdid::xrd {

struct Stick {
  double two_theta = 0;                      // degrees (of the first merged reflection)
  double d = 0;                              // Å, 1/|g| of the first merged reflection
  double intensity = 0;                      // scaled to max 100 unless PowderOptions::scaled = false
  std::vector<std::array<int, 3>> hkl;       // every merged reciprocal-lattice point, in order
  int multiplicity = 0;                      // = hkl.size()
};

struct Sticks {
  std::vector<Stick> sticks;  // ascending 2θ
  double wavelength = 0;      // Å
};

struct PowderOptions {
  double wavelength = 1.54184;  // Å (pymatgen "CuKa")
  double two_theta_min = 0.0;   // degrees
  double two_theta_max = 120.0;
  // Debye–Waller B (Å²) per element symbol, applied as exp(−B s²) on the amplitude.
  // Elements not listed get B = 0, as in pymatgen (or their CIF B when use_site_b).
  std::map<std::string, double> b_by_element;
  // Per-site B (Å²), one per Crystal::sites entry; overrides everything else when non-empty.
  std::vector<double> b_by_site;
  bool use_site_b = false;  // take Site::b_iso from the CIF for elements not in b_by_element
  bool scaled = true;       // scale intensities to a maximum of 100
  // Reuse |F|² across reflections related by Crystal::ops rotations (checked first: each
  // rotation must keep the metric and the site set; otherwise it is not used). Off = every
  // reflection is evaluated, as pymatgen does; results agree to rounding.
  bool use_symmetry = true;
};

// Reflections with 0 < |g| ≤ r_max (+1e-8), r = 2 sin(θ)/λ, processed in (|g|, −h, −k, −l)
// order; I = |F|²·(1 + cos²2θ)/(sin²θ cosθ); reflections within 1e-5° join the first peak;
// peaks ≤ 1e-3 % of the strongest are dropped. Throws std::invalid_argument on bad options or
// a crystal without scattering power.
Sticks compute_sticks(const Crystal& crystal, const PowderOptions& opt = {});

}  // namespace xrdid::xrd
