// Elementwise activations (swish, sigmoid, relu) on flat arrays of n elements: CPU reference ops.
// Gradient contract: every *_backward ACCUMULATES (+=) into dx.
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

// y = x * sigmoid(x); x, y: (n).
template <class T> void swish_forward(std::int64_t n, const T* x, T* y);
// dx += dy * (s + x s (1 - s)), s = sigmoid(x).
template <class T> void swish_backward(std::int64_t n, const T* x, const T* dy, T* dx);

// y = 1 / (1 + exp(-x)).
template <class T> void sigmoid_forward(std::int64_t n, const T* x, T* y);
// From the forward OUTPUT y: dx += dy * y * (1 - y).
template <class T> void sigmoid_backward(std::int64_t n, const T* y, const T* dy, T* dx);

// y = max(x, 0); the gradient at x == 0 is taken as 0.
template <class T> void relu_forward(std::int64_t n, const T* x, T* y);
template <class T> void relu_backward(std::int64_t n, const T* x, const T* dy, T* dx);

}  // namespace xrdid::nn::ops
