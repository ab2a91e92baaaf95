// The C boundary of libxrdid: every entry point runs its body through `guarded`, which turns any
// C++ exception into the failure value and this thread's last error (xrdid_last_error), so that
// no exception crosses into C. Argument checks throw like the rest of xrdid (XRDID_CHECK).
#pragma once
#include <exception>
#include <string>
#include <utility>

#include "common/check.hpp"

namespace xrdid::capi {

void set_last_error(std::string message);
void clear_last_error();

template <class R, class F>
R guarded(R failure, F&& body) noexcept {
  try {
    clear_last_error();
    return std::forward<F>(body)();
  } catch (const std::exception& e) {
    set_last_error(error_text(e));
  } catch (...) {
    set_last_error("unknown error");
  }
  return failure;
}

// A number for a message: as short as it can be and exact enough ("1.5406", "nan", "-1").
std::string number_text(double v);

// Copies s into a fixed char array, cut to fit, always NUL-terminated.
template <std::size_t N>
void copy_text(char (&dst)[N], const std::string& s) {
  const std::size_t n = s.size() < N - 1 ? s.size() : N - 1;
  s.copy(dst, n);
  dst[n] = '\0';
}

}  // namespace xrdid::capi
