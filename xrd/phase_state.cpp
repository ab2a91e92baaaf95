// Substances that are gases or liquids at 25 °C and 1 atm (phase_state.hpp).
#include "xrd/phase_state.hpp"

#include <set>
#include <string>

#include "xrd/library_groups.hpp"

namespace xrdid::xrd {

namespace {

// Gases and liquids at 25 °C, 1 atm (CRC Handbook of Chemistry and Physics, physical constants of
// inorganic compounds: melting points below 25 °C), as composition keys.
const std::set<std::string>& fluid_keys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> k;
    for (const char* f : {"H", "N", "O", "F", "Cl", "Br", "Hg", "He", "Ne", "Ar", "Kr", "Xe", "Rn",
                          "CO", "CO2", "CH4", "CS2", "NH3", "HN3", "N2H4", "H2O", "H2O2", "NO", "NO2", "N2O",
                          "HF", "HCl", "HBr", "H2S", "SO2", "Cl2O", "ClO2", "ClF", "ClF3", "SF6", "CCl4"})
      k.insert(composition_key(f));
    return k;
  }();
  return keys;
}

}  // namespace

bool fluid_at_room_temperature(std::string_view formula) {
  return fluid_keys().count(composition_key(std::string(formula))) > 0;
}

}  // namespace xrdid::xrd
