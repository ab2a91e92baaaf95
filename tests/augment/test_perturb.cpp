// Robustness perturbations of measured patterns (augment/perturb.hpp): parsing and effects.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "augment/perturb.hpp"

using namespace xrdid;
using namespace xrdid::augment;

namespace {

xrd::Pattern two_peaks() {
  xrd::Pattern p;
  for (int i = 0; i <= 5000; ++i) {
    const double t = 10.0 + 0.02 * i;  // 10..110°
    p.two_theta.push_back(t);
    p.intensity.push_back(static_cast<float>(1000.0 * std::exp(-0.5 * std::pow((t - 30.0) / 0.05, 2)) +
                                             800.0 * std::exp(-0.5 * std::pow((t - 100.0) / 0.05, 2))));
  }
  p.source = "two_peaks";
  return p;
}

double peak_near(const xrd::Pattern& p, double around) {
  double best = -1, pos = 0;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (std::abs(p.two_theta[i] - around) < 2.0 && p.intensity[i] > best) best = p.intensity[i], pos = p.two_theta[i];
  return pos;
}

}  // namespace

TEST_CASE("perturb: specifications parse, and bad ones name the problem") {
  auto p = parse_perturbation("strain=0.01,range=10:60,counts=300,shift=-0.1,displacement=0.2,hump=0.5,seed=7");
  CHECK(p.strain == 0.01);
  CHECK(p.range_lo == 10.0);
  CHECK(p.range_hi == 60.0);
  CHECK(p.counts == 300.0);
  CHECK(p.shift_deg == -0.1);
  CHECK(p.displacement_mm == 0.2);
  CHECK(p.hump == 0.5);
  CHECK(p.seed == 7);
  CHECK_FALSE(p.empty());
  CHECK(parse_perturbation("").empty());
  CHECK_THROWS_WITH_AS(parse_perturbation("twist=1"), doctest::Contains("unknown perturbation 'twist'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_perturbation("strain=abc"), doctest::Contains("not a number"), std::invalid_argument);
  CHECK_THROWS_AS(parse_perturbation("range=60:10"), std::invalid_argument);
  CHECK_THROWS_AS(parse_perturbation("counts=0"), std::invalid_argument);
  CHECK_THROWS_AS(parse_perturbation("strain"), std::invalid_argument);
}

TEST_CASE("perturb: strain moves peaks by Bragg's law, shift by a constant, displacement by cosθ") {
  const auto base = two_peaks();
  {
    auto p = base;
    apply_perturbation(p, parse_perturbation("strain=0.01"));
    // d × 1.01: sin θ' = sin θ / 1.01
    for (double t : {30.0, 100.0}) {
      const double expect = 2.0 * std::asin(std::sin(t * M_PI / 360.0) / 1.01) * 180.0 / M_PI;
      CHECK(std::abs(peak_near(p, expect) - expect) <= 0.02);
    }
  }
  {
    auto p = base;
    apply_perturbation(p, parse_perturbation("shift=0.2"));
    CHECK(std::abs(peak_near(p, 30.2) - 30.2) <= 0.011);
    CHECK(std::abs(peak_near(p, 100.2) - 100.2) <= 0.011);
  }
  {
    auto p = base;
    apply_perturbation(p, parse_perturbation("displacement=0.3"));
    const double d30 = peak_near(p, 30.0) - 30.0, d100 = peak_near(p, 100.0) - 100.0;
    CHECK(d30 < -0.1);              // towards lower angle for a positive displacement
    CHECK(std::abs(d30) > std::abs(d100));  // cos θ: smaller at high angle
  }
}

TEST_CASE("perturb: range keeps a partial scan; counts are integer Poisson draws; bad ranges are refused") {
  auto p = two_peaks();
  apply_perturbation(p, parse_perturbation("range=20:60,counts=50,seed=3"), 4);
  CHECK(p.two_theta.front() >= 20.0);
  CHECK(p.two_theta.back() <= 60.0);
  CHECK(p.size() > 1900);
  for (float v : p.intensity) {
    CHECK(v == std::round(v));
    if (v != std::round(v)) break;
  }
  CHECK(*std::max_element(p.intensity.begin(), p.intensity.end()) >= 30.f);
  auto q = two_peaks(), r = two_peaks();
  apply_perturbation(q, parse_perturbation("counts=50,seed=3"), 4);
  apply_perturbation(r, parse_perturbation("counts=50,seed=3"), 5);
  CHECK(q.intensity != r.intensity);  // each file its own draws
  auto s = two_peaks();
  CHECK_THROWS_AS(apply_perturbation(s, parse_perturbation("range=200:300")), std::invalid_argument);
}

TEST_CASE("perturb: texture rescales peaks, not the baseline; fluorescence and noise keep the peaks") {
  auto flat = two_peaks();
  for (auto& v : flat.intensity) v += 100.f;  // a baseline of 100 counts
  auto p = flat;
  apply_perturbation(p, parse_perturbation("texture=3,seed=2"), 1);
  const auto at = [](const xrd::Pattern& x, double t) {
    return x.intensity[static_cast<std::size_t>(std::lround((t - 10.0) / 0.02))];
  };
  const double r30 = (at(p, 30.0) - 100.0) / (at(flat, 30.0) - 100.0);
  const double r100 = (at(p, 100.0) - 100.0) / (at(flat, 100.0) - 100.0);
  CHECK(r30 >= 1.0 / 3.0 - 1e-6);
  CHECK(r30 <= 3.0 + 1e-6);
  CHECK(r100 >= 1.0 / 3.0 - 1e-6);
  CHECK(r100 <= 3.0 + 1e-6);
  CHECK(std::abs(r30 - r100) > 1e-3);                // the two peaks got their own factors
  CHECK(at(p, 60.0) == doctest::Approx(100.0));      // the baseline stays
  auto f = flat;
  apply_perturbation(f, parse_perturbation("fluorescence=0.5"));
  CHECK(at(f, 60.0) == doctest::Approx(100.0 + 0.5 * 1100.0));
  auto n = flat;
  apply_perturbation(n, parse_perturbation("noise=5,seed=1"), 2);
  for (float v : n.intensity) {
    CHECK(std::fmod(v, 5.f) == 0.f);  // Poisson(y / 5) × 5
    if (std::fmod(v, 5.f) != 0.f) break;
  }
  CHECK(std::abs(at(n, 30.0) - at(flat, 30.0)) < 0.2 * at(flat, 30.0));
  CHECK_THROWS_AS(parse_perturbation("texture=0.5"), std::invalid_argument);
  CHECK_THROWS_AS(parse_perturbation("noise=0"), std::invalid_argument);
}

TEST_CASE("perturb: an impurity phase adds its strongest line at F x the pattern's") {
  auto p = two_peaks();
  xrd::Pattern second;
  for (int i = 0; i <= 1000; ++i) {
    const double t = 40.0 + 0.01 * i;
    second.two_theta.push_back(t);
    second.intensity.push_back(static_cast<float>(50.0 * std::exp(-0.5 * std::pow((t - 45.0) / 0.05, 2))));
  }
  auto q = p;
  CHECK_THROWS_WITH_AS(apply_perturbation(q, parse_perturbation("impurity=0.2")), doctest::Contains("second phase"),
                       std::invalid_argument);
  apply_perturbation(p, parse_perturbation("impurity=0.2"), 0, &second);
  CHECK(peak_near(p, 45.0) == doctest::Approx(45.0).epsilon(1e-3));
  const float top = *std::max_element(p.intensity.begin() + 1600, p.intensity.begin() + 1900);  // 42–48°
  CHECK(top == doctest::Approx(200.0).epsilon(0.02));
  CHECK(p.intensity[1000] == doctest::Approx(1000.0).epsilon(1e-3));  // the main peak at 30° stays
}
