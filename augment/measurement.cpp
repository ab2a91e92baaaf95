// Background and counting noise for synthetic measured patterns.
#include "augment/measurement.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace xrdid::augment {

void make_measured(xrd::Pattern& p, const MeasurementOptions& o) {
  if (p.size() == 0) return;
  const float mx = *std::max_element(p.intensity.begin(), p.intensity.end());
  const double scale = mx > 0 ? o.peak_counts / mx : 0.0;
  const double t0 = p.two_theta.front(), t1 = p.two_theta.back(), span = std::max(t1 - t0, 1e-9);
  std::mt19937_64 rng(o.seed);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double u = (p.two_theta[i] - t0) / span;
    const double bkg = o.background_counts * (1.0 + o.background_slope * u + 0.3 * o.background_slope * u * u) +
                       o.hump_counts * std::exp(-0.5 * std::pow((p.two_theta[i] - o.hump_center_deg) / o.hump_width_deg, 2));
    double mean = std::max(0.0, p.intensity[i] * scale + bkg);
    if (o.poisson) mean = static_cast<double>(std::poisson_distribution<long>(mean > 0 ? mean : 1e-12)(rng));
    p.intensity[i] = static_cast<float>(mean);
  }
}

}  // namespace xrdid::augment
