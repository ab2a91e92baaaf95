// A CLI11 check that a number given on the command line is finite: CLI11's Range,
// PositiveNumber and NonNegativeNumber compare with < and >, which "nan" passes. Every numeric
// option's check goes through it first (`->check(xrdid::cli::kFinite)->check(CLI::Range(…))`).
#pragma once
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace xrdid::cli {

inline const CLI::Validator kFinite(
    [](std::string& s) -> std::string {
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (end == s.c_str()) return {};  // not a number at all: the option's conversion says so
      return std::isfinite(v) ? std::string() : "Value " + s + " is not a finite number";
    },
    "FINITE");

}  // namespace xrdid::cli
