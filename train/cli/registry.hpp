// Registry of `xrdid` subcommands. Each train/cli/cmd_*.cpp adds itself with a static
// Registrar; main() builds the CLI11 app from the registry. A subcommand file only parses
// options and calls library functions.
#pragma once
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

}  // namespace xrdid::cli
