// Dropout seeds of the training step, derived from common/random.hpp's counter-based stream so
// the CPU ops and the CUDA kernels draw identical masks.
#pragma once
#include <cstdint>

#include "common/random.hpp"

namespace xrdid::nn::ops {

using common::hash_bits;
using common::mix64;
using common::uniform;

// Dropout seed of the `counter`-th dropout site of a step whose base seed is `base`
// (ForwardCtx::next_seed; the CUDA kernels derive the same seed on the device from a base seed
// held in device memory, so a captured CUDA graph draws new masks at every replay).
XRDID_HD std::uint64_t step_seed(std::uint64_t base, std::uint64_t counter) {
  return base * 0x9E3779B97F4A7C15ull + counter * 0xBF58476D1CE4E5B9ull;
}

// A dropout seed as the planned executor passes it: the fixed `value` (base == nullptr), or
// step_seed(*base, value), the base read from memory at run time (a CUDA graph replays with
// the base seed its host rewrote; value is then the site's counter).
struct SeedArg {
  const std::uint64_t* base = nullptr;
  std::uint64_t value = 0;
};
XRDID_HD std::uint64_t resolve(SeedArg a) { return a.base ? step_seed(*a.base, a.value) : a.value; }

}  // namespace xrdid::nn::ops
