// Device-buffer helpers of the CUDA tests (device copies, NaN poisoning) on top of the host-only
// comparison helpers of compare.hpp.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compare.hpp"
#include "kernels/buffer.hpp"

namespace xrdid::gputest {

using i64 = std::int64_t;
using cuda::DeviceBuffer;

// The buffer's contents once the stream has finished.
template <class T>
std::vector<T> host(const DeviceBuffer<T>& b, const cuda::Stream& s) {
  s.synchronize();
  return b.to_host();
}

template <class T>
DeviceBuffer<T> to_dev(const std::vector<T>& v) {
  return DeviceBuffer<T>(v);
}

// A device buffer whose every element is NaN (all bits set), so unwritten outputs fail the check.
template <class T>
DeviceBuffer<T> poisoned(std::size_t n) {
  DeviceBuffer<T> b(n);
  b.fill_bytes(0xFF);
  return b;
}

}  // namespace xrdid::gputest
