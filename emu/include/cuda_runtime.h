// Emulated CUDA device code: what kernels/*.cu need to compile as plain C++ against the emulated
// device of emu/. A block's threads are cooperative fibers on one CPU thread (emu/block.cpp):
// __syncthreads and warp shuffles are switch points where every thread (lane) waits for the
// others; __shared__ variables are per CPU thread, so per block; threadIdx/blockIdx/blockDim/
// gridDim are the running fiber's. Kernel launches go through XRDID_LAUNCH (kernels/common.cuh),
// which calls xrdid::emu::launcher here.
#pragma once
#include <math.h>  // the float and double overloads (exp, fmax, ...) in the global namespace

#include <cstdint>
#include <cstring>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda_runtime_api.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
// One copy per CPU thread; a CPU thread runs one block at a time, so one copy per running block.
#define __shared__ static thread_local
#define __constant__ static

// The running fiber's built-in variables (set by the block scheduler before each switch).
inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};
constexpr int warpSize = 32;

namespace xrdid::emu {

// ---- inside a block (emu/block.cpp): switch points of the running fiber ----
void syncthreads();
int syncthreads_count(int pred);  // the number of threads whose pred != 0
std::uint64_t warp_exchange(unsigned mask, std::uint64_t v, int src_lane, int width);
int lane_id();
void* dynamic_shared();

template <class T>
T shfl(unsigned mask, T v, int src_lane, int width) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "emulated shuffles move up to 8 bytes");
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  b = warp_exchange(mask, b, src_lane, width);
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

// ---- launches (emu/launch.cpp) ----
struct LaunchConfig {
  dim3 grid, block;
  std::size_t smem = 0;
  cudaStream_t stream = nullptr;
  const char* name = "";
};
// Checks the configuration (as the GPU would refuse it: cudaGetLastError reports it) and runs
// `body` once per device thread, or records it when `stream` is being captured.
void launch_kernel(const LaunchConfig& cfg, std::shared_ptr<void> args, void (*thunk)(void*));

template <class... P>
struct Launcher {
  void (*fn)(P...);
  LaunchConfig cfg;
  template <class... A>
  void operator()(A&&... a) const {
    static_assert(sizeof...(A) == sizeof...(P), "kernel argument count");
    // The arguments are copied at launch (as CUDA copies kernel parameters), and each device
    // thread gets its own copy of them through the call.
    struct Pack {
      void (*fn)(P...);
      std::tuple<std::decay_t<P>...> args;
    };
    auto pack = std::make_shared<Pack>(Pack{fn, std::tuple<std::decay_t<P>...>(std::forward<A>(a)...)});
    launch_kernel(cfg, pack, [](void* p) {
      auto* k = static_cast<Pack*>(p);
      std::apply(k->fn, k->args);
    });
  }
};

template <class... P>
Launcher<P...> launcher(void (*fn)(P...), const char* name, dim3 grid, dim3 block, std::size_t smem,
                        cudaStream_t stream) {
  return Launcher<P...>{fn, LaunchConfig{grid, block, smem, stream, name}};
}

}  // namespace xrdid::emu

// ---- intrinsics ----
inline void __syncthreads() { xrdid::emu::syncthreads(); }
inline int __syncthreads_count(int p) { return xrdid::emu::syncthreads_count(p); }
inline int __syncthreads_or(int p) { return xrdid::emu::syncthreads_count(p) != 0; }
inline int __syncthreads_and(int p) {
  return xrdid::emu::syncthreads_count(p) == static_cast<int>(blockDim.x * blockDim.y * blockDim.z);
}
inline void __syncwarp(unsigned mask = 0xffffffffu) { xrdid::emu::warp_exchange(mask, 0, 0, 32); }

template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  const int lane = xrdid::emu::lane_id();
  return xrdid::emu::shfl(mask, v, (lane / width) * width + (src % width), width);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  const int lane = xrdid::emu::lane_id();
  int src = lane ^ lane_mask;
  if (src / width != lane / width) src = lane;  // outside the segment: the own value
  return xrdid::emu::shfl(mask, v, src, width);
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = xrdid::emu::lane_id();
  const int src = (lane % width) + static_cast<int>(delta) < width ? lane + static_cast<int>(delta) : lane;
  return xrdid::emu::shfl(mask, v, src, width);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = xrdid::emu::lane_id();
  const int src = (lane % width) >= static_cast<int>(delta) ? lane - static_cast<int>(delta) : lane;
  return xrdid::emu::shfl(mask, v, src, width);
}

// Round-to-nearest products and sums: the host's IEEE arithmetic (no contraction in ISO C++ mode).
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }

// Device min/max of mixed integer and floating types (CUDA's overload set, as templates).
template <class A, class B, class = std::enable_if_t<std::is_arithmetic_v<A> && std::is_arithmetic_v<B>>>
inline std::common_type_t<A, B> min(A a, B b) {
  using C = std::common_type_t<A, B>;
  return static_cast<C>(b) < static_cast<C>(a) ? static_cast<C>(b) : static_cast<C>(a);
}
template <class A, class B, class = std::enable_if_t<std::is_arithmetic_v<A> && std::is_arithmetic_v<B>>>
inline std::common_type_t<A, B> max(A a, B b) {
  using C = std::common_type_t<A, B>;
  return static_cast<C>(a) < static_cast<C>(b) ? static_cast<C>(b) : static_cast<C>(a);
}

// Atomics: real atomics on host memory (blocks run on several CPU threads).
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline float atomicAdd(float* p, float v) {
  float old, want;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  do {
    want = old + v;
  } while (!__atomic_compare_exchange(p, &old, &want, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
  return old;
}
inline double atomicAdd(double* p, double v) {
  double old, want;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  do {
    want = old + v;
  } while (!__atomic_compare_exchange(p, &old, &want, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
  return old;
}
inline int atomicMax(int* p, int v) {
  int old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
  }
  return old;
}
inline int atomicMin(int* p, int v) {
  int old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (old > v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
  }
  return old;
}
inline int atomicCAS(int* p, int expected, int desired) {
  __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}
inline unsigned long long atomicCAS(unsigned long long* p, unsigned long long expected, unsigned long long desired) {
  __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}
inline int atomicExch(int* p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
