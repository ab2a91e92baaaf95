// Dense layers on row-major matrices: matmul and linear (Eigen GEMM). CPU reference ops.
// Gradient contract: every *_backward ACCUMULATES (+=) into its gradient outputs (nullptr: skip).
#pragma once
#include <cstdint>

namespace xrdid::nn::ops {

struct MatmulShape {
  std::int64_t M = 1, K = 1, N = 1;  // c (M, N) = a (M, K) * b (K, N), or b^T with b (N, K)
  bool trans_b = false;
};

// c = a * b (trans_b false: b is (K, N)) or a * b^T (trans_b true: b is (N, K)). c overwritten.
template <class T> void matmul_forward(const MatmulShape& s, const T* a, const T* b, T* c);
// da += dc * b^T (or dc * b); db += a^T * dc (or dc^T * a). da (M, K); db like b.
template <class T>
void matmul_backward(const MatmulShape& s, const T* a, const T* b, const T* dc, T* da, T* db);

struct LinearShape {
  std::int64_t N = 1, in = 1, out = 1;
};

// x (N, in), w (out, in), b (out) or nullptr -> y (N, out) = x w^T + b.
template <class T> void linear_forward(const LinearShape& s, const T* x, const T* w, const T* b, T* y);
// dx += dy w; dw += dy^T x; db += column sums of dy.
template <class T>
void linear_backward(const LinearShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db);

}  // namespace xrdid::nn::ops
