// Scratch memory of the kernels (kernels/common.cuh's Scratch<T>): the calling thread's
// ScratchScope arena (LIFO bump pointer over a caller-owned device region) while one is
// installed, otherwise stream-ordered cudaMallocAsync / cudaFreeAsync. Host code only.
//
// Accounting: every request occupies its size rounded up to kAlign bytes, in both modes, so the
// high-water mark measured without a scope equals the one measured inside a scope whose base is
// kAlign-aligned (cudaMalloc's is), and a region of high_water() bytes suffices for that step.
#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "kernels/common.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {

constexpr std::size_t kAlign = 256;

// The calling thread's scratch state. depth > 0: a ScratchScope is installed and [base,
// base + bytes) is the arena; used: bytes in use (the arena's bump offset, or the rounded
// cudaMallocAsync bytes outstanding without a scope).
struct ScratchState {
  char* base = nullptr;
  std::size_t bytes = 0, used = 0;
  int depth = 0;
};
thread_local ScratchState t_scratch;

// Most bytes in use at once on any one thread since the last reset (process-wide).
std::atomic<std::size_t> g_high_water{0};

std::size_t round_up(std::size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

void note_use(std::size_t used) {
  std::size_t hw = g_high_water.load(std::memory_order_relaxed);
  while (used > hw && !g_high_water.compare_exchange_weak(hw, used, std::memory_order_relaxed)) {
  }
}

}  // namespace

namespace detail {

void* scratch_acquire(std::size_t bytes, cudaStream_t stream, ScratchTicket& ticket) {
  ScratchState& st = t_scratch;
  const std::size_t need = round_up(bytes);
  if (need < bytes) throw CudaError("xrdid: scratch request of " + std::to_string(bytes) + " bytes overflows");
  ticket.prev_used = st.used;
  ticket.bytes = need;
  if (st.depth == 0) {
    void* p = nullptr;
    XRDID_CUDA_CHECK(cudaMallocAsync(&p, bytes, stream));
    ticket.arena = false;
    st.used += need;
    ticket.end_used = st.used;
    note_use(st.used);
    return p;
  }
  // Bump pointer: the next kAlign-aligned address at or after base + used.
  const auto b = reinterpret_cast<std::uintptr_t>(st.base);
  const std::size_t start = static_cast<std::size_t>(round_up(b + st.used) - b);
  if (start > st.bytes || need > st.bytes - start) {
    const std::size_t avail = start < st.bytes ? st.bytes - start : 0;
    throw CudaError("xrdid: ScratchScope too small: a scratch request of " + std::to_string(bytes) + " bytes (" +
                    std::to_string(need) + " aligned) does not fit; " + std::to_string(avail) + " of " +
                    std::to_string(st.bytes) + " bytes available");
  }
  ticket.arena = true;
  st.used = start + need;
  ticket.end_used = st.used;
  note_use(st.used);
  return st.base + start;
}

void scratch_release(void* p, const ScratchTicket& ticket, cudaStream_t stream) noexcept {
  ScratchState& st = t_scratch;
  if (st.used != ticket.end_used)
    std::fprintf(stderr, "xrdid: scratch released out of LIFO order (in use %zu, expected %zu)\n", st.used,
                 ticket.end_used);
  if (ticket.arena) {
    st.used = ticket.prev_used;  // LIFO: the slice is free for the next request (stream order)
    return;
  }
  XRDID_CUDA_CHECK_NOTHROW(cudaFreeAsync(p, stream));
  st.used = st.used >= ticket.bytes ? st.used - ticket.bytes : 0;
}

}  // namespace detail

ScratchScope::ScratchScope(void* base, std::size_t bytes)
    : prev_base_(t_scratch.base), prev_bytes_(t_scratch.bytes), prev_used_(t_scratch.used) {
  if (!base && bytes > 0) throw std::invalid_argument("xrdid: ScratchScope: null base with a non-zero size");
  t_scratch.base = static_cast<char*>(base);
  t_scratch.bytes = bytes;
  t_scratch.used = 0;
  ++t_scratch.depth;
}

ScratchScope::~ScratchScope() {
  t_scratch.base = static_cast<char*>(prev_base_);
  t_scratch.bytes = prev_bytes_;
  t_scratch.used = prev_used_;
  --t_scratch.depth;
}

std::size_t ScratchScope::high_water() { return g_high_water.load(std::memory_order_relaxed); }

void ScratchScope::reset_high_water() { g_high_water.store(0, std::memory_order_relaxed); }

}  // namespace xrdid::cuda
