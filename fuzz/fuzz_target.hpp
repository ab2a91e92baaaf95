// Shared by the fuzz targets: each target feeds the input to one reader; the reader may accept
// it or refuse it with an exception derived from std::exception (its one clear error). Anything
// else (a crash, a sanitizer report, a leak, another exception type) is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#define XRDID_FUZZ_TARGET(...)                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    const std::string input(reinterpret_cast<const char*>(data), size);            \
    try {                                                                          \
      __VA_ARGS__                                                                  \
    } catch (const std::exception&) {                                              \
    }                                                                              \
    return 0;                                                                      \
  }
