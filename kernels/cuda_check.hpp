// One error-checking mechanism for CUDA and cuBLAS calls: a failed call throws CudaError
// carrying the statement, file:line and the library's message. Destructors use the NOTHROW
// variant, which only logs.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace xrdid::cuda {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_cuda_error(const char* stmt, const char* file, int line, const char* msg);
const char* cuda_error_string(int code);
const char* cublas_error_string(int code);

}  // namespace xrdid::cuda

#define XRDID_CUDA_CHECK(stmt)                                                                    \
  do {                                                                                            \
    auto _e = (stmt);                                                                             \
    if (static_cast<int>(_e) != 0)                                                                \
      ::xrdid::cuda::throw_cuda_error(#stmt, __FILE__, __LINE__,                                  \
                                      ::xrdid::cuda::cuda_error_string(static_cast<int>(_e)));     \
  } while (0)

#define XRDID_CUBLAS_CHECK(stmt)                                                                  \
  do {                                                                                            \
    auto _e = (stmt);                                                                             \
    if (static_cast<int>(_e) != 0)                                                                \
      ::xrdid::cuda::throw_cuda_error(#stmt, __FILE__, __LINE__,                                  \
                                      ::xrdid::cuda::cublas_error_string(static_cast<int>(_e)));   \
  } while (0)

#define XRDID_CUDA_CHECK_NOTHROW(stmt)                                                            \
  do {                                                                                            \
    auto _e = (stmt);                                                                             \
    if (static_cast<int>(_e) != 0)                                                                \
      std::fprintf(stderr, "xrdid: CUDA error in %s at %s:%d: %s\n", #stmt, __FILE__, __LINE__,   \
                   ::xrdid::cuda::cuda_error_string(static_cast<int>(_e)));                       \
  } while (0)

// After every kernel launch. With -DXRDID_SYNC_CHECK (debugging only: not legal inside CUDA-graph
// capture) it also synchronises, so that a faulting kernel is reported at its own launch.
#ifdef XRDID_SYNC_CHECK
#define XRDID_CUDA_CHECK_LAUNCH()                 \
  do {                                            \
    XRDID_CUDA_CHECK(cudaGetLastError());         \
    XRDID_CUDA_CHECK(cudaDeviceSynchronize());    \
  } while (0)
#else
#define XRDID_CUDA_CHECK_LAUNCH() XRDID_CUDA_CHECK(cudaGetLastError())
#endif
