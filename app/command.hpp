// The `xrdid` subcommands (app/commands.def): each app/cmd_<name>.cpp declares its options on the
// CLI11 subcommand it is given and returns the function to run once parsing succeeded. A command
// file only parses options and calls library functions.
#pragma once
#include <exception>
#include <functional>
#include <string_view>

#include <CLI/CLI.hpp>

#include "app/finite.hpp"
#include "common/check.hpp"

namespace xrdid::cli {

using Runner = std::function<int()>;

#define XRDID_COMMAND(name, description) Runner setup_##name(CLI::App* sub);
#include "app/commands.def"
#undef XRDID_COMMAND

using xrdid::error_text;

}  // namespace xrdid::cli
