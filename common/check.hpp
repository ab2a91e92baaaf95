// XRDID_CHECK(cond, msg): the one way every stage reports bad input or a broken invariant, as
// a std::runtime_error whose message starts with "xrdid: " (the program prints it as one line).
#pragma once
#include <stdexcept>
#include <string>

#define XRDID_CHECK(cond, msg)                                                    \
  do {                                                                            \
    if (!(cond)) throw std::runtime_error(std::string("xrdid: ") + (msg));        \
  } while (0)
