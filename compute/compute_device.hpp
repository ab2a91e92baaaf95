// Where training and identification compute: "cpu" or "cuda". One place that knows whether
// this build has CUDA (kernels/ is compiled whenever nvcc exists) and turns a device name into
// a backend of the planned executor (nn/exec/).
#pragma once
#include <memory>
#include <string>

#include "nn/exec/backend.hpp"

namespace xrdid::compute {

struct DeviceOptions {
  std::string device = "cpu";  // cpu | cuda
  bool tf32 = false;           // cuda: TF32 GEMMs (float cuBLAS paths)
  bool graphs = true;          // cuda: capture each step once and replay it as a CUDA graph
};

// True when this build can run on a GPU at all (compiled with CUDA).
bool cuda_compiled();

// Throws the same clear error make_backend would, without creating anything (commands call it
// before any long preparation).
void require_device(const DeviceOptions& opt);

// A backend for opt.device. Throws one clear error for an unknown device, a build without CUDA,
// or a machine without a usable GPU.
std::unique_ptr<nn::exec::Backend<float>> make_backend(const DeviceOptions& opt);

}  // namespace xrdid::compute
