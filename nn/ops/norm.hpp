// Row-wise L2 normalisation (the cosine head normalises embeddings and class weights).
// Gradient contract: l2_normalize_rows_backward ACCUMULATES (+=) into dx.
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

// x (R, D) -> y (R, D) = x / max(||x_r||, eps); norm (R) receives max(||x_r||, eps).
template <class T>
void l2_normalize_rows_forward(std::int64_t R, std::int64_t D, double eps, const T* x, T* y, T* norm);
// From the forward outputs y and norm: dx += (dy - y <y, dy>) / norm when ||x|| > eps,
// dx += dy / eps when the norm was clamped (then the divisor is a constant).
template <class T>
void l2_normalize_rows_backward(std::int64_t R, std::int64_t D, double eps, const T* y, const T* norm,
                                const T* dy, T* dx);

}  // namespace xrdid::nn::ops
