// CpuBackend: the planned executor on the CPU reference ops (nn/ops/), host memory, no
// recording (run() just calls the ops). The executor's tests use it to check the plan against
// the autograd tape; the CUDA backend is then checked against it.
#pragma once
#include <memory>

#include "nn/exec/backend.hpp"

namespace xrdid::nn::exec {

template <class T>
std::unique_ptr<Backend<T>> make_cpu_backend();

}  // namespace xrdid::nn::exec
