// Row-wise L2 normalisation (the cosine head normalises embeddings and class weights), and the
// cosines of unit rows with a matrix's rows.
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

// Cosines of unit rows u (N, D) with the rows of w (C, D), w never written normalised:
// out (N, C) = <u_n, w_c> / max(||w_c||, eps). One pass over w (the cosine head's forward when no
// gradient is recorded: w is the whole class-weight matrix, u a few embeddings). Forward only.
template <class T>
void cosine_rows_forward(std::int64_t N, std::int64_t C, std::int64_t D, double eps, const T* u, const T* w, T* out);

}  // namespace xrdid::nn::ops
