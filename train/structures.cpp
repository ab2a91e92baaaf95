// Parallel CIF reading with a list of refusals.
#include "train/structures.hpp"

#include <exception>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "xrd/cif_reader.hpp"
#include "xrd/library.hpp"

namespace xrdid::train {

namespace {
bool is_library_file(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_regular_file(path) || fs::path(path).extension() == ".cif") return false;
  try {
    xrd::load_library(path, false);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}
// A library entry's CIF path: as recorded when it exists from here; else relative to the
// directory the library was built from, or to the library file's own directory.
std::string resolve_source(const std::string& source, const std::filesystem::path& lib_dir, const std::string& build_dir) {
  namespace fs = std::filesystem;
  const fs::path p(source);
  if (p.is_absolute() || fs::exists(p)) return source;
  for (const fs::path& base : {fs::path(build_dir), lib_dir}) {
    if (base.empty()) continue;
    std::error_code ec;
    if (fs::exists(base / p, ec)) return (base / p).lexically_normal().string();
  }
  return source;  // reported as unreadable with the path the user knows
}
}  // namespace

StructureSet read_structures(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> cifs;
  if (inputs.size() == 1 && is_library_file(inputs[0])) {
    const xrd::Library lib = xrd::load_library(inputs[0], false);
    std::string build_dir;
    try {
      build_dir = nlohmann::json::parse(lib.settings_json).value("build_dir", "");
    } catch (const std::exception&) {
    }
    const fs::path lib_dir = fs::path(inputs[0]).parent_path();
    for (auto& e : lib.entries) cifs.emplace_back(resolve_source(e.source, lib_dir, build_dir), e.id);
  } else {
    cifs = xrd::collect_cifs(inputs);
  }
  std::vector<xrd::Crystal> c(cifs.size());
  std::vector<std::string> err(cifs.size());
#pragma omp parallel for schedule(dynamic)
  for (std::size_t i = 0; i < cifs.size(); ++i) {
    try {
      c[i] = xrd::read_cif(cifs[i].first);
    } catch (const std::exception& e) {
      err[i] = e.what();
    }
  }
  StructureSet s;
  for (std::size_t i = 0; i < cifs.size(); ++i) {
    if (err[i].empty()) s.crystals.push_back(std::move(c[i]));
    else s.refused.emplace_back(cifs[i].first, err[i]);
  }
  return s;
}

}  // namespace xrdid::train
