// Parallel CIF reading with a list of refusals.
#include "train/structures.hpp"

#include <exception>

#include "xrd/cif_reader.hpp"
#include "xrd/library.hpp"

namespace xrdid::train {

StructureSet read_structures(const std::vector<std::string>& inputs) {
  auto cifs = xrd::collect_cifs(inputs);
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
