// Division by a divisor fixed at launch, for the index arithmetic of the elementwise kernels
// (element i of an (N, C, L) tensor lies in row i / L, channel (i / L) % C): one multiply-high,
// one add and one shift instead of a 64-bit division per element. Granlund & Montgomery,
// "Division by invariant integers using multiplication", PLDI 1994: for a divisor 1 <= d < 2^31,
// s = ceil(log2 d) and m = floor(2^32 (2^s - d) / d) + 1, every numerator n < 2^32 has
// n / d = (umulhi(n, m) + n) >> s, the sum taken in 64 bits.
//
// Numerators are 32-bit: launch functions refuse a tensor of 2^32 values or more (16 GiB of
// floats) with a clear error (`check_u32`).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/host_device.hpp"

namespace xrdid::cuda {

struct FastDiv {
  std::uint32_t d = 1, m = 1;
  std::uint32_t s = 0;

  FastDiv() = default;
  explicit FastDiv(std::int64_t divisor) {
    if (divisor < 1 || divisor >= (std::int64_t{1} << 31))
      throw std::invalid_argument("xrdid::cuda FastDiv: divisor outside [1, 2^31)");
    d = static_cast<std::uint32_t>(divisor);
    while ((std::uint64_t{1} << s) < d) ++s;
    m = static_cast<std::uint32_t>(((std::uint64_t{1} << 32) * ((std::uint64_t{1} << s) - d)) / d + 1);
  }

  XRDID_HD std::uint32_t div(std::uint32_t n) const {
#if defined(__CUDA_ARCH__)
    const std::uint64_t hi = __umulhi(n, m);
#else
    const std::uint64_t hi = (static_cast<std::uint64_t>(n) * m) >> 32;
#endif
    return static_cast<std::uint32_t>((hi + n) >> s);
  }
  // n - d * (n / d)
  XRDID_HD std::uint32_t mod(std::uint32_t n) const { return n - d * div(n); }
};

// Every index of a tensor of `count` values fits the 32-bit fast path, or std::invalid_argument.
inline void check_u32(std::int64_t count, const char* who) {
  if (count < 0 || count > std::int64_t{0xffffffff})
    throw std::invalid_argument(std::string("xrdid::cuda ") + who + ": " + std::to_string(count) +
                                " values in one tensor; at most 2^32 - 1");
}

}  // namespace xrdid::cuda
