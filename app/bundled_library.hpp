// The bundled library of common phases: the CIFs of data/phases, built into
// share/xrdid/phases.xrdlib beside the program at build time (app/CMakeLists.txt). It is the
// library of `xrdid identify` when no --library is given, and the demo's structures.
#pragma once
#include <ostream>
#include <string>

#include "xrd/library.hpp"

namespace xrdid::app {

// The folder of the bundled CIFs: <program>/../data/phases (build tree), <program>/../share/xrdid/phases
// (installed), else the source tree's data/phases.
std::string bundled_phases_dir();

// The bundled library file, when it exists: <program dir>/share/xrdid/phases.xrdlib (build tree)
// or <program dir>/../share/xrdid/phases.xrdlib (installed); empty otherwise.
std::string bundled_library_path();

struct BundledLibrary {
  xrd::Library library;
  std::string path;         // the file it was read from (empty when built here and now)
  std::string description;  // e.g. "bundled common phases (64 entries)"
};

// The bundled library: read from bundled_library_path(), or, without that file, simulated from
// bundled_phases_dir() (a note on `log`). Throws with a clear message when neither exists.
BundledLibrary load_bundled_library(std::ostream& log, int threads = 0);

}  // namespace xrdid::app
