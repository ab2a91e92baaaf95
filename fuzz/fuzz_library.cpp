// xrdid library files: 128-byte header, JSON metadata, pattern block.
#include <sstream>

#include "fuzz/fuzz_target.hpp"
#include "xrd/library.hpp"

XRDID_FUZZ_TARGET({
  std::istringstream in(input, std::ios::binary);
  const xrdid::xrd::Library lib = xrdid::xrd::load_library(in, "fuzz.xrdlib", true);
  if (lib.size()) (void)lib.pattern(lib.size() - 1)[lib.n_points ? lib.n_points - 1 : 0];
})
