// The three implicit-GEMM views of a grouped 1D convolution (forward, backward-data, backward-
// weight): how conv1d.cu's tiles gather A(m, j) and B(j, col). Host+device, so the index math is
// checkable without a GPU; divisions in 32 bits (conv1d.cu checks that indices fit an int).
#pragma once
#include <cstdint>

namespace xrdid::cuda::conv {

using i64 = std::int64_t;

// Forward for one (sample n, group g): A = w_g (Cgo x Cgi*K), B(j=(ci,k), l) = x_pad[ci, l*s + k*d].
template <class T>
struct FwdProblem {
  const T* x;  // x[n, g*Cgi, 0]
  const T* w;  // w[g*Cgo, 0, 0]
  i64 M, cols, K, stride, dil, pad, L_in, R;
  __host__ __device__ T a(i64 m, i64 j) const { return w[m * R + j]; }
  __host__ __device__ T b(i64 j, i64 col) const {
    const int ci = static_cast<int>(j) / static_cast<int>(K), k = static_cast<int>(j) - ci * static_cast<int>(K);
    const i64 t = col * stride + k * dil - pad;
    return (t >= 0 && t < L_in) ? x[ci * L_in + t] : T(0);
  }
};

// Backward-data for one (n, g): A(ci, j=(co,k)) = w[co, ci, k]; B(j, l_in) = dy[co, lo] where
// lo*s = l_in + pad - k*d (zero when that is not a valid output position).
template <class T>
struct BwdDataProblem {
  const T* dy;  // dy[n, g*Cgo, 0]
  const T* w;   // w[g*Cgo, 0, 0]
  i64 M, cols, K, Cgi, stride, dil, pad, L_out;
  __host__ __device__ T a(i64 m, i64 j) const {
    const int co = static_cast<int>(j) / static_cast<int>(K), k = static_cast<int>(j) - co * static_cast<int>(K);
    return w[(co * Cgi + m) * K + k];
  }
  __host__ __device__ T b(i64 j, i64 col) const {
    const int co = static_cast<int>(j) / static_cast<int>(K), k = static_cast<int>(j) - co * static_cast<int>(K);
    const int t = static_cast<int>(col + pad - k * dil);
    if (t < 0) return T(0);
    const int lo = t / static_cast<int>(stride);
    if (lo * static_cast<int>(stride) != t || lo >= L_out) return T(0);
    return dy[co * L_out + lo];
  }
};

// Backward-weight for one group g: A(co, j=(n,lo)) = dy[n, co, lo];
// B(j, col=(ci,k)) = x_pad[n, ci, lo*s + k*d]. Reduction over all N*L_out positions.
template <class T>
struct BwdWeightProblem {
  const T* dy;  // dy[0, g*Cgo, 0]
  const T* x;   // x[0, g*Cgi, 0]
  i64 M, cols, K, C_out, C_in, L_out, L_in, stride, dil, pad;
  __host__ __device__ T a(i64 m, i64 j) const {
    const int n = static_cast<int>(j) / static_cast<int>(L_out), lo = static_cast<int>(j) - n * static_cast<int>(L_out);
    return dy[(n * C_out + m) * L_out + lo];
  }
  __host__ __device__ T b(i64 j, i64 col) const {
    const int n = static_cast<int>(j) / static_cast<int>(L_out), lo = static_cast<int>(j) - n * static_cast<int>(L_out);
    const int ci = static_cast<int>(col) / static_cast<int>(K), k = static_cast<int>(col) - ci * static_cast<int>(K);
    const i64 t = static_cast<i64>(lo) * stride + k * dil - pad;
    return (t >= 0 && t < L_in) ? x[(n * C_in + ci) * L_in + t] : T(0);
  }
};

}  // namespace xrdid::cuda::conv
