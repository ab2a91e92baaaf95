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

}  // namespace

bool Perturbation::empty() const {
  return shift_deg == 0 && displacement_mm == 0 && strain == 0 && range_lo < 0 && counts == 0 && hump == 0;
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
    } else if (k == "seed") {
      p.seed = static_cast<std::uint64_t>(number(k, v));
    } else {
      throw std::invalid_argument("unknown perturbation '" + k +
                                  "' (shift, displacement, strain, range, counts, hump, seed)");
    }
  }
  return p;
}

void apply_perturbation(xrd::Pattern& pat, const Perturbation& p, std::uint64_t index) {
  if (pat.size() < 2) throw std::invalid_argument(pat.source + ": fewer than 2 points to perturb");
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
  if (p.counts > 0) {
    Rng rng(variant_seed(p.seed, index));
    const float m2 = *std::max_element(pat.intensity.begin(), pat.intensity.end());
    const double k = m2 > 0 ? p.counts / m2 : 0.0;
    for (auto& v : pat.intensity) {
      const double mean = std::max(0.0, static_cast<double>(v) * k);
      v = mean > 0 ? static_cast<float>(std::poisson_distribution<long long>(mean)(rng)) : 0.f;
    }
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
