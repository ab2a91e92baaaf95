// The development data folder (real CIFs under cif/, measured patterns under measured/), named by
// the environment variable XRDID_DATA. Tests that read it skip cleanly when it is unset or absent.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace xrdid::testing {

// XRDID_DATA/sub when XRDID_DATA is set and that folder exists; nullopt otherwise.
inline std::optional<std::filesystem::path> data_dir(const std::string& sub) {
  const char* root = std::getenv("XRDID_DATA");
  if (root == nullptr || *root == '\0') return std::nullopt;
  std::filesystem::path p = std::filesystem::path(root) / sub;
  std::error_code ec;
  if (!std::filesystem::is_directory(p, ec)) return std::nullopt;
  return p;
}

}  // namespace xrdid::testing
