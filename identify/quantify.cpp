// Micro-absorption correction (Brindley 1945) and internal-standard quantification of a joint
// fit's phases (see quantify.hpp).
#include "identify/quantify.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "xrd/absorption.hpp"
#include "xrd/elements.hpp"

namespace xrdid::identify {
namespace {

// Gauss–Legendre nodes and weights on [lo, hi].
void gauss_legendre(int n, double lo, double hi, std::vector<double>& x, std::vector<double>& w) {
  x.assign(static_cast<std::size_t>(n), 0.0);
  w.assign(static_cast<std::size_t>(n), 0.0);
  for (int i = 0; i < n; ++i) {
    double z = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5)), dp = 1;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = z;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (z * p1 - p0) / (z * z - 1);
      const double dz = p1 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-15) break;
    }
    x[static_cast<std::size_t>(i)] = 0.5 * (lo + hi) + 0.5 * (hi - lo) * z;
    w[static_cast<std::size_t>(i)] = (hi - lo) / ((1 - z * z) * dp * dp);
  }
}

// Paths x/R through the unit sphere (in to the scattering point along d_in, out along d_out at
// 2θ from it) at quadrature nodes over the volume, with weights summing to 1.
struct SpherePaths {
  std::vector<double> x, w;
  explicit SpherePaths(double two_theta_deg) {
    std::vector<double> ur, wr, uc, wc;
    gauss_legendre(16, 0.0, 1.0, ur, wr);   // u = r³: uniform in volume
    gauss_legendre(16, -1.0, 1.0, uc, wc);  // cos of the polar angle
    const int nphi = 32;                    // azimuth: periodic, equal steps
    const double tt = two_theta_deg * std::numbers::pi / 180;
    const double din[3] = {0, 0, 1}, dout[3] = {std::sin(tt), 0, std::cos(tt)};
    // Distance from p (|p| <= 1) to the sphere along d: −p·d + sqrt((p·d)² + 1 − |p|²).
    auto exit = [](const double* p, const double* d) {
      const double pd = p[0] * d[0] + p[1] * d[1] + p[2] * d[2];
      const double pp = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
      return -pd + std::sqrt(std::max(0.0, pd * pd + 1 - pp));
    };
    const double back[3] = {-din[0], -din[1], -din[2]};
    for (std::size_t i = 0; i < ur.size(); ++i) {
      const double r = std::cbrt(ur[i]);
      for (std::size_t j = 0; j < uc.size(); ++j) {
        const double ct = uc[j], st = std::sqrt(std::max(0.0, 1 - ct * ct));
        for (int k = 0; k < nphi; ++k) {
          const double phi = 2 * std::numbers::pi * (k + 0.5) / nphi;
          const double p[3] = {r * st * std::cos(phi), r * st * std::sin(phi), r * ct};
          x.push_back(exit(p, back) + exit(p, dout));
          w.push_back(wr[i] * wc[j] / 2.0 / nphi);
        }
      }
    }
  }
  double tau(double a) const {
    double s = 0;
    for (std::size_t k = 0; k < x.size(); ++k) s += w[k] * std::exp(-a * x[k]);
    return s;
  }
};

// "Al2O3" → {Al: 2, O: 3}; "Li0.5Ni0.5O" → {Li: 0.5, Ni: 0.5, O: 1}; {} when it is not a formula
// of known elements (parentheses are not read).
std::map<int, double> parse_formula(const std::string& s) {
  std::map<int, double> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!std::isupper(static_cast<unsigned char>(s[i]))) return {};
    std::string sym(1, s[i++]);
    while (i < s.size() && std::islower(static_cast<unsigned char>(s[i]))) sym += s[i++];
    const int z = xrd::atomic_number(sym);
    if (z <= 0) return {};
    std::size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    double n = 1;
    if (j > i) {
      try {
        n = std::stod(s.substr(i, j - i));
      } catch (const std::exception&) {
        return {};
      }
    }
    if (!(n > 0)) return {};
    out[z] += n;
    i = j;
  }
  return out;
}

std::map<int, double> normalised(std::map<int, double> m) {
  double t = 0;
  for (auto& [z, n] : m) t += n;
  if (t > 0)
    for (auto& [z, n] : m) n /= t;
  return m;
}

std::string found_text(const std::vector<std::string>& ids, const std::vector<const xrd::Crystal*>& crystals) {
  std::string s;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    if (!s.empty()) s += ", ";
    const std::string f = crystals[k] ? xrd::reduced_formula(*crystals[k]) : std::string();
    s += ids[k] + (f.empty() || f == ids[k] ? "" : " (" + f + ")");
  }
  return s;
}

}  // namespace

void check_quant_options(const QuantOptions& opt) {
  if (opt.brindley_size_um != 0.0 && !(std::isfinite(opt.brindley_size_um) && opt.brindley_size_um > 0))
    throw std::invalid_argument("--brindley-size must be a particle diameter in µm above 0");
  if (!opt.standard.empty() && !(opt.standard_fraction > 0 && opt.standard_fraction < 1))
    throw std::invalid_argument("--standard-fraction must lie strictly between 0 and 1 (the weighed-in mass "
                                "fraction of the standard in the spiked sample)");
  if (opt.standard.empty() && opt.standard_fraction != 0.0)
    throw std::invalid_argument("--standard-fraction needs --standard PHASE_ID_OR_FORMULA");
}

double brindley_tau(double a, double two_theta_deg) { return SpherePaths(two_theta_deg).tau(a); }

int find_standard(const std::string& standard, const std::vector<std::string>& ids,
                  const std::vector<const xrd::Crystal*>& crystals) {
  for (std::size_t k = 0; k < ids.size(); ++k)
    if (ids[k] == standard) return static_cast<int>(k);
  const std::map<int, double> want = normalised(parse_formula(standard));
  if (want.empty()) return -1;
  for (std::size_t k = 0; k < crystals.size(); ++k) {
    if (!crystals[k]) continue;
    std::map<int, double> have;
    for (const xrd::Site& s : crystals[k]->sites) have[s.z] += s.occ;
    have = normalised(have);
    bool same = have.size() == want.size();
    for (auto it = want.begin(); same && it != want.end(); ++it) {
      const auto h = have.find(it->first);
      same = h != have.end() && std::abs(h->second / it->second - 1) < 0.005;
    }
    if (same) return static_cast<int>(k);
  }
  return -1;
}

Quantification quantify(const MixtureFit& fit, const std::vector<const xrd::Crystal*>& crystals,
                        const std::vector<std::string>& ids, const QuantOptions& opt) {
  const std::size_t n = fit.phases.size();
  if (crystals.size() != n || ids.size() != n) throw std::invalid_argument("quantify: one crystal and id per phase");
  if (n == 0) throw std::invalid_argument("quantify: no phases");
  Quantification q;
  q.phases.resize(n);
  check_quant_options(opt);
  const bool brindley = opt.brindley_size_um != 0.0;
  if (!opt.standard.empty()) {
    q.standard = true;
    q.standard_fraction = opt.standard_fraction;
    q.standard_index = find_standard(opt.standard, ids, crystals);
    if (q.standard_index < 0)
      throw std::invalid_argument("the standard " + opt.standard + " is not among the phases found (" +
                                  found_text(ids, crystals) + ")");
  }
  std::vector<double> S(n), a(n);
  for (std::size_t k = 0; k < n; ++k) {
    S[k] = fit.phases[k].scale;
    a[k] = fit.phases[k].mass_per_scale;
  }

  // Brindley: μ and density per phase at the refined cell, and the sphere's paths.
  std::vector<double> mu(n, 0.0), rho(n, 0.0);
  std::unique_ptr<SpherePaths> paths;
  double radius_cm = 0;
  if (brindley) {
    q.brindley = true;
    q.particle_size_um = opt.brindley_size_um;
    radius_cm = 0.5 * opt.brindley_size_um * 1e-4;
    q.line = xrd::attenuation_line(fit.wavelength);
    if (q.line.empty()) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.5g Å", fit.wavelength);
      throw std::invalid_argument(std::string("--brindley-size: no mass attenuation coefficients at the pattern's ") +
                                  "wavelength, " + buf + "; they are tabulated at " + xrd::attenuation_lines_text());
    }
    for (std::size_t k = 0; k < n; ++k) {
      const double v = xrd::cell_volume(fit.phases[k].cell);
      // The density at the refined cell: the CIF cell's contents in the refined volume.
      rho[k] = xrd::density_g_cm3(*crystals[k]) * (v > 0 ? crystals[k]->volume() / v : 1.0);
      q.phases[k].mass_attenuation = xrd::mass_attenuation(*crystals[k], fit.wavelength);
      q.phases[k].density = rho[k];
      mu[k] = rho[k] * q.phases[k].mass_attenuation;
      q.phases[k].mu = mu[k];
    }
    q.two_theta = fit.two_theta.empty() ? 60.0 : 0.5 * (fit.two_theta.front() + fit.two_theta.back());
    paths = std::make_unique<SpherePaths>(q.two_theta);
  }

  // The crystalline fractions from the scales (Brindley: iterated to its fixed point); tau, mean_mu
  // and the iteration count of the last call are kept.
  std::vector<double> tau(n, 1.0);
  double mean_mu = 0;
  int iterations = 0;
  auto fractions = [&](const std::vector<double>& s) {
    std::vector<double> w(n);
    auto normalise = [&](const std::vector<double>& t) {
      double tot = 0;
      for (std::size_t k = 0; k < n; ++k) tot += s[k] * a[k] / t[k];
      for (std::size_t k = 0; k < n; ++k) w[k] = tot > 0 ? s[k] * a[k] / t[k] / tot : 0.0;
    };
    std::fill(tau.begin(), tau.end(), 1.0);
    normalise(tau);
    iterations = 0;
    if (!paths) return w;
    for (int it = 0; it < 1000; ++it) {
      double vt = 0, m = 0;
      for (std::size_t k = 0; k < n; ++k) vt += std::max(w[k], 0.0) / rho[k];
      for (std::size_t k = 0; k < n; ++k) m += vt > 0 ? std::max(w[k], 0.0) / rho[k] / vt * mu[k] : 0.0;
      mean_mu = m;
      for (std::size_t k = 0; k < n; ++k) tau[k] = paths->tau((mu[k] - m) * radius_cm);
      const std::vector<double> old = w;
      normalise(tau);
      iterations = it + 1;
      double change = 0;
      for (std::size_t k = 0; k < n; ++k) change = std::max(change, std::abs(w[k] - old[k]));
      if (change < 1e-14) break;
    }
    return w;
  };
  auto derived = [&](const std::vector<double>& s) {
    // [w_0..w_{n-1}, abs_0..abs_{n-1}, amorphous]
    std::vector<double> w = fractions(s), out(2 * n + 1, 0.0);
    for (std::size_t k = 0; k < n; ++k) out[k] = w[k];
    if (q.standard) {
      const double ws = w[static_cast<std::size_t>(q.standard_index)];
      for (std::size_t k = 0; k < n; ++k) out[n + k] = ws > 0 ? w[k] * q.standard_fraction / ws : 0.0;
      out[2 * n] = ws > 0 ? 1 - q.standard_fraction / ws : 0.0;
    }
    return out;
  };
  // Gradients by central differences, then the fixed point at the fitted scales (kept last).
  const std::size_t m = 2 * n + 1;
  std::vector<std::vector<double>> grad(n, std::vector<double>(m, 0.0));
  for (std::size_t j = 0; j < n; ++j) {
    const double h = std::max(std::abs(S[j]), 1e-300) * 1e-5;
    std::vector<double> sp = S, sm = S;
    sp[j] += h;
    sm[j] -= h;
    const std::vector<double> fp = derived(sp), fm = derived(sm);
    for (std::size_t i = 0; i < m; ++i) grad[j][i] = (fp[i] - fm[i]) / (2 * h);
  }
  const std::vector<double> val = derived(S);
  auto esd = [&](std::size_t i) {
    double var = 0;
    if (fit.scale_covariance.size() == n * n)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < n; ++k) var += grad[j][i] * grad[k][i] * fit.scale_covariance[j * n + k];
    return std::sqrt(std::max(0.0, var));
  };
  if (q.standard && !(val[static_cast<std::size_t>(q.standard_index)] > 0))
    throw std::invalid_argument("the standard " + opt.standard + " has no weight in the fit: no absolute fractions");
  q.iterations = iterations;
  q.mean_mu = mean_mu;
  for (std::size_t k = 0; k < n; ++k) {
    PhaseQuant& p = q.phases[k];
    p.tau = tau[k];
    p.weight_fraction = val[k];
    p.weight_fraction_esd = esd(k);
    if (q.standard) {
      p.absolute_fraction = val[n + k];
      p.absolute_fraction_esd = esd(n + k);
    }
  }
  if (q.standard) {
    q.amorphous_fraction = val[2 * n];
    q.amorphous_fraction_esd = esd(2 * n);
    q.amorphous_fraction_sample = q.amorphous_fraction / (1 - q.standard_fraction);
    q.amorphous_fraction_sample_esd = q.amorphous_fraction_esd / (1 - q.standard_fraction);
  }
  return q;
}

nlohmann::json quantification_json(const Quantification& q, const std::vector<std::string>& ids) {
  nlohmann::json j = nlohmann::json::object();
  if (q.brindley)
    j["micro_absorption"] = {{"method", "Brindley (1945), spherical grains"},
                             {"particle_size_um", q.particle_size_um},
                             {"mean_mu_per_cm", q.mean_mu},
                             {"two_theta", q.two_theta},
                             {"line", q.line},
                             {"iterations", q.iterations}};
  if (q.standard) {
    const auto k = static_cast<std::size_t>(q.standard_index);
    j["standard"] = {{"id", k < ids.size() ? ids[k] : std::string()},
                     {"weighed_fraction", q.standard_fraction},
                     {"crystalline_fraction", q.phases[k].weight_fraction}};
    j["amorphous_fraction"] = q.amorphous_fraction;
    j["amorphous_fraction_esd"] = q.amorphous_fraction_esd;
    j["amorphous_fraction_of_sample"] = q.amorphous_fraction_sample;
    j["amorphous_fraction_of_sample_esd"] = q.amorphous_fraction_sample_esd;
  }
  return j;
}

nlohmann::json phase_quant_json(const Quantification& q, std::size_t k) {
  nlohmann::json j = nlohmann::json::object();
  if (k >= q.phases.size()) return j;
  const PhaseQuant& p = q.phases[k];
  if (q.brindley) {
    j["mu_per_cm"] = p.mu;
    j["mass_attenuation_cm2_g"] = p.mass_attenuation;
    j["density_g_cm3"] = p.density;
    j["brindley_tau"] = p.tau;
    j["brindley_weight_fraction"] = p.weight_fraction;
    j["brindley_weight_fraction_esd"] = p.weight_fraction_esd;
  }
  if (q.standard) {
    j["absolute_fraction"] = p.absolute_fraction;
    j["absolute_fraction_esd"] = p.absolute_fraction_esd;
    if (static_cast<int>(k) != q.standard_index && q.standard_fraction < 1) {
      j["sample_fraction"] = p.absolute_fraction / (1 - q.standard_fraction);
      j["sample_fraction_esd"] = p.absolute_fraction_esd / (1 - q.standard_fraction);
    }
    if (static_cast<int>(k) == q.standard_index) j["standard"] = true;
  }
  return j;
}

}  // namespace xrdid::identify
