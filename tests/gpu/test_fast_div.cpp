// FastDiv (kernels/fast_div.hpp): the multiply-high division of the elementwise kernels' index
// arithmetic equals integer division for every divisor shape and the numerators at the edges.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/fast_div.hpp"

using xrdid::cuda::FastDiv;

TEST_CASE("FastDiv: n / d and n % d exactly, for numerators up to 2^32 - 1") {
  std::vector<std::int64_t> divisors{1, 2, 3, 5, 7, 24, 47, 94, 188, 375, 750, 1500, 3000, 6000, 8172,
                                     (1LL << 31) - 1, (1LL << 30) + 1, 641, 6700417};
  for (int k = 1; k < 31; ++k)
    for (std::int64_t e : {-1, 0, 1}) divisors.push_back((1LL << k) + e);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) divisors.push_back(1 + static_cast<std::int64_t>(rng() % ((1ULL << 31) - 1)));
  std::uint64_t checked = 0, wrong = 0;
  for (std::int64_t d64 : divisors) {
    if (d64 < 1) continue;
    const FastDiv f(d64);
    const std::uint64_t d = static_cast<std::uint64_t>(d64);
    std::vector<std::uint64_t> ns{0, 1, d - 1, d, d + 1, 2 * d - 1, 2 * d, 0xffffffffULL, 0xfffffffeULL, 0x80000000ULL,
                                  0x7fffffffULL};
    const std::uint64_t qmax = 0xffffffffULL / d;
    for (std::uint64_t q : {qmax, qmax - 1, qmax / 2})
      for (std::uint64_t r : {std::uint64_t{0}, d - 1}) ns.push_back(q * d + r);
    for (int i = 0; i < 2000; ++i) ns.push_back(rng() & 0xffffffffULL);
    for (std::uint64_t n : ns) {
      if (n > 0xffffffffULL) continue;
      const auto n32 = static_cast<std::uint32_t>(n);
      ++checked;
      if (f.div(n32) != n / d || f.mod(n32) != n % d) {
        if (++wrong <= 5) FAIL_CHECK("d " << d << " n " << n << ": " << f.div(n32) << " vs " << n / d);
      }
    }
  }
  CHECK(checked > 400000);
  CHECK(wrong == 0);
  CHECK_THROWS(FastDiv(0));
  CHECK_THROWS(FastDiv(1LL << 31));
  CHECK_THROWS(xrdid::cuda::check_u32(1LL << 32, "test"));
  CHECK_NOTHROW(xrdid::cuda::check_u32((1LL << 32) - 1, "test"));
}
