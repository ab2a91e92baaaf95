// The bundled library of common phases (see bundled_library.hpp).
#include "app/bundled_library.hpp"

#include <filesystem>
#include <system_error>
#include <vector>

#include "common/check.hpp"

#ifndef XRDID_PHASES_DIR
#define XRDID_PHASES_DIR "data/phases"
#endif

namespace xrdid::app {

namespace fs = std::filesystem;

namespace {
fs::path program_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : exe.parent_path();
}
}  // namespace

std::string bundled_phases_dir() {
  const fs::path dir = program_dir();
  if (!dir.empty()) {
    for (const fs::path& cand : {dir / "../data/phases", dir / "../share/xrdid/phases"})
      if (fs::is_directory(cand)) return fs::weakly_canonical(cand).string();
  }
  return XRDID_PHASES_DIR;
}

std::string bundled_library_path() {
  const fs::path dir = program_dir();
  if (dir.empty()) return {};
  for (const fs::path& cand : {dir / "share/xrdid/phases.xrdlib", dir / "../share/xrdid/phases.xrdlib"})
    if (fs::is_regular_file(cand)) return fs::weakly_canonical(cand).string();
  return {};
}

BundledLibrary load_bundled_library(std::ostream& log, int threads) {
  BundledLibrary b;
  b.path = bundled_library_path();
  if (!b.path.empty()) {
    b.library = xrd::load_library(b.path);
  } else {
    const std::string cifs = bundled_phases_dir();
    XRDID_CHECK(fs::is_directory(cifs),
                "no --library given and no bundled library: neither share/xrdid/phases.xrdlib beside the program "
                "nor the bundled CIFs (" + cifs + ") exist; give --library FILE (from `xrdid library build`)");
    log << "xrdid: note: no bundled library file beside the program; simulating the bundled phases of " << cifs
        << "\n";
    xrd::LibraryBuildOptions lo;
    lo.threads = threads;
    std::vector<xrd::LibrarySkip> skipped;
    b.library = xrd::build_library(xrd::collect_cifs({cifs}), lo, &skipped);
  }
  b.description = "bundled common phases (" + std::to_string(b.library.size()) + " entries)";
  return b;
}

}  // namespace xrdid::app
