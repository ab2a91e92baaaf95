// The CUDA backend of the planned executor (nn/exec/backend.hpp): every op is its kernels/ twin on
// one stream; memory is device memory (cudaMalloc, zeroed) and pinned host staging; run()
// executes a sequence eagerly the first time (warm-up: cuBLAS set-up, module loading), captures
// it into a CUDA graph the second time and replays the instantiated graph from then on. The
// kernels' scratch comes from the executor's planned region (ScratchScope) and cuBLAS gets one
// fixed workspace, so a replayed step allocates nothing. Host-only header.
#pragma once
#include <memory>
#include <string>

#include "nn/exec/backend.hpp"

namespace xrdid::cuda {

struct CudaBackendOptions {
  bool graphs = true;  // false: every run() executes eagerly (debugging, graph-vs-eager timing)
  bool tf32 = false;   // TF32 tensor-core math for the float cuBLAS GEMMs (1x1 convs, SE, head)
  int device = 0;
  bool profile = false;  // time every op with events (runs eagerly; see profile_report)
};

// Throws a clear std::runtime_error when no CUDA device is usable.
template <class T>
std::unique_ptr<nn::exec::Backend<T>> make_cuda_backend(const CudaBackendOptions& opt = {});

// Graph statistics of a backend made here (for benchmarks and tests): runs executed eagerly,
// graphs captured, graph replays.
struct GraphCounters {
  long eager = 0, captured = 0, replays = 0;
};
GraphCounters graph_counters(const nn::exec::BackendBase& backend);

// The per-op profile of a backend made here with `profile` on: one row per op label (direction,
// kind, shape), its time per run and share of the run, the longest first; then the sums per
// direction and kind. Empty for other backends or before the first run.
std::string profile_report(const nn::exec::BackendBase& backend);

}  // namespace xrdid::cuda
