// `xrdid`: the command-line program. One subcommand per line of app/commands.def; errors become
// one line on stderr and a non-zero exit.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <utility>
#include <vector>

#include "app/command.hpp"
#include "nn/cpu_path.hpp"

int main(int argc, char** argv) {
  CLI::App app{"xrdid: identify crystalline phases from powder X-ray diffraction patterns"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "xrdid 0.1.0");
  std::vector<std::pair<CLI::App*, xrdid::cli::Runner>> commands;
#define XRDID_COMMAND(name, description)                          \
  {                                                               \
    CLI::App* sub = app.add_subcommand(#name, description);       \
    commands.emplace_back(sub, xrdid::cli::setup_##name(sub));    \
  }
#include "app/commands.def"
#undef XRDID_COMMAND
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  int rc = 2;
  try {
    xrdid::nn::cpu_path();  // an XRDID_CPU this CPU cannot run is one error line, before any work
    for (auto& [sub, run] : commands)
      if (sub->parsed()) {
        rc = run();
        break;
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xrdid: error: %s\n", xrdid::cli::error_text(e));
    return 1;
  }
  // Output that did not reach its destination (a full disk, a closed pipe) is an error, not a
  // silent success.
  std::cout.flush();
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout) {
    std::fprintf(stderr, "xrdid: error: cannot write the standard output (%s)\n",
                 errno ? std::strerror(errno) : "write error");
    return 1;
  }
  return rc;
}
