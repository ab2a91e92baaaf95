// Synthetic measured mixtures for the joint-fit and quantification tests: the peak shape they
// simulate with and the counting statistics of the pattern they make. Each test sums its phases'
// weighted raw profiles on synthetic_grid() itself (with texture, with Brindley's factor, …).
#pragma once
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "xrd/pattern.hpp"
#include "xrd/render.hpp"

namespace xrdid::testing {

// Cu Kα1+Kα2 10–110° in 0.01° steps.
inline std::vector<double> synthetic_grid() { return xrd::uniform_grid(10, 110, 0.01); }

// Area-normalised pseudo-Voigt peaks, Caglioti U, V, W; zero shift 0.04°; raw sums (no scaling).
inline xrd::ProfileOptions synthetic_profile() {
  xrd::ProfileOptions prof;
  prof.kind = xrd::ProfileKind::PseudoVoigt;
  prof.use_caglioti = true;
  prof.U = 0.008;
  prof.V = -0.004;
  prof.W = 0.004;
  prof.zero_shift = 0.04;
  prof.normalize_to = 0;
  return prof;
}

// Poisson counts of `peaks` (scaled so that its maximum is `peak_counts`) over a smooth
// background, plus an amorphous hump of `hump` counts at 2θ = 27° (Gaussian, σ 5°).
inline xrd::Pattern counted_pattern(const std::vector<double>& grid, const std::vector<double>& peaks,
                                    double peak_counts, double hump, unsigned seed) {
  const double mx = *std::max_element(peaks.begin(), peaks.end());
  std::mt19937_64 rng(seed);
  xrd::Pattern out;
  out.two_theta = grid;
  out.intensity.resize(grid.size());
  for (std::size_t i = 0; i < grid.size(); ++i) {
    const double bg = 150.0 + 60.0 * std::exp(-(grid[i] - 10.0) / 30.0) +
                      hump * std::exp(-0.5 * std::pow((grid[i] - 27.0) / 5.0, 2));
    std::poisson_distribution<long> pois(peaks[i] / mx * peak_counts + bg);
    out.intensity[i] = static_cast<float>(pois(rng));
  }
  out.source = "synthetic mixture";
  return out;
}

}  // namespace xrdid::testing
