// Element symbols, atomic numbers, electronegativities and the 4-Gaussian X-ray scattering
// factors used by pymatgen's XRDCalculator (H…Cf; D maps to H).
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace xrdid::xrd {

constexpr int kMaxZ = 98;  // the scattering table covers Z = 1 (H) … 98 (Cf)

// Atomic number of an element symbol ("Fe", case-sensitive; "D" → 1), 0 if unknown.
int atomic_number(std::string_view symbol);
// Symbol for Z in 1..kMaxZ; throws std::out_of_range otherwise.
std::string_view element_symbol(int z);
// Pauling electronegativity (NaN for noble gases without one), as in pymatgen's Element.X.
double electronegativity(int z);
// Standard atomic weight in g/mol (NaN outside 1..kMaxZ).
double atomic_mass(int z);
// Volume per atom (Å³) of the element as its own solid at room temperature (from its molar
// volume, xrd/atomic_volume.inc); 0 where unknown (At, Fr) or outside 1..kMaxZ.
double atomic_volume(int z);

// (a_i, b_i) pairs, a in Å and b in Å², of pymatgen's atomic_scattering_params.json.
struct ScatteringCoeffs {
  std::array<double, 4> a{};
  std::array<double, 4> b{};
};
const ScatteringCoeffs& scattering_coeffs(int z);

// X-ray atomic scattering factor at s² = (sinθ/λ)², in electrons:
// f(s) = Z − 41.78214 · s² · Σ a_i exp(−b_i s²)  (Mott–Bethe form of a 4-Gaussian
// electron-scattering fit; 41.78214 = 8π²a₀; docs/method.md §3.2, De Graef & McHenry ch. 12).
double scattering_factor(int z, double s2);

// Element symbol from a CIF type symbol or label: "Fe3+" → "Fe", "O2-" → "O", "CA1" → "Ca",
// "D" → "H", "Ow" → "O", "Wat10" → "O" (water, as pymatgen reads it). Two leading letters
// are tried first (title-cased), then one. Returns "" if no element can be read.
std::string parse_element_symbol(std::string_view text);

// "li,O" → {"Li", "O"}: symbols in any case, separated by commas or spaces; an unknown symbol is
// an error naming `what` (the option or field it came from).
std::vector<std::string> parse_element_list(std::string_view text, const std::string& what);

}  // namespace xrdid::xrd
