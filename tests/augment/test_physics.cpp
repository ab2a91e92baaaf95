// Physics-informed augmentation: strain splitting, March–Dollase, displacement (cosθ), true
// shifts, Kα2, Poisson statistics, min-max, determinism independent of the thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "augment/physics.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/powder.hpp"
#include "xrd/render.hpp"

using namespace xrdid;
using namespace xrdid::augment;

namespace {

constexpr double kDeg = M_PI / 180.0;

xrd::Crystal nacl() { return xrd::read_cif(std::string(XRDID_TEST_DATA) + "/cif/NaCl.cif"); }

// P1 tetragonal cell a = 3, c = 5 Å with one Fe atom at the origin.
xrd::Crystal tetragonal() {
  xrd::Crystal c;
  c.a = c.b = 3.0;
  c.c = 5.0;
  xrd::SymOp id;
  id.rot = {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  c.ops = {id};
  c.sites.push_back(xrd::Site{"Fe1", "Fe", 26, {0.0, 0.0, 0.0}, 1.0, 0.0, 0, 0});
  c.spacegroup_number = 1;
  c.source = "tetragonal-test";
  c.asu_site_count = 1;
  return c;
}

const xrd::Stick* find_hkl(const xrd::Sticks& s, std::array<int, 3> hkl) {
  for (const auto& st : s.sticks)
    if (std::find(st.hkl.begin(), st.hkl.end(), hkl) != st.hkl.end()) return &st;
  return nullptr;
}

int sticks_within(const xrd::Sticks& s, double center, double half) {
  int n = 0;
  for (const auto& st : s.sticks) n += std::abs(st.two_theta - center) <= half;
  return n;
}

// Peak position: centroid of the points above half of the maximum inside [lo, hi].
double peak_position(const xrd::Pattern& p, double lo, double hi) {
  float mx = 0;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p.two_theta[i] >= lo && p.two_theta[i] <= hi) mx = std::max(mx, p.intensity[i]);
  double sw = 0, sx = 0;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p.two_theta[i] >= lo && p.two_theta[i] <= hi && p.intensity[i] > 0.5f * mx) {
      sw += p.intensity[i];
      sx += p.intensity[i] * p.two_theta[i];
    }
  return sx / sw;
}

xrd::Pattern two_peak_pattern(double step) {
  xrd::Sticks s;
  s.wavelength = 1.5406;
  s.sticks.resize(2);
  s.sticks[0].two_theta = 20.0;
  s.sticks[0].intensity = 100;
  s.sticks[1].two_theta = 100.0;
  s.sticks[1].intensity = 100;
  xrd::ProfileOptions prof;
  prof.sigma = 0.05;
  return xrd::render(s, xrd::uniform_grid(10, 110, step), prof);
}

}  // namespace

TEST_CASE("lattice strain splits the cubic (200) of NaCl into three peaks") {
  const auto c = nacl();
  xrd::PowderOptions po;
  po.two_theta_min = 10;
  po.two_theta_max = 60;
  const auto s0 = xrd::compute_sticks(c, po);
  const xrd::Stick* p200 = find_hkl(s0, {2, 0, 0});
  REQUIRE(p200 != nullptr);
  CHECK(p200->multiplicity == 6);
  CHECK(sticks_within(s0, p200->two_theta, 1.0) == 1);

  const auto strained = strain_lattice(c, {0.012, -0.008, 0.004});
  const auto s1 = xrd::compute_sticks(strained, po);
  CHECK(sticks_within(s1, p200->two_theta, 1.0) == 3);
  // Each line is where Bragg's law puts it for its own axis: d(200) = a(1+ε)/2.
  for (double eps : {0.012, -0.008, 0.004}) {
    const double tt = 2.0 * std::asin(po.wavelength / (2.0 * c.a * (1 + eps) / 2.0)) / kDeg;
    CHECK(sticks_within(s1, tt, 1e-6) == 1);
  }
  // Random strain with δ = 2 %: 2 or 3 lines (3 unless two ε nearly coincide).
  Rng rng(7);
  const auto s2 = xrd::compute_sticks(random_strain(c, rng, 0.02, 0.0), po);
  const int n = sticks_within(s2, p200->two_theta, 1.0);
  CHECK(n >= 2);
  CHECK(n <= 3);
  // Angle perturbation also lowers the symmetry and stays a valid cell.
  CHECK_THROWS_AS(strain_lattice(c, {-1.0, 0, 0}), std::invalid_argument);
}

TEST_CASE("March–Dollase: r = 1 is the identity, r < 1 enhances (00l) against (h00) by r^-4.5") {
  const auto c = tetragonal();
  xrd::PowderOptions po;
  po.two_theta_max = 90;
  const auto s0 = xrd::compute_sticks(c, po);
  auto s1 = s0;
  apply_march_dollase(s1, c, {0, 0, 1}, 1.0);
  REQUIRE(s1.sticks.size() == s0.sticks.size());
  for (std::size_t i = 0; i < s0.sticks.size(); ++i) CHECK(s1.sticks[i].intensity == doctest::Approx(s0.sticks[i].intensity).epsilon(1e-12));

  const double r = 0.7;
  auto s2 = s0;
  apply_march_dollase(s2, c, {0, 0, 1}, r);
  const auto* a001 = find_hkl(s0, {0, 0, 1});
  const auto* a100 = find_hkl(s0, {1, 0, 0});
  const auto* b001 = find_hkl(s2, {0, 0, 1});
  const auto* b100 = find_hkl(s2, {1, 0, 0});
  REQUIRE((a001 && a100 && b001 && b100));
  const double before = a001->intensity / a100->intensity, after = b001->intensity / b100->intensity;
  CHECK(after / before == doctest::Approx(std::pow(r, -4.5)).epsilon(1e-9));
  CHECK(after > before);
  // (101): cos α = (1/c) / sqrt(1/a² + 1/c²) in the tetragonal reciprocal metric.
  const auto* a101 = find_hkl(s0, {1, 0, 1});
  const auto* b101 = find_hkl(s2, {1, 0, 1});
  REQUIRE((a101 && b101));
  const double ca = (1 / 5.0) / std::sqrt(1 / 9.0 + 1 / 25.0);
  CHECK(b101->intensity / a101->intensity == doctest::Approx(march_dollase(r, ca)).epsilon(1e-9));
  // Needles (r > 1) along [001] weaken (00l) instead.
  auto s3 = s0;
  apply_march_dollase(s3, c, {0, 0, 1}, 1.3);
  CHECK(find_hkl(s3, {0, 0, 1})->intensity / find_hkl(s3, {1, 0, 0})->intensity < before);
  CHECK(march_dollase(0.8, 1.0) == doctest::Approx(std::pow(0.8, -3.0)));
  CHECK(march_dollase(0.8, 0.0) == doctest::Approx(std::pow(0.8, 1.5)));
}

TEST_CASE("sample displacement shifts low-angle peaks more than high-angle ones (cos θ)") {
  const double s = 0.5, R = 240.0;
  CHECK(displacement_shift_deg(0.0, s, R) == doctest::Approx(-2 * s / R / kDeg));
  const double d20 = displacement_shift_deg(20.0, s, R), d100 = displacement_shift_deg(100.0, s, R);
  CHECK(d20 < 0);
  CHECK(std::abs(d20) > std::abs(d100));
  CHECK(d20 / d100 == doctest::Approx(std::cos(10 * kDeg) / std::cos(50 * kDeg)));

  xrd::Pattern p = two_peak_pattern(0.002);
  const double x20 = peak_position(p, 18, 22), x100 = peak_position(p, 98, 102);
  displace_pattern(p, s, R);
  const double m20 = peak_position(p, 18, 22) - x20, m100 = peak_position(p, 98, 102) - x100;
  CHECK(m20 == doctest::Approx(d20).epsilon(0.03));
  CHECK(m100 == doctest::Approx(d100).epsilon(0.03));
  CHECK(std::abs(m20) > std::abs(m100) + 0.05);

  xrd::Sticks st;
  st.wavelength = 1.5406;
  st.sticks.resize(2);
  st.sticks[0].two_theta = 20;
  st.sticks[1].two_theta = 100;
  shift_sticks(st, 0.1, s, R);
  CHECK(st.sticks[0].two_theta == doctest::Approx(20 + 0.1 + d20));
  CHECK(st.sticks[1].two_theta == doctest::Approx(100 + 0.1 + d100));
}

TEST_CASE("shift_pattern is a true shift in both directions") {
  for (double delta : {0.5, -0.5}) {
    xrd::Pattern p = two_peak_pattern(0.01);
    const double x0 = peak_position(p, 18, 22);
    shift_pattern(p, delta);
    CHECK(peak_position(p, 18, 22) - x0 == doctest::Approx(delta).epsilon(0.01));
  }
  // Shifted-in points are zero.
  xrd::Pattern p = two_peak_pattern(0.01);
  for (float& v : p.intensity) v = 1.f;
  shift_pattern(p, 1.0);
  CHECK(p.intensity[0] == 0.f);
  CHECK(p.intensity[200] == doctest::Approx(1.0));
}

TEST_CASE("Kα2 sticks follow Bragg's law with the same d") {
  const auto s1 = xrd::compute_sticks(nacl(), {});
  const auto s2 = to_wavelength(s1, 1.544426);
  REQUIRE(s2.sticks.size() <= s1.sticks.size());
  for (std::size_t i = 0; i < s2.sticks.size(); ++i) {
    CHECK(s2.sticks[i].two_theta > s1.sticks[i].two_theta);
    CHECK(1.544426 / (2 * std::sin(s2.sticks[i].two_theta * kDeg / 2)) == doctest::Approx(s1.sticks[i].d).epsilon(1e-9));
  }
}

TEST_CASE("Poisson noise: variance ≈ mean, deterministic by RNG") {
  xrd::Pattern p;
  p.two_theta = xrd::uniform_grid(0, 200, 0.01);  // 20000 points
  p.intensity.assign(p.size(), 50.f);
  xrd::Pattern q = p;
  Rng rng(3), rng2(3);
  poisson_noise(p, rng);
  poisson_noise(q, rng2);
  CHECK(p.intensity == q.intensity);
  double m = 0, v = 0;
  for (float x : p.intensity) m += x;
  m /= static_cast<double>(p.size());
  for (float x : p.intensity) v += (x - m) * (x - m);
  v /= static_cast<double>(p.size() - 1);
  CHECK(m == doctest::Approx(50).epsilon(0.02));
  CHECK(v == doctest::Approx(m).epsilon(0.1));
  for (float x : p.intensity) REQUIRE(x == std::floor(x));
}

TEST_CASE("Debye–Waller: one B per element in [0.5, 3], deterministic") {
  const auto c = nacl();
  Rng r1(11), r2(11);
  const auto b1 = random_debye_waller(c, r1), b2 = random_debye_waller(c, r2);
  CHECK(b1 == b2);
  REQUIRE(b1.size() == 2);
  for (const auto& [el, b] : b1) {
    CHECK((el == "Na" || el == "Cl"));
    CHECK(b >= 0.5);
    CHECK(b <= 3.0);
  }
}

TEST_CASE("elimination keeps the strongest stick; impurities add weak sticks in range") {
  auto s = xrd::compute_sticks(nacl(), {});
  const double mx = std::max_element(s.sticks.begin(), s.sticks.end(), [](auto& a, auto& b) { return a.intensity < b.intensity; })->intensity;
  auto e = s;
  Rng rng(5);
  eliminate_peaks(e, rng, 1.0);
  REQUIRE(e.sticks.size() == 1);
  CHECK(e.sticks[0].intensity == mx);
  auto im = s;
  add_impurity_peaks(im, rng, 3, 10, 80, 0.05);
  CHECK(im.sticks.size() == s.sticks.size() + 3);
  int found = 0;
  for (std::size_t i = 0; i < im.sticks.size(); ++i) {
    if (i > 0) CHECK(im.sticks[i].two_theta >= im.sticks[i - 1].two_theta);
    if (im.sticks[i].hkl.empty()) {
      ++found;
      CHECK(im.sticks[i].intensity <= 0.05 * mx + 1e-9);
      CHECK(im.sticks[i].two_theta >= 10);
      CHECK(im.sticks[i].two_theta < 80);
    }
  }
  CHECK(found == 3);
  auto t = s;
  texture_windows(t, rng, 0, 120, 10, 0.5);
  for (std::size_t i = 0; i < s.sticks.size(); ++i) {
    CHECK(t.sticks[i].intensity <= s.sticks[i].intensity);
    CHECK(t.sticks[i].intensity >= 0.5 * s.sticks[i].intensity);
  }
}

TEST_CASE("make_variants: same seed gives identical variants for any thread count; min-max in [0, 1]") {
  const auto c = nacl();
  const auto grid = xrd::uniform_grid(10, 80, 0.02);
  PhysicsAugmentOptions o;
  // Make every transformation likely so the determinism check covers all of them.
  o.p_strain = o.p_preferred_orientation = o.p_texture = o.p_eliminate = o.p_impurity = 0.7;
#ifdef _OPENMP
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
#endif
  const auto a = make_variants(c, 6, grid, o, 42);
#ifdef _OPENMP
  omp_set_num_threads(3);
#endif
  const auto b = make_variants(c, 6, grid, o, 42);
#ifdef _OPENMP
  omp_set_num_threads(saved);
#endif
  REQUIRE(a.size() == 6);
  REQUIRE(b.size() == 6);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].intensity == b[i].intensity);
    CHECK(a[i].two_theta == grid);
    CHECK(a[i].intensity == make_variant(c, grid, o, variant_seed(42, i)).intensity);
    const auto [mn, mx] = std::minmax_element(a[i].intensity.begin(), a[i].intensity.end());
    CHECK(*mn == 0.f);
    CHECK(*mx == 1.f);
    for (float v : a[i].intensity) REQUIRE((v >= 0.f && v <= 1.f));
  }
  CHECK(a[0].intensity != a[1].intensity);
  const auto other = make_variants(c, 2, grid, o, 43);
  CHECK(other[0].intensity != a[0].intensity);
  // A grid with no reflection at all is an error, not an empty pattern.
  CHECK_THROWS_AS(make_variants(c, 2, xrd::uniform_grid(1, 2, 0.02), o, 1), std::invalid_argument);
  PhysicsAugmentOptions bad;
  bad.r_min = 2.0;  // > r_max
  CHECK_THROWS_AS(make_variant(c, grid, bad, 1), std::invalid_argument);
  bad = {};
  bad.p_noise = 1.5;
  CHECK_THROWS_AS(make_variant(c, grid, bad, 1), std::invalid_argument);
}

TEST_CASE("make_variant without noise keeps NaCl's strongest peak near (200)" ) {
  const auto c = nacl();
  const auto grid = xrd::uniform_grid(10, 80, 0.02);
  PhysicsAugmentOptions o;
  o.p_noise = o.p_impurity = o.p_eliminate = o.p_texture = o.p_preferred_orientation = 0.0;
  o.p_strain = o.p_shift = o.p_displacement = 0.0;
  const auto p = make_variant(c, grid, o, 9);
  const auto clean = clean_pattern(c, grid, o);
  const auto imax = std::max_element(p.intensity.begin(), p.intensity.end()) - p.intensity.begin();
  const auto cmax = std::max_element(clean.intensity.begin(), clean.intensity.end()) - clean.intensity.begin();
  CHECK(std::abs(grid[imax] - grid[cmax]) < 0.1);
  CHECK(std::abs(grid[cmax] - 31.7) < 0.2);
}

TEST_CASE("benchmark: make_variants samples/s on one core, 6000-point grid" * doctest::skip()) {
  const std::string path = std::string(XRDID_TEST_DATA) + "/cif/pymatgen/debian_TiO2_rutile.cif";
  const auto grid = xrd::uniform_grid(0, 120, 0.02);
  PhysicsAugmentOptions o;
#ifdef _OPENMP
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
#endif
  for (const std::string& f : {std::string(XRDID_TEST_DATA) + "/cif/NaCl.cif", path,
                               std::string(XRDID_TEST_DATA) + "/cif/P21c_symops.cif"}) {
    const auto c = xrd::read_cif(f);
    make_variants(c, 4, grid, o, 1);  // warm-up
    const int n = 200;
    const auto t0 = std::chrono::steady_clock::now();
    const auto v = make_variants(c, n, grid, o, 2);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %zu sites, V = %.1f A^3: %.1f samples/s (1 thread)\n", f.c_str(), c.sites.size(), c.volume(), n / s);
    CHECK(v.size() == static_cast<std::size_t>(n));
  }
#ifdef _OPENMP
  omp_set_num_threads(saved);
#endif
}

TEST_CASE("render_with_doublet: a high-angle peak splits into Kα1 + Kα2 at ratio 1/2") {
  xrd::Sticks s;
  s.wavelength = 1.540598;
  s.sticks.resize(1);
  s.sticks[0].two_theta = 100.0;
  s.sticks[0].intensity = 100;
  const xrd::Wavelength w{1.540598, 1.544426, 0.5};
  const auto grid = xrd::uniform_grid(99, 101.5, 0.002);
  xrd::ProfileOptions prof;
  prof.kind = xrd::ProfileKind::PseudoVoigt;
  prof.sigma = 0.03;
  std::vector<double> acc(grid.size(), 0.0);
  render_with_doublet(s, w, grid, prof, acc);
  const double tt2 = 2.0 * std::asin(w.alpha2 / w.alpha1 * std::sin(50.0 * kDeg)) / kDeg;
  CHECK(tt2 - 100.0 == doctest::Approx(2 * std::tan(50 * kDeg) * (w.alpha2 - w.alpha1) / w.alpha1 / kDeg).epsilon(0.01));
  auto at = [&](double x) { return acc[static_cast<std::size_t>(std::lround((x - 99.0) / 0.002))]; };
  CHECK(at(tt2) / at(100.0) == doctest::Approx(0.5).epsilon(0.02));
  CHECK(at(0.5 * (100.0 + tt2)) < 0.3 * at(tt2));  // resolved: a valley between the lines
}
