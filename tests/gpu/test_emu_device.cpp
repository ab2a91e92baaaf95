// The emulated CUDA device's own behaviour (-DXRDID_CUDA=EMU builds only; empty otherwise): the
// execution model the kernels rely on (barriers, shared memory, warp shuffles, grid-stride
// indices, graph replay) and the errors a GPU would not forgive, each provoked on purpose and
// required to be reported.
#ifdef XRDID_CUDA_EMU
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/buffer.hpp"
#include "kernels/common.cuh"

namespace {

using xrdid::cuda::DeviceBuffer;

// Reverses each block's slice through shared memory: correct only if __syncthreads orders the
// writes of all threads before the reads.
__global__ void reverse_kernel(const int* in, int* out) {
  __shared__ int tile[256];
  const int t = threadIdx.x, base = blockIdx.x * blockDim.x;
  tile[t] = in[base + t];
  __syncthreads();
  out[base + t] = tile[blockDim.x - 1 - t];
}

// Block sum of the block's values by warp shuffles and a shared-memory tree (common.cuh).
__global__ void block_sum_kernel(const double* in, double* out) {
  __shared__ double red[32];
  const double s = xrdid::cuda::block_sum(in[blockIdx.x * blockDim.x + threadIdx.x], red);
  if (threadIdx.x == 0) out[blockIdx.x] = s;
}

// Grid-stride: every element exactly once, whatever the grid.
__global__ void stride_kernel(std::int64_t n, int* hits) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    hits[i] += 1;
}

__global__ void write_at_kernel(float* p, std::int64_t i) {
  if (threadIdx.x == 0) p[i] = 1.0f;
}

// Lanes of warp 0 meet at a shuffle while the other lanes of that warp wait at __syncthreads.
__global__ void divergent_kernel(float* out) {
  float v = 1.0f;
  if (threadIdx.x < 16) v = __shfl_xor_sync(0xffffffffu, v, 1);
  __syncthreads();
  out[threadIdx.x] = v;
}

__global__ void add_one_kernel(float* p) { p[threadIdx.x] += 1.0f; }

template <class T>
std::vector<T> to_host(const DeviceBuffer<T>& b) {
  return b.to_host();
}

}  // namespace

TEST_CASE("emulated device: __syncthreads orders shared-memory writes before reads") {
  std::vector<int> in(4 * 256);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int>(i);
  DeviceBuffer<int> d_in(in), d_out(in.size());
  XRDID_LAUNCH(4, 256, 0, nullptr, reverse_kernel)(d_in.data(), d_out.data());
  REQUIRE(cudaGetLastError() == cudaSuccess);
  const auto out = to_host(d_out);
  for (int b = 0; b < 4; ++b)
    for (int t = 0; t < 256; ++t) CHECK(out[b * 256 + t] == b * 256 + 255 - t);
}

TEST_CASE("emulated device: warp shuffles and the block tree sum exactly") {
  std::vector<double> in(3 * 512);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<double>(i % 97);
  DeviceBuffer<double> d_in(in), d_out(3);
  XRDID_LAUNCH(3, 512, 0, nullptr, block_sum_kernel)(d_in.data(), d_out.data());
  REQUIRE(cudaGetLastError() == cudaSuccess);
  const auto out = to_host(d_out);
  for (int b = 0; b < 3; ++b) {
    double want = 0;
    for (int t = 0; t < 512; ++t) want += in[b * 512 + t];
    CHECK(out[b] == want);  // small integers: exact in any order; NaN fails
  }
}

TEST_CASE("emulated device: a grid-stride loop makes several passes and visits every element once") {
  const std::int64_t n = 100'003;
  const unsigned grid = xrdid::cuda::grid_for(n, 256);
  CHECK(static_cast<std::int64_t>(grid) * 256 < n);  // the small emulated SM count: several passes
  DeviceBuffer<int> hits(std::vector<int>(n, 0));
  XRDID_LAUNCH(grid, 256, 0, nullptr, stride_kernel)(n, hits.data());
  REQUIRE(cudaGetLastError() == cudaSuccess);
  const auto h = to_host(hits);
  std::int64_t wrong = 0;
  for (int v : h) wrong += v != 1;
  CHECK(wrong == 0);
}

TEST_CASE("emulated device: never-written device memory reads as NaN") {
  DeviceBuffer<float> b(16);
  for (float v : to_host(b)) CHECK(std::isnan(v));
}

TEST_CASE("emulated device: an out-of-bounds write is reported after the kernel that made it") {
  DeviceBuffer<float> b(100);
  const long before = xrdid::emu::report_count();
  XRDID_LAUNCH(1, 32, 0, nullptr, write_at_kernel)(b.data(), 100);  // one past the end
  CHECK(cudaGetLastError() == cudaErrorIllegalAddress);
  CHECK(xrdid::emu::report_count() == before + 1);
  XRDID_LAUNCH(1, 32, 0, nullptr, write_at_kernel)(b.data(), -3);  // before the start
  CHECK(cudaGetLastError() == cudaErrorIllegalAddress);
  CHECK(xrdid::emu::report_count() == before + 2);
  XRDID_LAUNCH(1, 32, 0, nullptr, write_at_kernel)(b.data(), 99);  // in bounds: nothing
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(xrdid::emu::report_count() == before + 2);
  xrdid::emu::acknowledge_reports(xrdid::emu::report_count() - before);
}

TEST_CASE("emulated device: divergent barriers, bad launches and out-of-range copies are reported") {
  const long before = xrdid::emu::report_count();
  DeviceBuffer<float> b(64);
  XRDID_LAUNCH(1, 64, 0, nullptr, divergent_kernel)(b.data());
  CHECK(cudaGetLastError() == cudaErrorLaunchFailure);
  CHECK(xrdid::emu::report_count() == before + 1);
  XRDID_LAUNCH(1, 2048, 0, nullptr, add_one_kernel)(b.data());
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  CHECK(xrdid::emu::report_count() == before + 2);
  std::vector<float> host(65, 0.f);
  CHECK(cudaMemcpy(b.data(), host.data(), 65 * sizeof(float), cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  CHECK(xrdid::emu::report_count() == before + 3);
  xrdid::emu::acknowledge_reports(xrdid::emu::report_count() - before);
}

TEST_CASE("emulated device: a captured graph replays its work; synchronous calls invalidate a capture") {
  xrdid::cuda::Stream st;
  DeviceBuffer<float> b(std::vector<float>(32, 0.f));
  cudaGraph_t g = nullptr;
  REQUIRE(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  XRDID_LAUNCH(1, 32, 0, st.get(), add_one_kernel)(b.data());
  REQUIRE(cudaStreamEndCapture(st, &g) == cudaSuccess);
  CHECK(to_host(b)[0] == 0.f);  // recorded, not run
  cudaGraphExec_t e = nullptr;
  REQUIRE(cudaGraphInstantiate(&e, g, 0) == cudaSuccess);
  for (int i = 0; i < 3; ++i) REQUIRE(cudaGraphLaunch(e, st) == cudaSuccess);
  for (float v : to_host(b)) CHECK(v == 3.f);
  cudaGraphExecDestroy(e);
  cudaGraphDestroy(g);

  REQUIRE(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  void* p = nullptr;
  CHECK(cudaMalloc(&p, 64) == cudaErrorStreamCaptureUnsupported);
  CHECK(cudaStreamEndCapture(st, &g) == cudaErrorStreamCaptureInvalidated);
  CHECK(g == nullptr);
}
#endif
