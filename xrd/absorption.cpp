// Mass attenuation coefficients of the elements at the laboratory Kα lines (see absorption.hpp).
#include "xrd/absorption.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "xrd/elements.hpp"

namespace xrdid::xrd {
namespace {

struct Line {
  const char* name;
  double lambda;  // Å, weighted Kα as xrd/wavelengths.cpp names it
};
constexpr std::array<Line, 6> kLines{{{"CuKa", 1.54184},
                                      {"MoKa", 0.71073},
                                      {"CoKa", 1.79026},
                                      {"CrKa", 2.29100},
                                      {"FeKa", 1.93735},
                                      {"AgKa", 0.560885}}};

// Row z-1: μ/ρ (cm²/g) at the lines of kLines, in that order.
constexpr double kMuRho[kMaxZ][kLines.size()] = {
#include "xrd/mass_attenuation.inc"
};

int line_index(double lambda) {
  for (std::size_t k = 0; k < kLines.size(); ++k)
    if (std::abs(lambda / kLines[k].lambda - 1.0) < 0.005) return static_cast<int>(k);
  return -1;
}

}  // namespace

std::string attenuation_line(double lambda) {
  const int k = line_index(lambda);
  return k < 0 ? std::string() : std::string(kLines[static_cast<std::size_t>(k)].name);
}

std::string attenuation_lines_text() {
  std::string s;
  char buf[48];
  for (const Line& l : kLines) {
    std::snprintf(buf, sizeof buf, "%s%s %.5g Å", s.empty() ? "" : ", ", l.name, l.lambda);
    s += buf;
  }
  return s;
}

double element_mass_attenuation(int z, double lambda) {
  const int k = line_index(lambda);
  if (k < 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.5g Å", lambda);
    throw std::invalid_argument(std::string("no mass attenuation coefficients at ") + buf +
                                ": they are tabulated at " + attenuation_lines_text());
  }
  if (z < 1 || z > kMaxZ) throw std::invalid_argument("mass attenuation: atomic number out of range");
  return kMuRho[z - 1][k];
}

double mass_attenuation(const Crystal& c, double lambda) {
  double mass = 0, mu = 0;
  for (const Site& s : c.sites) {
    const double m = s.occ * atomic_mass(s.z);
    mass += m;
    mu += m * element_mass_attenuation(s.z, lambda);
  }
  if (!(mass > 0)) throw std::invalid_argument("mass attenuation: the crystal has no atoms");
  return mu / mass;
}

double linear_attenuation(const Crystal& c, double lambda, double volume_a3) {
  double rho = density_g_cm3(c);
  if (volume_a3 > 0) rho *= c.volume() / volume_a3;
  return rho * mass_attenuation(c, lambda);
}

}  // namespace xrdid::xrd
