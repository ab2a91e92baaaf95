// Which library phases cannot be in a powder measured at room temperature: molecular crystals of
// substances that are gases or liquids at 25 °C and 1 atm (solid O2, N2, CO, CO2, NH3, HN3,
// ice, the halogens Cl2 and Br2, mercury, the noble gases …). Such structures exist in the
// collections (low-temperature determinations, computed polymorphs) and, with a few strong
// lines, can match a stray peak; identification skips them unless asked (`--low-temperature`).
#pragma once
#include <string_view>

namespace xrdid::xrd {

// True when `formula` — a cell formula as the library records it ("C4 O8", "H16 N48", "O10"),
// any multiple of the compound's formula — is one of the substances above. Unknown or empty
// formulas are not.
bool fluid_at_room_temperature(std::string_view formula);

}  // namespace xrdid::xrd
