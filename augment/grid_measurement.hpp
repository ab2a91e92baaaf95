// Measurement effects drawn directly on a rendered pattern (no crystal needed), for training
// from a library's stored patterns: extra peak broadening, the Kα2 doublet, a lattice scale
// (strain/thermal expansion) with a zero shift, counting statistics over a background with an
// optional amorphous hump, and a partial scan range. Deterministic given the RNG.
#pragma once
#include <cstddef>
#include <random>

namespace xrdid::augment {

struct GridMeasurementParams {
  // Extra Gaussian broadening (convolution), σ_extra ~ U[0, max_extra_sigma_deg].
  double p_broaden = 0.7, max_extra_sigma_deg = 0.10;
  // Kα2 copy at the Kα2 angle of every Kα1 intensity, relative height ratio21.
  double p_kalpha2 = 0.5, lambda1 = 1.540598, lambda2 = 1.544426, ratio21 = 0.5;
  // Lattice scale f ~ U[1 − max_strain, 1 + max_strain] (every d multiplied by f) and zero
  // shift ~ U[−max_shift_deg, max_shift_deg].
  double p_geometry = 0.6, max_strain = 0.005, max_shift_deg = 0.2;
  // Counting: the strongest peak gets log-U[min, max] counts above a background of
  // U[0, max_background_rel] of that, sloped/curved, plus (p_hump) an amorphous hump.
  double p_counts = 0.8, peak_counts_min = 200.0, peak_counts_max = 20000.0;
  double max_background_rel = 0.15, p_hump = 0.3, max_hump_rel = 0.12;
  // Partial scan: start ~ U[range_start_min, range_start_max], end ~ U[range_end_min, grid end].
  double p_range = 0.85, range_start_min_deg = 2.0, range_start_max_deg = 20.0, range_end_min_deg = 60.0;
};

// The measured window [lo, hi) of grid points.
struct ScanWindow {
  std::size_t lo = 0, hi = 0;
};

// Applies the effects in place to y[0..n) on the grid start + i·step (degrees 2θ); y is a clean
// pattern (non-negative). The result is in counts when p_counts fires (else unscaled), zero
// outside the returned window.
ScanWindow measure_on_grid(float* y, std::size_t n, double start_deg, double step_deg,
                           const GridMeasurementParams& p, std::mt19937_64& rng);

}  // namespace xrdid::augment
