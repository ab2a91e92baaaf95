// The `xrdid` subcommands (app/commands.def): each app/cmd_<name>.cpp declares its options on the
// CLI11 subcommand it is given and returns the function to run once parsing succeeded. A command
// file only parses options and calls library functions.
#pragma once
#include <exception>
#include <functional>
#include <string_view>

#include <CLI/CLI.hpp>

namespace xrdid::cli {

using Runner = std::function<int()>;

#define XRDID_COMMAND(name, description) Runner setup_##name(CLI::App* sub);
#include "app/commands.def"
#undef XRDID_COMMAND

// An exception's message for the one-line "xrdid: error: ..." report, without the "xrdid: "
// that library errors (XRDID_CHECK) already carry.
inline const char* error_text(const std::exception& e) {
  const char* w = e.what();
  return std::string_view(w).substr(0, 7) == "xrdid: " ? w + 7 : w;
}

}  // namespace xrdid::cli
