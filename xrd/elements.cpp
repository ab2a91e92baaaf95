// Element table (symbols, Z, electronegativity) and pymatgen's 4-Gaussian scattering factors.
#include "xrd/elements.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

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

}  // namespace

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

}  // namespace xrdid::xrd
