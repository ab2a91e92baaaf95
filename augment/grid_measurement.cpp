// See grid_measurement.hpp.
#include "augment/grid_measurement.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "augment/physics.hpp"

namespace xrdid::augment {
namespace {

constexpr double kDegToHalfRad = M_PI / 360.0;  // 2θ in degrees -> θ in radians

double uniform(std::mt19937_64& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
bool chance(std::mt19937_64& rng, double p) { return p > 0 && uniform(rng, 0.0, 1.0) < p; }

// y sampled at fractional grid position x (linear interpolation, 0 outside).
double sample(const std::vector<float>& y, double x) {
  if (!(x >= 0) || x > static_cast<double>(y.size() - 1)) return 0.0;
  const auto j = static_cast<std::size_t>(x);
  const std::size_t j1 = std::min(j + 1, y.size() - 1);
  const double w = x - static_cast<double>(j);
  return (1 - w) * y[j] + w * y[j1];
}

void broaden(float* y, std::size_t n, double sigma_pts) {
  const int r = static_cast<int>(std::ceil(3.0 * sigma_pts));
  if (r < 1) return;
  std::vector<double> k(static_cast<std::size_t>(2 * r + 1));
  double s = 0;
  for (int i = -r; i <= r; ++i) s += k[static_cast<std::size_t>(i + r)] = std::exp(-0.5 * i * i / (sigma_pts * sigma_pts));
  for (auto& v : k) v /= s;
  std::vector<float> src(y, y + n);
  for (std::size_t i = 0; i < n; ++i) {
    double acc = 0;
    for (int d = -r; d <= r; ++d) {
      const auto j = static_cast<std::ptrdiff_t>(i) + d;
      if (j >= 0 && j < static_cast<std::ptrdiff_t>(n)) acc += k[static_cast<std::size_t>(d + r)] * src[static_cast<std::size_t>(j)];
    }
    y[i] = static_cast<float>(acc);
  }
}

// out(t) = y(source(t)) for a map t -> source angle (degrees); NaN source -> 0.
template <class Map>
void remap(float* y, std::size_t n, double start, double step, Map source, double weight_src, double weight_self) {
  std::vector<float> src(y, y + n);
  for (std::size_t i = 0; i < n; ++i) {
    const double s = source(start + static_cast<double>(i) * step);
    const double v = std::isfinite(s) ? sample(src, (s - start) / step) : 0.0;
    y[i] = static_cast<float>(weight_self * src[i] + weight_src * v);
  }
}

}  // namespace

ScanWindow measure_on_grid(float* y, std::size_t n, double start, double step, const GridMeasurementParams& p,
                           std::mt19937_64& rng) {
  ScanWindow w{0, n};
  if (n < 2) return w;
  if (chance(rng, p.p_broaden)) broaden(y, n, uniform(rng, 0.0, p.max_extra_sigma_deg) / step);
  if (chance(rng, p.p_kalpha2)) {
    // Intensity at Kα1 angle t1 reappears at t2 with sin(t2/2) = sin(t1/2)·λ2/λ1.
    const double ratio = p.lambda1 / p.lambda2;
    remap(y, n, start, step, [&](double t) {
      const double st = std::sin(t * kDegToHalfRad) * ratio;
      return st < 1.0 ? std::asin(st) / kDegToHalfRad : NAN;
    }, p.ratio21, 1.0);
  }
  if (chance(rng, p.p_geometry)) {
    // A sample whose d-spacings are f × the reference's: a reference peak at t_ref appears at
    // t with sin(t_ref/2) = f·sin(t/2); then the zero shift moves everything by `shift`.
    const double f = 1.0 + uniform(rng, -p.max_strain, p.max_strain);
    const double shift = uniform(rng, -p.max_shift_deg, p.max_shift_deg);
    remap(y, n, start, step, [&](double t) {
      const double st = std::sin((t - shift) * kDegToHalfRad) * f;
      return std::abs(st) < 1.0 ? std::asin(st) / kDegToHalfRad : NAN;
    }, 1.0, 0.0);
  }
  if (chance(rng, p.p_counts)) {
    const float mx = *std::max_element(y, y + n);
    const double peak = std::exp(uniform(rng, std::log(p.peak_counts_min), std::log(p.peak_counts_max)));
    const double scale = mx > 0 ? peak / mx : 0.0;
    const double b0 = uniform(rng, 0.0, p.max_background_rel) * peak;
    const double c1 = uniform(rng, -0.8, 0.4), c2 = uniform(rng, 0.0, 0.6);
    const bool hump = chance(rng, p.p_hump);
    const double hh = hump ? uniform(rng, 0.0, p.max_hump_rel) * peak : 0.0;
    const double hc = uniform(rng, 15.0, 35.0), hw = uniform(rng, 3.0, 8.0);
    xrd::Pattern pat;  // the grid as a pattern, for the background and counting of physics.hpp
    pat.two_theta.resize(n);
    pat.intensity.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      pat.two_theta[i] = start + static_cast<double>(i) * step;
      pat.intensity[i] = static_cast<float>(scale * y[i]);
    }
    add_background(pat, Background{b0, c1, c2, hh, hc, hw});
    poisson_noise(pat, rng);
    std::copy(pat.intensity.begin(), pat.intensity.end(), y);
  }
  if (chance(rng, p.p_range)) {
    const double end = start + step * static_cast<double>(n - 1);
    const double a = uniform(rng, p.range_start_min_deg, p.range_start_max_deg);
    const double b = uniform(rng, std::min(p.range_end_min_deg, end), end);
    const auto lo = static_cast<std::size_t>(std::clamp(std::ceil((a - start) / step), 0.0, static_cast<double>(n)));
    const auto hi = static_cast<std::size_t>(std::clamp(std::floor((b - start) / step) + 1, 0.0, static_cast<double>(n)));
    if (hi > lo + 1) w = {lo, hi};
  }
  std::fill(y, y + w.lo, 0.f);
  std::fill(y + w.hi, y + n, 0.f);
  return w;
}

}  // namespace xrdid::augment
