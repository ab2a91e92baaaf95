// CIF text → gemmi → xrdid Crystal (symmetry expansion and site merging included).
#include "fuzz/fuzz_target.hpp"
#include "xrd/cif_reader.hpp"

XRDID_FUZZ_TARGET({
  const xrdid::xrd::Crystal c = xrdid::xrd::read_cif_string(input, "fuzz.cif");
  (void)c.volume();
})
