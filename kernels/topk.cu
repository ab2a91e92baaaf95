// Row-wise top-k on the GPU: CUDA twin of topk_rows in nn/ops/loss.hpp (descending, ties to the
// lower index), for the small k of top-k accuracy.
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;
constexpr int kThreads = 256;

// Strict total order of the output: larger value first, then lower index.
template <class T>
__device__ __forceinline__ bool better(T va, i64 ia, T vb, i64 ib) {
  return va > vb || (va == vb && ia < ib);
}

// One block per row, k rounds: round r picks the best element strictly after pick r-1 in the
// total order (a block arg-max: thread scan, warp shuffles, then 32 warp winners). No marking.
template <class T>
__global__ void __launch_bounds__(kThreads)
    topk_rows_kernel(i64 C, i64 k, const T* __restrict__ scores, i64* __restrict__ idx) {
  __shared__ T sv[32];
  __shared__ i64 si[32];
  const i64 row = blockIdx.x;
  const T* s = scores + row * C;
  const int lane = threadIdx.x % kWarp, wid = threadIdx.x / kWarp, nw = blockDim.x / kWarp;
  T pv = T(0);
  i64 pi = -1;  // previous pick; -1: none yet
  for (i64 r = 0; r < k; ++r) {
    T bv = T(0);
    i64 bi = -1;
    for (i64 j = threadIdx.x; j < C; j += blockDim.x) {
      const T v = s[j];
      if (pi >= 0 && !better(pv, pi, v, j)) continue;  // already taken
      if (bi < 0 || better(v, j, bv, bi)) {
        bv = v;
        bi = j;
      }
    }
    for (int o = kWarp / 2; o > 0; o /= 2) {
      const T ov = __shfl_xor_sync(0xffffffffu, bv, o);
      const i64 oi = __shfl_xor_sync(0xffffffffu, bi, o);
      if (oi >= 0 && (bi < 0 || better(ov, oi, bv, bi))) {
        bv = ov;
        bi = oi;
      }
    }
    if (lane == 0) {
      sv[wid] = bv;
      si[wid] = bi;
    }
    __syncthreads();
    if (wid == 0) {
      bv = lane < nw ? sv[lane] : T(0);
      bi = lane < nw ? si[lane] : -1;
      for (int o = kWarp / 2; o > 0; o /= 2) {
        const T ov = __shfl_xor_sync(0xffffffffu, bv, o);
        const i64 oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (oi >= 0 && (bi < 0 || better(ov, oi, bv, bi))) {
          bv = ov;
          bi = oi;
        }
      }
      if (lane == 0) {
        sv[0] = bv;
        si[0] = bi;
        idx[row * k + r] = bi;
      }
    }
    __syncthreads();
    pv = sv[0];
    pi = si[0];
    __syncthreads();  // sv/si are rewritten next round
  }
}

}  // namespace

template <class T>
void topk_rows(i64 N, i64 C, const T* scores, i64 k, i64* idx, cudaStream_t stream) {
  if (N < 0 || C < 1 || k < 1 || k > C || N > 2147483647LL)
    throw std::invalid_argument("xrdid::cuda topk_rows: need 1 <= k <= C");
  if (N == 0) return;
  XRDID_LAUNCH(static_cast<unsigned>(N), kThreads, 0, stream, topk_rows_kernel<T>)(C, k, scores, idx);
  XRDID_CUDA_CHECK_LAUNCH();
}

template void topk_rows<float>(i64, i64, const float*, i64, i64*, cudaStream_t);
template void topk_rows<double>(i64, i64, const double*, i64, i64*, cudaStream_t);

}  // namespace xrdid::cuda
