// SNIP background estimation (Ryan et al., NIM B 34 (1988) 396; Morháč et al., NIM A 401
// (1997) 113): the cheap classical alternative to BEADS for XRD baselines.
#pragma once
#include <vector>

namespace xrdid::denoise {

struct SnipParams {
  // Largest clipping half-window in samples. It should be about the full width at the base
  // of the widest peak to remove: ~0.3–0.5° 2θ, i.e. 30–50 samples on a 0.01° grid.
  int iterations = 40;
  // Log-log-square-root (LLS) transform v = ln(ln(√(y+1)+1)+1) before clipping (Morháč 1997),
  // which compresses tall peaks so the clipping follows the background of weak regions too.
  // Data with negative values are shifted up by −min(y) for the transform and back after.
  bool lls = true;
  // Decreasing window order p = m … 1 (as ROOT's TSpectrum offers; a smoother result) instead
  // of the original increasing order p = 1 … m.
  bool decreasing = true;
};

// Returns the background b (same length as y). Clipping step of SNIP:
//   v_p[i] = min(v[i], (v[i−p] + v[i+p]) / 2) for p ≤ i < N−p; windows that cross an end are
// shrunk to the distance to that end.
std::vector<double> snip(const std::vector<double>& y, const SnipParams& p = {});

}  // namespace xrdid::denoise
