// Classification losses on the GPU: CUDA twin of nn/ops/loss.hpp (CosFace / margin softmax
// cross-entropy, plain cross-entropy, and the AdaCos scale update computed entirely on the
// device: lower median of the target angles by an in-block bitonic sort, no host sync).
#include <cuda_runtime.h>

#include <cmath>
#include <stdexcept>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

using i64 = std::int64_t;
constexpr int kThreads = 256;

// One block per row i: z = s*(c - m*[j == y]) in double; row max and sum of exp (block trees);
// p = exp(z - LSE); the row loss LSE - z_y goes to row_loss[i]. A label outside [0, C) gives NaN.
template <class T>
__global__ void __launch_bounds__(kThreads)
    cosface_forward_kernel(i64 C, double s, double m, const T* __restrict__ c, const i64* __restrict__ labels,
                           T* __restrict__ p, double* __restrict__ row_loss) {
  __shared__ double red[32];
  const i64 i = blockIdx.x, y = labels[i];
  const T* ci = c + i * C;
  T* pi = p + i * C;
  double zmax = -INFINITY;
  for (i64 j = threadIdx.x; j < C; j += blockDim.x) zmax = fmax(zmax, s * (ci[j] - (j == y ? m : 0.0)));
  zmax = block_max(zmax, red, -static_cast<double>(INFINITY));
  double se = 0;
  for (i64 j = threadIdx.x; j < C; j += blockDim.x) se += exp(s * (ci[j] - (j == y ? m : 0.0)) - zmax);
  se = block_sum(se, red);
  const double lse = zmax + log(se);
  for (i64 j = threadIdx.x; j < C; j += blockDim.x)
    pi[j] = static_cast<T>(exp(s * (ci[j] - (j == y ? m : 0.0)) - lse));
  if (threadIdx.x == 0) row_loss[i] = (y >= 0 && y < C) ? lse - s * (ci[y] - m) : NAN;
}

// One block: loss = (sum of the N row losses in a fixed order) / N.
template <class T>
__global__ void __launch_bounds__(kThreads) cosface_loss_kernel(i64 N, const double* __restrict__ row_loss,
                                                                T* __restrict__ loss) {
  __shared__ double red[32];
  double a = 0;
  for (i64 i = threadIdx.x; i < N; i += blockDim.x) a += row_loss[i];
  a = block_sum(a, red);
  if (threadIdx.x == 0) *loss = static_cast<T>(a / static_cast<double>(N));
}

// Grid-stride over N*C: dc += g*p, then -g on the label column (same two roundings as the CPU).
template <class T>
__global__ void cosface_backward_kernel(i64 N, i64 C, T g, const T* __restrict__ p, const i64* __restrict__ labels,
                                        T* __restrict__ dc) {
  const i64 total = N * C;
  for (i64 k = blockIdx.x * static_cast<i64>(blockDim.x) + threadIdx.x; k < total;
       k += static_cast<i64>(gridDim.x) * blockDim.x) {
    const i64 i = k / C, j = k - i * C;
    T v = dc[k] + g * p[k];
    if (j == labels[i]) v -= g;
    dc[k] = v;
  }
}

// One block (1024 threads): B_sum = sum_{j != y_i} exp(s_prev c_ij) (thread-strided, block tree,
// double); the N target angles acos(clamp(c_i,y)) are sorted in shared memory (bitonic, padded to
// P = 2^k with +inf) and element (N-1)/2 is the lower median. s_prev and s_new may alias: every
// thread reads s_prev before thread 0 writes s_new.
template <class T>
__global__ void __launch_bounds__(1024)
    adacos_update_scale_kernel(i64 N, i64 C, int P, const T* __restrict__ c, const i64* __restrict__ labels,
                               const double* s_prev, double* s_new) {
  XRDID_DYNAMIC_SHARED(double, theta);
  __shared__ double red[32];
  const double sp = *s_prev;
  bool bad = false;
  double b = 0;
  for (i64 k = threadIdx.x; k < N * C; k += blockDim.x) {
    const i64 i = k / C, j = k - i * C;
    if (j != labels[i]) b += exp(sp * static_cast<double>(c[k]));
  }
  for (int i = threadIdx.x; i < P; i += blockDim.x) {
    if (i < N) {
      const i64 y = labels[i];
      if (y < 0 || y >= C) {
        bad = true;
        theta[i] = NAN;
      } else {
        const double ct = fmin(fmax(static_cast<double>(c[i * C + y]), -1.0 + 1e-7), 1.0 - 1e-7);
        theta[i] = acos(ct);
      }
    } else {
      theta[i] = INFINITY;
    }
  }
  b = block_sum(b, red);  // contains __syncthreads: theta is complete after it
  const int any_bad = __syncthreads_or(bad ? 1 : 0);
  for (int k = 2; k <= P; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < P; i += blockDim.x) {
        const int l = i ^ j;
        if (l > i) {
          const bool up = (i & k) == 0;
          const double a = theta[i], d = theta[l];
          if ((a > d) == up) {
            theta[i] = d;
            theta[l] = a;
          }
        }
      }
      __syncthreads();
    }
  }
  if (threadIdx.x == 0) {
    const double med = theta[(N - 1) / 2];
    const double b_avg = b / static_cast<double>(N);
    *s_new = any_bad ? NAN : log(b_avg) / cos(fmin(M_PI / 4.0, med));
  }
}

void check(i64 N, i64 C) {
  if (N < 1 || C < 1 || N > 2147483647LL) throw std::invalid_argument("xrdid::cuda loss: bad sizes");
}

}  // namespace

template <class T>
void cosface_forward(i64 N, i64 C, double s, double m, const T* c, const i64* labels, T* p, T* loss,
                     cudaStream_t stream) {
  check(N, C);
  Scratch<double> row(static_cast<std::size_t>(N), stream);
  XRDID_LAUNCH(static_cast<unsigned>(N), kThreads, 0, stream, cosface_forward_kernel<T>)
  (C, s, m, c, labels, p, row.get());
  XRDID_CUDA_CHECK_LAUNCH();
  XRDID_LAUNCH(1, kThreads, 0, stream, cosface_loss_kernel<T>)(N, row.get(), loss);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void cosface_backward(i64 N, i64 C, double s, const T* p, const i64* labels, T dloss, T* dc, cudaStream_t stream) {
  check(N, C);
  if (!dc) return;
  const T g = static_cast<T>(static_cast<double>(dloss) * s / static_cast<double>(N));
  XRDID_LAUNCH(grid_for(N * C, 256), 256, 0, stream, cosface_backward_kernel<T>)(N, C, g, p, labels, dc);
  XRDID_CUDA_CHECK_LAUNCH();
}

template <class T>
void cross_entropy_forward(i64 N, i64 C, const T* z, const i64* labels, T* p, T* loss, cudaStream_t stream) {
  cosface_forward(N, C, 1.0, 0.0, z, labels, p, loss, stream);
}

template <class T>
void cross_entropy_backward(i64 N, i64 C, const T* p, const i64* labels, T dloss, T* dz, cudaStream_t stream) {
  cosface_backward(N, C, 1.0, p, labels, dloss, dz, stream);
}

template <class T>
void adacos_update_scale(i64 N, i64 C, const T* c, const i64* labels, const double* s_prev, double* s_new,
                         cudaStream_t stream) {
  check(N, C);
  if (N > kAdacosMaxN) throw std::invalid_argument("xrdid::cuda adacos_update_scale: N > kAdacosMaxN");
  int P = 1;
  while (P < N) P <<= 1;
  XRDID_LAUNCH(1, 1024, static_cast<std::size_t>(P) * sizeof(double), stream, adacos_update_scale_kernel<T>)
  (N, C, P, c, labels, s_prev, s_new);
  XRDID_CUDA_CHECK_LAUNCH();
}

#define XRDID_INST(T)                                                                                         \
  template void cosface_forward<T>(i64, i64, double, double, const T*, const i64*, T*, T*, cudaStream_t);   \
  template void cosface_backward<T>(i64, i64, double, const T*, const i64*, T, T*, cudaStream_t);           \
  template void cross_entropy_forward<T>(i64, i64, const T*, const i64*, T*, T*, cudaStream_t);             \
  template void cross_entropy_backward<T>(i64, i64, const T*, const i64*, T, T*, cudaStream_t);             \
  template void adacos_update_scale<T>(i64, i64, const T*, const i64*, const double*, double*, cudaStream_t);
XRDID_INST(float)
XRDID_INST(double)
#undef XRDID_INST

}  // namespace xrdid::cuda
