// BEADS baseline removal (Ning, Selesnick & Duval 2014), implemented from docs/method.md §6:
// banded high-pass filter H = B·A⁻¹, MM iterations with a banded SPD solve, sigmoid edge extension.
#include "denoise/beads.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "denoise/banded.hpp"

namespace xrdid::denoise {
namespace {

std::vector<double> poly_mul(const std::vector<double>& p, const std::vector<double>& q) {
  std::vector<double> r(p.size() + q.size() - 1, 0.0);
  for (std::size_t i = 0; i < p.size(); ++i)
    for (std::size_t j = 0; j < q.size(); ++j) r[i + j] += p[i] * q[j];
  return r;
}

void check_params(const BeadsParams& p) {
  if (p.d != 1 && p.d != 2) throw std::runtime_error("beads: d must be 1 or 2, got " + std::to_string(p.d));
  if (!(p.fc > 0.0 && p.fc < 0.5)) throw std::runtime_error("beads: fc must lie in (0, 0.5) cycles/sample");
  if (!(p.r > 0.0)) throw std::runtime_error("beads: asymmetry ratio r must be > 0");
  if (!(p.lam0 >= 0.0 && p.lam1 >= 0.0 && p.lam2 >= 0.0)) throw std::runtime_error("beads: λ must be >= 0");
  if (p.iterations < 0) throw std::runtime_error("beads: iterations must be >= 0");
  if (!(p.eps0 > 0.0 && p.eps1 > 0.0)) throw std::runtime_error("beads: eps0, eps1 must be > 0");
  if (p.extend && !(p.extend_sigma > 0.0)) throw std::runtime_error("beads: extend_sigma must be > 0");
}

// θ_ε of docs/method.md §6.1 (the paper's asymmetric penalty): asymmetric, with a quadratic joint on [−ε0, ε0].
double theta(double x, double r, double eps0) {
  if (x > eps0) return x;
  if (x < -eps0) return -r * x;
  return (1.0 + r) / (4.0 * eps0) * x * x + (1.0 - r) / 2.0 * x + eps0 * (1.0 + r) / 4.0;
}

double phi(double v, Penalty pen, double eps1) {
  if (pen == Penalty::L1_v1) return std::sqrt(v * v + eps1);
  const double a = std::abs(v);
  return a - eps1 * std::log(a + eps1);
}

// w(v) = φ′(v)/v, the weight of the MM majoriser of φ (docs/method.md §6.1).
double weight(double v, Penalty pen, double eps1) {
  if (pen == Penalty::L1_v1) return 1.0 / std::sqrt(v * v + eps1);
  return 1.0 / (std::abs(v) + eps1);
}

// Everything one run needs that depends only on N and the filter.
struct Problem {
  SymBanded A, B;
  BandedCholesky cholA;
};

Problem make_problem(std::size_t n, const BeadsParams& p) {
  const FilterCoefficients fc = beads_filter(p.d, p.fc);
  Problem pr{SymBanded::toeplitz(n, fc.a), SymBanded::toeplitz(n, fc.b), {}};
  pr.cholA = BandedCholesky(pr.A);
  return pr;
}

// H·v = B·A⁻¹·v (docs/method.md §6.2).
std::vector<double> apply_h(const Problem& pr, const std::vector<double>& v) {
  return pr.B.multiply(pr.cholA.solve(v));
}

// F(x) of docs/method.md §6.1; hr = H(y − x) is given.
double cost_from(const std::vector<double>& hr, const std::vector<double>& x, const BeadsParams& p) {
  const std::size_t n = x.size();
  double data = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0;
  for (double v : hr) data += v * v;
  for (std::size_t i = 0; i < n; ++i) s0 += theta(x[i], p.r, p.eps0);
  for (std::size_t i = 0; i + 1 < n; ++i) s1 += phi(x[i + 1] - x[i], p.penalty, p.eps1);
  for (std::size_t i = 0; i + 2 < n; ++i) s2 += phi(x[i] - 2.0 * x[i + 1] + x[i + 2], p.penalty, p.eps1);
  return 0.5 * data + p.lam0 * s0 + p.lam1 * s1 + p.lam2 * s2;
}

double cost_of(const Problem& pr, const std::vector<double>& y, const std::vector<double>& x,
               const BeadsParams& p) {
  std::vector<double> res(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) res[i] = y[i] - x[i];
  return cost_from(apply_h(pr, res), x, p);
}

// The MM iteration of docs/method.md §6.3 on y as given (no extension).
BeadsResult beads_core(const std::vector<double>& y, const BeadsParams& p) {
  const std::size_t n = y.size();
  const Problem pr = make_problem(n, p);

  SymBanded identity(n, 0);
  for (std::size_t i = 0; i < n; ++i) identity.lower(i, i) = 1.0;
  const SymBanded btb = congruence(pr.B, identity);  // BᵀB, half-bandwidth 2d

  // rhs = BᵀB·A⁻¹y − λ0·Aᵀ·b0 with b0 = (1 − r)/2·1 (docs/method.md §6.3: the majoriser's normal equations with x = Az).
  const std::vector<double> ainv_y = pr.cholA.solve(y);
  std::vector<double> rhs = btb.multiply(ainv_y);
  const std::vector<double> atb0 = pr.A.multiply(std::vector<double>(n, (1.0 - p.r) / 2.0));
  for (std::size_t i = 0; i < n; ++i) rhs[i] -= p.lam0 * atb0[i];

  BeadsResult out;
  std::vector<double> x = y;
  // Work arrays reused by every iteration: A in padded full-band form, M, T = M·A, Q.
  const long N = static_cast<long>(n), da = p.d, pad = 2 * da + 2;
  const FullBand FA = FullBand::from(pr.A, pad);
  FullBand FM(N, 2, pad);
  std::vector<double> T;
  SymBanded Q;
  BandedCholesky chol;
  std::vector<double> diff(n), hr(n);
  static constexpr double c2[3] = {1.0, -2.0, 1.0};
  for (int it = 0; it < p.iterations; ++it) {
    // M = 2λ0Γ + D1ᵀ·diag(λ1 w(D1x))·D1 + D2ᵀ·diag(λ2 w(D2x))·D2 (pentadiagonal; docs/method.md §6.3 step 3).
    FM.zero();
    for (long k = 0; k + 1 < N; ++k) {
      const double w = p.lam1 * weight(x[k + 1] - x[k], p.penalty, p.eps1);
      FM.row(k)[0] += w;
      FM.row(k + 1)[0] += w;
      FM.row(k)[1] -= w;
      FM.row(k + 1)[-1] -= w;
    }
    for (long k = 0; k + 2 < N; ++k) {
      const double w = p.lam2 * weight(x[k] - 2.0 * x[k + 1] + x[k + 2], p.penalty, p.eps1);
      for (long a = 0; a < 3; ++a)
        for (long b = 0; b < 3; ++b) FM.row(k + a)[b - a] += w * c2[a] * c2[b];
    }
    for (long k = 0; k < N; ++k)  // Γ (docs/method.md §6.3 step 2)
      FM.row(k)[0] += 2.0 * p.lam0 * (1.0 + p.r) / (4.0 * std::max(std::abs(x[k]), p.eps0));
    // Q = BᵀB + AᵀMA (half-bandwidth 2d + 2), solve Q·z = rhs, x = A·z.
    auto assemble = [&] {
      congruence_into(FA, FM, T, Q);
      const std::size_t bb = static_cast<std::size_t>(btb.bandwidth());
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i >= bb ? i - bb : 0; j <= i; ++j) Q.lower(i, j) += btb.lower(i, j);
    };
    assemble();
    // Cholesky when it succeeds; Q is SPD in exact arithmetic, but with d = 2 (A nearly
    // singular) and the 1/ε weights it can lose definiteness in floating point: then LU.
    std::vector<double> z;
    if (BandedCholesky::try_factorise(std::move(Q), chol)) {
      z = chol.solve(rhs);
      Q = chol.release();
    } else {
      Q = chol.release();
      assemble();
      z = BandedLU(Q).solve(rhs);
    }
    pr.A.multiply_into(z, x);
    // Cost after the update. Since x = A·z, H(y − x) = B·(A⁻¹y − z): no extra solve.
    for (std::size_t i = 0; i < n; ++i) diff[i] = ainv_y[i] - z[i];
    pr.B.multiply_into(diff, hr);
    out.cost.push_back(cost_from(hr, x, p));
  }

  // f = (y − x) − H(y − x) (docs/method.md §6.3, the low-pass part L(y − x)).
  std::vector<double> res(n);
  for (std::size_t i = 0; i < n; ++i) res[i] = y[i] - x[i];
  const std::vector<double> hres = apply_h(pr, res);
  out.f.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.f[i] = res[i] - hres[i];
  out.x = std::move(x);
  return out;
}

double logistic(double t) { return 1.0 / (1.0 + std::exp(-t)); }

}  // namespace

FilterCoefficients beads_filter(int d, double fc) {
  if (d != 1 && d != 2) throw std::runtime_error("beads: d must be 1 or 2, got " + std::to_string(d));
  if (!(fc > 0.0 && fc < 0.5)) throw std::runtime_error("beads: fc must lie in (0, 0.5) cycles/sample");
  std::vector<double> b{1.0}, q{1.0};
  for (int i = 0; i < d; ++i) {
    b = poly_mul(b, {-1.0, 2.0, -1.0});
    q = poly_mul(q, {1.0, 2.0, 1.0});
  }
  const double wc = 2.0 * std::numbers::pi * fc;
  const double t = std::pow((1.0 - std::cos(wc)) / (1.0 + std::cos(wc)), d);  // = tan^(2d)(ωc/2)
  FilterCoefficients out{b, b};
  for (std::size_t i = 0; i < b.size(); ++i) out.a[i] = b[i] + t * q[i];
  return out;
}

double beads_cost(const std::vector<double>& y, const std::vector<double>& x, const BeadsParams& p) {
  check_params(p);
  if (x.size() != y.size()) throw std::runtime_error("beads_cost: size mismatch");
  return cost_of(make_problem(y.size(), p), y, x, p);
}

BeadsParams beads_reference_defaults() { return BeadsParams{}; }

// XRD defaults, for patterns scaled to max 100 by beads_xrd(). Tuned by eye and by the numbers
// in the final report on the shared measured patterns (RRUFF/opXRD 0.01° grids, dara .xrdml
// 0.043°, XRD-AutoAnalyzer 0.01–0.02°), never on the held-out set:
//  * fc = step/8°: a baseline period of 8° 2θ whatever the grid. With the chromatography
//    value fc = 0.006 (1.7° on a 0.01° grid) the low-pass baseline takes up the broad
//    Lorentzian tails of strong XRD peaks and shows bumps under every strong peak; at 8° the
//    baseline still follows amorphous humps (≈5–10° wide, e.g. LiMn2O4 at 15°).
//  * λ0 = 0.2, λ1 = 2, λ2 = 2 (half the reference λ0, λ1; 0.6× λ2): the reference values push
//    peaks of ≲ 5 % of the maximum and the tails of strong peaks into the baseline; λ = 0.1/1/1
//    lets counting noise into x. r = 6 and 15 iterations, L1_v2 as the reference.
//  * Edge extension (docs/method.md §6.5) with σ = 100 samples (README value), edge value = mean of the
//    first/last 5 samples, so one noisy count does not set it.
BeadsParams beads_xrd_defaults(double step_deg) {
  BeadsParams p;
  if (step_deg > 0.0) p.fc = std::clamp(step_deg / kXrdBaselinePeriodDeg, 1e-5, 0.45);
  p.lam0 = 0.2;
  p.lam1 = 2.0;
  p.lam2 = 2.0;
  p.extend = true;
  p.extend_sigma = 100.0;
  p.extend_edge_points = 5;
  // ε0 = ε1 = 1e-3 instead of 1e-6: on the max-100 scale this smoothing is far below the
  // counting noise, and it makes the result reproducible. With 1e-6 the weights 1/(|v| + ε)
  // of samples driven to ~0 amplify rounding: scaling y by (1 + 1e-15) moved x by 1.5 % of the
  // maximum on Ag_225.xy and LiMn2O4.xy; with 1e-3 by ≤ 3.5e-5.
  p.eps0 = 1e-3;
  p.eps1 = 1e-3;
  return p;
}

Penalty parse_penalty(const std::string& s) {
  if (s == "l1v1" || s == "L1_v1" || s == "l1_v1") return Penalty::L1_v1;
  if (s == "l1v2" || s == "L1_v2" || s == "l1_v2") return Penalty::L1_v2;
  throw std::runtime_error("unknown BEADS penalty '" + s + "' (expected l1v1 or l1v2)");
}

BeadsResult beads(const std::vector<double>& y, const BeadsParams& p) {
  check_params(p);
  const std::size_t n = y.size();
  if (n < 5) throw std::runtime_error("beads: need at least 5 samples, got " + std::to_string(n));
  for (double v : y)
    if (!std::isfinite(v)) throw std::runtime_error("beads: input contains NaN or infinity");
  if (!p.extend) return beads_core(y, p);

  // docs/method.md §6.5: left = y0·sigmoid(t/σ), right = y_{N−1}·sigmoid(−t/σ), t = −5σ, −5σ+1, … < 5σ.
  const double s = p.extend_sigma;
  const std::size_t m = static_cast<std::size_t>(std::ceil(10.0 * s));
  const std::size_t k = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(1, p.extend_edge_points)), 1, n);
  double y0 = 0.0, y1 = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    y0 += y[i];
    y1 += y[n - 1 - i];
  }
  y0 /= static_cast<double>(k);
  y1 /= static_cast<double>(k);
  std::vector<double> ye;
  ye.reserve(n + 2 * m);
  for (std::size_t i = 0; i < m; ++i) ye.push_back(y0 * logistic((-5.0 * s + static_cast<double>(i)) / s));
  ye.insert(ye.end(), y.begin(), y.end());
  for (std::size_t i = 0; i < m; ++i) ye.push_back(y1 * logistic(-(-5.0 * s + static_cast<double>(i)) / s));

  BeadsResult r = beads_core(ye, p);
  BeadsResult out;
  out.x.assign(r.x.begin() + m, r.x.begin() + m + n);
  out.f.assign(r.f.begin() + m, r.f.begin() + m + n);
  out.cost = std::move(r.cost);
  return out;
}

BeadsResult beads_xrd(const std::vector<double>& y, const BeadsParams& p, double target_max) {
  if (!(target_max > 0.0)) throw std::runtime_error("beads_xrd: target_max must be > 0");
  double peak = 0.0;
  for (double v : y) {
    if (!std::isfinite(v)) throw std::runtime_error("beads: input contains NaN or infinity");
    peak = std::max(peak, std::abs(v));
  }
  if (peak == 0.0) {
    if (y.size() < 5) throw std::runtime_error("beads: need at least 5 samples, got " + std::to_string(y.size()));
    return BeadsResult{std::vector<double>(y.size(), 0.0), std::vector<double>(y.size(), 0.0), {}};
  }
  const double scale = target_max / peak;
  std::vector<double> ys(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) ys[i] = y[i] * scale;
  BeadsResult r = beads(ys, p);
  for (double& v : r.x) v /= scale;
  for (double& v : r.f) v /= scale;
  return r;
}

}  // namespace xrdid::denoise
