// Peak profiles on a 2θ grid: Gaussian (docs/method.md §3.5) and Thompson–Cox–Hastings
// pseudo-Voigt; each peak touches only the grid points inside its window.
#include "xrd/render.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace xrdid::xrd {

std::vector<double> uniform_grid(double start, double stop, double step) {
  if (!std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
    throw std::invalid_argument("uniform_grid: start, stop and step must be finite numbers");
  if (!(step > 0) || !(stop > start)) throw std::invalid_argument("uniform_grid: need step > 0 and stop > start");
  const double count = std::ceil((stop - start) / step - 1e-9);
  if (!(count <= static_cast<double>(kMaxGridPoints)))
    throw std::invalid_argument("uniform_grid: " + std::to_string(start) + " to " + std::to_string(stop) + " in steps of " +
                                std::to_string(step) + " would be " + std::to_string(count) + " points (at most " +
                                std::to_string(kMaxGridPoints) + ")");
  const auto n = static_cast<std::size_t>(count);
  std::vector<double> g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = start + static_cast<double>(i) * step;
  return g;
}

namespace {

constexpr double kDeg = M_PI / 180.0;
const double kFwhmPerSigma = 2.0 * std::sqrt(2.0 * std::log(2.0));

void add_window(const std::vector<double>& grid, double lo, double hi, std::vector<double>& acc,
                const auto& value_at) {
  auto first = std::lower_bound(grid.begin(), grid.end(), lo);
  auto last = std::upper_bound(first, grid.end(), hi);
  for (auto it = first; it != last; ++it) acc[it - grid.begin()] += value_at(*it);
}

}  // namespace

void accumulate_profile(const Sticks& sticks, double weight, const std::vector<double>& grid,
                        const ProfileOptions& opt, std::vector<double>& acc) {
  if (acc.size() != grid.size()) throw std::invalid_argument("accumulate_profile: acc and grid differ in size");
  if (opt.kind == ProfileKind::Gaussian) {
    if (!(opt.sigma > 0)) throw std::invalid_argument("render: Gaussian sigma must be > 0");
    const double sigma = opt.sigma;
    const double norm = 1.0 / (sigma * std::sqrt(2.0 * M_PI));
    const double inv2s2 = 1.0 / (2.0 * sigma * sigma);
    const double half = 10.0 * sigma;  // exp(−50) ≈ 2e-22 of the peak: below float32 resolution
    for (const Stick& st : sticks.sticks) {
      const double mu = st.two_theta + opt.zero_shift;
      const double amp = weight * st.intensity * norm;
      add_window(grid, mu - half, mu + half, acc, [&](double x) { return amp * std::exp(-(x - mu) * (x - mu) * inv2s2); });
    }
    return;
  }
  // Pseudo-Voigt, Thompson, Cox & Hastings, J. Appl. Cryst. 20, 79 (1987), eqs. 3–4.
  for (const Stick& st : sticks.sticks) {
    const double theta = st.two_theta * kDeg / 2.0;
    double fg;
    if (opt.use_caglioti) {
      const double t = std::tan(theta);
      fg = std::sqrt(std::max(opt.U * t * t + opt.V * t + opt.W, 0.0));
    } else {
      fg = kFwhmPerSigma * std::max(opt.sigma, 0.0);
    }
    double fl = 0.0;
    if (opt.size_nm > 0) {
      if (!(sticks.wavelength > 0)) throw std::invalid_argument("render: Scherrer broadening needs the wavelength");
      // Scherrer: β = Kλ / (L cosθ) in radians; λ and L in Å.
      fl = opt.scherrer_k * sticks.wavelength / (opt.size_nm * 10.0 * std::cos(theta)) / kDeg;
    }
    const double f = std::pow(std::pow(fg, 5) + 2.69269 * std::pow(fg, 4) * fl + 2.42843 * std::pow(fg, 3) * fl * fl +
                                  4.47163 * fg * fg * std::pow(fl, 3) + 0.07842 * fg * std::pow(fl, 4) + std::pow(fl, 5),
                              0.2);
    if (!(f > 0)) throw std::invalid_argument("render: pseudo-Voigt FWHM is zero (set sigma, Caglioti or size)");
    const double q = fl / f;
    const double eta = std::clamp(1.36603 * q - 0.47719 * q * q + 0.11116 * q * q * q, 0.0, 1.0);
    const double mu = st.two_theta + opt.zero_shift;
    const double amp = weight * st.intensity;
    const double g_norm = 2.0 / f * std::sqrt(std::log(2.0) / M_PI), g_k = 4.0 * std::log(2.0) / (f * f);
    const double l_norm = 2.0 / (M_PI * f), l_k = 4.0 / (f * f);
    const double half = (eta > 0.0 ? 60.0 : 5.0) * f;
    add_window(grid, mu - half, mu + half, acc, [&](double x) {
      const double d2 = (x - mu) * (x - mu);
      return amp * ((1.0 - eta) * g_norm * std::exp(-g_k * d2) + eta * l_norm / (1.0 + l_k * d2));
    });
  }
}

Pattern render(const Sticks& sticks, const std::vector<double>& grid, const ProfileOptions& opt) {
  std::vector<double> acc(grid.size(), 0.0);
  accumulate_profile(sticks, 1.0, grid, opt, acc);
  Pattern p;
  p.two_theta = grid;
  p.wavelength.alpha1 = sticks.wavelength;
  const double mx = acc.empty() ? 0.0 : *std::max_element(acc.begin(), acc.end());
  const double scale = (opt.normalize_to > 0 && mx > 0) ? opt.normalize_to / mx : 1.0;
  p.intensity.resize(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i) p.intensity[i] = static_cast<float>(acc[i] * scale);
  return p;
}

Pattern simulate_pattern(const Crystal& crystal, const Wavelength& wavelength, const std::vector<double>& grid,
                         const ProfileOptions& profile, PowderOptions powder) {
  if (!wavelength.known()) throw std::invalid_argument("simulate_pattern: unknown wavelength");
  if (grid.empty()) throw std::invalid_argument("simulate_pattern: empty grid");
  // Sticks up to the top of the grid plus the reach of a profile tail (1°, at least 10σ),
  // corrected for the zero shift and clipped to the physical range. (The seed cut sticks at
  // exactly 120° for a grid ending at 119.98°; peaks just beyond the grid only add tails.)
  const double reach = std::max(1.0, 10.0 * profile.sigma);
  powder.two_theta_max = std::clamp(grid.back() + reach - profile.zero_shift, 1e-6, 180.0);
  powder.two_theta_min = 0.0;
  std::vector<double> acc(grid.size(), 0.0);
  const bool doublet = wavelength.alpha2 > 0;
  powder.scaled = !doublet;
  powder.wavelength = wavelength.alpha1;
  accumulate_profile(compute_sticks(crystal, powder), 1.0, grid, profile, acc);
  if (doublet) {
    powder.wavelength = wavelength.alpha2;
    accumulate_profile(compute_sticks(crystal, powder), wavelength.ratio21, grid, profile, acc);
  }
  Pattern p;
  p.two_theta = grid;
  p.wavelength = wavelength;
  p.source = crystal.source;
  const double mx = *std::max_element(acc.begin(), acc.end());
  const double scale = (profile.normalize_to > 0 && mx > 0) ? profile.normalize_to / mx : 1.0;
  p.intensity.resize(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i) p.intensity[i] = static_cast<float>(acc[i] * scale);
  return p;
}

}  // namespace xrdid::xrd
