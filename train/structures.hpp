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

// inputs: CIF files and folders (searched recursively), as xrd::collect_cifs.
StructureSet read_structures(const std::vector<std::string>& inputs);

}  // namespace xrdid::train
