// Crystal geometry helpers and formula strings.
#include "xrd/crystal.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>

#include "xrd/elements.hpp"

namespace xrdid::xrd {

std::array<double, 3> SymOp::apply(const std::array<double, 3>& x) const {
  std::array<double, 3> out{};
  for (int i = 0; i < 3; ++i)
    out[i] = rot[i][0] * x[0] + rot[i][1] * x[1] + rot[i][2] * x[2] + tran[i];
  return out;
}

double cell_volume(const std::array<double, 6>& cell) {
  constexpr double kDeg = M_PI / 180.0;
  const double ca = std::cos(cell[3] * kDeg), cb = std::cos(cell[4] * kDeg), cg = std::cos(cell[5] * kDeg);
  const double v2 = 1.0 - ca * ca - cb * cb - cg * cg + 2.0 * ca * cb * cg;
  return cell[0] * cell[1] * cell[2] * std::sqrt(std::max(v2, 0.0));
}

double Crystal::volume() const { return cell_volume({a, b, c, alpha, beta, gamma}); }

std::array<std::array<double, 3>, 3> Crystal::lattice_vectors() const {
  constexpr double kDeg = M_PI / 180.0;
  const double ca = std::cos(alpha * kDeg), cb = std::cos(beta * kDeg), cg = std::cos(gamma * kDeg);
  const double sg = std::sin(gamma * kDeg);
  const double cx = c * cb;
  const double cy = c * (ca - cb * cg) / sg;
  const double cz = std::sqrt(std::max(c * c - cx * cx - cy * cy, 0.0));
  return {{{a, 0.0, 0.0}, {b * cg, b * sg, 0.0}, {cx, cy, cz}}};
}

std::map<std::string, double> cell_composition(const Crystal& c) {
  std::map<std::string, double> comp;
  for (const Site& s : c.sites) comp[s.element] += s.occ;
  return comp;
}

double density_g_cm3(const Crystal& c) {
  constexpr double kAvogadroPerA3 = 0.602214076;  // N_A x 1e-24 cm³/Å³
  double mass = 0;
  for (const Site& s : c.sites) mass += s.occ * atomic_mass(s.z);
  const double v = c.volume();
  return v > 0 ? mass / (v * kAvogadroPerA3) : 0.0;
}

double atom_volume_fill(const Crystal& c) {
  double filled = 0;
  for (const Site& s : c.sites)
    if (s.z != 1) filled += s.occ * atomic_volume(s.z);
  const double v = c.volume();
  return v > 0 ? filled / v : 0.0;
}

namespace {

// Elements ordered by electronegativity (those without one last), ties by symbol.
std::vector<std::pair<std::string, double>> ordered_amounts(const Crystal& c) {
  std::vector<std::pair<std::string, double>> v;
  for (auto& [el, amt] : cell_composition(c))
    if (amt > 0) v.emplace_back(el, amt);
  auto key = [](const std::string& el) {
    double x = electronegativity(atomic_number(el));
    return std::isnan(x) ? 1e9 : x;
  };
  std::stable_sort(v.begin(), v.end(), [&](auto& p, auto& q) { return key(p.first) < key(q.first); });
  return v;
}

std::string format_amount(double amt) {
  if (std::abs(amt - std::round(amt)) < 1e-8) return std::to_string(static_cast<long long>(std::llround(amt)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", amt);
  return buf;
}

}  // namespace

std::string cell_formula(const Crystal& c) {
  std::string out;
  for (auto& [el, amt] : ordered_amounts(c)) {
    if (!out.empty()) out += ' ';
    out += el + format_amount(amt);
  }
  return out;
}

std::string reduced_formula(const Crystal& c) {
  auto v = ordered_amounts(c);
  bool all_int = true;
  long long g = 0;
  for (auto& [el, amt] : v) {
    if (std::abs(amt - std::round(amt)) > 1e-8) all_int = false;
    else g = std::gcd(g, std::llround(amt));
  }
  std::string out;
  for (auto& [el, amt] : v) {
    double a = (all_int && g > 0) ? amt / static_cast<double>(g) : amt;
    out += el;
    if (std::abs(a - 1.0) > 1e-8) out += format_amount(a);
  }
  return out;
}

std::vector<std::string> elements_of(const Crystal& c) {
  std::set<std::string> s;
  for (const Site& site : c.sites) s.insert(site.element);
  return {s.begin(), s.end()};
}

}  // namespace xrdid::xrd
