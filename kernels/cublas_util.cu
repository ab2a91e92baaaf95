// The process-wide cuBLAS math-mode switch (kernels/cublas_util.cuh applies it in cublas_handle
// on every call, so toggling affects existing handles too), and the per-stream user workspaces
// that cublas_handle re-applies after every cublasSetStream.
#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "kernels/cublas_util.cuh"
#include "kernels/ops_cuda.hpp"

namespace xrdid::cuda {

namespace {
std::atomic<bool> g_tf32{false};

std::mutex g_ws_mutex;
// Never destroyed: a backend destroyed during static destruction may still unregister.
std::map<cudaStream_t, std::pair<void*, std::size_t>>& workspaces() {
  static auto* m = new std::map<cudaStream_t, std::pair<void*, std::size_t>>;
  return *m;
}
}  // namespace

void set_cublas_workspace(cudaStream_t stream, void* ptr, std::size_t bytes) {
  const std::lock_guard<std::mutex> lock(g_ws_mutex);
  if (ptr && bytes)
    workspaces()[stream] = {ptr, bytes};
  else
    workspaces().erase(stream);
}

bool cublas_workspace_for(cudaStream_t stream, void** ptr, std::size_t* bytes) {
  const std::lock_guard<std::mutex> lock(g_ws_mutex);
  const auto it = workspaces().find(stream);
  if (it == workspaces().end()) return false;
  *ptr = it->second.first;
  *bytes = it->second.second;
  return true;
}

void set_tf32(bool enabled) { g_tf32.store(enabled, std::memory_order_relaxed); }

bool tf32_enabled() { return g_tf32.load(std::memory_order_relaxed); }

}  // namespace xrdid::cuda
