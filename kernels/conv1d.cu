// Grouped, strided, dilated 1D convolution on the GPU: CUDA twin of nn/ops/conv1d.hpp.
// Implicit GEMM with shared-memory tiles for the general case (forward, backward-data,
// backward-weight), cuBLAS strided-batched GEMM for pointwise convolutions (K=1, stride 1, G=1).
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/common.cuh"
#include "kernels/fast_div.hpp"
#include "kernels/conv1d_problems.cuh"
#include "kernels/cublas_util.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;
using conv::BwdDataProblem;
using conv::BwdWeightProblem;
using conv::FwdProblem;

// Tile of the implicit GEMM: BM rows (output channels) x BN columns (positions) per block,
// BK reduction entries per shared-memory stage; 128 threads, each 2 rows x 4 columns.
constexpr int kBM = 16, kBN = 64, kBK = 16, kThreads = 128;

// Accumulates A(m0.., j) * B(j, c0..) over j in [j0, j1) into the calling thread's 2x4 registers.
// P::a(m, j) and P::b(j, col) gather the operands (zero outside the padded input); P::M, P::cols
// bound the tile. Rows of this thread: m0 + ty, m0 + ty + 8; columns c0 + tx + 16q.
template <class T, class P>
__device__ __forceinline__ void gemm_tile(const P& p, i64 m0, i64 c0, i64 j0, i64 j1, T (&acc)[2][4]) {
  __shared__ T As[kBK][kBM];
  __shared__ T Bs[kBK][kBN];
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  for (i64 jb = j0; jb < j1; jb += kBK) {
    for (int e = tid; e < kBM * kBK; e += kThreads) {
      const int mm = e / kBK, kk = e % kBK;
      const i64 m = m0 + mm, j = jb + kk;
      As[kk][mm] = (m < p.M && j < j1) ? p.a(m, j) : T(0);
    }
    for (int e = tid; e < kBK * kBN; e += kThreads) {
      const int kk = e / kBN, cc = e % kBN;
      const i64 j = jb + kk, col = c0 + cc;
      Bs[kk][cc] = (col < p.cols && j < j1) ? p.b(j, col) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      const T a0 = As[kk][ty], a1 = As[kk][ty + 8];
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const T bq = Bs[kk][tx + 16 * q];
        acc[0][q] += a0 * bq;
        acc[1][q] += a1 * bq;
      }
    }
    __syncthreads();
  }
}

// One block per (position tile, channel tile x group, sample); implicit GEMM over Cgi*K.
template <class T>
__global__ void __launch_bounds__(kThreads) conv1d_forward_kernel(Conv1dShape s, const T* __restrict__ x,
                                                                  const T* __restrict__ w,
                                                                  const T* __restrict__ bias, T* __restrict__ y) {
  const i64 G = s.groups, Cgi = s.C_in / G, Cgo = s.C_out / G;
  const i64 mtiles = CEIL_DIV(Cgo, static_cast<i64>(kBM));
  const i64 g = blockIdx.y / mtiles, m0 = (blockIdx.y % mtiles) * kBM;
  const i64 n = blockIdx.z, c0 = static_cast<i64>(blockIdx.x) * kBN;
  FwdProblem<T> p{x + (n * s.C_in + g * Cgi) * s.L_in, w + g * Cgo * Cgi * s.K, Cgo, s.L_out, s.K, s.stride,
                  s.dilation, s.pad_left, s.L_in, Cgi * s.K};
  T acc[2][4] = {};
  gemm_tile(p, m0, c0, 0, p.R, acc);
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const i64 m = m0 + ty + 8 * r;
    if (m >= Cgo) continue;
    const i64 co = g * Cgo + m;
    const T bv = bias ? bias[co] : T(0);
    T* yr = y + (n * s.C_out + co) * s.L_out;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const i64 col = c0 + tx + 16 * q;
      if (col < s.L_out) yr[col] = acc[r][q] + bv;
    }
  }
}

// One block per (input-position tile, input-channel tile x group, sample); implicit GEMM over
// Cgo*K; accumulates into dx.
template <class T>
__global__ void __launch_bounds__(kThreads) conv1d_backward_data_kernel(Conv1dShape s, const T* __restrict__ w,
                                                                        const T* __restrict__ dy,
                                                                        T* __restrict__ dx) {
  const i64 G = s.groups, Cgi = s.C_in / G, Cgo = s.C_out / G;
  const i64 mtiles = CEIL_DIV(Cgi, static_cast<i64>(kBM));
  const i64 g = blockIdx.y / mtiles, m0 = (blockIdx.y % mtiles) * kBM;
  const i64 n = blockIdx.z, c0 = static_cast<i64>(blockIdx.x) * kBN;
  BwdDataProblem<T> p{dy + (n * s.C_out + g * Cgo) * s.L_out, w + g * Cgo * Cgi * s.K, Cgi, s.L_in, s.K, Cgi,
                      s.stride, s.dilation, s.pad_left, s.L_out};
  T acc[2][4] = {};
  gemm_tile(p, m0, c0, 0, Cgo * s.K, acc);
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const i64 m = m0 + ty + 8 * r;
    if (m >= Cgi) continue;
    T* xr = dx + (n * s.C_in + g * Cgi + m) * s.L_in;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const i64 col = c0 + tx + 16 * q;
      if (col < s.L_in) xr[col] += acc[r][q];
    }
  }
}

// One block per (weight-column tile, output-channel tile x group, split of the N*L_out
// reduction). With one split it accumulates straight into dw; otherwise it writes its partial
// to ws[split] and conv1d_reduce_splits_kernel adds the splits in a fixed order (deterministic).
template <class T>
__global__ void __launch_bounds__(kThreads) conv1d_backward_weight_kernel(Conv1dShape s, const T* __restrict__ x,
                                                                          const T* __restrict__ dy, i64 chunk,
                                                                          T* __restrict__ out, bool accumulate) {
  const i64 G = s.groups, Cgi = s.C_in / G, Cgo = s.C_out / G, R = Cgi * s.K;
  const i64 mtiles = CEIL_DIV(Cgo, static_cast<i64>(kBM));
  const i64 g = blockIdx.y / mtiles, m0 = (blockIdx.y % mtiles) * kBM;
  const i64 c0 = static_cast<i64>(blockIdx.x) * kBN;
  const i64 J = s.N * s.L_out, j0 = blockIdx.z * chunk, j1 = min(J, j0 + chunk);
  BwdWeightProblem<T> p{dy + g * Cgo * s.L_out, x + g * Cgi * s.L_in, Cgo, R, s.K, s.C_out, s.C_in, s.L_out,
                        s.L_in, s.stride, s.dilation, s.pad_left};
  T acc[2][4] = {};
  if (j0 < J) gemm_tile(p, m0, c0, j0, j1, acc);
  T* o = out + static_cast<i64>(blockIdx.z) * s.C_out * R;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const i64 m = m0 + ty + 8 * r;
    if (m >= Cgo) continue;
    T* orow = o + (g * Cgo + m) * R;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const i64 col = c0 + tx + 16 * q;
      if (col < R) {
        if (accumulate)
          orow[col] += acc[r][q];
        else
          orow[col] = acc[r][q];
      }
    }
  }
}

// Grid-stride over the n outputs: dst[i] += sum over `splits` partials in split order.
template <class T>
__global__ void conv1d_reduce_splits_kernel(i64 n, int splits, const T* __restrict__ ws, T* __restrict__ dst) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<i64>(gridDim.x) * blockDim.x) {
    T acc = T(0);
    for (int z = 0; z < splits; ++z) acc += ws[z * n + i];
    dst[i] += acc;
  }
}

// One block per output channel: db[c] += sum over (n, l) of dy, double accumulation, block tree.
template <class T>
__global__ void conv1d_backward_bias_kernel(i64 N, i64 C, i64 L, const T* __restrict__ dy, T* __restrict__ db) {
  __shared__ double red[32];
  const i64 c = blockIdx.x;
  double acc = 0;
  for (i64 n = 0; n < N; ++n) {
    const T* r = dy + (n * C + c) * L;
    for (i64 l = threadIdx.x; l < L; l += blockDim.x) acc += static_cast<double>(r[l]);
  }
  acc = block_sum(acc, red);
  if (threadIdx.x == 0) db[c] += static_cast<T>(acc);
}

// Grid-stride: y[n, c, l] += b[c] (bias after the cuBLAS pointwise GEMM).
template <class T>
__global__ void conv1d_add_bias_kernel(i64 total, FastDiv fC, FastDiv fL, const T* __restrict__ b, T* __restrict__ y) {
  for (i64 i = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<i64>(gridDim.x) * blockDim.x)
    y[i] += b[fC.mod(fL.div(static_cast<std::uint32_t>(i)))];
}

void check_shape(const Conv1dShape& s) {
  auto fail = [](const std::string& m) { throw std::invalid_argument("xrdid::cuda conv1d: " + m); };
  if (s.N < 1 || s.C_in < 1 || s.C_out < 1 || s.L_in < 1 || s.K < 1 || s.stride < 1 || s.dilation < 1 ||
      s.groups < 1)
    fail("sizes must be positive");
  if (s.pad_left < 0 || s.pad_right < 0) fail("negative padding");
  if (s.C_in % s.groups || s.C_out % s.groups) fail("channels not divisible by groups");
  const i64 span = s.L_in + s.pad_left + s.pad_right - s.dilation * (s.K - 1) - 1;
  if (span < 0 || s.L_out != span / s.stride + 1) fail("L_out inconsistent with L_in, K, stride, padding");
  if (s.N > 65535) fail("N > 65535 (grid z)");
  check_u32(s.N * std::max(s.C_in * s.L_in, s.C_out * s.L_out), "conv1d");
  const i64 kIntMax = 2147483647LL;  // the problems divide in 32 bits
  if (s.N * s.L_out > kIntMax || s.L_in + s.pad_left + s.pad_right > kIntMax || s.C_in * s.K > kIntMax ||
      s.C_out * s.K > kIntMax)
    fail("an index exceeds 32 bits");
  const i64 mt = CEIL_DIV(std::max(s.C_in, s.C_out) / s.groups, static_cast<i64>(kBM)) * s.groups;
  if (mt > 65535) fail("too many channel tiles (grid y)");
}

bool is_pointwise(const Conv1dShape& s) {
  return s.K == 1 && s.stride == 1 && s.groups == 1 && s.pad_left == 0 && s.pad_right == 0;
}

// Splits of the backward-weight reduction: enough blocks to fill the GPU (~8 per multiprocessor),
// each split at least 16 stages of kBK; a function of the shape and the card (deterministic on one card).
i64 weight_splits(const Conv1dShape& s, i64 tiles, i64 J) {
  const i64 target = i64{8} * sm_count();
  i64 S = CEIL_DIV(target, tiles);
  S = std::min(S, std::max<i64>(1, J / (16 * kBK)));
  return std::max<i64>(1, std::min<i64>(S, 65535));
}

}  // namespace

template <class T>
void conv1d_forward(const Conv1dShape& s, const T* x, const T* w, const T* b, T* y, cudaStream_t stream) {
  check_shape(s);
  if (is_pointwise(s)) {
    // Row-major y_n (C_out x L) = w (C_out x C_in) x_n (C_in x L)  <=>  column-major
    // y_n^T (L x C_out) = x_n^T (L x C_in) w^T (C_in x C_out): no transposes.
    const int L = to_int(s.L_in, "L"), Ci = to_int(s.C_in, "C_in"), Co = to_int(s.C_out, "C_out");
    gemm_batched(cublas_handle(stream), CUBLAS_OP_N, CUBLAS_OP_N, L, Co, Ci, T(1), x, L,
                 static_cast<long long>(Ci) * L, w, Ci, 0LL, T(0), y, L, static_cast<long long>(Co) * L,
                 to_int(s.N, "N"));
    if (b) {
      const i64 total = s.N * s.C_out * s.L_out;
      XRDID_LAUNCH(grid_for(total, 256), 256, 0, stream, conv1d_add_bias_kernel<T>)(total, FastDiv(s.C_out), FastDiv(s.L_out), b, y);
      XRDID_CUDA_CHECK_LAUNCH();
    }
    return;
  }
  const i64 mt = CEIL_DIV(s.C_out / s.groups, static_cast<i64>(kBM)) * s.groups;
  const dim3 grid(static_cast<unsigned>(CEIL_DIV(s.L_out, static_cast<i64>(kBN))), static_cast<unsigned>(mt),
                  static_cast<unsigned>(s.N));
  XRDID_LAUNCH(grid, kThreads, 0, stream, conv1d_forward_kernel<T>)(s, x, w, b, y);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void conv1d_backward(const Conv1dShape& s, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                     cudaStream_t stream) {
  check_shape(s);
  const i64 G = s.groups, Cgi = s.C_in / G, Cgo = s.C_out / G;
  if (db) {
    XRDID_LAUNCH(static_cast<unsigned>(s.C_out), 256, 0, stream, conv1d_backward_bias_kernel<T>)
    (s.N, s.C_out, s.L_out, dy, db);
    XRDID_CUDA_CHECK_LAUNCH();
  }
  if (is_pointwise(s)) {
    const int L = to_int(s.L_in, "L"), Ci = to_int(s.C_in, "C_in"), Co = to_int(s.C_out, "C_out");
    cublasHandle_t h = cublas_handle(stream);
    if (dx) {
      // dx_n (C_in x L) += w^T dy_n  <=>  column-major dx_n^T (L x C_in) += dy_n^T (L x C_out) w.
      gemm_batched(h, CUBLAS_OP_N, CUBLAS_OP_T, L, Ci, Co, T(1), dy, L, static_cast<long long>(Co) * L, w, Ci,
                   0LL, T(1), dx, L, static_cast<long long>(Ci) * L, to_int(s.N, "N"));
    }
    if (dw) {
      // dw (C_out x C_in) += sum_n dy_n x_n^T. Per chunk of samples: a strided-batched GEMM into
      // a workspace (column-major dw_n^T = x_n dy_n^T), then a fixed-order sum into dw.
      const i64 per = s.C_out * s.C_in;
      const i64 nb = std::max<i64>(1, std::min<i64>(s.N, (i64{8} << 20) / per));
      Scratch<T> ws(static_cast<std::size_t>(nb * per), stream);
      for (i64 n0 = 0; n0 < s.N; n0 += nb) {
        const i64 cnt = std::min(nb, s.N - n0);
        gemm_batched(h, CUBLAS_OP_T, CUBLAS_OP_N, Ci, Co, L, T(1), x + n0 * s.C_in * L, L,
                     static_cast<long long>(Ci) * L, dy + n0 * s.C_out * L, L, static_cast<long long>(Co) * L, T(0),
                     ws.get(), Ci, static_cast<long long>(per), static_cast<int>(cnt));
        XRDID_LAUNCH(grid_for(per, 256), 256, 0, stream, conv1d_reduce_splits_kernel<T>)
        (per, static_cast<int>(cnt), ws.get(), dw);
        XRDID_CUDA_CHECK_LAUNCH();
      }
    }
    return;
  }
  if (dx) {
    const i64 mt = CEIL_DIV(Cgi, static_cast<i64>(kBM)) * G;
    const dim3 grid(static_cast<unsigned>(CEIL_DIV(s.L_in, static_cast<i64>(kBN))), static_cast<unsigned>(mt),
                    static_cast<unsigned>(s.N));
    XRDID_LAUNCH(grid, kThreads, 0, stream, conv1d_backward_data_kernel<T>)(s, w, dy, dx);
    XRDID_CUDA_CHECK_LAUNCH();
  }
  if (dw) {
    const i64 R = Cgi * s.K, J = s.N * s.L_out;
    const i64 ct = CEIL_DIV(R, static_cast<i64>(kBN)), mt = CEIL_DIV(Cgo, static_cast<i64>(kBM)) * G;
    const i64 S = weight_splits(s, ct * mt, J);
    const i64 chunk = CEIL_DIV(CEIL_DIV(J, S), static_cast<i64>(kBK)) * kBK;
    const i64 splits = CEIL_DIV(J, chunk);
    const dim3 grid(static_cast<unsigned>(ct), static_cast<unsigned>(mt), static_cast<unsigned>(splits));
    if (splits == 1) {
      XRDID_LAUNCH(grid, kThreads, 0, stream, conv1d_backward_weight_kernel<T>)(s, x, dy, chunk, dw, true);
      XRDID_CUDA_CHECK_LAUNCH();
    } else {
      const i64 per = s.C_out * R;
      Scratch<T> ws(static_cast<std::size_t>(splits * per), stream);
      XRDID_LAUNCH(grid, kThreads, 0, stream, conv1d_backward_weight_kernel<T>)(s, x, dy, chunk, ws.get(), false);
      XRDID_CUDA_CHECK_LAUNCH();
      XRDID_LAUNCH(grid_for(per, 256), 256, 0, stream, conv1d_reduce_splits_kernel<T>)
      (per, static_cast<int>(splits), ws.get(), dw);
      XRDID_CUDA_CHECK_LAUNCH();
    }
  }
}

#define XRDID_INST(T)                                                                                     \
  template void conv1d_forward<T>(const Conv1dShape&, const T*, const T*, const T*, T*, cudaStream_t);    \
  template void conv1d_backward<T>(const Conv1dShape&, const T*, const T*, const T*, T*, T*, T*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
