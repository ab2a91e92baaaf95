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
}  // namespace

StructureSet read_structures(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> cifs;
  if (inputs.size() == 1 && is_library_file(inputs[0])) {
    const xrd::Library lib = xrd::load_library(inputs[0], false);
    for (std::size_t i = 0; i < lib.size(); ++i) cifs.emplace_back(xrd::entry_cif_path(lib, i, inputs[0]), lib.entries[i].id);
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
