// Registry of `xrdid` subcommands. Each train/cli/cmd_*.cpp adds itself with a static
// Registrar; main() builds the CLI11 app from the registry. A subcommand file only parses
// options and calls library functions.
#pragma once
#include <exception>
#include <string_view>
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace xrdid::cli {

struct Command {
  std::string name;
  // Adds the subcommand to `app`; returns the function to run once parsing succeeded.
  std::function<std::function<int()>(CLI::App& app)> setup;
};

std::vector<Command>& commands();

struct Registrar {
  explicit Registrar(Command c) { commands().push_back(std::move(c)); }
};

// An exception's message for the one-line "xrdid: error: ..." report, without the "xrdid: "
// that library errors (XRDID_CHECK) already carry.
inline const char* error_text(const std::exception& e) {
  const char* w = e.what();
  return std::string_view(w).substr(0, 7) == "xrdid: " ? w + 7 : w;
}

}  // namespace xrdid::cli
