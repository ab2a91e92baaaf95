// Powder sticks: reciprocal-lattice enumeration, structure factors with per-site phase
// tables (e^{2πi h x} = e^{2πi x}^h, built once per crystal), LP correction and merging.
#include "xrd/powder.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "xrd/elements.hpp"

namespace xrdid::xrd {
namespace {

struct RecipPoint {
  double g;  // |g| = 1/d, Å⁻¹
  int h, k, l;
};

std::array<double, 3> cross(const std::array<double, 3>& u, const std::array<double, 3>& v) {
  return {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
}

double norm(const std::array<double, 3>& u) { return std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]); }

// Per-axis phase table: c[(m + M)·ns + j] + i·s[...] = exp(2πi m x_j), m = −M…M.
struct PhaseTable {
  int M = 0;
  std::vector<double> c, s;
  void build(int bound, const std::vector<double>& x) {
    M = bound;
    const std::size_t ns = x.size();
    c.assign((2 * M + 1) * ns, 0.0);
    s.assign((2 * M + 1) * ns, 0.0);
    for (std::size_t j = 0; j < ns; ++j) {
      // m = 0 … M by the recurrence e^{2πi(m+1)x} = e^{2πimx}·e^{2πix}, re-anchored with direct
      // trigonometry every 8 steps (error stays ~1e-15); m < 0 by conjugation.
      const double c1 = std::cos(2.0 * M_PI * x[j]), s1 = std::sin(2.0 * M_PI * x[j]);
      double cm = 1.0, sm = 0.0;
      for (int m = 0; m <= M; ++m) {
        if (m % 8 == 0 && m > 0) {
          double t = m * x[j];
          t -= std::round(t);  // reduce to [−0.5, 0.5] for accuracy
          cm = std::cos(2.0 * M_PI * t);
          sm = std::sin(2.0 * M_PI * t);
        }
        c[(m + M) * ns + j] = cm;
        s[(m + M) * ns + j] = sm;
        c[(M - m) * ns + j] = cm;
        s[(M - m) * ns + j] = -sm;
        const double cn = cm * c1 - sm * s1;
        sm = sm * c1 + cm * s1;
        cm = cn;
      }
    }
  }
  const double* cos_row(int m, std::size_t ns) const { return c.data() + (m + M) * ns; }
  const double* sin_row(int m, std::size_t ns) const { return s.data() + (m + M) * ns; }
};

// Rotations R of crystal.ops under which |F| is invariant, F(hR) = F(h)·phase, and which keep
// |g| (so f(s) is the same): R G* Rᵀ = G* for the reciprocal metric G*. Each is accepted only if
// the site weights really are invariant: |F(hR)|² = |F(h)|² is checked on a few general hkl
// (this also rejects sets that only approximately follow the operations).
std::vector<std::array<std::array<int, 3>, 3>> invariant_rotations(const Crystal& crystal,
                                                                   const std::array<std::array<double, 3>, 3>& R,
                                                                   const std::vector<double>& site_weight) {
  std::vector<std::array<std::array<int, 3>, 3>> out;
  double gstar[3][3];
  double gmax = 0.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      gstar[i][j] = R[i][0] * R[j][0] + R[i][1] * R[j][1] + R[i][2] * R[j][2];
      gmax = std::max(gmax, std::abs(gstar[i][j]));
    }
  const std::size_t ns = crystal.sites.size();
  auto f2_direct = [&](const std::array<int, 3>& h) {
    double fr = 0, fi = 0;
    for (std::size_t j = 0; j < ns; ++j) {
      const auto& x = crystal.sites[j].fract;
      double t = h[0] * x[0] + h[1] * x[1] + h[2] * x[2];
      t -= std::round(t);
      fr += site_weight[j] * std::cos(2 * M_PI * t);
      fi += site_weight[j] * std::sin(2 * M_PI * t);
    }
    return fr * fr + fi * fi;
  };
  static constexpr std::array<int, 3> kProbe[] = {{1, 2, 3}, {3, -1, 2}, {2, 5, -1}, {-4, 1, 3}, {5, 3, 7}};
  double probe_f2[5];
  double scale = 0.0;
  for (double w : site_weight) scale += std::abs(w);
  for (int i = 0; i < 5; ++i) probe_f2[i] = f2_direct(kProbe[i]);
  for (const SymOp& op : crystal.ops) {
    const auto& r = op.rot;
    bool identity = true;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) identity = identity && r[i][j] == (i == j);
    if (identity) continue;
    if (std::find(out.begin(), out.end(), r) != out.end()) continue;
    // h' = h·R as a row vector; |g(h')|² = h R G* Rᵀ hᵀ must equal h G* hᵀ for all h.
    bool metric_ok = true;
    for (int i = 0; i < 3 && metric_ok; ++i)
      for (int j = 0; j < 3 && metric_ok; ++j) {
        double m = 0;
        for (int k = 0; k < 3; ++k)
          for (int l = 0; l < 3; ++l) m += r[i][k] * gstar[k][l] * r[j][l];
        metric_ok = std::abs(m - gstar[i][j]) <= 1e-9 * gmax;
      }
    if (!metric_ok) continue;
    bool invariant = true;
    for (int i = 0; i < 5 && invariant; ++i) {
      const auto& h = kProbe[i];
      std::array<int, 3> hr{};
      for (int j = 0; j < 3; ++j) hr[j] = h[0] * r[0][j] + h[1] * r[1][j] + h[2] * r[2][j];
      invariant = std::abs(f2_direct(hr) - probe_f2[i]) <= 1e-9 * scale * scale;
    }
    if (invariant) out.push_back(r);
  }
  return out;
}

}  // namespace

Sticks compute_sticks(const Crystal& crystal, const PowderOptions& opt) {
  if (!(opt.wavelength > 0)) throw std::invalid_argument("compute_sticks: wavelength must be > 0");
  if (!(opt.two_theta_min >= 0 && opt.two_theta_max > opt.two_theta_min && opt.two_theta_max <= 180))
    throw std::invalid_argument("compute_sticks: need 0 <= two_theta_min < two_theta_max <= 180");
  if (!opt.b_by_site.empty() && opt.b_by_site.size() != crystal.sites.size())
    throw std::invalid_argument("compute_sticks: b_by_site must have one value per site");
  if (crystal.sites.empty()) throw std::invalid_argument("compute_sticks: " + crystal.source + ": no sites");
  const double lambda = opt.wavelength;
  constexpr double kDeg = M_PI / 180.0;
  const double r_max = 2.0 * std::sin(opt.two_theta_max * kDeg / 2.0) / lambda;
  const double r_min = 2.0 * std::sin(opt.two_theta_min * kDeg / 2.0) / lambda;

  // Crystallographic reciprocal lattice (no 2π): a* = (b×c)/V, …
  const auto L = crystal.lattice_vectors();
  const double V = std::abs(L[0][0] * (L[1][1] * L[2][2] - L[1][2] * L[2][1]) -
                            L[0][1] * (L[1][0] * L[2][2] - L[1][2] * L[2][0]) +
                            L[0][2] * (L[1][0] * L[2][1] - L[1][1] * L[2][0]));
  std::array<std::array<double, 3>, 3> R{cross(L[1], L[2]), cross(L[2], L[0]), cross(L[0], L[1])};
  for (auto& row : R)
    for (double& v : row) v /= V;

  // Sufficient index bounds: h = g·a, so |h| ≤ r_max·|a|.
  const int H = static_cast<int>(std::floor(r_max * norm(L[0]) + 1e-6));
  const int K = static_cast<int>(std::floor(r_max * norm(L[1]) + 1e-6));
  const int Lm = static_cast<int>(std::floor(r_max * norm(L[2]) + 1e-6));
  std::vector<RecipPoint> pts;
  pts.reserve(static_cast<std::size_t>(4.2 * r_max * r_max * r_max * V) + 16);
  const double r_lim = r_max + 1e-8;
  for (int h = -H; h <= H; ++h)
    for (int k = -K; k <= K; ++k) {
      const double bx = h * R[0][0] + k * R[1][0], by = h * R[0][1] + k * R[1][1], bz = h * R[0][2] + k * R[1][2];
      for (int l = -Lm; l <= Lm; ++l) {
        const double gx = bx + l * R[2][0], gy = by + l * R[2][1], gz = bz + l * R[2][2];
        const double g = std::sqrt(gx * gx + gy * gy + gz * gz);
        if (g > 0.0 && g <= r_lim && (r_min <= 0.0 || g >= r_min)) pts.push_back({g, h, k, l});
      }
    }
  std::sort(pts.begin(), pts.end(), [](const RecipPoint& p, const RecipPoint& q) {
    if (p.g != q.g) return p.g < q.g;
    if (p.h != q.h) return p.h > q.h;
    if (p.k != q.k) return p.k > q.k;
    return p.l > q.l;
  });

  // Scatterer types (Z, B) and per-site data, sites grouped by type.
  const std::size_t ns = crystal.sites.size();
  std::vector<int> type_z;
  std::vector<double> type_b;
  std::vector<int> site_type(ns);
  for (std::size_t j = 0; j < ns; ++j) {
    const Site& s = crystal.sites[j];
    double b = 0.0;
    if (!opt.b_by_site.empty()) b = opt.b_by_site[j];
    else if (auto it = opt.b_by_element.find(s.element); it != opt.b_by_element.end()) b = it->second;
    else if (opt.use_site_b) b = s.b_iso;
    (void)scattering_coeffs(s.z);  // throws for Z without scattering factors
    std::size_t t = 0;
    while (t < type_z.size() && !(type_z[t] == s.z && type_b[t] == b)) ++t;
    if (t == type_z.size()) {
      type_z.push_back(s.z);
      type_b.push_back(b);
    }
    site_type[j] = static_cast<int>(t);
  }
  std::vector<double> x(ns), y(ns), z(ns), occ(ns);
  for (std::size_t j = 0; j < ns; ++j) {
    x[j] = crystal.sites[j].fract[0];
    y[j] = crystal.sites[j].fract[1];
    z[j] = crystal.sites[j].fract[2];
    occ[j] = crystal.sites[j].occ;
  }
  PhaseTable tx, ty, tz;
  tx.build(H, x);
  ty.build(K, y);
  tz.build(Lm, z);

  // |F|² per (h,k,l), shared with the Friedel mate (F(−h) = F(h)* for real f).
  const std::size_t nk = 2 * K + 1, nl = 2 * Lm + 1;
  std::vector<double> f2_cache((2 * H + 1) * nk * nl, -1.0);
  auto cache_index = [&](int h, int k, int l) {
    return (static_cast<std::size_t>(h + H) * nk + static_cast<std::size_t>(k + K)) * nl + static_cast<std::size_t>(l + Lm);
  };
  // Symmetry-equivalent reflections share |F|² (exact up to rounding), so one evaluation
  // fills the cache for the whole orbit {h·R} ∪ {−h·R}.
  std::vector<std::array<std::array<int, 3>, 3>> rotations;
  if (opt.use_symmetry && opt.b_by_site.empty() && crystal.ops.size() > 1) {
    std::vector<double> w(ns);
    for (std::size_t j = 0; j < ns; ++j)
      w[j] = occ[j] * (crystal.sites[j].z + 0.618 * static_cast<double>(site_type[j]));
    rotations = invariant_rotations(crystal, R, w);
  }
  auto in_bounds = [&](int h, int k, int l) { return std::abs(h) <= H && std::abs(k) <= K && std::abs(l) <= Lm; };

  std::vector<double> type_w(type_z.size()), site_w(ns);
  double shell_g = -1.0, lp_g = -1.0, lp = 0.0, two_theta = 0.0;
  Sticks out;
  out.wavelength = lambda;
  std::vector<Stick>& peaks = out.sticks;
  constexpr double kTwoThetaTol = 1e-5;  // degrees (pymatgen TWO_THETA_TOL)
  for (const RecipPoint& p : pts) {
    const double s = p.g / 2.0;  // sinθ/λ
    const double s2 = s * s;
    double& f2 = f2_cache[cache_index(p.h, p.k, p.l)];
    if (f2 < 0.0) {
      // New |g| shell (equal within 1e-13 relative: symmetry mates differ only by rounding):
      // f(s)·DW per type, then per site, computed lazily when a shell needs a new F.
      if (std::abs(p.g - shell_g) > 1e-13 * p.g) {
        shell_g = p.g;
        for (std::size_t t = 0; t < type_z.size(); ++t)
          type_w[t] = scattering_factor(type_z[t], s2) * std::exp(-type_b[t] * s2);
        for (std::size_t j = 0; j < ns; ++j) site_w[j] = occ[j] * type_w[site_type[j]];
      }
      const double *cx = tx.cos_row(p.h, ns), *sx = tx.sin_row(p.h, ns);
      const double *cy = ty.cos_row(p.k, ns), *sy = ty.sin_row(p.k, ns);
      const double *cz = tz.cos_row(p.l, ns), *sz = tz.sin_row(p.l, ns);
      double fr = 0.0, fi = 0.0;
#pragma omp simd reduction(+ : fr, fi)
      for (std::size_t j = 0; j < ns; ++j) {
        const double re1 = cx[j] * cy[j] - sx[j] * sy[j];
        const double im1 = cx[j] * sy[j] + sx[j] * cy[j];
        fr += site_w[j] * (re1 * cz[j] - im1 * sz[j]);
        fi += site_w[j] * (re1 * sz[j] + im1 * cz[j]);
      }
      f2 = fr * fr + fi * fi;
      f2_cache[cache_index(-p.h, -p.k, -p.l)] = f2;
      for (const auto& r : rotations) {
        const int h2 = p.h * r[0][0] + p.k * r[1][0] + p.l * r[2][0];
        const int k2 = p.h * r[0][1] + p.k * r[1][1] + p.l * r[2][1];
        const int l2 = p.h * r[0][2] + p.k * r[1][2] + p.l * r[2][2];
        if (!in_bounds(h2, k2, l2)) continue;
        f2_cache[cache_index(h2, k2, l2)] = f2;
        f2_cache[cache_index(-h2, -k2, -l2)] = f2;
      }
    }
    const double sin_t = lambda * s;
    if (sin_t > 1.0) continue;
    if (p.g != lp_g) {  // once per distinct |g|
      lp_g = p.g;
      const double theta = std::asin(sin_t);
      const double cos2t = std::cos(2.0 * theta);
      // Lorentz-polarisation factor for an unpolarised beam (pymatgen; Cullity, Elements of
      // X-ray Diffraction, §4-9): LP = (1 + cos²2θ) / (sin²θ cosθ).
      lp = (1.0 + cos2t * cos2t) / (std::sin(theta) * std::sin(theta) * std::cos(theta));
      two_theta = 2.0 * theta / kDeg;
    }
    const double intensity = f2 * lp;
    // Join the first existing peak within the tolerance (peaks are in ascending 2θ).
    std::size_t hit = peaks.size();
    for (std::size_t i = peaks.size(); i-- > 0;) {
      if (std::abs(peaks[i].two_theta - two_theta) < kTwoThetaTol) hit = i;
      else if (peaks[i].two_theta < two_theta - kTwoThetaTol) break;
    }
    if (hit < peaks.size()) {
      peaks[hit].intensity += intensity;
      peaks[hit].hkl.push_back({p.h, p.k, p.l});
      peaks[hit].multiplicity += 1;
    } else {
      Stick st;
      st.two_theta = two_theta;
      st.d = 1.0 / p.g;
      st.intensity = intensity;
      st.hkl.push_back({p.h, p.k, p.l});
      st.multiplicity = 1;
      peaks.push_back(std::move(st));
    }
  }
  double imax = 0.0;
  for (const Stick& st : peaks) imax = std::max(imax, st.intensity);
  if (!(imax > 0.0))
    throw std::invalid_argument("compute_sticks: " + crystal.source + ": no diffracted intensity in range");
  // pymatgen SCALED_INTENSITY_TOL: keep peaks with 100·I/I_max > 1e-3.
  std::erase_if(peaks, [&](const Stick& st) { return !(st.intensity / imax * 100.0 > 1e-3); });
  if (opt.scaled)
    for (Stick& st : peaks) st.intensity = st.intensity / imax * 100.0;
  return out;
}

}  // namespace xrdid::xrd
