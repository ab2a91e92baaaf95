// Measurement effects drawn on a rendered pattern (augment/grid_measurement.hpp): each effect
// alone moves intensity where physics says, the scan window is respected, draws are seeded.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "augment/grid_measurement.hpp"

using namespace xrdid::augment;

namespace {

constexpr double kStart = 0.0, kStep = 0.02;
constexpr std::size_t kN = 6000;

std::vector<float> peak_at(double two_theta, double sigma = 0.05) {
  std::vector<float> y(kN);
  for (std::size_t i = 0; i < kN; ++i) {
    const double t = kStart + static_cast<double>(i) * kStep;
    y[i] = static_cast<float>(std::exp(-0.5 * (t - two_theta) * (t - two_theta) / (sigma * sigma)));
  }
  return y;
}

// Every effect off; tests switch on one at a time.
GridMeasurementParams none() {
  GridMeasurementParams p;
  p.p_broaden = p.p_kalpha2 = p.p_geometry = p.p_counts = p.p_hump = p.p_range = 0.0;
  return p;
}

double centroid(const std::vector<float>& y, double lo_deg, double hi_deg) {
  double s = 0, m = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    const double t = kStart + static_cast<double>(i) * kStep;
    if (t < lo_deg || t > hi_deg) continue;
    s += y[i];
    m += y[i] * t;
  }
  return s > 0 ? m / s : -1;
}

}  // namespace

TEST_CASE("grid measurement: with every effect off the pattern is unchanged") {
  auto y = peak_at(40.0);
  const auto y0 = y;
  std::mt19937_64 rng(1);
  const ScanWindow w = measure_on_grid(y.data(), kN, kStart, kStep, none(), rng);
  CHECK(w.lo == 0);
  CHECK(w.hi == kN);
  CHECK(y == y0);
}

TEST_CASE("grid measurement: the Kα2 copy sits at the Kα2 angle with half the area") {
  auto y = peak_at(100.0);
  auto p = none();
  p.p_kalpha2 = 1.0;
  std::mt19937_64 rng(2);
  measure_on_grid(y.data(), kN, kStart, kStep, p, rng);
  const double t2 = 2.0 * std::asin(std::sin(50.0 * M_PI / 180.0) * p.lambda2 / p.lambda1) * 180.0 / M_PI;
  CHECK(t2 - 100.0 > 0.3);  // resolved at 100° 2θ
  CHECK(centroid(y, t2 - 0.15, t2 + 0.15) == doctest::Approx(t2).epsilon(2e-4));
  double a1 = 0, a2 = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    const double t = static_cast<double>(i) * kStep;
    if (std::abs(t - 100.0) < 0.15) a1 += y[i];
    if (std::abs(t - t2) < 0.15) a2 += y[i];
  }
  CHECK(a2 / a1 == doctest::Approx(p.ratio21).epsilon(0.03));
}

TEST_CASE("grid measurement: a lattice scale moves high-angle peaks more than low-angle ones") {
  auto y = peak_at(20.0);
  auto hi = peak_at(110.0);
  for (std::size_t i = 0; i < kN; ++i) y[i] += hi[i];
  auto p = none();
  p.p_geometry = 1.0;
  p.max_shift_deg = 0.0;
  p.max_strain = 0.01;
  std::mt19937_64 rng(3);
  measure_on_grid(y.data(), kN, kStart, kStep, p, rng);
  const double c20 = centroid(y, 19.0, 21.0), c110 = centroid(y, 105.0, 115.0);
  // Both moved the same way (same f), the high-angle one several times further.
  const double d20 = c20 - 20.0, d110 = c110 - 110.0;
  CHECK(d20 * d110 > 0);
  CHECK(std::abs(d110) > 4.0 * std::abs(d20));
  // Consistent with one f: sin(θ_sample) = sin(θ_ref) / f for both peaks.
  const double f20 = std::sin(10.0 * M_PI / 180) / std::sin(c20 / 2 * M_PI / 180);
  const double f110 = std::sin(55.0 * M_PI / 180) / std::sin(c110 / 2 * M_PI / 180);
  CHECK(f20 == doctest::Approx(f110).epsilon(2e-4));
  CHECK(std::abs(f110 - 1.0) <= 0.0101);
}

TEST_CASE("grid measurement: counts are integers over a positive background, zero outside the window") {
  auto y = peak_at(30.0);
  auto p = none();
  p.p_counts = p.p_range = 1.0;
  p.p_hump = 1.0;
  std::mt19937_64 rng(4);
  const ScanWindow w = measure_on_grid(y.data(), kN, kStart, kStep, p, rng);
  REQUIRE(w.hi > w.lo);
  CHECK(static_cast<double>(w.lo) * kStep >= p.range_start_min_deg - kStep);
  CHECK(static_cast<double>(w.lo) * kStep <= p.range_start_max_deg + kStep);
  CHECK(static_cast<double>(w.hi - 1) * kStep >= p.range_end_min_deg - kStep);
  for (std::size_t i = 0; i < kN; ++i) {
    if (i < w.lo || i >= w.hi) {
      CHECK(y[i] == 0.f);
      if (y[i] != 0.f) break;
    } else {
      CHECK(y[i] == std::round(y[i]));
      if (y[i] != std::round(y[i])) break;
    }
  }
  const float peak = *std::max_element(y.begin(), y.end());
  CHECK(peak >= 0.8 * p.peak_counts_min);
  CHECK(peak <= 1.2 * p.peak_counts_max * (1 + p.max_background_rel + p.max_hump_rel));
}

TEST_CASE("grid measurement: the same seed gives the same pattern, another seed another") {
  GridMeasurementParams p;  // defaults: everything possible
  auto a = peak_at(35.0), b = a, c = a;
  std::mt19937_64 r1(9), r2(9), r3(10);
  measure_on_grid(a.data(), kN, kStart, kStep, p, r1);
  measure_on_grid(b.data(), kN, kStart, kStep, p, r2);
  measure_on_grid(c.data(), kN, kStart, kStep, p, r3);
  CHECK(a == b);
  CHECK(a != c);
}
