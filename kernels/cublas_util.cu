// The process-wide cuBLAS math-mode switch (kernels/cublas_util.cuh applies it in cublas_handle
// on every call, so toggling affects existing handles too).
#include <atomic>

#include "kernels/cublas_util.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {
std::atomic<bool> g_tf32{false};
}  // namespace

void set_tf32(bool enabled) { g_tf32.store(enabled, std::memory_order_relaxed); }

bool tf32_enabled() { return g_tf32.load(std::memory_order_relaxed); }

}  // namespace xrdid::cuda
