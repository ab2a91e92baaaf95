// See perturb.hpp.
#include "augment/perturb.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "augment/physics.hpp"

namespace xrdid::augment {
namespace {

constexpr double kHalfRad = M_PI / 360.0;  // 2θ degrees -> θ radians

double number(const std::string& key, const std::string& v) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || !std::isfinite(x))
    throw std::invalid_argument("perturbation '" + key + "': '" + v + "' is not a number");
  return x;
}

// The pattern's baseline for texture and impurity: the running minimum over ±1°.
std::vector<double> running_min(const xrd::Pattern& pat) {
  const std::size_t n = pat.size();
  const double step = (pat.two_theta.back() - pat.two_theta.front()) / static_cast<double>(n - 1);
  const auto h = static_cast<std::size_t>(std::max(1.0, std::round(1.0 / std::max(step, 1e-4))));
  std::vector<double> b(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = i >= h ? i - h : 0, hi = std::min(n - 1, i + h);
    b[i] = *std::min_element(pat.intensity.begin() + static_cast<std::ptrdiff_t>(lo),
                             pat.intensity.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
  }
  return b;
}

// Every 0.5° stretch of the signal above the baseline × a log-uniform factor in [1/R, R],
// blended linearly between the stretches' centres so no edge appears inside a peak.
void texture_peaks(xrd::Pattern& pat, double r, Rng& rng) {
  const auto base = running_min(pat);
  const double lo = pat.two_theta.front(), width = 0.5;
  const auto m = static_cast<std::size_t>((pat.two_theta.back() - lo) / width) + 2;
  std::uniform_real_distribution<double> u(-std::log(r), std::log(r));
  std::vector<double> f(m);
  for (auto& x : f) x = std::exp(u(rng));
  for (std::size_t i = 0; i < pat.size(); ++i) {
    const double x = std::max(0.0, (pat.two_theta[i] - lo) / width - 0.5);
    const auto j = std::min(static_cast<std::size_t>(x), m - 2);
    const double t = std::min(1.0, x - static_cast<double>(j));
    const double g = (1 - t) * f[j] + t * f[j + 1];
    pat.intensity[i] = static_cast<float>(base[i] + g * (pat.intensity[i] - base[i]));
  }
}

// Adds `phase` (interpolated onto pat's grid, 0 outside its own) scaled so that its strongest
// point is `fraction` × the strongest point of pat above its baseline.
void add_phase(xrd::Pattern& pat, const xrd::Pattern& phase, double fraction) {
  if (phase.size() < 2) throw std::invalid_argument("perturbation 'impurity': the second phase has fewer than 2 points");
  const auto base = running_min(pat);
  double top = 0;
  for (std::size_t i = 0; i < pat.size(); ++i) top = std::max(top, pat.intensity[i] - base[i]);
  std::vector<double> add(pat.size(), 0.0);
  double amax = 0;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    const double t = pat.two_theta[i];
    const auto it = std::lower_bound(phase.two_theta.begin(), phase.two_theta.end(), t);
    if (it == phase.two_theta.begin() || it == phase.two_theta.end()) continue;
    const auto j = static_cast<std::size_t>(it - phase.two_theta.begin());
    const double w = (t - phase.two_theta[j - 1]) / (phase.two_theta[j] - phase.two_theta[j - 1]);
    add[i] = (1 - w) * phase.intensity[j - 1] + w * phase.intensity[j];
    amax = std::max(amax, add[i]);
  }
  if (amax <= 0) return;
  for (std::size_t i = 0; i < pat.size(); ++i) pat.intensity[i] += static_cast<float>(fraction * top * add[i] / amax);
}

}  // namespace

bool Perturbation::empty() const {
  return shift_deg == 0 && displacement_mm == 0 && strain == 0 && range_lo < 0 && counts == 0 && hump == 0 &&
         fluorescence == 0 && texture == 0 && impurity == 0 && noise == 0;
}

Perturbation parse_perturbation(const std::string& spec) {
  Perturbation p;
  p.spec = spec;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("perturbation '" + item + "': expected key=value");
    const std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "shift") p.shift_deg = number(k, v);
    else if (k == "displacement") p.displacement_mm = number(k, v);
    else if (k == "strain") {
      p.strain = number(k, v);
      if (!(std::abs(p.strain) < 0.2)) throw std::invalid_argument("perturbation 'strain': |E| must be < 0.2");
    } else if (k == "range") {
      const auto c = v.find(':');
      if (c == std::string::npos) throw std::invalid_argument("perturbation 'range': expected A:B in degrees");
      p.range_lo = number(k, v.substr(0, c));
      p.range_hi = number(k, v.substr(c + 1));
      if (!(p.range_lo >= 0 && p.range_hi > p.range_lo)) throw std::invalid_argument("perturbation 'range': need 0 <= A < B");
    } else if (k == "counts") {
      p.counts = number(k, v);
      if (!(p.counts >= 1)) throw std::invalid_argument("perturbation 'counts': N must be >= 1");
    } else if (k == "hump") {
      p.hump = number(k, v);
      if (!(p.hump >= 0)) throw std::invalid_argument("perturbation 'hump': H must be >= 0");
    } else if (k == "fluorescence") {
      p.fluorescence = number(k, v);
      if (!(p.fluorescence >= 0)) throw std::invalid_argument("perturbation 'fluorescence': B must be >= 0");
    } else if (k == "texture") {
      p.texture = number(k, v);
      if (!(p.texture >= 1)) throw std::invalid_argument("perturbation 'texture': R must be >= 1");
    } else if (k == "impurity") {
      p.impurity = number(k, v);
      if (!(p.impurity >= 0 && p.impurity <= 1)) throw std::invalid_argument("perturbation 'impurity': F must be in [0, 1]");
    } else if (k == "noise") {
      p.noise = number(k, v);
      if (!(p.noise >= 1)) throw std::invalid_argument("perturbation 'noise': F must be >= 1");
    } else if (k == "seed") {
      p.seed = static_cast<std::uint64_t>(number(k, v));
    } else {
      throw std::invalid_argument("unknown perturbation '" + k +
                                  "' (shift, displacement, strain, range, counts, hump, fluorescence, texture, impurity, noise, seed)");
    }
  }
  return p;
}

void apply_perturbation(xrd::Pattern& pat, const Perturbation& p, std::uint64_t index,
                        const xrd::Pattern* impurity_phase) {
  if (pat.size() < 2) throw std::invalid_argument(pat.source + ": fewer than 2 points to perturb");
  if (p.impurity > 0 && !impurity_phase)
    throw std::invalid_argument("perturbation 'impurity' needs a second phase to add");
  Rng rng(variant_seed(p.seed, index));
  if (p.texture > 1) texture_peaks(pat, p.texture, rng);
  if (p.impurity > 0) add_phase(pat, *impurity_phase, p.impurity);
  if (p.strain != 0) {
    // d_sample = (1 + E) d: the feature of the original at t_src appears at t with
    // sin(t/2) = sin(t_src/2) / (1 + E), i.e. source sin(t_src/2) = (1 + E) sin(t/2).
    const double f = 1.0 + p.strain;
    remap_pattern(pat, [&](double t) {
      const double s = std::sin(t * kHalfRad) * f;
      return std::abs(s) < 1 ? std::asin(s) / kHalfRad : NAN;
    });
  }
  if (p.displacement_mm != 0) displace_pattern(pat, p.displacement_mm, 240.0);
  if (p.shift_deg != 0) shift_pattern(pat, p.shift_deg);
  const float mx = *std::max_element(pat.intensity.begin(), pat.intensity.end());
  if (p.hump > 0)
    for (std::size_t i = 0; i < pat.size(); ++i) {
      const double d = (pat.two_theta[i] - 25.0) / 5.0;
      pat.intensity[i] += static_cast<float>(p.hump * mx * std::exp(-0.5 * d * d));
    }
  if (p.fluorescence > 0)
    for (auto& v : pat.intensity) v += static_cast<float>(p.fluorescence * mx);
  if (p.counts > 0) {
    const float m2 = *std::max_element(pat.intensity.begin(), pat.intensity.end());
    const double k = m2 > 0 ? p.counts / m2 : 0.0;
    for (auto& v : pat.intensity) v = static_cast<float>(v * k);
    poisson_noise(pat, rng);
  }
  if (p.noise > 0) {
    for (auto& v : pat.intensity) v = static_cast<float>(v / p.noise);
    poisson_noise(pat, rng);
    for (auto& v : pat.intensity) v = static_cast<float>(v * p.noise);
  }
  if (p.range_lo >= 0) {
    xrd::Pattern out;
    out.wavelength = pat.wavelength;
    out.source = pat.source;
    for (std::size_t i = 0; i < pat.size(); ++i)
      if (pat.two_theta[i] >= p.range_lo && pat.two_theta[i] <= p.range_hi) {
        out.two_theta.push_back(pat.two_theta[i]);
        out.intensity.push_back(pat.intensity[i]);
      }
    if (out.size() < 2)
      throw std::invalid_argument(pat.source + ": the range " + std::to_string(p.range_lo) + ":" +
                                  std::to_string(p.range_hi) + " keeps fewer than 2 points");
    pat = std::move(out);
  }
}

}  // namespace xrdid::augment
