// BEADS: the reference numbers of docs/method.md §13.2, filter rows, banded algebra, and properties
// (smooth baseline → no peaks, peaks on zero baseline kept); SNIP basics.
#include <doctest/doctest.h>

#include <cmath>
#include <iomanip>
#include <numeric>
#include <random>

#include "denoise/banded.hpp"
#include "denoise/beads.hpp"
#include "denoise/snip.hpp"

using namespace xrdid::denoise;

namespace {

// Test signal of §13.2.
std::vector<double> spec_signal() {
  std::vector<double> y(1000);
  for (int n = 0; n < 1000; ++n) {
    const double t = n;
    y[n] = 100 * std::exp(-0.5 * std::pow((t - 300) / 5, 2)) + 50 * std::exp(-0.5 * std::pow((t - 600) / 8, 2)) +
           30 * std::exp(-0.5 * std::pow((t - 620) / 4, 2)) + 20 + 1e-4 * (t - 500) * (t - 500) + 2 * std::sin(1.7 * t);
  }
  return y;
}

void check_rel(double got, double want, double tol = 1e-6) {
  INFO("got " << got << " want " << want);
  CHECK(std::abs(got - want) <= tol * std::max(1.0, std::abs(want)));
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

}  // namespace

TEST_CASE("BEADS filter rows match docs/method.md §13.2 for d = 1 and d = 2") {
  const FilterCoefficients f1 = beads_filter(1, 0.006);
  REQUIRE(f1.a.size() == 3);
  check_rel(f1.a[0], -0.999645, 1e-6);
  check_rel(f1.a[1], 2.000711, 1e-6);
  check_rel(f1.a[2], -0.999645, 1e-6);
  CHECK(f1.b == std::vector<double>{-1, 2, -1});
  // t = tan²(π·fc) = 3.553e-4 (docs/method.md §6.2)
  CHECK(std::abs((f1.a[1] - 2.0) / 2.0 - 3.553e-4) < 1e-7);
  const FilterCoefficients f2 = beads_filter(2, 0.006);
  REQUIRE(f2.a.size() == 5);
  const double a2[5] = {1, -3.999999, 6.000001, -3.999999, 1};
  for (int i = 0; i < 5; ++i) CHECK(std::abs(f2.a[i] - a2[i]) < 1e-6);
  CHECK(f2.b == std::vector<double>{1, -4, 6, -4, 1});
  CHECK_THROWS_AS(beads_filter(3, 0.006), std::runtime_error);
  CHECK_THROWS_AS(beads_filter(1, 0.5), std::runtime_error);
}

TEST_CASE("banded Cholesky solves and congruence products agree with dense arithmetic") {
  const std::size_t n = 12;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> U(-1, 1);
  SymBanded A = SymBanded::toeplitz(n, {0.3, -1.0, 2.5, -1.0, 0.3});
  SymBanded M(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    M.lower(i, i) = 3.0 + U(rng);
    if (i) M.lower(i, i - 1) = 0.5 * U(rng);
  }
  const SymBanded C = congruence(A, M);
  CHECK(C.bandwidth() == 5);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double d = 0;
      for (std::size_t k = 0; k < n; ++k)
        for (std::size_t l = 0; l < n; ++l) d += A.get(k, i) * M.get(k, l) * A.get(l, j);
      CHECK(std::abs(C.get(i, j) - d) < 1e-12);
    }
  std::vector<double> x(n), b;
  for (auto& v : x) v = U(rng);
  b = C.multiply(x);
  const std::vector<double> xs = BandedCholesky(C).solve(b);
  for (std::size_t i = 0; i < n; ++i) CHECK(std::abs(xs[i] - x[i]) < 1e-10);
  SymBanded bad(3, 1);
  bad.lower(0, 0) = 1;
  bad.lower(1, 1) = -1;
  bad.lower(2, 2) = 1;
  CHECK_THROWS_WITH_AS(BandedCholesky{bad}, doctest::Contains("not positive definite"), std::runtime_error);
}

// The §13.2 numbers come from pybeads (scipy SuperLU). The MM problem is numerically chaotic
// at the 1e-4 level: with ε0 = ε1 = 1e-6 the weights 1/(|x| + ε) of samples that the iteration
// drives to ~0 are set by rounding noise, and Q = BᵀB + AᵀMA is very ill-conditioned. So any
// change of operation order (another solver, compiler, -O level, sanitizer build) lands on a
// different trajectory. Measured envelope over 200 runs with y scaled by (1 + k·1e-15),
// |k| < 100, relative to the §13.2 numbers (worst of an -O3 -march=native and an -O0 build):
// cost[0] 2.2e-7, cost[1..14] 1.1e-3, cost[14] 1.3e-4, x[295..305] 1.2e-3, Σx 2.1e-3,
// f[0..4] 0.015 absolute, f[500] 1.1e-4, Σf 5.3e-4 (scipy with exactly the matrices of docs/method.md §6.2
// lies inside it too). cost[0] is held to 1e-6 as in docs/method.md §13.2, the rest to 2–3× the envelope; the exact formulas are pinned to 1e-5 by the next
// test case (ε = 1e-3, well conditioned) against an independent scipy.sparse implementation.
TEST_CASE("BEADS reproduces the docs/method.md §13.2 reference run (extension off)") {
  BeadsParams p;  // d=1, fc=0.006, r=6, λ=(0.4, 4, 3.2), 15 iterations, L1_v2
  p.extend = false;
  const BeadsResult r = beads(spec_signal(), p);
  const double cost[15] = {13549.510369, 10550.782209, 9157.141150, 8216.980523, 7571.857785,
                           7132.342602,  6834.265780,  6633.078572, 6495.925109, 6403.665688,
                           6341.085475,  6298.269536,  6269.419596, 6249.876245, 6236.358532};
  REQUIRE(r.cost.size() == 15);
  check_rel(r.cost[0], cost[0], 1e-6);
  for (int i = 1; i < 15; ++i) check_rel(r.cost[i], cost[i], 3e-3);
  check_rel(r.cost[14], cost[14], 4e-4);
  const double x[11] = {59.557968, 70.837121, 82.116270, 89.133916, 94.708041, 95.253872,
                        95.251030, 89.060415, 81.364621, 70.587157, 59.291691};
  for (int i = 0; i < 11; ++i) check_rel(r.x[295 + i], x[i], 3e-3);
  check_rel(sum(r.x), 7015.440697, 5e-3);
  const double f[5] = {0.397404, 0.792304, 1.183830, 1.573873, 1.963582};
  for (int i = 0; i < 5; ++i) CHECK(std::abs(r.f[i] - f[i]) < 0.04);
  check_rel(r.f[500], 20.124145, 3e-4);
  check_rel(sum(r.f), 23318.223241, 1e-3);
  MESSAGE(std::setprecision(10) << "§13.2 run: cost[0] " << r.cost[0] << " (ref 13549.510369), cost[14] " << r.cost[14]
                                << " (ref 6236.358532), Σx " << sum(r.x) << " (ref 7015.440697), Σf " << sum(r.f)
                                << " (ref 23318.223241)");
  // The cost of the final x, evaluated independently, is the last recorded cost.
  check_rel(beads_cost(spec_signal(), r.x, p), r.cost.back(), 1e-9);
}

TEST_CASE("BEADS matches an independent scipy.sparse run when well conditioned (ε = 1e-3)") {
  // Numbers from scripts/beads_reference.py with EPS0 = EPS1 = 1e-3 (same signal and λ).
  // Envelope as above, here: cost 2.8e-6, x 9e-7, Σx 4.5e-6, f[0..4] 3.5e-5 absolute, Σf 1.2e-6.
  BeadsParams p;
  p.extend = false;
  p.eps0 = p.eps1 = 1e-3;
  const BeadsResult r = beads(spec_signal(), p);
  const double cost[15] = {13561.343039135725, 10571.312683623644, 9181.225953301677, 8243.940383986122,
                           7602.05049921253,   7165.371677736822,  6868.797519715737, 6667.934079069798,
                           6531.992834075625,  6439.941747955288,  6377.646375473888, 6335.516548800106,
                           6307.002081639715,  6287.657146139448,  6274.483612316192};
  REQUIRE(r.cost.size() == 15);
  for (int i = 0; i < 15; ++i) check_rel(r.cost[i], cost[i], 1e-5);
  const double x[11] = {59.55244652386864, 70.83241237179027, 82.11167724938605, 89.13540641862892,
                        94.69993613329643, 95.2490222439701,  95.2448608440991,  89.05575226367364,
                        81.35807711483176, 70.58279332271195, 59.28638084013983};
  for (int i = 0; i < 11; ++i) check_rel(r.x[295 + i], x[i], 1e-5);
  check_rel(sum(r.x), 7021.221605998811, 2e-5);
  const double f[5] = {0.39622485414554376, 0.7899547801266422, 1.1803262516064166, 1.5692305969226084,
                       1.9578152468260015};
  for (int i = 0; i < 5; ++i) CHECK(std::abs(r.f[i] - f[i]) < 1e-4);
  check_rel(r.f[500], 20.115765273436693, 1e-5);
  check_rel(sum(r.f), 23312.948748700554, 1e-5);
}

// With d = 2 the filter matrix A is nearly singular at small fc (t = tan⁴(π·fc) = 1.3e-7 at
// fc = 0.006) and the z-formulation loses all precision: scipy's run of the same spec is as
// erratic (costs jump by 100×). At fc = 0.03 (t = 8e-5) it is well behaved in both codes.
TEST_CASE("BEADS d = 2 decreases its cost monotonically where it is well conditioned") {
  BeadsParams p;
  p.d = 2;
  p.fc = 0.03;
  p.extend = false;
  const BeadsResult r = beads(spec_signal(), p);
  REQUIRE(r.cost.size() == 15);
  for (std::size_t i = 1; i < r.cost.size(); ++i) CHECK(r.cost[i] <= r.cost[i - 1] * (1 + 1e-9));
}

TEST_CASE("BEADS: a pure smooth baseline yields almost no peak signal") {
  std::vector<double> y(1500);
  for (std::size_t n = 0; n < y.size(); ++n) y[n] = 40 + 15 * std::sin(2 * M_PI * n / 1400.0) + 5e-6 * double(n) * double(n);
  BeadsParams p;  // with the sigmoid extension
  const BeadsResult r = beads(y, p);
  // BEADS keeps a small positive offset in x (the asymmetric λ0 term) and the sigmoid edge
  // extension (docs/method.md §6.5) is imperfect where y still slopes at the end: measured max |x| 0.91
  // (1.6 % of y) and max |f − y| 2.7 at the last samples, ≤ 0.3 / 0.5 in the interior.
  double max_x = 0, max_err = 0, in_x = 0, in_err = 0;
  for (std::size_t n = 0; n < y.size(); ++n) {
    max_x = std::max(max_x, std::abs(r.x[n]));
    max_err = std::max(max_err, std::abs(r.f[n] - y[n]));
    if (n >= 75 && n + 75 < y.size()) {
      in_x = std::max(in_x, std::abs(r.x[n]));
      in_err = std::max(in_err, std::abs(r.f[n] - y[n]));
    }
  }
  MESSAGE("smooth baseline: max |x| = " << max_x << ", max |f − y| = " << max_err << " (interior " << in_x << ", "
                                        << in_err << ")");
  CHECK(max_x < 1.2);
  CHECK(max_err < 3.5);
  CHECK(in_x < 0.4);
  CHECK(in_err < 0.7);
}

TEST_CASE("BEADS: pure peaks on a zero baseline are kept") {
  std::vector<double> y(1200, 0.0);
  const double pos[3] = {250, 600, 900}, amp[3] = {100, 40, 70}, wid[3] = {4, 6, 3};
  for (std::size_t n = 0; n < y.size(); ++n)
    for (int k = 0; k < 3; ++k) y[n] += amp[k] * std::exp(-0.5 * std::pow((double(n) - pos[k]) / wid[k], 2));
  const BeadsResult r = beads(y, BeadsParams{});
  for (int k = 0; k < 3; ++k) {
    const std::size_t i = static_cast<std::size_t>(pos[k]);
    INFO("peak " << k << ": x = " << r.x[i] << " of " << amp[k]);
    CHECK(r.x[i] > 0.85 * amp[k]);
    CHECK(std::abs(r.f[i]) < 0.1 * amp[k]);
  }
  CHECK(sum(r.x) > 0.85 * sum(y));
  double max_f = 0;
  for (double v : r.f) max_f = std::max(max_f, std::abs(v));
  CHECK(max_f < 8.0);
}

TEST_CASE("beads_xrd is scale-invariant and rejects bad input") {
  std::vector<double> y = spec_signal();
  std::vector<double> y7(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) y7[i] = 7e3 * y[i];
  const BeadsParams p = beads_xrd_defaults(0.05);  // fc = 0.00625 for this 1000-point signal
  // beads_xrd = beads on y scaled to max 100, scaled back.
  double mx = 0;
  for (double v : y7) mx = std::max(mx, std::abs(v));
  std::vector<double> ys(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) ys[i] = y7[i] * (100.0 / mx);
  const BeadsResult direct = beads(ys, p), b = beads_xrd(y7, p);
  for (std::size_t i = 0; i < y.size(); i += 37) check_rel(b.x[i], direct.x[i] * mx / 100.0, 1e-12);
  // Scale invariance holds up to the chaos of the MM iteration (see above): 1e-3 of the maximum.
  const BeadsResult a = beads_xrd(y, p);
  for (std::size_t i = 0; i < y.size(); i += 37) {
    CHECK(std::abs(b.x[i] - 7e3 * a.x[i]) <= 1e-3 * mx);
    CHECK(std::abs(b.f[i] - 7e3 * a.f[i]) <= 1e-3 * mx);
  }
  std::vector<double> zeros(50, 0.0);
  CHECK(beads_xrd(zeros, p).x == zeros);
  std::vector<double> bad = y;
  bad[3] = std::nan("");
  CHECK_THROWS_WITH_AS(beads(bad, p), doctest::Contains("NaN"), std::runtime_error);
  CHECK_THROWS_WITH_AS(beads(std::vector<double>(3, 1.0), p), doctest::Contains("at least 5"), std::runtime_error);
  CHECK(parse_penalty("l1v1") == Penalty::L1_v1);
  CHECK_THROWS_AS(parse_penalty("l2"), std::runtime_error);
}

TEST_CASE("SNIP removes a smooth background under narrow peaks") {
  std::vector<double> y(2000), bg(2000);
  for (std::size_t n = 0; n < y.size(); ++n) {
    bg[n] = 50 + 30 * std::exp(-std::pow((double(n) - 700) / 500.0, 2));
    y[n] = bg[n] + 400 * std::exp(-0.5 * std::pow((double(n) - 1000) / 5.0, 2)) +
           100 * std::exp(-0.5 * std::pow((double(n) - 400) / 3.0, 2));
  }
  for (bool lls : {true, false}) {
    SnipParams p;
    p.lls = lls;
    const std::vector<double> b = snip(y, p);
    REQUIRE(b.size() == y.size());
    double max_err = 0;
    for (std::size_t n = 0; n < y.size(); ++n) {
      CHECK(b[n] <= y[n] + 1e-9);  // clipping never goes above the data
      max_err = std::max(max_err, std::abs(b[n] - bg[n]));
    }
    INFO("lls=" << lls << " max |b − bg| = " << max_err);
    CHECK(max_err < 3.0);
    CHECK(y[1000] - b[1000] > 390);
  }
}
