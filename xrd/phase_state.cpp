// Substances that are gases or liquids at 25 °C and 1 atm (phase_state.hpp).
#include "xrd/phase_state.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <vector>

namespace xrdid::xrd {

namespace {

using Composition = std::map<std::string, long>;  // element -> atoms, reduced by the common factor

// "C4 O8" or "CO2" -> {C: 1, O: 2}; empty when the text is not a plain formula with integer counts.
Composition reduced_composition(std::string_view f) {
  Composition c;
  std::size_t i = 0;
  while (i < f.size()) {
    if (std::isspace(static_cast<unsigned char>(f[i]))) {
      ++i;
      continue;
    }
    if (!std::isupper(static_cast<unsigned char>(f[i]))) return {};
    std::string el(1, f[i++]);
    while (i < f.size() && std::islower(static_cast<unsigned char>(f[i]))) el += f[i++];
    long n = 0;
    bool digits = false;
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) {
      n = n * 10 + (f[i++] - '0');
      digits = true;
      if (n > 1000000) return {};
    }
    if (i < f.size() && f[i] == '.') return {};  // a fractional count: a partially occupied site, not a molecule
    c[el] += digits ? n : 1;
  }
  long g = 0;
  for (const auto& [el, n] : c) g = std::gcd(g, n);
  if (g <= 0) return {};
  for (auto& [el, n] : c) n /= g;
  return c;
}

// Gases and liquids at 25 °C, 1 atm, as reduced compositions (CRC Handbook of Chemistry and
// Physics, physical constants of inorganic compounds: melting points below 25 °C).
const std::vector<Composition>& fluids() {
  static const std::vector<Composition> list = {
      {{"H", 1}}, {{"N", 1}}, {{"O", 1}}, {{"F", 1}}, {{"Cl", 1}}, {{"Br", 1}}, {{"Hg", 1}},
      {{"He", 1}}, {{"Ne", 1}}, {{"Ar", 1}}, {{"Kr", 1}}, {{"Xe", 1}}, {{"Rn", 1}},
      {{"C", 1}, {"O", 1}},             // CO
      {{"C", 1}, {"O", 2}},             // CO2
      {{"C", 1}, {"H", 4}},             // CH4
      {{"C", 1}, {"S", 2}},             // CS2
      {{"H", 3}, {"N", 1}},             // NH3
      {{"H", 1}, {"N", 3}},             // HN3
      {{"H", 2}, {"N", 1}},             // N2H4
      {{"H", 2}, {"O", 1}},             // H2O
      {{"H", 1}, {"O", 1}},             // H2O2
      {{"N", 1}, {"O", 1}},             // NO
      {{"N", 1}, {"O", 2}},             // NO2 / N2O4
      {{"N", 2}, {"O", 1}},             // N2O
      {{"H", 1}, {"F", 1}},             // HF
      {{"H", 1}, {"Cl", 1}},            // HCl
      {{"H", 1}, {"Br", 1}},            // HBr
      {{"H", 2}, {"S", 1}},             // H2S
      {{"O", 2}, {"S", 1}},             // SO2
      {{"Cl", 2}, {"O", 1}},            // Cl2O
      {{"Cl", 1}, {"O", 2}},            // ClO2
      {{"Cl", 1}, {"F", 1}},            // ClF
      {{"Cl", 1}, {"F", 3}},            // ClF3
      {{"F", 6}, {"S", 1}},             // SF6
      {{"Cl", 4}, {"C", 1}},            // CCl4
  };
  return list;
}

}  // namespace

bool fluid_at_room_temperature(std::string_view formula) {
  const Composition c = reduced_composition(formula);
  if (c.empty()) return false;
  const auto& f = fluids();
  return std::find(f.begin(), f.end(), c) != f.end();
}

}  // namespace xrdid::xrd
