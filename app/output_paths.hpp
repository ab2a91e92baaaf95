// Checks on a command's output paths made before its work starts (app/cmd_*.cpp): the folder
// exists and can be written (common/atomic_file.hpp), and no output names an input file.
#pragma once
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "xrd/library.hpp"

namespace xrdid::cli {

// The files a list of CIF inputs names: files given directly, and every *.cif under the folders.
inline std::vector<std::string> input_files(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (auto& [path, id] : xrd::collect_cifs(inputs)) files.push_back(path);
  return files;
}

}  // namespace xrdid::cli
