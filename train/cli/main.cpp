// `xrdid`: the command-line program. Errors become one line on stderr and a non-zero exit.
#include <algorithm>
#include <cstdio>
#include <exception>

#include "train/cli/registry.hpp"

namespace xrdid::cli {
std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}
}  // namespace xrdid::cli

int main(int argc, char** argv) {
  CLI::App app{"xrdid: identify crystalline phases from powder X-ray diffraction patterns"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "xrdid 0.1.0");
  auto& cmds = xrdid::cli::commands();
  std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.name < b.name; });
  std::vector<std::pair<std::string, std::function<int()>>> runners;
  for (auto& c : cmds) runners.emplace_back(c.name, c.setup(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [name, fn] : runners)
      if (app.got_subcommand(name)) return fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xrdid: error: %s\n", xrdid::cli::error_text(e));
    return 1;
  }
  return 2;
}
