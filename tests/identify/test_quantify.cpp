// Quantitative phase analysis of joint fits: Brindley's particle absorption factor against its
// closed form and first-order slope, the micro-absorption correction on synthetic mixtures
// made with the bias (an independent Monte Carlo τ here), an internal standard with an amorphous
// hump, the standard found by id or formula, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "identify/mixture.hpp"
#include "identify/mixture_fit.hpp"
#include "identify/quantify.hpp"
#include "synthetic_mixture.hpp"
#include "xrd/absorption.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/library.hpp"
#include "xrd/render.hpp"

using namespace xrdid;

namespace {

const std::string kCif = XRDID_TEST_DATA "/cif/";
constexpr double kPi = 3.14159265358979323846;

// Brindley's τ by Monte Carlo: uniform points in the unit sphere, path in along +z and out at 2θ.
double tau_monte_carlo(double a, double two_theta_deg, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  const double t = two_theta_deg * kPi / 180, out[3] = {std::sin(t), 0, std::cos(t)}, in[3] = {0, 0, -1};
  auto dist = [](const double* p, const double* d) {
    const double pd = p[0] * d[0] + p[1] * d[1] + p[2] * d[2], pp = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
    return -pd + std::sqrt(pd * pd + 1 - pp);
  };
  double s = 0;
  int n = 0;
  while (n < 400000) {
    const double p[3] = {u(rng), u(rng), u(rng)};
    if (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] > 1) continue;
    s += std::exp(-a * (dist(p, in) + dist(p, out)));
    ++n;
  }
  return s / n;
}

struct Component {
  std::string cif;
  double w;       // weight fraction of the (spiked) sample
  double factor;  // intensity factor (Brindley τ), 1: none
};

// A mixture pattern (tests/identify/synthetic_mixture.hpp): each phase's raw intensities × w /
// (ZMV) × factor, with an optional amorphous hump of `hump` counts.
xrd::Pattern mixture(const std::vector<Component>& comps, double peak_counts, double hump, unsigned seed) {
  const xrd::ProfileOptions prof = testing::synthetic_profile();
  const std::vector<double> grid = testing::synthetic_grid();
  std::vector<double> acc(grid.size(), 0.0);
  for (const Component& c : comps) {
    const xrd::Crystal cr = xrd::read_cif(c.cif);
    const double zmv = xrd::density_g_cm3(cr) * cr.volume() * 0.602214076 * cr.volume();  // (ZM) u × V
    const xrd::Pattern p = xrd::simulate_pattern(cr, {1.540598, 1.544426, 0.5}, grid, prof);
    for (std::size_t i = 0; i < grid.size(); ++i) acc[i] += c.w / zmv * c.factor * p.intensity[i];
  }
  return testing::counted_pattern(grid, acc, peak_counts, hump, seed);
}

}  // namespace

TEST_CASE("Brindley τ: 1 at equal absorption, the closed form in the forward limit, slope −3/2 (mean path 1.5 R)") {
  CHECK(identify::brindley_tau(0.0, 60) == doctest::Approx(1.0).epsilon(1e-12));
  // 2θ = 0: x is the chord through the point, τ = (3/8) ∫₀² L² e^{−aL} dL.
  for (double a : {0.1, 0.5, 2.0}) {
    const double exact = 3.0 / 8.0 * (2 - std::exp(-2 * a) * (4 * a * a + 4 * a + 2)) / (a * a * a);
    CHECK(identify::brindley_tau(a, 0.0) == doctest::Approx(exact).epsilon(2e-3));
  }
  for (double tt : {20.0, 60.0, 120.0}) {
    const double slope = (identify::brindley_tau(1e-4, tt) - identify::brindley_tau(-1e-4, tt)) / 2e-4;
    CHECK(slope == doctest::Approx(-1.5).epsilon(2e-3));
    for (double a : {-0.3, 0.2, 1.0}) {
      const double mc = tau_monte_carlo(a, tt, 7);
      CHECK(identify::brindley_tau(a, tt) == doctest::Approx(mc).epsilon(5e-3));
    }
  }
  CHECK(identify::brindley_tau(-0.2, 60) > 1.0);
  CHECK(identify::brindley_tau(0.2, 60) < identify::brindley_tau(0.1, 60));
  MESSAGE("τ(0.1) " << identify::brindley_tau(0.1, 60) << ", τ(0.5) " << identify::brindley_tau(0.5, 60)
                    << ", τ(−0.1) " << identify::brindley_tau(-0.1, 60) << " at 2θ 60°; τ(0.5) at 20° "
                    << identify::brindley_tau(0.5, 20) << ", at 110° " << identify::brindley_tau(0.5, 110));
}

TEST_CASE("Brindley: a strongly and a weakly absorbing phase, coarse grains — the corrected fractions are the true ones") {
  // NaCl (μ ≈ 165 cm⁻¹ at Cu Kα) and LiF (μ ≈ 33 cm⁻¹), 60/40 by weight, grains of 20 µm: the
  // synthetic intensities carry τ from the Monte Carlo integral at the range's middle (60°).
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), lif = xrd::read_cif(kCif + "LiF.cif");
  const double w[2] = {0.6, 0.4}, D_um = 20.0, R = 0.5 * D_um * 1e-4;
  const double mu[2] = {xrd::linear_attenuation(nacl, 1.54184), xrd::linear_attenuation(lif, 1.54184)};
  const double rho[2] = {xrd::density_g_cm3(nacl), xrd::density_g_cm3(lif)};
  const double vt = w[0] / rho[0] + w[1] / rho[1];
  const double mean = (w[0] / rho[0] * mu[0] + w[1] / rho[1] * mu[1]) / vt;
  const double tau[2] = {tau_monte_carlo((mu[0] - mean) * R, 60, 11), tau_monte_carlo((mu[1] - mean) * R, 60, 12)};
  MESSAGE("μ NaCl " << mu[0] << ", LiF " << mu[1] << ", mean " << mean << " /cm; τ " << tau[0] << ", " << tau[1]);
  const xrd::Pattern p = mixture({{kCif + "NaCl.cif", w[0], tau[0]}, {kCif + "LiF.cif", w[1], tau[1]}}, 40000, 0, 5);
  const identify::MixtureFit f = identify::fit_mixture(p, {&nacl, &lif});
  REQUIRE(f.ok());
  identify::QuantOptions qo;
  qo.brindley_size_um = D_um;
  const identify::Quantification q = identify::quantify(f, {&nacl, &lif}, {"NaCl", "LiF"}, qo);
  REQUIRE(q.phases.size() == 2);
  for (std::size_t k = 0; k < 2; ++k)
    MESSAGE("phase " << k << ": Hill–Howard " << f.phases[k].weight_fraction << " ± " << f.phases[k].weight_fraction_esd
                     << ", Brindley " << q.phases[k].weight_fraction << " ± " << q.phases[k].weight_fraction_esd
                     << " (true " << w[k] << "), μ " << q.phases[k].mu << ", τ " << q.phases[k].tau << "; mean μ "
                     << q.mean_mu << ", " << q.iterations << " iterations");
  CHECK(q.brindley);
  CHECK(q.line == "CuKa");
  // Uncorrected: NaCl clearly low; corrected: the truth within 0.01 and far closer.
  CHECK(f.phases[0].weight_fraction < w[0] - 0.03);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(std::abs(q.phases[k].weight_fraction - w[k]) < 0.01);
    CHECK(std::abs(q.phases[k].weight_fraction - w[k]) < 0.3 * std::abs(f.phases[k].weight_fraction - w[k]));
    CHECK(q.phases[k].weight_fraction_esd > 0);
    CHECK(q.phases[k].weight_fraction_esd < 0.01);
    CHECK(q.phases[k].mu == doctest::Approx(mu[k]).epsilon(0.01));  // at the refined cell
    CHECK(q.phases[k].tau == doctest::Approx(tau[k]).epsilon(0.01));
  }
  CHECK(q.phases[0].weight_fraction + q.phases[1].weight_fraction == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(q.mean_mu == doctest::Approx(mean).epsilon(0.01));
  // Fine grains: no correction to speak of.
  qo.brindley_size_um = 0.1;
  const identify::Quantification fine = identify::quantify(f, {&nacl, &lif}, {"NaCl", "LiF"}, qo);
  CHECK(fine.phases[0].weight_fraction == doctest::Approx(f.phases[0].weight_fraction).epsilon(0.005));
  // JSON
  const auto j = identify::quantification_json(q, {"NaCl", "LiF"});
  CHECK(j.at("micro_absorption").at("particle_size_um").get<double>() == D_um);
  CHECK_FALSE(j.contains("amorphous_fraction"));
  const auto pj = identify::phase_quant_json(q, 0);
  CHECK(pj.at("mu_per_cm").get<double>() == doctest::Approx(q.phases[0].mu));
  CHECK(pj.at("brindley_weight_fraction").get<double>() == doctest::Approx(q.phases[0].weight_fraction));
  CHECK_FALSE(pj.contains("absolute_fraction"));
  // A wavelength without tabulated absorption is refused by name.
  identify::MixtureFit g = f;
  g.wavelength = 1.0;
  CHECK_THROWS_WITH_AS(identify::quantify(g, {&nacl, &lif}, {"NaCl", "LiF"}, qo), doctest::Contains("tabulated at CuKa"),
                       std::invalid_argument);
}

TEST_CASE("internal standard: Si weighed in at 20 %, NaCl 50 %, an amorphous hump for the rest — 30 % amorphous") {
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), si = xrd::read_cif(kCif + "Si.cif");
  unsigned seed = 40;
  for (double amorph : {0.3, 0.0}) {
    const double w_nacl = 0.8 - amorph;
    const xrd::Pattern p =
        mixture({{kCif + "NaCl.cif", w_nacl, 1.0}, {kCif + "Si.cif", 0.2, 1.0}}, 40000, 1500 * amorph, seed++);
    const identify::MixtureFit f = identify::fit_mixture(p, {&nacl, &si});
    REQUIRE(f.ok());
    identify::QuantOptions qo;
    qo.standard = "Si";
    qo.standard_fraction = 0.2;
    const identify::Quantification q = identify::quantify(f, {&nacl, &si}, {"nacl-1", "si-1"}, qo);
    REQUIRE(q.standard);
    CHECK(q.standard_index == 1);
    MESSAGE("amorphous " << q.amorphous_fraction << " ± " << q.amorphous_fraction_esd << " (true " << amorph
                         << "); NaCl " << q.phases[0].absolute_fraction << " ± " << q.phases[0].absolute_fraction_esd
                         << " (true " << w_nacl << "); crystalline Si " << f.phases[1].weight_fraction << " ± "
                         << f.phases[1].weight_fraction_esd << "; of the sample " << q.amorphous_fraction_sample);
    CHECK(std::abs(q.amorphous_fraction - amorph) < 3 * q.amorphous_fraction_esd + 0.005);
    CHECK(std::abs(q.amorphous_fraction - amorph) < 0.02);
    CHECK(q.amorphous_fraction_esd > 0);
    CHECK(q.amorphous_fraction_esd < 0.02);
    CHECK(std::abs(q.phases[0].absolute_fraction - w_nacl) < 3 * q.phases[0].absolute_fraction_esd + 0.005);
    CHECK(q.phases[1].absolute_fraction == doctest::Approx(0.2).epsilon(1e-9));
    CHECK(q.phases[0].absolute_fraction + q.phases[1].absolute_fraction + q.amorphous_fraction ==
          doctest::Approx(1.0).epsilon(1e-9));
    CHECK(q.amorphous_fraction_sample == doctest::Approx(q.amorphous_fraction / 0.8));
    // Without Brindley the crystalline fractions and their ESDs are the fit's (the numerical
    // gradient against Hill–Howard's analytic one).
    CHECK(q.phases[0].weight_fraction == doctest::Approx(f.phases[0].weight_fraction).epsilon(1e-9));
    CHECK(q.phases[0].weight_fraction_esd == doctest::Approx(f.phases[0].weight_fraction_esd).epsilon(1e-3));
    // ESD of the amorphous fraction: F/w_std² × σ(w_std).
    CHECK(q.amorphous_fraction_esd ==
          doctest::Approx(0.2 / std::pow(f.phases[1].weight_fraction, 2) * f.phases[1].weight_fraction_esd).epsilon(1e-3));
    const auto j = identify::quantification_json(q, {"nacl-1", "si-1"});
    CHECK(j.at("amorphous_fraction").get<double>() == doctest::Approx(q.amorphous_fraction));
    CHECK(j.at("standard").at("id") == "si-1");
    CHECK(identify::phase_quant_json(q, 0).at("absolute_fraction").get<double>() ==
          doctest::Approx(q.phases[0].absolute_fraction));
    if (amorph > 0) {
      // The standard by formula, by id; the corrections together.
      CHECK(identify::find_standard("ClNa", {"a", "b"}, {&nacl, &si}) == 0);
      CHECK(identify::find_standard("si-1", {"nacl-1", "si-1"}, {&nacl, &si}) == 1);
      CHECK(identify::find_standard("Al2O3", {"nacl-1", "si-1"}, {&nacl, &si}) == -1);
      CHECK(identify::find_standard("Na2Cl", {"a", "b"}, {&nacl, &si}) == -1);
      qo.brindley_size_um = 5;
      const identify::Quantification both = identify::quantify(f, {&nacl, &si}, {"nacl-1", "si-1"}, qo);
      CHECK(both.brindley);
      CHECK(both.standard);
      CHECK(std::abs(both.amorphous_fraction - amorph) < 0.03);  // NaCl and Si absorb alike
      // Bad input.
      qo.brindley_size_um = 0;
      qo.standard = "Al2O3";
      CHECK_THROWS_WITH_AS(identify::quantify(f, {&nacl, &si}, {"nacl-1", "si-1"}, qo),
                           doctest::Contains("not among the phases found (nacl-1 (NaCl), si-1 (Si))"),
                           std::invalid_argument);
      qo.standard = "Si";
      for (double bad : {0.0, 1.0, -0.1, 1.5}) {
        qo.standard_fraction = bad;
        CHECK_THROWS_WITH_AS(identify::quantify(f, {&nacl, &si}, {"nacl-1", "si-1"}, qo),
                             doctest::Contains("strictly between 0 and 1"), std::invalid_argument);
      }
      qo.standard_fraction = 0.2;
      qo.brindley_size_um = -3;
      CHECK_THROWS_WITH_AS(identify::quantify(f, {&nacl, &si}, {"nacl-1", "si-1"}, qo), doctest::Contains("above 0"),
                           std::invalid_argument);
    }
  }
}

TEST_CASE("mixture search with an internal standard: found by id, absolute fractions and the amorphous part") {
  const std::string d = XRDID_TEST_DATA "/cif/";
  const xrd::Library lib = xrd::build_library(
      {{d + "LiF.cif", "LiF"}, {d + "NaCl.cif", "NaCl"}, {d + "Si.cif", "Si"}, {d + "P21c_symops.cif", "P21c"}}, {});
  identify::Identifier id(lib);
  const xrd::Pattern p = mixture({{d + "NaCl.cif", 0.55, 1.0}, {d + "Si.cif", 0.25, 1.0}}, 30000, 300, 61);
  identify::MixtureOptions mo;
  mo.quant.standard = "Si";
  mo.quant.standard_fraction = 0.25;
  const identify::MixtureResult r = identify::identify_mixture(id, p, identify::IdentifyOptions{}, mo);
  REQUIRE(r.quantified);
  REQUIRE(r.phases.size() == 2);
  MESSAGE("amorphous " << r.quant.amorphous_fraction << " ± " << r.quant.amorphous_fraction_esd << " (true 0.2)");
  CHECK(std::abs(r.quant.amorphous_fraction - 0.2) < 0.02);
  CHECK(lib.entries[r.phases[static_cast<std::size_t>(r.quant.standard_index)].entry].id == "Si");
  mo.quant.standard = "LiF";
  CHECK_THROWS_WITH_AS(identify::identify_mixture(id, p, identify::IdentifyOptions{}, mo),
                       doctest::Contains("not among the phases found"), std::exception);
  mo.quant.standard_fraction = 2;
  CHECK_THROWS_WITH_AS(identify::identify_mixture(id, p, identify::IdentifyOptions{}, mo),
                       doctest::Contains("strictly between 0 and 1"), std::exception);
}
