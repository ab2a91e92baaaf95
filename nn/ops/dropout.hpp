// Inverted dropout with a counter-based mask (nn/ops/random.hpp): element i is kept iff
// uniform(seed, i) >= p, so the mask needs no storage and matches the CUDA twin bit for bit.
// Gradient contract: dropout_backward ACCUMULATES (+=) into dx.
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

// Mask value of element i: 1/(1-p) if kept, 0 if dropped (p in [0, 1); p = 0 keeps all).
template <class T> T dropout_scale(double p, std::uint64_t seed, std::int64_t i);

// x, y: (n) flat. y[i] = x[i] * dropout_scale(p, seed, i).
template <class T> void dropout_forward(std::int64_t n, double p, std::uint64_t seed, const T* x, T* y);
// dx[i] += dy[i] * dropout_scale(p, seed, i).
template <class T> void dropout_backward(std::int64_t n, double p, std::uint64_t seed, const T* dy, T* dx);

}  // namespace xrdid::nn::ops
