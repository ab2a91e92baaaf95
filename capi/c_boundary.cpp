#include "capi/c_boundary.hpp"

#include <cstdio>

#include <xrdid/xrdid.h>

namespace xrdid::capi {
namespace {
thread_local std::string last_error;
}

void set_last_error(std::string message) { last_error = std::move(message); }
void clear_last_error() { last_error.clear(); }

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace xrdid::capi

extern "C" const char* xrdid_last_error(void) { return xrdid::capi::last_error.c_str(); }
