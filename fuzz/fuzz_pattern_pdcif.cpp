// Powder CIF (pdCIF, through gemmi's CIF parser).
#include "fuzz/fuzz_target.hpp"
#include "io/pattern_io.hpp"

XRDID_FUZZ_TARGET({
  xrdid::io::ReadReport report;
  (void)xrdid::io::read_pattern_buffer("fuzz.cif", input, &report);
})
