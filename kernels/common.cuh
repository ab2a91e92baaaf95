// Device-only helpers shared by the kernels/*.cu files: CEIL_DIV, warp and block reductions,
// grid-stride sizing and the scratch allocation (the calling thread's ScratchScope arena, else
// stream-ordered cudaMallocAsync). Never include from host-only code.
#pragma once
#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda_check.hpp"
#include "kernels/ops_cuda.hpp"

#define CEIL_DIV(a, b) (((a) + (b) - 1) / (b))

// The one way kernels are launched: XRDID_LAUNCH(grid, block, smem, stream, kernel)(args...) is
// kernel<<<grid, block, smem, stream>>>(args...) under nvcc and a launch on the emulated device
// (emu/, -DXRDID_CUDA=EMU) under the host compiler. XRDID_DYNAMIC_SHARED(T, name) declares the
// launch's dynamic shared memory as T name[].
#if defined(XRDID_CUDA_EMU)
#define XRDID_LAUNCH(grid, block, smem, stream, ...) \
  ::xrdid::emu::launcher(__VA_ARGS__, #__VA_ARGS__, grid, block, smem, stream)
#define XRDID_DYNAMIC_SHARED(T, name) T* const name = static_cast<T*>(::xrdid::emu::dynamic_shared())
#else
#define XRDID_LAUNCH(grid, block, smem, stream, ...) __VA_ARGS__<<<grid, block, smem, stream>>>
#define XRDID_DYNAMIC_SHARED(T, name) extern __shared__ T name[]
#endif

namespace xrdid::cuda {

constexpr int kWarp = 32;

// Sum over the 32 lanes of a warp (butterfly; every lane gets the result; fixed order).
template <class A>
__device__ __forceinline__ A warp_sum(A v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <class A>
__device__ __forceinline__ A warp_max(A v) {
  for (int o = kWarp / 2; o > 0; o /= 2) {
    const A u = __shfl_xor_sync(0xffffffffu, v, o);
    v = u > v ? u : v;
  }
  return v;
}

// Sum over a whole block (blockDim.x a multiple of 32, at most 1024). Every thread gets the
// result. `smem` needs 32 slots. The order of additions depends only on blockDim, so the result
// is deterministic run to run. Contains __syncthreads: call from all threads.
template <class A>
__device__ __forceinline__ A block_sum(A v, A* smem) {
  const int lane = threadIdx.x % kWarp, wid = threadIdx.x / kWarp;
  const int nw = blockDim.x / kWarp;
  v = warp_sum(v);
  __syncthreads();  // smem may still be read by a previous call
  if (lane == 0) smem[wid] = v;
  __syncthreads();
  v = lane < nw ? smem[lane] : A(0);
  return warp_sum(v);
}

template <class A>
__device__ __forceinline__ A block_max(A v, A* smem, A lowest) {
  const int lane = threadIdx.x % kWarp, wid = threadIdx.x / kWarp;
  const int nw = blockDim.x / kWarp;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) smem[wid] = v;
  __syncthreads();
  v = lane < nw ? smem[lane] : lowest;
  return warp_max(v);
}

// Streaming multiprocessors of the current device (132 on an H200), read once per device.
inline int sm_count() {
  constexpr int kMaxDevices = 16;
  static std::atomic<int> cached[kMaxDevices] = {};
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= kMaxDevices) return 132;
  int n = cached[dev].load(std::memory_order_relaxed);
  if (n == 0) {
    if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || n <= 0) n = 132;
    cached[dev].store(n, std::memory_order_relaxed);
  }
  return n;
}

// Grid size for a grid-stride elementwise loop over n items with `threads` per block: at most
// max_blocks blocks (default 32 per multiprocessor).
inline unsigned grid_for(std::int64_t n, int threads, std::int64_t max_blocks = 0) {
  if (max_blocks <= 0) max_blocks = std::int64_t{32} * sm_count();
  std::int64_t b = CEIL_DIV(n, static_cast<std::int64_t>(threads));
  if (b > max_blocks) b = max_blocks;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b);
}

namespace detail {
// Bookkeeping of one scratch allocation (kernels/scratch.cu). Every request occupies its size
// rounded up to 256 bytes; `used` is the calling thread's in-use count before / after it.
struct ScratchTicket {
  std::size_t prev_used = 0, end_used = 0, bytes = 0;
  bool arena = false;
};
// From the calling thread's ScratchScope arena (LIFO bump pointer, 256-byte aligned; too small ->
// CudaError naming the request) or, without a scope, cudaMallocAsync on `stream`.
void* scratch_acquire(std::size_t bytes, cudaStream_t stream, ScratchTicket& ticket);
void scratch_release(void* p, const ScratchTicket& ticket, cudaStream_t stream) noexcept;
}  // namespace detail

// Scratch memory of a host launch function, released in its destructor: inside a ScratchScope
// a LIFO slice of the caller's region (stream-ordered reuse: every kernel of a step runs on one
// stream), otherwise cudaMallocAsync / cudaFreeAsync (legal inside CUDA-graph capture, freed in
// stream order). Scoped locals only (destroyed in reverse order of creation); not copyable.
template <class T>
class Scratch {
 public:
  Scratch(std::size_t n, cudaStream_t stream) : stream_(stream) {
    if (n > 0) p_ = static_cast<T*>(detail::scratch_acquire(n * sizeof(T), stream, ticket_));
  }
  ~Scratch() {
    if (p_) detail::scratch_release(p_, ticket_, stream_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
  cudaStream_t stream_;
  detail::ScratchTicket ticket_;
};

}  // namespace xrdid::cuda
