// Whole-pattern single-phase fit (see fit.hpp): the two refinement stages, the optional
// preferred orientation, the statistics and ESDs, and the JSON form. The model and the
// least squares are in fit_model.hpp.
#include "identify/fit.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "common/check.hpp"
#include "identify/fit_model.hpp"

namespace xrdid::identify {

using namespace fit_detail;

const char* to_string(FitStatus s) {
  switch (s) {
    case FitStatus::Converged: return "converged";
    case FitStatus::IterationLimit: return "iteration limit";
    case FitStatus::Diverged: return "diverged";
  }
  return "?";
}

const FitParameter* FitResult::parameter(const std::string& name) const {
  for (const FitParameter& q : parameters)
    if (q.name == name) return &q;
  return nullptr;
}

FitResult fit_phase(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  Setup su = make_setup(measured, crystal, opt);
  Model& m = su.m;
  const CellModel& cm = su.cm;
  const Metric& g0 = su.g0;
  const auto& cell0 = su.cell0;
  Vec& p = su.p;
  const Bounds& b = su.b;
  std::vector<std::string>& names = su.names;
  const auto N = static_cast<Eigen::Index>(m.x.size());
  const double xlo = m.x.front(), xhi = m.x.back();
  FitResult res;
  res.phase = su.phase;
  res.wavelength = su.wl.alpha1;
  res.cell_start = cell0;
  res.crystal_system = cm.system;

  if (opt.refine_displacement && opt.displacement_sigma > 0) m.priors.push_back({kDisp, 0.0, opt.displacement_sigma});

  // Coarse start, then the linear part.
  const auto [z_start, eps] = coarse_search(m, p, opt);
  p[kZero] = z_start;
  const double strain_f = 1.0 / ((1 + eps) * (1 + eps));
  for (int k = 0; k < m.nc; ++k) p[kCell0 + k] = std::clamp(p[kCell0 + k] * strain_f, b.lo[kCell0 + k], b.hi[kCell0 + k]);
  linear_start(m, p);
  const Vec p_start = p;

  // Stage 1: scale, background, zero, cell, W. Stage 2: + displacement, U, V, η, B.
  std::vector<int> free1{kScale, kZero, kW};
  for (int k = 0; k < m.nc; ++k) free1.push_back(kCell0 + k);
  for (int j = 0; j < m.nb; ++j) free1.push_back(m.bg0() + j);
  std::vector<int> free2 = free1;
  if (opt.refine_displacement) free2.push_back(kDisp);
  if (opt.refine_profile) {
    free2.push_back(kU);
    free2.push_back(kV);
    free2.push_back(kEta);
  }
  if (opt.refine_b) free2.push_back(kB);
  std::sort(free2.begin(), free2.end());

  LmOutcome lm = levenberg_marquardt(m, p, free1, b, std::max(1, opt.max_iterations / 2), 1e-4);
  int iterations = lm.iterations;
  if (!lm.diverged) {
    lm = levenberg_marquardt(m, p, free2, b, opt.max_iterations, opt.tolerance);
    iterations += lm.iterations;
  }
  std::vector<int> free_final = free2;

  // Optional March–Dollase along low-index directions (reciprocal-lattice vectors, start metric).
  if (!lm.diverged && opt.preferred_orientation) {
    Vec yc0;
    m.eval(p, yc0, nullptr);
    const double chi_none = m.objective(p, yc0);
    auto set_direction = [&](const std::array<int, 3>& dir) { set_po_direction(m, g0, dir); };
    std::vector<int> free_po = free2;
    free_po.push_back(kPoR);
    std::sort(free_po.begin(), free_po.end());
    double best_chi = chi_none;
    int best_dir = -1;
    Vec best_p = p;
    m.use_po = true;
    const std::vector<std::array<int, 3>> dirs = distinct_po_directions(m, g0, opt.po_strong_lines);
    for (int di = 0; di < static_cast<int>(dirs.size()); ++di) {
      set_direction(dirs[static_cast<std::size_t>(di)]);
      Vec q = p;
      q[kPoR] = 1.0;
      const LmOutcome o = levenberg_marquardt(m, q, free_po, b, 12, 1e-4);
      iterations += o.iterations;
      Vec yq;
      m.eval(q, yq, nullptr);
      const double c = m.objective(q, yq);
      if (!o.diverged && c < best_chi) best_chi = c, best_dir = di, best_p = q;
    }
    // Keep it when the BIC improves (Δχ² > ln N for one extra parameter).
    if (best_dir >= 0 && chi_none - best_chi > std::log(static_cast<double>(N))) {
      const auto& d = dirs[static_cast<std::size_t>(best_dir)];
      set_direction(d);
      p = best_p;
      lm = levenberg_marquardt(m, p, free_po, b, opt.max_iterations, opt.tolerance);
      iterations += lm.iterations;
      free_final = free_po;
      names[kPoR] = "po_r[" + std::to_string(d[0]) + std::to_string(d[1]) + std::to_string(d[2]) + "]";
    } else {
      m.use_po = false;
      p[kPoR] = 1.0;
    }
  }

  // Statistics.
  res.iterations = iterations;
  Vec yc, bg;
  RowMatrix J;
  m.eval(p, yc, &J, &bg);
  const Agreement ag = agreement(m, yc, static_cast<int>(free_final.size()));
  const double chi2 = ag.chi2;
  store_agreement(ag, res);
  if (lm.diverged || !std::isfinite(chi2) || !p.allFinite()) {
    res.status = FitStatus::Diverged;
    res.message = lm.message.empty() ? "non-finite result" : lm.message;
  } else {
    res.status = lm.converged ? FitStatus::Converged : FitStatus::IterationLimit;
  }

  // ESDs from the inverse normal matrix of the refined parameters not on a bound.
  const Eigen::MatrixXd cov = res.status != FitStatus::Diverged ? parameter_covariance(J, m.w, p, free_final, b, res.gof, m.priors)
                                                                 : Eigen::MatrixXd::Zero(m.np, m.np);
  auto on_bound = [&](int j) { return fit_detail::on_bound(p, b, j); };
  std::vector<std::string> hit;
  for (int j = 0; j < m.np; ++j) {
    FitParameter fp;
    fp.name = names[static_cast<std::size_t>(j)];
    fp.value = p[j];
    fp.start = p_start[j];
    fp.refined = std::find(free_final.begin(), free_final.end(), j) != free_final.end();
    fp.at_bound = fp.refined && on_bound(j);
    fp.esd = fp.refined ? std::sqrt(std::max(0.0, cov(j, j))) : 0.0;
    if (j == kPoR && !fp.refined) continue;
    res.parameters.push_back(fp);
    const bool structural = j == kScale || j == kZero || j == kDisp || (j >= kCell0 && j < m.bg0());
    if (fp.at_bound && structural) hit.push_back(fp.name);
  }
  if (!hit.empty()) {
    res.hit_bound = true;
    std::string msg = "on a bound:";
    for (const auto& h : hit) msg += " " + h;
    res.message = res.message.empty() ? msg : res.message + "; " + msg;
  }

  // Cell and its ESDs (numerical propagation through metric → cell).
  Eigen::MatrixXd Jc;
  cell_with_esd(cm, p.segment(kCell0, m.nc), cov.block(kCell0, kCell0, m.nc, m.nc), res.cell, res.cell_esd, &Jc);
  static const char* kCellName[] = {"a", "b", "c", "alpha", "beta", "gamma"};
  for (int i = 0; i < 6; ++i) {
    FitParameter fp;
    fp.name = kCellName[i];
    fp.value = res.cell[static_cast<std::size_t>(i)];
    fp.esd = res.cell_esd[static_cast<std::size_t>(i)];
    fp.start = cell0[static_cast<std::size_t>(i)];
    fp.refined = Jc.row(i).cwiseAbs().maxCoeff() > 0;
    res.parameters.push_back(fp);
  }

  // Curves and reflections for a report.
  res.two_theta = m.x;
  res.observed.assign(m.y.data(), m.y.data() + N);
  res.calculated.assign(yc.data(), yc.data() + N);
  res.background.assign(bg.data(), bg.data() + N);
  for (const Reflection& rf : m.refl) {
    double Q = 0;
    for (int k = 0; k < m.nc; ++k) Q += p[kCell0 + k] * rf.q[k];
    const double s = m.lambda[0] * std::sqrt(Q) / 2;
    if (!(Q > 0) || s >= 1) continue;
    const double th = std::asin(s);
    FitReflection fr;
    fr.hkl = rf.hkl;
    fr.multiplicity = rf.multiplicity;
    fr.d = 1.0 / std::sqrt(Q);
    fr.two_theta = 2 * th / kDeg + p[kZero] + p[kDisp] * std::cos(th);
    const double P = m.use_po ? po_factor(m, rf, p[kPoR]) : 1.0;
    fr.intensity = p[kScale] * rf.intensity * std::exp(-0.5 * p[kB] * Q) * P;
    if (fr.two_theta < xlo || fr.two_theta > xhi) continue;
    res.reflections.push_back(fr);
  }
  std::sort(res.reflections.begin(), res.reflections.end(),
            [](const FitReflection& a, const FitReflection& c) { return a.two_theta < c.two_theta; });
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

std::size_t fit_reflection_count(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt) {
  return make_setup(measured, crystal, opt).m.refl.size();
}

double fit_jacobian_check(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt) {
  Setup su = make_setup(measured, crystal, opt);
  Model& m = su.m;
  Vec& p = su.p;
  // Peaks only (scale 1, stick maximum 100) and a small background, so that rounding in the
  // differences stays far below the derivatives.
  p[kScale] = 1.0;
  for (int j = 0; j < m.nb; ++j) p[m.bg0() + j] = 0.1 / (1 + j);
  p[kZero] = 0.03;
  p[kDisp] = 0.05;
  p[kU] = 0.012;
  p[kV] = -0.004;
  p[kW] = 0.006;
  p[kEta] = 0.4;
  p[kB] = 0.7;
  p[kPoR] = 0.8;
  for (int k = 0; k < m.nc; ++k) p[kCell0 + k] *= 0.985;
  m.use_po = true;
  set_po_direction(m, su.g0, {0, 0, 1});
  return jacobian_check(m, p);
}

std::vector<FitResult> verify_candidates(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& candidates,
                                         const FitOptions& opt) {
  std::vector<FitResult> out;
  out.reserve(candidates.size());
  for (const xrd::Crystal* c : candidates) {
    try {
      XRDID_CHECK(c != nullptr, "fit: null candidate");
      out.push_back(fit_phase(measured, *c, opt));
    } catch (const std::exception& e) {
      FitResult r;
      r.phase = c ? c->source : "";
      r.status = FitStatus::Diverged;
      r.message = e.what();
      r.rwp = r.chi2 = r.bic = std::numeric_limits<double>::infinity();
      out.push_back(std::move(r));
    }
  }
  return out;
}

bool better_fit(const FitResult& a, const FitResult& b) {
  if (a.ok() != b.ok()) return a.ok();
  return a.bic < b.bic;
}

nlohmann::json cell_to_json(const std::array<double, 6>& c) {
  return nlohmann::json{{"a", c[0]}, {"b", c[1]}, {"c", c[2]}, {"alpha", c[3]}, {"beta", c[4]}, {"gamma", c[5]}};
}

double cell_volume_change(const std::array<double, 6>& cell, const std::array<double, 6>& reference) {
  const double v = xrd::cell_volume(cell), v0 = xrd::cell_volume(reference);
  if (!(v > 0 && v0 > 0 && std::isfinite(v) && std::isfinite(v0))) return std::nan("");
  return 100.0 * std::log(v / v0);
}

nlohmann::json fit_to_json(const FitResult& r, bool curves) {
  nlohmann::json j{{"phase", r.phase},
                   {"status", to_string(r.status)},
                   {"hit_bound", r.hit_bound},
                   {"message", r.message},
                   {"crystal_system", r.crystal_system},
                   {"rwp", r.rwp},
                   {"rexp", r.rexp},
                   {"gof", r.gof},
                   {"chi2", r.chi2},
                   {"bic", r.bic},
                   {"n_points", r.n_points},
                   {"n_parameters", r.n_parameters},
                   {"iterations", r.iterations},
                   {"seconds", r.seconds},
                   {"wavelength", r.wavelength},
                   {"cell", cell_to_json(r.cell)},
                   {"cell_esd", cell_to_json(r.cell_esd)},
                   {"cell_start", cell_to_json(r.cell_start)}};
  nlohmann::json ps = nlohmann::json::array();
  for (const FitParameter& p : r.parameters)
    ps.push_back({{"name", p.name},
                  {"value", p.value},
                  {"esd", p.esd},
                  {"start", p.start},
                  {"refined", p.refined},
                  {"at_bound", p.at_bound}});
  j["parameters"] = std::move(ps);
  nlohmann::json rs = nlohmann::json::array();
  for (const FitReflection& f : r.reflections)
    rs.push_back({{"hkl", f.hkl},
                  {"multiplicity", f.multiplicity},
                  {"d", f.d},
                  {"two_theta", f.two_theta},
                  {"intensity", f.intensity}});
  j["reflections"] = std::move(rs);
  if (curves) {
    j["two_theta"] = r.two_theta;
    j["observed"] = r.observed;
    j["calculated"] = r.calculated;
    j["background"] = r.background;
  }
  return j;
}

}  // namespace xrdid::identify
