// The clean-up before matching (denoise/cleanup.hpp): background and counting noise go, peaks stay.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "denoise/cleanup.hpp"

using namespace xrdid::denoise;

TEST_CASE("cleanup: a sloped background with Poisson noise and one peak leaves the peak alone") {
  const double step = 0.02;
  const std::size_t n = 4000;
  std::mt19937_64 rng(5);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = 10.0 + static_cast<double>(i) * step;
    const double mean = 200.0 - 1.5 * t + 1000.0 * std::exp(-0.5 * (t - 50.0) * (t - 50.0) / (0.08 * 0.08));
    y[i] = static_cast<double>(std::poisson_distribution<long long>(mean)(rng));
  }
  cleanup_for_matching(y, step, {});
  const auto peak = static_cast<std::size_t>((50.0 - 10.0) / step);
  CHECK(y[peak] > 700.0);
  // Away from the peak (> 1° from it) most points are exactly zero and what is left is small
  // (SNIP follows the lower envelope of the noise, so a few upward excursions survive the floor).
  std::size_t far = 0, nonzero = 0;
  double far_max = 0, far_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::abs(static_cast<double>(i) - static_cast<double>(peak)) * step < 1.0) continue;
    ++far;
    nonzero += y[i] > 0;
    far_max = std::max(far_max, y[i]);
    far_sum += y[i];
  }
  MESSAGE("non-zero away from the peak: " << nonzero << " of " << far << ", max " << far_max << ", peak " << y[peak]);
  CHECK(static_cast<double>(nonzero) < 0.2 * static_cast<double>(far));
  CHECK(far_max < 0.05 * y[peak]);
  CHECK(far_sum / static_cast<double>(far) < 0.002 * y[peak]);
  CHECK(*std::min_element(y.begin(), y.end()) >= 0.0);
}

TEST_CASE("cleanup: an unknown background method is refused") {
  std::vector<double> y(100, 1.0);
  CHECK_THROWS_AS(cleanup_for_matching(y, 0.02, {"rolling-pin", 3.0}), std::runtime_error);
}
