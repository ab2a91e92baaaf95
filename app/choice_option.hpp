// A command-line option that takes one name of an enumeration's name table (common/named_enum.hpp)
// and stores the enumerator: the CLI parses the name once, with the table's names in the help
// text, the default and the error message.
#pragma once
#include <array>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "common/named_enum.hpp"

namespace xrdid::cli {

// The validator that turns a name of `names` into its enumerator's value (CLI11 then stores it
// in the enum target); `what` names the choice in the error message.
template <std::size_t N>
CLI::Validator choice_of(std::string what, const std::array<std::string_view, N>& names) {
  std::string desc = "{";
  for (std::string_view n : names) desc += (desc.size() > 1 ? "|" : "") + std::string(n);
  desc += "}";
  return CLI::Validator(
      [what, names](std::string& s) -> std::string {
        for (std::size_t i = 0; i < N; ++i)
          if (names[i] == s) {
            s = std::to_string(i);
            return {};
          }
        return "unknown " + what + " '" + s + "' (" + name_list(names) + ")";
      },
      desc);
}

// --flag NAME into `target` (an enumeration, or a vector of one for a repeatable option).
template <class Target, std::size_t N>
CLI::Option* add_choice(CLI::App* sub, const std::string& flag, Target& target, const std::string& what,
                        const std::array<std::string_view, N>& names, const std::string& help) {
  return sub->add_option(flag, target, help)->transform(choice_of(what, names));
}

}  // namespace xrdid::cli
