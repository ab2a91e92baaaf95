// The development data folder (real CIFs under cif/, measured patterns under measured/), named by
// the environment variable XRDID_DATA. Tests that read it skip cleanly when it is unset or absent.
#pragma once
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace xrdid::testing {

// XRDID_DATA/sub when XRDID_DATA is set and that folder exists; otherwise nullopt, and the test
// log says the test was skipped.
inline std::optional<std::filesystem::path> data_dir(const std::string& sub) {
  const char* root = std::getenv("XRDID_DATA");
  std::error_code ec;
  if (root != nullptr && *root != '\0' && std::filesystem::is_directory(std::filesystem::path(root) / sub, ec))
    return std::filesystem::path(root) / sub;
  MESSAGE("skipped: XRDID_DATA/" << sub << " is absent");
  return std::nullopt;
}

}  // namespace xrdid::testing
