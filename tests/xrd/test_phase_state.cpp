// Substances that cannot be a crystalline phase of a powder at room temperature.
#include <doctest/doctest.h>

#include "xrd/phase_state.hpp"

using xrdid::xrd::fluid_at_room_temperature;

TEST_CASE("gases and liquids at room temperature, as any multiple of their formula") {
  for (const char* f : {"O10", "O1", "O2", "N4", "N48", "C4 O4", "C24 O48", "CO2", "H16 N48", "H3 N", "N H3",
                        "H2 O", "H16 O8", "Xe", "Ar4", "Hg", "Br8", "Cl4", "N4 O8", "S1 O2", "C1 H4", "F6 S"})
    CHECK_MESSAGE(fluid_at_room_temperature(f), f);
}

TEST_CASE("solids, partial occupancy and unreadable formulas are not") {
  for (const char* f : {"Li4 F4", "C8", "C48 O36", "C122 O4", "Al8 O24", "B4 O12", "H4 N2 O3", "Hg4 O4", "Hg S",
                        "Na2 O", "Li1 Si6 O12", "H4 N Cl", "O2.5 N", "", "   ", "o2", "C4 O4x", "O0"})
    CHECK_MESSAGE(!fluid_at_room_temperature(f), f);
}
