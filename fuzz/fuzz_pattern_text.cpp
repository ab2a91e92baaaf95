// Column text patterns (.xy .xye .csv .txt .dat, RRUFF), and content sniffing for a file
// without a known extension; the input length picks the name so every path is reached.
#include "fuzz/fuzz_target.hpp"
#include "io/pattern_io.hpp"

XRDID_FUZZ_TARGET({
  static const char* const names[] = {"fuzz.xy", "fuzz.xye", "fuzz.csv", "fuzz.txt", "fuzz.dat", "fuzz"};
  xrdid::io::ReadReport report;
  (void)xrdid::io::read_pattern_buffer(names[size % 6], input, &report);
})
