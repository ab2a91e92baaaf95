// Whole-pattern fitting: analytic Jacobian against finite differences, recovery of a known cell
// strain and zero shift from synthetic Poisson-noise patterns, priors as pseudo-observations, right vs wrong phase, bad input,
// flagged fits, the coarse start beside a known shift, the Gaussians' recurrence on a uniform grid, and (with XRDID_DATA) refined cells of real RRUFF patterns against their CIFs.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "common/data_dir.hpp"
#include "identify/fit.hpp"
#include "identify/fit_model.hpp"
#include "io/pattern_io.hpp"
#include "xrd/cif_reader.hpp"
#include "xrd/render.hpp"

using namespace xrdid;

namespace {

const std::string kCif = XRDID_TEST_DATA "/cif/";

// A Cu Kα1+Kα2 pattern 10–100° (9000 points) of `cif` with every cell length × (1 + strain),
// a zero shift, Caglioti Gaussian widths, a smooth background and Poisson counts.
xrd::Pattern synthetic(const std::string& cif, double strain, double zero, double peak_counts, unsigned seed) {
  xrd::Crystal c = xrd::read_cif(kCif + cif);
  c.a *= 1 + strain;
  c.b *= 1 + strain;
  c.c *= 1 + strain;
  xrd::ProfileOptions prof;
  prof.kind = xrd::ProfileKind::PseudoVoigt;
  prof.use_caglioti = true;
  prof.U = 0.01;
  prof.V = -0.006;
  prof.W = 0.005;
  prof.zero_shift = zero;
  prof.normalize_to = peak_counts;
  xrd::Pattern p = xrd::simulate_pattern(c, {1.540598, 1.544426, 0.5}, xrd::uniform_grid(10, 100, 0.01), prof);
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double bg = 120.0 + 80.0 * std::exp(-(p.two_theta[i] - 10.0) / 25.0);
    std::poisson_distribution<long> pois(p.intensity[i] + bg);
    p.intensity[i] = static_cast<float>(pois(rng));
  }
  p.wavelength = {};  // as from a plain .xy file: the fit assumes Cu Kα1+Kα2
  p.source = "synthetic " + cif;
  return p;
}

double cif_a(const std::string& cif) { return xrd::read_cif(kCif + cif).a; }

}  // namespace

TEST_CASE("fit: the analytic Jacobian matches central finite differences") {
  const xrd::Pattern p = synthetic("NaCl.cif", 0.0, 0.0, 5000, 1);
  identify::FitOptions opt;
  opt.window_fwhm = 2000;  // whole-range peaks: moving windows would cut the tails
  opt.scale_window = false;
  for (const char* cif : {"NaCl.cif", "Si.cif", "P21c_symops.cif", "hexagonal_axes.cif"}) {
    CAPTURE(cif);
    const double err = identify::fit_jacobian_check(p, xrd::read_cif(kCif + cif), opt);
    CHECK(std::isfinite(err));
    CHECK(err < 1e-5);
  }
}

TEST_CASE("fit: strain, zero shift and GoF recovered from Poisson-noise patterns") {
  for (const char* cif : {"NaCl.cif", "Si.cif", "LiF.cif"}) {
    CAPTURE(cif);
    const double a_true = cif_a(cif) * 1.008;
    const xrd::Pattern p = synthetic(cif, 0.008, 0.1, 20000, 7);
    const identify::FitResult r = identify::fit_phase(p, xrd::read_cif(kCif + cif));
    MESSAGE(std::string(cif) << ": a " << r.cell[0] << " (true " << a_true << ") zero " << r.parameter("zero")->value
                << " ± " << r.parameter("zero")->esd << " D " << r.parameter("displacement")->value << " ± " << r.parameter("displacement")->esd << " Rwp " << r.rwp << " GoF " << r.gof << " " << r.iterations << " iterations " << r.seconds * 1e3 << " ms");
    CHECK(r.status == identify::FitStatus::Converged);
    CHECK_FALSE(r.hit_bound);
    CHECK(r.crystal_system == "cubic");
    CHECK(std::abs(r.cell[0] / a_true - 1) < 5e-4);
    CHECK(r.cell[0] == doctest::Approx(r.cell[1]));
    CHECK(r.cell[3] == doctest::Approx(90.0));
    // Zero shift and displacement (cos θ) are nearly collinear over 10–100°: with both refined
    // the zero is right within its ESD; with the displacement fixed, within 0.01°.
    CHECK(std::abs(r.parameter("zero")->value - 0.1) < 3 * r.parameter("zero")->esd);
    CHECK(std::abs(r.parameter("displacement")->value) < 3 * r.parameter("displacement")->esd);
    identify::FitOptions no_disp;
    no_disp.refine_displacement = false;
    const identify::FitResult z = identify::fit_phase(p, xrd::read_cif(kCif + cif), no_disp);
    MESSAGE(std::string(cif) << " without displacement: zero " << z.parameter("zero")->value << " ± "
                             << z.parameter("zero")->esd << ", a " << z.cell[0]);
    CHECK(std::abs(z.parameter("zero")->value - 0.1) < 0.01);
    CHECK(std::abs(z.cell[0] / a_true - 1) < 5e-4);
    CHECK_FALSE(z.parameter("displacement")->refined);
    CHECK(r.gof > 0.8);
    CHECK(r.gof < 1.5);
    CHECK(r.rexp > 0);
    CHECK(r.rwp == doctest::Approx(r.rexp * std::sqrt(r.gof)).epsilon(1e-9));
    CHECK(r.cell_esd[0] > 0);
    CHECK(r.cell_esd[0] < 1e-3);
    CHECK(r.two_theta.size() == r.calculated.size());
    CHECK(r.background.size() == r.calculated.size());
    CHECK(!r.reflections.empty());
  }
}

namespace {
// y_i = p0 at every point: the weighted mean, pulled towards a prior's mean.
struct ConstantModel : identify::fit_detail::LsqModel {
  void eval(const identify::fit_detail::Vec& p, identify::fit_detail::Vec& yc, identify::fit_detail::RowMatrix* J,
            identify::fit_detail::Vec* = nullptr) const override {
    yc = identify::fit_detail::Vec::Constant(y.size(), p[0]);
    if (J) *J = identify::fit_detail::RowMatrix::Ones(y.size(), 1);
  }
};
}  // namespace

TEST_CASE("fit: a Gaussian prior is a pseudo-observation of its parameter") {
  using namespace identify::fit_detail;
  ConstantModel m;
  m.y = Vec::LinSpaced(10, 1.0, 10.0);  // mean 5.5
  m.w = Vec::Constant(10, 0.5);         // Σw = 5
  Bounds b{Vec::Constant(1, -100.0), Vec::Constant(1, 100.0)};
  Vec p = Vec::Zero(1);
  levenberg_marquardt(m, p, {0}, b, 50, 1e-14);
  CHECK(p[0] == doctest::Approx(5.5).epsilon(1e-9));
  m.priors.push_back({0, 0.0, 0.5});  // precision 4 against the data's 5
  p[0] = 0.0;
  const LmOutcome o = levenberg_marquardt(m, p, {0}, b, 50, 1e-14);
  CHECK(o.converged);
  CHECK(p[0] == doctest::Approx(5.0 * 5.5 / (5.0 + 4.0)).epsilon(1e-9));
  Vec yc;
  m.eval(p, yc, nullptr);
  CHECK(m.objective(p, yc) == doctest::Approx(m.chi2(yc) + 4.0 * p[0] * p[0]));
  // Its precision enters the covariance: 1 / (Σw + 1/σ²), times the GoF given.
  RowMatrix J;
  m.eval(p, yc, &J);
  const Eigen::MatrixXd cov = parameter_covariance(J, m.w, p, {0}, b, 1.0, m.priors);
  CHECK(cov(0, 0) == doctest::Approx(1.0 / 9.0));
  CHECK(parameter_covariance(J, m.w, p, {0}, b, 1.0)(0, 0) == doctest::Approx(1.0 / 5.0));
}

TEST_CASE("fit: the displacement prior holds D near zero; Rwp and χ² stay the data's") {
  const xrd::Pattern p = synthetic("NaCl.cif", 0.008, 0.1, 20000, 7);
  const xrd::Crystal c = xrd::read_cif(kCif + "NaCl.cif");
  identify::FitOptions tight;
  tight.displacement_sigma = 1e-4;
  const identify::FitResult r = identify::fit_phase(p, c, tight);
  REQUIRE(r.status == identify::FitStatus::Converged);
  CHECK(std::abs(r.parameter("displacement")->value) < 1e-3);
  CHECK(std::abs(r.parameter("zero")->value - 0.1) < 0.01);
  CHECK(std::abs(r.cell[0] / (c.a * 1.008) - 1) < 5e-4);
  const identify::FitResult d = identify::fit_phase(p, c);  // default prior, 0.1°
  REQUIRE(d.status == identify::FitStatus::Converged);
  CHECK(identify::FitOptions{}.displacement_sigma == doctest::Approx(0.1));
  CHECK(std::abs(d.parameter("displacement")->value) < 0.05);
  CHECK(std::abs(d.cell[0] / (c.a * 1.008) - 1) < 5e-4);
  // The reported χ² is Σ w (y_o − y_c)² over the fitted points, w = 1 / max(y_o, 1): no prior term.
  double chi2 = 0.0;
  for (std::size_t i = 0; i < d.observed.size(); ++i)
    chi2 += (d.observed[i] - d.calculated[i]) * (d.observed[i] - d.calculated[i]) / std::max(d.observed[i], 1.0);
  CHECK(d.chi2 == doctest::Approx(chi2).epsilon(1e-6));
}

TEST_CASE("fit: the right phase fits clearly better than a wrong one") {
  const xrd::Pattern p = synthetic("NaCl.cif", 0.004, 0.05, 20000, 11);
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif"), lif = xrd::read_cif(kCif + "LiF.cif"),
                     si = xrd::read_cif(kCif + "Si.cif");
  const auto res = identify::verify_candidates(p, {&lif, &nacl, &si});
  REQUIRE(res.size() == 3);
  MESSAGE("Rwp LiF " << res[0].rwp << " NaCl " << res[1].rwp << " Si " << res[2].rwp);
  CHECK(identify::better_fit(res[1], res[0]));
  CHECK(identify::better_fit(res[1], res[2]));
  CHECK(res[0].rwp > 2 * res[1].rwp);
  CHECK(res[2].rwp > 2 * res[1].rwp);
  CHECK(res[0].bic > res[1].bic);
  const nlohmann::json j = identify::fit_to_json(res[1], true);
  CHECK(j["status"] == "converged");
  CHECK(j["cell"]["a"].get<double>() == doctest::Approx(res[1].cell[0]));
  CHECK(j["calculated"].size() == res[1].calculated.size());
  CHECK(j["reflections"][0]["hkl"].size() == 3);
  CHECK(identify::fit_to_json(res[1], false).count("calculated") == 0);
}

TEST_CASE("fit: reflections are shown by their conventional hkl at the fitted positions") {
  const xrd::Pattern p = synthetic("Si.cif", 0.005, 0.08, 20000, 13);
  const identify::FitResult r = identify::fit_phase(p, xrd::read_cif(kCif + "Si.cif"));
  REQUIRE(r.ok());
  REQUIRE(r.reflections.size() >= 5);  // 111 … 511 in 10–100°
  // Si (Fd-3m): 111, 220, 311, 400, … each written with non-negative indices.
  CHECK(r.reflections[0].hkl == std::array<int, 3>{1, 1, 1});
  CHECK(r.reflections[1].hkl == std::array<int, 3>{2, 2, 0});
  CHECK(r.reflections[2].hkl == std::array<int, 3>{3, 1, 1});
  const double zero = r.parameter("zero")->value, disp = r.parameter("displacement")->value;
  double strongest = 0;
  const identify::FitReflection* top = nullptr;
  for (const auto& f : r.reflections) {
    CAPTURE(f.two_theta);
    CHECK(f.hkl[0] >= 0);
    CHECK(f.hkl[1] >= 0);
    CHECK(f.hkl[2] >= 0);
    // d from the refined cell, 2θ from Bragg's law plus the refined zero and displacement.
    const double h2 = f.hkl[0] * f.hkl[0] + f.hkl[1] * f.hkl[1] + f.hkl[2] * f.hkl[2];
    CHECK(f.d == doctest::Approx(r.cell[0] / std::sqrt(h2)).epsilon(1e-9));
    const double th = std::asin(r.wavelength / (2 * f.d));
    CHECK(f.two_theta == doctest::Approx(2 * th * 180 / M_PI + zero + disp * std::cos(th)).epsilon(1e-9));
    if (f.intensity > strongest) strongest = f.intensity, top = &f;
  }
  // The strongest tick sits on the calculated peak's maximum (Kα1).
  REQUIRE(top != nullptr);
  std::size_t imax = 0;
  for (std::size_t i = 0; i < r.two_theta.size(); ++i)
    if (std::abs(r.two_theta[i] - top->two_theta) < 0.3 && r.calculated[i] - r.background[i] > r.calculated[imax] - r.background[imax])
      imax = i;
  CHECK(std::abs(r.two_theta[imax] - top->two_theta) < 0.04);  // Kα2 pulls the maximum a little
}

TEST_CASE("fit: the preferred-orientation search leaves an untextured pattern alone") {
  const xrd::Pattern p = synthetic("Si.cif", 0.0, 0.0, 20000, 5);
  identify::FitOptions opt;
  opt.preferred_orientation = true;
  const identify::FitResult r = identify::fit_phase(p, xrd::read_cif(kCif + "Si.cif"), opt);
  CHECK(r.status == identify::FitStatus::Converged);
  CHECK(r.gof < 1.5);
  CHECK(std::abs(r.cell[0] / cif_a("Si.cif") - 1) < 5e-4);
}

TEST_CASE("fit: bad input is refused with one clear error") {
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif");
  xrd::Pattern few;
  for (int i = 0; i < 30; ++i) {
    few.two_theta.push_back(30 + 0.01 * i);
    few.intensity.push_back(static_cast<float>(100 + i));
  }
  CHECK_THROWS_WITH_AS(identify::fit_phase(few, nacl), doctest::Contains("fewer than 50 points"), std::runtime_error);
  xrd::Pattern flat;
  flat.two_theta = xrd::uniform_grid(10, 90, 0.02);
  flat.intensity.assign(flat.two_theta.size(), 250.0f);
  CHECK_THROWS_WITH_AS(identify::fit_phase(flat, nacl), doctest::Contains("flat"), std::runtime_error);
  xrd::Pattern nan = flat;
  nan.intensity[100] = std::nanf("");
  CHECK_THROWS_WITH_AS(identify::fit_phase(nan, nacl), doctest::Contains("non-finite"), std::runtime_error);
  // A failing candidate comes back flagged instead of throwing.
  const auto res = identify::verify_candidates(flat, {&nacl});
  REQUIRE(res.size() == 1);
  CHECK(res[0].status == identify::FitStatus::Diverged);
  CHECK_FALSE(res[0].ok());
}

TEST_CASE("fit: unfinished, bounded and hopeless fits are flagged, not crashed") {
  const xrd::Crystal nacl = xrd::read_cif(kCif + "NaCl.cif");
  const xrd::Pattern p = synthetic("NaCl.cif", 0.008, 0.1, 20000, 3);
  identify::FitOptions opt;
  opt.max_iterations = 2;
  opt.tolerance = 0;
  CHECK(identify::fit_phase(p, nacl, opt).status == identify::FitStatus::IterationLimit);
  opt = {};
  opt.cell_bound = 0.002;  // the true cell is 0.8 % larger
  const identify::FitResult b = identify::fit_phase(p, nacl, opt);
  CHECK(b.hit_bound);
  CHECK(b.message.find("on a bound") != std::string::npos);
  // Noise without peaks: some fit, finite numbers, a poor Rwp compared with the real one.
  xrd::Pattern noise = p;
  std::mt19937_64 rng(2);
  std::poisson_distribution<long> pois(200.0);
  for (float& v : noise.intensity) v = static_cast<float>(pois(rng));
  const identify::FitResult n = identify::fit_phase(noise, nacl);
  CHECK(std::isfinite(n.rwp));
  CHECK(std::isfinite(n.gof));
}

TEST_CASE("fit: refined cells of real RRUFF patterns agree with their CIFs") {
  const auto meas = testing::data_dir("measured/rruff-opxrd");
  const auto cifs = testing::data_dir("cif/rruff-opxrd");
  if (!meas || !cifs) {
    MESSAGE("XRDID_DATA not set: skipped");
    return;
  }
  const char* names[] = {"Ag_225", "Au_225", "Cu2O_224", "MnS_225", "SnO2_136", "ZrSiO4_141", "ZnS_216", "Ca3Cr2(SiO4)3_230"};
  int tried = 0, close = 0;
  for (const char* name : names) {
    const auto xy = *meas / (std::string(name) + ".xy");
    const auto cif = *cifs / (std::string(name) + ".cif");
    if (!std::filesystem::exists(xy) || !std::filesystem::exists(cif)) continue;
    const xrd::Crystal c = xrd::read_cif(cif.string());
    const identify::FitResult r = identify::fit_phase(io::read_pattern(xy.string()), c);
    ++tried;
    const double da = r.cell[0] / c.a - 1, dc = r.cell[2] / c.c - 1;
    const bool ok = r.ok() && std::abs(da) < 3e-3 && std::abs(dc) < 3e-3;
    close += ok;
    MESSAGE(std::string(name) << ": Rwp " << r.rwp << " GoF " << r.gof << " a " << c.a << " -> " << r.cell[0] << " c " << c.c << " -> "
                 << r.cell[2] << std::string(ok ? "" : "  (off)") << ", " << r.seconds * 1e3 << " ms");
  }
  REQUIRE(tried >= 5);
  CHECK(close * 4 >= tried * 3);
}

TEST_CASE("fit: the Gaussians by recurrence on a uniform grid equal one exp per point") {
  const xrd::Pattern p = synthetic("NaCl.cif", 0.003, 0.02, 5000, 3);
  for (const char* cif : {"NaCl.cif", "P21c_symops.cif"}) {
    CAPTURE(cif);
    identify::fit_detail::Setup su = identify::fit_detail::make_setup(p, xrd::read_cif(kCif + cif), {});
    REQUIRE(su.m.step > 0);  // 0.01° steps: uniform
    identify::fit_detail::Model direct = su.m;
    direct.step = 0.0;
    su.p[identify::fit_detail::kW] = 0.02;  // wide peaks: windows of hundreds of points, several anchors
    identify::fit_detail::Vec y1, y2;
    identify::fit_detail::RowMatrix J1, J2;
    su.m.eval(su.p, y1, &J1);
    direct.eval(su.p, y2, &J2);
    REQUIRE(y1.size() == y2.size());
    REQUIRE(y1.allFinite());  // maxCoeff below would not see a NaN
    REQUIRE(J1.allFinite());
    CHECK((y1 - y2).cwiseAbs().maxCoeff() < 1e-12 * y2.cwiseAbs().maxCoeff());
    CHECK((J1 - J2).cwiseAbs().maxCoeff() < 1e-12 * J2.cwiseAbs().maxCoeff());
  }
  // A grid with one point off the uniform spacing is evaluated point by point.
  xrd::Pattern q = p;
  q.two_theta[100] += 0.001;
  CHECK(identify::fit_detail::make_setup(q, xrd::read_cif(kCif + "NaCl.cif"), {}).m.step == 0.0);
}

TEST_CASE("fit: the coarse start of a phase beside others keeps their zero shift and displacement") {
  // NaCl's peaks strained by 1.2 % and moved by a zero shift of 0.1° and a displacement term of
  // 0.3° cos θ: given that shift, the search finds the strain.
  namespace fd = identify::fit_detail;
  const xrd::Pattern p = synthetic("NaCl.cif", 0.0, 0.0, 5000, 3);
  const identify::FitOptions opt;
  fd::Setup su = fd::make_setup(p, xrd::read_cif(kCif + "NaCl.cif"), opt);
  fd::Vec truth = su.p;
  const double strain = 0.012;
  for (int k = 0; k < su.m.nc; ++k) truth[fd::kCell0 + k] /= (1 + strain) * (1 + strain);
  truth[fd::kZero] = 0.1;
  truth[fd::kDisp] = 0.3;
  fd::Vec y;
  su.m.eval(truth, y, nullptr);
  REQUIRE(y.allFinite());
  REQUIRE(y.maxCoeff() > 0);
  su.m.y = y.array() + 0.05 * y.maxCoeff();
  const auto [z, eps] = fd::coarse_search(su.m, su.p, opt, std::make_pair(0.1, 0.3));
  CHECK(std::abs(eps - strain) < 0.0005);
  CHECK(std::abs(z - 0.1) <= 0.06 + 1e-12);  // a small correction only
  // Without the displacement the peaks cannot be followed over the whole range.
  const auto [z0, eps0] = fd::coarse_search(su.m, su.p, opt, std::make_pair(0.1, 0.0));
  CHECK(std::abs(eps0 - strain) + std::abs(z0 - 0.1) > 0.002);
}

TEST_CASE("fit: March–Dollase directions are the low-index ones, then the strongest reflections' normals") {
  namespace fd = identify::fit_detail;
  const xrd::Pattern p = synthetic("P21c_symops.cif", 0.003, 0.02, 5000, 3);
  fd::Setup su = fd::make_setup(p, xrd::read_cif(kCif + "P21c_symops.cif"), {});
  const std::vector<std::array<int, 3>> low = fd::distinct_po_directions(su.m, su.g0);
  REQUIRE(!low.empty());
  REQUIRE(low.size() <= fd::kPoDirections.size());
  for (const auto& d : low)
    CHECK(std::find(fd::kPoDirections.begin(), fd::kPoDirections.end(), d) != fd::kPoDirections.end());
  // The strongest reflections, by stick intensity.
  std::vector<fd::Reflection> refl = su.m.refl;
  std::stable_sort(refl.begin(), refl.end(), [](const fd::Reflection& a, const fd::Reflection& b) { return a.intensity > b.intensity; });
  REQUIRE(refl.size() >= 3);
  const std::vector<std::array<int, 3>> more = fd::distinct_po_directions(su.m, su.g0, 3);
  REQUIRE(more.size() >= low.size());
  CHECK(std::equal(low.begin(), low.end(), more.begin()));  // the low-index ones first, in order
  CHECK(more.size() > low.size());  // a strong reflection of this monoclinic cell is not a low-index one
  // Each strong reflection's normal is tried, or one giving every reflection the same factors is.
  auto factors = [&](const std::array<int, 3>& d) {
    fd::set_po_direction(su.m, su.g0, d);
    std::vector<double> f;
    for (const fd::Reflection& rf : su.m.refl) f.push_back(fd::po_factor(su.m, rf, 0.8));
    return f;
  };
  for (int k = 0; k < 3; ++k) {
    const std::vector<double> want = factors(refl[static_cast<std::size_t>(k)].hkl);
    bool found = false;
    for (const auto& d : more) {
      const std::vector<double> got = factors(d);
      bool same = got.size() == want.size();
      for (std::size_t i = 0; i < got.size() && same; ++i) same = std::abs(got[i] - want[i]) < 1e-9;
      found = found || same;
    }
    CHECK(found);
  }
  // Not one of them is tried twice.
  for (std::size_t i = 0; i < more.size(); ++i)
    for (std::size_t j = i + 1; j < more.size(); ++j) CHECK(factors(more[i]) != factors(more[j]));
}
