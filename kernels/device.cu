// Device discovery, error strings, and nn::Tensor device-memory hooks.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "kernels/cuda_check.hpp"
#include "kernels/device.hpp"
#include "nn/tensor.hpp"

namespace xrdid::cuda {

void throw_cuda_error(const char* stmt, const char* file, int line, const char* msg) {
  throw CudaError(std::string("CUDA error: ") + msg + " in `" + stmt + "` at " + file + ":" +
                  std::to_string(line));
}

const char* cuda_error_string(int code) { return cudaGetErrorString(static_cast<cudaError_t>(code)); }

const char* cublas_error_string(int code) {
  return cublasGetStatusString(static_cast<cublasStatus_t>(code));
}

int device_count() noexcept {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return 0;
  }
  return n;
}

namespace {
void* hook_alloc(std::size_t bytes) {
  void* p = nullptr;
  XRDID_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}
void hook_free(void* p) { XRDID_CUDA_CHECK_NOTHROW(cudaFree(p)); }
void hook_copy(void* dst, nn::Device dd, const void* src, nn::Device sd, std::size_t bytes) {
  cudaMemcpyKind kind = cudaMemcpyDefault;
  if (dd == nn::Device::CPU && sd == nn::Device::CUDA) kind = cudaMemcpyDeviceToHost;
  if (dd == nn::Device::CUDA && sd == nn::Device::CPU) kind = cudaMemcpyHostToDevice;
  if (dd == nn::Device::CUDA && sd == nn::Device::CUDA) kind = cudaMemcpyDeviceToDevice;
  XRDID_CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
  // A device-to-device cudaMemcpy (and cudaMemset) may return before it is done; the hooks are
  // synchronous, so that work on any other stream sees the result.
  if (kind == cudaMemcpyDeviceToDevice) XRDID_CUDA_CHECK(cudaDeviceSynchronize());
}
void hook_memset0(void* p, std::size_t bytes) {
  XRDID_CUDA_CHECK(cudaMemset(p, 0, bytes));
  XRDID_CUDA_CHECK(cudaDeviceSynchronize());
}
}  // namespace

void install_tensor_hooks() {
  nn::DeviceHooks h;
  h.alloc = hook_alloc;
  h.free = hook_free;
  h.copy = hook_copy;
  h.memset0 = hook_memset0;
  nn::set_device_hooks(h);
}

}  // namespace xrdid::cuda
