// Elementwise CPU reference ops on raw arrays and whole tensors.
// Gradient contract: every *_backward ACCUMULATES (+=) into its gradient outputs (nullptr: skip).
#pragma once
#include <cstdint>

#include "nn/tensor.hpp"

namespace xrdid::nn::ops {

// dst += src (same shape and dtype; CPU).
void add_inplace(Tensor& dst, const Tensor& src);

// y = a + b; all (n).
template <class T> void add_forward(std::int64_t n, const T* a, const T* b, T* y);
// y += alpha * x; (n). Also the backward of add (alpha = 1) and of scaling.
template <class T> void axpy(std::int64_t n, T alpha, const T* x, T* y);
// y = a * b; (n).
template <class T> void mul_forward(std::int64_t n, const T* a, const T* b, T* y);
// da += dy * b; db += dy * a.
template <class T> void mul_backward(std::int64_t n, const T* a, const T* b, const T* dy, T* da, T* db);
// Sum of x (n), accumulated in double.
template <class T> double sum_all(std::int64_t n, const T* x);
// y[i] += value; (n). The backward of sum.
template <class T> void add_scalar(std::int64_t n, T value, T* y);

}  // namespace xrdid::nn::ops
