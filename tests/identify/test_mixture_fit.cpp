// Joint fit of several phases: the analytic Jacobian of the joint model (March–Dollase r
// included) against finite differences, weight fractions of synthetic mixtures of known
// composition (Hill–Howard, with the cell masses written out here), the texture of a textured
// phase recovered, one phase alone, and bad input.
#include <doctest/doctest.h>

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <omp.h>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "augment/physics.hpp"
#include "common/data_dir.hpp"
#include "io/pattern_io.hpp"
#include "identify/axis_calibration.hpp"
#include "identify/fit.hpp"
#include "identify/mixture.hpp"
#include "identify/mixture_fit.hpp"
#include "synthetic_mixture.hpp"
#include "xrd/library.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/render.hpp"

using namespace xrdid;

namespace {

const std::string kCif = XRDID_TEST_DATA "/cif/";

struct Component {
  std::string cif;
  double zm;          // mass of the cell contents, u (Z × formula mass)
  double cell = 1.0;  // the sample's cell lengths, × the CIF's
};
// NaCl Z = 4 × 58.443; Si Z = 8 × 28.086; LiF Z = 4 × 25.939.
const Component kNaCl{"NaCl.cif", 4 * 58.443}, kSi{"Si.cif", 8 * 28.086}, kLiF{"LiF.cif", 4 * 25.939};

// March–Dollase texture of one component (r = 1: none).
struct Texture {
  std::array<int, 3> direction{0, 0, 1};
  double r = 1.0;
};

// The Kα1+Kα2 raw profile of a textured crystal: its sticks times the March–Dollase factor
// (augment/physics.hpp, independent of the fit's model), as xrd::simulate_pattern renders them.
std::vector<double> textured_profile(const xrd::Crystal& c, const std::vector<double>& grid,
                                     const xrd::ProfileOptions& prof, const Texture& t) {
  std::vector<double> acc(grid.size(), 0.0);
  xrd::PowderOptions po;
  po.two_theta_min = 0.0;
  po.two_theta_max = grid.back() + 1.0;
  po.scaled = false;
  const double wl[2] = {1.540598, 1.544426}, ratio[2] = {1.0, 0.5};
  for (int line = 0; line < 2; ++line) {
    po.wavelength = wl[line];
    xrd::Sticks s = xrd::compute_sticks(c, po);
    augment::apply_march_dollase(s, c, t.direction, t.r);
    xrd::accumulate_profile(s, ratio[line], grid, prof, acc);
  }
  return acc;
}

// A Cu Kα1+Kα2 pattern 10–110° of the components mixed by weight `w`: each phase's raw
// intensities (|F|² × multiplicity × LP, area-normalised pseudo-Voigt peaks; times the
// March–Dollase factor of `tex`, when given) times w / (ZMV), a smooth background and Poisson
// counts (the strongest peak near `peak_counts`).
xrd::Pattern mixture(const std::vector<Component>& comps, const std::vector<double>& w, double peak_counts,
                     unsigned seed, const std::vector<Texture>& tex = {}) {
  const xrd::ProfileOptions prof = testing::synthetic_profile();
  const std::vector<double> grid = testing::synthetic_grid();
  std::vector<double> acc(grid.size(), 0.0);
  for (std::size_t k = 0; k < comps.size(); ++k) {
    xrd::Crystal c = xrd::read_cif(kCif + comps[k].cif);
    c.a *= comps[k].cell;
    c.b *= comps[k].cell;
    c.c *= comps[k].cell;
    const double zmv = comps[k].zm * c.volume();
    if (!tex.empty() && tex[k].r != 1.0) {
      const std::vector<double> t = textured_profile(c, grid, prof, tex[k]);
      for (std::size_t i = 0; i < grid.size(); ++i) acc[i] += w[k] / zmv * t[i];
      continue;
    }
    const xrd::Pattern p = xrd::simulate_pattern(c, {1.540598, 1.544426, 0.5}, grid, prof);
    for (std::size_t i = 0; i < grid.size(); ++i) acc[i] += w[k] / zmv * p.intensity[i];
  }
  return testing::counted_pattern(grid, acc, peak_counts, 0.0, seed);
}

// The library the search tests rank against: LiF, NaCl, Si and a P 21/c structure.
xrd::Library four_phase_library() {
  return xrd::build_library({{kCif + "LiF.cif", "LiF"}, {kCif + "NaCl.cif", "NaCl"}, {kCif + "Si.cif", "Si"},
                             {kCif + "P21c_symops.cif", "P21c"}},
                            {});
}

// The pattern as a file whose wavelength is 1.5 % long gives it: every d-spacing reads 1.5 %
// large, every cell 4.5 % in volume.
xrd::Pattern with_long_wavelength(xrd::Pattern p) {
  p.wavelength = {1.540598 * 1.015, 1.544426 * 1.015, 0.5};
  return p;
}

// The pattern as read by a goniometer whose 2θ runs `slope` times too fast and starts `offset`
// degrees late: the file's 2θ x of a true t is (t − offset) / slope.
xrd::Pattern with_axis_error(xrd::Pattern p, double slope, double offset) {
  for (double& t : p.two_theta) t = (t - offset) / slope;
  p.wavelength = {1.540598, 1.544426, 0.5};
  return p;
}

identify::MixtureResult search_without_axis_check(const identify::Identifier& id, const xrd::Pattern& p) {
  identify::MixtureOptions off;
  off.axis_volume_change = 0;
  return identify::identify_mixture(id, p, {}, off);
}

}  // namespace

TEST_CASE("mixture fit: the joint model's analytic Jacobian matches central finite differences") {
  const xrd::Pattern p = mixture({kNaCl, kSi}, {0.5, 0.5}, 5000, 1);
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), si = xrd::read_cif(kCif + "Si.cif"),
                     mono = xrd::read_cif(kCif + "P21c_symops.cif");
  identify::FitOptions opt;
  opt.window_fwhm = 2000;  // whole-range peaks (moving windows would cut tails)
  opt.scale_window = false;
  const double err = identify::mixture_jacobian_check(p, {&nacl, &si, &mono}, opt);
  CHECK(std::isfinite(err));
  CHECK(err < 1e-5);
}

TEST_CASE("mixture fit: weight fractions of synthetic mixtures of known composition") {
  struct Case {
    std::vector<Component> comps;
    std::vector<double> w;
  };
  const std::vector<Case> cases{{{kNaCl, kSi}, {0.7, 0.3}},
                                {{kSi, kNaCl}, {0.5, 0.5}},
                                {{kNaCl, kSi, kLiF}, {0.6, 0.3, 0.1}},
                                {{kNaCl, kLiF, kSi}, {0.75, 0.2, 0.05}}};
  unsigned seed = 3;
  for (const Case& c : cases) {
    const xrd::Pattern p = mixture(c.comps, c.w, 40000, seed++);
    std::vector<xrd::Crystal> cr;
    for (const auto& comp : c.comps) cr.push_back(xrd::read_cif(kCif + comp.cif));
    std::vector<const xrd::Crystal*> ptr;
    for (const auto& x : cr) ptr.push_back(&x);
    const identify::MixtureFit r = identify::fit_mixture(p, ptr);
    CHECK(r.ok());
    REQUIRE(r.phases.size() == c.comps.size());
    double sum = 0;
    for (std::size_t k = 0; k < c.comps.size(); ++k) {
      const auto& ph = r.phases[k];
      MESSAGE(c.comps[k].cif << ": w " << ph.weight_fraction << " ± " << ph.weight_fraction_esd << " (true " << c.w[k]
                             << "), a " << ph.cell[0] << ", Rwp " << r.rwp << ", GoF " << r.gof << ", "
                             << r.seconds * 1e3 << " ms");
      CHECK(std::abs(ph.weight_fraction - c.w[k]) < 0.01);
      CHECK(ph.weight_fraction_esd > 0);
      CHECK(ph.weight_fraction_esd < 0.01);
      CHECK(std::abs(ph.cell[0] / cr[k].a - 1) < 5e-4);
      CHECK_FALSE(ph.hit_bound);
      CHECK(ph.contribution.size() == r.calculated.size());
      CHECK(!ph.reflections.empty());
      sum += ph.weight_fraction;
    }
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(std::abs(r.zero - 0.04) < 0.02);
    CHECK(r.gof > 0.8);
    CHECK(r.gof < 1.6);
  }
}

TEST_CASE("mixture fit: the March–Dollase r of a textured phase is recovered, the untextured one gets none") {
  // NaCl platelets along [001] (r = 0.7, the (200) reflections enhanced) beside untextured Si.
  const std::array<int, 3> none{0, 0, 0}, c001{0, 0, 1};
  const xrd::Pattern p = mixture({kNaCl, kSi}, {0.6, 0.4}, 40000, 31, {{c001, 0.7}, {}});
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), si = xrd::read_cif(kCif + "Si.cif");
  identify::FitOptions opt;
  opt.preferred_orientation = true;
  const identify::MixtureFit r = identify::fit_mixture(p, {&nacl, &si}, opt);
  const identify::MixtureFit plain = identify::fit_mixture(p, {&nacl, &si});
  REQUIRE(r.ok());
  REQUIRE(r.phases.size() == 2);
  const auto& a = r.phases[0];
  const auto& b = r.phases[1];
  MESSAGE("NaCl: r " << a.po_r << " ± " << a.po_r_esd << " along " << a.po_direction[0] << a.po_direction[1]
                     << a.po_direction[2] << ", w " << a.weight_fraction << " (without texture "
                     << plain.phases[0].weight_fraction << "); GoF " << r.gof << " (without " << plain.gof << ")");
  CHECK(a.po_direction == c001);
  CHECK(std::abs(a.po_r - 0.7) < 0.01);
  CHECK(a.po_r_esd > 0);
  CHECK(a.po_r_esd < 0.01);
  CHECK(b.po_direction == none);
  CHECK(b.po_r == 1.0);
  CHECK(std::abs(a.weight_fraction - 0.6) < 0.01);
  CHECK(std::abs(b.weight_fraction - 0.4) < 0.01);
  CHECK(r.gof < 1.6);
  CHECK(plain.gof > 2 * r.gof);  // without texture the fit is clearly worse
  CHECK(r.n_parameters == plain.n_parameters + 1);
  const auto j = identify::mixture_fit_to_json(r, false);
  CHECK(j.at("phases")[0].at("preferred_orientation").at("r").get<double>() == doctest::Approx(a.po_r));
  CHECK_FALSE(j.at("phases")[1].contains("preferred_orientation"));
  // Started from the decided directions and r (as the mixture search restarts its set), the fit
  // ends where it was.
  std::vector<identify::PhaseStart> st(2);
  for (std::size_t k = 0; k < 2; ++k) {
    st[k].scale = r.phases[k].scale;
    st[k].W = r.phases[k].fwhm_w;
    st[k].eta = r.phases[k].eta;
    st[k].cell = r.phases[k].cell;
    st[k].po_decided = true;
    st[k].po_direction = r.phases[k].po_direction;
    st[k].po_r = k == 0 ? 0.9 : r.phases[k].po_r;  // r refined again from 0.9
  }
  st[0].zero = r.zero;
  const identify::MixtureFit again = identify::fit_mixture(p, {&nacl, &si}, opt, st);
  CHECK(again.phases[0].po_direction == c001);
  CHECK(again.phases[0].po_r == doctest::Approx(a.po_r).epsilon(1e-3));
  CHECK(again.phases[1].po_direction == none);
  CHECK(again.chi2 == doctest::Approx(r.chi2).epsilon(1e-3));
  // An untextured mixture gets no texture.
  const xrd::Pattern q = mixture({kNaCl, kSi}, {0.6, 0.4}, 40000, 32);
  const identify::MixtureFit u = identify::fit_mixture(q, {&nacl, &si}, opt);
  CHECK(u.phases[0].po_direction == none);
  CHECK(u.phases[1].po_direction == none);
}

TEST_CASE("mixture fit: one phase alone fits like the single-phase fit, with weight fraction 1") {
  const xrd::Pattern p = mixture({kNaCl}, {1.0}, 30000, 9);
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif");
  const identify::MixtureFit r = identify::fit_mixture(p, {&nacl});
  const identify::FitResult s = identify::fit_phase(p, nacl);
  REQUIRE(r.phases.size() == 1);
  CHECK(r.phases[0].weight_fraction == doctest::Approx(1.0));
  CHECK(r.phases[0].weight_fraction_esd < 1e-9);
  CHECK(r.rwp == doctest::Approx(s.rwp).epsilon(0.02));
  CHECK(r.phases[0].cell[0] == doctest::Approx(s.cell[0]).epsilon(1e-5));
  const auto j = identify::mixture_fit_to_json(r, false);
  CHECK(j.at("phases").size() == 1);
  CHECK(j.at("phases")[0].at("weight_fraction").get<double>() == doctest::Approx(1.0));
  CHECK_FALSE(j.contains("two_theta"));
}

TEST_CASE("mixture fit: the started phases' refinement, computed once beside another new phase, gives the same fit") {
  const xrd::Pattern p = mixture({kNaCl, kSi, kLiF}, {0.6, 0.3, 0.1}, 30000, 41);
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), si = xrd::read_cif(kCif + "Si.cif"),
                     lif = xrd::read_cif(kCif + "LiF.cif");
  const identify::MixtureFit one = identify::fit_mixture(p, {&nacl});
  REQUIRE(one.ok());
  identify::PhaseStart st;
  st.scale = one.phases[0].scale;
  st.W = one.phases[0].fwhm_w;
  st.eta = one.phases[0].eta;
  st.cell = one.phases[0].cell;
  st.zero = one.zero;
  st.displacement = one.displacement;
  st.po_decided = true;
  const std::vector<identify::PhaseStart> starts{st, identify::PhaseStart{}};
  // Refined beside LiF, used for Si (and for LiF itself): exactly the fits that refine it themselves.
  const identify::PlacedRefinement placed = identify::placed_refinement(p, {&nacl, &lif}, {}, starts);
  REQUIRE(placed.ready);
  CHECK(placed.contributions.size() == 1);
  for (const xrd::Crystal* c : {&si, &lif}) {
    const identify::MixtureFit own = identify::fit_mixture(p, {&nacl, c}, {}, starts);
    const identify::MixtureFit shared = identify::fit_mixture(p, {&nacl, c}, {}, starts, placed);
    REQUIRE(own.ok());
    REQUIRE(shared.ok());
    CHECK(std::isfinite(shared.chi2));
    CHECK(shared.chi2 == own.chi2);
    CHECK(shared.iterations == own.iterations);
    CHECK(shared.phases[1].cell == own.phases[1].cell);
    CHECK(shared.phases[1].weight_fraction == own.phases[1].weight_fraction);
  }
  // A refinement of other phases is refused.
  const std::vector<identify::PhaseStart> three{st, st, identify::PhaseStart{}};
  CHECK_THROWS_WITH_AS(identify::fit_mixture(p, {&nacl, &si, &lif}, {}, three, placed),
                       doctest::Contains("refinement of other phases"), std::exception);
}

TEST_CASE("mixture search: a further phase with more reflections than --mixture-max-reflections is not tried") {
  const std::string d = XRDID_TEST_DATA "/cif/";
  const xrd::Library lib = xrd::build_library({{d + "NaCl.cif", "NaCl"}, {d + "Si.cif", "Si"}}, {});
  identify::Identifier id(lib);
  const xrd::Pattern p = mixture({kNaCl, kSi}, {0.7, 0.3}, 30000, 21);
  const xrd::Crystal si = xrd::read_cif(d + "Si.cif");
  const std::size_t n_si = identify::fit_reflection_count(p, si);
  CHECK(n_si >= 8);   // 111 … 531 and more between 10 and 110° (Kα1 positions, merged by the cubic metric)
  CHECK(n_si <= 20);
  identify::MixtureOptions mo;
  mo.max_reflections = static_cast<int>(n_si) - 1;
  const identify::MixtureResult r = identify::identify_mixture(id, p, {}, mo);
  REQUIRE(r.phases.size() == 1);
  CHECK(lib.entries[r.phases[0].entry].id == "NaCl");
  CHECK(r.note.find("--mixture-max-reflections") != std::string::npos);
  mo.max_reflections = static_cast<int>(n_si);
  CHECK(identify::identify_mixture(id, p, {}, mo).phases.size() == 2);
  mo.max_reflections = -1;
  CHECK_THROWS_WITH_AS(identify::identify_mixture(id, p, {}, mo), doctest::Contains("reflection limit"), std::exception);
}

TEST_CASE("mixture fit: a phase's cell volume change is 100 ln(V / V0) of its refined cell against its reference's") {
  identify::PhaseShare s;
  s.cell_start = {5, 6, 7, 90, 100, 90};
  s.cell = {5, 6.06, 7, 90, 100, 90};
  CHECK(s.volume_change() == doctest::Approx(100.0 * std::log(1.01)));
  s.cell = {5, 6, 7, 90, 95, 90};
  CHECK(s.volume_change() == doctest::Approx(100.0 * std::log(std::sin(95 * M_PI / 180) / std::sin(100 * M_PI / 180))));
  CHECK(s.volume_change() > 0.0);
  s.cell = s.cell_start;
  CHECK(s.volume_change() == doctest::Approx(0.0));
}

TEST_CASE("mixture fit: no phases, or a missing one, is refused clearly") {
  const xrd::Pattern p = mixture({kSi}, {1.0}, 1000, 2);
  CHECK_THROWS_WITH_AS(identify::fit_mixture(p, {}), doctest::Contains("no phases"), std::exception);
  CHECK_THROWS_WITH_AS(identify::fit_mixture(p, {nullptr}), doctest::Contains("missing"), std::exception);
}

TEST_CASE("mixture search: the phases of a synthetic mixture, no more, with their weight fractions") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  xrd::Pattern p = mixture({kNaCl, kSi}, {0.7, 0.3}, 30000, 21);
  const identify::MixtureResult r = identify::identify_mixture(id, p, identify::IdentifyOptions{});
  REQUIRE(r.phases.size() == 2);
  REQUIRE(r.fit.phases.size() == 2);
  std::map<std::string, double> w;
  for (std::size_t k = 0; k < r.phases.size(); ++k) w[lib.entries[r.phases[k].entry].id] = r.fit.phases[k].weight_fraction;
  CHECK(w.count("NaCl") == 1);
  CHECK(w.count("Si") == 1);
  CHECK(std::abs(w["NaCl"] - 0.7) < 0.01);
  CHECK(std::abs(w["Si"] - 0.3) < 0.01);
  CHECK(r.phases[0].chi2_drop > 0.5);  // each removes most of the misfit the other leaves
  CHECK(r.phases[1].chi2_drop > 0.5);
  CHECK(r.phases[0].lines_chi2_drop > 0.9);  // ... and nearly all of it over its own lines
  CHECK(r.phases[1].lines_chi2_drop > 0.9);
  CHECK(r.unexplained.empty());
  CHECK(r.fits >= 3);
  // Stepwise selection (stop at the first phase below a threshold) finds the same pair.
  identify::MixtureOptions stepwise;
  stepwise.prune = false;
  const identify::MixtureResult sw = identify::identify_mixture(id, p, identify::IdentifyOptions{}, stepwise);
  REQUIRE(sw.phases.size() == 2);
  CHECK(sw.phases[0].entry == r.phases[0].entry);
  CHECK(sw.phases[1].entry == r.phases[1].entry);
  // A phase the forward search added and a threshold then removed is named in the note.
  identify::MixtureOptions heavy;
  heavy.min_weight_fraction = 0.5;
  const identify::MixtureResult pruned = identify::identify_mixture(id, p, identify::IdentifyOptions{}, heavy);
  REQUIRE(pruned.phases.size() == 1);
  CHECK(lib.entries[pruned.phases[0].entry].id == "NaCl");
  CHECK(pruned.note.find("then left out: Si") != std::string::npos);
  CHECK(r.note.find("left out") == std::string::npos);
  // Each phase's refined cell stays at its reference's volume; a further phase whose cell moved
  // by more than the limit leaves (a limit below the fits' own scatter removes Si), 0: no limit.
  for (const identify::PhaseShare& s : r.fit.phases) {
    CHECK(std::isfinite(s.volume_change()));
    CHECK(std::abs(s.volume_change()) < 0.1);
  }
  identify::MixtureOptions tight;
  tight.max_volume_change = 1e-9;
  const identify::MixtureResult moved = identify::identify_mixture(id, p, identify::IdentifyOptions{}, tight);
  REQUIRE(moved.phases.size() == 1);
  CHECK(lib.entries[moved.phases[0].entry].id == "NaCl");  // the first phase stays
  CHECK(moved.note.find("then left out: Si") != std::string::npos);
  tight.max_volume_change = 0.0;
  CHECK(identify::identify_mixture(id, p, identify::IdentifyOptions{}, tight).phases.size() == 2);
  // A pure phase stays one phase, pruned or stepwise.
  const xrd::Pattern pure = mixture({kLiF}, {1.0}, 30000, 22);
  for (const identify::MixtureOptions& mo : {identify::MixtureOptions{}, stepwise}) {
    const identify::MixtureResult one = identify::identify_mixture(id, pure, {}, mo);
    REQUIRE(one.phases.size() == 1);
    CHECK(lib.entries[one.phases[0].entry].id == "LiF");
    CHECK(one.fit.phases[0].weight_fraction == doctest::Approx(1.0));
    CHECK(one.phases[0].lines_chi2_drop == 1.0);
  }
  // The default weight floor (5 wt%): a 3 wt% phase leaves, named in the note; without a floor
  // it stays, near its true fraction.
  CHECK(identify::MixtureOptions{}.min_weight_fraction == 0.05);
  const xrd::Pattern minor = mixture({kNaCl, kSi}, {0.97, 0.03}, 30000, 23);
  const identify::MixtureResult floored = identify::identify_mixture(id, minor, {});
  REQUIRE(floored.phases.size() == 1);
  CHECK(lib.entries[floored.phases[0].entry].id == "NaCl");
  CHECK(floored.note.find("then left out: Si") != std::string::npos);
  identify::MixtureOptions no_floor;
  no_floor.min_weight_fraction = 0;
  const identify::MixtureResult kept = identify::identify_mixture(id, minor, {}, no_floor);
  REQUIRE(kept.phases.size() == 2);
  CHECK(lib.entries[kept.phases[1].entry].id == "Si");
  CHECK(std::abs(kept.fit.phases[1].weight_fraction - 0.03) < 0.01);
  identify::MixtureOptions none;
  none.max_phases = 0;
  CHECK_THROWS_WITH_AS(identify::identify_mixture(id, p, {}, none), doctest::Contains("max-phases"), std::exception);
}

TEST_CASE("mixture search: the first phase from the search's best row finds the same set with fewer fits; "
          "the candidates' parallel fits give the same answer on one thread") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  const xrd::Pattern p = mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 23);
  identify::MixtureOptions by_fit, by_search;
  by_fit.first_by_fit = true;
  by_search.first_by_fit = false;
  const identify::MixtureResult a = identify::identify_mixture(id, p, {}, by_fit);
  const identify::MixtureResult b = identify::identify_mixture(id, p, {}, by_search);
  REQUIRE(a.phases.size() == 2);
  REQUIRE(b.phases.size() == 2);
  for (const identify::MixtureResult* r : {&a, &b}) {
    std::map<std::string, double> w;
    for (std::size_t k = 0; k < r->phases.size(); ++k)
      w[lib.entries[r->phases[k].entry].id] = r->fit.phases[k].weight_fraction;
    CHECK(std::abs(w["NaCl"] - 0.6) < 0.01);
    CHECK(std::abs(w["Si"] - 0.4) < 0.01);
  }
  CHECK(b.fits < a.fits);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const identify::MixtureResult serial = identify::identify_mixture(id, p, {}, by_fit);
  omp_set_num_threads(threads);
  REQUIRE(serial.phases.size() == a.phases.size());
  for (std::size_t k = 0; k < a.phases.size(); ++k) {
    CHECK(serial.phases[k].entry == a.phases[k].entry);
    CHECK(serial.fit.phases[k].weight_fraction == a.fit.phases[k].weight_fraction);
  }
  CHECK(serial.fit.chi2 == a.fit.chi2);
}

TEST_CASE("mixture search: the best common rows of each residual are fitted beside its best rows, chosen by BIC alone") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  const xrd::Pattern p = mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 24);
  identify::MixtureOptions plain;
  plain.candidates = 1;  // each residual search's best row only
  plain.common_candidates = 0;
  const identify::MixtureResult a = identify::identify_mixture(id, p, {}, plain);
  // The common phases: only the wrong P 2_1/c structure. Fitted beside each residual's best row,
  // it adds a fit per step and is never chosen.
  identify::MixtureOptions with_common = plain;
  for (const auto& e : lib.entries)
    if (e.id == "P21c") with_common.common.insert(identify::phase_key(e));
  REQUIRE(with_common.common.size() == 1);
  with_common.common_candidates = 1;
  const identify::MixtureResult b = identify::identify_mixture(id, p, {}, with_common);
  REQUIRE(a.phases.size() == 2);
  REQUIRE(b.phases.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) CHECK(a.phases[k].entry == b.phases[k].entry);
  CHECK(lib.entries[b.phases[1].entry].id == "Si");
  CHECK(b.fits > a.fits);
  CHECK(b.fit.chi2 == a.fit.chi2);
  // No common phases: nothing changes.
  identify::MixtureOptions no_common = plain;
  no_common.common_candidates = 3;
  CHECK(identify::identify_mixture(id, p, {}, no_common).fits == a.fits);
}

TEST_CASE("mixture search: phases pruned together are fitted again beside those kept, and one that passes comes back") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  const xrd::Pattern p = mixture({kNaCl, kSi, kLiF}, {0.4, 0.3, 0.3}, 30000, 25);
  // Beside NaCl and each other, Si and LiF make 30 wt% each, below a floor of 35 %: pruned
  // together. Beside NaCl alone, either makes about 43 %.
  identify::MixtureOptions mo;
  mo.min_weight_fraction = 0.35;
  mo.readmit = false;
  const identify::MixtureResult pruned = identify::identify_mixture(id, p, {}, mo);
  REQUIRE(pruned.phases.size() == 1);
  CHECK(lib.entries[pruned.phases[0].entry].id == "NaCl");
  mo.readmit = true;
  const identify::MixtureResult back = identify::identify_mixture(id, p, {}, mo);
  REQUIRE(back.phases.size() == 2);
  CHECK(lib.entries[back.phases[0].entry].id == "NaCl");
  const std::string second = lib.entries[back.phases[1].entry].id;
  CHECK((second == "Si" || second == "LiF"));
  CHECK(back.fit.phases[1].weight_fraction > 0.35);
  CHECK(back.fits > pruned.fits);
  // The one that came back is no longer named as left out; the other still is.
  CHECK(back.note.find("left out: " + std::string(second == "Si" ? "LiF" : "Si")) != std::string::npos);
  CHECK(back.note.find(second == "Si" ? "Si" : "LiF", back.note.find("left out")) == std::string::npos);
}

TEST_CASE("mixture search: the first phase stays, or is judged by the thresholds when enough other phases pass them") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  const xrd::Pattern p = mixture({kNaCl, kSi, kLiF}, {0.3, 0.3, 0.4}, 30000, 26);
  // NaCl is the search's best row. Beside the others it makes 30 wt%, below a floor of 35 %, as
  // Si does; LiF passes.
  identify::MixtureOptions mo;
  mo.min_weight_fraction = 0.35;
  mo.readmit = false;
  const identify::MixtureResult kept = identify::identify_mixture(id, p, {}, mo);
  REQUIRE(kept.phases.size() == 2);
  CHECK(lib.entries[kept.phases[0].entry].id == "NaCl");
  CHECK(lib.entries[kept.phases[1].entry].id == "LiF");
  // Judged when one other phase passes: NaCl leaves with Si.
  mo.judge_first = 1;
  const identify::MixtureResult judged = identify::identify_mixture(id, p, {}, mo);
  REQUIRE(judged.phases.size() == 1);
  CHECK(lib.entries[judged.phases[0].entry].id == "LiF");
  CHECK(judged.note.find("left out: ") != std::string::npos);
  CHECK(judged.note.find("NaCl", judged.note.find("left out: ")) != std::string::npos);
  CHECK(judged.fit.ok());
  // Judged only beside two passing phases: with one, NaCl stays as before.
  mo.judge_first = 2;
  const identify::MixtureResult two = identify::identify_mixture(id, p, {}, mo);
  REQUIRE(two.phases.size() == 2);
  CHECK(lib.entries[two.phases[0].entry].id == "NaCl");
  CHECK(two.fit.chi2 == kept.fit.chi2);
  // No other phase passes: the first stays alone.
  mo.judge_first = 1;
  mo.min_weight_fraction = 0.9;
  const identify::MixtureResult one = identify::identify_mixture(id, p, {}, mo);
  REQUIRE(one.phases.size() == 1);
  CHECK(one.fit.ok());
  CHECK(lib.entries[one.phases[0].entry].id == "NaCl");
}

TEST_CASE("mixture search: a d-spacing scale common to every phase is taken as an axis error, not as the phases'") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  const xrd::Pattern p = with_long_wavelength(mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 41));
  const identify::MixtureResult stretched = search_without_axis_check(id, p);
  REQUIRE(stretched.fit.ok());
  CHECK(stretched.fit.phases.front().volume_change() > 3.0);
  CHECK(stretched.phases.size() == 1);  // the second phase's cell moves as far: over the volume limit
  const identify::MixtureResult r = identify::identify_mixture(id, p, {});
  REQUIRE(r.phases.size() == 2);
  std::map<std::string, double> w;
  for (std::size_t k = 0; k < r.phases.size(); ++k) w[lib.entries[r.phases[k].entry].id] = r.fit.phases[k].weight_fraction;
  CHECK(std::abs(w["NaCl"] - 0.6) < 0.03);
  CHECK(std::abs(w["Si"] - 0.4) < 0.03);
  for (const identify::PhaseShare& s : r.fit.phases) CHECK(std::abs(s.volume_change()) < 1.0);
  CHECK(r.note.find("d-spacings scaled by") != std::string::npos);
  CHECK(r.fit.chi2 < 0.9 * stretched.fit.chi2);
  // The pattern as measured: no second search, no note.
  const identify::MixtureResult plain = identify::identify_mixture(id, mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 41), {});
  CHECK(plain.note.find("d-spacings scaled") == std::string::npos);
  identify::MixtureOptions bad;
  bad.axis_min_drop = 1.0;
  CHECK_THROWS_WITH_AS(identify::identify_mixture(id, p, {}, bad), doctest::Contains("axis"), std::exception);
}

TEST_CASE("mixture search: the axis check follows the phases' common cell change when the first phase's own is small") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  // The same 1.5 % long wavelength, and the sample's NaCl 0.7 % smaller than its reference (as an
  // alike wrong first phase stretched onto the peaks): NaCl's cell moves +2.4 % in volume, below
  // the first phase's 3 %, Si's +4.5 %; the forward set's median change triggers the check.
  Component small_nacl = kNaCl;
  small_nacl.cell = 0.993;
  const xrd::Pattern p = with_long_wavelength(mixture({small_nacl, kSi}, {0.6, 0.4}, 30000, 43));
  const identify::MixtureResult stretched = search_without_axis_check(id, p);
  REQUIRE(stretched.fit.ok());
  REQUIRE(stretched.phases.size() == 1);
  CHECK(lib.entries[stretched.phases[0].entry].id == "NaCl");
  CHECK(std::abs(stretched.fit.phases.front().volume_change()) < 3.0);
  const identify::MixtureResult r = identify::identify_mixture(id, p, {});
  REQUIRE(r.phases.size() == 2);
  CHECK(r.note.find("d-spacings scaled by") != std::string::npos);
  std::map<std::string, double> w;
  for (std::size_t k = 0; k < r.phases.size(); ++k) w[lib.entries[r.phases[k].entry].id] = r.fit.phases[k].weight_fraction;
  CHECK(std::abs(w["NaCl"] - 0.6) < 0.05);
  CHECK(std::abs(w["Si"] - 0.4) < 0.05);
  CHECK(r.fit.chi2 < 0.9 * stretched.fit.chi2);
}

TEST_CASE("axis calibration: a 2θ axis that reads short by a factor is found from the phases fitted to it") {
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), si = xrd::read_cif(kCif + "Si.cif");
  const xrd::Wavelength cu{1.540598, 1.544426, 0.5};
  const xrd::Pattern true_axis = with_axis_error(mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 45), 1.0, 0.0);
  // The synthetic patterns carry a zero shift of 0.04°: the reference lines meet the peaks at
  // 2θ' = 2θ − 0.04°, and with the axis error at 2θ' = 1.02 × 2θ + 0.2° − 0.04°.
  const identify::AxisMap none = identify::calibrate_axis(identify::fit_mixture(true_axis, {&nacl, &si}), cu);
  REQUIRE(none.found);
  CHECK(std::abs(none.slope - 1.0) < 3e-4);
  CHECK(std::abs(none.offset + 0.04) < 0.03);
  const xrd::Pattern p = with_axis_error(mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 45), 1.02, 0.2);
  const identify::MixtureFit stretched = identify::fit_mixture(p, {&nacl, &si});
  REQUIRE(stretched.ok());
  const identify::AxisMap map = identify::calibrate_axis(stretched, cu);
  REQUIRE(map.found);
  CHECK(std::abs(map.slope - 1.02) < 3e-4);
  CHECK(std::abs(map.offset - 0.16) < 0.03);
  CHECK(map.cosine > map.identity_cosine + 0.1);
  // Refitted on the calibrated axis, both cells are their references'.
  CHECK(map.d_scale == 1.0);
  const identify::MixtureFit calibrated = identify::fit_mixture(identify::with_axis(p, map, cu), {&nacl, &si});
  REQUIRE(calibrated.ok());
  for (const identify::PhaseShare& s : calibrated.phases) CHECK(std::abs(s.volume_change()) < 0.2);
  CHECK(calibrated.chi2 < 0.5 * stretched.chi2);
  // The map itself: a line the file puts at 50° lies at 1.02 × 50° + offset.
  CHECK(identify::mapped_two_theta(map, 50.0) == doctest::Approx(map.slope * 50.0 + map.offset));
  CHECK(identify::with_axis(p, map, cu).two_theta.back() == doctest::Approx(identify::mapped_two_theta(map, p.two_theta.back())));
  // Nothing to calibrate against, or an unusable map or wavelength.
  CHECK_FALSE(identify::calibrate_axis(identify::MixtureFit{}, cu).found);
  CHECK_THROWS_WITH_AS(identify::calibrate_axis(stretched, xrd::Wavelength{}), doctest::Contains("wavelength"),
                       std::exception);
  identify::AxisMap backwards;
  backwards.slope = -1.0;
  CHECK_THROWS_WITH_AS(identify::with_axis(p, backwards, cu), doctest::Contains("increasing"), std::exception);
  identify::AxisMap nan_map;
  nan_map.offset = std::nan("");
  CHECK_THROWS_AS(identify::with_axis(p, nan_map, cu), std::exception);
  identify::AxisMap no_scale;
  no_scale.d_scale = 0.0;
  CHECK_THROWS_WITH_AS(identify::with_axis(p, no_scale, cu), doctest::Contains("scale"), std::exception);
}

TEST_CASE("axis calibration: a wavelength error is told from a goniometer's by the lines' tan θ shape") {
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), si = xrd::read_cif(kCif + "Si.cif");
  // The file says 1.5 % longer than the wavelength it was measured with: every d-spacing reads
  // 1.5 % large, so the true ones are those read × 1 / 1.015.
  const xrd::Pattern p = with_long_wavelength(mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 49));
  const identify::MixtureFit stretched = identify::fit_mixture(p, {&nacl, &si});
  REQUIRE(stretched.ok());
  const identify::AxisMap map = identify::calibrate_axis(stretched, p.wavelength);
  REQUIRE(map.found);
  CHECK(map.slope == 1.0);
  CHECK(std::abs(map.d_scale - 1.0 / 1.015) < 3e-4);
  CHECK(std::abs(map.offset + 0.04) < 0.03);  // the synthetic pattern's zero shift
  const xrd::Pattern fixed = identify::with_axis(p, map, p.wavelength);
  // A wavelength map keeps each d-spacing's line where the true wavelength draws it: sin θ' = sin θ / d_scale
  // after the zero shift; beyond 180° there is none.
  const double th = 0.5 * (60.0 + map.offset) * M_PI / 180.0;
  CHECK(identify::mapped_two_theta(map, 60.0) == doctest::Approx(2.0 * std::asin(std::sin(th) / map.d_scale) * 180.0 / M_PI));
  identify::AxisMap long_way = map;
  long_way.d_scale = 0.5;
  CHECK(std::isnan(identify::mapped_two_theta(long_way, 120.0)));
  CHECK(fixed.two_theta.front() == doctest::Approx(p.two_theta.front() + map.offset));
  CHECK(fixed.wavelength.alpha1 == doctest::Approx(1.540598).epsilon(3e-4));
  const identify::MixtureFit calibrated = identify::fit_mixture(fixed, {&nacl, &si});
  REQUIRE(calibrated.ok());
  for (const identify::PhaseShare& s : calibrated.phases) CHECK(std::abs(s.volume_change()) < 0.2);
  // A pattern without a wavelength takes the one given.
  xrd::Pattern unknown = p;
  unknown.wavelength = {};
  CHECK(identify::with_axis(unknown, map, p.wavelength).wavelength.alpha1 == doctest::Approx(fixed.wavelength.alpha1));
}

TEST_CASE("mixture search: a 2θ axis off by a factor is calibrated after the axis check") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  const xrd::Pattern p = with_axis_error(mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 47), 1.02, 0.2);
  identify::MixtureOptions uncalibrated;
  uncalibrated.axis_calibrate = false;
  const identify::MixtureResult scaled = identify::identify_mixture(id, p, {}, uncalibrated);
  REQUIRE(scaled.fit.ok());
  CHECK(scaled.note.find("d-spacings scaled by") != std::string::npos);
  CHECK(scaled.note.find("calibrated") == std::string::npos);
  CHECK(scaled.d_scale < 0.995);
  CHECK(scaled.axis_slope == 1.0);
  const identify::MixtureResult r = identify::identify_mixture(id, p, {});
  REQUIRE(r.fit.ok());
  REQUIRE(r.phases.size() == 2);
  CHECK(r.note.find("2θ axis calibrated") != std::string::npos);
  CHECK(r.d_scale == 1.0);
  CHECK(std::abs(r.axis_slope - 1.02) < 3e-4);
  CHECK(std::abs(r.axis_offset - 0.16) < 0.03);
  std::map<std::string, double> w;
  for (std::size_t k = 0; k < r.phases.size(); ++k) w[lib.entries[r.phases[k].entry].id] = r.fit.phases[k].weight_fraction;
  CHECK(std::abs(w["NaCl"] - 0.6) < 0.03);
  CHECK(std::abs(w["Si"] - 0.4) < 0.03);
  for (const identify::PhaseShare& s : r.fit.phases) CHECK(std::abs(s.volume_change()) < 0.2);
  CHECK(r.fit.chi2 / r.fit.n_points < 0.8 * scaled.fit.chi2 / scaled.fit.n_points);
}

TEST_CASE("mixture search: the axis probe finds a 2θ axis off by a factor when no cell moved far enough to tell") {
  const xrd::Library lib = four_phase_library();
  identify::Identifier id(lib);
  const xrd::Pattern p = with_axis_error(mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 47), 1.02, 0.2);
  // No cell change triggers the axis check: the probe alone (a short search over the library, no
  // common phases being set, whose best row matches only at f = 1.02) gives the map.
  identify::MixtureOptions probe_only;
  probe_only.axis_volume_change = 1000.0;
  const identify::MixtureResult r = identify::identify_mixture(id, p, {}, probe_only);
  REQUIRE(r.fit.ok());
  REQUIRE(r.phases.size() == 2);
  CHECK(r.note.find("2θ axis calibrated against the reference lines of a short search's phases") != std::string::npos);
  CHECK(std::abs(r.axis_slope - 1.02) < 3e-4);
  CHECK(std::abs(r.axis_offset - 0.16) < 0.03);
  CHECK(r.d_scale == 1.0);
  for (const identify::PhaseShare& s : r.fit.phases) CHECK(std::abs(s.volume_change()) < 0.2);
  // Without calibration the answer stays on the file's axis.
  identify::MixtureOptions off = probe_only;
  off.axis_calibrate = false;
  const identify::MixtureResult plain = identify::identify_mixture(id, p, {}, off);
  REQUIRE(plain.fit.ok());
  CHECK(plain.axis_slope == 1.0);
  CHECK(plain.note.find("calibrated") == std::string::npos);
  CHECK(r.fit.chi2 / r.fit.n_points < 0.8 * plain.fit.chi2 / plain.fit.n_points);
  CHECK(r.fits > plain.fits);
  // A pattern on its true axis: the probe's search is not even started (its best row's scale
  // lies within the search's own range), so the fits are those of the search alone.
  const xrd::Pattern true_axis = mixture({kNaCl, kSi}, {0.6, 0.4}, 30000, 47);
  const identify::MixtureResult a = identify::identify_mixture(id, true_axis, {}, probe_only);
  const identify::MixtureResult b = identify::identify_mixture(id, true_axis, {}, off);
  CHECK(a.axis_slope == 1.0);
  CHECK(a.fits == b.fits);
  CHECK(a.fit.chi2 == b.fit.chi2);
}

TEST_CASE("mixture search: a minor phase removes the misfit over its own lines, an absent one does not") {
  const xrd::Pattern p = mixture({kNaCl, kSi}, {0.95, 0.05}, 30000, 31);
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), si = xrd::read_cif(kCif + "Si.cif"),
                     lif = xrd::read_cif(kCif + "LiF.cif");
  const identify::MixtureFit alone = identify::fit_mixture(p, {&nacl});
  const identify::MixtureFit with_si = identify::fit_mixture(p, {&nacl, &si});
  const identify::MixtureFit with_lif = identify::fit_mixture(p, {&nacl, &lif});
  REQUIRE(alone.ok());
  REQUIRE(with_si.ok());
  REQUIRE(with_lif.ok());
  // 5 wt% Si: a small share of the whole misfit's drop is possible, but over Si's lines the fit
  // goes from the unexplained peaks to counting noise.
  const double si_lines = identify::lines_chi2_drop(with_si, 1, alone);
  CHECK(si_lines > 0.9);
  CHECK(si_lines <= 1.0);
  // LiF is not there: over whatever lines it is given the fit is no better than without it.
  const double lif_lines = identify::lines_chi2_drop(with_lif, 1, alone);
  CHECK(std::isfinite(lif_lines));
  CHECK(lif_lines < 0.3);
  // The main phase, taken away from the pair, leaves its lines unexplained.
  const identify::MixtureFit si_alone = identify::fit_mixture(p, {&si});
  CHECK(identify::lines_chi2_drop(with_si, 0, si_alone) > 0.9);
  // No such phase, or fits over different points: 0.
  CHECK(identify::lines_chi2_drop(with_si, 2, alone) == 0.0);
  identify::MixtureFit shorter = alone;
  shorter.observed.pop_back();
  CHECK(identify::lines_chi2_drop(with_si, 1, shorter) == 0.0);
}

TEST_CASE("mixture search: interchangeable entries are those a joint fit can stretch onto each other") {
  xrd::LibraryEntry zr, hf, other;
  zr.spacegroup_number = hf.spacegroup_number = 14;
  zr.cell = {5.1505, 5.2116, 5.3173, 90, 99.23, 90};  // ZrO2 and HfO2, baddeleyite type
  hf.cell = {5.1156, 5.1722, 5.2948, 90, 99.18, 90};
  CHECK(identify::interchangeable(zr, hf, 0.03));
  CHECK(identify::interchangeable(hf, zr, 0.03));
  CHECK_FALSE(identify::interchangeable(zr, hf, 0.005));  // 0.7 % apart in a and b
  other = hf;
  other.spacegroup_number = 15;  // another monoclinic group: the same family
  CHECK(identify::interchangeable(zr, other, 0.03));
  other.spacegroup_number = 62;  // orthorhombic
  CHECK_FALSE(identify::interchangeable(zr, other, 0.03));
  xrd::LibraryEntry y2o3, dy2o3;  // bixbyite Ia-3 and a cubic I2_13 description: one family
  y2o3.spacegroup_number = 206;
  dy2o3.spacegroup_number = 199;
  y2o3.cell = {10.604, 10.604, 10.604, 90, 90, 90};
  dy2o3.cell = {10.67, 10.67, 10.67, 90, 90, 90};
  CHECK(identify::interchangeable(y2o3, dy2o3, 0.03));
  dy2o3.spacegroup_number = 231;  // no such group
  CHECK_FALSE(identify::interchangeable(y2o3, dy2o3, 0.03));
  other = hf;
  other.cell[4] = 102.0;  // β 2.8° apart
  CHECK_FALSE(identify::interchangeable(zr, other, 0.03));
  other = hf;
  other.cell[2] = 0;  // no cell
  CHECK_FALSE(identify::interchangeable(zr, other, 0.03));
  other = hf;
  other.cell[3] = std::nan("");
  CHECK_FALSE(identify::interchangeable(zr, other, 0.03));
  xrd::LibraryEntry none = zr;
  none.spacegroup_number = 0;  // no space group: not known to be the same type
  CHECK_FALSE(identify::interchangeable(none, none, 0.03));
}

namespace {

// A measured Dara scan of the development data, or nothing without XRDID_DATA.
std::optional<xrd::Pattern> dara_scan(const std::string& name) {
  const auto dir = testing::data_dir("measured/dara-mixtures");
  if (!dir || !std::filesystem::exists(*dir / name)) return std::nullopt;
  return io::read_pattern((*dir / name).string());
}

// The start the mixture search gives a phase carried from fit f (one phase): its scale, cell,
// shape, texture and FWHM at mid-range, with the shared zero shift and displacement.
identify::PhaseStart carried(const identify::MixtureFit& f) {
  identify::PhaseStart st;
  st.scale = f.phases[0].scale;
  st.W = f.phases[0].fwhm2_mid;
  st.eta = f.phases[0].eta;
  st.cell = f.phases[0].cell;
  st.zero = f.zero;
  st.displacement = f.displacement;
  st.po_decided = true;
  st.po_direction = f.phases[0].po_direction;
  st.po_r = f.phases[0].po_r;
  return st;
}

const std::string kPhases = XRDID_SOURCE_DIR "/data/phases/";

}  // namespace

TEST_CASE("mixture fit: a phase joining a refined one starts with its peak widths (measured SnO2 + Cr2O3 + MnCO3)") {
  // SnO2 fitted alone to this three-phase scan broadens its peaks to cover the others' (V < 0
  // beside a large W). U and V are shared, so Cr2O3 started with the default W had a FWHM² below
  // zero: needle peaks, a 4 % fall of χ² where Cr2O3 explains most of what SnO2 leaves.
  const auto p = dara_scan("MnCO3_Cr2O3_SnO2.12-min.xrdml");
  if (!p) {
    MESSAGE("XRDID_DATA not set: skipped");
    return;
  }
  const xrd::Crystal sno2 = xrd::read_cif(kPhases + "SnO2_cassiterite.cif"),
                     cr2o3 = xrd::read_cif(kPhases + "Cr2O3_eskolaite.cif");
  const identify::MixtureFit one = identify::fit_mixture(*p, {&sno2});
  REQUIRE(one.ok());
  // The FWHM² at the middle of the range, which a later fit (U and V from 0) starts the phase with.
  const double t = std::tan((p->two_theta.front() + p->two_theta.back()) / 4.0 * M_PI / 180.0);
  CHECK(one.phases[0].fwhm2_mid == doctest::Approx(one.U * t * t + one.V * t + one.phases[0].fwhm_w));
  const identify::MixtureFit two = identify::fit_mixture(*p, {&sno2, &cr2o3}, {}, {carried(one), identify::PhaseStart{}});
  REQUIRE(two.ok());
  MESSAGE("chi2 " << one.chi2 << " -> " << two.chi2 << ", Cr2O3 " << two.phases[1].weight_fraction);
  CHECK((one.chi2 - two.chi2) / one.chi2 > 0.5);
  CHECK(two.phases[1].weight_fraction > 0.3);
}

TEST_CASE("mixture fit: a carried phase starts with its FWHM at mid-range (measured Fe3O4 + Cr2O3 + CuO + NaHCO3)") {
  // Fe3O4 alone on this scan ends with W = 0 beside U < 0 < V; restarted with that W and U = V =
  // 0 its peaks were needles, and every joint fit with it was worse than Fe3O4 alone.
  const auto p = dara_scan("NaHCO3_Cr2O3_Fe3O4_CuO.12-min.xrdml");
  if (!p) {
    MESSAGE("XRDID_DATA not set: skipped");
    return;
  }
  const xrd::Crystal fe3o4 = xrd::read_cif(kPhases + "Fe3O4_magnetite.cif"),
                     cr2o3 = xrd::read_cif(kPhases + "Cr2O3_eskolaite.cif");
  const identify::MixtureFit one = identify::fit_mixture(*p, {&fe3o4});
  REQUIRE(one.ok());
  const identify::MixtureFit two = identify::fit_mixture(*p, {&fe3o4, &cr2o3}, {}, {carried(one), identify::PhaseStart{}});
  REQUIRE(two.ok());
  MESSAGE("chi2 " << one.chi2 << " -> " << two.chi2 << ", Cr2O3 " << two.phases[1].weight_fraction);
  CHECK(two.chi2 < 0.7 * one.chi2);
  CHECK(two.phases[1].weight_fraction > 0.1);
}
