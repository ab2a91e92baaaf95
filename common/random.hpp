// Counter-based random numbers: a pure function of (seed, index), so the CPU ops and the CUDA
// kernels draw identical streams without sharing any generator state.
#pragma once
#include <cstdint>

#include "common/host_device.hpp"

namespace xrdid::common {

// splitmix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
XRDID_HD std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// 64 random bits for element `index` of the stream `seed`.
XRDID_HD std::uint64_t hash_bits(std::uint64_t seed, std::uint64_t index) {
  return mix64(mix64(seed) ^ (index * 0xD1B54A32D192ED03ull));
}

// Uniform in [0, 1) with 24 random bits, exactly representable in float and double, so the
// comparison u < p gives the same answer in either precision on either device.
XRDID_HD float uniform(std::uint64_t seed, std::uint64_t index) {
  return static_cast<float>(hash_bits(seed, index) >> 40) * (1.0f / 16777216.0f);
}

}  // namespace xrdid::common
