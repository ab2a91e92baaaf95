// Reads many CIFs for training: every readable structure, and the refused ones with reasons.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "xrd/crystal.hpp"

namespace xrdid::train {

struct StructureSet {
  std::vector<xrd::Crystal> crystals;
  std::vector<std::pair<std::string, std::string>> refused;  // (path, reason)
};

// inputs: CIF files and folders (searched recursively), as xrd::collect_cifs, or one library
// file from `xrdid library build` (its entries' CIFs are read again from their source paths,
// since training draws new Debye-Waller factors for every copy).
StructureSet read_structures(const std::vector<std::string>& inputs);

}  // namespace xrdid::train
