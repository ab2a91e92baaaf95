// Host-side view of the CUDA device: presence, and the memory hooks that let nn::Tensor
// live on the GPU. No device code here; includable from plain C++.
#pragma once

namespace xrdid::cuda {

// Number of usable CUDA devices; 0 on any error (no driver, no device). Never throws.
int device_count() noexcept;

// Registers cudaMalloc/cudaFree/cudaMemcpy as nn::Tensor's device hooks (synchronous: a copy or fill is
// complete when the hook returns).
void install_tensor_hooks();

}  // namespace xrdid::cuda
