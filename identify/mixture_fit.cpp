// Joint whole-pattern fit of several phases (see mixture_fit.hpp): the joint parameter layout
// over the single-phase models of fit_model.hpp, the start, two refinement stages, statistics,
// ESDs and Hill–Howard weight fractions.
#include "identify/mixture_fit.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "common/check.hpp"
#include "identify/fit_model.hpp"

namespace xrdid::identify {

using namespace fit_detail;

namespace {

constexpr double kAmuGram = 1.66053906660;  // g/cm³ of 1 u per Å³

// Joint layout: [0] zero, [1] displacement, [2, 2 + nb) background, then per phase its
// single-phase slots other than zero and displacement (scale, U, V, W, η, B, po_r, cell…); every
// phase reads the first phase's U and V (the instrument's part of the width; a phase's own W
// carries its size broadening), so the later phases' U, V slots stay unused.
struct JointModel : LsqModel {
  std::vector<Setup>* su = nullptr;
  std::vector<int> off;  // first joint index of each phase's block
  const Eigen::MatrixXd* T = nullptr;
  int nb = 0, np = 0;

  int joint(std::size_t phase, int s) const {
    const Model& m = (*su)[phase].m;
    if (s == kZero) return 0;
    if (s == kDisp) return 1;
    if ((s == kU || s == kV) && phase > 0) return joint(0, s);  // the instrument's U, V: shared
    if (s >= m.bg0()) return 2 + (s - m.bg0());
    return off[phase] + (s == kScale ? 0 : s - 2);
  }
  // The phase's own parameter vector (background zero: its model gives the peaks alone).
  Vec phase_params(std::size_t phase, const Vec& p) const {
    const Model& m = (*su)[phase].m;
    Vec q = Vec::Zero(m.np);
    for (int s = 0; s < m.bg0(); ++s) q[s] = p[joint(phase, s)];
    return q;
  }
  void contribution(std::size_t phase, const Vec& p, Vec& y, RowMatrix* J) const {
    (*su)[phase].m.eval(phase_params(phase, p), y, J);
  }
  // Each phase's peaks and their derivatives go through scratch space (one fit per thread) and
  // are added into the joint Jacobian over the rows they reach, phase after phase.
  mutable Vec yp_;
  mutable RowMatrix Jp_;
  void eval(const Vec& p, Vec& yc, RowMatrix* J, Vec* bg = nullptr) const override {
    yc = (*T) * p.segment(2, nb);
    if (bg) *bg = yc;
    if (J) {
      J->setZero(T->rows(), np);
      J->middleCols(2, nb) = *T;
    }
    std::vector<int> cols;
    for (std::size_t f = 0; f < su->size(); ++f) {
      const Model& m = (*su)[f].m;
      yp_.setZero(T->rows());
      if (J) Jp_.setZero(T->rows(), m.bg0());
      const auto [lo, hi] = m.add_peaks(phase_params(f, p), yp_, J ? &Jp_ : nullptr);
      yc += yp_;
      if (!J) continue;
      cols.resize(static_cast<std::size_t>(m.bg0()));
      for (int s = 0; s < m.bg0(); ++s) cols[static_cast<std::size_t>(s)] = joint(f, s);
      for (Eigen::Index i = lo; i < hi; ++i) {
        const double* src = Jp_.row(i).data();
        double* dst = J->row(i).data();
        for (int s = 0; s < m.bg0(); ++s) dst[cols[static_cast<std::size_t>(s)]] += src[s];
      }
    }
  }
};

// Set-ups of every phase on one fit range, and the joint model over them with start values and
// bounds taken from the set-ups.
struct JointSetup {
  std::vector<Setup> su;
  JointModel jm;
  Vec p;
  Bounds b;
};

void make_joint(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases, const FitOptions& opt,
                JointSetup& js) {
  XRDID_CHECK(!phases.empty(), "mixture fit: no phases given");
  XRDID_CHECK(opt.mixture_po_range >= 1.0, "mixture fit: the March–Dollase range R must be >= 1");
  for (const xrd::Crystal* c : phases) {
    XRDID_CHECK(c != nullptr, "mixture fit: a phase is missing");
    js.su.push_back(make_setup(measured, *c, opt));
  }
  const Model& m0 = js.su.front().m;
  for (const Setup& s : js.su)
    XRDID_CHECK(s.m.x.size() == m0.x.size() && s.m.nb == m0.nb, "mixture fit: phases on different fit ranges");
  JointModel& jm = js.jm;
  jm.su = &js.su;
  jm.y = m0.y;
  jm.w = m0.w;
  jm.T = &m0.T;
  jm.nb = m0.nb;
  jm.np = 2 + jm.nb;
  for (const Setup& s : js.su) {
    jm.off.push_back(jm.np);
    jm.np += kCell0 - 2 + s.m.nc;
  }
  js.p = Vec::Zero(jm.np);
  js.b = Bounds{Vec::Constant(jm.np, -std::numeric_limits<double>::infinity()),
                Vec::Constant(jm.np, std::numeric_limits<double>::infinity())};
  for (std::size_t f = 0; f < js.su.size(); ++f) {
    const Setup& s = js.su[f];
    for (int k = 0; k < s.m.bg0(); ++k) {
      if ((k == kZero || k == kDisp) && f > 0) continue;
      const int j = jm.joint(f, k);
      js.p[j] = s.p[k];
      js.b.lo[j] = s.b.lo[k];
      js.b.hi[j] = s.b.hi[k];
    }
    // March–Dollase r within [1/R, R] (FitOptions::mixture_po_range).
    js.b.lo[jm.joint(f, kPoR)] = 1.0 / opt.mixture_po_range;
    js.b.hi[jm.joint(f, kPoR)] = opt.mixture_po_range;
  }
}

// Weighted linear least squares for the scales of the phases in `use` and the background at fixed
// other parameters (scales floored at a tiny positive value; the other phases' scales set to 0).
void joint_linear_start(const JointModel& jm, Vec& p, const std::vector<char>& use) {
  const auto N = jm.T->rows();
  const auto nf = static_cast<Eigen::Index>(jm.su->size());
  RowMatrix X(N, nf + jm.nb);
  Vec q = p, yp;
  for (Eigen::Index f = 0; f < nf; ++f) {
    if (!use[static_cast<std::size_t>(f)]) {
      X.col(f).setZero();
      continue;
    }
    q[jm.off[static_cast<std::size_t>(f)]] = 1.0;
    jm.contribution(static_cast<std::size_t>(f), q, yp, nullptr);
    X.col(f) = yp;
  }
  X.rightCols(jm.nb) = *jm.T;
  Eigen::MatrixXd A;
  Vec rhs;
  normal_equations(X, jm.w, &jm.y, A, rhs);
  A.diagonal().array() += 1e-12 * A.diagonal().maxCoeff();
  const Vec beta = A.ldlt().solve(rhs);
  if (!beta.allFinite()) return;
  for (Eigen::Index f = 0; f < nf; ++f)
    p[jm.off[static_cast<std::size_t>(f)]] =
        use[static_cast<std::size_t>(f)] ? std::max(beta[f], 1e-6 * std::abs(beta.head(nf).maxCoeff()) + 1e-12) : 0.0;
  p.segment(2, jm.nb) = beta.tail(jm.nb);
}

double cell_mass_u(const xrd::Crystal& c) { return xrd::density_g_cm3(c) * c.volume() / kAmuGram; }

}  // namespace

namespace {
MixtureFit fit_joint(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                     const FitOptions& opt, const std::vector<PhaseStart>& starts, PlacedRefinement* placed_out,
                     const PlacedRefinement* placed_in);
}  // namespace

MixtureFit fit_mixture(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                       const FitOptions& opt, const std::vector<PhaseStart>& starts) {
  return fit_joint(measured, phases, opt, starts, nullptr, nullptr);
}
MixtureFit fit_mixture(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                       const FitOptions& opt, const std::vector<PhaseStart>& starts, const PlacedRefinement& placed) {
  return fit_joint(measured, phases, opt, starts, nullptr, &placed);
}
PlacedRefinement placed_refinement(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                                   const FitOptions& opt, const std::vector<PhaseStart>& starts) {
  PlacedRefinement out;
  fit_joint(measured, phases, opt, starts, &out, nullptr);
  return out;
}

namespace {
// placed_out: stop after the started phases' refinement and return it (an empty fit); placed_in:
// that refinement, computed before.
MixtureFit fit_joint(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                     const FitOptions& opt, const std::vector<PhaseStart>& starts, PlacedRefinement* placed_out,
                     const PlacedRefinement* placed_in) {
  const auto t0 = std::chrono::steady_clock::now();
  XRDID_CHECK(starts.empty() || starts.size() == phases.size(), "mixture fit: one start per phase");
  JointSetup js;
  make_joint(measured, phases, opt, js);
  JointModel& jm = js.jm;
  Vec& p = js.p;
  const Bounds& b = js.b;
  const auto nphase = js.su.size();
  const auto N = static_cast<Eigen::Index>(jm.y.size());

  // Preferred orientation: the directions the starts decide (their r refined in stage 2); the
  // other phases are tested after stage 2.
  const bool use_po = opt.preferred_orientation;
  const std::array<int, 3> kNoDir{0, 0, 0};
  std::vector<std::array<int, 3>> po_dir(nphase, kNoDir);
  std::vector<char> po_open(nphase, use_po ? 1 : 0);
  auto set_po = [&](std::size_t f, const std::array<int, 3>& d) {
    Model& m = js.su[f].m;
    po_dir[f] = d;
    m.use_po = d != kNoDir;
    if (m.use_po) set_po_direction(m, js.su[f].g0, d);
    p[jm.joint(f, kPoR)] = 1.0;
  };
  std::vector<int> po_free;
  for (std::size_t f = 0; f < nphase && use_po && !starts.empty(); ++f) {
    if (!(starts[f].scale > 0) || !starts[f].po_decided) continue;
    po_open[f] = 0;
    set_po(f, starts[f].po_direction);
    if (!js.su[f].m.use_po) continue;
    const int j = jm.joint(f, kPoR);
    p[j] = std::clamp(starts[f].po_r, b.lo[j], b.hi[j]);
    po_free.push_back(j);
  }

  // Start: each phase's cell, W and η from its start, else from a coarse search over the pattern
  // less the phases placed before it (those refined first, peak shapes included); the shared
  // zero shift from the first phase's start or coarse search, the displacement from the first
  // phase's start (else 0); then all scales and the background linearly. U, V and B start afresh:
  // a fit that lacks a phase broadens its peaks and damps its intensities to cover the other's.
  std::vector<char> placed(nphase, 0);
  for (std::size_t f = 0; f < nphase; ++f) {
    if (starts.empty() || !(starts[f].scale > 0)) continue;
    const Setup& s = js.su[f];
    p[jm.joint(f, kW)] = std::clamp(starts[f].W, b.lo[jm.joint(f, kW)], b.hi[jm.joint(f, kW)]);
    p[jm.joint(f, kEta)] = std::clamp(starts[f].eta, 0.0, 1.0);
    if (starts[f].cell[0] > 0) {
      const std::vector<double> pc = project(s.cm, metric_of_cell(starts[f].cell), nullptr);
      for (int k = 0; k < s.m.nc; ++k) {
        const int j = jm.joint(f, kCell0 + k);
        p[j] = std::clamp(pc[static_cast<std::size_t>(k)], b.lo[j], b.hi[j]);
      }
      placed[f] = 1;
    }
  }
  const bool zero_given = !starts.empty() && std::isfinite(starts[0].zero);
  if (zero_given) p[0] = std::clamp(starts[0].zero, b.lo[0], b.hi[0]);
  if (!starts.empty() && std::isfinite(starts[0].displacement)) p[1] = std::clamp(starts[0].displacement, b.lo[1], b.hi[1]);
  for (std::size_t f = 0; f < nphase; ++f) {
    if (placed[f]) continue;
    Setup& s = js.su[f];
    Model mm = s.m;
    // The refinement below is the same for any phase tried last beside the same started ones.
    const bool only_last = f + 1 == nphase && std::count(placed.begin(), placed.end(), 1) == static_cast<long>(f);
    const auto head = static_cast<Eigen::Index>(jm.off[f]);
    if (placed_in && placed_in->ready && only_last) {
      XRDID_CHECK(placed_in->params.size() == static_cast<std::size_t>(head) && placed_in->contributions.size() == f,
                  "mixture fit: a refinement of other phases");
      p.head(head) = Eigen::Map<const Vec>(placed_in->params.data(), head);
      p[jm.off[f]] = 0.0;  // the last phase's scale, as the linear start leaves it
      for (const std::vector<double>& c : placed_in->contributions)
        mm.y -= Eigen::Map<const Vec>(c.data(), static_cast<Eigen::Index>(c.size()));
    } else if (std::find(placed.begin(), placed.end(), 1) != placed.end()) {
      // The placed phases refined first (scales, W, cells, zero, background; the others at scale
      // 0), so that their misfit does not mislead the search for this one.
      joint_linear_start(jm, p, placed);
      std::vector<int> fr{0};
      for (int j = 0; j < jm.nb; ++j) fr.push_back(2 + j);
      for (std::size_t g = 0; g < nphase; ++g) {
        if (!placed[g]) continue;
        fr.push_back(jm.joint(g, kScale));
        fr.push_back(jm.joint(g, kW));
        for (int k = 0; k < js.su[g].m.nc; ++k) fr.push_back(jm.joint(g, kCell0 + k));
      }
      std::sort(fr.begin(), fr.end());
      levenberg_marquardt(jm, p, fr, b, std::max(1, opt.max_iterations / 3), 1e-3);
      if (opt.refine_profile) {  // then their peak shapes, so that little misfit is left
        fr.push_back(jm.joint(0, kU));
        fr.push_back(jm.joint(0, kV));
        for (std::size_t g = 0; g < nphase; ++g)
          if (placed[g]) fr.push_back(jm.joint(g, kEta));
        std::sort(fr.begin(), fr.end());
        levenberg_marquardt(jm, p, fr, b, std::max(1, opt.max_iterations / 3), 1e-3);
      }
      Vec yp;
      if (placed_out && only_last) placed_out->params.assign(p.data(), p.data() + head);
      for (std::size_t g = 0; g < nphase; ++g) {
        if (!placed[g]) continue;
        jm.contribution(g, p, yp, nullptr);
        mm.y -= yp;
        if (placed_out && only_last) placed_out->contributions.emplace_back(yp.data(), yp.data() + yp.size());
      }
      if (placed_out && only_last) {
        placed_out->ready = p[jm.off[f]] == 0.0;  // else the linear start failed: not shared
        return {};
      }
    }
    // A later phase (or a first one whose start fixes the shift) moves with the zero shift and
    // displacement already there: a free zero shift would let its peaks slide onto others'.
    std::optional<std::pair<double, double>> known;
    if (f > 0 || zero_given) known = std::make_pair(p[0], p[1]);
    const auto [z, eps] = coarse_search(mm, s.p, opt, known);
    if (f == 0 && !zero_given) p[0] = z;
    const double strain_f = 1.0 / ((1 + eps) * (1 + eps));
    for (int k = 0; k < s.m.nc; ++k) {
      const int j = jm.joint(f, kCell0 + k);
      p[j] = std::clamp(p[j] * strain_f, b.lo[j], b.hi[j]);
    }
    // U and V are shared: beside a refined phase, this one starts with that phase's widths
    // (FWHM² = U t² + V t + W). The refined U, V can be far from their defaults (a lone phase
    // broadened to cover the others' peaks: V < 0 beside a large W), and the default W would
    // then give this phase a FWHM² below zero, needle peaks that no refinement recovers.
    const auto ref = static_cast<std::size_t>(std::find(placed.begin(), placed.end(), 1) - placed.begin());
    if (ref < f) p[jm.joint(f, kW)] = std::clamp(p[jm.joint(ref, kW)], b.lo[jm.joint(f, kW)], b.hi[jm.joint(f, kW)]);
    placed[f] = 1;
  }
  joint_linear_start(jm, p, placed);

  // Stage 1: scales, cells, W, zero, background. Stage 2: + displacement, the first phase's U, V,
  // η, B and every other phase's η.
  std::vector<int> free1{0};
  for (int j = 0; j < jm.nb; ++j) free1.push_back(2 + j);
  for (std::size_t f = 0; f < nphase; ++f) {
    free1.push_back(jm.joint(f, kScale));
    free1.push_back(jm.joint(f, kW));
    for (int k = 0; k < js.su[f].m.nc; ++k) free1.push_back(jm.joint(f, kCell0 + k));
  }
  std::vector<int> free2 = free1;
  if (opt.refine_displacement) free2.push_back(1);
  if (opt.refine_profile) {
    free2.push_back(jm.joint(0, kU));
    free2.push_back(jm.joint(0, kV));
    for (std::size_t f = 0; f < nphase; ++f) free2.push_back(jm.joint(f, kEta));
  }
  if (opt.refine_b) free2.push_back(jm.joint(0, kB));
  free2.insert(free2.end(), po_free.begin(), po_free.end());
  std::sort(free1.begin(), free1.end());
  std::sort(free2.begin(), free2.end());
  LmOutcome lm = levenberg_marquardt(jm, p, free1, b, std::max(1, opt.max_iterations / 2), 1e-4);
  int iterations = lm.iterations;
  if (!lm.diverged) {
    lm = levenberg_marquardt(jm, p, free2, b, opt.max_iterations, opt.tolerance);
    iterations += lm.iterations;
  }
  std::vector<int> free_final = free2;

  // Preferred orientation of the phases without a decided direction: each distinct direction
  // and r of a small grid screened by the χ² of the phase's profile, its scale and the background
  // refitted linearly to what the other phases leave; the best direction, when it gains more than
  // ln N over no texture, is refined jointly and kept when the χ² falls by ln N per r.
  if (use_po && !lm.diverged && std::find(po_open.begin(), po_open.end(), 1) != po_open.end()) {
    const double lnN = std::log(static_cast<double>(N));
    Vec yc0;
    jm.eval(p, yc0, nullptr);
    const double chi_none = jm.chi2(yc0);
    std::vector<std::size_t> chosen;
    for (std::size_t f = 0; f < nphase; ++f) {
      if (!po_open[f]) continue;
      po_open[f] = 0;
      Model mf = js.su[f].m;  // the phase alone against what the others leave
      Vec yg;
      for (std::size_t g = 0; g < nphase; ++g) {
        if (g == f) continue;
        jm.contribution(g, p, yg, nullptr);
        mf.y -= yg;
      }
      const Vec q0 = jm.phase_params(f, p);
      auto screen = [&](double r) {
        Vec q = q0, yq;
        q[kPoR] = r;
        linear_start(mf, q);
        mf.eval(q, yq, nullptr);
        return mf.chi2(yq);
      };
      mf.use_po = false;
      const double chi_ref = screen(1.0);
      double best = chi_ref - lnN, best_r = 1.0;
      int best_di = -1;
      mf.use_po = true;
      const std::vector<std::array<int, 3>> dirs = distinct_po_directions(mf, js.su[f].g0, opt.po_strong_lines);
      for (int di = 0; di < static_cast<int>(dirs.size()); ++di) {
        set_po_direction(mf, js.su[f].g0, dirs[static_cast<std::size_t>(di)]);
        for (const double r : {0.6, 0.8, 1.25, 1.6}) {
          const double c = screen(r);
          if (c < best) best = c, best_r = r, best_di = di;
        }
      }
      set_po(f, best_di >= 0 ? dirs[static_cast<std::size_t>(best_di)] : kNoDir);
      if (best_di < 0) continue;
      p[jm.joint(f, kPoR)] = best_r;
      chosen.push_back(f);
    }
    if (!chosen.empty()) {
      std::vector<int> free_po = free2;
      for (std::size_t f : chosen) free_po.push_back(jm.joint(f, kPoR));
      std::sort(free_po.begin(), free_po.end());
      Vec pt = p;
      const LmOutcome o = levenberg_marquardt(jm, pt, free_po, b, opt.max_iterations, opt.tolerance);
      iterations += o.iterations;
      Vec yt;
      jm.eval(pt, yt, nullptr);
      if (!o.diverged && chi_none - jm.chi2(yt) > lnN * static_cast<double>(chosen.size())) {
        p = pt;
        lm = o;
        free_final = std::move(free_po);
      } else {
        for (std::size_t f : chosen) set_po(f, kNoDir);
      }
    }
  }

  MixtureFit res;
  res.iterations = iterations;
  res.wavelength = js.su[0].wl.alpha1;
  Vec yc, bg;
  RowMatrix J;
  jm.eval(p, yc, &J, &bg);
  const Agreement ag = agreement(jm, yc, static_cast<int>(free_final.size()));
  const double chi2 = ag.chi2;
  store_agreement(ag, res);
  res.zero = p[0];
  res.displacement = p[1];
  res.U = p[jm.joint(0, kU)];
  res.V = p[jm.joint(0, kV)];
  if (lm.diverged || !std::isfinite(chi2) || !p.allFinite()) {
    res.status = FitStatus::Diverged;
    res.message = lm.message.empty() ? "non-finite result" : lm.message;
  } else {
    res.status = lm.converged ? FitStatus::Converged : FitStatus::IterationLimit;
  }

  // Covariance of the refined parameters not on a bound (× GoF).
  const Eigen::MatrixXd cov = res.ok() ? parameter_covariance(J, jm.w, p, free_final, b, res.gof)
                                       : Eigen::MatrixXd::Zero(jm.np, jm.np);
  auto on_bound = [&](int j) { return fit_detail::on_bound(p, b, j); };

  // Per phase: cell (with ESDs), scale, contribution, reflections; then the weight fractions.
  std::vector<double> a(nphase);  // (ZMV) per unit of stored scale
  for (std::size_t f = 0; f < nphase; ++f) {
    const Setup& s = js.su[f];
    const Model& m = s.m;
    PhaseShare ph;
    ph.phase = s.phase;
    ph.crystal_system = s.cm.system;
    ph.scale = p[jm.joint(f, kScale)];
    ph.scale_esd = std::sqrt(std::max(0.0, cov(jm.joint(f, kScale), jm.joint(f, kScale))));
    ph.fwhm_w = p[jm.joint(f, kW)];
    const double t_mid = std::tan((m.x.front() + m.x.back()) / 4.0 * kDeg);
    ph.fwhm2_mid = res.U * t_mid * t_mid + res.V * t_mid + ph.fwhm_w;
    ph.eta = p[jm.joint(f, kEta)];
    ph.cell_start = s.cell0;
    Vec pc(m.nc);
    Eigen::MatrixXd C(m.nc, m.nc);
    for (int k = 0; k < m.nc; ++k) {
      pc[k] = p[jm.joint(f, kCell0 + k)];
      for (int l = 0; l < m.nc; ++l) C(k, l) = cov(jm.joint(f, kCell0 + k), jm.joint(f, kCell0 + l));
    }
    cell_with_esd(s.cm, pc, C, ph.cell, ph.cell_esd);
    ph.hit_bound = on_bound(jm.joint(f, kScale));
    for (int k = 0; k < m.nc; ++k) ph.hit_bound = ph.hit_bound || on_bound(jm.joint(f, kCell0 + k));
    if (m.use_po) {
      const int jr = jm.joint(f, kPoR);
      ph.po_direction = po_dir[f];
      ph.po_r = p[jr];
      ph.po_r_esd = std::sqrt(std::max(0.0, cov(jr, jr)));
    }
    const xrd::Crystal& cr = *phases[f];
    ph.zmv = cell_mass_u(cr) * xrd::cell_volume(ph.cell);
    a[f] = ph.zmv / m.intensity_unit;
    ph.mass_per_scale = a[f];
    Vec yp;
    jm.contribution(f, p, yp, nullptr);
    ph.contribution.assign(yp.data(), yp.data() + N);
    const Vec q = jm.phase_params(f, p);
    for (const Reflection& rf : m.refl) {
      double Q = 0;
      for (int k = 0; k < m.nc; ++k) Q += q[kCell0 + k] * rf.q[k];
      const double sv = m.lambda[0] * std::sqrt(Q) / 2;
      if (!(Q > 0) || sv >= 1) continue;
      const double th = std::asin(sv);
      FitReflection fr;
      fr.hkl = rf.hkl;
      fr.multiplicity = rf.multiplicity;
      fr.d = 1.0 / std::sqrt(Q);
      fr.two_theta = 2 * th / kDeg + p[0] + p[1] * std::cos(th);
      fr.intensity = q[kScale] * rf.intensity * std::exp(-0.5 * q[kB] * Q) * (m.use_po ? po_factor(m, rf, q[kPoR]) : 1.0);
      if (fr.two_theta < m.x.front() || fr.two_theta > m.x.back()) continue;
      ph.reflections.push_back(fr);
    }
    std::sort(ph.reflections.begin(), ph.reflections.end(),
              [](const FitReflection& x, const FitReflection& y) { return x.two_theta < y.two_theta; });
    if (ph.hit_bound) res.message += (res.message.empty() ? "" : "; ") + ph.phase + " on a bound";
    res.phases.push_back(std::move(ph));
  }
  res.scale_covariance.assign(nphase * nphase, 0.0);
  for (std::size_t j = 0; j < nphase; ++j)
    for (std::size_t k = 0; k < nphase; ++k)
      res.scale_covariance[j * nphase + k] = cov(jm.joint(j, kScale), jm.joint(k, kScale));
  double total = 0;
  for (std::size_t f = 0; f < nphase; ++f) total += res.phases[f].scale * a[f];
  if (total > 0) {
    for (std::size_t i = 0; i < nphase; ++i) {
      PhaseShare& ph = res.phases[i];
      ph.weight_fraction = ph.scale * a[i] / total;
      // ∂w_i/∂S_j = (δ_ij a_i − w_i a_j) / Σ; var w_i = gᵀ C_S g.
      double var = 0;
      for (std::size_t j = 0; j < nphase; ++j)
        for (std::size_t k = 0; k < nphase; ++k) {
          const double gj = ((i == j ? a[i] : 0.0) - ph.weight_fraction * a[j]) / total;
          const double gk = ((i == k ? a[i] : 0.0) - ph.weight_fraction * a[k]) / total;
          var += gj * gk * cov(jm.joint(j, kScale), jm.joint(k, kScale));
        }
      ph.weight_fraction_esd = std::sqrt(std::max(0.0, var));
    }
  }
  res.two_theta = js.su[0].m.x;
  res.observed.assign(jm.y.data(), jm.y.data() + N);
  res.calculated.assign(yc.data(), yc.data() + N);
  res.background.assign(bg.data(), bg.data() + N);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}
}  // namespace

double mixture_jacobian_check(const xrd::Pattern& measured, const std::vector<const xrd::Crystal*>& phases,
                              const FitOptions& opt) {
  JointSetup js;
  make_joint(measured, phases, opt, js);
  const JointModel& jm = js.jm;
  Vec& p = js.p;
  p[0] = 0.03;
  p[1] = 0.05;
  for (int j = 0; j < jm.nb; ++j) p[2 + j] = 0.1 / (1 + j);
  for (std::size_t f = 0; f < js.su.size(); ++f) {
    const double g = 1.0 + 0.1 * static_cast<double>(f);
    p[jm.joint(f, kScale)] = 1.0 / g;
    p[jm.joint(f, kU)] = 0.012 * g;
    p[jm.joint(f, kV)] = -0.004;
    p[jm.joint(f, kW)] = 0.006 * g;
    p[jm.joint(f, kEta)] = 0.4;
    p[jm.joint(f, kB)] = 0.7;
    for (int k = 0; k < js.su[f].m.nc; ++k) p[jm.joint(f, kCell0 + k)] *= 0.985;
    p[jm.joint(f, kPoR)] = 0.8 + 0.05 * static_cast<double>(f);
    js.su[f].m.use_po = true;
    set_po_direction(js.su[f].m, js.su[f].g0, kPoDirections[f % kPoDirections.size()]);
  }
  return jacobian_check(jm, p);
}

double PhaseShare::volume_change() const { return cell_volume_change(cell, cell_start); }

nlohmann::json mixture_fit_to_json(const MixtureFit& r, bool curves) {
  nlohmann::json j{{"status", to_string(r.status)}, {"message", r.message},     {"rwp", r.rwp},
                   {"rexp", r.rexp},                {"gof", r.gof},             {"chi2", r.chi2},
                   {"bic", r.bic},                  {"n_points", r.n_points},   {"n_parameters", r.n_parameters},
                   {"iterations", r.iterations},    {"zero", r.zero},           {"displacement", r.displacement},
                   {"wavelength", r.wavelength},    {"seconds", r.seconds}};
  nlohmann::json ph = nlohmann::json::array();
  for (const PhaseShare& s : r.phases) {
    nlohmann::json e{{"phase", s.phase},
                     {"crystal_system", s.crystal_system},
                     {"scale", s.scale},
                     {"scale_esd", s.scale_esd},
                     {"weight_fraction", s.weight_fraction},
                     {"weight_fraction_esd", s.weight_fraction_esd},
                     {"cell", cell_to_json(s.cell)},
                     {"cell_esd", cell_to_json(s.cell_esd)},
                     {"hit_bound", s.hit_bound}};
    if (s.po_direction != std::array<int, 3>{0, 0, 0})
      e["preferred_orientation"] = {{"direction", s.po_direction}, {"r", s.po_r}, {"r_esd", s.po_r_esd}};
    if (curves) e["contribution"] = s.contribution;
    ph.push_back(std::move(e));
  }
  j["phases"] = std::move(ph);
  if (curves) {
    j["two_theta"] = r.two_theta;
    j["observed"] = r.observed;
    j["calculated"] = r.calculated;
    j["background"] = r.background;
  }
  return j;
}

}  // namespace xrdid::identify
