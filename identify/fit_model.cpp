// The whole-pattern fit's machinery (see fit_model.hpp).
#include "identify/fit_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/check.hpp"
#include "xrd/powder.hpp"

namespace xrdid::identify::fit_detail {

Metric metric_of_cell(const std::array<double, 6>& cell) {
  const double ca = std::cos(cell[3] * kDeg), cb = std::cos(cell[4] * kDeg), cg = std::cos(cell[5] * kDeg);
  Eigen::Matrix3d G;
  G << cell[0] * cell[0], cell[0] * cell[1] * cg, cell[0] * cell[2] * cb,  //
      cell[0] * cell[1] * cg, cell[1] * cell[1], cell[1] * cell[2] * ca,   //
      cell[0] * cell[2] * cb, cell[1] * cell[2] * ca, cell[2] * cell[2];
  const Eigen::Matrix3d R = G.inverse();
  return {R(0, 0), R(1, 1), R(2, 2), R(1, 2), R(0, 2), R(0, 1)};
}

std::array<double, 6> cell_of_metric(const Metric& g) {
  Eigen::Matrix3d R;
  R << g[0], g[5], g[4], g[5], g[1], g[3], g[4], g[3], g[2];
  const Eigen::Matrix3d G = R.inverse();
  const double a = std::sqrt(G(0, 0)), b = std::sqrt(G(1, 1)), c = std::sqrt(G(2, 2));
  return {a, b, c, std::acos(G(1, 2) / (b * c)) / kDeg, std::acos(G(0, 2) / (a * c)) / kDeg,
          std::acos(G(0, 1) / (a * b)) / kDeg};
}

namespace {
CellModel cell_model(const std::string& system, const std::array<double, 6>& cell) {
  auto unit = [](int i) {
    Metric m{};
    m[i] = 1.0;
    return m;
  };
  CellModel m{system, {}};
  if (system == "cubic") {
    m.basis = {{1, 1, 1, 0, 0, 0}};
  } else if (system == "tetragonal") {
    m.basis = {{1, 1, 0, 0, 0, 0}, unit(2)};
  } else if (system == "hexagonal") {  // a = b, γ = 120°: g12 = g11 / 2
    m.basis = {{1, 1, 0, 0, 0, 0.5}, unit(2)};
  } else if (system == "rhombohedral") {  // a = b = c, α = β = γ
    m.basis = {{1, 1, 1, 0, 0, 0}, {0, 0, 0, 1, 1, 1}};
  } else if (system == "orthorhombic") {
    m.basis = {unit(0), unit(1), unit(2)};
  } else if (system == "monoclinic") {  // the one angle that differs from 90°
    m.basis = {unit(0), unit(1), unit(2)};
    int off = 4;
    double worst = -1.0;
    for (int i = 0; i < 3; ++i)
      if (std::abs(cell[3 + i] - 90.0) > worst) worst = std::abs(cell[3 + i] - 90.0), off = 3 + i;
    m.basis.push_back(unit(off));
  } else {
    m.system = "triclinic";
    for (int i = 0; i < 6; ++i) m.basis.push_back(unit(i));
  }
  return m;
}

std::string system_from_cell(const std::array<double, 6>& c) {
  auto eq = [](double x, double y) { return std::abs(x - y) <= 1e-4 * std::max(std::abs(x), std::abs(y)); };
  auto right = [](double x) { return std::abs(x - 90.0) < 1e-3; };
  const int n_right = right(c[3]) + right(c[4]) + right(c[5]);
  if (n_right == 3) {
    if (eq(c[0], c[1]) && eq(c[1], c[2])) return "cubic";
    if (eq(c[0], c[1])) return "tetragonal";
    return "orthorhombic";
  }
  if (right(c[3]) && right(c[4]) && std::abs(c[5] - 120.0) < 1e-3 && eq(c[0], c[1])) return "hexagonal";
  if (eq(c[0], c[1]) && eq(c[1], c[2]) && eq(c[3], c[4]) && eq(c[4], c[5])) return "rhombohedral";
  if (n_right == 2) return "monoclinic";
  return "triclinic";
}

}  // namespace

// Least-squares coordinates of g in the basis, and whether the basis reproduces g.
std::vector<double> project(const CellModel& m, const Metric& g, bool* exact) {
  const int n = static_cast<int>(m.basis.size());
  Eigen::MatrixXd M(6, n);
  for (int k = 0; k < n; ++k)
    for (int i = 0; i < 6; ++i) M(i, k) = m.basis[k][i];
  Eigen::Map<const Eigen::Matrix<double, 6, 1>> gv(g.data());
  Vec p = M.colPivHouseholderQr().solve(gv);
  const double scale = std::max({std::abs(g[0]), std::abs(g[1]), std::abs(g[2])});
  if (exact) *exact = (M * p - gv).cwiseAbs().maxCoeff() <= 1e-5 * scale;
  return {p.data(), p.data() + n};
}

// The crystal system from the space-group number, checked against the cell (a non-standard
// setting that the system's constraints do not reproduce falls back to the cell's geometry,
// then to triclinic).
CellModel choose_cell_model(const xrd::Crystal& cr, const std::array<double, 6>& cell) {
  const int sg = cr.spacegroup_number;
  std::string sys;
  if (sg >= 195) sys = "cubic";
  else if (sg >= 168) sys = "hexagonal";
  else if (sg >= 143) sys = std::abs(cell[3] - 90.0) > 1e-3 ? "rhombohedral" : "hexagonal";
  else if (sg >= 75) sys = "tetragonal";
  else if (sg >= 16) sys = "orthorhombic";
  else if (sg >= 3) sys = "monoclinic";
  else if (sg >= 1) sys = "triclinic";
  const Metric g = metric_of_cell(cell);
  for (const std::string& s : {sys, system_from_cell(cell), std::string("triclinic")}) {
    if (s.empty()) continue;
    CellModel m = cell_model(s, cell);
    bool exact = false;
    project(m, g, &exact);
    if (exact) return m;
  }
  return cell_model("triclinic", cell);
}

void Model::eval(const Vec& p, Vec& yc, RowMatrix* J, Vec* bg) const {
  const auto N = static_cast<Eigen::Index>(x.size());
  yc = T * p.segment(bg0(), nb);
  if (bg) *bg = yc;
  if (J) {
    J->setZero(N, np);
    J->middleCols(bg0(), nb) = T;
  }
  add_peaks(p, yc, J);
}

void Model::detect_uniform_step() {
  step = 0.0;
  if (x.size() < 2) return;
  const double h = (x.back() - x.front()) / static_cast<double>(x.size() - 1);
  if (!(h > 0)) return;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (std::abs(x[i] - (x.front() + static_cast<double>(i) * h)) > 1e-9 * h) return;
  step = h;
}

std::pair<Eigen::Index, Eigen::Index> Model::add_peaks(const Vec& p, Vec& yc, RowMatrix* J) const {
  Eigen::Index lo = static_cast<Eigen::Index>(x.size()), hi = 0;
  const double S = p[kScale], Z = p[kZero], D = p[kDisp], U = p[kU], V = p[kV], W = p[kW], eta = p[kEta],
               B = p[kB], r = p[kPoR];
  for (const Reflection& rf : refl) {
    double Q = 0.0;
    for (int k = 0; k < nc; ++k) Q += p[kCell0 + k] * rf.q[k];
    if (!(Q > 0.0)) continue;
    double dP_dr = 0.0;
    const double P = use_po ? po_factor(*this, rf, r, &dP_dr) : 1.0;
    const double dw = std::exp(-0.5 * B * Q);  // exp(−2B s²), s² = Q/4
    const double sqQ = std::sqrt(Q);
    for (int line = 0; line < n_lines; ++line) {
      const double s = lambda[line] * sqQ / 2.0;
      if (!(s < 1.0)) continue;
      const double th = std::asin(s), cth = std::cos(th), t = s / cth;
      const double dth_dQ = lambda[line] / (4.0 * sqQ * cth);  // rad
      const double pos = 2.0 * th / kDeg + Z + D * cth;
      const double dpos_dQ = (2.0 / kDeg - D * s) * dth_dQ;
      const double H2 = U * t * t + V * t + W;
      double H = kMinFwhm, dH_dU = 0, dH_dV = 0, dH_dW = 0, dH_dQ = 0;
      if (H2 > kMinFwhm * kMinFwhm) {
        H = std::sqrt(H2);
        dH_dU = t * t / (2 * H);
        dH_dV = t / (2 * H);
        dH_dW = 1.0 / (2 * H);
        dH_dQ = (2 * U * t + V) * (1 + t * t) / (2 * H) * dth_dQ;
      }
      const double base = ratio[line] * rf.intensity * dw;  // per unit scale, before P
      const double A = S * base * P;
      const double half = rf.half_window * H;
      const auto first = std::lower_bound(x.begin(), x.end(), pos - half) - x.begin();
      const auto last = std::upper_bound(x.begin() + first, x.end(), pos + half) - x.begin();
      if (first < last) lo = std::min<Eigen::Index>(lo, first), hi = std::max<Eigen::Index>(hi, last);
      const double invH = 1.0 / H, gn = kGaussNorm * invH, ln = kLorentzNorm * invH;
      // On a uniform grid (u_{i+1} = u_i + d) exp(−K u²) follows e_{i+1} = e_i·r_i,
      // r_{i+1} = r_i·q with r_i = exp(−K(2u_i d + d²)) and q = exp(−2K d²); it is anchored afresh
      // with exp() every kAnchor points so that rounding cannot build up.
      constexpr Eigen::Index kAnchor = 64;
      const double d = step * invH, q = step > 0 ? std::exp(-2.0 * kGaussK * d * d) : 0.0;
      double e = 0.0, er = 0.0;
      Eigen::Index next_anchor = first;
      for (auto i = first; i < last; ++i) {
        const double xd = x[static_cast<std::size_t>(i)] - pos;
        const double u = xd * invH, u2 = u * u;
        double G = 0.0;  // exp(−69) beyond |u| = 5
        if (u2 < 25.0) {
          if (step <= 0) {
            G = gn * std::exp(-kGaussK * u2);
          } else {
            if (i >= next_anchor) {
              e = std::exp(-kGaussK * u2);
              er = std::exp(-kGaussK * (2.0 * u * d + d * d));
              next_anchor = i + kAnchor;
            }
            G = gn * e;
            e *= er;
            er *= q;
          }
        } else {
          next_anchor = i + 1;  // outside ±5 FWHM: anchor at the next point inside
        }
        const double den = 1.0 / (1.0 + 4.0 * u2);
        const double L = ln * den;
        const double phi = eta * L + (1.0 - eta) * G;
        yc[i] += A * phi;
        if (!J) continue;
        // ∂Φ/∂pos = −∂Φ/∂x; ∂Φ/∂H
        const double dG_dx = G * (-2.0 * kGaussK * u * invH), dL_dx = L * (-8.0 * u * invH) * den;
        const double dG_dH = G * (-1.0 + 2.0 * kGaussK * u2) * invH, dL_dH = L * (-1.0 + 8.0 * u2 * den) * invH;
        const double dy_dpos = -A * (eta * dL_dx + (1.0 - eta) * dG_dx);
        const double dy_dH = A * (eta * dL_dH + (1.0 - eta) * dG_dH);
        double* row = J->row(i).data();
        row[kScale] += base * P * phi;
        row[kZero] += dy_dpos;
        row[kDisp] += dy_dpos * cth;
        row[kU] += dy_dH * dH_dU;
        row[kV] += dy_dH * dH_dV;
        row[kW] += dy_dH * dH_dW;
        row[kEta] += A * (L - G);
        row[kB] += -0.5 * Q * A * phi;
        row[kPoR] += S * base * dP_dr * phi;
        const double dy_dQ = dy_dpos * dpos_dQ + dy_dH * dH_dQ - 0.5 * B * A * phi;
        for (int k = 0; k < nc; ++k) row[kCell0 + k] += dy_dQ * rf.q[k];
      }
    }
  }
  return {lo, std::max(lo, hi)};
}



// JᵀWJ and JᵀW r in one pass over the rows, skipping the zeros of each row (a point far from
// every peak only has background derivatives) and, with `columns`, every other column. Each
// entry sums the same terms in the same order whichever columns are asked for.
void normal_equations(const RowMatrix& J, const Vec& w, const Vec* r, Eigen::MatrixXd& A, Vec& g,
                      const std::vector<int>* columns) {
  const auto np = static_cast<int>(J.cols());
  A.setZero(np, np);
  g.setZero(np);
  std::vector<int> cols;
  if (columns) {
    cols = *columns;
    std::sort(cols.begin(), cols.end());  // ascending: each row's pairs fill the lower triangle
    cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
  } else {
    for (int a = 0; a < np; ++a) cols.push_back(a);
  }
  std::vector<int> nz;
  nz.reserve(cols.size());
  for (Eigen::Index i = 0; i < J.rows(); ++i) {
    const double* row = J.row(i).data();
    nz.clear();
    for (int a : cols)
      if (row[a] != 0.0) nz.push_back(a);
    const double wi = w[i], wr = r ? wi * (*r)[i] : 0.0;
    for (std::size_t ia = 0; ia < nz.size(); ++ia) {
      const int a = nz[ia];
      const double va = wi * row[a];
      g[a] += row[a] * wr;
      double* col = A.col(a).data();  // lower triangle, column a
      for (std::size_t ib = ia; ib < nz.size(); ++ib) col[nz[ib]] += va * row[nz[ib]];
    }
  }
  A.triangularView<Eigen::StrictlyUpper>() = A.transpose();
}

void add_priors(const std::vector<Prior>& priors, const Vec& p, Eigen::MatrixXd& A, Vec* g,
                const std::vector<int>* columns) {
  for (const Prior& q : priors) {
    if (columns && std::find(columns->begin(), columns->end(), q.index) == columns->end()) continue;
    const double prec = 1.0 / (q.sigma * q.sigma);
    A(q.index, q.index) += prec;
    if (g) (*g)[q.index] += (q.mean - p[q.index]) * prec;
  }
}

// ---- Levenberg–Marquardt with box bounds ---------------------------------------------------

// Marquardt's form (JᵀWJ + λ diag(JᵀWJ)) δ = JᵀW(y − y_c) (with the model's priors), solved in
// the diagonally scaled variables; steps are clipped to the bounds, and a parameter on a bound whose gradient points
// outward is held for that iteration. λ falls ×3 after a successful step and rises ×4 after a
// failed one.
LmOutcome levenberg_marquardt(const LsqModel& m, Vec& p, const std::vector<int>& free, const Bounds& b, int max_it,
                              double tol) {
  LmOutcome out;
  Vec yc, yt;
  RowMatrix J;
  m.eval(p, yc, &J);
  double chi2 = m.objective(p, yc);
  if (!std::isfinite(chi2)) {
    out.diverged = true;
    out.message = "the model is not finite at the start";
    return out;
  }
  double lambda = 1e-3;
  Eigen::MatrixXd Afull;
  Vec gfull;
  for (int it = 0; it < max_it; ++it) {
    out.iterations = it + 1;
    const Vec r = m.y - yc;
    normal_equations(J, m.w, &r, Afull, gfull, &free);
    add_priors(m.priors, p, Afull, &gfull, &free);
    std::vector<int> act;
    for (int j : free) {
      const bool at_lo = p[j] <= b.lo[j] && gfull[j] < 0, at_hi = p[j] >= b.hi[j] && gfull[j] > 0;
      if (!at_lo && !at_hi) act.push_back(j);
    }
    const int n = static_cast<int>(act.size());
    if (n == 0) {
      out.converged = true;
      break;
    }
    Eigen::MatrixXd A(n, n);
    Vec g(n), dsc(n);
    for (int c = 0; c < n; ++c) {
      g[c] = gfull[act[c]];
      for (int d = 0; d < n; ++d) A(d, c) = Afull(act[d], act[c]);
    }
    if (!A.allFinite() || !g.allFinite()) {
      out.diverged = true;
      out.message = "non-finite derivatives";
      return out;
    }
    for (int c = 0; c < n; ++c) dsc[c] = A(c, c) > 0 ? 1.0 / std::sqrt(A(c, c)) : 0.0;
    Eigen::MatrixXd As = dsc.asDiagonal() * A * dsc.asDiagonal();
    const Vec gs = dsc.cwiseProduct(g);
    bool accepted = false;
    double chi2_new = chi2;
    Vec pt;
    for (int tries = 0; tries < 16; ++tries) {
      Eigen::MatrixXd M = As;
      for (int c = 0; c < n; ++c) M(c, c) += lambda;
      Eigen::LDLT<Eigen::MatrixXd> ldlt(M);
      Vec z = ldlt.solve(gs);
      if (ldlt.info() != Eigen::Success || !z.allFinite()) {
        lambda *= 4;
        continue;
      }
      pt = p;
      for (int c = 0; c < n; ++c) {
        const int j = act[c];
        pt[j] = std::clamp(p[j] + dsc[c] * z[c], b.lo[j], b.hi[j]);
      }
      m.eval(pt, yt, nullptr);
      const double ct = m.objective(pt, yt);
      if (std::isfinite(ct) && ct < chi2) {
        accepted = true;
        chi2_new = ct;
        lambda = std::max(lambda / 3.0, 1e-9);
        break;
      }
      lambda *= 4;
    }
    if (!accepted) {  // no downhill step even for tiny steps: at the minimum
      out.converged = true;
      break;
    }
    const double drop = (chi2 - chi2_new) / chi2;
    p = pt;
    chi2 = chi2_new;
    m.eval(p, yc, &J);
    if (drop < tol) {
      out.converged = true;
      break;
    }
  }
  return out;
}

// ---- coarse start ---------------------------------------------------------------------------
// Grid search over the zero shift Z and an isotropic strain ε (all lengths × (1 + ε)) of the
// score Σ_k √I_k · s(2θ_k(Z, ε)), s the net, square-root-compressed and smoothed pattern: it puts
// Levenberg–Marquardt inside the basin of the right peak-to-peak assignment. With `shift` (the
// zero shift and sample displacement other phases have fixed) the peaks move by Z + D cos θ and
// only a small correction to Z (±0.04°) is searched beside ε.
std::pair<double, double> coarse_search(const Model& m, const Vec& p, const FitOptions& opt,
                                        const std::optional<std::pair<double, double>>& shift) {
  const std::size_t N = m.x.size();
  const double span = m.x.back() - m.x.front();
  const double step = span / static_cast<double>(N - 1);
  // Net signal: y minus a running minimum over ±0.75°.
  const auto half_min = static_cast<std::ptrdiff_t>(std::max(1.0, 0.75 / step));
  std::vector<double> net(N), s(N, 0.0);
  for (std::size_t i = 0; i < N; ++i) {
    double mn = m.y[static_cast<Eigen::Index>(i)];
    const auto lo = std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(i) - half_min);
    const auto hi = std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(N) - 1, static_cast<std::ptrdiff_t>(i) + half_min);
    for (auto j = lo; j <= hi; ++j) mn = std::min(mn, m.y[j]);
    net[i] = std::sqrt(std::max(m.y[static_cast<Eigen::Index>(i)] - mn, 0.0));
  }
  // Gaussian smoothing, FWHM 0.15°.
  const double sig_pts = std::max(0.5, 0.15 / 2.3548 / step);
  const int reach = static_cast<int>(std::ceil(3 * sig_pts));
  std::vector<double> kern(2 * reach + 1);
  for (int k = -reach; k <= reach; ++k) kern[k + reach] = std::exp(-0.5 * k * k / (sig_pts * sig_pts));
  for (std::size_t i = 0; i < N; ++i) {
    double acc = 0, wsum = 0;
    for (int k = -reach; k <= reach; ++k) {
      const auto j = static_cast<std::ptrdiff_t>(i) + k;
      if (j < 0 || j >= static_cast<std::ptrdiff_t>(N)) continue;
      acc += kern[k + reach] * net[static_cast<std::size_t>(j)];
      wsum += kern[k + reach];
    }
    s[i] = acc / wsum;
  }
  // The strongest sticks (Kα1), as sin θ at the start cell.
  struct St {
    double sth, wt;
  };
  const double D = shift ? shift->second : 0.0;
  std::vector<St> st;
  for (const Reflection& rf : m.refl) {
    double Q = 0;
    for (int k = 0; k < m.nc; ++k) Q += p[kCell0 + k] * rf.q[k];
    const double sth = m.lambda[0] * std::sqrt(Q) / 2;
    if (sth < 1) st.push_back({sth, std::sqrt(rf.intensity)});
  }
  std::sort(st.begin(), st.end(), [](const St& a, const St& b) { return a.wt > b.wt; });
  if (st.size() > 300) st.resize(300);
  auto interp = [&](double xx) {
    if (xx <= m.x.front() || xx >= m.x.back()) return 0.0;
    const double f = (xx - m.x.front()) / step;  // the grid is near-uniform; refine locally
    auto i = static_cast<std::size_t>(f);
    i = std::min(i, N - 2);
    while (i > 0 && m.x[i] > xx) --i;
    while (i + 2 < N && m.x[i + 1] < xx) ++i;
    const double t = (xx - m.x[i]) / (m.x[i + 1] - m.x[i]);
    return s[i] * (1 - t) + s[i + 1] * t;
  };
  auto score = [&](double Z, double eps) {
    double acc = 0;
    const double f = 1.0 / (1.0 + eps);
    for (const St& k : st) {
      const double sv = k.sth * f;
      if (sv >= 1) continue;
      const double th = std::asin(sv);
      acc += k.wt * interp(2.0 * th / kDeg + Z + D * std::cos(th));
    }
    return acc;
  };
  double bestZ = 0, bestE = 0, best = -1;
  auto scan = [&](double z0, double zr, double zs, double e0, double er, double es) {
    for (double Z = z0 - zr; Z <= z0 + zr + 1e-12; Z += zs)
      for (double e = e0 - er; e <= e0 + er + 1e-12; e += es) {
        if (std::abs(e) > opt.cell_bound || std::abs(Z) > opt.zero_bound) continue;
        const double v = score(Z, e);
        if (v > best) best = v, bestZ = Z, bestE = e;
      }
  };
  if (shift)
    scan(shift->first, 0.04, 0.02, 0.0, opt.cell_bound, 0.001);
  else
    scan(0.0, opt.zero_search, 0.02, 0.0, opt.cell_bound, 0.001);
  scan(bestZ, 0.02, 0.005, bestE, 0.001, 0.00025);
  return {bestZ, bestE};
}

// Linear weighted least squares for the scale and the background at fixed other parameters.
void linear_start(const Model& m, Vec& p) {
  Vec q = p, prof;
  q[kScale] = 1.0;
  q.segment(m.bg0(), m.nb).setZero();
  m.eval(q, prof, nullptr);
  RowMatrix X(static_cast<Eigen::Index>(m.x.size()), 1 + m.nb);
  X.col(0) = prof;
  X.rightCols(m.nb) = m.T;
  Eigen::MatrixXd A;
  Vec rhs;
  normal_equations(X, m.w, &m.y, A, rhs);
  A.diagonal().array() += 1e-12 * A.diagonal().maxCoeff();
  Vec beta = A.ldlt().solve(rhs);
  if (!beta.allFinite()) return;
  p[kScale] = std::max(beta[0], 1e-6 * std::abs(beta[0]) + 1e-12);
  p.segment(m.bg0(), m.nb) = beta.tail(m.nb);
}

// March–Dollase: cos²α between each merged reflection's normal and the direction `dir` (a
// reciprocal-lattice vector), with the start metric.
void set_po_direction(Model& m, const Metric& g0, const std::array<int, 3>& dir) {
  auto qform = [&](const std::array<int, 3>& u, const std::array<int, 3>& v) {
    return g0[0] * u[0] * v[0] + g0[1] * u[1] * v[1] + g0[2] * u[2] * v[2] + g0[3] * (u[1] * v[2] + u[2] * v[1]) +
           g0[4] * (u[0] * v[2] + u[2] * v[0]) + g0[5] * (u[0] * v[1] + u[1] * v[0]);
  };
  m.po_c2.clear();
  const double qd = qform(dir, dir);
  for (Reflection& rf : m.refl) {
    rf.po_begin = m.po_c2.size();
    for (const auto& h : rf.all_hkl) {
      const double c = qform(h, dir) / std::sqrt(qform(h, h) * qd);
      m.po_c2.push_back(std::min(1.0, c * c));
    }
    rf.po_end = m.po_c2.size();
  }
}
double po_factor(const Model& m, const Reflection& rf, double r, double* dP_dr) {
  if (dP_dr) *dP_dr = 0.0;
  if (rf.po_end <= rf.po_begin) return 1.0;
  double P = 0.0, dP = 0.0;
  for (std::size_t j = rf.po_begin; j < rf.po_end; ++j) {
    const double c2 = m.po_c2[j], s2 = 1.0 - c2;
    const double base = r * r * c2 + s2 / r;
    const double f = std::pow(base, -1.5);
    P += f;
    dP += -1.5 * f / base * (2.0 * r * c2 - s2 / (r * r));
  }
  const double inv = 1.0 / static_cast<double>(rf.po_end - rf.po_begin);
  if (dP_dr) *dP_dr = dP * inv;
  return P * inv;
}

// Two directions are equivalent when every reflection gets the same factor at r = 0.8.
std::vector<std::array<int, 3>> distinct_po_directions(Model& m, const Metric& g0, int strong) {
  std::vector<std::array<int, 3>> dirs(kPoDirections.begin(), kPoDirections.end());
  if (strong > 0) {
    std::vector<std::size_t> order(m.refl.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return m.refl[a].intensity > m.refl[b].intensity; });
    for (std::size_t i = 0; i < order.size() && i < static_cast<std::size_t>(strong); ++i)
      dirs.push_back(m.refl[order[i]].hkl);
  }
  std::vector<std::array<int, 3>> out;
  std::vector<std::vector<double>> seen;
  for (const std::array<int, 3>& dir : dirs) {
    set_po_direction(m, g0, dir);
    std::vector<double> sig;
    for (const Reflection& rf : m.refl) sig.push_back(po_factor(m, rf, 0.8));
    bool dup = false;
    for (const auto& s2 : seen) {
      bool same = s2.size() == sig.size();
      for (std::size_t j = 0; j < sig.size() && same; ++j) same = std::abs(s2[j] - sig[j]) < 1e-9;
      dup = dup || same;
    }
    if (dup) continue;
    seen.push_back(std::move(sig));
    out.push_back(dir);
  }
  return out;
}

// The index triple a reflection is shown by: of its equivalents, the one with the most
// non-negative indices, then the largest (h, k, l) — (1 1 1) rather than (−1 −1 −1).
std::array<int, 3> representative_hkl(const std::vector<std::array<int, 3>>& equivalents) {
  auto nonneg = [](const std::array<int, 3>& h) { return (h[0] >= 0) + (h[1] >= 0) + (h[2] >= 0); };
  std::array<int, 3> best = equivalents.front();
  for (const auto& h : equivalents)
    if (nonneg(h) > nonneg(best) || (nonneg(h) == nonneg(best) && h > best)) best = h;
  return best;
}

Setup make_setup(const xrd::Pattern& measured, const xrd::Crystal& crystal, const FitOptions& opt) {
  Setup su;
  XRDID_CHECK(measured.two_theta.size() == measured.intensity.size(), "fit: 2θ and intensity differ in length");
  XRDID_CHECK(opt.background_terms >= 1 && opt.background_terms <= 12, "fit: background_terms must be 1–12");
  XRDID_CHECK(opt.cell_bound > 0 && opt.cell_bound < 0.2, "fit: cell_bound must be in (0, 0.2)");
  XRDID_CHECK(opt.window_fwhm >= 2, "fit: window_fwhm must be >= 2");
  for (std::size_t i = 0; i < measured.size(); ++i)
    XRDID_CHECK(std::isfinite(measured.two_theta[i]) && std::isfinite(measured.intensity[i]),
                "fit: " + measured.source + ": non-finite values in the pattern");
  for (std::size_t i = 1; i < measured.size(); ++i)
    XRDID_CHECK(measured.two_theta[i] > measured.two_theta[i - 1], "fit: 2θ must increase strictly");
  XRDID_CHECK(crystal.a > 0 && crystal.b > 0 && crystal.c > 0, "fit: " + crystal.source + ": no cell");

  // Fit range: the requested window without leading/trailing zero padding.
  std::size_t i0 = 0, i1 = measured.size();
  while (i0 < i1 && (measured.two_theta[i0] < opt.two_theta_min || measured.intensity[i0] == 0.0f)) ++i0;
  while (i1 > i0 && (measured.two_theta[i1 - 1] > opt.two_theta_max || measured.intensity[i1 - 1] == 0.0f)) --i1;
  XRDID_CHECK(i1 - i0 >= 50, "fit: " + measured.source + ": fewer than 50 points in the fit range");
  Model& m = su.m;
  m.x.assign(measured.two_theta.begin() + static_cast<std::ptrdiff_t>(i0),
             measured.two_theta.begin() + static_cast<std::ptrdiff_t>(i1));
  m.detect_uniform_step();
  const auto N = static_cast<Eigen::Index>(m.x.size());
  m.y.resize(N);
  m.w.resize(N);
  for (Eigen::Index i = 0; i < N; ++i) {
    m.y[i] = measured.intensity[i0 + static_cast<std::size_t>(i)];
    m.w[i] = 1.0 / std::max(m.y[i], 1.0);
  }
  XRDID_CHECK(m.y.maxCoeff() - m.y.minCoeff() > 1e-9 * std::max(1.0, m.y.cwiseAbs().maxCoeff()),
              "fit: " + measured.source + ": the pattern is flat");
  XRDID_CHECK(m.x.front() > 0 && m.x.back() < 180, "fit: 2θ must lie inside (0°, 180°)");

  const xrd::Wavelength wl =
      (measured.wavelength.known() && !opt.force_wavelength) ? measured.wavelength : opt.default_wavelength;
  XRDID_CHECK(wl.known(), "fit: unknown wavelength");
  m.lambda[0] = wl.alpha1;
  m.ratio[0] = 1.0;
  if (wl.alpha2 > 0 && wl.ratio21 > 0) {
    m.n_lines = 2;
    m.lambda[1] = wl.alpha2;
    m.ratio[1] = wl.ratio21;
  }

  // Chebyshev background basis.
  m.nb = opt.background_terms;
  m.T.resize(N, m.nb);
  const double xlo = m.x.front(), xhi = m.x.back();
  for (Eigen::Index i = 0; i < N; ++i) {
    const double t = 2.0 * (m.x[static_cast<std::size_t>(i)] - xlo) / (xhi - xlo) - 1.0;
    m.T(i, 0) = 1.0;
    if (m.nb > 1) m.T(i, 1) = t;
    for (int j = 2; j < m.nb; ++j) m.T(i, j) = 2.0 * t * m.T(i, j - 1) - m.T(i, j - 2);
  }

  // Cell model and its start values.
  su.wl = wl;
  su.phase = crystal.source.empty() ? crystal.block_name : crystal.source;
  su.cell0 = {crystal.a, crystal.b, crystal.c, crystal.alpha, crystal.beta, crystal.gamma};
  const auto& cell0 = su.cell0;
  su.cm = choose_cell_model(crystal, cell0);
  const CellModel& cm = su.cm;
  su.g0 = metric_of_cell(cell0);
  const Metric& g0 = su.g0;
  const std::vector<double> pc0 = project(cm, g0, nullptr);
  m.nc = static_cast<int>(cm.basis.size());
  m.np = kCell0 + m.nc + m.nb;

  // Sticks at the start cell, up to where a cell 3 % larger could bring reflections in.
  xrd::PowderOptions po;
  po.wavelength = wl.alpha1;
  po.two_theta_min = 0.0;
  const double s_top = std::min(1.0, std::sin(std::min(89.9, (xhi + 2.0) / 2.0) * kDeg) * (1.0 + opt.cell_bound));
  po.two_theta_max = std::min(180.0, 2.0 * std::asin(s_top) / kDeg);
  po.scaled = false;  // raw |F|² × multiplicity × LP, stored relative to the strongest (100)
  xrd::Sticks sticks = xrd::compute_sticks(crystal, po);
  double raw_max = 0;
  for (const xrd::Stick& s : sticks.sticks) raw_max = std::max(raw_max, s.intensity);
  for (xrd::Stick& s : sticks.sticks) s.intensity = s.intensity / raw_max * 100.0;
  m.intensity_unit = raw_max / 100.0;
  double imax = 0;
  for (const xrd::Stick& s : sticks.sticks) imax = std::max(imax, s.intensity);
  for (const xrd::Stick& s : sticks.sticks) {
    if (s.intensity < opt.min_relative_intensity * imax || s.hkl.empty()) continue;
    // Split merged reflections whose d would differ once the cell is refined.
    std::vector<std::pair<std::array<double, 6>, std::vector<std::array<int, 3>>>> groups;
    for (const auto& h : s.hkl) {
      const double hv[6] = {double(h[0]) * h[0],     double(h[1]) * h[1],     double(h[2]) * h[2],
                            2.0 * h[1] * h[2], 2.0 * h[0] * h[2], 2.0 * h[0] * h[1]};
      std::array<double, 6> q{};
      for (int k = 0; k < m.nc; ++k)
        for (int i = 0; i < 6; ++i) q[k] += hv[i] * cm.basis[k][i];
      bool placed = false;
      for (auto& gp : groups) {
        bool same = true;
        for (int k = 0; k < m.nc && same; ++k) same = std::abs(gp.first[k] - q[k]) <= 1e-9 * (1.0 + std::abs(q[k]));
        if (same) {
          gp.second.push_back(h);
          placed = true;
          break;
        }
      }
      if (!placed) groups.push_back({q, {h}});
    }
    for (auto& gp : groups) {
      Reflection rf;
      rf.q = gp.first;
      rf.intensity = s.intensity * static_cast<double>(gp.second.size()) / static_cast<double>(s.hkl.size());
      rf.hkl = representative_hkl(gp.second);
      rf.multiplicity = static_cast<int>(gp.second.size());
      rf.all_hkl = std::move(gp.second);
      m.refl.push_back(std::move(rf));
    }
  }
  XRDID_CHECK(!m.refl.empty(), "fit: " + su.phase + ": no reflections in the fit range");
  // Window: the Lorentzian tail of a reflection of relative intensity ρ at u FWHM is ≈ ρ/(4u²)
  // of the strongest peak's maximum, so u = window·√ρ (at least 4) cuts every tail at the
  // level where the strongest one is cut.
  for (Reflection& rf : m.refl)
    rf.half_window = opt.scale_window ? std::clamp(opt.window_fwhm * std::sqrt(rf.intensity / imax), std::min(4.0, opt.window_fwhm), opt.window_fwhm)
                                      : opt.window_fwhm;

  // Parameters, names and bounds.
  su.p = Vec::Zero(m.np);
  su.b = Bounds{Vec::Constant(m.np, -std::numeric_limits<double>::infinity()),
                Vec::Constant(m.np, std::numeric_limits<double>::infinity())};
  Vec& p = su.p;
  Bounds& b = su.b;
  std::vector<std::string>& names = su.names;
  names.assign(kSlotName, kSlotName + kCell0);
  for (int k = 0; k < m.nc; ++k) names.push_back("g" + std::to_string(k));
  for (int j = 0; j < m.nb; ++j) names.push_back("bg" + std::to_string(j));
  p[kScale] = 1.0;
  b.lo[kScale] = 0.0;
  b.lo[kZero] = -opt.zero_bound, b.hi[kZero] = opt.zero_bound;
  b.lo[kDisp] = -1.0, b.hi[kDisp] = 1.0;
  b.lo[kU] = -1.0, b.hi[kU] = 2.0;
  b.lo[kV] = -1.0, b.hi[kV] = 1.0;
  p[kW] = opt.initial_fwhm * opt.initial_fwhm;
  b.lo[kW] = 0.0, b.hi[kW] = 1.0;
  p[kEta] = 0.5;
  b.lo[kEta] = 0.0, b.hi[kEta] = 1.0;
  b.lo[kB] = -3.0, b.hi[kB] = 10.0;
  p[kPoR] = 1.0;
  b.lo[kPoR] = 0.3, b.hi[kPoR] = 3.0;
  const double lo_f = 1.0 / ((1 + opt.cell_bound) * (1 + opt.cell_bound)),
               hi_f = 1.0 / ((1 - opt.cell_bound) * (1 - opt.cell_bound));
  for (int k = 0; k < m.nc; ++k) {
    const int j = kCell0 + k;
    p[j] = pc0[static_cast<std::size_t>(k)];
    const Metric& e = cm.basis[static_cast<std::size_t>(k)];
    if (e[0] != 0 || e[1] != 0 || e[2] != 0) {
      b.lo[j] = p[j] * lo_f;
      b.hi[j] = p[j] * hi_f;
    } else {  // an off-diagonal component: ±2·bound of the geometric mean of its two diagonals
      int off = 3;
      while (off < 6 && e[off] == 0) ++off;
      const int ii = off == 3 ? 1 : 0, jj = off == 5 ? 1 : 2;
      const double span = 2.0 * opt.cell_bound * std::sqrt(g0[ii] * g0[jj]) + 2.0 * opt.cell_bound * std::abs(p[j]);
      b.lo[j] = p[j] - span;
      b.hi[j] = p[j] + span;
    }
  }

  return su;
}

Agreement agreement(const LsqModel& m, const Vec& yc, int n_parameters) {
  Agreement a;
  const auto N = static_cast<double>(m.y.size());
  const double swy2 = (m.w.array() * m.y.array().square()).sum();
  a.n_points = static_cast<int>(m.y.size());
  a.n_parameters = n_parameters;
  a.chi2 = m.chi2(yc);
  a.rwp = std::sqrt(a.chi2 / swy2);
  a.rexp = std::sqrt(std::max(0.0, N - n_parameters) / swy2);
  a.gof = a.chi2 / std::max(1.0, N - n_parameters);
  a.bic = a.chi2 + n_parameters * std::log(N);
  return a;
}

double jacobian_check(const LsqModel& m, const Vec& p) {
  Vec yc, yp, ym;
  RowMatrix J;
  m.eval(p, yc, &J);
  if (!yc.allFinite() || !J.allFinite()) return std::numeric_limits<double>::quiet_NaN();
  double worst = 0.0;
  for (Eigen::Index j = 0; j < p.size(); ++j) {
    const double h = 1e-6 * std::max(std::abs(p[j]), 1e-2);
    Vec a = p, c = p;
    a[j] += h;
    c[j] -= h;
    m.eval(a, yp, nullptr);
    m.eval(c, ym, nullptr);
    const Vec fd = (yp - ym) / (2 * h);
    if (!fd.allFinite()) return std::numeric_limits<double>::quiet_NaN();
    const double ref = std::max(J.col(j).cwiseAbs().maxCoeff(), fd.cwiseAbs().maxCoeff());
    if (ref == 0.0) continue;
    const double err = (J.col(j) - fd).cwiseAbs().maxCoeff() / ref;
    if (!std::isfinite(err)) return std::numeric_limits<double>::quiet_NaN();
    worst = std::max(worst, err);
  }
  return worst;
}

bool on_bound(const Vec& p, const Bounds& b, int j) {
  const double tol = 1e-9 * std::max(1.0, std::abs(p[j]));
  return p[j] <= b.lo[j] + tol || p[j] >= b.hi[j] - tol;
}

Eigen::MatrixXd parameter_covariance(const RowMatrix& J, const Vec& w, const Vec& p, const std::vector<int>& free,
                                     const Bounds& b, double gof, const std::vector<Prior>& priors) {
  const auto np = J.cols();
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(np, np);
  std::vector<int> est;
  for (int j : free)
    if (!on_bound(p, b, j)) est.push_back(j);
  if (est.empty()) return cov;
  const auto n = static_cast<Eigen::Index>(est.size());
  Eigen::MatrixXd Afull, A(n, n);
  Vec gdummy;
  normal_equations(J, w, nullptr, Afull, gdummy, &est);
  add_priors(priors, p, Afull, nullptr, &est);
  for (Eigen::Index c = 0; c < n; ++c)
    for (Eigen::Index d = 0; d < n; ++d) A(d, c) = Afull(est[static_cast<std::size_t>(d)], est[static_cast<std::size_t>(c)]);
  const Vec d = A.diagonal().cwiseMax(1e-300).cwiseSqrt().cwiseInverse();
  Eigen::MatrixXd inv = (d.asDiagonal() * A * d.asDiagonal()).completeOrthogonalDecomposition().pseudoInverse();
  inv = d.asDiagonal() * inv * d.asDiagonal();
  for (Eigen::Index r = 0; r < n; ++r)
    for (Eigen::Index c = 0; c < n; ++c) cov(est[static_cast<std::size_t>(r)], est[static_cast<std::size_t>(c)]) = inv(r, c) * gof;
  return cov;
}

void cell_with_esd(const CellModel& cm, const Vec& pc, const Eigen::MatrixXd& C, std::array<double, 6>& cell,
                   std::array<double, 6>& esd, Eigen::MatrixXd* jacobian) {
  const auto nc = pc.size();
  auto metric_at = [&](const Vec& q) {
    Metric gg{};
    for (Eigen::Index k = 0; k < nc; ++k)
      for (int i = 0; i < 6; ++i) gg[static_cast<std::size_t>(i)] += q[k] * cm.basis[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)];
    return gg;
  };
  cell = cell_of_metric(metric_at(pc));
  Eigen::MatrixXd Jc(6, nc);
  for (Eigen::Index k = 0; k < nc; ++k) {
    const double h = 1e-6 * std::abs(pc[k]) + 1e-12;
    Vec a1 = pc, a2 = pc;
    a1[k] += h;
    a2[k] -= h;
    const auto c1 = cell_of_metric(metric_at(a1)), c2 = cell_of_metric(metric_at(a2));
    for (int i = 0; i < 6; ++i) Jc(i, k) = (c1[static_cast<std::size_t>(i)] - c2[static_cast<std::size_t>(i)]) / (2 * h);
  }
  const Eigen::MatrixXd cc = Jc * C * Jc.transpose();
  for (int i = 0; i < 6; ++i) esd[static_cast<std::size_t>(i)] = std::sqrt(std::max(0.0, cc(i, i)));
  if (jacobian) *jacobian = Jc;
}

}  // namespace xrdid::identify::fit_detail
