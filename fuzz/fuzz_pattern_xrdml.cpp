// PANalytical .xrdml (XML through pugixml).
#include "fuzz/fuzz_target.hpp"
#include "io/pattern_io.hpp"

XRDID_FUZZ_TARGET({
  xrdid::io::ReadReport report;
  (void)xrdid::io::read_pattern_buffer("fuzz.xrdml", input, &report);
})
