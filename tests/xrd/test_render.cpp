// Rendering: the LiF 6000-point spectrum (docs/method.md §13.1), windowed vs. full evaluation,
// pseudo-Voigt widths and areas, zero shift and the Kα doublet.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "xrd/cif_reader.hpp"
#include "xrd/render.hpp"
#include "xrd/wavelengths.hpp"

using namespace xrdid::xrd;

namespace {
std::string data(const std::string& name) { return std::string(XRDID_TEST_DATA) + "/cif/" + name; }
std::size_t argmax(const Pattern& p) {
  return static_cast<std::size_t>(std::max_element(p.intensity.begin(), p.intensity.end()) - p.intensity.begin());
}
}  // namespace

TEST_CASE("LiF rendered spectrum matches docs/method.md §13.1") {
  Crystal lif = read_cif(data("LiF.cif"));
  const std::vector<double> grid = uniform_grid(0.0, 120.0, 0.02);
  REQUIRE(grid.size() == 6000);
  CHECK(grid.back() == doctest::Approx(119.98));
  Pattern p = render(compute_sticks(lif), grid);
  CHECK(argmax(p) == 2251);
  CHECK(p.intensity[2251] == doctest::Approx(100.0f));
  double sum = 0;
  for (float v : p.intensity) sum += v;
  CHECK(sum == doctest::Approx(2528.8994).epsilon(1e-4));
  const double ref[] = {0.3488, 0.8542, 1.9277, 4.0091, 7.6845, 13.5746, 22.0998, 33.1586, 45.8513, 58.4324, 68.6284};
  for (int i = 0; i < 11; ++i) {
    CAPTURE(i);
    CHECK(std::abs(p.intensity[1925 + i] - ref[i]) < 1e-3);
  }
  // simulate_pattern gives the same on this grid (no LiF peak lies just beyond 120°).
  Pattern q = simulate_pattern(lif, parse_wavelength("CuKa"), grid);
  for (std::size_t i = 0; i < grid.size(); i += 7) CHECK(q.intensity[i] == doctest::Approx(p.intensity[i]).epsilon(1e-6));
  CHECK(q.wavelength.alpha1 == 1.54184);
}

TEST_CASE("windowed Gaussian equals evaluation on every point") {
  Crystal si = read_cif(data("Si.cif"));
  Sticks st = compute_sticks(si);
  const std::vector<double> grid = uniform_grid(10.0, 100.0, 0.013);
  std::vector<double> acc(grid.size(), 0.0);
  ProfileOptions o;
  o.sigma = 0.05;
  accumulate_profile(st, 1.0, grid, o, acc);
  double max_err = 0, peak = *std::max_element(acc.begin(), acc.end());
  for (std::size_t j = 0; j < grid.size(); ++j) {
    double full = 0;
    for (const Stick& s : st.sticks)
      full += s.intensity / (o.sigma * std::sqrt(2 * M_PI)) *
              std::exp(-(grid[j] - s.two_theta) * (grid[j] - s.two_theta) / (2 * o.sigma * o.sigma));
    max_err = std::max(max_err, std::abs(full - acc[j]));
  }
  CHECK(max_err < 1e-12 * peak);
}

TEST_CASE("pseudo-Voigt: area, Scherrer width grows with 1/size, zero shift") {
  Sticks one;
  one.wavelength = 1.54184;
  Stick s;
  s.two_theta = 50.0;
  s.intensity = 10.0;
  one.sticks.push_back(s);
  const std::vector<double> grid = uniform_grid(0.0, 100.0, 0.001);
  auto area_and_fwhm = [&](const ProfileOptions& o, double* fwhm) {
    std::vector<double> acc(grid.size(), 0.0);
    accumulate_profile(one, 1.0, grid, o, acc);
    double mx = *std::max_element(acc.begin(), acc.end());
    std::size_t n = std::count_if(acc.begin(), acc.end(), [&](double v) { return v >= mx / 2; });
    *fwhm = n * 0.001;
    return std::accumulate(acc.begin(), acc.end(), 0.0) * 0.001;
  };
  ProfileOptions o;
  o.kind = ProfileKind::PseudoVoigt;
  o.use_caglioti = true;
  o.U = 0.01;
  o.V = -0.005;
  o.W = 0.005;
  double w_g = 0;
  CHECK(area_and_fwhm(o, &w_g) == doctest::Approx(10.0).epsilon(1e-3));
  const double t = std::tan(25.0 * M_PI / 180.0);
  CHECK(w_g == doctest::Approx(std::sqrt(o.U * t * t + o.V * t + o.W)).epsilon(0.02));
  o.size_nm = 20;
  double w_20 = 0;
  // Lorentzian tails beyond ±60 FWHM are cut: area within 1.5 %.
  CHECK(area_and_fwhm(o, &w_20) == doctest::Approx(10.0).epsilon(0.015));
  o.size_nm = 5;
  double w_5 = 0;
  area_and_fwhm(o, &w_5);
  CHECK(w_20 > w_g);
  CHECK(w_5 > w_20 * 1.5);
  // Zero shift moves the peak.
  Pattern a = render(one, grid, o);
  o.zero_shift = 0.25;
  Pattern b = render(one, grid, o);
  CHECK(static_cast<long>(argmax(b)) - static_cast<long>(argmax(a)) == 250);
  CHECK(a.intensity[argmax(a)] == doctest::Approx(100.0f));
}

TEST_CASE("Cu Kα doublet splits high-angle peaks") {
  Crystal lif = read_cif(data("LiF.cif"));
  const std::vector<double> grid = uniform_grid(110.0, 120.0, 0.005);
  ProfileOptions o;
  o.sigma = 0.03;
  Pattern single = simulate_pattern(lif, parse_wavelength("CuKa1"), grid, o);
  Pattern dbl = simulate_pattern(lif, parse_wavelength("CuKa12"), grid, o);
  CHECK(dbl.wavelength.alpha2 == 1.544426);
  // (420) near 117.9° (Kα1): the Kα2 line lies ~0.5° higher, at half height.
  auto local_max = [&](const Pattern& p, double lo, double hi) {
    float m = 0;
    for (std::size_t i = 0; i < grid.size(); ++i)
      if (grid[i] >= lo && grid[i] <= hi) m = std::max(m, p.intensity[i]);
    return m;
  };
  const double tt1 = 2 * std::asin(1.540598 * std::sqrt(20.0) / (2 * 4.027)) * 180 / M_PI;
  const double tt2 = 2 * std::asin(1.544426 * std::sqrt(20.0) / (2 * 4.027)) * 180 / M_PI;
  REQUIRE(tt2 - tt1 > 0.3);
  CHECK(local_max(single, tt2 - 0.05, tt2 + 0.05) < 1.0f);
  const float r = local_max(dbl, tt2 - 0.05, tt2 + 0.05) / local_max(dbl, tt1 - 0.05, tt1 + 0.05);
  CHECK(r == doctest::Approx(0.5).epsilon(0.1));
}
