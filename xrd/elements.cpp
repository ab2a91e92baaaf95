// Element table (symbols, Z, electronegativity, atomic weight) and pymatgen's 4-Gaussian scattering factors.
#include "xrd/elements.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/check.hpp"

namespace xrdid::xrd {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct ElementRow {
  const char* symbol;
  double ab[8];  // a1, b1, a2, b2, a3, b3, a4, b4
  double x;      // Pauling electronegativity
};

// Index z-1. Generated data: see the header of scattering_table.inc.
constexpr ElementRow kRows[kMaxZ] = {
#include "xrd/scattering_table.inc"
};

const std::array<ScatteringCoeffs, kMaxZ + 1>& coeff_table() {
  static const std::array<ScatteringCoeffs, kMaxZ + 1> t = [] {
    std::array<ScatteringCoeffs, kMaxZ + 1> out{};
    for (int z = 1; z <= kMaxZ; ++z)
      for (int i = 0; i < 4; ++i) {
        out[z].a[i] = kRows[z - 1].ab[2 * i];
        out[z].b[i] = kRows[z - 1].ab[2 * i + 1];
      }
    return out;
  }();
  return t;
}

// Standard atomic weights (IUPAC, abridged to 5 significant digits; the mass number of the
// longest-lived isotope for elements without a stable one), index z-1.
constexpr double kMass[kMaxZ] = {
    1.008, 4.0026, 6.94, 9.0122, 10.81, 12.011, 14.007, 15.999, 18.998, 20.18,
    22.99, 24.305, 26.982, 28.085, 30.974, 32.06, 35.45, 39.948, 39.098, 40.078,
    44.956, 47.867, 50.942, 51.996, 54.938, 55.845, 58.933, 58.693, 63.546, 65.38,
    69.723, 72.63, 74.922, 78.971, 79.904, 83.798, 85.468, 87.62, 88.906, 91.224,
    92.906, 95.95, 98.0, 101.07, 102.91, 106.42, 107.87, 112.41, 114.82, 118.71,
    121.76, 127.6, 126.9, 131.29, 132.91, 137.33, 138.91, 140.12, 140.91, 144.24,
    145.0, 150.36, 151.96, 157.25, 158.93, 162.5, 164.93, 167.26, 168.93, 173.05,
    174.97, 178.49, 180.95, 183.84, 186.21, 190.23, 192.22, 195.08, 196.97, 200.59,
    204.38, 207.2, 208.98, 209.0, 210.0, 222.0, 223.0, 226.0, 227.0, 232.04,
    231.04, 238.03, 237.0, 244.0, 243.0, 247.0, 247.0, 251.0,
};

constexpr double kVolume[kMaxZ] = {
#include "xrd/atomic_volume.inc"
};

}  // namespace

double atomic_volume(int z) { return z < 1 || z > kMaxZ ? 0.0 : kVolume[z - 1]; }

double atomic_mass(int z) {
  if (z < 1 || z > kMaxZ) return kNaN;
  return kMass[z - 1];
}

int atomic_number(std::string_view symbol) {
  if (symbol == "D") return 1;
  for (int z = 1; z <= kMaxZ; ++z)
    if (symbol == kRows[z - 1].symbol) return z;
  return 0;
}

std::string_view element_symbol(int z) {
  if (z < 1 || z > kMaxZ) throw std::out_of_range("element_symbol: Z out of range: " + std::to_string(z));
  return kRows[z - 1].symbol;
}

double electronegativity(int z) {
  if (z < 1 || z > kMaxZ) return kNaN;
  return kRows[z - 1].x;
}

const ScatteringCoeffs& scattering_coeffs(int z) {
  if (z < 1 || z > kMaxZ)
    throw std::out_of_range("scattering_coeffs: no scattering factors for Z = " + std::to_string(z));
  return coeff_table()[z];
}

double scattering_factor(int z, double s2) {
  const ScatteringCoeffs& c = scattering_coeffs(z);
  double sum = 0.0;
  for (int i = 0; i < 4; ++i) sum += c.a[i] * std::exp(-c.b[i] * s2);
  return z - 41.78214 * s2 * sum;
}

std::string parse_element_symbol(std::string_view text) {
  // Whole-token aliases used in CIFs for water / hydroxyl pseudo-atoms (as pymatgen reads them).
  if (text == "Hw") return "H";
  if (text == "Ow") return "O";
  // "Wat", "Wat10", "wat3": water oxygens (not tungsten).
  if ((text.substr(0, 3) == "Wat" || text.substr(0, 3) == "wat") &&
      (text.size() == 3 || !std::isalpha(static_cast<unsigned char>(text[3]))))
    return "O";
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return "";
  std::string two;
  two += static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  if (text.size() > 1 && std::isalpha(static_cast<unsigned char>(text[1]))) {
    two += static_cast<char>(std::tolower(static_cast<unsigned char>(text[1])));
    if (atomic_number(two) > 0 && two != "D") return two;
  }
  std::string one(1, two[0]);
  if (one == "D") return "H";
  if (atomic_number(one) > 0) return one;
  return "";
}

std::vector<std::string> parse_element_list(std::string_view text, const std::string& what) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (cur.empty()) return;
    XRDID_CHECK(atomic_number(cur) > 0, what + ": unknown element '" + cur + "'");
    out.push_back(cur);
    cur.clear();
  };
  for (char c : text) {
    if (c == ',' || c == ' ') {
      flush();
      continue;
    }
    cur += static_cast<char>(cur.empty() ? std::toupper(static_cast<unsigned char>(c))
                                         : std::tolower(static_cast<unsigned char>(c)));
  }
  flush();
  return out;
}

}  // namespace xrdid::xrd
