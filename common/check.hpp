// XRDID_CHECK(cond, msg): the one way every stage reports bad input or a broken invariant, as
// a std::runtime_error whose message starts with "xrdid: " (the program prints it as one line).
#pragma once
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#define XRDID_CHECK(cond, msg)                                                    \
  do {                                                                            \
    if (!(cond)) throw std::runtime_error(std::string("xrdid: ") + (msg));        \
  } while (0)

namespace xrdid {
// An exception's message for a one-line report ("xrdid: error: ...", the C API's last error),
// without the "xrdid: " that XRDID_CHECK's messages carry.
inline const char* error_text(const std::exception& e) {
  const char* w = e.what();
  return std::string_view(w).substr(0, 7) == "xrdid: " ? w + 7 : w;
}
}  // namespace xrdid
