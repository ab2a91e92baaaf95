// Device names -> executor backends (see compute_device.hpp).
#include "compute/compute_device.hpp"

#include <stdexcept>

#include "nn/exec/cpu_backend.hpp"
#if XRDID_WITH_CUDA
#include "kernels/cuda_backend.hpp"
#include "kernels/device.hpp"
#endif

namespace xrdid::compute {

bool cuda_compiled() { return XRDID_WITH_CUDA != 0; }

void require_device(const DeviceOptions& opt) {
  if (opt.device == "cpu") return;
  if (opt.device != "cuda") throw std::runtime_error("xrdid: unknown device '" + opt.device + "' (cpu, cuda)");
#if XRDID_WITH_CUDA
  if (cuda::device_count() == 0)
    throw std::runtime_error("xrdid: --device cuda: no usable CUDA device (no GPU, or no driver); use --device cpu");
#else
  make_backend(opt);  // throws: no CUDA in this build
#endif
}

std::unique_ptr<nn::exec::Backend<float>> make_backend(const DeviceOptions& opt) {
  if (opt.device == "cpu") return nn::exec::make_cpu_backend<float>();
  if (opt.device != "cuda") throw std::runtime_error("xrdid: unknown device '" + opt.device + "' (cpu, cuda)");
#if XRDID_WITH_CUDA
  cuda::CudaBackendOptions co;
  co.tf32 = opt.tf32;
  co.graphs = opt.graphs;
  return cuda::make_cuda_backend<float>(co);
#else
  throw std::runtime_error("xrdid: --device cuda: this build has no CUDA support (it was built where nvcc was "
                           "absent, or with -DXRDID_CUDA=OFF); use --device cpu");
#endif
}

}  // namespace xrdid::compute
