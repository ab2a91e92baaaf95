// Physics-informed augmentation (see physics.hpp and docs/augmentation.md): each transformation
// is a small function; make_variant draws which ones apply and with what parameters.
#include "augment/physics.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <set>
#include <stdexcept>

#include "augment/seed_augment.hpp"

namespace xrdid::augment {

namespace {

constexpr double kDeg = M_PI / 180.0;
using Vec3 = std::array<double, 3>;

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// Reciprocal basis a* = (b × c)/V, b* = (c × a)/V, c* = (a × b)/V (no 2π), Cartesian.
std::array<Vec3, 3> reciprocal_basis(const xrd::Crystal& c) {
  const auto L = c.lattice_vectors();
  const double v = dot(L[0], cross(L[1], L[2]));
  if (!(std::abs(v) > 0)) throw std::invalid_argument("reciprocal_basis: degenerate cell");
  std::array<Vec3, 3> r{cross(L[1], L[2]), cross(L[2], L[0]), cross(L[0], L[1])};
  for (auto& x : r)
    for (double& e : x) e /= v;
  return r;
}

Vec3 g_of(const std::array<Vec3, 3>& rb, const std::array<int, 3>& hkl) {
  Vec3 g{};
  for (int i = 0; i < 3; ++i) g[i] = hkl[0] * rb[0][i] + hkl[1] * rb[1][i] + hkl[2] * rb[2][i];
  return g;
}

double uniform(Rng& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
bool coin(Rng& rng, double p) { return uniform(rng, 0.0, 1.0) < p; }

void sort_by_two_theta(xrd::Sticks& s) {
  std::stable_sort(s.sticks.begin(), s.sticks.end(),
                   [](const xrd::Stick& a, const xrd::Stick& b) { return a.two_theta < b.two_theta; });
}

// Linear interpolation of (x, y) at t; 0 outside [x.front(), x.back()].
double interp(const std::vector<double>& x, const std::vector<float>& y, double t) {
  if (x.empty() || t < x.front() || t > x.back()) return 0.0;
  auto it = std::upper_bound(x.begin(), x.end(), t);
  if (it == x.end()) return y.back();
  const std::size_t j = static_cast<std::size_t>(it - x.begin());
  if (j == 0) return y.front();
  const double w = (t - x[j - 1]) / (x[j] - x[j - 1]);
  return (1.0 - w) * y[j - 1] + w * y[j];
}

}  // namespace

std::uint64_t variant_seed(std::uint64_t seed, std::uint64_t index) {
  // SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014) applied twice.
  auto mix = [](std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(seed) ^ (index + 0x632be59bd9b4e019ULL));
}

// ---------------------------------------------------------------- crystal

std::map<std::string, double> random_debye_waller(const xrd::Crystal& c, Rng& rng, double b_min, double b_max) {
  if (!(b_min <= b_max)) throw std::invalid_argument("random_debye_waller: b_min > b_max");
  std::set<std::string> elements;
  for (const auto& s : c.sites) elements.insert(s.element);
  std::map<std::string, double> out;
  for (const auto& e : elements) out[e] = uniform(rng, b_min, std::nextafter(b_max, 1e300));
  return out;
}

xrd::Crystal strain_lattice(const xrd::Crystal& c, const std::array<double, 3>& eps,
                            const std::array<double, 3>& dangle_deg) {
  xrd::Crystal out = c;
  out.a *= 1.0 + eps[0];
  out.b *= 1.0 + eps[1];
  out.c *= 1.0 + eps[2];
  out.alpha += dangle_deg[0];
  out.beta += dangle_deg[1];
  out.gamma += dangle_deg[2];
  const double v = out.volume();
  if (!(out.a > 0 && out.b > 0 && out.c > 0) || !(v > 0) || !std::isfinite(v))
    throw std::invalid_argument("strain_lattice: " + c.source + ": strained cell is degenerate");
  return out;
}

xrd::Crystal random_strain(const xrd::Crystal& c, Rng& rng, double delta, double max_angle_deg) {
  std::array<double, 3> eps{}, da{};
  for (double& e : eps) e = delta > 0 ? uniform(rng, -delta, delta) : 0.0;
  for (double& d : da) d = max_angle_deg > 0 ? uniform(rng, -max_angle_deg, max_angle_deg) : 0.0;
  return strain_lattice(c, eps, da);
}

// ---------------------------------------------------------------- sticks

double march_dollase(double r, double cos_alpha) {
  if (!(r > 0)) throw std::invalid_argument("march_dollase: r must be > 0");
  const double c2 = std::clamp(cos_alpha * cos_alpha, 0.0, 1.0);
  return std::pow(r * r * c2 + (1.0 - c2) / r, -1.5);
}

void apply_march_dollase(xrd::Sticks& s, const xrd::Crystal& c, const std::array<int, 3>& direction, double r) {
  if (direction[0] == 0 && direction[1] == 0 && direction[2] == 0)
    throw std::invalid_argument("apply_march_dollase: direction (0 0 0)");
  const auto rb = reciprocal_basis(c);
  const Vec3 gp = g_of(rb, direction);
  const double np = std::sqrt(dot(gp, gp));
  for (auto& st : s.sticks) {
    if (st.hkl.empty()) continue;
    double w = 0.0;
    for (const auto& hkl : st.hkl) {
      const Vec3 g = g_of(rb, hkl);
      const double ng = std::sqrt(dot(g, g));
      w += ng > 0 ? march_dollase(r, dot(g, gp) / (ng * np)) : 1.0;
    }
    st.intensity *= w / static_cast<double>(st.hkl.size());
  }
}

void texture_windows(xrd::Sticks& s, Rng& rng, double lo, double hi, double window_deg, double t_min) {
  if (!(window_deg > 0) || !(hi > lo)) throw std::invalid_argument("texture_windows: need window > 0 and hi > lo");
  const auto n = static_cast<std::size_t>(std::ceil((hi - lo) / window_deg));
  std::vector<double> f(n);
  for (double& x : f) x = uniform(rng, t_min, 1.0);
  for (auto& st : s.sticks) {
    if (st.two_theta < lo || st.two_theta >= hi) continue;
    const auto k = std::min(n - 1, static_cast<std::size_t>((st.two_theta - lo) / window_deg));
    st.intensity *= f[k];
  }
}

void eliminate_peaks(xrd::Sticks& s, Rng& rng, double p_drop) {
  if (s.sticks.empty()) return;
  const auto strongest = std::max_element(s.sticks.begin(), s.sticks.end(), [](const auto& a, const auto& b) {
                           return a.intensity < b.intensity;
                         }) - s.sticks.begin();
  std::vector<xrd::Stick> kept;
  kept.reserve(s.sticks.size());
  for (std::size_t i = 0; i < s.sticks.size(); ++i) {
    const bool drop = coin(rng, p_drop);  // drawn for every stick: the stream does not depend on which is strongest
    if (!drop || static_cast<std::ptrdiff_t>(i) == strongest) kept.push_back(std::move(s.sticks[i]));
  }
  s.sticks = std::move(kept);
}

void add_impurity_peaks(xrd::Sticks& s, Rng& rng, int count, double lo, double hi, double max_rel) {
  if (count <= 0) return;
  if (!(hi > lo)) throw std::invalid_argument("add_impurity_peaks: need hi > lo");
  double mx = 0.0;
  for (const auto& st : s.sticks) mx = std::max(mx, st.intensity);
  if (mx <= 0) mx = 100.0;
  for (int k = 0; k < count; ++k) {
    xrd::Stick st;
    st.two_theta = uniform(rng, lo, hi);
    st.intensity = uniform(rng, 0.2, 1.0) * max_rel * mx;
    if (s.wavelength > 0) {
      const double sn = std::sin(st.two_theta * kDeg / 2.0);
      st.d = sn > 0 ? s.wavelength / (2.0 * sn) : 0.0;
    }
    s.sticks.push_back(std::move(st));
  }
  sort_by_two_theta(s);
}

xrd::Sticks to_wavelength(const xrd::Sticks& s, double lambda) {
  if (!(s.wavelength > 0) || !(lambda > 0)) throw std::invalid_argument("to_wavelength: wavelengths must be > 0");
  xrd::Sticks out;
  out.wavelength = lambda;
  out.sticks.reserve(s.sticks.size());
  const double ratio = lambda / s.wavelength;
  for (const auto& st : s.sticks) {
    // Bragg: λ = 2d sinθ, the same d for both lines.
    const double sn = ratio * std::sin(st.two_theta * kDeg / 2.0);
    if (!(sn < 1.0)) continue;
    xrd::Stick c = st;
    c.two_theta = 2.0 * std::asin(sn) / kDeg;
    out.sticks.push_back(std::move(c));
  }
  return out;
}

double displacement_shift_deg(double two_theta_deg, double s, double radius) {
  if (!(radius > 0)) throw std::invalid_argument("displacement_shift_deg: radius must be > 0");
  return -2.0 * s * std::cos(two_theta_deg * kDeg / 2.0) / radius / kDeg;
}

void shift_sticks(xrd::Sticks& s, double zero_shift_deg, double displacement, double radius) {
  for (auto& st : s.sticks)
    st.two_theta += zero_shift_deg + (displacement != 0.0 ? displacement_shift_deg(st.two_theta, displacement, radius) : 0.0);
}

// ---------------------------------------------------------------- rendering

void render_with_doublet(const xrd::Sticks& s, const xrd::Wavelength& w, const std::vector<double>& grid,
                         const xrd::ProfileOptions& profile, std::vector<double>& acc) {
  xrd::accumulate_profile(s, 1.0, grid, profile, acc);
  if (w.alpha2 > 0) xrd::accumulate_profile(to_wavelength(s, w.alpha2), w.ratio21, grid, profile, acc);
}

// ---------------------------------------------------------------- grid

void remap_pattern(xrd::Pattern& p, const std::function<double(double)>& source) {
  const std::vector<float> y = p.intensity;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double t = source(p.two_theta[i]);
    p.intensity[i] = std::isfinite(t) ? static_cast<float>(interp(p.two_theta, y, t)) : 0.0f;
  }
}

void shift_pattern(xrd::Pattern& p, double delta_deg) {
  remap_pattern(p, [&](double x) { return x - delta_deg; });
}

void displace_pattern(xrd::Pattern& p, double s, double radius) {
  remap_pattern(p, [&](double x) { return x - displacement_shift_deg(x, s, radius); });
}

void add_background(xrd::Pattern& p, const Background& b) {
  if (p.size() == 0) return;
  const double t0 = p.two_theta.front(), span = std::max(p.two_theta.back() - t0, 1e-9);
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double u = (p.two_theta[i] - t0) / span;
    double bg = std::max(0.0, b.b0 * (1.0 + b.c1 * u + b.c2 * u * u));
    if (b.hump > 0 && b.hump_width_deg > 0) {
      const double z = (p.two_theta[i] - b.hump_center_deg) / b.hump_width_deg;
      bg += b.hump * std::exp(-0.5 * z * z);
    }
    p.intensity[i] = static_cast<float>(p.intensity[i] + bg);
  }
}

void poisson_noise(xrd::Pattern& p, Rng& rng) {
  for (float& v : p.intensity) {
    const double mean = std::isfinite(v) ? std::max(0.0, static_cast<double>(v)) : 0.0;
    v = mean > 0 ? static_cast<float>(std::poisson_distribution<long long>(mean)(rng)) : 0.0f;
  }
}

void minmax(xrd::Pattern& p) {
  if (p.size() == 0) return;
  minmax_normalize(p.intensity.data(), static_cast<int>(p.size()));
}

// ---------------------------------------------------------------- variants

namespace {

// Refuses option sets that would make a distribution undefined (lo > hi, p outside [0, 1], …).
void check_options(const PhysicsAugmentOptions& o) {
  auto fail = [](const char* what) { throw std::invalid_argument(std::string("PhysicsAugmentOptions: ") + what); };
  for (double p : {o.p_kalpha2, o.p_debye_waller, o.p_strain, o.p_preferred_orientation, o.p_texture, o.p_eliminate,
                   o.p_impurity, o.p_size, o.p_shift, o.p_displacement, o.p_noise, o.p_hump, o.eliminate_fraction})
    if (!(p >= 0.0 && p <= 1.0)) fail("probabilities must be in [0, 1]");
  if (!(o.b_min >= 0 && o.b_min <= o.b_max)) fail("need 0 <= b_min <= b_max");
  if (!(o.strain_delta >= 0 && o.strain_delta < 0.5 && o.strain_max_angle_deg >= 0)) fail("need 0 <= strain_delta < 0.5, angle >= 0");
  if (!(o.r_min > 0 && o.r_min <= o.r_max)) fail("need 0 < r_min <= r_max");
  if (!(o.texture_window_deg > 0 && o.texture_min >= 0 && o.texture_min <= 1)) fail("need texture window > 0, texture_min in [0, 1]");
  if (!(o.impurity_max_rel >= 0)) fail("need impurity_max_rel >= 0");
  if (!(o.sigma_min > 0 && o.sigma_min <= o.sigma_max)) fail("need 0 < sigma_min <= sigma_max");
  if (!(o.size_min_nm > 0 && o.size_min_nm <= o.size_max_nm)) fail("need 0 < size_min_nm <= size_max_nm");
  if (!(o.max_shift_deg >= 0 && o.max_displacement_mm >= 0 && o.goniometer_radius_mm > 0)) fail("need shift, displacement >= 0, radius > 0");
  if (!(o.peak_counts_min > 0 && o.peak_counts_min <= o.peak_counts_max)) fail("need 0 < peak_counts_min <= peak_counts_max");
  if (!(o.max_background_rel >= 0 && o.max_hump_rel >= 0 && o.hump_center_min_deg <= o.hump_center_max_deg)) fail("bad background/hump ranges");
}

xrd::PowderOptions powder_for(const std::vector<double>& grid, const PhysicsAugmentOptions& o) {
  check_options(o);
  if (grid.empty()) throw std::invalid_argument("make_variant: empty grid");
  if (!(o.wavelength.alpha1 > 0)) throw std::invalid_argument("make_variant: wavelength alpha1 must be > 0");
  // Sticks beyond the grid still shift in or add tails: keep a margin covering the shifts,
  // the displacement, the Kα2 offset and the widest profile tails.
  const double disp = std::abs(displacement_shift_deg(0.0, o.max_displacement_mm, o.goniometer_radius_mm));
  const double margin = 2.0 + std::abs(o.max_shift_deg) + disp;
  xrd::PowderOptions po;
  po.wavelength = o.wavelength.alpha1;
  po.two_theta_min = std::clamp(grid.front() - margin, 0.0, 179.0);
  po.two_theta_max = std::clamp(grid.back() + margin, po.two_theta_min + 1e-6, 180.0);
  return po;
}

xrd::Pattern finish(std::vector<double>& acc, const std::vector<double>& grid) {
  xrd::Pattern p;
  p.two_theta = grid;
  p.intensity.resize(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i) p.intensity[i] = static_cast<float>(acc[i]);
  return p;
}

}  // namespace

xrd::Pattern clean_pattern(const xrd::Crystal& c, const std::vector<double>& grid, const PhysicsAugmentOptions& o) {
  const auto po = powder_for(grid, o);
  const xrd::Sticks s = xrd::compute_sticks(c, po);
  xrd::ProfileOptions prof;
  prof.kind = xrd::ProfileKind::PseudoVoigt;
  prof.sigma = 0.5 * (o.sigma_min + o.sigma_max);
  std::vector<double> acc(grid.size(), 0.0);
  xrd::accumulate_profile(s, 1.0, grid, prof, acc);
  xrd::Pattern p = finish(acc, grid);
  p.wavelength = {o.wavelength.alpha1, 0.0, o.wavelength.ratio21};
  p.source = "clean pattern of " + c.source;
  minmax(p);
  return p;
}

xrd::Pattern make_variant(const xrd::Crystal& c, const std::vector<double>& grid, const PhysicsAugmentOptions& o,
                          std::uint64_t seed) {
  Rng rng(seed);
  xrd::PowderOptions po = powder_for(grid, o);
  const double lo = grid.front(), hi = grid.back();

  // Crystal: Debye–Waller factors, lattice strain.
  if (coin(rng, o.p_debye_waller)) po.b_by_element = random_debye_waller(c, rng, o.b_min, o.b_max);
  const bool strain = coin(rng, o.p_strain);
  const xrd::Crystal strained = strain ? random_strain(c, rng, o.strain_delta, o.strain_max_angle_deg) : xrd::Crystal{};
  const xrd::Crystal& cr = strain ? strained : c;
  xrd::Sticks s = xrd::compute_sticks(cr, po);

  // Sticks: preferred orientation, texture, elimination, impurities.
  if (coin(rng, o.p_preferred_orientation) && !o.po_directions.empty()) {
    const auto k = std::uniform_int_distribution<std::size_t>(0, o.po_directions.size() - 1)(rng);
    const double r = uniform(rng, o.r_min, o.r_max);
    apply_march_dollase(s, cr, o.po_directions[k], r);
  }
  if (coin(rng, o.p_texture)) texture_windows(s, rng, po.two_theta_min, po.two_theta_max, o.texture_window_deg, o.texture_min);
  if (coin(rng, o.p_eliminate)) eliminate_peaks(s, rng, o.eliminate_fraction);
  if (coin(rng, o.p_impurity) && o.impurity_max_count > 0) {
    const int count = std::uniform_int_distribution<int>(1, o.impurity_max_count)(rng);
    add_impurity_peaks(s, rng, count, lo, hi, o.impurity_max_rel);
  }

  // Kα2 copy (same d), then position errors on both lines.
  const bool doublet = o.wavelength.alpha2 > 0 && coin(rng, o.p_kalpha2);
  xrd::Sticks s2;
  if (doublet) s2 = to_wavelength(s, o.wavelength.alpha2);
  const double zero = coin(rng, o.p_shift) ? uniform(rng, -o.max_shift_deg, o.max_shift_deg) : 0.0;
  const double disp =
      coin(rng, o.p_displacement) ? uniform(rng, -o.max_displacement_mm, o.max_displacement_mm) : 0.0;
  shift_sticks(s, zero, disp, o.goniometer_radius_mm);
  if (doublet) shift_sticks(s2, zero, disp, o.goniometer_radius_mm);

  // Profile: pseudo-Voigt, random instrumental σ, optional Scherrer size.
  xrd::ProfileOptions prof;
  prof.kind = xrd::ProfileKind::PseudoVoigt;
  prof.sigma = uniform(rng, o.sigma_min, o.sigma_max);
  if (coin(rng, o.p_size)) prof.size_nm = std::exp(uniform(rng, std::log(o.size_min_nm), std::log(o.size_max_nm)));
  std::vector<double> acc(grid.size(), 0.0);
  xrd::accumulate_profile(s, 1.0, grid, prof, acc);
  if (doublet) xrd::accumulate_profile(s2, o.wavelength.ratio21, grid, prof, acc);

  xrd::Pattern p = finish(acc, grid);
  p.wavelength = doublet ? o.wavelength : xrd::Wavelength{o.wavelength.alpha1, 0.0, o.wavelength.ratio21};
  p.source = c.source + " (physics variant, seed " + std::to_string(seed) + ")";

  // Measurement: counts, background, hump, Poisson.
  if (coin(rng, o.p_noise)) {
    const double mx = *std::max_element(acc.begin(), acc.end());
    const double counts = std::exp(uniform(rng, std::log(o.peak_counts_min), std::log(o.peak_counts_max)));
    const double scale = mx > 0 ? counts / mx : 0.0;
    for (float& v : p.intensity) v = static_cast<float>(v * scale);
    Background b;
    b.b0 = uniform(rng, 0.0, o.max_background_rel) * counts;
    b.c1 = uniform(rng, -0.5, 0.5);
    b.c2 = uniform(rng, -0.3, 0.3);
    if (coin(rng, o.p_hump)) {
      b.hump = uniform(rng, 0.0, o.max_hump_rel) * counts;
      b.hump_center_deg = uniform(rng, o.hump_center_min_deg, o.hump_center_max_deg);
      b.hump_width_deg = uniform(rng, 3.0, 8.0);
    }
    add_background(p, b);
    poisson_noise(p, rng);
  }
  if (o.normalize) minmax(p);
  return p;
}

std::vector<xrd::Pattern> make_variants(const xrd::Crystal& c, std::size_t n, const std::vector<double>& grid,
                                        const PhysicsAugmentOptions& o, std::uint64_t seed) {
  std::vector<xrd::Pattern> out(n);
  std::exception_ptr err;
  const auto count = static_cast<long long>(n);
#pragma omp parallel for schedule(dynamic, 1)
  for (long long i = 0; i < count; ++i) {
    try {
      out[static_cast<std::size_t>(i)] = make_variant(c, grid, o, variant_seed(seed, static_cast<std::uint64_t>(i)));
    } catch (...) {
#pragma omp critical(xrdid_augment_variant_error)
      if (!err) err = std::current_exception();
    }
  }
  if (err) std::rethrow_exception(err);
  return out;
}

}  // namespace xrdid::augment
