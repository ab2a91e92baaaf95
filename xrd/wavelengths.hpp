// X-ray wavelengths by name ("CuKa", "MoKa1", the Cu Kα1+Kα2 doublet, …) or as a number in Å.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "xrd/pattern.hpp"

namespace xrdid::xrd {

// "CuKa" → {1.54184}; "CuKa12" / "CuKa1+Ka2" / "CuKa-doublet" → {1.540598, 1.544426, 0.5};
// "1.5406" → {1.5406}. Names are case-insensitive. Throws std::invalid_argument for
// unknown names or non-positive numbers. Values: pymatgen WAVELENGTHS (2022.11.7), except
// CuKa1/CuKa2, which use Hölzer et al., Phys. Rev. A 56, 4554 (1997): 1.540598 / 1.544426 Å.
Wavelength parse_wavelength(std::string_view text);
// The recognised names, for help texts.
std::vector<std::string> wavelength_names();

}  // namespace xrdid::xrd
